/*
 * test_evidence.c - the evidence module (evidence.c, ev_*.c)
 *
 *	Table-driven checks of the pure parts (resolver address syntax,
 *	Exchange Online host names, alignment, Received parsing, which
 *	recipients get lookups), then, against the hermetic DNS server of
 *	tests/lib/dnsd.sh (started here; those tests are skipped when
 *	dnsmasq is missing): the resolver and its bounded cache, SPF results,
 *	MX sets, DKIM on messages signed here with libopendkim and the test
 *	key, evidence_run() on a parsed bounce, several threads sharing one
 *	context, and the deadline against a server that never answers.
 *	Run from the project root (tests/run does), or with ROOT set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>
#include <opendkim/dkim.h>

#include "config.h"
#include "ev.h"
#include "evidence.h"
#include "mime.h"
#include "report.h"
#include "rules.h"
#include "testrules.h"
#include "testutil.h"

static char	 dns_dir[256];
static char	 dns_addr[64];		/* "127.0.0.1:PORT", or "" */
static char	 bh_addr[64];		/* the black hole, or "" */
static char	 root[1024];

/* The repository's rules (the Exchange Online host names), loaded once. */
static struct rules *the_rules;
static char rules_err[512];

static void
rules_once(void)
{
	the_rules = rules_load(tu_rules_dir(), rules_err, sizeof(rules_err));
}

static const struct rules *
test_rules(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, rules_once);
	if (the_rules == NULL)
		fail_msg("%s", rules_err);
	return (the_rules);
}

/* ---- pure functions ---- */

static void
test_parse_server(void **state)
{
	static const struct { const char *s; int ok; int port; } t[] = {
		{ "127.0.0.1:5353", 1, 5353 },
		{ "127.0.0.1", 1, 53 },
		{ "[::1]:53", 1, 53 },
		{ "[::1]:5300", 1, 5300 },
		{ "::1", 1, 53 },
		{ "  10.0.0.1:53", 1, 53 },
		{ "", 0, 0 },
		{ "localhost:53", 0, 0 },
		{ "127.0.0.1:0", 0, 0 },
		{ "127.0.0.1:65536", 0, 0 },
		{ "127.0.0.1:53x", 0, 0 },
		{ "127.0.0.1:", 0, 0 },
		{ "[::1", 0, 0 },
		{ "[::1]x", 0, 0 },
		{ "[]:53", 0, 0 },
		{ "300.1.1.1", 0, 0 },
	};
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;
	int port;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = ev_dns_parse_server(t[i].s, &ss, &len);

		if (rc != (t[i].ok ? 0 : -1))
			fail_msg("\"%s\": got %d", t[i].s, rc);
		if (!t[i].ok)
			continue;
		port = ss.ss_family == AF_INET ?
		    ntohs(((struct sockaddr_in *)&ss)->sin_port) :
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		assert_int_equal(port, t[i].port);
	}
}

