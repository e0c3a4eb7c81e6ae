/*
 * mime.c - MIME walk of one raw message; see mime.h for the interface
 *
 *	One pass over each entity: the header block (two linear scans: one
 *	to count fields and find the body, one to copy each unfolded field
 *	into a single arena block), then the body by type:
 *
 *	multipart/...	split at "--boundary" lines (white space around
 *			it allowed, "--boundary--" closes, preamble and
 *			epilogue ignored); every part walked recursively.
 *			A missing final boundary sets MIME_NO_END, and so
 *			does a boundary that never appears: the body then
 *			becomes one text/plain child (for multipart/report:
 *			text, report fields and returned message, cut at
 *			the paragraph where the report fields start).  The
 *			container's own body is empty ("", 0) unless a
 *			limit stopped the walk there; then it is the
 *			decoded content.
 *	message/rfc822, message/global, message/news, text/rfc822-headers,
 *	message/global-headers
 *			body transfer-decoded (some MTAs base64 it), then
 *			parsed as one child message.
 *	everything else	a leaf: transfer-decoded; textual types (text/...,
 *			message/delivery-status and its kin) converted to
 *			UTF-8 with CRLF -> LF and NUL -> U+FFFD.
 *
 *	Repairs for what real bounces do: a fold that lost its leading
 *	blank (a non-field line inside a header block that a blank line
 *	ends) continues the field; a multipart part that starts with a
 *	message's own fields (Received, From, ...) rather than Content-*
 *	is a pasted message (message/rfc822); text labelled ISO-2022-JP
 *	but sent as 8-bit is read as UTF-8, EUC-JP or Shift_JIS, whichever
 *	decodes cleanly; ISO-2022-JP runs inside unlabelled or UTF-8 text
 *	are converted run by run.
 *
 *	Bodies are always fresh, NUL-terminated arena copies; the input is
 *	never written.  Every scan is linear in the entity's length (lines
 *	are found with memchr, multipart delimiters with a Horspool search
 *	of "--boundary", runs of plain bytes 16 at a time with SSE2 or 8 with
 *	word tricks, look-aheads are bounded), so the whole walk is
 *	O(depth * length).  Recursion is bounded by the depth limit
 *	(itself capped at MIME_HARD_DEPTH).  Charset conversion goes through
 *	charset.c (iconv with a per-thread descriptor cache).
 */
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
	struct fseen	 seen[HDRS_SEEN];	/* headers_parse() scratch,
						   not kept across calls */
};

static int	entity_parse(struct walk *, struct mime_part *, const char *,
		    size_t, const char *, int);

#define ENT_EMBEDDED	0x01	/* the content of a message/rfc822-like part */
#define ENT_TERM	0x02	/* b[n] is a NUL that bodies may end on */

static const char utf8_repl[] = "\xef\xbf\xbd";

/*
 * Small character helpers, independent of the locale.
 */
static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

/* A field name's look-up key: its length and first letter, any case. */
static unsigned char
hdr_key(const char *name, size_t len)
{
	/* "| 0x20" lower-cases letters (and moves a few other bytes,
	 * which only costs a strcasecmp() more) */
	return ((unsigned char)(((unsigned char)name[0] | 0x20) + len * 37));
}

static int
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

static int
is_token(int c)
{
	return (token_char[(unsigned char)c]);
}

static int
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
static size_t
line_end(const char *b, size_t s, size_t e)
{
	const char *q = memchr(b + s, '\n', e - s);

	return (q != NULL ? (size_t)(q - b) : e);
}

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
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t w, x, z;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, s + i, 8);
		z = (w - ones) & ~w;			/* a NUL byte */
		if (cr) {
			x = w ^ (ones * '\r');
			z |= (x - ones) & ~x;		/* a CR byte */
		}
		if (esc) {
			x = w ^ (ones * 0x1b);
			z |= (x - ones) & ~x;		/* an ESC byte */
		}
		if ((w | z) & highs)
			break;
	}
#endif
	for (; i < n; i++)
		if (s[i] >= 0x80 || s[i] == '\0' || (cr && s[i] == '\r') ||
		    (esc && s[i] == 0x1b))
			break;
	return (i);
}

/*
 * Length of the leading run of s[0, n) without NUL, CR or LF (header
 * text to copy as it is).  As ascii_run().
 */
static size_t
hdr_run(const unsigned char *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i zero = _mm_setzero_si128();
	const __m128i crs = _mm_set1_epi8('\r'), lfs = _mm_set1_epi8('\n');
	__m128i v;
	int m;

	for (; n - i >= 16; i += 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		if ((m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(v, zero), _mm_cmpeq_epi8(v, crs)),
		    _mm_cmpeq_epi8(v, lfs)))) != 0)
			return (i + (size_t)__builtin_ctz((unsigned)m));
	}
#else
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t highs = 0x8080808080808080ULL;
	uint64_t w, x, y;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, s + i, 8);
		x = w ^ (ones * '\r');
		y = w ^ (ones * '\n');
		if ((((w - ones) & ~w) | ((x - ones) & ~x) |
		    ((y - ones) & ~y)) & highs)
			break;
	}
#endif
	for (; i < n; i++)
		if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
			break;
	return (i);
}

/*
 * Transfer decodings.  Both are lenient and write at most n bytes.
 */

/* Base64: junk skipped, padding optional, "=" ends a quantum early. */
static size_t
b64_decode(const char *s, size_t n, char *out)
{
	static const signed char map[256] = {
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63,
	    52, 53, 54, 55, 56, 57, 58, 59, 60, 61, -1, -1, -1, -1, -1, -1,
	    -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, -1, -1, -1, -1, -1,
	    -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	};
	unsigned long acc = 0, q;
	size_t i, o = 0;
	int k = 0, v, c0, c1, c2, c3;

	for (i = 0; i < n; i++) {
		/* four clean characters at a quantum start: one step (the
		 * values are read once: stores to out may alias s) */
		while (k == 0 && n - i >= 4) {
			c0 = map[(unsigned char)s[i]];
			c1 = map[(unsigned char)s[i + 1]];
			c2 = map[(unsigned char)s[i + 2]];
			c3 = map[(unsigned char)s[i + 3]];
			if ((c0 | c1 | c2 | c3) < 0)
				break;
			q = (unsigned long)c0 << 18 | (unsigned long)c1 << 12 |
			    (unsigned long)c2 << 6 | (unsigned long)c3;
			out[o] = (char)(q >> 16);
			out[o + 1] = (char)(q >> 8);
			out[o + 2] = (char)q;
			o += 3;
			i += 4;
		}
		if (i >= n)
			break;
		if (s[i] == '=') {
			if (k == 2)
				out[o++] = (char)(acc >> 4);
			else if (k == 3) {
				out[o++] = (char)(acc >> 10);
				out[o++] = (char)(acc >> 2);
			}
			k = 0;
			acc = 0;
			continue;
		}
		if ((v = map[(unsigned char)s[i]]) < 0)
			continue;
		acc = (acc << 6) | (unsigned long)v;
		if (++k == 4) {
			out[o++] = (char)(acc >> 16);
			out[o++] = (char)(acc >> 8);
			out[o++] = (char)acc;
			k = 0;
			acc = 0;
		}
	}
	if (k == 2)
		out[o++] = (char)(acc >> 4);
	else if (k == 3) {
		out[o++] = (char)(acc >> 10);
		out[o++] = (char)(acc >> 2);
	}
	return (o);
}

