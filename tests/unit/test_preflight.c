/*
 * test_preflight.c - the outgoing preflight's decisions and lines
 * (preflight.c), no DNS
 *
 * Tables: the From: domain of header values; the DKIM verdict from
 * DKIM-Signature values and a From: domain; the SPF summary and
 * whether a result warns; the exact outgoing and preflight lines; the
 * X-Bounce-Preflight value (folding, quoting); the cache (TTL, bound,
 * eviction order, temperror, skipped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "preflight.h"

/* ------------------------------------------------------- From: domain */

static const struct {
	const char	*value;
	const char	*domain;	/* NULL: none */
} froms[] = {
	{ "alice@example.org", "example.org" },
	{ "Alice <alice@Example.ORG>", "example.org" },
	{ "\"a@evil.test\" <alice@example.org>", "example.org" },
	{ "alice@mail.example.org (Alice)", "mail.example.org" },
	{ "alice@example.org, bob@other.test", "example.org" },
	{ " =?UTF-8?Q?J=C3=B6rg?= <j@sub.example.net.>", "sub.example.net" },
	{ "undisclosed-recipients:;", NULL },
	{ "alice", NULL },
	{ "alice@localhost", NULL },		/* one label */
	{ "<alice@exa mple.org>", NULL },	/* "exa": one label */
	{ "", NULL },
	{ "x@-", NULL },
	/* IDN: in A-labels, not cut at the first non-ASCII octet */
	{ "J\xc3\xb6rg <j@B\xc3\xbc" "cher.de>", "xn--bcher-kva.de" },
	{ "j@mail.b\xc3\xbc" "cher.de (J)", "mail.xn--bcher-kva.de" },
	{ "j@xn--bcher-kva.de", "xn--bcher-kva.de" },
	{ "j@b\xc3\xbc" "cher", NULL },		/* one label */
	{ "j@\xff\xfe.de", NULL },			/* not UTF-8 */
};

static void
t_from(void **state)
{
	char d[256];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof(froms) / sizeof(froms[0]); i++) {
		rc = pf_addr_domain(froms[i].value, d, sizeof(d));
		if (froms[i].domain == NULL) {
			if (rc != -1 || *d != '\0')
				fail_msg("%s: got '%s'", froms[i].value, d);
		} else if (rc != 0 || strcmp(d, froms[i].domain) != 0)
			fail_msg("%s: got '%s' (%d), want %s", froms[i].value,
			    d, rc, froms[i].domain);
	}
	assert_int_equal(pf_addr_domain(NULL, d, sizeof(d)), -1);
}

/* ---------------------------------------------------------- DKIM d= */

static const struct {
	const char	*sigs[3];
	const char	*from;
	const char	*word;
	const char	*d;
} dkims[] = {
	{ { NULL }, "example.org", "none", "" },
	{ { "v=1; a=rsa-sha256; d=example.org; s=sel; b=abc" },
	    "example.org", "signed", "example.org" },
	{ { "v=1; a=rsa-sha256;\r\n\td=Mail.Example.ORG;\r\n\ts=sel; b=x" },
	    "example.org", "signed", "mail.example.org" },	/* child */
	{ { "v=1; d=example.org; s=sel" }, "news.example.org", "signed",
	    "example.org" },					/* parent */
	{ { "v=1; d=esp.test; s=sel" }, "example.org", "unaligned",
	    "esp.test" },
	{ { "v=1; d=esp.test; s=sel", "v=1; d=example.org; s=s2" },
	    "example.org", "signed", "example.org" },		/* second */
	{ { "v=1; d = example.org ; s=sel" }, "example.org", "signed",
	    "example.org" },					/* spaces */
	{ { "v=1; dd=example.org; s=sel" }, "example.org", "unaligned", "" },
	{ { "garbage without tags" }, "example.org", "unaligned", "" },
	{ { "v=1; d=example.org" }, "", "unaligned", "example.org" },
	{ { "v=1; d=org; s=x" }, "example.org", "unaligned", "" },
	{ { "v=1; d=ample.org; s=x" }, "example.org", "unaligned",
	    "ample.org" },				/* not a label boundary */
	/* DMARC relaxed alignment by organisational domain (libpsl) */
	{ { "v=1; d=news.example.org; s=x" }, "mail.example.org", "signed",
	    "news.example.org" },			/* siblings */
	{ { "v=1; d=co.uk; s=x" }, "example.co.uk", "unaligned",
	    "co.uk" },					/* a public suffix */
	{ { "v=1; d=other.co.uk; s=x" }, "example.co.uk", "unaligned",
	    "other.co.uk" },
	{ { "v=1; d=bob.github.io; s=x" }, "alice.github.io", "unaligned",
	    "bob.github.io" },				/* a private suffix */
	{ { "v=1; d=xn--bcher-kva.de; s=x" }, "mail.b\xc3\xbc" "cher.de",
	    "signed", "xn--bcher-kva.de" },		/* IDN */
};

