/*
 * test_format.c - the bounce-format parsers (format.c, fmt_*.c)
 *
 *	Table-driven on small hand-made messages: RFC 3464 fields (per
 *	message and per recipient, continuation lines, missing blank lines,
 *	rfc822; types, <> around addresses, RFC 2047 in Diagnostic-Code),
 *	recipients in bounce order, which status wins, ARF, RFC 3834 and
 *	its look-alikes, a few text families read with the real
 *	rules/formats/ data, messages that are not reports, hostile input
 *	(too many recipients, binary garbage), the helpers (status and
 *	reply code finders, address cleaning) and the loader's errors.
 *	Runs from the project root (tests/run does), where rules/ is.
 */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "fmt.h"
#include "format.h"
#include "mime.h"
#include "report.h"
#include "rules.h"
#include "rulefile.h"

#include "format_fixture.h"
#include "testutil.h"


struct want_rcpt {
	const char	*addr;
	const char	*action;
	const char	*status;
	const char	*reply;
	const char	*diag;	/* substring of the diagnostic, or NULL */
	const char	*hint;	/* reason_hint, or NULL for none */
};

struct tcase {
	const char	*name;
	const char	*msg;
	int		 ret;		/* format_parse() */
	const char	*kind;
	const char	*format;
	const char	*reporting_mta;
	size_t		 nrcpt;
	struct want_rcpt rc[4];
};

#define DSN_HEAD \
	"From: MAILER-DAEMON@mx.example.org\n" \
	"To: sender@example.com\n" \
	"Subject: Delivery Status Notification (Failure)\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/report; report-type=delivery-status;\n" \
	"\tboundary=\"BB\"\n" \
	"\n" \
	"--BB\n" \
	"Content-Type: text/plain\n" \
	"\n" \
	"Your message could not be delivered.\n" \
	"\n" \
	"--BB\n" \
	"Content-Type: message/delivery-status\n" \
	"\n"

#define DSN_TAIL \
	"\n--BB\n" \
	"Content-Type: message/rfc822\n" \
	"\n" \
	"From: sender@example.com\n" \
	"To: a@example.net\n" \
	"Subject: hello\n" \
	"Message-ID: <m1@example.com>\n" \
	"\n" \
	"hi\n" \
	"--BB--\n"