/* Quoted-printable: bad escapes kept literally, soft breaks removed. */
static size_t
qp_decode(const char *s, size_t n, char *out, int underscore)
{
	size_t i, j, o = 0;
	int h, l;

	for (i = 0; i < n; i++) {
		if (!underscore) {
			/* copy up to the next '=' in one go */
			const char *eq = memchr(s + i, '=', n - i);

			j = eq != NULL ? (size_t)(eq - s) : n;
			memcpy(out + o, s + i, j - i);
			o += j - i;
			if ((i = j) == n)
				break;
		}
		if (underscore && s[i] == '_') {
			out[o++] = ' ';
			continue;
		}
		if (s[i] != '=') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 < n && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = hexval((unsigned char)s[i + 2])) >= 0) {
			out[o++] = (char)(h << 4 | l);
			i += 2;
			continue;
		}
		/* soft line break: "=", optional white space, line end */
		for (j = i + 1; j < n && (is_wsp(s[j]) || s[j] == '\r'); j++)
			;
		if (j < n && s[j] == '\n') {
			i = j;
			continue;
		}
		if (j == n) {
			i = j;
			continue;
		}
		out[o++] = '=';
	}
	return (o);
}

/*
 * UTF-8 clean-up: keep valid UTF-8, invalid bytes and NUL become U+FFFD,
 * CRLF becomes LF when crlf is set.  Returns a NUL-terminated arena
 * string (s itself when it needs no change and reuse is set).
 */
/* How many CR LF pairs s[0, n) holds. */
static size_t
crlf_count(const char *s, size_t n)
{
	const char *q, *e = s + n;
	size_t c = 0;

	for (; s < e && (q = memchr(s, '\r', (size_t)(e - s))) != NULL;
	    s = q + 1)
		if (e - q > 1 && q[1] == '\n')
			c++;
	return (c);
}

/* Copy s[0, n) to o without the CRs of CR LF pairs; the end of the copy. */
static char *
crlf_copy(char *o, const char *s, size_t n)
{
	const char *q, *e = s + n;
	size_t k;

	for (; (q = memchr(s, '\r', (size_t)(e - s))) != NULL; s = q + 1) {
		k = (size_t)(q - s) + (e - q > 1 && q[1] == '\n' ? 0 : 1);
		memcpy(o, s, k);
		o += k;
	}
	memcpy(o, s, (size_t)(e - s));
	return (o + (e - s));
}

/*
 * The common case of utf8_clean(): valid UTF-8 without NUL, where at
 * most CR LF pairs change.  One validation pass with a call per run of
 * ASCII (a run of multi-byte characters needs none), then CRs found by
 * memchr(), instead of a call per CR and per character.  Returns 1
 * (not that case: nothing done), 0 done, -1 no memory.
 */
static int
utf8_clean_fast(struct arena *a, const char *s, size_t n, int crlf,
    int reuse, char **outp, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k, ncr;
	char *out;

	for (i = 0; i < n; ) {
		i += ascii_run(u + i, n - i, 0, 0);
		while (i < n && u[i] >= 0x80) {
			if ((k = u8len(u + i, n - i)) == 0)
				return (1);
			i += k;
		}
		if (i < n && u[i] == '\0')
			return (1);
	}
	ncr = crlf ? crlf_count(s, n) : 0;
	*outlen = n - ncr;
	if (ncr == 0) {
		*outp = reuse ? (char *)(uintptr_t)s : arena_strndup(a, s, n);
		return (*outp == NULL ? -1 : 0);
	}
	if ((out = arena_alloc_raw(a, n - ncr + 1)) == NULL)
		return (-1);
	*crlf_copy(out, s, n) = '\0';
	*outp = out;
	return (0);
}

static char *
utf8_clean(struct arena *a, const char *s, size_t n, int crlf, int reuse,
    size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k, len;
	char *out, *o;
	int r;

	if ((r = utf8_clean_fast(a, s, n, crlf, reuse, &out, outlen)) != 1)
		return (r == 0 ? out : NULL);
	/*
	 * Some byte is invalid or NUL: it becomes U+FFFD (so the text
	 * changes).  CRs go as in the fast case, counted and copied by
	 * memchr() inside the ASCII runs (an LF after a CR is in its run).
	 */
	len = crlf ? n - crlf_count(s, n) : n;
	for (i = 0; i < n; i += k) {
		if ((i += ascii_run(u + i, n - i, 0, 0)) >= n)
			break;
		if (u[i] < 0x80 || (k = u8len(u + i, n - i)) == 0) {
			k = 1;
			len += 2;		/* one byte becomes three */
		}
	}
	*outlen = len;
	if ((out = arena_alloc_raw(a, len + 1)) == NULL)
		return (NULL);
	for (o = out, i = 0; i < n; i += k) {
		k = ascii_run(u + i, n - i, 0, 0);
		o = crlf ? crlf_copy(o, s + i, k) : (char *)memcpy(o, s + i,
		    k) + k;
		if ((i += k) >= n)
			break;
		if (u[i] < 0x80 || (k = u8len(u + i, n - i)) == 0) {
			k = 1;
			memcpy(o, utf8_repl, 3);
			o += 3;
		} else {
			memcpy(o, s + i, k);
			o += k;
		}
	}
	*o = '\0';
	return (out);
}

/* Where the next ISO-2022-JP shift sequence at or after i is, or n. */
static size_t
jis_at(const char *s, size_t i, size_t n)
{
	const char *p = s + i, *e = s + n;

	while ((p = memchr(p, 0x1b, (size_t)(e - p))) != NULL) {
		if (e - p >= 3 && (p[1] == '$' || (p[1] == '(' &&
		    (p[2] == 'J' || p[2] == 'I'))))
			return ((size_t)(p - s));
		p++;
	}
	return (n);
}

/* Is all of s[0, n) valid UTF-8 (and holds it any 8-bit byte)? */
static int
utf8_valid(const char *s, size_t n, int *high)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i, k;

	*high = 0;
	for (i = 0; i < n; i += k) {
		/* ASCII runs at once (NUL stops the run: it is ASCII too) */
		if ((i += ascii_run(u + i, n - i, 0, 0)) >= n)
			break;
		if (u[i] < 0x80) {
			k = 1;
			continue;
		}
		*high = 1;
		if ((k = u8len(u + i, n - i)) == 0)
			return (0);
	}
	return (1);
}

/*
 * Japanese text labelled ISO-2022-JP but sent as 8-bit (EUC-JP,
 * Shift_JIS or UTF-8, as some carriers do): the encoding that decodes
 * with the fewest errors.  Returns the charset_conv() result.
 */
static int
jp_guess(const char *s, size_t n, char **conv, size_t *convlen)
{
	static const char *const try[] = { "euc-jp", "shift_jis" };
	char *best = NULL, *c;
	size_t bestlen = 0, bestbad = (size_t)-1, cl, bad, i;
	int r;

	for (i = 0; i < sizeof(try) / sizeof(try[0]); i++) {
		if ((r = charset_conv(try[i], s, n, &c, &cl, &bad)) == -1) {
			free(best);
			return (-1);
		}
		if (r == 1)
			continue;
		if (bad < bestbad) {
			free(best);
			best = c;
			bestlen = cl;
			bestbad = bad;
		} else
			free(c);
		if (bad == 0)
			break;
	}
	if (best == NULL)
		return (1);
	*conv = best;
	*convlen = bestlen;
	return (0);
}

/*
 * ISO-2022-JP runs inside text that is otherwise UTF-8 or ASCII (no
 * charset, or one iconv does not know): each run, from a shift
 * sequence to the shift back to ASCII or the line end, is converted on
 * its own; the rest is kept.  Returns as charset_conv().
 */
static int
jis_mixed(const char *s, size_t n, char **conv, size_t *convlen)
{
	struct buf b = BUF_INIT;
	size_t i = 0, j, k;
	int r;

	while (i < n) {
		j = jis_at(s, i, n);
		if (buf_add(&b, s + i, j - i) == -1)
			goto oom;
		if (j == n)
			break;
		for (k = j + 3; k < n && s[k] != '\n'; k++)
			if (s[k] == 0x1b && n - k >= 3 && s[k + 1] == '(' &&
			    (s[k + 2] == 'B' || s[k + 2] == 'J')) {
				k += 3;
				break;
			}
		if (k > n)
			k = n;
		if ((r = charset_conv_buf("iso-2022-jp", s + j, k - j, &b,
		    NULL)) == 1)
			r = buf_add(&b, s + j, k - j);
		if (r == -1)
			goto oom;
		i = k;
	}
	if (b.p == NULL && buf_add(&b, "", 0) == -1)
		goto oom;
	*conv = b.p;
	*convlen = b.len;
	return (0);
oom:
	buf_free(&b);
	return (-1);
}

