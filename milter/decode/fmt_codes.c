/*
 * fmt_codes.c - status, reply and command codes in a diagnostic; see fmt.h
 *
 * SYNOPSIS
 *	int	fmt_status_find(const char *s, char out[16]);
 *	int	fmt_status_better(const char *f, const char *d);
 *	int	fmt_reply_find(const char *s, int cls, char out[4]);
 *	const char *fmt_command_find(const struct rules *rules,
 *		    const char *s);
 *
 * DESCRIPTION
 *	fmt_status_find() finds the enhanced status code (RFC 3463) in the
 *	text s: the first that is neither x.0.0 nor 4.4.7, else the first
 *	of those; 1 and out set, or 0.  fmt_status_better() says whether a
 *	status found in a diagnostic (d) says more than the one the report
 *	states (f).  fmt_reply_find() finds an SMTP reply code standing
 *	alone in s, the first of a fixed order of known codes (class cls
 *	only when it is 2, 4 or 5; no class 2 when it is negative).
 *	fmt_command_find() is the SMTP command a diagnostic names as the
 *	failed step (rules/smtp-commands, smtpcmd.h), or NULL.  Each is
 *	one pass over the text, 16 bytes a step where SSE2 is there.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fmt.h"
#include "litscan.h"
#include "smtpcmd.h"

/*
 * An enhanced status code at s[i]: class 2/4/5, subject 0-7 (one digit),
 * detail 1-3 digits; not preceded by a digit, '.', 'v' or 'V'; not
 * followed by a digit or ".digit" (an IPv4 address or a version).
 * Returns its length or 0.
 */
static size_t
status_at(const char *base, size_t i)
{
	const char *s = base + i;
	size_t k;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return (0);
	if (i > 0) {
		unsigned char pc = (unsigned char)s[-1];

		if (isdigit(pc) || pc == '.' || pc == 'v' || pc == 'V')
			return (0);
	}
	if (s[1] != '.' || s[2] < '0' || s[2] > '7' || s[3] != '.')
		return (0);
	for (k = 4; k < 7 && isdigit((unsigned char)s[k]); k++)
		;
	if (k == 4 || isalnum((unsigned char)s[k]) || s[k] == '_')
		return (0);
	if (s[k] == '.' && isdigit((unsigned char)s[k + 1]))
		return (0);
	return (k);
}

/*
 * The enhanced status in text s (NUL-terminated): the first one that is
 * neither x.0.0 nor 4.4.7, else the first of those.  Returns 1 and sets
 * out, or 0.
 */
#ifdef __SSE2__
/*
 * Bit j set where s[j] is 2, 4 or 5 and s[j + 1] a '.', for j < 16 (reads
 * s[0..16]).
 */
static int
status_starts(const char *s)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
	__m128i y = _mm_loadu_si128((const __m128i *)(const void *)(s + 1));
	__m128i cls = _mm_or_si128(_mm_or_si128(
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('2')),
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('4'))),
	    _mm_cmpeq_epi8(x, _mm_set1_epi8('5')));

	return (_mm_movemask_epi8(_mm_and_si128(cls,
	    _mm_cmpeq_epi8(y, _mm_set1_epi8('.')))));
}

/* Bit j set where s[j] is a digit, for j < 16. */
static int
digits16(const char *s)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);

	/* x - '0' <= 9, unsigned: min(x - '0', 9) == x - '0' */
	x = _mm_sub_epi8(x, _mm_set1_epi8('0'));
	return (_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x,
	    _mm_set1_epi8(9)), x)));
}
#endif