static const struct tcase cases[] = {
	{ "rfc3464 two recipients, continuation, order",
	  DSN_HEAD
	  "Reporting-MTA: dns; mx.example.org\n"
	  "X-Postfix-Queue-ID: 4XyZ1p2q3rz\n"
	  "Original-Envelope-Id: ENV123\n"
	  "Arrival-Date: Mon, 23 Nov 2026 07:00:00 +0000\n"
	  "\n"
	  "Final-Recipient: rfc822; <b@example.net>\n"
	  "Original-Recipient: rfc822;B@example.net\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n"
	  "Remote-MTA: dns; mx.example.net\n"
	  "Diagnostic-Code: smtp; 550 5.1.1 <b@example.net>: Recipient\n"
	  "    address rejected: User unknown\n"
	  "Last-Attempt-Date: Mon, 23 Nov 2026 07:00:01 +0000\n"
	  "\n"
	  "Final-Recipient: RFC822; a@example.net\n"
	  "Action: delayed\n"
	  "Status: 4.2.2\n"
	  "Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\n"
	  DSN_TAIL,
	  1, "dsn", "rfc3464", "mx.example.org", 2, {
		{ "b@example.net", "failed", "5.1.1", "550",
		  "Recipient address rejected: User unknown", NULL },
		{ "a@example.net", "delayed", "4.2.2", "452", "Mailbox full",
		  NULL } } },
	{ "rfc3464 missing blank line, field names in any case",
	  DSN_HEAD
	  "reporting-mta: dns; mx.example.org\n"
	  "final-recipient: rfc822; one@example.net\n"
	  "action: failed\n"
	  "status: 5.2.2\n"
	  "final-recipient: rfc822; two@example.net\n"
	  "action: failed\n"
	  "status: 5.1.2\n"
	  DSN_TAIL,
	  1, "dsn", "rfc3464", "mx.example.org", 2, {
		{ "one@example.net", "failed", "5.2.2", "", NULL, NULL },
		{ "two@example.net", "failed", "5.1.2", "", NULL, NULL } } },
	{ "rfc3464 Action before Final-Recipient, Original after it",
	  DSN_HEAD
	  "Reporting-MTA: dns; mx.example.org\n"
	  "\n"
	  "Action: failed\n"
	  "Final-Recipient: rfc822; x@example.net\n"
	  "Original-Recipient: rfc822; y@example.net\n"
	  "Diagnostic-Code: smtp; 451 4.3.0 try again later\n"
	  "Status: 4.3.0\n"
	  DSN_TAIL,
	  1, "dsn", "rfc3464", "mx.example.org", 1, {
		{ "x@example.net", "failed", "4.3.0", "451", "try again",
		  NULL } } },
	{ "status: a generic Status gives way to the diagnostic's",
	  DSN_HEAD
	  "Final-Recipient: rfc822; g@example.net\n"
	  "Action: failed\n"
	  "Status: 5.0.0\n"
	  "Diagnostic-Code: smtp; 550 5.1.1 no such user\n"
	  DSN_TAIL,
	  1, "dsn", "rfc3464", "", 1, {
		{ "g@example.net", "failed", "5.1.1", "550", NULL, NULL } } },
	{ "status: 5.4.14 in the text is not 5.4.1, none stated",
	  DSN_HEAD
	  "Final-Recipient: rfc822; h@example.net\n"
	  "Action: failed\n"
	  "Diagnostic-Code: smtp; 554 5.4.14 Hop count exceeded\n"
	  DSN_TAIL,
	  1, "dsn", "rfc3464", "", 1, {
		{ "h@example.net", "failed", "5.4.14", "554", NULL,
		  NULL } } },
	{ "rfc3464 RFC 2047 words in Diagnostic-Code",
	  DSN_HEAD
	  "Final-Recipient: rfc822; j@example.net\n"
	  "Action: failed\n"
	  "Status: 5.2.2\n"
	  "Diagnostic-Code: smtp; 552 =?UTF-8?Q?bo=C3=AEte_pleine?=\n"
	  DSN_TAIL,
	  1, "dsn", "rfc3464", "", 1, {
		{ "j@example.net", "failed", "5.2.2", "552",
		  "bo\xc3\xaete pleine", NULL } } },
	{ "rfc3464 delivered recipient",
	  DSN_HEAD
	  "Final-Recipient: rfc822; ok@example.net\n"
	  "Action: deliverable\n"
	  "Status: 2.1.5\n"
	  "Diagnostic-Code: smtp; 250 2.1.5 Ok\n"
	  DSN_TAIL,
	  1, "dsn", "rfc3464", "", 1, {
		{ "ok@example.net", "delivered", "2.1.5", "250", NULL,
		  NULL } } },
	{ "arf: one recipient per Original-Rcpt-To",
	  "From: fbl@isp.example\n"
	  "Subject: FW: complaint\n"
	  "MIME-Version: 1.0\n"
	  "Content-Type: multipart/report; report-type=feedback-report;\n"
	  " boundary=\"AA\"\n"
	  "\n"
	  "--AA\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "This is an email abuse report.\n"
	  "--AA\n"
	  "Content-Type: message/feedback-report\n"
	  "\n"
	  "Feedback-Type: abuse\n"
	  "User-Agent: SomeGenerator/1.0\n"
	  "Version: 1\n"
	  "Original-Rcpt-To: <first@example.net>\n"
	  "Original-Rcpt-To: second@example.net\n"
	  "Reporting-MTA: dns; fbl.isp.example\n"
	  "--AA\n"
	  "Content-Type: message/rfc822\n"
	  "\n"
	  "From: sender@example.com\n"
	  "To: first@example.net\n"
	  "\n"
	  "buy now\n"
	  "--AA--\n",
	  1, "arf", "arf", "fbl.isp.example", 2, {
		{ "first@example.net", "", "", "", "abuse report",
		  "feedback" },
		{ "second@example.net", "", "", "", NULL, "feedback" } } },
	{ "rfc3834 auto-reply",
	  "From: Jane <jane@example.net>\n"
	  "To: sender@example.com\n"
	  "Subject: Out of Office: hello\n"
	  "Auto-Submitted: auto-replied\n"
	  "\n"
	  "I am away until Monday.\n",
	  1, "autoreply", "rfc3834", "", 1, {
		{ "jane@example.net", "", "", "", "away until Monday",
		  "vacation" } } },
	{ "auto-replied bounce notification is not a vacation",
	  "From: postmaster@example.net\n"
	  "To: sender@example.com\n"
	  "Subject: email bounce notification\n"
	  "Auto-Submitted: auto-replied\n"
	  "\n"
	  "Your message was rejected.\n",
	  0, "", "", "", 0, { { NULL, NULL, NULL, NULL, NULL, NULL } } },
	{ "an ordinary message is not a report",
	  "From: a@example.com\n"
	  "To: b@example.net\n"
	  "Subject: lunch?\n"
	  "\n"
	  "Final answer: yes.\n",
	  0, "", "", "", 0, { { NULL, NULL, NULL, NULL, NULL, NULL } } },
	{ "qmail text, two recipients in order",
	  "From: MAILER-DAEMON@mx.example.org\n"
	  "To: sender@example.com\n"
	  "Subject: failure notice\n"
	  "\n"
	  "Hi. This is the qmail-send program at mx.example.org.\n"
	  "I'm afraid I wasn't able to deliver your message to the "
	  "following addresses.\n"
	  "This is a permanent error; I've given up. Sorry it didn't work "
	  "out.\n"
	  "\n"
	  "<zed@example.net>:\n"
	  "192.0.2.1 does not like recipient.\n"
	  "Remote host said: 550 5.1.1 No such user\n"
	  "Giving up on 192.0.2.1.\n"
	  "\n"
	  "<amy@example.net>:\n"
	  "Sorry, I couldn't find any host named example.net. (#5.1.2)\n"
	  "\n"
	  "--- Below this line is a copy of the message.\n"
	  "\n"
	  "From: sender@example.com\n"
	  "To: zed@example.net, amy@example.net\n"
	  "\n"
	  "hi\n",
	  1, "dsn", "qmail", "", 2, {
		{ "zed@example.net", "failed", "5.1.1", "550",
		  "No such user", "userunknown" },
		{ "amy@example.net", "failed", "5.1.2", "", "any host named",
		  "hostunknown" } } },
	{ "exim text, indented error below the address",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
	  "To: sender@example.com\n"
	  "Subject: Mail delivery failed: returning message to sender\n"
	  "X-Failed-Recipients: kit@example.net\n"
	  "\n"
	  "This message was created automatically by mail delivery "
	  "software.\n"
	  "\n"
	  "A message that you sent could not be delivered to one or more "
	  "of its\n"
	  "recipients. This is a permanent error. The following address(es) "
	  "failed:\n"
	  "\n"
	  "  kit@example.net\n"
	  "    SMTP error from remote mail server after RCPT TO:"
	  "<kit@example.net>:\n"
	  "    host mx.example.net [192.0.2.9]: 550 5.1.1 unknown user\n"
	  "\n"
	  "------ This is a copy of the message, including all the headers. "
	  "------\n"
	  "From: sender@example.com\n"
	  "\n"
	  "hi\n",
	  1, "dsn", "exim", "", 1, {
		{ "kit@example.net", "failed", "5.1.1", "550",
		  "unknown user", NULL } } },
	{ "exim text, recipients only in X-Failed-Recipients",
	  "From: Mail Delivery System <Mailer-Daemon@mx.example.org>\n"
	  "Subject: Mail delivery failed: returning message to sender\n"
	  "X-Failed-Recipients: p@example.net, q@example.net\n"
	  "\n"
	  "This message was created automatically by mail delivery "
	  "software.\n"
	  "\n"
	  "    mailbox is full: retry timeout exceeded\n"
	  "\n"
	  "------ This is a copy of the message, including all the headers. "
	  "------\n",
	  /* "retry timeout exceeded": Exim gave up, a final failure */
	  1, "dsn", "exim", "", 2, {
		{ "p@example.net", "failed", "", "", "mailbox is full",
		  "mailboxfull" },
		{ "q@example.net", "failed", "", "", "mailbox is full",
		  "mailboxfull" } } },
	{ "sendmail transcript fills a numeric Diagnostic-Code",
	  "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>\n"
	  "Subject: Returned mail: see transcript for details\n"
	  "MIME-Version: 1.0\n"
	  "Content-Type: multipart/report; report-type=delivery-status;\n"
	  "\tboundary=\"SM\"\n"
	  "\n"
	  "--SM\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "   ----- Transcript of session follows -----\n"
	  "554 5.3.0 unknown mailer error 255\n"
	  "\n"
	  "--SM\n"
	  "Content-Type: message/delivery-status\n"
	  "\n"
	  "Reporting-MTA: dns; mx.example.org\n"
	  "\n"
	  "Final-Recipient: RFC822; u@example.org\n"
	  "Action: failed\n"
	  "Status: 5.0.0\n"
	  "Diagnostic-Code: X-Unix; 255\n"
	  "\n"
	  "--SM--\n",
	  1, "dsn", "sendmail", "mx.example.org", 1, {
		{ "u@example.org", "failed", "5.3.0", "554",
		  "unknown mailer error", NULL } } },
	{ "dragonfly, recipient on the marker line",
	  "From: MAILER-DAEMON <>\n"
	  "Subject: Mail delivery failed\n"
	  "\n"
	  "This is the DragonFly Mail Agent v0.13 at df.example.org.\n"
	  "\n"
	  "There was an error delivering your mail to <r@example.net>.\n"
	  "\n"
	  "mx.example.net [192.0.2.7] did not like our RCPT TO:\n"
	  "550 5.7.1 <r@example.net>: Relay access denied\n"
	  "\n"
	  "Message headers follow.\n",
	  1, "dsn", "dragonfly", "", 1, {
		{ "r@example.net", "failed", "5.7.1", "550",
		  "Relay access denied", NULL } } },
	/* read by the fallback (fmt_fallback.c), tried before the last resort */
	{ "last resort: a plain notice naming the recipient",
	  "From: postmaster@mx.example.org\n"
	  "Subject: Undeliverable: hello\n"
	  "\n"
	  "Did not reach the following recipient: lost@example.net\n"
	  "\n"
	  "Original message follows\n"
	  "From: sender@example.com\n",
	  1, "dsn", "fallback", "", 1, {
		{ "lost@example.net", "failed", "", "",
		  "Did not reach the following recipient", NULL } } },
	{ "Apple Mail unsubscribe is an opt-out report",
	  "From: someone@example.net\n"
	  "To: opt-out-1@example.org\n"
	  "Subject: unsubscribe\n"
	  "Auto-Submitted: auto-replied\n"
	  "X-Apple-Unsubscribe: true\n"
	  "\n"
	  "Apple Mail sent this email to unsubscribe.\n",
	  1, "arf", "arf", "", 1, {
		{ "someone@example.net", "", "", "", "to unsubscribe",
		  "feedback" } } },
	{ "an auto-reply that says the inbox is gone",
	  "From: <noreply@example.net>\n"
	  "Subject: AutoResponse: hello\n"
	  "Auto-Submitted: auto-replied\n"
	  "\n"
	  "This inbox is no longer in use. Please write to info@.\n",
	  1, "autoreply", "rfc3834", "", 1, {
		{ "noreply@example.net", "", "", "", "no longer in use",
		  "suspend" } } },
	{ "a newsletter from postmaster is not a report",
	  "From: postmaster@example.org\n"
	  "Subject: Mail delivery changes next week\n"
	  "\n"
	  "Dear users,\n"
	  "write to help@example.org with questions.\n",
	  0, "", "", "", 0, { { NULL, NULL, NULL, NULL, NULL, NULL } } },
};