/* Text in charset cs to clean UTF-8 (see utf8_clean for crlf, reuse). */
static char *
text_utf8(struct arena *a, const char *cs, const char *s, size_t n,
    int crlf, int reuse, size_t *outlen)
{
	char *conv, *out;
	size_t convlen;
	int r, high, jis, like;

	if (cs == NULL)
		cs = "";
	like = *cs == '\0' || strcmp(cs, "us-ascii") == 0 ||
	    strcmp(cs, "utf-8") == 0 || charset_utf8_like(cs);
	if (like && ascii_run((const unsigned char *)s, n, crlf, 1) == n) {
		/* plain text in an ASCII-compatible label: kept as it is */
		*outlen = n;
		return (reuse ? (char *)(uintptr_t)s : arena_strndup(a, s, n));
	}
	jis = jis_at(s, 0, n) < n;
	if (!jis && strncasecmp(cs, "iso-2022-jp", 11) == 0) {
		/* no shift sequence: 8-bit text under a 7-bit label */
		if (utf8_valid(s, n, &high))
			r = 1;
		else
			r = jp_guess(s, n, &conv, &convlen);
	} else if (like && !jis)
		r = 1;		/* what charset_conv() says for such labels */
	else if ((r = charset_conv(cs, s, n, &conv, &convlen,
	    NULL)) == 1 && jis)
		r = jis_mixed(s, n, &conv, &convlen);
	if (r == 1)
		return (utf8_clean(a, s, n, crlf, reuse, outlen));
	if (r == -1)
		return (NULL);
	out = utf8_clean(a, conv, convlen, crlf, 0, outlen);
	free(conv);
	return (out);
}

char *
mime_to_utf8(struct arena *a, const char *charset, const char *s, size_t n,
    size_t *outlen)
{
	size_t dummy;

	return (text_utf8(a, charset, s, n, 0, 0,
	    outlen != NULL ? outlen : &dummy));
}

/*
 * Header block.
 */

