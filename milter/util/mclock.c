/*
 * mclock.c - timed waits on CLOCK_MONOTONIC; see mclock.h
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "mclock.h"

int
mcond_init(pthread_cond_t *cv)
{
	pthread_condattr_t ca;
	int rc;

	if ((rc = pthread_condattr_init(&ca)) != 0)
		return (rc);
	if ((rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) == 0)
		rc = pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
	return (rc);
}

void
mclock_after(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	if (ms <= 0)
		return;
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int
mcond_wait_until(pthread_cond_t *cv, pthread_mutex_t *mu,
    const struct timespec *until)
{
	int rc;

	rc = pthread_cond_timedwait(cv, mu, until);
	return (rc == ETIMEDOUT ? ETIMEDOUT : 0);
}

int
mlock_init(struct mlock *l)
{
	int rc;

	l->held = 0;
	if ((rc = pthread_mutex_init(&l->mu, NULL)) != 0)
		return (rc);
	if ((rc = mcond_init(&l->cv)) != 0)
		pthread_mutex_destroy(&l->mu);
	return (rc);
}

void
mlock_free(struct mlock *l)
{
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
}

int
mlock_take(struct mlock *l, const struct timespec *until)
{
	int rc = 0;

	pthread_mutex_lock(&l->mu);
	while (l->held && rc == 0) {
		if (until == NULL)
			pthread_cond_wait(&l->cv, &l->mu);
		else
			rc = mcond_wait_until(&l->cv, &l->mu, until);
	}
	if (!l->held) {		/* free now, even if the time just ran out */
		l->held = 1;
		rc = 0;
	}
	pthread_mutex_unlock(&l->mu);
	return (rc == 0 ? 0 : -1);
}

void
mlock_release(struct mlock *l)
{
	pthread_mutex_lock(&l->mu);
	l->held = 0;
	pthread_cond_signal(&l->cv);
	pthread_mutex_unlock(&l->mu);
}