static void
test_cases(void **state)
{
	const struct tcase *t;
	const struct want_rcpt *w;
	struct report *r;
	size_t i, k;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = &cases[i];
		print_message("case: %s\n", t->name);
		r = fixture_decode(t->msg, strlen(t->msg), &ret);
		assert_int_equal(ret, t->ret);
		assert_int_equal(r->bounce, t->ret == 1);
		assert_string_equal(r->kind, t->kind);
		assert_string_equal(r->format, t->format);
		assert_string_equal(r->reporting_mta, t->reporting_mta);
		assert_int_equal(r->nrcpt, t->nrcpt);
		for (k = 0; k < t->nrcpt; k++) {
			w = &t->rc[k];
			fixture_check_rcpt(&r->rcpt[k], &(struct fixture_want){
			    .addr = w->addr, .action = w->action,
			    .status = w->status, .reply = w->reply,
			    .diag = w->diag, .hint = w->hint });
		}
		report_free(r);
	}
}

/* The per-message fields of the first case. */
static void
test_permessage(void **state)
{
	struct report *r;
	int ret;

	(void)state;
	r = fixture_decode(cases[0].msg, strlen(cases[0].msg), &ret);
	assert_int_equal(ret, 1);
	assert_string_equal(r->orig.queue_id, "4XyZ1p2q3rz");
	assert_string_equal(r->orig.envelope_id, "ENV123");
	assert_string_equal(r->arrival_date,
	    "Mon, 23 Nov 2026 07:00:00 +0000");
	assert_string_equal(r->rcpt[0].orig_addr, "B@example.net");
	assert_string_equal(r->rcpt[0].remote_mta, "mx.example.net");
	assert_string_equal(r->rcpt[0].last_attempt,
	    "Mon, 23 Nov 2026 07:00:01 +0000");
	assert_non_null(r->original);
	assert_string_equal(mime_hdr_get(r->original, "Message-ID"),
	    "<m1@example.com>");
	report_free(r);
}