static void
test_names(void **state)
{
	static const struct { const char *h; int eop; } mx[] = {
		{ "contoso-com.mail.protection.outlook.com", 1 },
		{ "contoso-com.mail.protection.outlook.com.", 1 },
		{ "CONTOSO-COM.Mail.Protection.Outlook.COM", 1 },
		{ "contoso-com.a1b2c3.mx.microsoft", 1 },
		{ "mail.protection.outlook.com", 0 },
		{ "contoso-com.mail.eo.outlook.com", 0 },	/* FOPE */
		{ "evilmail.protection.outlook.com.example", 0 },
		{ "xmx.microsoft", 0 },
		{ "mx1.example.net", 0 },
		{ "", 0 },
	};
	static const struct { const char *d; int ok; } dom[] = {
		{ "example.com", 1 }, { "a.b-c.example", 1 },
		{ "sel._domainkey.example.com", 1 }, { "example.com.", 1 },
		{ "localhost", 0 }, { "", 0 }, { ".example.com", 0 },
		{ "exa mple.com", 0 }, { "a..b", 0 }, { "ex\"ample.com", 0 },
		{ "%{l}.example.com", 0 },
	};
	static const struct { const char *f, *s; int al; } al[] = {
		{ "example.com", "example.com", 1 },
		{ "example.com", "EXAMPLE.COM", 1 },
		{ "mail.example.com", "example.com", 1 },
		{ "example.com", "news.example.com", 1 },
		{ "example.com", "example.net", 0 },
		{ "badexample.com", "example.com", 0 },
		{ "example.com", "com", 0 },
		{ "", "example.com", 0 },
		/* DMARC relaxed: the organisational domains (libpsl) */
		{ "mail.example.com", "news.example.com", 1 },	/* both sides */
		{ "a.b.example.com", "c.example.com", 1 },
		{ "Mail.Example.COM.", "example.com", 1 },
		{ "example.co.uk", "co.uk", 0 },		/* a suffix */
		{ "co.uk", "co.uk", 0 },
		{ "mail.example.co.uk", "news.example.co.uk", 1 },
		{ "example.co.uk", "other.co.uk", 0 },
		{ "alice.github.io", "bob.github.io", 0 },	/* private */
		{ "www.alice.github.io", "alice.github.io", 1 },
		{ "alice.github.io", "github.io", 0 },
		{ "example.com", "example.com.au", 0 },
		/* IDN: U-labels and A-labels of the same name */
		{ "b\xc3\xbc" "cher.de", "mail.xn--bcher-kva.de", 1 },
		{ "news.b\xc3\xbc" "cher.de", "shop.b\xc3\xbc" "cher.de", 1 },
		{ "b\xc3\xbc" "cher.de", "bucher.de", 0 },
		/* an IDN public suffix: 公司.cn (xn--55qx5d.cn) */
		{ "a.\xe5\x85\xac\xe5\x8f\xb8.cn", "b.xn--55qx5d.cn", 0 },
		{ "x.a.\xe5\x85\xac\xe5\x8f\xb8.cn", "a.xn--55qx5d.cn", 1 },
		{ "example.com", "exa mple.com", 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(mx) / sizeof(mx[0]); i++)
		if (ev_mx_is_eop(test_rules(), mx[i].h) != mx[i].eop)
			fail_msg("ev_mx_is_eop(%s)", mx[i].h);
	for (i = 0; i < sizeof(dom) / sizeof(dom[0]); i++)
		if (ev_domain_ok(dom[i].d) != dom[i].ok)
			fail_msg("ev_domain_ok(%s)", dom[i].d);
	for (i = 0; i < sizeof(al) / sizeof(al[0]); i++)
		if (ev_aligned(al[i].f, al[i].s) != al[i].al)
			fail_msg("ev_aligned(%s, %s)", al[i].f, al[i].s);
	{
		char out[256];
		const char *o;

		o = ev_org_domain("mail.example.co.uk", out, sizeof(out));
		assert_non_null(o);
		assert_string_equal(o, "example.co.uk");
		assert_null(ev_org_domain("co.uk", out, sizeof(out)));
		assert_null(ev_org_domain("github.io", out, sizeof(out)));
		o = ev_org_domain("www.B\xc3\xbc" "cher.de", out, sizeof(out));
		assert_non_null(o);
		assert_string_equal(o, "xn--bcher-kva.de");
	}
}

static void
test_received(void **state)
{
	static const struct {
		const char *v, *ip;
		int auth;
	} t[] = {
		{ "from out.example.com (out.example.com [192.0.2.25]) by "
		    "mx.example.net (Postfix) with ESMTPS id X", "192.0.2.25", 0 },
		{ "from laptop (unknown [10.1.2.3]) by out.example.com "
		    "(Postfix) with ESMTPSA id Y", "10.1.2.3", 1 },
		{ "from h ([IPv6:2001:db8::25]) by mx with ESMTP",
		    "2001:db8::25", 0 },
		{ "from DM6PR.prod.outlook.com (2603:10b6:5:1b0::21) by "
		    "BN8PR.prod.outlook.com (2603:10b6:408:8e::13) with "
		    "Microsoft SMTP Server", "2603:10b6:5:1b0::21", 0 },
		{ "from [198.51.100.9] (helo=x) by mx with esmtpa (Exim)",
		    "198.51.100.9", 1 },
		{ "from x by y with LMTPSA", NULL, 1 },
		{ "by mx.example.net (Postfix, from userid 0) id Z", NULL, 0 },
		{ "from x (y [not.an.ip]) by z", NULL, 0 },
		{ "from x (y) by z ([192.0.2.1])", NULL, 0 },
		{ "", NULL, 0 },
	};
	char ip[64];
	size_t i;
	int auth, found;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ip[0] = '\0';
		found = evidence_received_ip(t[i].v, ip, sizeof(ip), &auth);
		if (found != (t[i].ip != NULL) ||
		    (found && strcmp(ip, t[i].ip) != 0))
			fail_msg("\"%s\": found %d ip %s", t[i].v, found, ip);
		if (auth != t[i].auth)
			fail_msg("\"%s\": auth %d", t[i].v, auth);
	}
}

static void
test_relevant(void **state)
{
	static const struct {
		const char *action, *status, *diag;
		int want;
	} t[] = {
		{ "failed", "5.4.1", "550 5.4.1 Relay Access Denied", 1 },
		{ "delayed", "4.4.1", "No answer from host", 1 },
		{ "failed", "5.7.1", "rejected", 1 },
		{ "failed", "5.7.26", "DMARC", 1 },
		{ "failed", "5.1.1", "User unknown", 0 },
		{ "failed", "5.2.2", "Mailbox full", 0 },
		{ "delivered", "2.0.0", "ok", 0 },
		{ "delivered", "5.4.1", "", 0 },
		{ "relayed", "", "", 0 },
		{ "failed", "", "550 5.4.1 Access denied", 1 },
		{ "failed", "", "550 5.4.14 Hop count exceeded", 1 },
		{ "failed", "", "554 rejected, SPF fail", 1 },
		{ "failed", "", "550 relaying denied", 1 },
		{ "failed", "", "550 no such user", 0 },
		{ "", "5.4.1", "", 1 },
		{ "failed", "5.1.1", "user unknown; SPF pass", 1 },
	};
	struct rcpt rc;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&rc, 0, sizeof(rc));
		rc.action = t[i].action;
		snprintf(rc.status, sizeof(rc.status), "%s", t[i].status);
		rc.diag = t[i].diag;
		if (evidence_relevant(&rc) != t[i].want)
			fail_msg("%s %s \"%s\"", t[i].action, t[i].status,
			    t[i].diag);
	}
}

