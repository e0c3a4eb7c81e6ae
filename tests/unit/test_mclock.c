/*
 * test_mclock.c - unit tests of the monotonic timed waits (mclock.h)
 *
 *	A wait on a condition variable made by mcond_init() for a deadline
 *	from mclock_after() lasts its time by CLOCK_MONOTONIC: not less
 *	(had the variable kept the default CLOCK_REALTIME, a deadline on
 *	the monotonic clock, which counts from boot, would lie decades in
 *	the past and the wait would end at once) and not far more.  A
 *	signal ends it early.  An mlock held by another thread is not
 *	taken before its deadline and is taken once released; a free one
 *	is taken at once, also with a deadline already past.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "mclock.h"
#include "testutil.h"

#define WAIT_MS	150
#define SLACK_MS 20000		/* a loaded machine: bounded, not tight */

static long long
now_ms(void)
{
	return (tu_now_us() / 1000);
}

static void
test_after(void **state)
{
	struct timespec a, b;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &a);
	mclock_after(&b, 1999);
	assert_true(b.tv_nsec >= 0 && b.tv_nsec < 1000000000L);
	assert_true((b.tv_sec - a.tv_sec) * 1000 +
	    (b.tv_nsec - a.tv_nsec) / 1000000 >= 1999);
	mclock_after(&b, 0);
	assert_true(b.tv_sec >= a.tv_sec);
}

static void
test_wait_lasts(void **state)
{
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	struct timespec until;
	long long t0, el;
	int rc;

	(void)state;
	assert_int_equal(mcond_init(&cv), 0);
	t0 = now_ms();
	mclock_after(&until, WAIT_MS);
	pthread_mutex_lock(&mu);
	do
		rc = mcond_wait_until(&cv, &mu, &until);
	while (rc == 0);		/* spurious wake-ups */
	pthread_mutex_unlock(&mu);
	el = now_ms() - t0;
	assert_int_equal(rc, ETIMEDOUT);
	assert_true(el >= WAIT_MS);
	assert_true(el < WAIT_MS + SLACK_MS);
	pthread_cond_destroy(&cv);
}

struct sig {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 done;
};

static void *
signaller(void *arg)
{
	struct sig *s = arg;

	usleep(20 * 1000);
	pthread_mutex_lock(&s->mu);
	s->done = 1;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return (NULL);
}

static void
test_wait_woken(void **state)
{
	struct sig s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
	    0 };
	struct timespec until;
	pthread_t t;
	int rc = 0;

	(void)state;
	assert_int_equal(mcond_init(&s.cv), 0);
	mclock_after(&until, SLACK_MS);
	assert_int_equal(pthread_create(&t, NULL, signaller, &s), 0);
	pthread_mutex_lock(&s.mu);
	while (!s.done && rc == 0)
		rc = mcond_wait_until(&s.cv, &s.mu, &until);
	pthread_mutex_unlock(&s.mu);
	pthread_join(t, NULL);
	assert_int_equal(rc, 0);
	assert_int_equal(s.done, 1);
	pthread_cond_destroy(&s.cv);
}

struct holder {
	struct mlock	*l;
	int		 ms;
};

static void *
hold(void *arg)
{
	struct holder *h = arg;

	usleep((useconds_t)h->ms * 1000);
	mlock_release(h->l);
	return (NULL);
}

static void
test_mlock(void **state)
{
	struct mlock l;
	struct timespec until;
	struct holder h;
	pthread_t t;
	long long t0, el;

	(void)state;
	assert_int_equal(mlock_init(&l), 0);
	mclock_after(&until, 0);		/* already past: free, taken */
	assert_int_equal(mlock_take(&l, &until), 0);
	/* held: a take with a deadline gives up after it, not before */
	t0 = now_ms();
	mclock_after(&until, WAIT_MS);
	assert_int_equal(mlock_take(&l, &until), -1);
	el = now_ms() - t0;
	assert_true(el >= WAIT_MS);
	assert_true(el < WAIT_MS + SLACK_MS);
	/* released by another thread meanwhile: taken within the time */
	h.l = &l;
	h.ms = 30;
	assert_int_equal(pthread_create(&t, NULL, hold, &h), 0);
	mclock_after(&until, SLACK_MS);
	assert_int_equal(mlock_take(&l, &until), 0);
	pthread_join(t, NULL);
	mlock_release(&l);
	/* no deadline */
	assert_int_equal(mlock_take(&l, NULL), 0);
	mlock_release(&l);
	mlock_free(&l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_after),
		cmocka_unit_test(test_wait_lasts),
		cmocka_unit_test(test_wait_woken),
		cmocka_unit_test(test_mlock),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