int
fmt_status_find(const char *s, char out[16])
{
	char alt[16] = "";
	size_t i, k, n;

	/* all of out defined: callers copy the 16 bytes into the report */
	memset(out, 0, 16);
	if (s == NULL)
		return (0);
	n = strnlen(s, 65536);
	for (i = 0; i < n; i++) {
#ifdef __SSE2__
		/* a code starts "2." "4." or "5.": skip 16 bytes without one */
		if (i + 16 <= n) {
			int m = status_starts(s + i);

			if (m == 0) {
				i += 15;
				continue;
			}
			i += (size_t)__builtin_ctz((unsigned)m);
		}
#endif
		if ((k = status_at(s, i)) == 0)
			continue;
		if ((k == 5 && s[i + 2] == '0' && s[i + 4] == '0') ||
		    (k == 5 && strncmp(s + i, "4.4.7", 5) == 0)) {
			if (alt[0] == '\0') {
				memcpy(alt, s + i, k);
				alt[k] = '\0';
			}
			i += k - 1;
			continue;
		}
		memcpy(out, s + i, k);
		out[k] = '\0';
		return (1);
	}
	if (alt[0] != '\0') {
		memcpy(out, alt, sizeof(alt));
		return (1);
	}
	return (0);
}

/*
 * Does a status found in the diagnostic (d) say more than the one the
 * report states (f)?  Yes when f is empty, or when both have the same
 * class and f is a generic x.0.0 / x.y.0 code that d refines.
 */
int
fmt_status_better(const char *f, const char *d)
{
	if (d == NULL || *d == '\0')
		return (0);
	if (f == NULL || *f == '\0')
		return (1);
	if (strcmp(f, d) == 0)
		return (0);
	/* a specific code in the text says more than the stated one */
	if (strcmp(d + 1, ".0.0") == 0 || strcmp(d, "4.4.7") == 0)
		return (f[0] == d[0] && strcmp(f + 1, ".0.0") == 0);
	return (1);
}

/*
 * An SMTP reply code in s: a known code (RFC 5321 and friends) standing
 * alone (no digit, '.' or '/' beside it).  The codes are tried in a fixed
 * order (class 5, then 4, then 2; only class cls when it is 2, 4 or 5;
 * not class 2 when cls is negative),
 * as Sisimai does, and the first one present wins.
 */
int
fmt_reply_find(const char *s, int cls, char out[4])
{
	static const short codes[] = {
		550, 552, 553, 551, 521, 525, 523, 524, 530,
		533, 534, 535, 538, 555, 556, 554, 500, 501,
		502, 503, 504,
		421, 450, 451, 452, 422, 430, 432, 453, 454,
		455, 458, 459,
		211, 214, 220, 221, 235, 250, 251, 252, 253,
	};
	unsigned char seen[1000 / 8 + 1];
	size_t i, n;
	int v, any = 0;

	out[0] = '\0';
	if (s == NULL)
		return (0);
	n = strlen(s);
	if (n > 65536)
		n = 65536;
	/* "x-unix;" (lower case), looked for by its 'x' first */
	if (lit_find_ci(s, n, "x-unix;", 7, 0))
		return (0);
	/* One pass: every three digits standing alone ... */
	memset(seen, 0, sizeof(seen));
	for (i = 0; i + 3 <= n; i++) {
		unsigned d0, d1, d2;
		unsigned char b, a;

#ifdef __SSE2__
		/* to the next digit, 16 bytes a step */
		if (i + 16 <= n) {
			int m = digits16(s + i);

			if (m == 0) {
				i += 15;
				continue;
			}
			i += (size_t)__builtin_ctz((unsigned)m);
			if (i + 3 > n)
				break;
		}
#endif
		d0 = (unsigned char)s[i] - '0';
		if (d0 > 9)
			continue;
		d1 = (unsigned char)s[i + 1] - '0';
		d2 = (unsigned char)s[i + 2] - '0';
		if (d1 > 9 || d2 > 9)
			continue;
		b = i > 0 ? (unsigned char)s[i - 1] : ' ';
		a = (unsigned char)s[i + 3];
		if ((b >= '.' && b <= '9') || (a >= '.' && a <= '9'))
			continue;
		v = (int)(d0 * 100 + d1 * 10 + d2);
		seen[v >> 3] |= (unsigned char)(1u << (v & 7));
		any = 1;
	}
	/* ... then the first of the table's codes among them */
	for (i = 0; any && i < sizeof(codes) / sizeof(codes[0]); i++) {
		v = codes[i];
		if (cls > 0 && v / 100 != cls)
			continue;
		if (cls < 0 && v / 100 == 2)
			continue;
		if (seen[v >> 3] & (1u << (v & 7))) {
			out[0] = (char)('0' + v / 100);
			out[1] = (char)('0' + v / 10 % 10);
			out[2] = (char)('0' + v % 10);
			out[3] = '\0';
			return (1);
		}
	}
	return (0);
}

