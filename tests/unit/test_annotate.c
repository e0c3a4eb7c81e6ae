/*
 * test_annotate.c - X-Bounce-* values and log lines (annotate.c)
 *
 *	Builds reports by hand and checks the exact header values and log
 *	lines interfaces.md specifies, plus the invariants every value must
 *	keep whatever the input: no CR, no control byte except the "\n\t"
 *	fold, lines at most 78 octets where a break exists, never 998.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "annotate.h"
#include "report.h"

static struct rcpt *
add(struct report *r, const char *addr, const char *action,
    const char *status, const char *reply, const char *reason,
    const char *cause, const char *side, int hard, const char *hint)
{
	struct rcpt *rc = report_add_rcpt(r);

	assert_non_null(rc);
	rc->addr = addr;
	rc->action = action;
	snprintf(rc->status, sizeof(rc->status), "%s", status);
	snprintf(rc->reply, sizeof(rc->reply), "%s", reply);
	rc->reason = reason;
	rc->cause = cause;
	rc->side = side;
	rc->hard = hard;
	rc->hint = hint;
	rc->inner_cause = "";
	rc->diag = "";
	rc->ev.spf = rc->ev.dkim = rc->ev.mx = "skipped";
	return (rc);
}

static struct report *
dsn(void)
{
	struct report *r = report_new(0);

	assert_non_null(r);
	r->bounce = 1;
	r->kind = "dsn";
	r->format = "rfc3464";
	return (r);
}

static const struct annotate_opts opts = { "mx.example.org", 20, 0, NULL };

/* The invariants of every header value. */
static void
check_value(const char *name, const char *v)
{
	const char *p, *line = v;
	size_t col = strlen(name) + 2, len;

	for (p = v; ; p++) {
		if (*p == '\n' || *p == '\0') {
			len = (size_t)(p - line) + col;
			assert_true(len <= ANNOTATE_MAX_LINE);
			/* a longer line only when it holds one atom */
			if (len > ANNOTATE_FOLD) {
				const char *s = line + (line != v ? 1 : 0);
				assert_null(memchr(s, ' ', (size_t)(p - s)));
			}
			if (*p == '\0')
				break;
			assert_int_equal(p[1], '\t');
			line = p + 1;
			col = 0;
			continue;
		}
		assert_true((unsigned char)*p >= 0x20 || *p == '\t');
		assert_true((unsigned char)*p < 0x7f);
	}
}

static void
test_basic_pair(void **state)
{
	struct report *r = dsn();
	struct annotate_hdrs h = { NULL, 0, 0 };

	(void)state;
	add(r, "user@example.com", "failed", "5.4.1", "550", "userunknown",
	    "recipient-not-in-directory", "address", 1,
	    "The address does not exist in the receiving Microsoft 365 "
	    "directory (DBEB). Check the spelling; stop mailing it.");
	assert_int_equal(annotate_headers(r, &opts, &h), 0);
	assert_int_equal(h.n, 2);
	assert_string_equal(h.v[0].name, "X-Bounce-Class");
	assert_string_equal(h.v[0].value,
	    "mx.example.org; rcpt=user@example.com; status=5.4.1;\n"
	    "\treply=550; reason=userunknown; cause=recipient-not-in-directory;\n"
	    "\tside=address; hard=yes");
	assert_string_equal(h.v[1].name, "X-Bounce-Hint");
	assert_string_equal(h.v[1].value,
	    "user@example.com: The address does not exist in the receiving\n"
	    "\tMicrosoft 365 directory (DBEB). Check the spelling; stop "
	    "mailing it.");
	check_value(h.v[0].name, h.v[0].value);
	check_value(h.v[1].name, h.v[1].value);
	annotate_hdrs_free(&h);
	report_free(r);
}

static void
test_log_line(void **state)
{
	struct report *r = dsn();
	struct buf b = BUF_INIT;

	(void)state;
	add(r, "user@example.com", "failed", "5.4.1", "550", "userunknown",
	    "recipient-not-in-directory", "address", 1,
	    "Check the \"spelling\"; a=b.");
	assert_int_equal(annotate_log(&b, "4XyZ1p2q3rz", r, &opts), 0);
	assert_string_equal(b.p, "4XyZ1p2q3rz: bounce rcpt=user@example.com "
	    "status=5.4.1 reply=550 reason=userunknown "
	    "cause=recipient-not-in-directory side=address hard=yes "
	    "hint=\"Check the \\\"spelling\\\"; a=b.\"\n");
	buf_reset(&b);
	assert_int_equal(annotate_log(&b, NULL, r, &opts), 0);
	assert_true(strncmp(b.p, "NOQUEUE: bounce rcpt=", 21) == 0);
	buf_reset(&b);
	/* a hostile queue id cannot start a new line */
	assert_int_equal(annotate_log(&b, "AB\r\nCD: x", r, &opts), 0);
	assert_true(strncmp(b.p, "ABCDx: bounce ", 14) == 0);
	assert_int_equal(strchr(b.p, '\n') - b.p, (long)b.len - 1);
	buf_free(&b);
	report_free(r);
}