static void
test_null_context(void **state)
{
	struct report *r = report_new(0);
	struct rcpt *rc;
	struct config c;

	(void)state;
	assert_non_null(r);
	rc = report_add_rcpt(r);
	rc->addr = "bob@eop.test";
	rc->action = "failed";
	snprintf(rc->status, sizeof(rc->status), "5.4.1");
	rc->diag = "Relay Access Denied";
	evidence_run(NULL, test_rules(), r);
	assert_string_equal(r->rcpt[0].ev.spf, "skipped");
	assert_string_equal(r->rcpt[0].ev.dkim, "skipped");
	assert_string_equal(r->rcpt[0].ev.mx, "skipped");
	assert_string_equal(r->rcpt[0].ev.note, "");
	report_free(r);

	config_defaults(&c);
	c.dns.spf = c.dns.dkim = c.dns.mx = 0;
	assert_null(evidence_new(&c));
	config_free(&c);
	config_defaults(&c);
	c.dns.resolver = strdup("not-an-address");
	c.dns.spf = c.dns.dkim = c.dns.mx = 1;
	assert_null(evidence_new(&c));
	config_free(&c);
}

/* ---- against the test DNS server ---- */

#define NEED_DNS() do {							\
	if (dns_addr[0] == '\0') {					\
		skip();							\
		return;							\
	}								\
} while (0)

static void
test_resolver_cache(void **state)
{
	struct ev_answer *a;
	struct ev_dns *d;
	char err[256], name[64];
	int i, rc;

	(void)state;
	NEED_DNS();
	assert_non_null(d = ev_dns_new(dns_addr, 4, err, sizeof(err)));
	rc = ev_dns_query(d, "mixed.test", EV_T_MX, ev_now_ms() + 2000, &a);
	assert_int_equal(rc, EV_DNS_OK);
	assert_int_equal(a->nrr, 2);
	ev_answer_free(a);
	assert_int_equal(ev_dns_cache_count(d), 1);
	/* again: from the cache, even with no time left */
	rc = ev_dns_query(d, "MIXED.test", EV_T_MX, ev_now_ms() - 1, &a);
	assert_int_equal(rc, EV_DNS_OK);
	assert_int_equal(a->nrr, 2);
	ev_answer_free(a);
	assert_int_equal(ev_dns_query(d, "gone.test", EV_T_MX,
	    ev_now_ms() + 2000, &a), EV_DNS_NXDOMAIN);
	ev_answer_free(a);
	assert_int_equal(ev_dns_query(d, "nomx.test", EV_T_MX,
	    ev_now_ms() + 2000, &a), EV_DNS_NODATA);
	ev_answer_free(a);
	assert_int_equal(ev_dns_query(d, "99.2.0.192.in-addr.arpa",
	    EV_T_PTR, ev_now_ms() + 2000, &a), EV_DNS_OK);
	assert_string_equal(a->rr[0].data, "out.spf-ptr.test");
	ev_answer_free(a);
	assert_int_equal(ev_dns_query(d, "mail.spf-mx.test", EV_T_A,
	    ev_now_ms() + 2000, &a), EV_DNS_OK);
	assert_string_equal(a->rr[0].data, "198.51.100.7");
	ev_answer_free(a);
	/* names that must never be sent */
	assert_int_equal(ev_dns_query(d, "bad name.test", EV_T_TXT,
	    ev_now_ms() + 2000, &a), EV_DNS_ERROR);
	ev_answer_free(a);
	/* the cache stays bounded */
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "n%d.test", i);
		ev_dns_query(d, name, EV_T_TXT, ev_now_ms() + 2000, &a);
		ev_answer_free(a);
		assert_true(ev_dns_cache_count(d) <= 4);
	}
	ev_dns_free(d);
}

static void
test_spf(void **state)
{
	static const struct { const char *s, *ip, *want; } t[] = {
		{ "alice@spf-pass.test", "192.0.2.25", "pass" },
		{ "alice@spf-pass.test", "203.0.113.5", "fail" },
		{ "spf-pass.test", "203.0.113.5", "fail" },
		{ "alice@spf-soft.test", "203.0.113.5", "softfail" },
		{ "alice@spf-neutral.test", "203.0.113.5", "neutral" },
		{ "alice@spf-none.test", "203.0.113.5", "none" },
		{ "alice@gone.test", "203.0.113.5", "none" },
		{ "alice@spf-perm.test", "203.0.113.5", "permerror" },
		{ "alice@spf-mx.test", "198.51.100.7", "pass" },
		{ "alice@spf-mx.test", "198.51.100.8", "fail" },
		{ "alice@spf-ptr.test", "192.0.2.99", "pass" },
		{ "alice@spf-ptr.test", "192.0.2.98", "fail" },
		{ "alice@spf-pass.test", "2001:db8::1", "fail" },
		{ "%{l}@spf-pass.test", "192.0.2.25", "pass" },
		{ "alice@bad domain.test", "192.0.2.25", "skipped" },
		{ "alice@spf-pass.test", "999.1.1.1", "skipped" },
		{ "alice@", "192.0.2.25", "skipped" },
	};
	struct ev_spf_info si;
	struct ev_dns *d;
	char err[256];
	size_t i;
	const char *got;

	(void)state;
	NEED_DNS();
	assert_non_null(d = ev_dns_new(dns_addr, 0, err, sizeof(err)));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = ev_spf_check(d, t[i].s, t[i].ip, ev_now_ms() + 2000, &si);
		if (strcmp(got, t[i].want) != 0)
			fail_msg("spf %s from %s: %s, want %s", t[i].s,
			    t[i].ip, got, t[i].want);
	}
	/* no time left: skipped, not temperror */
	assert_string_equal(ev_spf_check(d, "a@spf-soft.test", "192.0.2.1",
	    ev_now_ms() - 1, &si), "skipped");
	ev_dns_free(d);
}

