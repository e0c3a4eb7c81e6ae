/*
 * fmt_util.c - text helpers shared by the bounce-format parsers; see fmt.h
 *
 * SYNOPSIS
 *	int	fmt_strcasestr(const char *s, size_t n, const char *needle);
 *	char	*fmt_addr(struct arena *a, const char *s, size_t n);
 *	char	*fmt_oneline(struct arena *a, const char *s, size_t n);
 *	char	*fmt_append(struct arena *a, const char *prev, const char *s,
 *		    size_t n);
 *	const char *fmt_header(const struct mime_part *p, const char *name);
 *	char	*fmt_header_decoded(struct fmt_ctx *c, const struct mime_part *p,
 *		    const char *name);
 *
 * DESCRIPTION
 *	fmt_strcasestr(): does s[0..n) contain needle, ASCII case ignored.
 *	fmt_addr(): a bare address from "rfc822; <a@b>" and similar.
 *	fmt_oneline(): white space collapsed, trimmed, one line.
 *	fmt_append(): prev, a space and s[0..n), collapsed.
 *	fmt_header(), fmt_header_decoded(): a header of a part, as it is or
 *	with its encoded words decoded.
 *	fmt_next_line() (inline, fmt.h): bounded line iteration over a
 *	buffer.  The patterns are in fmt_rx.c, the code searches in
 *	fmt_codes.c, the recipient records in fmt_rcpt.c.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fmt.h"
#include "litscan.h"

/* Does s[0..n) contain needle, ignoring ASCII case? */
int
fmt_strcasestr(const char *s, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;
	int lo, up;
	char low[64];

	if (k == 0 || k > n)
		return (k == 0);
	if (k <= sizeof(low)) {
		/* memchr() on the needle's rarest byte (litscan.c) */
		for (i = 0; i < k; i++)
			low[i] = (char)tolower((unsigned char)needle[i]);
		return (lit_find_ci(s, n, low, k, lit_anchor(low, k)));
	}
	lo = tolower((unsigned char)needle[0]);
	up = toupper((unsigned char)needle[0]);
	for (i = 0; i + k <= n; i++) {
		int ch = (unsigned char)s[i];

		if (ch != lo && ch != up)
			continue;
		if (strncasecmp(s + i + 1, needle + 1, k - 1) == 0)
			return (1);
	}
	return (0);
}

/*
 * Bit c set: byte c may be part of an address: above ' ', not DEL, not
 * one of < > ( ) , ; " ' [ ]  (a table: fmt_addr() asks for every byte).
 */
static const unsigned char addr_ok[32] = {
	0x00, 0x00, 0x00, 0x00, 0x7a, 0xec, 0xff, 0xa7,
	0xff, 0xff, 0xff, 0xd7, 0xff, 0xff, 0xff, 0x7f,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

#define addr_char(c)	(addr_ok[(c) >> 3] & (1u << ((c) & 7)))

/*
 * A bare address from s[0..n): drops an "rfc822;" style type, angle
 * brackets, quotes around the whole, a display name, trailing dots and
 * colons.  Prefers the first "<...@...>" when there is one; else the
 * first token holding "@"; else the first token.
 */
char *
fmt_addr(struct arena *a, const char *s, size_t n)
{
	const char *p, *e, *lt, *gt, *semi, *at, *b;
	size_t i;

	if (s == NULL)
		return (NULL);
	e = s + n;
	/* "rfc822; x" - a type is a short token without @ before ';' */
	if ((semi = memchr(s, ';', n)) != NULL && semi - s < 16 &&
	    memchr(s, '@', (size_t)(semi - s)) == NULL)
		s = semi + 1;
	/* <...@...> */
	for (p = s; p < e && (lt = memchr(p, '<', (size_t)(e - p))) != NULL;
	    p = lt + 1) {
		gt = memchr(lt, '>', (size_t)(e - lt));
		if (gt == NULL)
			break;
		if (memchr(lt, '@', (size_t)(gt - lt)) != NULL) {
			s = lt + 1;
			e = gt;
			goto trim;
		}
	}
	/* first token with '@' */
	for (p = s; p < e; ) {
		while (p < e && !addr_char((unsigned char)*p))
			p++;
		b = p;
		while (p < e && addr_char((unsigned char)*p))
			p++;
		if (p > b && (at = memchr(b, '@', (size_t)(p - b))) != NULL) {
			s = b;
			e = p;
			goto trim;
		}
	}
	/* first token */
	for (p = s; p < e && !addr_char((unsigned char)*p); p++)
		;
	for (b = p; p < e && addr_char((unsigned char)*p); p++)
		;
	s = b;
	e = p;
trim:
	while (s < e && (isspace((unsigned char)*s) || *s == '<' ||
	    *s == '"' || *s == '\''))
		s++;
	while (e > s && (isspace((unsigned char)e[-1]) || e[-1] == '>' ||
	    e[-1] == '.' || e[-1] == ':' || e[-1] == ',' || e[-1] == '"' ||
	    e[-1] == '\'' || e[-1] == ';'))
		e--;
	for (i = 0; s + i < e; i++)
		if ((unsigned char)s[i] < ' ')
			return (arena_strndup(a, s, i));
	return (arena_strndup(a, s, (size_t)(e - s)));
}

/*
 * Write s[0..n) into d with control characters and blanks collapsed to
 * one space between words, none at either end, up to a NUL; after text
 * already in d when more is set (then a space goes before the first
 * word).  d has room for n + 2 bytes.
 */
#ifdef __SSE2__
/*
 * For collapse(): copy to o the longest prefix of s[0..n) that it leaves
 * as it is (no control character, NUL or DEL, no space before white
 * space), 16 bytes a step, and return its length.  A step reads s[k..k+16]
 * and writes o[k..k+16) whole: collapse() never writes more than one byte
 * past the input it consumed, so that stays inside its room.
 */
static size_t
clean_run(char *o, const char *s, size_t n)
{
	const __m128i sp = _mm_set1_epi8(' '), ctl = _mm_set1_epi8(' ' - 1);
	const __m128i del = _mm_set1_epi8(127);
	__m128i x, y, wsy, bad;
	size_t k;
	int m;

	for (k = 0; k + 17 <= n; k += 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(s + k));
		y = _mm_loadu_si128((const __m128i *)(const void *)(s + k + 1));
		/* white space: <= ' ' (unsigned min), or DEL */
		wsy = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(y, sp), y),
		    _mm_cmpeq_epi8(y, del));
		bad = _mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x),
		    _mm_cmpeq_epi8(x, del)),
		    _mm_and_si128(_mm_cmpeq_epi8(x, sp), wsy));
		_mm_storeu_si128((__m128i *)(void *)(o + k), x);
		if ((m = _mm_movemask_epi8(bad)) != 0)
			return (k + (size_t)__builtin_ctz((unsigned)m));
	}
	return (k);
}
#else
static size_t
clean_run(char *o, const char *s, size_t n)
{
	(void)o;
	(void)s;
	(void)n;
	return (0);
}
#endif

