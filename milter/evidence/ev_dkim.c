/*
 * ev_dkim.c - DKIM verdict on a returned original (libopendkim)
 *
 * SYNOPSIS
 *	#include "ev.h"
 *
 *	struct ev_dkim *ev_dkim_new(void);
 *	const char *ev_dkim_check(struct ev_dkim *k, struct ev_dns *d,
 *		    const char *raw, size_t len, int headers_only, int cut,
 *		    const char *from_domain, int64_t deadline,
 *		    struct ev_dkim_info *info);
 *	void	ev_dkim_free(struct ev_dkim *k);
 *
 * DESCRIPTION
 *	ev_dkim_check() judges the DKIM signatures of the message raw/len
 *	(headers, empty line, body; LF or CRLF) against the From domain:
 *
 *	pass		a signature aligned with from_domain verifies and
 *			its body hash matches (dkim_sig_getbh() ==
 *			DKIM_SIGBH_MATCH);
 *	fail		an aligned signature was checked against the whole
 *			body and failed (header or body hash mismatch), or
 *			its key is revoked or too small;
 *	unverifiable	the body hash does not match but the body came back
 *			cut (cut set, or empty), the key could not be had,
 *			or the signature cannot be checked at all (broken
 *			syntax, expired by now, unknown algorithm);
 *	signed		headers_only: an aligned signature is present but
 *			nothing can be checked;
 *	none		no signature aligned with from_domain (info->other
 *			names the domain of another signature, if any);
 *	skipped		the deadline passed before a key was fetched.
 *
 *	Keys are fetched through ev_dns (the configured resolver, the
 *	message's deadline) by a key-lookup callback, and only for
 *	signatures aligned with from_domain (no lookup of a domain the
 *	bounce merely names); the DKIM_LIB handle
 *	is made once and shared, every check has its own DKIM handle, so
 *	the context is thread-safe.
 */
#include <sys/types.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendkim/dkim.h>

#include "ev.h"

struct ev_dkim {
	DKIM_LIB	*lib;
};

struct kctx {
	struct ev_dns	*d;
	const char	*from_domain;	/* keys only for domains aligned */
	int64_t		 deadline;
	int		 timed_out;
};

static DKIM_CBSTAT
key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	struct kctx *c = dkim_get_user_context(dkim);
	struct ev_answer *a = NULL;
	const char *sel, *dom;
	char name[512];
	int rc, i;
	DKIM_CBSTAT st = DKIM_CBSTAT_NOTFOUND;

	if (c == NULL || buf == NULL || buflen == 0)
		return (DKIM_CBSTAT_ERROR);
	sel = (const char *)dkim_sig_getselector(sig);
	dom = (const char *)dkim_sig_getdomain(sig);
	if (sel == NULL || dom == NULL ||
	    (size_t)snprintf(name, sizeof(name), "%s._domainkey.%s", sel, dom)
	    >= sizeof(name))
		return (DKIM_CBSTAT_NOTFOUND);
	/* a signature of another domain is not ours to fetch a key for */
	if (!ev_aligned(c->from_domain, dom))
		return (DKIM_CBSTAT_NOTFOUND);
	rc = ev_dns_query(c->d, name, EV_T_TXT, c->deadline, &a);
	switch (rc) {
	case EV_DNS_OK:
		for (i = 0; i < a->nrr; i++) {
			if (strstr(a->rr[i].data, "p=") == NULL)
				continue;
			if (a->rr[i].len + 1 > buflen)
				break;
			memcpy(buf, a->rr[i].data, a->rr[i].len + 1);
			st = DKIM_CBSTAT_CONTINUE;
			break;
		}
		break;
	case EV_DNS_NXDOMAIN:
	case EV_DNS_NODATA:
		break;
	case EV_DNS_TIMEOUT:
		c->timed_out = 1;
		st = DKIM_CBSTAT_TRYAGAIN;
		break;
	default:
		st = DKIM_CBSTAT_TRYAGAIN;
		break;
	}
	ev_answer_free(a);
	return (st);
}

struct ev_dkim *
ev_dkim_new(void)
{
	struct ev_dkim *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return (NULL);
	if ((k->lib = dkim_init(NULL, NULL)) == NULL) {
		free(k);
		return (NULL);
	}
	if (dkim_set_key_lookup(k->lib, key_lookup) != DKIM_STAT_OK) {
		dkim_close(k->lib);
		free(k);
		return (NULL);
	}
	return (k);
}

void
ev_dkim_free(struct ev_dkim *k)
{
	if (k == NULL)
		return;
	dkim_close(k->lib);
	free(k);
}

/* Value of tag t (e.g. "d") in a DKIM-Signature value, into out. */
static int
sig_tag(const char *v, const char *t, char *out, size_t outlen)
{
	size_t tl = strlen(t), n;
	const char *p = v, *e;

	while (*p) {
		p += strspn(p, " \t\r\n;");
		if (strncasecmp(p, t, tl) == 0) {
			e = p + tl;
			e += strspn(e, " \t\r\n");
			if (*e == '=') {
				e++;
				e += strspn(e, " \t\r\n");
				n = strcspn(e, "; \t\r\n");
				if (n == 0 || n >= outlen)
					return (0);
				memcpy(out, e, n);
				out[n] = '\0';
				return (1);
			}
		}
		p += strcspn(p, ";");
	}
	return (0);
}

