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
 *	const char *ev_org_domain(const char *domain, char *out,
 *		    size_t outlen);
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
 *	two labels.
 *
 *	ev_aligned() is DMARC's relaxed alignment (RFC 7489, 3.1): the two
 *	names have the same organisational domain, the registrable domain
 *	under the Public Suffix List (libpsl; the list of Debian's
 *	publicsuffix package when it is newer than libpsl's own), compared
 *	in A-labels, lower case.  So mail.example.com and news.example.com
 *	are aligned, example.co.uk and co.uk are not (a public suffix has
 *	no organisational domain), nor are alice.github.io and
 *	bob.github.io.  ev_org_domain() writes the A-label form of domain
 *	to out and returns a pointer into it to its organisational domain,
 *	or NULL (a public suffix, not a host name).  The list is loaded
 *	once (thread-safe) and kept for the life of the process.
 */
#include <ctype.h>
#include <idn2.h>
#include <libpsl.h>
#include <pthread.h>
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

/* The Public Suffix List: the newest of the system's and libpsl's own. */
static psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;

static void
psl_init(void)
{
	if ((psl = psl_latest(NULL)) == NULL)
		psl = (psl_ctx_t *)psl_builtin();
}

/* The organisational domain of d (A-labels, lower case), or NULL. */
static const char *
org_domain(const char *d)
{
	pthread_once(&psl_once, psl_init);
	if (psl == NULL)
		return (NULL);
	return (psl_registrable_domain(psl, d));
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

int
ev_aligned(const char *from, const char *sig)
{
	char fa[256], sa[256];
	const char *fo, *so;
	size_t n;

	if (from == NULL || sig == NULL || *from == '\0' || *sig == '\0')
		return (0);
	if (ev_domain_ascii(from, fa, sizeof(fa)) == -1 ||
	    ev_domain_ascii(sig, sa, sizeof(sa)) == -1)
		return (0);
	lower(fa);
	lower(sa);
	if ((n = strlen(fa)) > 0 && fa[n - 1] == '.')
		fa[n - 1] = '\0';
	if ((n = strlen(sa)) > 0 && sa[n - 1] == '.')
		sa[n - 1] = '\0';
	if (!ev_domain_ok(fa) || !ev_domain_ok(sa))
		return (0);
	/* a public suffix (co.uk, github.io) is no one's domain */
	if ((fo = org_domain(fa)) == NULL || (so = org_domain(sa)) == NULL)
		return (0);
	return (strcmp(fo, so) == 0);
}

const char *
ev_org_domain(const char *domain, char *out, size_t outlen)
{
	const char *o;

	if (ev_domain_ascii(domain, out, outlen) == -1)
		return (NULL);
	lower(out);
	if (!ev_domain_ok(out) || (o = org_domain(out)) == NULL) {
		*out = '\0';
		return (NULL);
	}
	return (o);
}
