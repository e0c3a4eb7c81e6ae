/*
 * test_bounce.c - bounce_decode()'s own options: the deadline and the relay
 *
 *	Loads the rules of the source tree (rules/, from ROOT or the current
 *	directory) and decodes bounces made here:
 *
 *	- max_classify_ms (bounce_opts.max_ms): a bounce with many
 *	  recipients decoded without a limit is classified in full; with a
 *	  limit of 1 ms it stops early, sets r->timed_out and r->error, and
 *	  the recipients not reached stay "undefined"; the run takes far
 *	  less than the unlimited one.  An ample limit changes nothing.
 *	  classify_report() under a deadline 1 ms away stops between
 *	  recipients.
 *	- outbound_relay (bounce_opts.outbound_relay): "Relay Access
 *	  Denied" from an Exchange Online host is our outbound connector
 *	  when our relay is Exchange Online (several spellings of the
 *	  setting), and stays relay-access-denied with no relay, a relay
 *	  that is not Exchange Online, a refusal by a host that is not
 *	  Exchange Online, or a refusal by the recipient's own tenant.
 *	- report_expired() without a deadline is always 0.
 */
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

#include "bounce.h"
#include "classify.h"
#include "report.h"
#include "rules.h"
#include "testrules.h"

static struct rules *rules;

static long long
ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Append to a malloc'd buffer. */
struct sb {
	char	*p;
	size_t	 len, cap;
};

static void sb_add(struct sb *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

static void
sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (b->len + (size_t)n < b->cap)
			break;
		b->cap = (b->cap + (size_t)n) * 2 + 256;
		assert_non_null(b->p = realloc(b->p, b->cap));
	}
	b->len += (size_t)n;
}

/*
 * An RFC 3464 report from Postfix with n recipients, all refused by host
 * rhost with diag.
 */
static char *
dsn(size_t n, const char *rcpt_domain, const char *rhost, const char *diag,
    size_t *len)
{
	struct sb b = { NULL, 0, 0 };
	size_t i;

	b.cap = 4096;
	assert_non_null(b.p = malloc(b.cap));
	sb_add(&b, "From: MAILER-DAEMON@mx.ours.test (Mail Delivery System)\n"
	    "To: alice@ours.test\n"
	    "Subject: Undelivered Mail Returned to Sender\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n"
	    "\tboundary=\"BB\"\n\n"
	    "--BB\nContent-Type: text/plain\n\n"
	    "This is the mail system at host mx.ours.test.\n\n"
	    "--BB\nContent-Type: message/delivery-status\n\n"
	    "Reporting-MTA: dns; mx.ours.test\n"
	    "X-Postfix-Sender: rfc822; alice@ours.test\n");
	for (i = 0; i < n; i++)
		sb_add(&b, "\nFinal-Recipient: rfc822; user%zu@%s\n"
		    "Action: failed\nStatus: %s\nRemote-MTA: dns; %s\n"
		    "Diagnostic-Code: smtp; %s\n", i, rcpt_domain,
		    strstr(diag, "5.4.1") ? "5.4.1" : "5.1.1", rhost, diag);
	sb_add(&b, "\n--BB\nContent-Type: message/rfc822\n\n"
	    "From: Alice <alice@ours.test>\nTo: user0@%s\n"
	    "Subject: hello\nMessage-ID: <m1@ours.test>\n\nHello.\n\n"
	    "--BB--\n", rcpt_domain);
	*len = b.len;
	return (b.p);
}

static size_t
classified(const struct report *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nrcpt; i++)
		if (strcmp(r->rcpt[i].reason, "undefined") != 0)
			n++;
	return (n);
}