/* Is this header field (raw, "Name: value") a DKIM-Signature? */
static int
is_dkim_sig(const char *h, size_t n)
{
	static const char name[] = "DKIM-Signature";
	size_t k = sizeof(name) - 1;

	if (n <= k || strncasecmp(h, name, k) != 0)
		return (0);
	while (k < n && (h[k] == ' ' || h[k] == '\t'))
		k++;
	return (k < n && h[k] == ':');
}

struct hdr {
	const char	*p;
	size_t		 n;
};

/*
 * Split raw into header fields (CRLF-joined copies in *fields) and the
 * offset of the body.  Returns the number of fields, or -1.
 */
static int
split_headers(const char *raw, size_t len, char **store, struct hdr *h,
    int maxh, size_t *body)
{
	size_t i = 0, ls, le, o = 0;
	int nh = 0, cur = -1;
	char *s;

	/* the header section ends at the first empty line */
	{
		size_t k = 0, hl = len;

		while (k < len) {
			const char *nl = memchr(raw + k, '\n', len - k);

			if (nl == NULL)
				break;
			k = (size_t)(nl - raw) + 1;
			if (k < len && (raw[k] == '\n' || (raw[k] == '\r' &&
			    k + 1 < len && raw[k + 1] == '\n'))) {
				hl = k;
				break;
			}
		}
		if ((s = malloc(hl * 2 + 2)) == NULL)
			return (-1);
	}
	*store = s;
	*body = len;
	while (i < len) {
		ls = i;
		while (i < len && raw[i] != '\n')
			i++;
		le = i;
		if (le > ls && raw[le - 1] == '\r')
			le--;
		if (i < len)
			i++;			/* past LF */
		if (le == ls) {			/* empty line: end */
			*body = i;
			break;
		}
		if (raw[ls] == ' ' || raw[ls] == '\t') {
			if (cur < 0)
				continue;
			s[o++] = '\r';
			s[o++] = '\n';
			memcpy(s + o, raw + ls, le - ls);
			o += le - ls;
			h[cur].n = (size_t)(s + o - h[cur].p);
			continue;
		}
		if (memchr(raw + ls, ':', le - ls) == NULL) {
			cur = -1;		/* "From " line or junk */
			continue;
		}
		if (nh >= maxh) {
			cur = -1;
			continue;
		}
		cur = nh++;
		h[cur].p = s + o;
		memcpy(s + o, raw + ls, le - ls);
		o += le - ls;
		h[cur].n = le - ls;
	}
	return (nh);
}

/*
 * Feed the body to libopendkim with every line ending as CRLF, through a
 * small buffer (the body can be megabytes).  Returns its length.
 */
static size_t
feed_body(DKIM *dk, const char *b, size_t n)
{
	char buf[16384];
	size_t i, o = 0, total = 0;

	for (i = 0; i < n; i++) {
		if (o + 2 > sizeof(buf)) {
			(void)dkim_body(dk, (u_char *)buf, o);
			total += o;
			o = 0;
		}
		if (b[i] == '\n' && (i == 0 || b[i - 1] != '\r'))
			buf[o++] = '\r';
		buf[o++] = b[i];
	}
	if (o > 0)
		(void)dkim_body(dk, (u_char *)buf, o);
	return (total + o);
}

#define MAX_HDRS	1000

/*
 * The verdict of one processed signature.  Only a signature that was
 * checked and did not match is "fail": a bad header signature, a body
 * hash mismatch on a body that came back whole, a key the receiver would
 * refuse as well (revoked, too small).  A signature that could not be
 * checked (no key, syntax, expired by now, ignored algorithm) is
 * "unverifiable", or "skipped" when the deadline cut the key lookup.
 */
static const char *
sig_verdict(DKIM_SIGINFO *s, int cut, size_t bodylen, int timed_out)
{
	unsigned flags = dkim_sig_getflags(s);
	int bh = dkim_sig_getbh(s), err = dkim_sig_geterror(s);
	const char *nokey = timed_out ? "skipped" : "unverifiable";

	if ((flags & DKIM_SIGFLAG_PASSED) && bh == DKIM_SIGBH_MATCH)
		return ("pass");
	if (flags & DKIM_SIGFLAG_IGNORE)
		return ("unverifiable");
	/* headers verified, body differs (the library then says BADSIG) */
	if ((flags & DKIM_SIGFLAG_PASSED) && bh == DKIM_SIGBH_MISMATCH)
		return (cut || bodylen == 0 ? "unverifiable" : "fail");
	switch (err) {
	case DKIM_SIGERROR_OK:
	case DKIM_SIGERROR_UNKNOWN:
		break;
	case DKIM_SIGERROR_BADSIG:
	case DKIM_SIGERROR_KEYREVOKED:
	case DKIM_SIGERROR_KEYTOOSMALL:
		return ("fail");
	case DKIM_SIGERROR_NOKEY:
	case DKIM_SIGERROR_KEYFAIL:
	case DKIM_SIGERROR_DNSSYNTAX:
	case DKIM_SIGERROR_MULTIREPLY:
		return (nokey);
	default:
		return ("unverifiable");
	}
	if (bh == DKIM_SIGBH_MISMATCH)
		return (cut || bodylen == 0 ? "unverifiable" : "fail");
	if (!(flags & DKIM_SIGFLAG_PROCESSED))
		return (nokey);
	return ("fail");
}

