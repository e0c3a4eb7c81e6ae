/*
 * test_trend.c - sliding-window trend lines (trend.c)
 *
 * Each table row is a sequence of bounces (domain, cause, address, time)
 * and the step at which a trend line must fire; every other step must
 * stay quiet.  Then: the exact line, memory bounds, thread safety.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "trend.h"

#define DBEB	"recipient-not-in-directory"
#define BLOCK	"sender-blocked"

struct step {
	const char	*domain;
	const char	*cause;
	const char	*rcpt;
	time_t		 when;
	int		 fires;		/* expected return */
};

struct seq {
	const char	*name;
	int		 window, dbeb, blocked;
	struct step	 s[16];
};

static const struct seq seqs[] = {
	{ "five distinct addresses fire once", 3600, 5, 3, {
	    { "contoso.com", DBEB, "a@contoso.com", 100, 0 },
	    { "contoso.com", DBEB, "b@contoso.com", 110, 0 },
	    { "contoso.com", DBEB, "b@contoso.com", 111, 0 },	/* same */
	    { "contoso.com", DBEB, "c@contoso.com", 120, 0 },
	    { "contoso.com", DBEB, "D@Contoso.com", 130, 0 },
	    { "contoso.com", DBEB, "d@contoso.com", 131, 0 },	/* case */
	    { "contoso.com", DBEB, "e@contoso.com", 140, 1 },	/* 5th */
	    { "contoso.com", DBEB, "f@contoso.com", 150, 0 },
	    { "contoso.com", DBEB, "g@contoso.com", 3000, 0 },
	    { "contoso.com", DBEB, "k@contoso.com", 3500, 0 },
	    { "contoso.com", DBEB, "h@contoso.com", 3739, 0 },	/* T+w-1 */
	    { "contoso.com", DBEB, "i@contoso.com", 3740, 1 },	/* T+w: f g k h i */
	    { "contoso.com", DBEB, "j@contoso.com", 3800, 0 },
	    { NULL, NULL, NULL, 0, 0 } } },
	{ "addresses spread wider than the window do not fire", 3600, 5, 3, {
	    { "fabrikam.com", DBEB, "a@fabrikam.com", 0, 0 },
	    { "fabrikam.com", DBEB, "b@fabrikam.com", 1000, 0 },
	    { "fabrikam.com", DBEB, "c@fabrikam.com", 2000, 0 },
	    { "fabrikam.com", DBEB, "d@fabrikam.com", 3000, 0 },
	    { "fabrikam.com", DBEB, "e@fabrikam.com", 3600, 0 },	/* a out */
	    { "fabrikam.com", DBEB, "f@fabrikam.com", 3700, 1 },	/* b..f */
	    { NULL, NULL, NULL, 0, 0 } } },
	{ "domains are counted apart", 3600, 3, 3, {
	    { "a.example", DBEB, "x@a.example", 10, 0 },
	    { "b.example", DBEB, "x@b.example", 10, 0 },
	    { "a.example", DBEB, "y@a.example", 10, 0 },
	    { "b.example", DBEB, "y@b.example", 10, 0 },
	    { "a.example", DBEB, "z@a.example", 10, 1 },
	    { "b.example", DBEB, "z@b.example", 10, 1 },
	    { "a.example", DBEB, "w@a.example", 10, 0 },
	    { NULL, NULL, NULL, 0, 0 } } },
	{ "sender-blocked from three domains", 3600, 5, 3, {
	    { "a.example", BLOCK, "x@a.example", 10, 0 },
	    { "a.example", BLOCK, "y@a.example", 11, 0 },	/* same dom */
	    { "b.example", BLOCK, "x@b.example", 12, 0 },
	    { "B.example", BLOCK, "y@b.example", 13, 0 },
	    { "c.example", BLOCK, "x@c.example", 14, 1 },
	    { "d.example", BLOCK, "x@d.example", 15, 0 },
	    { NULL, NULL, NULL, 0, 0 } } },
	{ "other causes never fire", 3600, 1, 1, {
	    { "a.example", "mailbox-full", "x@a.example", 10, 0 },
	    { "a.example", "", "y@a.example", 11, 0 },
	    { "a.example", DBEB, "", 12, 0 },			/* no address */
	    { "a.example", DBEB, "z@a.example", 13, 1 },
	    { NULL, NULL, NULL, 0, 0 } } },
	{ "a threshold of 0 is off", 3600, 0, 0, {
	    { "a.example", DBEB, "x@a.example", 10, 0 },
	    { "a.example", BLOCK, "x@a.example", 10, 0 },
	    { "b.example", BLOCK, "x@b.example", 10, 0 },
	    { NULL, NULL, NULL, 0, 0 } } },
	{ "late events older than the window are ignored", 100, 2, 2, {
	    { "a.example", DBEB, "x@a.example", 1000, 0 },
	    { "a.example", DBEB, "y@a.example", 800, 0 },	/* too old */
	    { "a.example", DBEB, "y@a.example", 950, 1 },	/* in window */
	    { NULL, NULL, NULL, 0, 0 } } },
};