static void
t_dkim(void **state)
{
	struct pf_dkim k;
	char d[256];
	const char *w;
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(dkims) / sizeof(dkims[0]); i++) {
		memset(&k, 0, sizeof(k));
		for (j = 0; j < 3 && dkims[i].sigs[j] != NULL; j++)
			pf_dkim_add(&k, dkims[i].sigs[j]);
		w = pf_dkim_word(&k, dkims[i].from, d, sizeof(d));
		if (strcmp(w, dkims[i].word) != 0 || strcmp(d, dkims[i].d) != 0)
			fail_msg("row %zu: got %s d=%s, want %s d=%s", i, w, d,
			    dkims[i].word, dkims[i].d);
	}
	/* more signatures than kept: counted, still judged */
	memset(&k, 0, sizeof(k));
	for (j = 0; j < PF_MAX_SIGS + 5; j++)
		pf_dkim_add(&k, "v=1; d=other.test; s=x");
	assert_int_equal(k.nsigs, PF_MAX_SIGS + 5);
	assert_int_equal(k.kept, PF_MAX_SIGS);
	assert_string_equal(pf_dkim_word(&k, "example.org", d, sizeof(d)),
	    "unaligned");
	assert_string_equal(pf_dkim_word(NULL, "example.org", d, sizeof(d)),
	    "none");
}

/* ------------------------------------------------------ SPF, warnings */

static void
result(struct pf_result *r, const char *dom, const char *from,
    const char *dkim, const char *dkim_d, const char *ips)
{
	char buf[256], *p, *ip, *w;

	memset(r, 0, sizeof(*r));
	snprintf(r->domain, sizeof(r->domain), "%s", dom);
	snprintf(r->from_domain, sizeof(r->from_domain), "%s", from);
	r->dkim = dkim;
	snprintf(r->dkim_d, sizeof(r->dkim_d), "%s", dkim_d);
	/* "ip=word ip=word" */
	snprintf(buf, sizeof(buf), "%s", ips);
	for (p = strtok(buf, " "); p != NULL; p = strtok(NULL, " ")) {
		ip = p;
		w = strchr(p, '=');
		*w++ = '\0';
		snprintf(r->ips[r->nips].ip, sizeof(r->ips[0].ip), "%s", ip);
		r->ips[r->nips++].spf = pf_spf_word(w);
	}
}

