/*
 * maillog_scan.c - the fast path over a mail log: the lines worth parsing
 *
 * SYNOPSIS
 *	void	maillog_scan_init(struct maillog_scan *s, const char *p,
 *		    const char *end);
 *	const char *maillog_scan_next(struct maillog_scan *s, const char *p,
 *		    const char **eol);
 *	size_t	maillog_count_nl(const char *p, size_t n);
 *
 * DESCRIPTION
 *	See maillog.h.  maillog_scan_next() looks for the markers of a
 *	failed or deferred delivery and of a sender line 16 bytes a step
 *	(SSE2 where the compiler has it), so the lines maillog_parse()
 *	(maillog.c) is given are few; maillog_count_nl() counts lines the
 *	same way.
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "maillog.h"

void
maillog_scan_init(struct maillog_scan *s, const char *p, const char *end)
{
	(void)p;
	s->end = end;
}

/* Is the "stat" at h a status worth a look (not sent, not another word)? */
static int
stat_worth(const char *h, const char *end)
{
	if (h[-1] != ' ' && h[-1] != ',')
		return (0);
	if (end - h >= 8 && memcmp(h + 4, "us=", 3) == 0)
		return (h[7] == 'b' || h[7] == 'd' || h[7] == 'e');
	/* "stat=" may end the text: a line with an empty status counts */
	if (end - h >= 5 && h[4] == '=')
		return (!(end - h >= 9 && h[5] == 'S' &&
		    memcmp(h + 6, "ent", 3) == 0));
	return (0);
}

/*
 * A marker at q, q + 4 <= end: "stat" worth a look, " ** ", " == ",
 * " <= " or " from=<".
 */
static inline int
marker(const char *q, const char *p, const char *end)
{
	if (q[0] == 's')
		return (q[1] == 't' && q[2] == 'a' && q[3] == 't' && q > p &&
		    stat_worth(q, end));
	if (q[0] == 'f')
		return (q[1] == 'r' && q[2] == 'o' && q[3] == 'm' &&
		    end - q >= 6 && q[4] == '=' && q[5] == '<' && q > p &&
		    q[-1] == ' ');
	return (q[0] == ' ' && q[3] == ' ' && ((q[1] == '*' && q[2] == '*') ||
	    (q[1] == '=' && q[2] == '=') || (q[1] == '<' && q[2] == '=')));
}

/*
 * The first marker in [p, end), or NULL.  16 bytes a step: a marker's
 * second and third bytes are "ta", "**", "==", "<=" or "ro", rare enough
 * in a log that the few places where they are get the whole test.
 */
static const char *
find_marker(const char *p, const char *end)
{
	const char *q = p;

#ifdef __SSE2__
	const __m128i t = _mm_set1_epi8('t'), a = _mm_set1_epi8('a');
	const __m128i st = _mm_set1_epi8('*'), eq = _mm_set1_epi8('=');
	const __m128i r = _mm_set1_epi8('r'), o = _mm_set1_epi8('o');
	const __m128i lt = _mm_set1_epi8('<');

	for (; end - q >= 19; q += 16) {
		__m128i b1 = _mm_loadu_si128((const __m128i *)(const void *)
		    (q + 1));
		__m128i b2 = _mm_loadu_si128((const __m128i *)(const void *)
		    (q + 2));
		__m128i e2 = _mm_cmpeq_epi8(b2, eq);
		__m128i m = _mm_or_si128(_mm_or_si128(
		    _mm_and_si128(_mm_cmpeq_epi8(b1, t), _mm_cmpeq_epi8(b2, a)),
		    _mm_and_si128(_mm_cmpeq_epi8(b1, st),
		    _mm_cmpeq_epi8(b2, st))), _mm_or_si128(
		    _mm_and_si128(_mm_cmpeq_epi8(b1, r), _mm_cmpeq_epi8(b2, o)),
		    _mm_and_si128(_mm_or_si128(_mm_cmpeq_epi8(b1, eq),
		    _mm_cmpeq_epi8(b1, lt)), e2)));
		unsigned bits = (unsigned)_mm_movemask_epi8(m);

		while (bits != 0) {
			const char *h = q + __builtin_ctz(bits);

			if (marker(h, p, end))
				return (h);
			bits &= bits - 1;
		}
	}
#endif
	for (; end - q >= 4; q++)
		if (marker(q, p, end))
			return (q);
	return (NULL);
}

const char *
maillog_scan_next(struct maillog_scan *s, const char *p, const char **eol)
{
	const char *end = s->end, *h, *ls, *q;

	if (p >= end || (h = find_marker(p, end)) == NULL)
		return (NULL);
	ls = h > p ? memrchr(p, '\n', (size_t)(h - p)) : NULL;
	ls = ls != NULL ? ls + 1 : p;
	q = memchr(h, '\n', (size_t)(end - h));
	*eol = q != NULL ? q : end;
	return (ls);
}

size_t
maillog_count_nl(const char *p, size_t n)
{
	size_t c = 0, i = 0;

#ifdef __SSE2__
	const __m128i nl = _mm_set1_epi8('\n'), zero = _mm_setzero_si128();

	while (n - i >= 16) {
		/* up to 255 blocks a round: each byte lane counts to 255 */
		__m128i acc = zero, sum;
		size_t k;

		for (k = 0; k < 255 && n - i >= 16; k++, i += 16)
			acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(nl,
			    _mm_loadu_si128((const __m128i *)(const void *)
			    (p + i))));
		sum = _mm_sad_epu8(acc, zero);
		c += (size_t)_mm_cvtsi128_si32(sum) +
		    (size_t)_mm_cvtsi128_si32(_mm_srli_si128(sum, 8));
	}
#endif
	for (; i < n; i++)
		c += p[i] == '\n';
	return (c);
}