static void
test_which_rcpts(void **state)
{
	struct report *r = dsn();
	struct annotate_hdrs h = { NULL, 0, 0 };
	struct buf b = BUF_INIT;
	static const struct {
		const char *action;
		int wanted;
	} t[] = {
		{ "failed", 1 }, { "delayed", 1 }, { "delivered", 0 },
		{ "relayed", 0 }, { "expanded", 0 }, { "", 1 },
	};
	size_t i;
	char a[32];

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(a, sizeof(a), "u%zu@example.com", i);
		add(r, strdup(a), t[i].action, "5.1.1", "550", "userunknown",
		    "userunknown", "address", 1, "gone");
	}
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_int_equal(annotate_wants(r, i), t[i].wanted);
	assert_int_equal(annotate_headers(r, &opts, &h), 0);
	assert_int_equal(h.n, 6);	/* 3 wanted, a pair each */
	assert_int_equal(annotate_log(&b, "Q1", r, &opts), 0);
	assert_non_null(strstr(b.p, "rcpt=u0@"));
	assert_non_null(strstr(b.p, "rcpt=u1@"));
	assert_null(strstr(b.p, "rcpt=u2@"));
	assert_null(strstr(b.p, "rcpt=u4@"));
	assert_non_null(strstr(b.p, "rcpt=u5@"));
	for (i = 0; i < r->nrcpt; i++)
		free((char *)r->rcpt[i].addr);
	/* not a bounce: nothing at all */
	r->bounce = 0;
	annotate_hdrs_free(&h);
	assert_int_equal(annotate_headers(r, &opts, &h), 0);
	assert_int_equal(h.n, 0);
	buf_free(&b);
	report_free(r);
}

static void
test_truncated(void **state)
{
	struct report *r = dsn();
	struct annotate_hdrs h = { NULL, 0, 0 };
	size_t i;

	(void)state;
	for (i = 0; i < 25; i++)
		add(r, "x@example.com", "failed", "5.1.1", "550",
		    "userunknown", "userunknown", "address", 1, "gone");
	assert_int_equal(annotate_headers(r, &opts, &h), 0);
	assert_int_equal(h.n, 41);
	assert_string_equal(h.v[40].name, "X-Bounce-Class");
	assert_string_equal(h.v[40].value, "mx.example.org; truncated=5");
	annotate_hdrs_free(&h);
	report_free(r);
}

static void
test_arf_autoreply(void **state)
{
	struct report *r = dsn();
	struct annotate_hdrs h = { NULL, 0, 0 };
	struct buf b = BUF_INIT;

	(void)state;
	r->kind = "arf";
	add(r, "abuse@example.net", "", "", "", "feedback", "feedback",
	    "none", 0, "A complaint.");
	add(r, "abuse2@example.net", "", "", "", "feedback", "feedback",
	    "none", 0, "A complaint.");
	assert_int_equal(annotate_headers(r, &opts, &h), 0);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.v[0].value, "mx.example.org; "
	    "rcpt=abuse@example.net; reason=feedback;\n"
	    "\tcause=feedback; side=none; hard=no; kind=arf");
	assert_int_equal(annotate_log(&b, "Q2", r, &opts), 0);
	assert_string_equal(b.p, "Q2: bounce rcpt=abuse@example.net "
	    "reason=feedback cause=feedback side=none hard=no kind=arf "
	    "hint=\"A complaint.\"\n");
	annotate_hdrs_free(&h);
	buf_free(&b);
	report_free(r);

	r = dsn();
	r->kind = "autoreply";
	assert_int_equal(annotate_headers(r, &opts, &h), 0);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.v[0].value,
	    "mx.example.org; reason=vacation; kind=autoreply");
	annotate_hdrs_free(&h);
	report_free(r);
}