static const struct {
	const char	*ips;
	const char	*dkim;
	const char	*from;		/* From: domain */
	const char	*summary;
	int		 warns;
} spfs[] = {
	{ "", "signed", "ex.test", "skipped", 0 },
	{ "", "none", "ex.test", "skipped", 1 },
	{ "192.0.2.25=pass", "signed", "ex.test", "pass", 0 },
	{ "192.0.2.25=pass", "none", "ex.test", "pass", 1 },
	{ "192.0.2.25=pass", "unaligned", "ex.test", "pass", 1 },
	{ "192.0.2.25=fail", "signed", "ex.test", "fail", 1 },
	{ "192.0.2.25=softfail", "signed", "ex.test", "softfail", 0 },
	{ "192.0.2.25=softfail", "none", "ex.test", "softfail", 1 },
	{ "192.0.2.25=neutral", "signed", "ex.test", "neutral", 0 },
	{ "192.0.2.25=none", "signed", "ex.test", "none", 1 },
	{ "192.0.2.25=permerror", "signed", "ex.test", "permerror", 1 },
	{ "192.0.2.25=temperror", "signed", "ex.test", "temperror", 0 },
	{ "192.0.2.25=skipped", "signed", "ex.test", "skipped", 0 },
	{ "192.0.2.25=bogusword", "signed", "ex.test", "skipped", 0 },
	{ "192.0.2.25=pass 203.0.113.5=fail", "signed", "ex.test", "fail",
	    1 },
	{ "192.0.2.25=pass 203.0.113.5=skipped", "signed", "ex.test",
	    "skipped", 0 },
	{ "192.0.2.25=softfail 203.0.113.5=none", "signed", "ex.test",
	    "softfail", 1 },			/* worst first, still warns */
	{ "192.0.2.25=pass 2001:db8::25=pass", "signed", "ex.test", "pass",
	    0 },
};

static void
t_spf(void **state)
{
	struct pf_result r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(spfs) / sizeof(spfs[0]); i++) {
		result(&r, "ex.test", spfs[i].from, spfs[i].dkim, "", spfs[i].ips);
		if (strcmp(pf_spf_summary(&r), spfs[i].summary) != 0 ||
		    pf_warns(&r) != spfs[i].warns)
			fail_msg("row %zu (%s, dkim %s): summary %s warns %d, "
			    "want %s %d", i, spfs[i].ips, spfs[i].dkim,
			    pf_spf_summary(&r), pf_warns(&r), spfs[i].summary,
			    spfs[i].warns);
	}
	assert_string_equal(pf_spf_word("pass"), "pass");
	assert_string_equal(pf_spf_word(NULL), "skipped");
}

/* ---------------------------------------------------------- lines */

static const struct {
	const char	*ips, *dkim, *dkim_d, *from;
	const char	*line1;		/* the outgoing line */
	const char	*line2_start;	/* preflight line up to hint=, or NULL */
	const char	*hint_has[3];	/* in the hint */
} lines[] = {
	{ "192.0.2.25=pass", "signed", "ex.test", "ex.test",
	    "Q1: outgoing from=<a@ex.test> msgid=<m@ex.test> rcpts=3 "
	    "spf=pass dkim=signed", NULL, { NULL } },
	{ "203.0.113.5=fail", "signed", "ex.test", "ex.test",
	    "Q1: outgoing from=<a@ex.test> msgid=<m@ex.test> rcpts=3 "
	    "spf=fail dkim=signed",
	    "Q1: preflight domain=ex.test ip=203.0.113.5 spf=fail "
	    "dkim=signed dkim_domain=ex.test hint=\"",
	    { "SPF of ex.test fails for our outbound IP 203.0.113.5",
	      "Add ip4:203.0.113.5", "5.7.23" } },
	{ "192.0.2.25=pass 203.0.113.5=fail 2001:db8::1=fail", "none", "",
	    "ex.test",
	    "Q1: outgoing from=<a@ex.test> msgid=<m@ex.test> rcpts=3 "
	    "spf=fail dkim=none",
	    "Q1: preflight domain=ex.test ip=203.0.113.5,2001:db8::1 "
	    "spf=fail dkim=none hint=\"",
	    { "203.0.113.5 and 2001:db8::1", "ip4:203.0.113.5 and "
	      "ip6:2001:db8::1", "No DKIM signature aligned" } },
	{ "192.0.2.25=none", "unaligned", "esp.test", "ex.test",
	    "Q1: outgoing from=<a@ex.test> msgid=<m@ex.test> rcpts=3 "
	    "spf=none dkim=unaligned",
	    "Q1: preflight domain=ex.test ip=192.0.2.25 spf=none "
	    "dkim=unaligned dkim_domain=esp.test hint=\"",
	    { "publishes no SPF record", "\\\"v=spf1 ip4:192.0.2.25 -all\\\"",
	      "d=esp.test, which is not aligned" } },
	{ "", "none", "", "other.test",
	    "Q1: outgoing from=<a@ex.test> msgid=<m@ex.test> rcpts=3 "
	    "spf=skipped dkim=none",
	    "Q1: preflight domain=ex.test spf=skipped dkim=none hint=\"",
	    { "aligned with the From: domain other.test",
	      "not seen here", NULL } },
	{ "192.0.2.25=pass", "none", "", "other.test",
	    "Q1: outgoing from=<a@ex.test> msgid=<m@ex.test> rcpts=3 "
	    "spf=pass dkim=none",
	    "Q1: preflight domain=ex.test spf=pass dkim=none hint=\"",
	    { "SPF passes for ex.test, but the From: domain is other.test",
	      NULL } },
};

