/*
 * format_fixture.h - the format table and a one-call parse, for the
 *	format tests (test_format.c, test_format_small.c)
 *
 *	fixture_setup()/fixture_teardown(): cmocka group setup and
 *	teardown that load and free rules/formats and the lists the
 *	format parsers read (rules/autoreply, powermta,
 *	smtp-commands) into R (the tests run
 *	from the project root).  fixture_decode(): MIME walk plus
 *	format_parse() of msg (len octets) into a new report; *ret is
 *	format_parse()'s answer.  The caller frees the report.
 *	fixture_check_rcpt(): one decoded recipient against a table's
 *	struct fixture_want: addr, status and reply as given; action
 *	and cmd as given ("" for none) unless NULL (not checked); diag
 *	a substring of the diagnostic unless NULL; hint the reason hint,
 *	none when NULL.
 *
 *	Included by one test program each: the functions are static.
 */
#ifndef FORMAT_FIXTURE_H
#define FORMAT_FIXTURE_H

#include "vocab.h"

static struct rules *R;

static int
fixture_setup(void **state)
{
	char err[512];

	(void)state;
	if ((R = calloc(1, sizeof(*R))) == NULL ||
	    (R->dir = strdup("rules")) == NULL)
		return (-1);
	if ((R->vocab = vocab_load(R->dir, err, sizeof(err))) == NULL ||
	    format_table_load(R, err, sizeof(err)) == -1 ||
	    fmt_autoreply_load(R, err, sizeof(err)) == -1 ||
	    fmt_powermta_load(R, err, sizeof(err)) == -1 ||
	    smtp_cmds_load(R, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return (-1);
	}
	return (0);
}

static int
fixture_teardown(void **state)
{
	(void)state;
	if (R != NULL) {
		format_table_free(R->formats);
		fmt_autoreply_free(R->autoreply);
		fmt_powermta_free(R->powermta);
		smtp_cmds_free(R->smtpcmd);
		vocab_free(R->vocab);
		free(R->dir);
		free(R);
	}
	return (0);
}

static struct report *
fixture_decode(const char *msg, size_t len, int *ret)
{
	struct mime_limits lim = { 32, 1000 };
	struct report *r = report_new(0);

	assert_non_null(r);
	assert_int_equal(mime_parse(r->a, msg, len, &lim, &r->mime), 0);
	*ret = format_parse(R, r);
	return (r);
}

struct fixture_want {
	const char	*addr;
	const char	*action;	/* NULL: not checked */
	const char	*status;
	const char	*reply;
	const char	*cmd;		/* NULL: not checked */
	const char	*diag;		/* a substring, or NULL */
	const char	*hint;		/* NULL: none */
};

static void
fixture_check_rcpt(const struct rcpt *rc, const struct fixture_want *w)
{
	assert_non_null(rc->addr);
	assert_string_equal(rc->addr, w->addr);
	if (w->action != NULL)
		assert_string_equal(rc->action != NULL ? rc->action : "",
		    w->action);
	assert_string_equal(rc->status, w->status);
	assert_string_equal(rc->reply, w->reply);
	if (w->cmd != NULL)
		assert_string_equal(rc->command != NULL ? rc->command : "",
		    w->cmd);
	if (w->diag != NULL) {
		assert_non_null(rc->diag);
		if (strstr(rc->diag, w->diag) == NULL)
			fail_msg("diag \"%s\" lacks \"%s\"", rc->diag, w->diag);
	}
	if (w->hint == NULL) {
		if (rc->reason_hint != NULL)
			fail_msg("unexpected hint %s", rc->reason_hint);
	} else {
		assert_non_null(rc->reason_hint);
		assert_string_equal(rc->reason_hint, w->hint);
	}
}

#endif