/* An inline original (qmail) is found and its headers summarised. */
static void
test_inline_original(void **state)
{
	const struct tcase *t = NULL;
	struct report *r;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (t == NULL && strcmp(cases[i].format, "qmail") == 0)
			t = &cases[i];
	assert_non_null(t);
	r = fixture_decode(t->msg, strlen(t->msg), &ret);
	assert_int_equal(ret, 1);
	assert_null(r->original);
	assert_non_null(r->original_text);
	assert_true(strncmp(r->original_text, "\nFrom: sender", 13) == 0 ||
	    strncmp(r->original_text, "From: sender", 12) == 0);
	assert_string_equal(r->orig.to, "zed@example.net, amy@example.net");
	report_free(r);
}

/* More recipients than REPORT_MAX_RCPT: capped, said, no crash. */
static void
test_too_many(void **state)
{
	struct report *r;
	char *msg, *p;
	size_t n = REPORT_MAX_RCPT + 50, i, cap;
	int ret;

	(void)state;
	cap = strlen(DSN_HEAD) + n * 64 + 64;
	assert_non_null(msg = malloc(cap));
	p = msg + sprintf(msg, "%s", DSN_HEAD);
	for (i = 0; i < n; i++)
		p += sprintf(p, "Final-Recipient: rfc822; u%zu@example.net\n"
		    "Status: 5.1.1\n\n", i);
	r = fixture_decode(msg, (size_t)(p - msg), &ret);
	assert_int_equal(ret, 1);
	assert_int_equal(r->nrcpt, REPORT_MAX_RCPT);
	assert_string_not_equal(r->error, "");
	report_free(r);
	free(msg);
}

