/*
 * mime_cte.c - transfer decodings and text to clean UTF-8
 *
 * SYNOPSIS
 *	size_t	mime_b64_decode(const char *s, size_t n, char *out);
 *	size_t	mime_qp_decode(const char *s, size_t n, char *out,
 *		    int underscore);
 *	char	*mime_text_utf8(struct arena *a, const char *cs, const char *s,
 *		    size_t n, int crlf, int reuse, size_t *outlen);
 *	char	*mime_to_utf8(struct arena *a, const char *charset,
 *		    const char *s, size_t n, size_t *outlen);
 *
 * DESCRIPTION
 *	Base64 and quoted-printable, both lenient and writing at most n
 *	bytes; text in a charset to valid UTF-8 (charset.c; Japanese text
 *	under a wrong label guessed there), invalid bytes and NUL as
 *	U+FFFD, CRLF as LF when crlf is set.  See mime_int.h and mime.h.
 */
#include "mime_int.h"

/*
 * Transfer decodings.  Both are lenient and write at most n bytes.
 */

/* Base64: junk skipped, padding optional, "=" ends a quantum early. */
size_t
mime_b64_decode(const char *s, size_t n, char *out)
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
size_t
mime_qp_decode(const char *s, size_t n, char *out, int underscore)
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

/* Text in charset cs to clean UTF-8 (see utf8_clean for crlf, reuse). */
char *
mime_text_utf8(struct arena *a, const char *cs, const char *s, size_t n,
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
	jis = charset_jis_at(s, 0, n) < n;
	if (!jis && strncasecmp(cs, "iso-2022-jp", 11) == 0) {
		/* no shift sequence: 8-bit text under a 7-bit label */
		if (utf8_valid(s, n, &high))
			r = 1;
		else
			r = charset_jp_guess(s, n, &conv, &convlen);
	} else if (like && !jis)
		r = 1;		/* what charset_conv() says for such labels */
	else if ((r = charset_conv(cs, s, n, &conv, &convlen,
	    NULL)) == 1 && jis)
		r = charset_jis_mixed(s, n, &conv, &convlen);
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

	return (mime_text_utf8(a, charset, s, n, 0, 0,
	    outlen != NULL ? outlen : &dummy));
}