static void
test_deadline(void **state)
{
	struct bounce_opts o;
	struct report *r;
	char *m;
	size_t len, n = 3000, i, done;
	long long t0, full, cut;

	(void)state;
	m = dsn(n, "example.net", "mx.example.net",
	    "550 5.1.1 <user@example.net>: Recipient address rejected: "
	    "User unknown in virtual mailbox table", &len);

	/* no limit: every recipient */
	memset(&o, 0, sizeof(o));
	t0 = ms_now();
	assert_non_null(r = bounce_decode(rules, m, len, &o));
	full = ms_now() - t0;
	assert_int_equal(r->bounce, 1);
	assert_int_equal(r->nrcpt, n);
	assert_int_equal(classified(r), n);
	assert_string_equal(r->rcpt[n - 1].reason, "userunknown");
	assert_int_equal(r->timed_out, 0);
	assert_string_equal(r->error, "");
	report_free(r);

	/* an ample limit changes nothing */
	o.max_ms = 60000;
	assert_non_null(r = bounce_decode(rules, m, len, &o));
	assert_int_equal(classified(r), n);
	assert_int_equal(r->timed_out, 0);
	assert_string_equal(r->error, "");
	report_free(r);

	/* 1 ms: stops early (here, before or in the classifier) */
	o.max_ms = 1;
	t0 = ms_now();
	assert_non_null(r = bounce_decode(rules, m, len, &o));
	cut = ms_now() - t0;
	assert_int_equal(r->timed_out, 1);
	assert_non_null(strstr(r->error, "max_classify_ms"));
	assert_true(classified(r) < n);
	for (i = 0; i < r->nrcpt; i++)	/* none left half done */
		assert_true(strcmp(r->rcpt[i].reason, "undefined") != 0 ||
		    (strcmp(r->rcpt[i].cause, "undefined") == 0 &&
		    strcmp(r->rcpt[i].side, "unknown") == 0));
	print_message("%zu recipients: %lld ms without a limit, %lld ms with "
	    "max_ms=1 (%zu parsed, %zu classified)\n", n, full, cut,
	    r->nrcpt, classified(r));
	/* the stage before the first check is not cut; the rest is */
	if (full >= 40)
		assert_true(cut < full);
	/* report_expired() keeps saying so */
	assert_int_equal(report_expired(r), 1);
	report_free(r);

	/* the classifier's loop itself: decoded in full, classified again
	   under a deadline 1 ms away */
	memset(&o, 0, sizeof(o));
	assert_non_null(r = bounce_decode(rules, m, len, &o));
	for (i = 0; i < r->nrcpt; i++) {
		r->rcpt[i].reason = r->rcpt[i].cause = r->rcpt[i].side = NULL;
		r->rcpt[i].hint = NULL;
	}
	r->deadline = ms_now() + 1;
	t0 = ms_now();
	classify_report(rules, r);
	cut = ms_now() - t0;
	assert_int_equal(r->timed_out, 1);
	for (done = 0, i = 0; i < r->nrcpt; i++)
		if (r->rcpt[i].reason != NULL)
			done++;
	print_message("classify_report with 1 ms left: %zu of %zu recipients "
	    "in %lld ms\n", done, r->nrcpt, cut);
	assert_true(done < n);
	assert_null(r->rcpt[n - 1].reason);
	if (full >= 40)		/* far from a full run (timing: loose) */
		assert_true(cut < full);
	report_free(r);
	free(m);

	/* no deadline: never expired */
	assert_non_null(r = report_new(0));
	assert_int_equal(report_expired(r), 0);
	assert_int_equal(report_expired(NULL), 0);
	report_free(r);
}