static void
test_mx(void **state)
{
	static const struct { const char *d, *want; int n; } t[] = {
		{ "eop.test", "eop", 1 },
		{ "eopdane.test", "eop", 1 },
		{ "mixed.test", "eop-mixed", 2 },
		{ "other.test", "other", 1 },
		{ "nomx.test", "none", 0 },
		{ "gone.test", "none", 0 },
		{ "bad_domain", "skipped", 0 },
		{ "www.example.com", "skipped", 0 },	/* REFUSED */
	};
	struct ev_mx_info in;
	struct ev_dns *d;
	char err[256];
	size_t i;
	const char *got;

	(void)state;
	NEED_DNS();
	assert_non_null(d = ev_dns_new(dns_addr, 0, err, sizeof(err)));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		got = ev_mx_check(d, test_rules(), t[i].d, ev_now_ms() + 2000, &in);
		if (strcmp(got, t[i].want) != 0 || in.n != t[i].n)
			fail_msg("mx %s: %s/%d, want %s/%d", t[i].d, got, in.n,
			    t[i].want, t[i].n);
	}
	ev_mx_check(d, test_rules(), "mixed.test", ev_now_ms() + 2000, &in);
	assert_string_equal(in.first, "mixed-test.mail.protection.outlook.com");
	assert_string_equal(in.foreign, "mx1.other.test");
	ev_dns_free(d);
}

/* The zone has bücher.test only as xn--bcher-kva.test. */
static void
test_idn_dns(void **state)
{
	struct ev_mx_info in;
	struct ev_spf_info si;
	struct ev_answer *a = NULL;
	struct ev_dns *d;
	char err[256];
	int64_t dl;

	(void)state;
	NEED_DNS();
	assert_non_null(d = ev_dns_new(dns_addr, 0, err, sizeof(err)));
	dl = ev_now_ms() + 2000;
	assert_int_equal(ev_dns_query(d, "b\xc3\xbc" "cher.test", EV_T_TXT, dl,
	    &a), EV_DNS_OK);
	assert_string_equal(a->rr[0].data, "v=spf1 ip4:192.0.2.0/24 -all");
	ev_answer_free(a);
	/* not IDNA: an error, no query */
	assert_int_equal(ev_dns_query(d, "\xff\xfe.test", EV_T_TXT, dl, &a),
	    EV_DNS_ERROR);
	ev_answer_free(a);
	assert_string_equal(ev_mx_check(d, test_rules(), "b\xc3\xbc" "cher.test", dl, &in),
	    "eop");
	assert_string_equal(in.first,
	    "xn--bcher-kva-test.mail.protection.outlook.com");
	assert_string_equal(ev_mx_check(d, test_rules(), "B\xc3\x9c" "CHER.test", dl, &in),
	    "eop");
	assert_string_equal(ev_spf_check(d, "alice@b\xc3\xbc" "cher.test",
	    "192.0.2.25", dl, &si), "pass");
	assert_string_equal(si.domain, "b\xc3\xbc" "cher.test");
	assert_string_equal(ev_spf_check(d, "alice@b\xc3\xbc" "cher.test",
	    "203.0.113.5", dl, &si), "fail");
	assert_string_equal(ev_spf_check(d, "b\xc3\xbc" "cher.test",
	    "203.0.113.5", dl, &si), "fail");
	ev_dns_free(d);
}

/* ---- internationalised domains: U-labels looked up as A-labels ---- */