#ifdef __SSE2__
#define LEAD_ANCHORS	4	/* anchors compared unrolled (a[0..3]) */

/*
 * Bit j set where s[j], case folded, is one of the n anchors in a: up to
 * LEAD_ANCHORS in one unrolled pass (unused ones are 0, which x | 0x20
 * never is).
 */
static int
lead_anchors16(const char *s, const __m128i *a, size_t n)
{
	__m128i x = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)
	    s), _mm_set1_epi8(0x20)), m = _mm_setzero_si128();
	size_t k;

	if (n <= LEAD_ANCHORS) {
		m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, a[0]),
		    _mm_cmpeq_epi8(x, a[1])), _mm_or_si128(_mm_cmpeq_epi8(x,
		    a[2]), _mm_cmpeq_epi8(x, a[3])));
	} else {
		for (k = 0; k < n; k++)
			m = _mm_or_si128(m, _mm_cmpeq_epi8(x, a[k]));
	}
	return (_mm_movemask_epi8(m));
}
#endif

/*
 * The SMTP command a diagnostic names as the failed step, or NULL: the
 * first row of rules/smtp-commands [diagnostic] (smtpcmd.h) found in
 * the first 1023 bytes, case ignored.  Every row is a lead-in and a
 * rest.  One pass looks for the lead-ins' anchor letters (16 bytes a
 * step), compares the lead-in around each and the rests after it,
 * instead of a search of the text per row.
 */
const char *
fmt_command_find(const struct rules *rules, const char *s)
{
	const struct sc_section *sec;
	const struct sc_lead *ld;
	size_t n, i, at;
	unsigned lm;
	int best, j, l;
#ifdef __SSE2__
	__m128i anc[SC_MAXLEAD > LEAD_ANCHORS ? SC_MAXLEAD : LEAD_ANCHORS];
	size_t k;
#endif

	if (s == NULL || rules == NULL || rules->smtpcmd == NULL)
		return (NULL);
	sec = &rules->smtpcmd->s[SC_DIAGNOSTIC];
	best = (int)sec->nrow;
#ifdef __SSE2__
	for (k = 0; k < sec->nlead; k++)
		anc[k] = _mm_set1_epi8((char)sec->lead[k].anchor_c);
	for (; k < LEAD_ANCHORS; k++)
		anc[k] = _mm_setzero_si128();
#endif
	n = strnlen(s, 1023);
	for (i = 0; i < n; i++) {
#ifdef __SSE2__
		if (i + 16 <= n) {
			int m = lead_anchors16(s + i, anc, sec->nlead);

			if (m == 0) {
				i += 15;
				continue;
			}
			i += (size_t)__builtin_ctz((unsigned)m);
		}
#endif
		for (lm = sec->by_anchor[(unsigned char)s[i] | 0x20]; lm != 0;
		    lm &= lm - 1) {
			l = __builtin_ctz(lm);
			ld = &sec->lead[l];
			if (i < ld->anchor)
				continue;
			at = i - ld->anchor;
			if (at + ld->len > n ||
			    ((unsigned char)s[at] | 0x20) != ld->text[0] ||
			    strncasecmp(s + at, ld->text, ld->len) != 0)
				continue;
			at += ld->len;
			for (j = ld->row0; j >= 0 && j < best;
			    j = sec->row[j].next)
				if (sec->row[j].len <= n - at &&
				    strncasecmp(s + at, sec->row[j].rest,
				    sec->row[j].len) == 0) {
					best = j;
					break;
				}
		}
	}
	return (best < (int)sec->nrow ? sec->row[best].cmd : NULL);
}