static void
collapse(char *d, const char *s, size_t n, int more)
{
	char *o = d;
	size_t i, k;
	int sp = more;

	for (i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\0')
			break;
		if (c <= ' ' || c == 127) {
			sp = 1;
			i++;
			continue;
		}
		if (sp && (o > d || more))
			*o++ = ' ';
		sp = 0;
		k = clean_run(o, s + i, n - i);
		o += k;
		i += k;
		/* the rest of the word at once */
		while (i < n && (unsigned char)s[i] > ' ' &&
		    (unsigned char)s[i] != 127)
			*o++ = s[i++];
	}
	*o = '\0';
}

/* Is s[0..n) as fmt_oneline() would leave it? */
static int
is_oneline(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return (1);
	if ((unsigned char)s[0] <= ' ' || (unsigned char)s[n - 1] <= ' ')
		return (0);
	i = 0;
#ifdef __SSE2__
	{
		const __m128i lo = _mm_set1_epi8(' '), del = _mm_set1_epi8(127);

		/* 16 bytes a step; s[i + 16] is at most s[n], the NUL */
		for (; i + 16 <= n; i += 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)
			    (s + i));
			__m128i y = _mm_loadu_si128((const __m128i *)(const void *)
			    (s + i + 1));
			__m128i bad = _mm_or_si128(_mm_or_si128(
			    /* x < ' ': max(x, ' ') differs from x */
			    _mm_andnot_si128(_mm_cmpeq_epi8(_mm_max_epu8(x, lo),
			    x), _mm_set1_epi8(-1)), _mm_cmpeq_epi8(x, del)),
			    _mm_and_si128(_mm_cmpeq_epi8(x, lo),
			    _mm_cmpeq_epi8(y, lo)));

			if (_mm_movemask_epi8(bad) != 0)
				return (0);
		}
	}
#endif
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < ' ' || c == 127 || (c == ' ' && s[i + 1] == ' '))
			return (0);
	}
	return (1);
}

/* s[0..n) with all white space runs as one space, trimmed. */
char *
fmt_oneline(struct arena *a, const char *s, size_t n)
{
	char *d;

	if (s == NULL)
		return (NULL);
	if ((d = arena_alloc(a, n + 1)) == NULL)
		return (NULL);
	collapse(d, s, n, 0);
	return (d);
}

/* prev + " " + s[0..n), collapsed; prev may be NULL or "". */
char *
fmt_append(struct arena *a, const char *prev, const char *s, size_t n)
{
	char *t, *d;
	size_t pl;

	if (prev == NULL || *prev == '\0')
		return (fmt_oneline(a, s, n));
	pl = strlen(prev);
	if (is_oneline(prev, pl)) {
		/* prev is as fmt_oneline() leaves it: only s to collapse */
		if ((t = arena_alloc(a, pl + n + 2)) == NULL)
			return ((char *)prev);
		memcpy(t, prev, pl);
		d = t + pl;
		collapse(d, s, n, 1);
		return (t);
	}
	if ((t = arena_alloc(a, pl + n + 2)) == NULL)
		return ((char *)prev);
	memcpy(t, prev, pl);
	t[pl] = ' ';
	memcpy(t + pl + 1, s, n);
	if ((d = fmt_oneline(a, t, pl + n + 1)) == NULL)
		return ((char *)prev);
	return (d);
}

const char *
fmt_header(const struct mime_part *p, const char *name)
{
	return (p != NULL ? mime_hdr_get(p, name) : NULL);
}

char *
fmt_header_decoded(struct fmt_ctx *c, const struct mime_part *p,
    const char *name)
{
	const char *v;
	char *d;

	if ((v = fmt_header(p, name)) == NULL)
		return (NULL);
	d = mime_decode_words(c->a, v);
	return (d != NULL ? d : (char *)v);
}