static void
test_idn_names(void **state)
{
	static const struct { const char *in, *out; int rc; } t[] = {
		{ "b\xc3\xbc" "cher.test", "xn--bcher-kva.test", 0 },
		{ "B\xc3\x9c" "CHER.test", "xn--bcher-kva.test", 0 },	/* mapped */
		{ "m\xc3\xbcnchen.de", "xn--mnchen-3ya.de", 0 },
		{ "fa\xc3\x9f.de", "xn--fa-hia.de", 0 },	/* IDNA2008 */
		{ "\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9"
		  "\xe3\x83\x88", "xn--r8jz45g.xn--zckzah", 0 },
		{ "example.com", "example.com", 0 },	/* ASCII: as is */
		{ "Example.COM", "Example.COM", 0 },
		{ "xn--bcher-kva.test", "xn--bcher-kva.test", 0 },
		{ "\xff\xfe.test", "", -1 },		/* not UTF-8 */
		{ "a\xe2\x80\x8b" "b.test", "ab.test", 0 },	/* ZWSP: UTS 46
								   drops it */
		{ "\xe2\x98\x83.test", "", -1 },	/* snowman: disallowed */
		{ "", "", 0 },
	};
	char out[256], small[8];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = ev_domain_ascii(t[i].in, out, sizeof(out));
		if (rc != t[i].rc || (rc == 0 && strcmp(out, t[i].out) != 0))
			fail_msg("ev_domain_ascii(%s): %d \"%s\", want %d "
			    "\"%s\"", t[i].in, rc, out, t[i].rc, t[i].out);
	}
	/* does not fit: -1 and "" */
	assert_int_equal(ev_domain_ascii("b\xc3\xbc" "cher.test", small,
	    sizeof(small)), -1);
	assert_string_equal(small, "");
	assert_int_equal(ev_domain_ascii("example.com", small, sizeof(small)),
	    -1);
	assert_int_equal(ev_domain_ascii(NULL, out, sizeof(out)), -1);
	/* alignment compares the A-label forms */
	assert_int_equal(ev_aligned("b\xc3\xbc" "cher.test",
	    "xn--bcher-kva.test"), 1);
	assert_int_equal(ev_aligned("mail.xn--bcher-kva.test",
	    "b\xc3\xbc" "cher.test"), 1);
	assert_int_equal(ev_aligned("b\xc3\xbc" "cher.test", "bucher.test"), 0);
}

/* ---- DKIM, with messages signed here ---- */

/* msg (LF line ends, no folding) signed by d=dom s=sel1; malloc'd. */
static char *
sign(const char *msg, const char *dom)
{
	DKIM_LIB *lib;
	DKIM *dk;
	DKIM_STAT st;
	char path[1200], *key, *out, line[1000], *crlf;
	unsigned char sig[4096];
	const char *p, *e, *body;
	size_t kn, n, o;

	snprintf(path, sizeof(path), "%s/tests/fixtures/evidence/sel1.private",
	    root);
	assert_non_null(key = tu_slurp(path, &kn));
	assert_non_null(lib = dkim_init(NULL, NULL));
	dk = dkim_sign(lib, (const unsigned char *)"t", NULL,
	    (unsigned char *)key, (const unsigned char *)"sel1",
	    (const unsigned char *)dom, DKIM_CANON_RELAXED, DKIM_CANON_RELAXED,
	    DKIM_SIGN_RSASHA256, -1, &st);
	assert_non_null(dk);
	for (p = msg; *p != '\n'; p = e + 1) {
		e = strchr(p, '\n');
		n = (size_t)(e - p);
		memcpy(line, p, n);
		assert_int_equal(dkim_header(dk, (unsigned char *)line, n),
		    DKIM_STAT_OK);
	}
	body = p + 1;
	assert_int_equal(dkim_eoh(dk), DKIM_STAT_OK);
	assert_non_null(crlf = malloc(strlen(body) * 2 + 1));
	for (o = 0, p = body; *p; p++) {
		if (*p == '\n')
			crlf[o++] = '\r';
		crlf[o++] = *p;
	}
	assert_int_equal(dkim_body(dk, (unsigned char *)crlf, o),
	    DKIM_STAT_OK);
	assert_int_equal(dkim_eom(dk, NULL), DKIM_STAT_OK);
	assert_int_equal(dkim_getsighdr(dk, sig, sizeof(sig), 16),
	    DKIM_STAT_OK);
	n = strlen((char *)sig) + strlen(msg) + 64;
	assert_non_null(out = malloc(n));
	snprintf(out, n, "DKIM-Signature: %s\n%s", (char *)sig, msg);
	/* the library folds with CRLF: keep LF only */
	for (p = out, o = 0; *p; p++)
		if (*p != '\r')
			out[o++] = *p;
	out[o] = '\0';
	free(crlf);
	free(key);
	dkim_free(dk);
	dkim_close(lib);
	return (out);
}

static const char msg_a[] =
    "From: Alice <alice@dkim.test>\n"
    "To: bob@other.test\n"
    "Subject: unit test\n"
    "Date: Mon, 23 Nov 2026 08:00:00 +0000\n"
    "Message-ID: <unit@dkim.test>\n"
    "\n"
    "Hello Bob,\n"
    "this body is signed.\n";

static const char msg_idn[] =
    "From: Alice <alice@b\xc3\xbc" "cher.test>\n"
    "To: bob@other.test\n"
    "Subject: unit test\n"
    "Date: Mon, 23 Nov 2026 08:00:00 +0000\n"
    "Message-ID: <unit@xn--bcher-kva.test>\n"
    "\n"
    "Hello Bob,\n"
    "this body is signed.\n";

