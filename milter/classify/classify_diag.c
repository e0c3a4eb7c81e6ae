/*
 * classify_diag.c - the status and reply code a diagnostic text states
 *
 * SYNOPSIS
 *	char	*diag_fold(struct arena *a, const char *s, size_t max,
 *		    size_t *outlen);
 *	int	diag_status(const char *s, int nth, char out[16]);
 *	int	diag_reply(const char *s, const char *status, char out[4]);
 *	int	diag_reply_valid(const char *r);
 *	const char *diag_find_ci(const char *h, size_t n,
 *		    const char *needle);
 *
 * DESCRIPTION
 *	The reading of one recipient's diagnostic text that classify.c
 *	does before it decides anything.
 *
 *	diag_fold() copies at most max bytes of s into a, with runs of
 *	white space folded to one space and the codes of a multi-line
 *	SMTP reply folded into one line dropped but the first, so that a
 *	phrase broken over lines reads whole; the length goes to *outlen.
 *	NULL when memory ran out.
 *
 *	diag_status() finds the nth (0-based) enhanced status code that
 *	stands alone in s; diag_reply() the SMTP reply code that starts s
 *	or follows "said:" and the like (of the class of status, when one
 *	is given), else the one right before the status.  Both return 1
 *	with out filled, or 0.  diag_reply_valid() says whether r is a
 *	reply code SMTP defines.
 *
 *	diag_find_ci() is a case-insensitive search for needle in the
 *	first n bytes of h: the first match, or NULL.
 */
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "classify.h"
#include "classify_int.h"

/*
 * A multi-line SMTP reply folded into one line reads "550-5.2.1 The user
 * ... at a rate that 550-5.2.1 prevents ... 550 5.2.1 additional ...":
 * drop the repeated "550-" and "5.2.1" of the continuation lines, keep the
 * first as "550 5.2.1", and drop the "550 5.2.1" of the last line too
 * (the first "550 " after the last continuation, within a line's reach),
 * so that a phrase broken over lines reads whole again.
 * Works in place; returns the new length.
 */
#define REPLY_LINE_MAX	600	/* how far the last line's code may be */

static size_t
unfold_replies(char *d)
{
	char *r, *w, *p, *q, st[16], code[4] = "";
	const char *end;
	size_t n, last = 0;

	/*
	 * Only a word that reads "DDD-" can be such a reply code: look at
	 * the dashes, and move what lies between only once one is dropped.
	 */
	for (r = w = q = d; (q = strchr(q, '-')) != NULL; q++) {
		p = q - 3;
		if (q - d < 3 || p < r || !(p == d || p[-1] == ' ') ||
		    !(p[0] == '4' || p[0] == '5' || p[0] == '2') ||
		    !a_digit((unsigned char)p[1]) ||
		    !a_digit((unsigned char)p[2]))
			continue;
		n = (size_t)(p - r);
		if (w != r)
			memmove(w, r, n);
		w += n;
		r = p;
		memcpy(code, p, 3);
		code[3] = '\0';
		if (r == d) {
			w += 3;
			*w++ = ' ';
			r += 4;
		} else {
			r += 4;
			if (status_parse(r, st, &end) && *end == ' ')
				r = (char *)end + 1;
		}
		last = (size_t)(w - d);
		q = r - 1;
	}
	n = strlen(r);
	if (w != r)
		memmove(w, r, n);
	w += n;
	*w = '\0';
	if (last == 0)
		return ((size_t)(w - d));
	/* The last line: " DDD " (and its status) after the last dash. */
	for (p = d + last - 1; *p != '\0' &&
	    (size_t)(p - d) < last + REPLY_LINE_MAX; p++) {
		if (p[0] != ' ' || p[1] != code[0] || p[2] != code[1] ||
		    p[3] != code[2] || p[4] != ' ')
			continue;
		q = p + 5;
		if (status_parse(q, st, &end) && (*end == ' ' || *end == '\0'))
			q = (char *)(*end == ' ' ? end + 1 : end);
		n = strlen(q);
		memmove(p + 1, q, n + 1);
		w = p + 1 + n;
		if (w > d && w[-1] == ' ')
			*--w = '\0';
		break;
	}
	return ((size_t)(w - d));
}

/* Copy s folding white space runs to one space; at most max bytes. */
char *
diag_fold(struct arena *a, const char *s, size_t max, size_t *outlen)
{
	char *d, *o;
	size_t n = strlen(s);
	int sp = 1;
#ifdef __SSE2__
	const __m128i blank = _mm_set1_epi8(' ');
	__m128i x;
	unsigned m, k;
#endif

	if (n > max)
		n = max;
	if ((d = arena_alloc(a, n + 1)) == NULL) {
		*outlen = 0;
		return (NULL);
	}
	for (o = d; n > 0 && *s != '\0';) {
#ifdef __SSE2__
		/* The bytes before the first blank (or NUL, or other byte
		 * up to ' ') of the next 16 go as they are, at once. */
		if (n >= 16) {
			x = _mm_loadu_si128((const __m128i *)(const void *)s);
			m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(
			    _mm_min_epu8(x, blank), x));
			k = m == 0 ? 16 : (unsigned)__builtin_ctz(m);
			if (k > 0) {
				_mm_storeu_si128((__m128i *)(void *)o, x);
				o += k;
				s += k;
				n -= k;
				sp = 0;
				continue;
			}
		}
#endif
		if (a_space((unsigned char)*s)) {
			if (!sp)
				*o++ = ' ';
			sp = 1;
		} else {
			*o++ = *s;
			sp = 0;
		}
		s++;
		n--;
	}
	if (o > d && o[-1] == ' ')
		o--;
	*o = '\0';
	*outlen = unfold_replies(d);
	return (d);
}