static void
test_relay(void **state)
{
	static const char *const eop_relays[] = {
		"contoso-com.mail.protection.outlook.com",
		"[contoso-com.mail.protection.outlook.com]:25",
		"contoso-com.mail.protection.outlook.com:25",
		"CONTOSO-COM.mail.protection.outlook.com.",
		"contoso-com.a1b2c3.mx.microsoft",
	};
	static const struct {
		const char *rdomain, *rhost, *relay, *cause, *side;
	} t[] = {
		/* our EOP relay refused: our connector */
		{ "fabrikam.example", "contoso-com.mail.protection.outlook.com",
		  "contoso-com.mail.protection.outlook.com",
		  "relay-access-denied-outbound-connector", "sender" },
		/* another EOP front end refused, our relay is EOP */
		{ "fabrikam.example", "bn8nam11ft066.mail.protection.outlook.com",
		  "contoso-com.mail.protection.outlook.com",
		  "relay-access-denied-outbound-connector", "sender" },
		/* the recipient's own tenant refused: theirs */
		{ "fabrikam.example",
		  "fabrikam-example.mail.protection.outlook.com",
		  "contoso-com.mail.protection.outlook.com",
		  "relay-access-denied", "recipient" },
		/* not refused by Exchange Online: says nothing */
		{ "fabrikam.example", "mx.fabrikam.example",
		  "contoso-com.mail.protection.outlook.com",
		  "relay-access-denied", "recipient" },
		/* our relay is not EOP, or there is none */
		{ "fabrikam.example", "contoso-com.mail.protection.outlook.com",
		  "smtp.ours.test", "relay-access-denied", "recipient" },
		{ "fabrikam.example", "contoso-com.mail.protection.outlook.com",
		  "", "relay-access-denied", "recipient" },
		{ "fabrikam.example", "contoso-com.mail.protection.outlook.com",
		  NULL, "relay-access-denied", "recipient" },
		/* FOPE is not EOP, but retired: a relay of ours that still
		 * names it is a stale connector (rules/exchange-online) */
		{ "fabrikam.example", "contoso-com.mail.protection.outlook.com",
		  "contoso-com.mail.eo.outlook.com",
		  "relay-access-denied-outbound-connector", "sender" },
		{ "fabrikam.example", "mx.fabrikam.example",
		  "mail.global.frontbridge.com",
		  "relay-access-denied-outbound-connector", "sender" },
	};
	struct bounce_opts o;
	struct report *r;
	char *m;
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		m = dsn(1, t[i].rdomain, t[i].rhost,
		    "550 5.4.1 Relay Access Denied", &len);
		memset(&o, 0, sizeof(o));
		o.outbound_relay = t[i].relay;
		assert_non_null(r = bounce_decode(rules, m, len, &o));
		assert_int_equal(r->nrcpt, 1);
		if (strcmp(r->rcpt[0].cause, t[i].cause) != 0 ||
		    strcmp(r->rcpt[0].side, t[i].side) != 0)
			fail_msg("%s refused by %s, relay %s: %s/%s, want "
			    "%s/%s", t[i].rdomain, t[i].rhost,
			    t[i].relay ? t[i].relay : "NULL",
			    r->rcpt[0].cause, r->rcpt[0].side, t[i].cause,
			    t[i].side);
		/* the hint names the relay only when it decided */
		if ((strstr(r->rcpt[0].hint, "outbound_relay") != NULL) !=
		    (strcmp(t[i].cause, "relay-access-denied") != 0))
			fail_msg("hint for case %zu: %s", i, r->rcpt[0].hint);
		report_free(r);
		free(m);
	}
	/* the spellings of an EOP relay */
	m = dsn(1, "fabrikam.example", "contoso-com.mail.protection.outlook.com",
	    "550 5.4.1 Relay Access Denied", &len);
	for (i = 0; i < sizeof(eop_relays) / sizeof(eop_relays[0]); i++) {
		memset(&o, 0, sizeof(o));
		o.outbound_relay = eop_relays[i];
		assert_non_null(r = bounce_decode(rules, m, len, &o));
		if (strcmp(r->rcpt[0].cause,
		    "relay-access-denied-outbound-connector") != 0)
			fail_msg("relay %s: %s", eop_relays[i],
			    r->rcpt[0].cause);
		assert_non_null(strstr(r->rcpt[0].hint, "outbound_relay "));
		assert_non_null(strstr(r->rcpt[0].hint, "is Exchange Online"));
		report_free(r);
	}
	free(m);
	/* not a relay denial: the relay changes nothing */
	m = dsn(1, "fabrikam.example", "contoso-com.mail.protection.outlook.com",
	    "550 5.1.1 User unknown", &len);
	memset(&o, 0, sizeof(o));
	o.outbound_relay = eop_relays[0];
	assert_non_null(r = bounce_decode(rules, m, len, &o));
	assert_string_equal(r->rcpt[0].reason, "userunknown");
	assert_null(strstr(r->rcpt[0].hint, "outbound_relay"));
	report_free(r);
	free(m);
}

static int
setup(void **state)
{
	(void)state;
	return ((rules = tu_rules_load("test_bounce")) == NULL ? -1 : 0);
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
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_relay),
	};

	return (cmocka_run_group_tests(tests, setup, teardown));
}
