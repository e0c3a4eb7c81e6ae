/*
 * mime_int.h - what the modules of the MIME walk share (not a public API)
 *
 * SYNOPSIS
 *	mime_hdr.c:
 *	int	mime_headers_parse(struct walk *wk, struct mime_part *p,
 *		    const char *b, size_t n, int embedded, size_t *bodyp);
 *	size_t	mime_field_name(const char *s, size_t n, size_t *colon);
 *	int	mime_line_blank(const char *b, size_t s, size_t le);
 *	const char *mime_ct_type(struct arena *a, const char *v, int *oom);
 *	int	mime_params_get(struct arena *a, const char *v,
 *		    const char *const *names, size_t cnt, char **out);
 *	char	*mime_param_get(struct arena *a, const char *v,
 *		    const char *name, int *oom);
 *	void	mime_lower_str(char *s);
 *	mime_cte.c:
 *	size_t	mime_b64_decode(const char *s, size_t n, char *out);
 *	size_t	mime_qp_decode(const char *s, size_t n, char *out,
 *		    int underscore);
 *	char	*mime_text_utf8(struct arena *a, const char *cs, const char *s,
 *		    size_t n, int crlf, int reuse, size_t *outlen);
 *
 * DESCRIPTION
 *	mime.c walks a message; mime_hdr.c reads its header blocks and
 *	Content-Type parameters, mime_cte.c undoes transfer encodings and
 *	turns text into clean UTF-8, mime_word.c decodes RFC 2047 words.
 *	The small character helpers and the ASCII run scan are inline here,
 *	so each caller's constant flags still fold away.
 */
#ifndef MIME_INT_H
#define MIME_INT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "buf.h"
#include "charset.h"
#include "mime.h"

#define MIME_HARD_DEPTH		200	/* recursion guard whatever the limit */
#define MIME_MAX_HDRS		10000	/* fields kept per entity */
#define MIME_MAX_BOUNDARY	256
#define MIME_MAX_SECTIONS	64	/* RFC 2231 continuations */

enum cte { CTE_IDENTITY, CTE_BASE64, CTE_QP };

/* A field as the first pass over a header block found it. */
struct fseen {
	size_t		 pos;		/* its first line */
	size_t		 nl;		/* name length */
	size_t		 colon;		/* the colon, from pos */
	size_t		 end;		/* LF (or end) of its last line */
};

#define HDRS_SEEN	64	/* fields remembered by the first pass */

struct walk {
	struct arena	*a;
	struct mime_msg	*m;
	int		 max_depth;
	size_t		 max_parts;
	struct fseen	 seen[HDRS_SEEN];	/* mime_headers_parse() scratch,
						   not kept across calls */
};

static const char utf8_repl[] = "\xef\xbf\xbd";

/*
 * Small character helpers, independent of the locale.
 */
