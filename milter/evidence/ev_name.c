/*
 * ev_name.c - domain names for the evidence checks: A-labels, sanity,
 *	alignment
 *
 * SYNOPSIS
 *	#include "ev.h"
 *
 *	int	ev_domain_ascii(const char *domain, char *out, size_t outlen);
 *	int	ev_domain_ok(const char *domain);
 *	int	ev_aligned(const char *from_domain, const char *sig_domain);
 *
 * DESCRIPTION
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