static void
t_lines(void **state)
{
	struct pf_result r;
	struct buf b = BUF_INIT;
	char *nl, *l2;
	size_t i, j, n;

	(void)state;
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		result(&r, "ex.test", lines[i].from, lines[i].dkim,
		    lines[i].dkim_d, lines[i].ips);
		buf_reset(&b);
		assert_int_equal(pf_log(&b, "Q1", "<a@ex.test>", "<m@ex.test>",
		    3, &r), 0);
		assert_non_null(b.p);
		assert_int_equal(b.p[b.len - 1], '\n');
		nl = strchr(b.p, '\n');
		*nl = '\0';
		if (strcmp(b.p, lines[i].line1) != 0)
			fail_msg("row %zu: line 1\n got  %s\n want %s", i, b.p,
			    lines[i].line1);
		l2 = nl + 1;
		if (lines[i].line2_start == NULL) {
			if (*l2 != '\0')
				fail_msg("row %zu: unexpected %s", i, l2);
			continue;
		}
		n = strlen(lines[i].line2_start);
		if (strncmp(l2, lines[i].line2_start, n) != 0)
			fail_msg("row %zu: line 2\n got  %s\n want %s...", i, l2,
			    lines[i].line2_start);
		for (j = 0; j < 3 && lines[i].hint_has[j] != NULL; j++)
			if (strstr(l2 + n, lines[i].hint_has[j]) == NULL)
				fail_msg("row %zu: hint lacks '%s': %s", i,
				    lines[i].hint_has[j], l2 + n);
		/* one line each, no control bytes, the hint closed */
		assert_null(strchr(l2, '\r'));
		assert_int_equal(strchr(l2, '\n') - l2 + 1, (long)strlen(l2));
		assert_true(strstr(l2, "\"\n") != NULL);
	}
	/* hostile values: quoted, no new line, "<>" for a null sender */
	result(&r, "ex.test", "ex.test", "signed", "ex.test",
	    "192.0.2.25=pass");
	buf_reset(&b);
	assert_int_equal(pf_log(&b, NULL, NULL, "<x\r\nQ2: bounce=\"y\">", 1,
	    &r), 0);
	assert_string_equal(b.p, "NOQUEUE: outgoing from=<> "
	    "msgid=\"<x  Q2: bounce=\\\"y\\\">\" rcpts=1 spf=pass "
	    "dkim=signed\n");
	buf_free(&b);
}

/* --------------------------------------------------------- header */