static inline int
lower(int c)
{
	return (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

/* A field name's look-up key: its length and first letter, any case. */
static inline unsigned char
hdr_key(const char *name, size_t len)
{
	/* "| 0x20" lower-cases letters (and moves a few other bytes,
	 * which only costs a strcasecmp() more) */
	return ((unsigned char)(((unsigned char)name[0] | 0x20) + len * 37));
}

static inline int
is_wsp(int c)
{
	return (c == ' ' || c == '\t');
}

/*
 * RFC 2045 token characters: printable ASCII but the tspecials
 * ()<>@,;:\"/[]?= (a table: is_token() runs once per byte).
 */
static const unsigned char token_char[256] = {
	['!'] = 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 1, 0,
	['0'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	['@'] = 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['P'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,
	['`'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['p'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static inline int
is_token(int c)
{
	return (token_char[(unsigned char)c]);
}

static inline int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static inline size_t
u8len(const unsigned char *p, size_t n)
{
	unsigned c = p[0];

	if (c < 0x80)
		return (1);
	if (c >= 0xc2 && c <= 0xdf)
		return (n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0);
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return (0);
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))
			return (0);
		return (3);
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return (0);
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
			return (0);
		return (4);
	}
	return (0);
}

/* End of the line that starts at s: the position of its LF, or e. */
static inline size_t
line_end(const char *b, size_t s, size_t e)
{
	const char *q = memchr(b + s, '\n', e - s);

	return (q != NULL ? (size_t)(q - b) : e);
}

#ifndef __SSE2__
/*
 * Eight bytes at a time without SSE2 (ascii_run(), hdr_run() in
 * mime_hdr.c): swar_eq(w, c) has the high bit set in the lowest byte of
 * w that is c (and perhaps in bytes above it, never below), so w holds
 * a byte c when swar_eq(w, c) & SWAR_HIGHS.
 */
#define SWAR_ONES	0x0101010101010101ULL
#define SWAR_HIGHS	0x8080808080808080ULL

static inline uint64_t
swar_eq(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (SWAR_ONES * c);

	return ((x - SWAR_ONES) & ~x);
}
#endif

/*
 * Length of the leading run of s[0, n) that is plain ASCII: no byte
 * >= 0x80, no NUL and, when cr is set, no CR, when esc is set, no ESC
 * (the run no charset conversion or clean-up changes).  Sixteen bytes at
 * a time with SSE2, else eight.  Inline: the flags are constants at each
 * call, and the tests they guard drop out.
 */
static inline size_t
ascii_run(const unsigned char *s, size_t n, int cr, int esc)
{
	size_t i = 0;
#ifdef __SSE2__
	/* an unwanted CR or ESC is looked for as NUL, which stops anyway */
	const __m128i zero = _mm_setzero_si128();
	const __m128i crs = _mm_set1_epi8(cr ? '\r' : 0);
	const __m128i escs = _mm_set1_epi8(esc ? 0x1b : 0);
	__m128i v;
	int m;

#define STOPS(v)	_mm_movemask_epi8(_mm_or_si128(_mm_or_si128((v), \
			    _mm_cmpeq_epi8((v), zero)), _mm_or_si128( \
			    _mm_cmpeq_epi8((v), crs), _mm_cmpeq_epi8((v), escs))))
	for (; n - i >= 16; i += 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		if ((m = STOPS(v)) != 0)
			return (i + (size_t)__builtin_ctz((unsigned)m));
	}
	if (i < n && n >= 16) {
		/* the last 16 bytes, overlapping what was seen clean */
		v = _mm_loadu_si128((const __m128i *)(const void *)
		    (s + n - 16));
		m = STOPS(v);
		return (m != 0 ? n - 16 + (size_t)__builtin_ctz((unsigned)m) :
		    n);
	}
#undef STOPS
#else
	uint64_t w, z;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, s + i, 8);
		z = swar_eq(w, 0);			/* a NUL byte */
		if (cr)
			z |= swar_eq(w, '\r');		/* a CR byte */
		if (esc)
			z |= swar_eq(w, 0x1b);		/* an ESC byte */
		if ((w | z) & SWAR_HIGHS)
			break;
	}
#endif
	for (; i < n; i++)
		if (s[i] >= 0x80 || s[i] == '\0' || (cr && s[i] == '\r') ||
		    (esc && s[i] == 0x1b))
			break;
	return (i);
}

int	 mime_headers_parse(struct walk *, struct mime_part *, const char *,
	    size_t, int, size_t *);
size_t	 mime_field_name(const char *, size_t, size_t *);
int	 mime_line_blank(const char *, size_t, size_t);
const char *mime_ct_type(struct arena *, const char *, int *);
int	 mime_params_get(struct arena *, const char *, const char *const *,
	    size_t, char **);
char	*mime_param_get(struct arena *, const char *, const char *, int *);
void	 mime_lower_str(char *);
size_t	 mime_b64_decode(const char *, size_t, char *);
size_t	 mime_qp_decode(const char *, size_t, char *, int);
char	*mime_text_utf8(struct arena *, const char *, const char *, size_t,
	    int, int, size_t *);

#endif
