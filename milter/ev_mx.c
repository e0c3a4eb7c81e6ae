/*
 * ev_mx.c - where a recipient domain's mail goes: its MX set
 *
 * SYNOPSIS
 *	#include "ev.h"
 *
 *	const char *ev_mx_check(struct ev_dns *d, const char *domain,
 *		    int64_t deadline, struct ev_mx_info *info);
 *	int	ev_mx_is_eop(const char *host);
 *	int	ev_domain_ok(const char *domain);
 *	int	ev_aligned(const char *from_domain, const char *sig_domain);
 *
 * DESCRIPTION
 *	ev_mx_check() asks the MX records of domain and returns
 *	"eop" (every MX is Exchange Online), "eop-mixed" (Exchange Online
 *	plus other hosts, which Exchange Online does not support), "other",
 *	"none" (no MX, NXDOMAIN, or only the null MX "."), or "skipped"
 *	(DNS error, out of time, unusable domain).  info gets the count,
 *	the most preferred host and a host that is not Exchange Online.
 *
 *	ev_mx_is_eop() is true for hosts under mail.protection.outlook.com
 *	and under mx.microsoft (the DNSSEC/DANE form), case-insensitive,
 *	with or without a final dot.
 *
 *	ev_domain_ascii() writes the A-label (punycode) form of a domain
 *	given in U-labels (UTF-8) to out, through libidn2 (IDNA2008 with
 *	UTS #46 non-transitional mapping, so "Bücher.example" becomes
 *	"xn--bcher-kva.example"); an all-ASCII name is copied unchanged.
 *	Returns 0, or -1 when the name is not valid IDNA or out is too
 *	small (out is then "").
 *
 *	ev_domain_ok() accepts a host name fit to be looked up: labels of
 *	letters, digits, '-' (and '_'), 1-63 octets, 253 in all, at least
 *	two labels.  ev_aligned() is relaxed DMARC-style alignment without
 *	a public-suffix list: equal, or one a subdomain of the other, the
 *	shorter one having at least two labels.
 */
#include <ctype.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ev.h"

static int
ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n <= k)
		return (0);
	return (s[n - k - 1] == '.' && strncasecmp(s + n - k, suf, k) == 0);
}

int
ev_mx_is_eop(const char *host)
{
	return (host != NULL && (ends_with(host, "mail.protection.outlook.com")
	    || ends_with(host, "mx.microsoft")));
}

int
ev_domain_ascii(const char *in, char *out, size_t outlen)
{
	const unsigned char *p;
	char *a = NULL;
	size_t n;
	int rc;

	if (outlen == 0)
		return (-1);
	out[0] = '\0';
	if (in == NULL)
		return (-1);
	for (p = (const unsigned char *)in; *p != '\0' && *p < 0x80; p++)
		;
	if (*p == '\0') {
		if ((n = strlen(in)) >= outlen)
			return (-1);
		memcpy(out, in, n + 1);
		return (0);
	}
	rc = idn2_to_ascii_8z(in, &a, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK || a == NULL || (n = strlen(a)) >= outlen) {
		idn2_free(a);
		return (-1);
	}
	memcpy(out, a, n + 1);
	idn2_free(a);
	return (0);
}

int
ev_domain_ok(const char *s)
{
	size_t n, lab = 0, labels = 1, i;

	if (s == NULL)
		return (0);
	n = strlen(s);
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return (0);
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (lab == 0)
				return (0);
			lab = 0;
			labels++;
			continue;
		}
		if (!isalnum(c) && c != '-' && c != '_')
			return (0);
		if (++lab > 63)
			return (0);
	}
	return (lab > 0 && labels >= 2);
}

/* Is a equal to b or under it?  b must have two labels or more. */
static int
under(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);

	if (strchr(b, '.') == NULL)
		return (0);
	if (na == nb)
		return (strcasecmp(a, b) == 0);
	return (na > nb && a[na - nb - 1] == '.' &&
	    strcasecmp(a + na - nb, b) == 0);
}

int
ev_aligned(const char *from, const char *sig)
{
	char fa[256], sa[256];

	if (from == NULL || sig == NULL || *from == '\0' || *sig == '\0')
		return (0);
	if (ev_domain_ascii(from, fa, sizeof(fa)) == -1 ||
	    ev_domain_ascii(sig, sa, sizeof(sa)) == -1)
		return (0);
	return (under(fa, sa) || under(sa, fa));
}

const char *
ev_mx_check(struct ev_dns *d, const char *domain, int64_t deadline,
    struct ev_mx_info *info)
{
	struct ev_answer *a = NULL;
	int rc, i, best = -1;
	const char *word;
	char ascii[256];

	memset(info, 0, sizeof(*info));
	if (d == NULL || ev_domain_ascii(domain, ascii, sizeof(ascii)) == -1 ||
	    !ev_domain_ok(ascii))
		return ("skipped");
	if (ev_now_ms() >= deadline)
		return ("skipped");
	rc = ev_dns_query(d, ascii, EV_T_MX, deadline, &a);
	switch (rc) {
	case EV_DNS_NXDOMAIN:
	case EV_DNS_NODATA:
		ev_answer_free(a);
		return ("none");
	case EV_DNS_OK:
		break;
	default:
		ev_answer_free(a);
		return ("skipped");
	}
	for (i = 0; i < a->nrr; i++) {
		const char *h = a->rr[i].data;

		if (*h == '\0' || strcmp(h, ".") == 0)
			continue;		/* null MX (RFC 7505) */
		info->n++;
		if (ev_mx_is_eop(h))
			info->neop++;
		else if (info->foreign[0] == '\0')
			snprintf(info->foreign, sizeof(info->foreign), "%s", h);
		if (best < 0 || a->rr[i].pref < a->rr[best].pref ||
		    (a->rr[i].pref == a->rr[best].pref &&
		    strcasecmp(h, a->rr[best].data) < 0))
			best = i;
	}
	if (best >= 0)
		snprintf(info->first, sizeof(info->first), "%s",
		    a->rr[best].data);
	if (info->n == 0)
		word = "none";
	else if (info->neop == info->n)
		word = "eop";
	else if (info->neop > 0)
		word = "eop-mixed";
	else
		word = "other";
	ev_answer_free(a);
	return (word);
}
