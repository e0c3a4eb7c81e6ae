/*
 * test_status.c - enhanced status codes: status_parse() and status.tsv
 *
 *	status_parse() must read exactly three numbers: 5.4.14 is 5.4.14 and
 *	never 5.4.1; 5.4.1x, 1.5.4.1, 5.4.1000 and 5.4.1.2 are no status at
 *	all; punctuation around a code ("#5.1.1", "(5.1.1)", "5.1.1:") is fine.
 *	The table loaded from rules/status.tsv knows the whole registry and
 *	gives the default reasons the classifier starts from.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "classify.h"
#include "rules.h"
#include "testrules.h"
#include "testutil.h"

static const struct {
	const char	*in;
	const char	*want;		/* NULL: no status */
	const char	*rest;		/* what follows the code */
} cases[] = {
	{ "5.4.1", "5.4.1", "" },
	{ "5.4.14", "5.4.14", "" },		/* not 5.4.1 */
	{ "5.4.14 Hop count exceeded", "5.4.14", " Hop count exceeded" },
	{ "5.4.100", "5.4.100", "" },
	{ "5.4.1x", NULL, NULL },
	{ "5.4.1000", NULL, NULL },		/* more than 3 digits */
	{ "5.4.1.2", NULL, NULL },		/* a fourth number */
	{ "1.5.4.1", NULL, NULL },		/* class 1 does not exist */
	{ "3.4.1", NULL, NULL },
	{ "6.4.1", NULL, NULL },
	{ "5.4", NULL, NULL },
	{ "5..1", NULL, NULL },
	{ "5.4.", NULL, NULL },
	{ ".5.4.1", NULL, NULL },
	{ "5.4.1:", "5.4.1", ":" },
	{ "5.4.1)", "5.4.1", ")" },
	{ "5.4.1,", "5.4.1", "," },
	{ "5.4.1]", "5.4.1", "]" },
	{ "5.4.1.", "5.4.1", "." },		/* end of a sentence */
	{ "5.4.1 ", "5.4.1", " " },
	{ "5.4.1-", NULL, NULL },		/* glued to a token */
	{ "5.4.1_", NULL, NULL },
	{ "5.4.1a", NULL, NULL },
	{ "2.0.0", "2.0.0", "" },
	{ "4.7.650", "4.7.650", "" },
	{ "5.7.606", "5.7.606", "" },
	{ "5.07.001", "5.7.1", "" },		/* leading zeros: 3 digits max */
	{ "5.0007.1", NULL, NULL },
	{ "", NULL, NULL },
	{ "x", NULL, NULL },
	{ "550", NULL, NULL },
};

static void
test_parse_table(void **state)
{
	char out[16];
	const char *end;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 0, sizeof(out));
		end = NULL;
		if (cases[i].want == NULL) {
			if (status_parse(cases[i].in, out, &end) != 0)
				fail_msg("\"%s\" parsed as %s", cases[i].in,
				    out);
			continue;
		}
		if (status_parse(cases[i].in, out, &end) != 1)
			fail_msg("\"%s\" did not parse", cases[i].in);
		assert_string_equal(out, cases[i].want);
		assert_non_null(end);
		assert_string_equal(end, cases[i].rest);
	}
}

/* The parser looks only at its argument: callers scan with it. */
static void
test_parse_null(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(status_parse(NULL, out, NULL), 0);
	assert_int_equal(status_parse("5.1.1", out, NULL), 1);
	assert_string_equal(out, "5.1.1");
}

static struct rules *
load(void)
{
	char err[512];
	struct rules *r;

	/* Only the status table: the other rule files are not needed. */
	assert_non_null(r = calloc(1, sizeof(*r)));
	assert_non_null(r->dir = strdup(tu_rules_dir()));
	if ((r->vocab = vocab_load(r->dir, err, sizeof(err))) == NULL ||
	    status_table_load(r, err, sizeof(err)) == -1)
		fail_msg("rules: %s", err);
	return (r);
}