/* d= in A-labels, From in U-labels: aligned, the key found. */
static void
test_idn_dkim(void **state)
{
	struct ev_dkim_info in;
	struct ev_dkim *k;
	struct ev_dns *d;
	char err[256], *s;
	int64_t dl;

	(void)state;
	NEED_DNS();
	assert_non_null(d = ev_dns_new(dns_addr, 0, err, sizeof(err)));
	assert_non_null(k = ev_dkim_new());
	s = sign(msg_idn, "xn--bcher-kva.test");
	dl = ev_now_ms() + 2000;
	assert_string_equal(ev_dkim_check(k, d, s, strlen(s), 0, 0,
	    "b\xc3\xbc" "cher.test", dl, &in), "pass");
	assert_string_equal(in.domain, "xn--bcher-kva.test");
	assert_string_equal(ev_dkim_check(k, d, s, strlen(s), 0, 0,
	    "bucher.test", dl, &in), "none");
	free(s);
	ev_dkim_free(k);
	ev_dns_free(d);
}

static void
test_dkim(void **state)
{
	/* the signed message with FIND changed to REPL at OFF; CUT: the
	 * message is known to be cut (its body may be short) */
	static const struct {
		const char	*what;
		const char	*find;
		size_t		 off;
		const char	*repl;
		int		 cut;
		const char	*want;
	} tamper[] = {
		{ "body changed", "is signed", 0, "IS", 0, "fail" },
		{ "body changed, known to be cut", "is signed", 0, "IS", 1,
		  "unverifiable" },
		{ "a signed header changed", "Subject: unit", 9, "UNIT", 0,
		  "fail" },
		{ "a key that is not published", "s=sel1", 0, "s=nope", 0,
		  "unverifiable" },
	};
	struct ev_dkim_info in;
	struct ev_dkim *k;
	struct ev_dns *d;
	char err[256], *s, *t, *p;
	int64_t dl;
	size_t i;

	(void)state;
	NEED_DNS();
	assert_non_null(d = ev_dns_new(dns_addr, 0, err, sizeof(err)));
	assert_non_null(k = ev_dkim_new());
	s = sign(msg_a, "dkim.test");
	dl = ev_now_ms() + 2000;
	assert_string_equal(ev_dkim_check(k, d, s, strlen(s), 0, 0,
	    "dkim.test", dl, &in), "pass");
	assert_string_equal(in.domain, "dkim.test");
	assert_string_equal(in.selector, "sel1");
	/* relaxed alignment: From a subdomain */
	assert_string_equal(ev_dkim_check(k, d, s, strlen(s), 0, 0,
	    "mail.dkim.test", dl, &in), "pass");
	/* not aligned with the From domain */
	assert_string_equal(ev_dkim_check(k, d, s, strlen(s), 0, 0,
	    "example.net", dl, &in), "none");
	assert_string_equal(in.other, "dkim.test");
	/* headers only */
	assert_string_equal(ev_dkim_check(k, d, s, strlen(s), 1, 0,
	    "dkim.test", dl, &in), "signed");
	assert_string_equal(ev_dkim_check(k, d, msg_a, strlen(msg_a), 1, 0,
	    "dkim.test", dl, &in), "none");
	/* CRLF line ends verify the same */
	{
		char *c = malloc(strlen(s) * 2 + 1);
		size_t o = 0;

		for (p = s; *p; p++) {
			if (*p == '\n')
				c[o++] = '\r';
			c[o++] = *p;
		}
		assert_string_equal(ev_dkim_check(k, d, c, o, 0, 0,
		    "dkim.test", dl, &in), "pass");
		free(c);
	}
	for (i = 0; i < sizeof(tamper) / sizeof(tamper[0]); i++) {
		print_message("dkim: %s\n", tamper[i].what);
		assert_non_null(t = strdup(s));
		assert_non_null(p = strstr(t, tamper[i].find));
		memcpy(p + tamper[i].off, tamper[i].repl,
		    strlen(tamper[i].repl));
		assert_string_equal(ev_dkim_check(k, d, t, strlen(t), 0,
		    tamper[i].cut, "dkim.test", dl, &in), tamper[i].want);
		free(t);
	}
	/* body gone entirely (headers and an empty line) */
	assert_non_null(t = strdup(s));
	p = strstr(t, "\n\n");
	p[2] = '\0';
	assert_string_equal(ev_dkim_check(k, d, t, strlen(t), 0, 0,
	    "dkim.test", dl, &in), "unverifiable");
	free(t);
	/* out of time before the key came: skipped */
	assert_string_equal(ev_dkim_check(k, d, s, strlen(s), 0, 0,
	    "dkim.test", ev_now_ms() - 1, &in), "skipped");
	/* unsigned, and garbage */
	assert_string_equal(ev_dkim_check(k, d, msg_a, strlen(msg_a), 0, 0,
	    "dkim.test", dl, &in), "none");
	{
		static const char g[] = "DKIM-Signature: d=dkim.test; garbage\n"
		    "\nbody\n";

		assert_string_equal(ev_dkim_check(k, d, g, strlen(g), 0, 0,
		    "dkim.test", dl, &in), "unverifiable");
	}
	free(s);
	ev_dkim_free(k);
	ev_dns_free(d);
}

/* ---- evidence_run() on a parsed bounce ---- */