/* Hostile text: CR/LF, NUL-free controls, quotes, huge words. */
static void
test_injection(void **state)
{
	static const char *hints[] = {
		"550 5.4.1 denied\r\nX-Bounce-Class: forged; cause=ok\r\n",
		"tab\there\vand\x1b[31mescape\x7f",
		"=?UTF-8?B?WC1Gb3JnZWQ6IHllcw==?= looks encoded",
		NULL,		/* filled with one 3000-octet word */
		NULL,		/* filled with 3000 octets of words */
	};
	static const char *addrs[] = {
		"a\r\nb@example.com", "\"quoted\\\"\"@example.com",
		"\xce\xb4\xce\xbf\xce\xba@example.gr", "plain@example.com",
		"x@example.com",
	};
	char *big = malloc(3001), *words = malloc(3001);
	struct annotate_hdrs h = { NULL, 0, 0 };
	struct buf b = BUF_INIT;
	struct report *r;
	size_t i, j;

	(void)state;
	memset(big, 'A', 3000);
	big[3000] = '\0';
	for (i = 0; i < 3000; i++)
		words[i] = i % 7 == 6 ? ' ' : 'w';
	words[3000] = '\0';
	hints[3] = big;
	hints[4] = words;
	for (i = 0; i < 5; i++) {
		r = dsn();
		add(r, addrs[i], "failed", "5.4.1", "550", "networkerror",
		    "unclassified-5.4.1", "unknown", 0, hints[i]);
		assert_int_equal(annotate_headers(r, &opts, &h), 0);
		assert_int_equal(h.n, 2);
		for (j = 0; j < h.n; j++) {
			check_value(h.v[j].name, h.v[j].value);
			assert_null(strstr(h.v[j].value, "\nX-"));
		}
		annotate_hdrs_free(&h);
		buf_reset(&b);
		assert_int_equal(annotate_log(&b, "Q3", r, &opts), 0);
		/* one line, ending in the only newline */
		assert_int_equal(strchr(b.p, '\n') - b.p, (long)b.len - 1);
		assert_null(strchr(b.p, '\r'));
		report_free(r);
	}
	/* the SMTPUTF8 address is written %HH, quoted */
	r = dsn();
	add(r, addrs[2], "failed", "5.1.1", "550", "userunknown",
	    "userunknown", "address", 1, "gone");
	assert_int_equal(annotate_headers(r, &opts, &h), 0);
	assert_non_null(strstr(h.v[0].value,
	    "rcpt=\"%CE%B4%CE%BF%CE%BA@example.gr\""));
	annotate_hdrs_free(&h);
	report_free(r);
	free(big);
	free(words);
	buf_free(&b);
}

static void
test_rfc2047(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(annotate_hint_value(&b, "u@example.se",
	    "Adressen finns inte i katalogen. Kontrollera stavningen "
	    "och sluta skicka till den \xc3\xa5\xc3\xa4\xc3\xb6.", 15), 0);
	check_value("X-Bounce-Hint", b.p);
	assert_true(strncmp(b.p, "u@example.se:\n\t=?UTF-8?Q?Adressen_finns_",
	    39) == 0);
	assert_non_null(strstr(b.p, "=C3=A5=C3=A4=C3=B6"));
	buf_reset(&b);
	/* mostly non-ASCII text is written in B */
	assert_int_equal(annotate_hint_value(&b, "u@example.jp",
	    "\xe5\xae\x9b\xe5\x85\x88\xe4\xb8\x8d\xe6\x98\x8e"
	    "\xe5\xae\x9b\xe5\x85\x88\xe4\xb8\x8d\xe6\x98\x8e", 15), 0);
	assert_string_equal(b.p,
	    "u@example.jp: =?UTF-8?B?5a6b5YWI5LiN5piO5a6b5YWI5LiN5piO?=");
	buf_reset(&b);
	/* invalid UTF-8 is replaced, never passed through */
	assert_int_equal(annotate_hint_value(&b, "u@x", "bad \xff\xfe end",
	    15), 0);
	/* "bad \xef\xbf\xbd\xef\xbf\xbd end" is shorter in B */
	assert_string_equal(b.p, "u@x: =?UTF-8?B?YmFkIO+/ve+/vSBlbmQ=?=");
	check_value("X-Bounce-Hint", b.p);
	buf_free(&b);
}

static void
test_evidence_original(void **state)
{
	struct report *r = dsn();
	struct annotate_hdrs h = { NULL, 0, 0 };
	struct annotate_orig og = { "<abc@example.org>",
	    "2026-11-23T07:00:00Z", "<me@example.org>", 42 };
	struct annotate_opts o = { "mx", 20, 1, &og };
	struct rcpt *rc;
	struct buf b = BUF_INIT;

	(void)state;
	rc = add(r, "u@example.com", "failed", "5.4.1", "550", "authfailure",
	    "sender-auth-failed", "sender", 1, "Fix SPF.");
	rc->ev.spf = "fail";
	rc->ev.dkim = "none";
	rc->ev.mx = "eop";
	assert_int_equal(annotate_headers(r, &o, &h), 0);
	assert_int_equal(h.n, 3);
	assert_string_equal(h.v[0].value, "mx; rcpt=u@example.com; "
	    "status=5.4.1; reply=550;\n"
	    "\treason=authfailure; cause=sender-auth-failed; side=sender; "
	    "hard=yes;\n\tspf=fail; dkim=none; mx=eop");
	assert_string_equal(h.v[2].name, "X-Bounce-Original");
	assert_string_equal(h.v[2].value, "message-id=<abc@example.org>; "
	    "sent=2026-11-23T07:00:00Z;\n\tfrom=<me@example.org>");
	assert_int_equal(annotate_log(&b, "Q", r, &o), 0);
	assert_non_null(strstr(b.p, " spf=fail dkim=none mx=eop "
	    "orig_msgid=<abc@example.org> sent=2026-11-23T07:00:00Z ttb=42 "
	    "hint=\"Fix SPF.\"\n"));
	annotate_hdrs_free(&h);
	buf_free(&b);
	report_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_pair),
		cmocka_unit_test(test_log_line),
		cmocka_unit_test(test_which_rcpts),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_arf_autoreply),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_rfc2047),
		cmocka_unit_test(test_evidence_original),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