static void
test_table(void **state)
{
	struct rules *r = load();
	const struct status_info *si;
	static const struct {
		const char *code, *reason, *text_part;
	} want[] = {
		{ "5.1.1", "userunknown", "Bad destination mailbox address" },
		{ "4.1.1", NULL, "Bad destination mailbox address" },
		{ "5.1.2", "hostunknown", "destination system" },
		{ "5.2.2", "mailboxfull", "Mailbox full" },
		{ "4.4.1", "expired", "No answer from host" },
		{ "5.4.1", NULL, "No answer from host" },
		{ "5.4.14", NULL, "Hop count" },
		{ "5.7.25", "requireptr", "Reverse DNS" },
		{ "5.7.26", "authfailure", "authentication" },
		{ "2.1.5", "delivered", "valid" },
		{ "5.7.64", NULL, "TenantAttribution" },
		{ "5.6.10", NULL, "UTF-8" },
		{ "5.7.30", "failedstarttls", "REQUIRETLS" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		si = status_lookup(r, want[i].code);
		if (si == NULL)
			fail_msg("%s not in status.tsv", want[i].code);
		assert_string_equal(si->code, want[i].code);
		if (want[i].reason == NULL)
			assert_null(si->reason);
		else {
			assert_non_null(si->reason);
			assert_string_equal(si->reason, want[i].reason);
		}
		if (strstr(si->text, want[i].text_part) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", want[i].code,
			    si->text, want[i].text_part);
	}
	/* Every registry row exists for classes 2, 4 and 5. */
	assert_non_null(status_lookup(r, "2.7.20"));
	assert_non_null(status_lookup(r, "4.7.20"));
	assert_non_null(status_lookup(r, "5.7.20"));
	assert_null(status_lookup(r, "5.9.999"));
	assert_null(status_lookup(r, "5.4.1x"));
	assert_null(status_lookup(r, NULL));
	rules_free(r);
}

/* A broken table is refused with FILE:LINE. */
static void
test_table_errors(void **state)
{
	static const struct {
		const char *body, *msg;
	} bad[] = {
		{ "5.4.1x\t-\tNo answer\n", "status.tsv:1: bad status code" },
		{ "# c\n\n5.1.1\tnosuchreason\tx\n",
		    "status.tsv:3: unknown reason" },
		{ "X.1.1\tuserunknown\tx\n", "status.tsv:1: an X.s.d row" },
		{ "5.1.1 userunknown\n", "status.tsv:1: expected CODE" },
	};
	char dir[] = "/tmp/test_status.XXXXXX", path[512], err[512];
	struct vocab *v;
	size_t i;

	(void)state;
	assert_non_null(v = vocab_load(tu_rules_dir(), err, sizeof(err)));
	assert_non_null(mkdtemp(dir));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rules tmp;

		snprintf(path, sizeof(path), "%s/status.tsv", dir);
		tu_put(path, bad[i].body);
		memset(&tmp, 0, sizeof(tmp));
		tmp.dir = dir;
		tmp.vocab = v;
		err[0] = '\0';
		assert_int_equal(status_table_load(&tmp, err, sizeof(err)), -1);
		if (strstr(err, bad[i].msg) == NULL)
			fail_msg("got \"%s\", want \"%s\"", err, bad[i].msg);
		status_table_free(tmp.status);
		unlink(path);
	}
	rmdir(dir);
	vocab_free(v);
}

/*
 * A table with no rows (comments only) loads, and looks nothing up: its
 * sort is not handed a NULL array (fuzz_rules found qsort(NULL, 0) under
 * UBSan).
 */
static void
test_table_empty(void **state)
{
	char dir[] = "/tmp/test_status.XXXXXX", path[512], err[512];
	struct rules tmp;
	struct vocab *v;

	(void)state;
	assert_non_null(v = vocab_load(tu_rules_dir(), err, sizeof(err)));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/status.tsv", dir);
	tu_put(path, "# only a comment\n\n");
	memset(&tmp, 0, sizeof(tmp));
	tmp.dir = dir;
	tmp.vocab = v;
	if (status_table_load(&tmp, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_null(status_lookup(&tmp, "5.1.1"));
	status_table_free(tmp.status);
	unlink(path);
	rmdir(dir);
	vocab_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_null),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_table_errors),
		cmocka_unit_test(test_table_empty),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