static void
test_sequences(void **state)
{
	struct trend *t;
	const struct step *s;
	char line[1024];
	size_t i, j;
	int got;

	(void)state;
	for (i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		t = trend_new(seqs[i].window, seqs[i].dbeb, seqs[i].blocked);
		assert_non_null(t);
		for (j = 0; seqs[i].s[j].domain != NULL; j++) {
			s = &seqs[i].s[j];
			got = trend_note(t, s->domain, s->cause, s->rcpt,
			    s->when, line, sizeof(line));
			if (got != s->fires)
				fail_msg("%s: step %zu (%s %s t=%ld): got %d, "
				    "want %d (%s)", seqs[i].name, j, s->rcpt,
				    s->cause, (long)s->when, got, s->fires,
				    line);
			if (got)
				assert_true(strncmp(line, "trend domain=",
				    13) == 0);
			else
				assert_string_equal(line, "");
		}
		trend_free(t);
	}
}

static void
test_lines(void **state)
{
	struct trend *t;
	char line[1024], small[40];

	(void)state;
	assert_null(trend_new(0, 5, 3));
	t = trend_new(3600, 2, 2);
	assert_non_null(t);
	assert_int_equal(trend_note(t, "contoso.com", DBEB, "a@contoso.com",
	    1, line, sizeof(line)), 0);
	assert_int_equal(trend_note(t, "contoso.com", DBEB, "b@contoso.com",
	    2, line, sizeof(line)), 1);
	assert_string_equal(line, "trend domain=contoso.com "
	    "cause=recipient-not-in-directory count=2 window=3600 "
	    "hint=\"the receiving tenant is probably misconfigured: "
	    "accepted domain or directory sync\"");
	assert_int_equal(trend_note(t, "a.example", BLOCK, "x@a.example",
	    3, line, sizeof(line)), 0);
	assert_int_equal(trend_note(t, "b.example", BLOCK, "x@b.example",
	    4, line, sizeof(line)), 1);
	assert_string_equal(line, "trend domain=* cause=sender-blocked "
	    "count=2 window=3600 hint=\"our sending IP is probably listed\" "
	    "domains=a.example,b.example");
	/* a hostile domain is quoted, controls become spaces */
	assert_int_equal(trend_note(t, "x\"y\n.example", DBEB, "a@q", 5,
	    line, sizeof(line)), 0);
	assert_int_equal(trend_note(t, "x\"y\n.example", DBEB, "b@q", 6,
	    line, sizeof(line)), 1);
	assert_non_null(strstr(line, "domain=\"x\\\"y .example\" "));
	assert_null(strchr(line, '\n'));
	/* a short buffer is cut, still terminated */
	assert_int_equal(trend_note(t, "z.example", DBEB, "a@z", 7,
	    small, sizeof(small)), 0);
	assert_int_equal(trend_note(t, "z.example", DBEB, "b@z", 8,
	    small, sizeof(small)), 1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	trend_free(t);
}

static void
test_bounded(void **state)
{
	struct trend *t;
	char line[256], dom[64], rcpt[80];
	int i, fired = 0;

	(void)state;
	t = trend_new(60, 2, 0);
	/* more domains than counters: the rest are dropped, counted */
	for (i = 0; i < TREND_MAX_KEYS + 500; i++) {
		snprintf(dom, sizeof(dom), "d%d.example", i);
		snprintf(rcpt, sizeof(rcpt), "a@%s", dom);
		fired += trend_note(t, dom, DBEB, rcpt, 1000, line,
		    sizeof(line));
	}
	assert_int_equal(fired, 0);
	assert_int_equal(trend_dropped(t), 500);
	/* a window later the idle counters make room again */
	assert_int_equal(trend_note(t, "new.example", DBEB, "a@new.example",
	    1100, line, sizeof(line)), 0);
	assert_int_equal(trend_note(t, "new.example", DBEB, "b@new.example",
	    1101, line, sizeof(line)), 1);
	assert_int_equal(trend_dropped(t), 500);
	/* a domain longer than a counter keeps is still one counter */
	{
		char longd[600];
		unsigned long before = trend_dropped(t);

		memset(longd, 'l', sizeof(longd) - 1);
		longd[sizeof(longd) - 1] = '\0';
		assert_int_equal(trend_note(t, longd, DBEB, "a@l", 1300, line,
		    sizeof(line)), 0);
		assert_int_equal(trend_note(t, longd, DBEB, "b@l", 1300, line,
		    sizeof(line)), 1);
		assert_int_equal(trend_dropped(t), before);
	}
	trend_free(t);
	/* all counters together hold at most TREND_MAX_ENTRIES */
	t = trend_new(60, TREND_MAX_THRESHOLD, 0);
	for (i = 0; i < TREND_MAX_ENTRIES + 1000; i++) {
		snprintf(dom, sizeof(dom), "d%d.example", i % 1000);
		snprintf(rcpt, sizeof(rcpt), "u%d@%s", i, dom);
		fired += trend_note(t, dom, DBEB, rcpt, 5000, line,
		    sizeof(line));
	}
	assert_int_equal(fired, 0);
	assert_int_equal(trend_dropped(t), 1000);
	trend_free(t);
	t = trend_new(60, 2, 0);
	/* one counter never holds more than its threshold */
	for (i = 0; i < 100000; i++) {
		snprintf(rcpt, sizeof(rcpt), "u%d@big.example", i);
		trend_note(t, "big.example", DBEB, rcpt, 1200, line,
		    sizeof(line));
	}
	trend_free(t);
}

struct worker {
	struct trend	*t;
	int		 id;
	int		 fired;
};

static void *
note_many(void *arg)
{
	struct worker *w = arg;
	char line[512], rcpt[64];
	int i;

	for (i = 0; i < 500; i++) {
		snprintf(rcpt, sizeof(rcpt), "u%d-%d@contoso.com", w->id, i);
		w->fired += trend_note(w->t, "contoso.com", DBEB, rcpt, 5000,
		    line, sizeof(line));
	}
	return (NULL);
}

static void
test_threads(void **state)
{
	struct worker w[8];
	pthread_t th[8];
	int i, total = 0;

	(void)state;
	w[0].t = trend_new(3600, 5, 3);
	for (i = 0; i < 8; i++) {
		w[i].t = w[0].t;
		w[i].id = i;
		w[i].fired = 0;
		assert_int_equal(pthread_create(&th[i], NULL, note_many,
		    &w[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		total += w[i].fired;
	}
	assert_int_equal(total, 1);
	trend_free(w[0].t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_threads),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