/* Characters of a field name: printable ASCII but ':' (RFC 5322 ftext) */
static const unsigned char name_char[256] = {
	['!'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* ! to / */
	['0'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1,	/* no ':' */
	['@'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['P'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['`'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['p'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* to ~ */
};

/* Length of the field name at the start of the line, 0 if not a field. */
static size_t
field_name(const char *s, size_t n, size_t *colon)
{
	size_t i, nl;

	i = 0;
#ifdef __SSE2__
	{
		/* signed: "<= 32" also catches the bytes >= 0x80 */
		const __m128i sp = _mm_set1_epi8(33), del = _mm_set1_epi8(127);
		const __m128i col = _mm_set1_epi8(':');
		__m128i v;
		int m;

		for (; n - i >= 16; i += 16) {
			v = _mm_loadu_si128((const __m128i *)(const void *)
			    (s + i));
			m = _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
			    _mm_cmplt_epi8(v, sp), _mm_cmpeq_epi8(v, del)),
			    _mm_cmpeq_epi8(v, col)));
			if (m != 0) {
				i += (size_t)__builtin_ctz((unsigned)m);
				break;
			}
		}
	}
	if (n - i < 16)
#endif
	for (; i < n && name_char[(unsigned char)s[i]]; i++)
		;
	nl = i;
	while (i < n && is_wsp(s[i]))
		i++;
	if (nl == 0 || i >= n || s[i] != ':')
		return (0);
	*colon = i;
	return (nl);
}

/* Line [s, le) without its CR, blank? */
static int
line_blank(const char *b, size_t s, size_t le)
{
	return (le == s || (le == s + 1 && b[s] == '\r'));
}

/*
 * Is the line [s, le) empty or only blanks (a saved message may start
 * with such a line before its header)?
 */
static int
line_white(const char *b, size_t s, size_t le)
{
	for (; s < le; s++)
		if (b[s] != ' ' && b[s] != '\t' && b[s] != '\r')
			return (0);
	return (1);
}

/* Bytes field_copy() may write for a field whose lines span [s, e). */
#define FIELD_ROOM(nl, s, e)	((nl) + 1 + ((e) - (s)) + 1)

/*
 * Copy one field (its lines span [s, e) of b[0, lim); b[e] is a LF
 * when e < lim) unfolded to d, which has FIELD_ROOM() bytes.  Returns
 * the end of what it wrote.
 */
static char *
field_copy(char *d, struct mime_hdr *h, const char *b, size_t lim, size_t s,
    size_t e, size_t nl, size_t colon)
{
	char *v, *o;
	size_t i, j;

	memcpy(d, b + s, nl);
	d[nl] = '\0';
	v = o = d + nl + 1;
	for (i = s + colon + 1; i < e && is_wsp(b[i]); i++)
		;
	for (; i < e; i++) {
		unsigned char c = (unsigned char)b[i];
		if (o > v || (c > ' ' || (c != '\0' && c != '\r' &&
		    c != '\n' && !is_wsp(c)))) {
			/*
			 * copy the run up to the next CR, LF or NUL at once;
			 * scanned up to lim, not e: the LF at e stops it as
			 * well, and the last bytes need no byte-wise loop
			 */
			j = i + hdr_run((const unsigned char *)b + i, lim - i);
			if (j > e)
				j = e;
			memcpy(o, b + i, j - i);
			o += j - i;
			if ((i = j) == e)
				break;
			c = (unsigned char)b[i];
		}
		if (c == '\r' && i + 1 < e && b[i + 1] == '\n')
			continue;
		if (c == '\n') {
			if (o > v && i + 1 < e && !is_wsp(b[i + 1]))
				*o++ = ' ';	/* a fold without its blank */
			continue;
		}
		if (o == v && (is_wsp(c) || c == '\r'))
			continue;	/* a value that starts on a fold */
		*o++ = (c == '\0' || c == '\r') ? ' ' : (char)c;
	}
	while (o > v && is_wsp(o[-1]))
		o--;
	*o = '\0';
	h->name = d;
	h->value = v;
	return (o + 1);
}

/*
 * Is the non-field line ending at q-1 a fold that lost its indentation
 * (seen in mangled and redacted messages)?  Yes when a blank line ends
 * the header block further on and a field, an indented line or that
 * blank line follows within a few lines.  *blank caches where the first
 * blank line is.
 */
static int
lost_fold(const char *b, size_t q, size_t n, size_t *blank)
{
	size_t le, k, colon;

	if (*blank == SIZE_MAX) {
		for (*blank = n, k = q; k < n; k = le + 1) {
			le = line_end(b, k, n);
			if (line_blank(b, k, le)) {
				*blank = k;
				break;
			}
		}
	}
	if (*blank == n || q > *blank)
		return (0);		/* no blank line ends the block */
	for (k = 0; k < 4; k++, q = le + 1) {
		if (q == *blank)
			return (1);	/* the last line of the block */
		le = line_end(b, q, n);
		if (is_wsp(b[q]) || field_name(b + q, le - q, &colon) != 0)
			return (1);
	}
	return (0);
}

/*
 * Parse the header block of b[0, n); *bodyp gets where the body starts.
 * A line that is neither a field nor a continuation ends the block (it
 * belongs to the body); so does a blank line (which does not).
 */
static int
headers_parse(struct walk *wk, struct mime_part *p, const char *b, size_t n,
    int embedded, size_t *bodyp)
{
	size_t pos = 0, le, nl, colon, colon2 = 0, count = 0, body, start, i;
	size_t nl2;
	size_t blank = SIZE_MAX;	/* first blank line, found lazily */
	struct fseen *seen = wk->seen;
	unsigned char *hkey;
	size_t room;
	char *d;
	int infield = 0;

	if (embedded || p->depth == 0) {	/* blank lines before headers */
		while (pos < n) {
			le = line_end(b, pos, n);
			if (!line_white(b, pos, le) || le >= n)
				break;
			pos = le + 1;
		}
	}
	if (n - pos >= 5 && memcmp(b + pos, "From ", 5) == 0 &&
	    (p->depth == 0 || embedded))
		pos = line_end(b, pos, n) + 1;	/* mbox separator */
	if (pos > n)
		pos = n;
	start = pos;
	body = n;
	while (pos < n) {
		le = line_end(b, pos, n);
		if (line_blank(b, pos, le)) {
			body = le < n ? le + 1 : n;
			break;
		}
		if (is_wsp(b[pos]) && infield) {
			if (count <= HDRS_SEEN)
				seen[count - 1].end = le;
			pos = le + 1;
			continue;
		}
		if ((nl = field_name(b + pos, le - pos, &colon)) != 0) {
			if (count < HDRS_SEEN) {
				seen[count].pos = pos;
				seen[count].nl = nl;
				seen[count].colon = colon;
			}
			count++;
		} else if (!infield || !lost_fold(b, le + 1, n, &blank)) {
			body = pos;
			break;
		}
		if (count <= HDRS_SEEN)
			seen[count - 1].end = le;
		infield = 1;
		pos = le + 1;
	}
	*bodyp = body;
	if (count > MIME_MAX_HDRS)
		count = MIME_MAX_HDRS;
	p->nhdrs = 0;
	if (count == 0)
		return (0);
	/* raw: every entry up to nhdrs is written below */
	if ((p->hdrs = arena_alloc_raw(wk->a, count * sizeof(*p->hdrs))) ==
	    NULL ||
	    (hkey = arena_alloc_raw(wk->a, count)) == NULL)
		return (-1);
	p->hkey = hkey;
	if (count <= HDRS_SEEN) {
		/* pass 1 saw where each field is: no second scan, and one
		 * allocation for all of them */
		for (room = 0, i = 0; i < count; i++)
			room += FIELD_ROOM(seen[i].nl, seen[i].pos,
			    seen[i].end);
		if ((d = arena_alloc_raw(wk->a, room)) == NULL)
			return (-1);
		for (i = 0; i < count; i++) {
			d = field_copy(d, &p->hdrs[i], b, n, seen[i].pos,
			    seen[i].end, seen[i].nl, seen[i].colon);
			hkey[i] = hdr_key(b + seen[i].pos, seen[i].nl);
		}
		p->nhdrs = count;
		return (0);
	}
	pos = start;
	nl2 = 0;
	while (pos < body && p->nhdrs < count) {
		if (nl2 != 0)		/* the line that ended the last field */
			nl = nl2, colon = colon2;
		else if ((nl = field_name(b + pos, (le = line_end(b, pos, n)) -
		    pos, &colon)) == 0)
			break;
		/* its continuation lines: indented, or not fields (pass 1
		 * took those for folds that lost their indentation) */
		i = le;
		nl2 = 0;
		while (i + 1 < body && i + 1 < n) {
			le = line_end(b, i + 1, n);
			if (line_blank(b, i + 1, le) || (!is_wsp(b[i + 1]) &&
			    (nl2 = field_name(b + i + 1, le - i - 1,
			    &colon2)) != 0))
				break;
			i = le;
		}
		if ((d = arena_alloc_raw(wk->a, FIELD_ROOM(nl, pos, i))) ==
		    NULL)
			return (-1);
		(void)field_copy(d, &p->hdrs[p->nhdrs], b, n, pos, i, nl,
		    colon);
		hkey[p->nhdrs++] = hdr_key(b + pos, nl);
		pos = i + 1;
	}
	return (0);
}

const char *
mime_hdr_next(const struct mime_part *p, const char *name, size_t *iter)
{
	const unsigned char *k;
	unsigned char key;
	int c;

	if (p == NULL || name == NULL || iter == NULL)
		return (NULL);
	if (p->hkey != NULL) {
		/* the key byte rules out nearly every other field at once */
		key = hdr_key(name, strlen(name));
		while (*iter < p->nhdrs && (k = memchr(p->hkey + *iter, key,
		    p->nhdrs - *iter)) != NULL) {
			*iter = (size_t)(k - p->hkey);
			if (strcasecmp(p->hdrs[*iter].name, name) == 0)
				return (p->hdrs[(*iter)++].value);
			(*iter)++;
		}
		*iter = p->nhdrs;
		return (NULL);
	}
	/* the first letter decides most misses without a call */
	c = lower((unsigned char)*name);
	for (; *iter < p->nhdrs; (*iter)++)
		if (lower((unsigned char)p->hdrs[*iter].name[0]) == c &&
		    strcasecmp(p->hdrs[*iter].name, name) == 0)
			return (p->hdrs[(*iter)++].value);
	return (NULL);
}

const char *
mime_hdr_get(const struct mime_part *p, const char *name)
{
	size_t i = 0;

	return (mime_hdr_next(p, name, &i));
}

/*
 * Content-Type and its parameters.
 */

/* Lower-case "type/subtype" from a Content-Type value, or NULL. */
static const char *
ct_type(struct arena *a, const char *v, int *oom)
{
	const char *t, *st;
	size_t tl, stl, i;
	char *d;

	while (is_wsp(*v))
		v++;
	for (t = v, tl = 0; is_token((unsigned char)t[tl]); tl++)
		;
	v = t + tl;
	while (is_wsp(*v))
		v++;
	if (tl == 0 || *v != '/')
		return (NULL);
	v++;
	while (is_wsp(*v))
		v++;
	for (st = v, stl = 0; is_token((unsigned char)st[stl]); stl++)
		;
	if (stl == 0)
		return (NULL);
	if ((d = arena_alloc_raw(a, tl + stl + 2)) == NULL) {
		*oom = 1;
		return (NULL);
	}
	for (i = 0; i < tl; i++)
		d[i] = (char)lower((unsigned char)t[i]);
	d[tl] = '/';
	for (i = 0; i < stl; i++)
		d[tl + 1 + i] = (char)lower((unsigned char)st[i]);
	d[tl + 1 + stl] = '\0';
	return (d);
}

struct param {
	const char	*name;
	size_t		 namelen;
	const char	*val;		/* as written, quotes included */
	size_t		 vallen;
	int		 quoted;
};

/*
 * Byte classes for param_next(): its loops test one table entry a byte
 * instead of three to five comparisons.
 */
#define PC_NUL		0x01
#define PC_SEMI		0x02
#define PC_QUOTE	0x04
#define PC_BSL		0x08
#define PC_EQ		0x10
#define PC_WSP		0x20

static const unsigned char pclass[256] = {
	['\0'] = PC_NUL, [';'] = PC_SEMI, ['"'] = PC_QUOTE, ['\\'] = PC_BSL,
	['='] = PC_EQ, [' '] = PC_WSP, ['\t'] = PC_WSP,
};

#define PC(c)		(pclass[(unsigned char)(c)])

/* Next parameter after s (a position in a Content-* value), or NULL. */
static const char *
param_next(const char *s, struct param *pa)
{
	int inq;

	for (;;) {
		/* to the next ';' outside quotes */
		for (inq = 0;; s++) {
			while (!(PC(*s) & (PC_NUL | PC_SEMI | PC_QUOTE |
			    PC_BSL)))
				s++;
			if (*s == '\0' || (*s == ';' && !inq))
				break;
			if (*s == '\\' && inq && s[1] != '\0')
				s++;
			else if (*s == '"')
				inq = !inq;
		}
		if (*s == '\0')
			return (NULL);
		s++;
		while (PC(*s) & (PC_WSP | PC_SEMI))
			s++;
		pa->name = s;
		while (!(PC(*s) & (PC_NUL | PC_EQ | PC_SEMI | PC_WSP)))
			s++;
		pa->namelen = (size_t)(s - pa->name);
		while (is_wsp(*s))
			s++;
		if (*s != '=' || pa->namelen == 0)
			continue;
		s++;
		while (is_wsp(*s))
			s++;
		pa->val = s;
		if (*s == '"') {
			pa->quoted = 1;
			for (s++;; s++) {
				while (!(PC(*s) & (PC_NUL | PC_QUOTE | PC_BSL)))
					s++;
				if (*s != '\\')
					break;
				if (s[1] != '\0')
					s++;
			}
			if (*s == '"')
				s++;
		} else {
			pa->quoted = 0;
			while (!(PC(*s) & (PC_NUL | PC_SEMI | PC_WSP)))
				s++;
		}
		pa->vallen = (size_t)(s - pa->val);
		/* leave s before the ';' so the next call finds it */
		return (s);
	}
}

/* Append a parameter value, unquoted (and %-decoded when pct), to d. */
static size_t
param_value(const struct param *pa, char *d, int pct)
{
	const char *s = pa->val, *e = pa->val + pa->vallen;
	size_t o = 0;
	int h, l;

	if (pa->quoted) {
		s++;
		if (e > s && e[-1] == '"')
			e--;
	}
	if (!pct && (!pa->quoted || memchr(s, '\\', (size_t)(e - s)) == NULL)) {
		/* nothing to undo: one copy */
		memcpy(d, s, (size_t)(e - s));
		return ((size_t)(e - s));
	}
	for (; s < e; s++) {
		if (pa->quoted && *s == '\\' && s + 1 < e)
			s++;
		else if (pct && *s == '%' && e - s >= 3 &&
		    (h = hexval((unsigned char)s[1])) >= 0 &&
		    (l = hexval((unsigned char)s[2])) >= 0) {
			d[o++] = (char)(h << 4 | l);
			s += 2;
			continue;
		}
		d[o++] = *s;
	}
	return (o);
}

/* One wanted parameter while params_get() walks a value. */
struct pwant {
	const char	*name;
	size_t		 nlen;
	int		 plain;			/* name= seen: it wins */
	struct param	 first;			/* that name= */
	unsigned char	 have[MIME_MAX_SECTIONS];	/* 0 none, 1 plain,
							   2 extended */
	struct param	 sec[MIME_MAX_SECTIONS];
	size_t		 total;
};

/* Note the parameter pa if it is (a section of) the one w wants. */
static void
pwant_see(struct pwant *w, const struct param *pa)
{
	const char *q, *star;
	size_t k;
	long num;

	if (w->plain || pa->namelen < w->nlen ||
	    strncasecmp(pa->name, w->name, w->nlen) != 0)
		return;
	if (pa->namelen == w->nlen) {
		w->plain = 1;
		w->first = *pa;
		return;
	}
	if (pa->name[w->nlen] != '*')
		return;
	star = pa->name + w->nlen + 1;
	if (star == pa->name + pa->namelen) {	/* name*= */
		num = 0;
		k = 2;
	} else {
		for (num = 0, q = star; q < pa->name + pa->namelen &&
		    *q >= '0' && *q <= '9' && num < 1000; q++)
			num = num * 10 + (*q - '0');
		if (q == star)
			return;
		k = 1;
		if (q < pa->name + pa->namelen && *q == '*')
			k = 2, q++;
		if (q != pa->name + pa->namelen)
			return;
	}
	if (num >= MIME_MAX_SECTIONS || w->have[num])
		return;
	w->have[num] = (unsigned char)k;
	w->sec[num] = *pa;
	w->total += pa->vallen;
}

/* The value w found (NULL when absent); *oom set when memory ran out. */
static char *
pwant_value(struct arena *a, const struct pwant *w, int *oom)
{
	struct param pa;
	const char *q, *star;
	size_t o, i;
	char *d;

	if (w->plain) {
		if ((d = arena_alloc_raw(a, w->first.vallen + 1)) == NULL) {
			*oom = 1;
			return (NULL);
		}
		d[param_value(&w->first, d, 0)] = '\0';
		return (d);
	}
	if (!w->have[0])
		return (NULL);
	if ((d = arena_alloc_raw(a, w->total + 1)) == NULL) {
		*oom = 1;
		return (NULL);
	}
	for (o = 0, i = 0; i < MIME_MAX_SECTIONS && w->have[i]; i++) {
		pa = w->sec[i];
		if (i == 0 && w->have[i] == 2) {
			/* skip charset'language' */
			q = memchr(pa.val, '\'', pa.vallen);
			if (q != NULL && (star = memchr(q + 1, '\'',
			    (size_t)(pa.val + pa.vallen - q - 1))) != NULL) {
				pa.vallen -= (size_t)(star + 1 - pa.val);
				pa.val = star + 1;
			}
		}
		o += param_value(&pa, d + o, w->have[i] == 2);
	}
	d[o] = '\0';
	return (d);
}

/*
 * The parameters names[0, cnt) (cnt <= 2) of a Content-Type (or other)
 * value, unquoted, with RFC 2231 continuations (name*0, name*1*) and
 * extended values (name*=charset'lang'%XX) joined, into out[] (NULL when
 * absent).  One walk over the value for all of them.  -1 when memory
 * ran out.
 */
static int
params_get(struct arena *a, const char *v, const char *const *names,
    size_t cnt, char **out)
{
	struct pwant w[2];
	struct param pa;
	const char *s = v;
	size_t i;
	int oom = 0;

	for (i = 0; i < cnt; i++) {
		w[i].name = names[i];
		w[i].nlen = strlen(names[i]);
		w[i].plain = 0;
		w[i].total = 0;
		memset(w[i].have, 0, sizeof(w[i].have));
	}
	while ((s = param_next(s, &pa)) != NULL)
		for (i = 0; i < cnt; i++)
			pwant_see(&w[i], &pa);
	for (i = 0; i < cnt; i++)
		out[i] = pwant_value(a, &w[i], &oom);
	return (oom ? -1 : 0);
}

/* One parameter, as params_get(). */
static char *
param_get(struct arena *a, const char *v, const char *name, int *oom)
{
	char *out;

	if (params_get(a, v, &name, 1, &out) == -1)
		*oom = 1;
	return (out);
}

static void
lower_str(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)lower((unsigned char)*s);
}

/*
 * Part kinds.
 */
static int
is_textual(const char *t)
{
	static const char *const kin[] = {
		"message/delivery-status", "message/global-delivery-status",
		"message/feedback-report", "message/disposition-notification",
		"message/global-disposition-notification",
		"message/global-headers", "message/external-body",
	};
	size_t i;

	if (strncmp(t, "text/", 5) == 0)
		return (1);
	if (strncmp(t, "message/", 8) != 0)
		return (0);		/* no need to try the list */
	for (i = 0; i < sizeof(kin) / sizeof(kin[0]); i++)
		if (strcmp(t, kin[i]) == 0)
			return (1);
	return (0);
}

/* 1 for an embedded message, 2 for an embedded header block, else 0. */
int
mime_is_embedding(const char *t)
{
	if (t == NULL)
		return (0);
	if (strncmp(t, "message/", 8) != 0)	/* one test for most types */
		return (strcmp(t, "text/rfc822-headers") == 0 ? 2 : 0);
	t += 8;
	if (strcmp(t, "rfc822") == 0 || strcmp(t, "global") == 0 ||
	    strcmp(t, "news") == 0)
		return (1);
	if (strcmp(t, "global-headers") == 0 ||
	    strcmp(t, "rfc822-headers") == 0)
		return (2);
	return (0);
}

static enum cte
cte_of(const struct mime_part *p)
{
	const char *v = mime_hdr_get(p, "Content-Transfer-Encoding");

	if (v == NULL)
		return (CTE_IDENTITY);
	while (is_wsp(*v) || *v == '"')
		v++;
	if (strncasecmp(v, "base64", 6) == 0)
		return (CTE_BASE64);
	if (strncasecmp(v, "quoted-printable", 16) == 0)
		return (CTE_QP);
	return (CTE_IDENTITY);
}

/*
 * Transfer-decode b[0, n) into a fresh NUL-terminated arena buffer, or
 * for identity point at the input; *fresh says whether the result is
 * NUL-terminated and may be kept as a body (term: b[n] is such a NUL).
 */
static int
transfer_decode(struct arena *a, enum cte cte, const char *b, size_t n,
    int term, const char **out, size_t *outlen, int *fresh)
{
	char *d;

	if (cte == CTE_IDENTITY) {
		*out = b;
		*outlen = n;
		*fresh = term;
		return (0);
	}
	/* base64 gives at most three bytes for four characters */
	if ((d = arena_alloc_raw(a, (cte == CTE_BASE64 ? n / 4 * 3 + 3 : n) +
	    1)) == NULL)
		return (-1);
	*outlen = cte == CTE_BASE64 ? b64_decode(b, n, d) :
	    qp_decode(b, n, d, 0);
	d[*outlen] = '\0';
	*out = d;
	*fresh = 1;
	return (0);
}

/* The part's body from src: textual -> UTF-8, else a terminated copy. */
static int
body_set(struct walk *wk, struct mime_part *p, const char *src, size_t n,
    int fresh, int textual)
{
	char *d;

	if (textual)
		d = text_utf8(wk->a, p->charset, src, n, 1, fresh, &p->bodylen);
	else if (fresh) {
		d = (char *)(uintptr_t)src;
		p->bodylen = n;
	} else {
		d = arena_strndup(wk->a, src, n);
		p->bodylen = n;
	}
	if (d == NULL)
		return (-1);
	p->body = d;
	return (0);
}

/*
 * A new part under parent; 1 made, 0 part limit reached, -1 no memory.
 */
static int
part_new(struct walk *wk, struct mime_part *parent, struct mime_part **tail,
    struct mime_part **out)
{
	struct mime_part *p;

	if (wk->m->nparts >= wk->max_parts) {
		wk->m->flags |= MIME_LIMIT_PARTS;
		return (0);
	}
	if ((p = arena_alloc_raw(wk->a, sizeof(*p))) == NULL)
		return (-1);
	/* every other member zero, without a memset() call */
	*p = (struct mime_part){ .type = "text/plain", .charset = "",
	    .body = "", .parent = parent };
	if (parent != NULL) {
		p->depth = parent->depth + 1;
		if (*tail == NULL)
			parent->child = p;
		else
			(*tail)->next = p;
		*tail = p;
	}
	wk->m->nparts++;
	*out = p;
	return (1);
}

/*
 * A child of type t holding the text b[0, n) (no headers of its own):
 * 1 made, 0 part limit, -1 no memory.
 */
static int
text_child(struct walk *wk, struct mime_part *p, struct mime_part **tail,
    const char *t, const char *b, size_t n)
{
	struct mime_part *c;
	int r;

	if ((r = part_new(wk, p, tail, &c)) <= 0)
		return (r);
	c->type = t;
	c->raw = b;
	c->rawlen = n;
	c->charset = p->charset;
	return (body_set(wk, c, b, n, 0, 1) == -1 ? -1 : 1);
}

/*
 * p embeds a message (emb 1) or a header block (emb 2) given as src
 * (fresh: a terminated arena buffer): the body holds it, one child
 * parses it.
 */
static int
embed(struct walk *wk, struct mime_part *p, const char *src, size_t n,
    int fresh, int emb)
{
	struct mime_part *c, *tail = NULL;
	int r;

	if (body_set(wk, p, src, n, fresh, emb == 2) == -1)
		return (-1);
	if (p->depth >= wk->max_depth) {
		wk->m->flags |= MIME_LIMIT_DEPTH;
		return (0);
	}
	if ((r = part_new(wk, p, &tail, &c)) <= 0)
		return (r);
	c->headers_only = emb == 2;
	return (entity_parse(wk, c, p->body, p->bodylen, "text/plain",
	    ENT_EMBEDDED | ENT_TERM));
}

/*
 * Report recovery.  A multipart/report whose boundary never shows (a
 * mangled or hand-edited report) is cut where its machine-readable
 * block starts: text before it, the field paragraphs as the report
 * part, what follows as the returned message.
 */
static const char *const report_first[] = {
	"reporting-mta", "original-envelope-id", "final-recipient",
	"original-recipient", "arrival-date", "received-from-mta",
	"dsn-gateway", "action", "feedback-type", "disposition",
	"reported-domain",
};
static const char *const report_more[] = {
	"status", "remote-mta", "diagnostic-code", "last-attempt-date",
	"will-retry-until", "user-agent", "version", "original-mail-from",
	"original-rcpt-to", "source-ip", "final-log-id",
};

static int
name_in(const char *s, size_t n, const char *const *list, size_t cnt)
{
	size_t i;

	for (i = 0; i < cnt; i++)
		if (strlen(list[i]) == n && strncasecmp(s, list[i], n) == 0)
			return (1);
	return (0);
}

/* Does the line [s, le) start a paragraph of report fields? */
static int
report_line(const char *b, size_t s, size_t le, int first)
{
	size_t colon, nl = field_name(b + s, le - s, &colon);

	if (nl == 0)
		return (0);
	if (name_in(b + s, nl, report_first,
	    sizeof(report_first) / sizeof(report_first[0])))
		return (1);
	if (first)
		return (0);
	return (name_in(b + s, nl, report_more,
	    sizeof(report_more) / sizeof(report_more[0])) ||
	    (nl > 2 && strncasecmp(b + s, "x-", 2) == 0));
}

static int
report_recover(struct walk *wk, struct mime_part *p, const char *b,
    size_t n)
{
	struct mime_part *tail = NULL, *c;
	const char *ct, *rt = "message/delivery-status";
	size_t pos = 0, le, ds = n, de = n, colon;
	int para = 1, oom = 0, r;
	char *v;

	while (pos < n) {
		le = line_end(b, pos, n);
		if (line_blank(b, pos, le)) {
			para = 1;
			pos = le + 1;
			continue;
		}
		if (para && ds == n && report_line(b, pos, le, 1))
			ds = pos;
		else if (para && ds < n && !report_line(b, pos, le, 0)) {
			de = pos;
			break;
		}
		para = 0;
		pos = le + 1;
	}
	if (ds == n)
		return (text_child(wk, p, &tail, "text/plain", b, n) < 0 ? -1 : 0);
	if ((ct = mime_hdr_get(p, "Content-Type")) != NULL &&
	    (v = param_get(wk->a, ct, "report-type", &oom)) != NULL) {
		lower_str(v);
		if (strcmp(v, "feedback-report") == 0)
			rt = "message/feedback-report";
		else if (strcmp(v, "disposition-notification") == 0)
			rt = "message/disposition-notification";
	}
	if (oom)
		return (-1);
	if (ds > 0 && (r = text_child(wk, p, &tail, "text/plain", b,
	    ds)) <= 0)
		return (r);
	if ((r = text_child(wk, p, &tail, rt, b + ds, de - ds)) <= 0)
		return (r);
	if (de == n)
		return (0);
	if (field_name(b + de, line_end(b, de, n) - de, &colon) == 0)
		return (text_child(wk, p, &tail, "text/plain", b + de,
		    n - de) < 0 ? -1 : 0);
	if ((r = part_new(wk, p, &tail, &c)) <= 0)
		return (r);
	c->type = "message/rfc822";
	c->raw = b + de;
	c->rawlen = n - de;
	return (embed(wk, c, b + de, n - de, 0, 1));
}

/* A multipart without a usable boundary: one text part, or a report. */
static int
no_boundary(struct walk *wk, struct mime_part *p, const char *b, size_t n)
{
	struct mime_part *tail = NULL;

	if (strcmp(p->type, "multipart/report") == 0)
		return (report_recover(wk, p, b, n));
	return (text_child(wk, p, &tail, "text/plain", b, n) < 0 ? -1 : 0);
}

/* Is the line [s, le) a delimiter of boundary bd?  2 if closing. */
static int
is_delim(const char *b, size_t s, size_t le, const char *bd, size_t bl)
{
	size_t i;

	while (s < le && is_wsp(b[s]))	/* " --b" is seen in the wild */
		s++;
	if (le - s < bl + 2 || b[s] != '-' || b[s + 1] != '-' ||
	    memcmp(b + s + 2, bd, bl) != 0)
		return (0);
	i = s + 2 + bl;
	if (le - i >= 2 && b[i] == '-' && b[i + 1] == '-')
		return (2);
	for (; i < le; i++)
		if (!is_wsp(b[i]) && b[i] != '\r')
			return (0);
	return (1);
}

/*
 * Search for "--boundary": Horspool with its skip table made once per
 * multipart body (memmem() rebuilds its own on every call, and a body
 * is searched once per part).  A mismatch skips by how far the window's
 * last byte is from the needle's end; bytes the needle lacks skip it
 * whole.
 */
struct bfind {
	const char	*nd;
	size_t		 ndl;		/* 3 to MIME_MAX_BOUNDARY + 2 */
	unsigned char	 skip[256];
};

static void
bfind_init(struct bfind *bs, const char *nd, size_t ndl)
{
	size_t i, k;

	bs->nd = nd;
	bs->ndl = ndl;
	k = ndl < 255 ? ndl : 255;
	memset(bs->skip, (int)k, sizeof(bs->skip));
	for (i = 0; i + 1 < ndl; i++)
		bs->skip[(unsigned char)nd[i]] =
		    (unsigned char)(ndl - 1 - i < k ? ndl - 1 - i : k);
}

static const char *
bfind_next(const struct bfind *bs, const char *h, size_t hl)
{
	const unsigned char *u = (const unsigned char *)h;
	unsigned char last = (unsigned char)bs->nd[bs->ndl - 1], c;
	size_t i = 0, ndl = bs->ndl;

	while (hl - i >= ndl) {
		c = u[i + ndl - 1];
		if (c == last && memcmp(h + i, bs->nd, ndl - 1) == 0)
			return (h + i);
		i += bs->skip[c];
	}
	return (NULL);
}

/*
 * The start of the first line at or after pos (itself a line start)
 * that holds "--boundary" after optional white space: the only lines
 * is_delim() can take.  n when there is none.
 */
static size_t
delim_next(const char *b, size_t pos, size_t n, const struct bfind *bs)
{
	const char *q;
	size_t at, ls, start = pos;

	while (pos < n && (q = bfind_next(bs, b + pos, n - pos)) != NULL) {
		at = (size_t)(q - b);
		for (ls = at; ls > start && is_wsp(b[ls - 1]); ls--)
			;
		if (ls == start || b[ls - 1] == '\n')
			return (ls);
		pos = at + 1;
	}
	return (n);
}

/* Walk a multipart body b[0, n) (b[n] a NUL to rely on when term). */
static int
multipart_walk(struct walk *wk, struct mime_part *p, const char *b, size_t n,
    int term)
{
	const char *bd = p->boundary, *dflt;
	struct mime_part *c, *tail = NULL;
	size_t bl, pos = 0, le, cs = 0, ce;
	char needle[MIME_MAX_BOUNDARY + 2];
	struct bfind bs;
	int d, open = 0, r;

	dflt = strcmp(p->type, "multipart/digest") == 0 ?
	    "message/rfc822" : "text/plain";
	bl = bd != NULL ? strlen(bd) : 0;
	if (bl == 0 || bl > MIME_MAX_BOUNDARY) {
		wk->m->flags |= MIME_NO_END;
		return (no_boundary(wk, p, b, n));
	}
	needle[0] = needle[1] = '-';
	memcpy(needle + 2, bd, bl);
	bfind_init(&bs, needle, bl + 2);
	while ((pos = delim_next(b, pos, n, &bs)) < n) {
		le = line_end(b, pos, n);
		if ((d = is_delim(b, pos, le, bd, bl)) != 0) {
			if (open) {
				ce = pos;
				if (ce > cs && b[ce - 1] == '\n')
					ce--;
				if (ce > cs && b[ce - 1] == '\r')
					ce--;
				if ((r = part_new(wk, p, &tail, &c)) <= 0)
					return (r);
				if (entity_parse(wk, c, b + cs, ce - cs, dflt,
				    0) == -1)
					return (-1);
			}
			if (d == 2)
				return (0);
			open = 1;
			cs = le < n ? le + 1 : n;
		}
		pos = le + 1;
	}
	wk->m->flags |= MIME_NO_END;
	if (!open)
		return (no_boundary(wk, p, b, n));
	if ((r = part_new(wk, p, &tail, &c)) <= 0)
		return (r);
	return (entity_parse(wk, c, b + cs, n - cs, dflt, term ? ENT_TERM : 0));
}

/*
 * Do p's fields look like a message's own, not a MIME part's (the first
 * is no Content-* field, two or more are message fields)?
 */
static int
pasted_message(const struct mime_part *p)
{
	static const char *const msg[] = {
		"received", "return-path", "message-id", "from", "date",
		"subject", "to",
	};
	size_t i, hits = 0;

	if (p->nhdrs == 0 || strncasecmp(p->hdrs[0].name, "content-", 8) == 0 ||
	    strcasecmp(p->hdrs[0].name, "mime-version") == 0)
		return (0);	/* starts like a MIME part */
	for (i = 0; i < p->nhdrs && i < 64; i++)
		if (name_in(p->hdrs[i].name, strlen(p->hdrs[i].name), msg,
		    sizeof(msg) / sizeof(msg[0])))
			hits++;
	return (hits >= 2);
}

/*
 * Parse one entity b[0, n) (headers and body) into p.  dflt is the type
 * when Content-Type says nothing usable; embedded is set for the
 * content of a message/rfc822-like part.
 */
static int
entity_parse(struct walk *wk, struct mime_part *p, const char *b, size_t n,
    const char *dflt, int how)
{
	static const char *const want[] = { "charset", "boundary" };
	int embedded = how & ENT_EMBEDDED, term = (how & ENT_TERM) != 0;
	const char *ct, *t, *src;
	size_t bs, srclen;
	char *cs, *got[2] = { NULL, NULL };
	int oom = 0, fresh, emb;
	enum cte cte;

	p->raw = b;
	p->rawlen = n;
	if (headers_parse(wk, p, b, n, embedded, &bs) == -1)
		return (-1);
	p->type = dflt;
	ct = mime_hdr_get(p, "Content-Type");
	if (!embedded && p->parent != NULL &&
	    strcmp(dflt, "text/plain") == 0 && pasted_message(p)) {
		/* a message pasted into a multipart without part headers */
		p->type = "message/rfc822";
		p->hdrs = NULL;
		p->hkey = NULL;
		p->nhdrs = 0;
		return (embed(wk, p, b, n, term, 1));
	}
	if (ct != NULL) {
		if ((t = ct_type(wk->a, ct, &oom)) != NULL)
			p->type = t;
		/* charset, and boundary for a multipart, in one walk */
		if (params_get(wk->a, ct, want, strncmp(p->type, "multipart/",
		    10) == 0 ? 2 : 1, got) == -1 || oom)
			return (-1);
		if ((cs = got[0]) != NULL) {
			lower_str(cs);
			p->charset = cs;
		}
		if (strncmp(p->type, "multipart/", 10) == 0)
			p->boundary = got[1];
	}
	cte = cte_of(p);
	b += bs;
	n -= bs;
	if (strncmp(p->type, "multipart/", 10) == 0) {
		if (cte == CTE_QP)
			cte = CTE_IDENTITY;	/* never legal; rarely true */
		if (transfer_decode(wk->a, cte, b, n, term, &src, &srclen,
		    &fresh) == -1)
			return (-1);
		if (p->depth >= wk->max_depth) {
			wk->m->flags |= MIME_LIMIT_DEPTH;
			return (body_set(wk, p, src, srclen, fresh, 1));
		}
		return (multipart_walk(wk, p, src, srclen, fresh));
	}
	if (transfer_decode(wk->a, cte, b, n, term, &src, &srclen,
	    &fresh) == -1)
		return (-1);
	if ((emb = mime_is_embedding(p->type)) == 0)
		return (body_set(wk, p, src, srclen, fresh, is_textual(p->type)));
	return (embed(wk, p, src, srclen, fresh, emb));
}

int
mime_parse(struct arena *a, const char *buf, size_t len,
    const struct mime_limits *lim, struct mime_msg *m)
{
	struct walk wk;
	struct mime_part *root;

	memset(m, 0, sizeof(*m));
	wk.a = a;
	wk.m = m;
	wk.max_depth = lim != NULL && lim->max_depth > 0 ? lim->max_depth : 32;
	wk.max_parts = lim != NULL && lim->max_parts > 0 ? lim->max_parts :
	    1000;
	if (wk.max_depth > MIME_HARD_DEPTH)
		wk.max_depth = MIME_HARD_DEPTH;
	if (buf == NULL)
		buf = "", len = 0;
	if (part_new(&wk, NULL, NULL, &root) != 1)
		return (-1);
	m->root = root;
	return (entity_parse(&wk, root, buf, len, "text/plain", 0));
}

/*
 * RFC 2047 encoded words.
 */
struct eword {
	const char	*cs;		/* charset, *language cut off */
	size_t		 cslen;
	int		 enc;		/* 'b' or 'q' */
	const char	*text;
	size_t		 textlen;
	const char	*end;		/* just past "?=" */
};

/* Parse "=?cs?e?text?=" at s. */
static int
eword_parse(const char *s, struct eword *w)
{
	const char *p = s + 2, *q;

	if (s[0] != '=' || s[1] != '?')
		return (0);
	for (q = p; *q != '\0' && *q != '?' && q - p < 64; q++)
		if (!is_token((unsigned char)*q) && *q != '*' )
			return (0);
	if (*q != '?' || q == p)
		return (0);
	w->cs = p;
	w->cslen = (size_t)(q - p);
	if ((p = memchr(w->cs, '*', w->cslen)) != NULL)
		w->cslen = (size_t)(p - w->cs);
	w->enc = lower((unsigned char)q[1]);
	if ((w->enc != 'b' && w->enc != 'q') || q[2] != '?')
		return (0);
	w->text = q + 3;
	for (q = w->text; *q != '\0' && *q != '?'; q++)
		if (is_wsp(*q) || *q == '\r' || *q == '\n')
			return (0);
	if (q[0] != '?' || q[1] != '=')
		return (0);
	w->textlen = (size_t)(q - w->text);
	w->end = q + 2;
	return (1);
}

/* Convert the pending decoded bytes in charset cs and append them. */
static int
pending_flush(struct arena *a, struct buf *out, struct buf *pend,
    const char *cs)
{
	char *u;
	size_t ul;

	if (pend->len == 0)
		return (0);
	if ((u = text_utf8(a, cs, pend->p, pend->len, 0, 0, &ul)) == NULL)
		return (-1);
	buf_reset(pend);
	return (buf_add(out, u, ul));
}

/* Append literal header text, made valid UTF-8. */
static int
literal_add(struct arena *a, struct buf *out, const char *s, size_t n)
{
	char *u;
	size_t ul;

	if (n == 0)
		return (0);
	if ((u = text_utf8(a, "", s, n, 0, 1, &ul)) == NULL)
		return (-1);
	return (buf_add(out, u, ul));
}

char *
mime_decode_words(struct arena *a, const char *value)
{
	struct buf out = BUF_INIT, pend = BUF_INIT;
	struct eword w;
	const char *p, *lit, *q;
	char cs[65], wcs[65], *res = NULL, *d;
	size_t i, dl;
	int prev = 0, allws;

	if (value == NULL)
		return (NULL);
	/* no "=?" (found by its rarer '?'): the value made valid UTF-8 */
	dl = strlen(value);
	for (q = value; (q = memchr(q, '?', dl - (size_t)(q - value))) !=
	    NULL; q++)
		if (q > value && q[-1] == '=')
			break;
	if (q == NULL) {
		if (ascii_run((const unsigned char *)value, dl, 0, 1) == dl)
			return (arena_strndup(a, value, dl));
		return (text_utf8(a, "", value, dl, 0, 0, &dl));
	}
	cs[0] = '\0';
	for (p = lit = value; *p != '\0'; ) {
		if (p[0] != '=' || p[1] != '?' || !eword_parse(p, &w)) {
			p++;
			continue;
		}
		for (allws = 1, q = lit; q < p; q++)
			if (!is_wsp(*q) && *q != '\r' && *q != '\n')
				allws = 0;
		memcpy(wcs, w.cs, w.cslen);
		wcs[w.cslen] = '\0';
		if (!(prev && allws) || strcasecmp(wcs, cs) != 0) {
			if (pending_flush(a, &out, &pend, cs) == -1)
				goto done;
			if (!(prev && allws) &&
			    literal_add(a, &out, lit, (size_t)(p - lit)) == -1)
				goto done;
		}
		memcpy(cs, wcs, w.cslen + 1);
		/* decode the word's bytes onto the pending run */
		if ((d = malloc(w.textlen + 1)) == NULL)
			goto done;
		dl = w.enc == 'b' ? b64_decode(w.text, w.textlen, d) :
		    qp_decode(w.text, w.textlen, d, 1);
		if (buf_add(&pend, d, dl) == -1) {
			free(d);
			goto done;
		}
		free(d);
		prev = 1;
		p = lit = w.end;
	}
	if (pending_flush(a, &out, &pend, cs) == -1 ||
	    literal_add(a, &out, lit, (size_t)(p - lit)) == -1)
		goto done;
	if (out.p == NULL && buf_add(&out, "", 0) == -1)
		goto done;
	for (i = 0; i < out.len; i++)	/* no control characters */
		if ((unsigned char)out.p[i] < 0x20 && out.p[i] != '\t')
			out.p[i] = ' ';
	res = arena_strndup(a, out.p != NULL ? out.p : "", out.len);
done:
	buf_free(&out);
	buf_free(&pend);
	return (res);
}

/*
 * Tree search: depth first, in document order.  type "x/\*" matches every x subtype.
 */
static int
type_match(const char *t, const char *want)
{
	size_t wl = strlen(want);

	if (wl >= 2 && want[wl - 1] == '*' && want[wl - 2] == '/')
		return (strncasecmp(t, want, wl - 1) == 0);
	return (strcasecmp(t, want) == 0);
}

const struct mime_part *
mime_find(const struct mime_part *root, const char *type)
{
	const struct mime_part *p = root;

	if (root == NULL || type == NULL)
		return (NULL);
	while (p != NULL) {
		if (type_match(p->type, type))
			return (p);
		if (p->child != NULL) {
			p = p->child;
			continue;
		}
		while (p != root && p->next == NULL)
			p = p->parent;
		if (p == root)
			break;
		p = p->next;
	}
	return (NULL);
}