/* Binary garbage and NUL bytes: not a report, no crash. */
static void
test_garbage(void **state)
{
	struct report *r;
	char buf[8192];
	unsigned x = 12345;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(buf); i++) {
		x = x * 1103515245 + 12345;
		buf[i] = (char)(x >> 16);
	}
	r = fixture_decode(buf, sizeof(buf), &ret);
	assert_true(ret == 0 || ret == 1);
	report_free(r);
	/* a DSN whose part is cut in the middle of a field */
	r = fixture_decode(DSN_HEAD "Final-Recipient: rfc822; cut@exa",
	    strlen(DSN_HEAD) + 32, &ret);
	assert_int_equal(ret, 1);
	assert_int_equal(r->nrcpt, 1);
	assert_string_equal(r->rcpt[0].addr, "cut@exa");
	report_free(r);
}

static void
test_status_find(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "550 5.1.1 user unknown", "5.1.1" },
		{ "554 5.4.14 hop count", "5.4.14" },
		{ "5.0.0 then 5.2.2", "5.2.2" },
		{ "only 5.0.0 here", "5.0.0" },
		{ "4.4.7 then 4.7.1 refused", "4.7.1" },
		{ "from 192.5.1.1 only", "" },
		{ "version v5.1.1", "" },
		{ "1.5.4.1 is nothing", "" },
		{ "5.4.1x", "" },
		{ "#5.5.0", "5.5.0" },
		{ "", "" },
	};
	char out[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int ok = fmt_status_find(t[i].in, out);

		assert_int_equal(ok, t[i].out[0] != '\0');
		assert_string_equal(out, t[i].out);
	}
}

static void
test_reply_find(void **state)
{
	static const struct { const char *in; int cls; const char *out; } t[] = {
		{ "550-5.7.1 blocked", 0, "550" },
		{ "host 192.0.2.550 said hi", 0, "" },
		{ "554 <a@b>... 550 Host unknown", 0, "550" },
		{ "421 try later", 5, "" },
		{ "250 2.1.5 Ok", -1, "" },
		{ "250 2.1.5 Ok", 2, "250" },
		{ "X-Unix; 550", 0, "" },
		{ "port 5500", 0, "" },
	};
	char out[4];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		fmt_reply_find(t[i].in, t[i].cls, out);
		assert_string_equal(out, t[i].out);
	}
}

static void
test_command_find(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "550 5.1.1 unknown user (in reply to RCPT TO command)",
		    "RCPT" },
		{ "host x said: 554 rejected (in reply to end of DATA command)",
		    "DATA" },
		{ "conversation failed AFTER  DATA", NULL },
		{ "after Data", "DATA" },
		{ "after MAIL FROM, later after RCPT TO", "RCPT" },
		{ "in reply to HELO; then after ehlo", "HELO" },
		{ "lost connection after initial connection", "CONN" },
		{ "The most progress was RCPT TO", "RCPT" },
		{ "Remote host did not like our final DATA", "DATA" },
		{ "did not like our mail from", "MAIL" },
		{ "your mail; our reply to you after all", NULL },
		{ "", NULL },
		{ "after", NULL },
		{ "afte", NULL },
	};
	char big[1100];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *got = fmt_command_find(R, t[i].in);

		if (t[i].out == NULL)
			assert_null(got);
		else
			assert_string_equal(got, t[i].out);
	}
	/* only the first 1023 bytes are read */
	memset(big, 'x', sizeof(big));
	memcpy(big + 1023 - 10, "after data", 10);
	big[1023] = '\0';
	assert_string_equal(fmt_command_find(R, big), "DATA");
	memcpy(big + 1023 - 9, "after data", 10);
	big[sizeof(big) - 1] = '\0';
	assert_null(fmt_command_find(R, big));
}

/* DSN fields in plain text: only names at the start of a line count. */
static void
test_rfc3464_text(void **state)
{
	static const struct { const char *text; int n; } t[] = {
		{ "Final-Recipient: rfc822; a@b.example\nAction: failed\n", 1 },
		{ "x Final-Recipient: rfc822; a@b.example\nAction: failed\n",
		    0 },
		{ "Final-Recipient: rfc822; a@b.example\nx Status: 5.1.1\n",
		    0 },
		{ "intro\nfinal-recipient: rfc822; a@b.example\n"
		    "STATUS: 5.1.1\n", 1 },
		{ "> Final-Recipient: rfc822; a@b.example\n> Action: failed\n",
		    1 },
		{ "Final-Recipient: rfc822; a@b.example\r\nAction: failed\r\n",
		    1 },
		{ "Action: failed\nFinal-Recipient: rfc822; a@b.example\n", 1 },
		{ "Final-Recipient: rfc822; a@b.example\n", 0 },
		{ "", 0 },
	};
	struct fmt_ctx c;
	struct report *r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_non_null(r = report_new(0));
		memset(&c, 0, sizeof(c));
		c.r = r;
		c.a = r->a;
		c.text = t[i].text;
		c.textlen = strlen(t[i].text);
		assert_int_equal(fmt_rfc3464_text(&c), t[i].n);
		report_free(r);
	}
}

