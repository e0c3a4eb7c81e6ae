/*
 * mclock.h - timed waits on CLOCK_MONOTONIC
 *
 * SYNOPSIS
 *	int	mcond_init(pthread_cond_t *cv);
 *	void	mclock_after(struct timespec *ts, long ms);
 *	int	mcond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
 *		    const struct timespec *until);
 *	int	mlock_init(struct mlock *l);
 *	void	mlock_free(struct mlock *l);
 *	int	mlock_take(struct mlock *l, const struct timespec *until);
 *	void	mlock_release(struct mlock *l);
 *
 * DESCRIPTION
 *	Every timed wait of the daemon and the history store is made here,
 *	on CLOCK_MONOTONIC, so that a step of the wall clock (NTP, an
 *	administrator's date(1)) neither cuts a wait short nor stretches
 *	it.  pthread_cond_timedwait() measures its deadline on the clock
 *	the condition variable was made with (CLOCK_REALTIME by default),
 *	so a condition variable that is waited on with a time limit must be
 *	made by mcond_init() (pthread_condattr_setclock); one only waited
 *	on without a limit may stay PTHREAD_COND_INITIALIZER.
 *
 *	mcond_init() makes cv; 0, or an errno value.  mclock_after() sets
 *	ts to ms milliseconds from now on CLOCK_MONOTONIC (ms <= 0: now).
 *	mcond_wait_until() waits on cv (made by mcond_init(); mu locked by
 *	the caller) until woken or until passes: 0 woken (perhaps
 *	spuriously: the caller tests its condition again), ETIMEDOUT when
 *	until has passed.
 *
 *	A struct mlock is a lock whose taking can be given a deadline on
 *	the same clock (pthread_mutex_timedlock() counts CLOCK_REALTIME
 *	only).  mlock_take() takes it, waiting until until at most (NULL:
 *	as long as it takes): 0 taken, -1 when until passed first.
 *	mlock_release() lets the next taker in.  mlock_init() returns 0 or
 *	an errno value; mlock_free() destroys an unheld lock.
 *
 *	tests/source/t_monotonic.sh checks that pthread_cond_timedwait(),
 *	pthread_cond_init(), pthread_mutex_timedlock() and CLOCK_REALTIME
 *	appear nowhere in milter/ but here, and that every condition
 *	variable given to mcond_wait_until() is made by mcond_init();
 *	tests/unit/test_mclock.c that a wait lasts its time by the
 *	monotonic clock.
 */
#ifndef MCLOCK_H
#define MCLOCK_H

#include <pthread.h>
#include <time.h>

struct mlock {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* made by mcond_init() */
	int		 held;
};

int	mcond_init(pthread_cond_t *);
void	mclock_after(struct timespec *, long);
int	mcond_wait_until(pthread_cond_t *, pthread_mutex_t *,
	    const struct timespec *);
int	mlock_init(struct mlock *);
void	mlock_free(struct mlock *);
int	mlock_take(struct mlock *, const struct timespec *);
void	mlock_release(struct mlock *);

#endif