static struct config *
conf_for(const char *resolver, int timeout)
{
	static struct config c;

	static const char *ours[] = { "spf-pass.test", "spf-soft.test",
	    "spf-neutral.test", "spf-perm.test", "spf-mx.test",
	    "spf-ptr.test", "spf-none.test", "dkim.test", "bücher.test" };
	size_t i;

	config_defaults(&c);
	c.dns.resolver = strdup(resolver);
	c.dns.timeout_ms = timeout;
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		c.our_domains[c.n_our_domains++] = strdup(ours[i]);
	c.dns.spf = c.dns.dkim = c.dns.mx = 1;
	return (&c);
}

static const struct mime_part *
find_original(const struct mime_part *p)
{
	const struct mime_part *q;

	for (; p != NULL; p = p->next) {
		if ((strcmp(p->type, "message/rfc822") == 0 ||
		    strcmp(p->type, "text/rfc822-headers") == 0) && p->child)
			return (p->child);
		if ((q = find_original(p->child)) != NULL)
			return (q);
	}
	return (NULL);
}

/* A report from a test bounce, with recipients given by hand. */
static struct report *
load(const char *name, char **buf)
{
	struct report *r;
	struct mime_limits lim = { 32, 1000 };
	char path[1200];
	size_t n;

	snprintf(path, sizeof(path), "%s/tests/fixtures/evidence/%s", root, name);
	assert_non_null(*buf = tu_slurp(path, &n));
	assert_non_null(r = report_new(0));
	assert_int_equal(mime_parse(r->a, *buf, n, &lim, &r->mime), 0);
	r->original = find_original(r->mime.root);
	assert_non_null(r->original);
	return (r);
}

static struct rcpt *
rcpt(struct report *r, const char *addr, const char *status,
    const char *diag)
{
	struct rcpt *rc = report_add_rcpt(r);

	rc->addr = addr;
	rc->action = "failed";
	snprintf(rc->status, sizeof(rc->status), "%s", status);
	rc->diag = diag;
	return (rc);
}

static void
test_run(void **state)
{
	/* one signed bounce each: SPF (NULL: not checked) and DKIM */
	static const struct {
		const char	*file;
		const char	*spf;
		const char	*dkim;
	} dk[] = {
		{ "dkim-pass.eml", "pass", "pass" },
		{ "dkim-headers.eml", NULL, "signed" },
		{ "dkim-cut.eml", NULL, "unverifiable" },
	};
	struct evidence_ctx *e;
	struct config *c;
	struct report *r;
	char *buf;
	size_t i;

	(void)state;
	NEED_DNS();
	c = conf_for(dns_addr, 2000);
	assert_non_null(e = evidence_new(c));

	r = load("multi.eml", &buf);
	rcpt(r, "bob@eop.test", "5.4.1", "550 5.4.1 Relay Access Denied");
	rcpt(r, "dave@other.test", "5.4.1", "550 5.4.1 Relay Access Denied");
	rcpt(r, "erin@other.test", "5.1.1", "550 5.1.1 User unknown");
	rcpt(r, "frank@mixed.test", "5.7.1", "550 5.7.1 Rejected");
	evidence_run(e, test_rules(), r);
	assert_string_equal(r->rcpt[0].ev.spf, "fail");
	assert_string_equal(r->rcpt[0].ev.dkim, "none");
	assert_string_equal(r->rcpt[0].ev.mx, "eop");
	assert_non_null(strstr(r->rcpt[0].ev.note, "eop.test"));
	assert_string_equal(r->rcpt[1].ev.mx, "other");
	assert_string_equal(r->rcpt[2].ev.spf, "skipped");
	assert_string_equal(r->rcpt[2].ev.mx, "skipped");
	assert_string_equal(r->rcpt[2].ev.note, "");
	assert_string_equal(r->rcpt[3].ev.mx, "eop-mixed");
	assert_string_equal(r->rcpt[3].ev.note,
	    "SPF for spf-pass.test fails from 203.0.113.5: add it to the "
	    "record.");
	report_free(r);
	free(buf);

	for (i = 0; i < sizeof(dk) / sizeof(dk[0]); i++) {
		print_message("dkim: %s\n", dk[i].file);
		r = load(dk[i].file, &buf);
		rcpt(r, "bob@other.test", "5.7.1",
		    "550 5.7.1 not authenticated");
		evidence_run(e, test_rules(), r);
		if (dk[i].spf != NULL)
			assert_string_equal(r->rcpt[0].ev.spf, dk[i].spf);
		assert_string_equal(r->rcpt[0].ev.dkim, dk[i].dkim);
		report_free(r);
		free(buf);
	}

	evidence_free(e);
	config_free(c);
}

/* ---- threads share one context ---- */

struct job {
	struct ev_dns	*d;
	struct ev_dkim	*k;
	const char	*signed_msg;
	int		 bad;
};

static void *
worker(void *arg)
{
	struct job *j = arg;
	struct ev_spf_info si;
	struct ev_mx_info mi;
	struct ev_dkim_info di;
	int i;

	for (i = 0; i < 40; i++) {
		int64_t dl = ev_now_ms() + 3000;

		if (strcmp(ev_spf_check(j->d, "a@spf-soft.test", "203.0.113.5",
		    dl, &si), "softfail") != 0)
			j->bad++;
		if (strcmp(ev_mx_check(j->d, test_rules(), i % 2 ? "mixed.test" : "eop.test",
		    dl, &mi), i % 2 ? "eop-mixed" : "eop") != 0)
			j->bad++;
		if (strcmp(ev_dkim_check(j->k, j->d, j->signed_msg,
		    strlen(j->signed_msg), 0, 0, "dkim.test", dl, &di),
		    "pass") != 0)
			j->bad++;
	}
	return (NULL);
}