static void
test_addr(void **state)
{
	static const struct { const char *in, *out; } t[] = {
		{ "rfc822; <a@example.net>", "a@example.net" },
		{ "RFC822;b@example.net", "b@example.net" },
		{ "\"Jane\" <jane@example.net>", "jane@example.net" },
		{ "  c@example.net.", "c@example.net" },
		{ "utf-8; d@example.net", "d@example.net" },
		{ "localpart", "localpart" },
	};
	struct arena *a = arena_new(0);
	size_t i;

	(void)state;
	assert_non_null(a);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		assert_string_equal(fmt_addr(a, t[i].in, strlen(t[i].in)),
		    t[i].out);
	arena_free(a);
}

/* White space collapsed as the plain byte loop does it. */
static void
ref_collapse(char *d, const char *prev, const char *s, size_t n)
{
	char *o = d;
	size_t i;
	int sp = 0;

	if (prev != NULL && *prev != '\0') {
		o = stpcpy(d, prev);
		sp = 1;
	}
	for (i = 0; i < n && s[i] != '\0'; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == 127) {
			sp = 1;
			continue;
		}
		if (sp && o > d)
			*o++ = ' ';
		sp = 0;
		*o++ = (char)c;
	}
	*o = '\0';
}

/*
 * fmt_oneline() and fmt_append() (16 bytes a step where they can) against
 * the byte loop, on random text of blanks, line ends, NUL, DEL and words,
 * at every length around the step.
 */