static int
rank(const char *v)
{
	static const char *order[] = { "pass", "fail", "unverifiable",
	    "skipped" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(v, order[i]) == 0)
			return (i);
	return (4);
}

const char *
ev_dkim_check(struct ev_dkim *k, struct ev_dns *d, const char *raw,
    size_t len, int headers_only, int cut, const char *from_domain,
    int64_t deadline, struct ev_dkim_info *info)
{
	struct hdr *h = NULL;
	char *store = NULL, dom[256], sel[128];
	size_t boff, blen = 0;
	int nh, i, aligned_sigs = 0, nsigs = 0;
	const char *best = NULL, *v;
	DKIM *dk = NULL;
	DKIM_STAT st;
	DKIM_SIGINFO **sigs = NULL;
	struct kctx c;

	memset(info, 0, sizeof(*info));
	if (raw == NULL || from_domain == NULL || *from_domain == '\0')
		return ("none");
	if ((h = calloc(MAX_HDRS, sizeof(*h))) == NULL)
		return ("skipped");
	if ((nh = split_headers(raw, len, &store, h, MAX_HDRS, &boff)) < 0) {
		free(h);
		return ("skipped");
	}
	/* Which signatures are there, and is one aligned? */
	for (i = 0; i < nh; i++) {
		const char *colon;

		if (!is_dkim_sig(h[i].p, h[i].n))
			continue;
		nsigs++;
		colon = memchr(h[i].p, ':', h[i].n);
		{
			char val[2048];
			size_t vn = h[i].n - (size_t)(colon + 1 - h[i].p);

			if (vn >= sizeof(val))
				vn = sizeof(val) - 1;
			memcpy(val, colon + 1, vn);
			val[vn] = '\0';
			if (!sig_tag(val, "d", dom, sizeof(dom)))
				continue;
			if (!sig_tag(val, "s", sel, sizeof(sel)))
				sel[0] = '\0';
		}
		if (ev_aligned(from_domain, dom)) {
			if (aligned_sigs++ == 0) {
				snprintf(info->domain, sizeof(info->domain),
				    "%s", dom);
				snprintf(info->selector,
				    sizeof(info->selector), "%s", sel);
			}
		} else if (info->other[0] == '\0')
			snprintf(info->other, sizeof(info->other), "%s", dom);
	}
	info->nsigs = nsigs;
	if (aligned_sigs == 0) {
		best = "none";
		goto out;
	}
	if (headers_only) {
		best = "signed";
		goto out;
	}
	if (k == NULL || d == NULL || ev_now_ms() >= deadline) {
		best = "skipped";
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.from_domain = from_domain;
	c.deadline = deadline;
	if ((dk = dkim_verify(k->lib, (const u_char *)"bounce-milter", NULL,
	    &st)) == NULL) {
		best = "skipped";
		goto out;
	}
	dkim_set_user_context(dk, &c);
	for (i = 0; i < nh; i++)
		(void)dkim_header(dk, (u_char *)(uintptr_t)h[i].p, h[i].n);
	st = dkim_eoh(dk);
	if (st == DKIM_STAT_OK) {
		blen = feed_body(dk, raw + boff, len - boff);
		(void)dkim_eom(dk, NULL);
	}
	if (dkim_getsiglist(dk, &sigs, &nsigs) != DKIM_STAT_OK)
		nsigs = 0;
	for (i = 0; i < nsigs; i++) {
		const char *sd = (const char *)dkim_sig_getdomain(sigs[i]);

		if (sd == NULL || !ev_aligned(from_domain, sd))
			continue;
		v = sig_verdict(sigs[i], cut, blen, c.timed_out);
		if (best == NULL || rank(v) < rank(best)) {
			best = v;
			snprintf(info->domain, sizeof(info->domain), "%s", sd);
			sd = (const char *)dkim_sig_getselector(sigs[i]);
			snprintf(info->selector, sizeof(info->selector), "%s",
			    sd ? sd : "");
		}
	}
	if (best == NULL)	/* dropped by the library (syntax), or the
				   key lookup stopped it (CBTRYAGAIN) */
		best = c.timed_out ? "skipped" : "unverifiable";
out:
	if (dk != NULL)
		dkim_free(dk);
	free(store);
	free(h);
	return (best);
}