static void
t_header(void **state)
{
	struct pf_result r;
	struct buf b = BUF_INIT;
	const char *p, *line;
	char as[200];

	(void)state;
	result(&r, "ex.test", "ex.test", "signed", "ex.test",
	    "192.0.2.25=fail");
	assert_int_equal(pf_header(&b, "mx.example.org", &r), 0);
	assert_string_equal(b.p, "mx.example.org; spf=fail; dkim=signed; "
	    "domain=ex.test");
	buf_reset(&b);
	result(&r, "", "", "none", "", "");
	assert_int_equal(pf_header(&b, "odd \"id\"\r\n", &r), 0);
	assert_string_equal(b.p, "\"odd \\\"id\\\"??\"; spf=skipped; "
	    "dkim=none");
	/* a long authserv-id: folded, no line over 78 */
	buf_reset(&b);
	memset(as, 'a', 70);
	strcpy(as + 70, ".example");
	result(&r, "a-rather-long-sender-domain-name.example.com", "",
	    "unaligned", "", "192.0.2.25=pass");
	assert_int_equal(pf_header(&b, as, &r), 0);
	assert_non_null(strstr(b.p, "\n\t"));
	for (line = b.p, p = b.p; ; p++)
		if (*p == '\n' || *p == '\0') {
			size_t col = (size_t)(p - line) +
			    (line == b.p ? sizeof(PF_HEADER) + 1 : 0);
			if (line != b.p || strlen(as) + 1 <= 78 - 20)
				assert_true(col <= 78);
			if (*p == '\0')
				break;
			line = p + 1;
		}
	for (p = b.p; *p; p++)
		assert_true(*p == '\n' || *p == '\t' ||
		    (*p >= ' ' && *p < 0x7f));
	buf_free(&b);
}

/* ---------------------------------------------------------- cache */

static void
t_cache(void **state)
{
	struct pf_cache *c;
	char d[64];
	int i;

	(void)state;
	assert_non_null(c = pf_cache_new(4));
	assert_null(pf_cache_get(c, "ex.test", "192.0.2.25", 0));
	pf_cache_put(c, "ex.test", "192.0.2.25", "fail", 100);
	assert_string_equal(pf_cache_get(c, "EX.test", "192.0.2.25", 100),
	    "fail");
	assert_string_equal(pf_cache_get(c, "ex.test", "192.0.2.25",
	    100 + PF_TTL - 1), "fail");
	assert_null(pf_cache_get(c, "ex.test", "192.0.2.25", 100 + PF_TTL));
	assert_int_equal(pf_cache_count(c), 0);	/* expired: dropped */
	assert_null(pf_cache_get(c, "ex.test", "192.0.2.26", 100));
	/* temperror kept briefly, skipped never */
	pf_cache_put(c, "t.test", "192.0.2.25", "temperror", 0);
	assert_string_equal(pf_cache_get(c, "t.test", "192.0.2.25",
	    PF_TTL_ERR - 1), "temperror");
	assert_null(pf_cache_get(c, "t.test", "192.0.2.25", PF_TTL_ERR));
	pf_cache_put(c, "s.test", "192.0.2.25", "skipped", 0);
	assert_null(pf_cache_get(c, "s.test", "192.0.2.25", 1));
	/* bounded: the oldest put goes first */
	for (i = 0; i < 10; i++) {
		snprintf(d, sizeof(d), "d%d.test", i);
		pf_cache_put(c, d, "192.0.2.25", "pass", 1000);
		assert_true(pf_cache_count(c) <= 4);
	}
	assert_null(pf_cache_get(c, "d5.test", "192.0.2.25", 1000));
	for (i = 6; i < 10; i++) {
		snprintf(d, sizeof(d), "d%d.test", i);
		assert_string_equal(pf_cache_get(c, d, "192.0.2.25", 1000),
		    "pass");
	}
	/* a new word for a known key replaces it */
	pf_cache_put(c, "d9.test", "192.0.2.25", "softfail", 1001);
	assert_string_equal(pf_cache_get(c, "d9.test", "192.0.2.25", 1001),
	    "softfail");
	assert_true(pf_cache_count(c) <= 4);
	/* no domain: nothing kept */
	pf_cache_put(c, NULL, "192.0.2.25", "pass", 0);
	assert_null(pf_cache_get(c, NULL, "192.0.2.25", 0));
	pf_cache_free(c);
	pf_cache_free(NULL);
	assert_null(pf_cache_get(NULL, "a.test", "192.0.2.1", 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_from),
		cmocka_unit_test(t_dkim),
		cmocka_unit_test(t_spf),
		cmocka_unit_test(t_lines),
		cmocka_unit_test(t_header),
		cmocka_unit_test(t_cache),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