static void
test_oneline(void **state)
{
	static const char alpha[] = "ab  \t\n\r\0\177\200xyz";
	struct arena *a = arena_new(0);
	char s[200], want[500], prev[64];
	const char *got;
	unsigned long seed = 12345;
	size_t n, i, round;

	(void)state;
	assert_non_null(a);
	for (round = 0; round < 4000; round++) {
		n = round % 90;
		for (i = 0; i < n; i++) {
			seed = seed * 1103515245 + 12345;
			s[i] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		s[n] = 'q';	/* past the end: must not be read as text */
		ref_collapse(want, NULL, s, n);
		assert_string_equal(fmt_oneline(a, s, n), want);
		snprintf(prev, sizeof(prev), "word%zu", round % 3 ? round : 0);
		ref_collapse(want, round % 5 ? prev : "", s, n);
		got = fmt_append(a, round % 5 ? prev : "", s, n);
		assert_string_equal(got, want);
	}
	arena_free(a);
}

/*
 * fmt_rx_match() rules subjects out before PCRE2 runs (the bytes a line
 * pattern can start with, the shortest match): it must agree with PCRE2
 * itself on every subject, multi-line ones, empty lines, a last LF,
 * caseless letters that UTF folds with non-ASCII ones (Kelvin sign).
 */
static void
test_rx_prefilter(void **state)
{
	static const char *const pats[] = {
		"^\\s+(?:In:\\s++(?!RCPT)|Out:\\s+[23]\\d\\d[ -])",
		"(?i)^k\\w",
		"^(?<diag>.+)$",
		"^$",
		"^\\s*$",
		".*ab",
		"^[ \\t]{2}(?<addr>[^\\s@:<>]+)$",
		"(?i)^\\W*ab",
		"^(?=a)",
		"^x|^$",
		"^(?!a)",
		"^\\bk",
		"ab$",
	};
	static const char *const bits[] = {
		"a", "b", "k", "K", "x", " ", "\t", "\n", "\r",
		"\xe2\x84\xaa", "\xff", "In:", "Out: 250 ", "RCPT",
	};
	pcre2_match_data *md = pcre2_match_data_create(8, NULL);
	char s[64], err[128];
	unsigned long seed = 777;
	size_t p, round, n, k;
	struct fmt_rx *rx;
	pcre2_code *re;
	PCRE2_SIZE eo;
	int ec, want;

	(void)state;
	assert_non_null(md);
	for (p = 0; p < sizeof(pats) / sizeof(pats[0]); p++) {
		rx = fmt_rx_compile(pats[p], err, sizeof(err));
		assert_non_null(rx);
		re = pcre2_compile((PCRE2_SPTR)pats[p], PCRE2_ZERO_TERMINATED,
		    PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_MULTILINE,
		    &ec, &eo, NULL);
		assert_non_null(re);
		/* as fmt_util.c does (JIT and interpreter differ at times) */
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
		for (round = 0; round < 3000; round++) {
			n = 0;
			for (k = round % 7; k > 0; k--) {
				const char *b;

				seed = seed * 1103515245 + 12345;
				b = bits[(seed >> 16) % (sizeof(bits) /
				    sizeof(bits[0]))];
				if (n + strlen(b) >= sizeof(s))
					break;
				memcpy(s + n, b, strlen(b));
				n += strlen(b);
			}
			want = pcre2_match(re, (PCRE2_SPTR)s, n, 0, 0, md,
			    NULL) >= 0;
			if (fmt_rx_match(rx, s, n, NULL) != want)
				fail_msg("pattern %s, subject \"%.*s\": %d",
				    pats[p], (int)n, s, want);
		}
		pcre2_code_free(re);
		fmt_rx_free(rx);
	}
	pcre2_match_data_free(md);
	fmt_thread_done();
}

/* The loader reports FILE:LINE: message for broken family files. */
static void
test_load_errors(void **state)
{
	static const struct { const char *body, *want; } t[] = {
		{ "family ok\nrcpt (unclosed\nheader From x\n", ":2: bad pattern" },
		{ "family ok\nbogus x\n", ":2: unknown directive" },
		{ "rcpt x\n", ":1: the first directive" },
		{ "family ok\nhint nosuchreason x\nbody x\n",
		  ":2: hint: unknown reason" },
		{ "family ok\nrcpt (?<addr>x)\n", ":2: no detection" },
		{ "family ok\nhook nosuchhook\n", ":2: hook: no C hook" },
	};
	char dir[] = "/tmp/test_format.XXXXXX", path[512], err[512];
	struct rules ru;
	size_t i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/formats", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/formats/x.fmt", dir);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		tu_put(path, t[i].body);
		memset(&ru, 0, sizeof(ru));
		ru.dir = dir;
		ru.vocab = R->vocab;
		err[0] = '\0';
		assert_int_equal(format_table_load(&ru, err, sizeof(err)), -1);
		if (strstr(err, "x.fmt") == NULL ||
		    strstr(err, t[i].want) == NULL)
			fail_msg("error \"%s\" lacks \"%s\"", err, t[i].want);
	}
	/* a good one loads */
	tu_put(path, "family ok\nheader From x\nrcpt ^(?<addr>\\S+@\\S+)$\n");
	memset(&ru, 0, sizeof(ru));
	ru.dir = dir;
	ru.vocab = R->vocab;
	assert_int_equal(format_table_load(&ru, err, sizeof(err)), 0);
	assert_int_equal(ru.formats->n, 1);
	format_table_free(ru.formats);
	unlink(path);
	snprintf(path, sizeof(path), "%s/formats", dir);
	rmdir(path);
	rmdir(dir);
}

/* Engine rules on a private rules directory. */
static const char *
write_family(const char *dir, const char *name, const char *body)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/formats/%s", dir, name);
	tu_put(path, body);
	return (path);
}

static void
test_engine(void **state)
{
	static const char msg[] =
	    "From: daemon@example.org\n"
	    "Subject: bounce\n"
	    "\n"
	    "intro\n"
	    "FAILED: one@example.net because it is gone\n"
	    "  still gone\n"
	    "FAILED: two@example.net quota\n"
	    "FAILED: one@example.net again\n"
	    "=== original ===\n"
	    "To: x@example.net\n";
	char dir[] = "/tmp/test_format.XXXXXX", path[512], err[512];
	struct mime_limits lim = { 32, 1000 };
	struct rules ru, *saved = R;
	struct report *r;
	int ret;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/formats", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	/* "aaa" comes first, matches, finds no recipient line */
	write_family(dir, "aaa.fmt", "family aaa\norder 1\n"
	    "header Subject ^bounce$\nrcpt ^NOPE (?<addr>\\S+)$\n");
	/* "bbb" is tried next; its text rules find two (one repeated) */
	write_family(dir, "bbb.fmt", "family bbb\norder 2\n"
	    "header Subject ^bounce$\nbegin ^intro$\n"
	    "rcpt ^FAILED: (?<addr>\\S+@\\S+) (?<diag>.*)$\n"
	    "cont indent\noriginal ^=== original ===$\n"
	    "hint mailboxfull quota\n");
	/* "ccc" would match too, but only where there is a DSN part */
	write_family(dir, "ccc.fmt", "family ccc\norder 0\nscope dsn\n"
	    "header Subject ^bounce$\nrcpt ^FAILED: (?<addr>\\S+)\n");
	memset(&ru, 0, sizeof(ru));
	ru.dir = dir;
	ru.vocab = R->vocab;
	assert_int_equal(format_table_load(&ru, err, sizeof(err)), 0);
	assert_int_equal(ru.formats->n, 3);
	R = &ru;
	r = report_new(0);
	assert_non_null(r);
	assert_int_equal(mime_parse(r->a, msg, sizeof(msg) - 1, &lim,
	    &r->mime), 0);
	ret = format_parse(R, r);
	R = saved;
	assert_int_equal(ret, 1);
	assert_string_equal(r->format, "bbb");
	assert_int_equal(r->nrcpt, 2);
	assert_string_equal(r->rcpt[0].addr, "one@example.net");
	assert_string_equal(r->rcpt[0].diag,
	    "because it is gone still gone");
	assert_null(r->rcpt[0].reason_hint);
	assert_string_equal(r->rcpt[1].addr, "two@example.net");
	assert_string_equal(r->rcpt[1].reason_hint, "mailboxfull");
	assert_non_null(r->original_text);
	assert_string_equal(r->orig.to, "x@example.net");
	report_free(r);
	format_table_free(ru.formats);
	unlink(write_family(dir, "aaa.fmt", ""));
	unlink(write_family(dir, "bbb.fmt", ""));
	unlink(write_family(dir, "ccc.fmt", ""));
	rmdir(path);
	rmdir(dir);
}