static int
token_char(int c)
{
	return (a_alpha(c) || a_digit(c) || c == '.' || c == '_' || c == '-');
}

/* The n-th (0-based) enhanced status code standing alone in s. */
int
diag_status(const char *s, int nth, char out[16])
{
	const char *p, *end;

	/* strpbrk(): the candidates without a test per byte here */
	for (p = s; (p = strpbrk(p, "245")) != NULL; p++) {
		/* "550-5.7.1" is a status after a continuation mark. */
		if (p > s && token_char((unsigned char)p[-1]) &&
		    !(p[-1] == '-' && p - s >= 4 &&
		    a_digit((unsigned char)p[-2])))
			continue;
		if (status_parse(p, out, &end)) {
			if (nth-- == 0)
				return (1);
			p = end - 1;
		}
	}
	return (0);
}

/* A reply code: three digits standing alone, not part of a status. */
static int
reply_at(const char *p, const char *s, char out[4])
{
	if (!(p[0] == '4' || p[0] == '5' || p[0] == '2') ||
	    !a_digit((unsigned char)p[1]) || !a_digit((unsigned char)p[2]))
		return (0);
	if (p > s && token_char((unsigned char)p[-1]))
		return (0);
	if (p[3] != '\0' && p[3] != ' ' && p[3] != '-' && p[3] != ',' &&
	    p[3] != ')' && p[3] != ':')
		return (0);
	if (p[1] > '5')
		return (0);
	memcpy(out, p, 3);
	out[3] = '\0';
	return (1);
}

int
diag_reply(const char *s, const char *status, char out[4])
{
	const char *p;
	static const char *const lead[] = { "said: ", "said:", "<<< ",
	    "reply: ", "error: ", NULL };
	const char *const *l;
	size_t n;

	if (s == NULL || *s == '\0')
		return (0);
	/* At the start of the text, or right after "... said:". */
	for (p = s; *p == ' ' || *p == '(' || *p == '[' || *p == '#'; p++)
		;
	if (reply_at(p, s, out) && (*status == '\0' || *status == out[0]))
		return (1);
	n = strlen(s);
	for (l = lead; *l != NULL; l++)
		for (p = s; (p = diag_find_ci(p, n - (size_t)(p - s), *l)) != NULL;
		    p++) {
			const char *q = p + strlen(*l);

			while (*q == ' ')
				q++;
			if (reply_at(q, s, out) && (*status == '\0' ||
			    *status == out[0]))
				return (1);
		}
	/* Else the reply that comes right before the status code. */
	if (*status != '\0')
		for (p = s; (p = strstr(p, status)) != NULL; p++)
			if (p - s >= 4 && p[-1] == ' ' &&
			    reply_at(p - 4, s, out) && out[0] == *status)
				return (1);
	return (0);
}

/*
 * Is this a reply code SMTP defines (RFC 5321, 3463's companions, 4954,
 * 7504)?  Bounces quote other numbers ("522", "542") that are not.
 */
int
diag_reply_valid(const char *r)
{
	if (!a_digit((unsigned char)r[0]) || !a_digit((unsigned char)r[1]) ||
	    !a_digit((unsigned char)r[2]) || r[3] != '\0')
		return (0);
	switch ((r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0')) {
	case 211: case 214: case 220: case 221: case 250: case 251: case 252:
	case 354: case 541:
	case 421: case 450: case 451: case 452: case 453: case 454: case 455:
	case 458: case 459: case 500: case 501: case 502: case 503: case 504:
	case 521: case 523: case 524: case 525: case 530: case 534: case 535:
	case 538: case 550: case 551: case 552: case 553: case 554: case 555:
	case 556: case 557:
		return (1);
	default:
		return (0);
	}
}

/*
 * Case-insensitive search for needle in the first n bytes of h: the
 * first match.  Candidates come from memchr() on a byte of needle that
 * has no case (the '@' of an address), when there is one.
 */
const char *
diag_find_ci(const char *h, size_t n, const char *needle)
{
	const char *p, *end;
	size_t i, m = strlen(needle), a;
	int c0;

	if (m == 0 || m > n)
		return (NULL);
	for (a = 0; a < m && a_alpha((unsigned char)needle[a]); a++)
		;
	if (a < m) {
		end = h + (n - m) + a + 1;
		for (p = h + a; p < end && (p = memchr(p, needle[a],
		    (size_t)(end - p))) != NULL; p++)
			if (strncasecmp(p - a, needle, m) == 0)
				return (p - a);
		return (NULL);
	}
	c0 = a_lower((unsigned char)needle[0]);
	for (i = 0; i + m <= n; i++)
		if (a_lower((unsigned char)h[i]) == c0 &&
		    strncasecmp(h + i, needle, m) == 0)
			return (h + i);
	return (NULL);
}
