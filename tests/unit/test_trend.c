/*
 * test_trend.c - sliding-window trend lines (trend.c), driven by the
 *	trend rules of rules/trends (trendrule.c)
 *
 * Each table row is a sequence of bounces (domain, cause, address, time)
 * and the step at which a trend line must fire; every other step must
 * stay quiet.  Then: the exact line, memory bounds, thread safety.  The
 * rules come from the repository's rules/ (run from the top of the
 * tree, or RULES_DIR); a rule added only in a copy of rules/trends
 * fires; a broken rules/trends (an unknown cause, a bad BY, a missing
 * hint, an unknown setting, a threshold out of range, no [rules]) stops
 * rules_load() with FILE:LINE; trend_differs() sees a change.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "rules.h"
#include "testrules.h"
#include "trend.h"

static struct rules *rules;	/* the repository's rules/ */

/* A trend of the repository's rules with these settings. */
static struct trend *
mk(const struct rules *r, int window, int dbeb, int blocked)
{
	struct config c;

	config_defaults(&c);
	c.trends.window = window;
	c.trends.dbeb_addresses = dbeb;
	c.trends.blocked_domains = blocked;
	return (trend_new(r, &c));
}

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
		t = mk(rules, seqs[i].window, seqs[i].dbeb,
		    seqs[i].blocked);
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
	assert_null(mk(rules, 0, 5, 3));
	t = mk(rules, 3600, 2, 2);
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
	t = mk(rules, 60, 2, 0);
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
	t = mk(rules, 60, TREND_MAX_THRESHOLD, 0);
	for (i = 0; i < TREND_MAX_ENTRIES + 1000; i++) {
		snprintf(dom, sizeof(dom), "d%d.example", i % 1000);
		snprintf(rcpt, sizeof(rcpt), "u%d@%s", i, dom);
		fired += trend_note(t, dom, DBEB, rcpt, 5000, line,
		    sizeof(line));
	}
	assert_int_equal(fired, 0);
	assert_int_equal(trend_dropped(t), 1000);
	trend_free(t);
	t = mk(rules, 60, 2, 0);
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
	w[0].t = trend_new(rules, NULL);	/* the defaults: 5, 3 */
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

/* ---- rules/trends as data ---------------------------------------- */

/*
 * A copy of the rules directory in dir (links to every entry but trends)
 * with trends made of text.
 */