/*
 * Format-family patterns run with the limits of every rules pattern
 * (rx_limits()): a pattern that backtracks without bound gives up, as a
 * non-match, in about a millisecond instead of running for seconds (with
 * PCRE2's defaults, ten million steps, and 2^30 paths here).  Timed on
 * CLOCK_MONOTONIC; the bound is loose for a loaded machine and ASan.
 */
static void
test_rx_limits(void **state)
{
	static const char *bad[] = {
		"^(?<addr>(a+)+)$",		/* nested quantifiers */
		"(?<diag>(a|aa)+)b",		/* overlapping alternatives */
		"(?<status>(?:a*)*)c",
	};
	char subj[64], err[256];
	struct fmt_rx *rx;
	struct timespec t0, t1;
	long ms;
	size_t i;
	pcre2_code *re;

	(void)state;
	memset(subj, 'a', 40);
	strcpy(subj + 40, "!");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rx = fmt_rx_compile(bad[i], err, sizeof(err));
		assert_non_null(rx);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_int_equal(fmt_rx_match(rx, subj, strlen(subj), NULL), 0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms > 2000)
			fail_msg("%s took %ld ms: no match limit", bad[i], ms);
		fmt_rx_free(rx);
	}
	assert_non_null(rx_limits());
	/*
	 * A pattern that matches only after about 2^20 backtracking steps:
	 * PCRE2's default limit (ten million) lets it match, ours (200,000)
	 * stops it, so a match here means the format path runs unlimited.
	 */
	{
		const char *slow = "^(?:(?<addr>a+)+c|a+b)";
		pcre2_match_data *md = pcre2_match_data_create(4, NULL);
		PCRE2_SIZE off;
		int ec;

		memset(subj, 'a', 20);
		strcpy(subj + 20, "b");
		rx = fmt_rx_compile(slow, err, sizeof(err));
		assert_non_null(rx);
		re = pcre2_compile((PCRE2_SPTR)slow, PCRE2_ZERO_TERMINATED,
		    RX_OPTIONS, &ec, &off, NULL);
		assert_non_null(re);
		assert_true(pcre2_match(re, (PCRE2_SPTR)subj, strlen(subj), 0,
		    PCRE2_NO_JIT, md, NULL) > 0);	/* unlimited: a match */
		assert_int_equal(fmt_rx_match(rx, subj, strlen(subj), NULL),
		    0);				/* limited: gives up */
		pcre2_code_free(re);
		pcre2_match_data_free(md);
		fmt_rx_free(rx);
	}
	/* compile limits: parentheses nested deeper than 64 are refused */
	{
		char deep[300];

		memset(deep, '(', 100);
		deep[100] = 'a';
		memset(deep + 101, ')', 100);
		deep[201] = '\0';
		re = rx_compile_msg(deep, strlen(deep), err, sizeof(err));
		assert_null(re);
		assert_non_null(strstr(err, "parentheses"));
		deep[0] = '\0';
		memset(deep, '(', 60);
		deep[60] = 'a';
		memset(deep + 61, ')', 60);
		deep[121] = '\0';
		re = rx_compile_msg(deep, strlen(deep), err, sizeof(err));
		assert_non_null(re);
		pcre2_code_free(re);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_permessage),
		cmocka_unit_test(test_inline_original),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_status_find),
		cmocka_unit_test(test_reply_find),
		cmocka_unit_test(test_command_find),
		cmocka_unit_test(test_rfc3464_text),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_oneline),
		cmocka_unit_test(test_rx_prefilter),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_engine),
		cmocka_unit_test(test_rx_limits),
	};

	return (cmocka_run_group_tests(tests, fixture_setup, fixture_teardown));
}