static void
test_threads(void **state)
{
	struct job j[4];
	pthread_t th[4];
	struct ev_dns *d;
	struct ev_dkim *k;
	char err[256], *s;
	int i;

	(void)state;
	NEED_DNS();
	assert_non_null(d = ev_dns_new(dns_addr, 8, err, sizeof(err)));
	assert_non_null(k = ev_dkim_new());
	s = sign(msg_a, "dkim.test");
	for (i = 0; i < 4; i++) {
		j[i].d = d;
		j[i].k = k;
		j[i].signed_msg = s;
		j[i].bad = 0;
		assert_int_equal(pthread_create(&th[i], NULL, worker, &j[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(j[i].bad, 0);
	}
	free(s);
	ev_dkim_free(k);
	ev_dns_free(d);
}

/* ---- a server that never answers ---- */

static void
test_deadline(void **state)
{
	struct evidence_ctx *e;
	struct ev_answer *a;
	struct ev_dns *d;
	struct config *c;
	struct report *r;
	char err[256], *buf;
	int64_t t0, el;

	(void)state;
	if (bh_addr[0] == '\0') {
		skip();
		return;
	}
	assert_non_null(d = ev_dns_new(bh_addr, 0, err, sizeof(err)));
	t0 = ev_now_ms();
	assert_int_equal(ev_dns_query(d, "eop.test", EV_T_MX, t0 + 300, &a),
	    EV_DNS_TIMEOUT);
	el = ev_now_ms() - t0;
	assert_null(a);
	assert_true(el >= 300 && el < 450);	/* slack for a busy machine */
	ev_dns_free(d);

	/* a whole message: every lookup shares the one deadline */
	c = conf_for(bh_addr, 300);
	assert_non_null(e = evidence_new(c));
	r = load("multi.eml", &buf);
	rcpt(r, "bob@eop.test", "5.4.1", "550 5.4.1 Relay Access Denied");
	rcpt(r, "dave@other.test", "5.4.1", "550 5.4.1 Relay Access Denied");
	rcpt(r, "x@mixed.test", "5.4.1", "550 5.4.1 Relay Access Denied");
	t0 = ev_now_ms();
	evidence_run(e, test_rules(), r);
	el = ev_now_ms() - t0;
	print_message("evidence_run against a black hole: %lld ms "
	    "(dns.timeout_ms 300)\n", (long long)el);
	assert_true(el < 450);
	assert_string_equal(r->rcpt[0].ev.spf, "skipped");
	assert_string_equal(r->rcpt[0].ev.mx, "skipped");
	assert_string_equal(r->rcpt[2].ev.mx, "skipped");
	/* the one finding that needed no DNS */
	assert_non_null(strstr(r->rcpt[0].ev.note, "DKIM"));
	report_free(r);
	free(buf);
	evidence_free(e);
	config_free(c);
}

/* ---- DNS server for the group ---- */

static int
dnsd(const char *cmd)
{
	char line[2048];
	int st;

	snprintf(line, sizeof(line), "sh '%s/tests/lib/dnsd.sh' %s '%s' "
	    ">/dev/null 2>&1", root, cmd, dns_dir);
	st = system(line);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void
read_port(const char *file, char *out, size_t outlen)
{
	char path[512], port[16];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dns_dir, file);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	if (fgets(port, sizeof(port), fp) != NULL)
		snprintf(out, outlen, "127.0.0.1:%d", atoi(port));
	fclose(fp);
}

static int
group_setup(void **state)
{
	const char *r = getenv("ROOT");

	(void)state;
	if (r != NULL)
		snprintf(root, sizeof(root), "%s", r);
	else if (getcwd(root, sizeof(root)) == NULL)
		return (-1);
	snprintf(dns_dir, sizeof(dns_dir), "/tmp/bm-evidence-%ld",
	    (long)getpid());
	if (dnsd("start") == 0)
		read_port("port", dns_addr, sizeof(dns_addr));
	else
		fprintf(stderr, "test DNS server not started (dnsmasq "
		    "missing?): DNS tests skipped\n");
	if (dnsd("blackhole") == 0)
		read_port("bh_port", bh_addr, sizeof(bh_addr));
	return (0);
}

static int
group_teardown(void **state)
{
	char cmd[600];

	(void)state;
	dnsd("stop");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dns_dir);
	if (system(cmd) != 0)
		return (-1);
	return (0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_server),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_received),
		cmocka_unit_test(test_relevant),
		cmocka_unit_test(test_null_context),
		cmocka_unit_test(test_resolver_cache),
		cmocka_unit_test(test_spf),
		cmocka_unit_test(test_mx),
		cmocka_unit_test(test_idn_names),
		cmocka_unit_test(test_idn_dns),
		cmocka_unit_test(test_dkim),
		cmocka_unit_test(test_idn_dkim),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_deadline),
	};

	return (cmocka_run_group_tests(tests, group_setup, group_teardown));
}