static void
rules_copy(char *dir, size_t len, const char *text)
{
	char src[PATH_MAX], from[PATH_MAX + 300], to[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;
	FILE *fp;

	snprintf(dir, len, "/tmp/test_trend.XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_non_null(realpath(tu_rules_dir(), src));
	assert_non_null(d = opendir(src));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "trends") == 0)
			continue;
		snprintf(from, sizeof(from), "%s/%s", src, de->d_name);
		snprintf(to, sizeof(to), "%s/%s", dir, de->d_name);
		assert_int_equal(symlink(from, to), 0);
	}
	closedir(d);
	snprintf(to, sizeof(to), "%s/trends", dir);
	assert_non_null(fp = fopen(to, "w"));
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void
rules_copy_rm(const char *dir)
{
	char p[PATH_MAX + 300];
	struct dirent *de;
	DIR *d;

	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

#define HEAD	"# a comment\n\n[rules]\n"
#define DBEB_RULE "recipient-not-in-directory address trends.dbeb_addresses " \
	"the receiving tenant is probably misconfigured: accepted domain " \
	"or directory sync\n"

/* A rule that is only in the data file counts and fires. */
static void
test_data_rule(void **state)
{
	char dir[64], err[512], line[512];
	struct rules *r;
	struct trend *t;

	(void)state;
	rules_copy(dir, sizeof(dir), HEAD DBEB_RULE
	    "wrong-region\t domain\t2\tsome tenants of ours sit in "
	    "another region\n"
	    "mta-sts-failure address 0 never fires\n");
	r = rules_load(dir, err, sizeof(err));
	if (r == NULL)
		fail_msg("%s", err);
	t = mk(r, 600, 5, 3);
	assert_non_null(t);
	assert_int_equal(trend_note(t, "a.example", "wrong-region",
	    "x@a.example", 10, line, sizeof(line)), 0);
	assert_int_equal(trend_note(t, "a.example", "mta-sts-failure",
	    "x@a.example", 10, line, sizeof(line)), 0);
	assert_int_equal(trend_note(t, "a.example", "mta-sts-failure",
	    "y@a.example", 10, line, sizeof(line)), 0);
	/* sender-blocked is not in this copy: it never fires */
	assert_int_equal(trend_note(t, "a.example", BLOCK, "x@a.example", 10,
	    line, sizeof(line)), 0);
	assert_int_equal(trend_note(t, "b.example", BLOCK, "x@b.example", 10,
	    line, sizeof(line)), 0);
	assert_int_equal(trend_note(t, "c.example", BLOCK, "x@c.example", 10,
	    line, sizeof(line)), 0);
	assert_int_equal(trend_note(t, "B.example", "wrong-region",
	    "x@b.example", 11, line, sizeof(line)), 1);
	assert_string_equal(line, "trend domain=* cause=wrong-region "
	    "count=2 window=600 hint=\"some tenants of ours sit in another "
	    "region\" domains=a.example,B.example");
	/* the shipped rule still reads its setting */
	assert_int_equal(trend_differs(t, r, NULL), 1);	/* window 3600 */
	trend_free(t);
	t = mk(r, 600, 1, 3);
	assert_int_equal(trend_note(t, "c.example", DBEB, "x@c.example", 10,
	    line, sizeof(line)), 1);
	trend_free(t);
	rules_free(r);
	rules_copy_rm(dir);
}

/* A broken rules/trends stops the load with FILE:LINE: message. */
static void
test_bad_files(void **state)
{
	static const struct {
		const char	*text;
		int		 line;
		const char	*msg;
	} bad[] = {
		{ HEAD "no-such-cause address 3 hint\n", 4,
		  "\"no-such-cause\" is not a cause of causes.rules" },
		{ HEAD DBEB_RULE "userunknown address 3 a reason, not a "
		  "cause\n", 5, "\"userunknown\" is not a cause" },
		{ HEAD "sender-blocked sender 3 hint\n", 4,
		  "by \"sender\": want address or domain" },
		{ HEAD "sender-blocked domain 3\n", 4,
		  "want CAUSE BY THRESHOLD HINT" },
		{ HEAD "sender-blocked domain trends.blocked_domains   \n", 4,
		  "want CAUSE BY THRESHOLD HINT" },
		{ HEAD "sender-blocked domain trends.window hint\n", 4,
		  "threshold \"trends.window\": not a setting" },
		{ HEAD "sender-blocked domain 10001 hint\n", 4,
		  "threshold \"10001\": want a setting or a number" },
		{ HEAD "sender-blocked domain 3x hint\n", 4,
		  "threshold \"3x\"" },
		{ "[rule]\nsender-blocked domain 3 hint\n", 0,
		  "no [rules]" },
		{ "sender-blocked domain 3 hint\n", 1, "" },
	};
	char dir[64], err[512], want[600];
	struct rules *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rules_copy(dir, sizeof(dir), bad[i].text);
		r = rules_load(dir, err, sizeof(err));
		if (r != NULL)
			fail_msg("case %zu loaded", i);
		snprintf(want, sizeof(want), "%s/trends:%d: ", dir,
		    bad[i].line);
		if (strncmp(err, want, strlen(want)) != 0 ||
		    strstr(err, bad[i].msg) == NULL)
			fail_msg("case %zu: got \"%s\", want \"%s%s\"", i,
			    err, want, bad[i].msg);
		rules_copy_rm(dir);
	}
}

/* trend_differs(): what a reload compares. */
static void
test_differs(void **state)
{
	struct config c;
	struct trend *t;

	(void)state;
	config_defaults(&c);
	t = trend_new(rules, &c);
	assert_non_null(t);
	assert_int_equal(trend_differs(t, rules, &c), 0);
	assert_int_equal(trend_differs(t, rules, NULL), 0);
	c.trends.blocked_domains = 4;
	assert_int_equal(trend_differs(t, rules, &c), 1);
	c.trends.blocked_domains = 3;
	c.trends.window = 60;
	assert_int_equal(trend_differs(t, rules, &c), 1);
	assert_int_equal(trend_differs(t, NULL, NULL), 1);
	assert_int_equal(trend_differs(NULL, rules, NULL), 0);
	trend_free(t);
	/* no rules: a trend that never fires */
	t = trend_new(NULL, NULL);
	assert_non_null(t);
	assert_int_equal(trend_differs(t, NULL, NULL), 0);
	trend_free(t);
}

static int
setup(void **state)
{
	(void)state;
	return ((rules = tu_rules_load("test_trend")) == NULL ? -1 : 0);
}

static int
teardown(void **state)
{
	(void)state;
	rules_free(rules);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_data_rule),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_differs),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
