/*
 * mime_word.c - RFC 2047 encoded words in header values
 *
 * SYNOPSIS
 *	char	*mime_decode_words(struct arena *a, const char *value);
 *
 * DESCRIPTION
 *	See mime.h.  Adjacent words in one charset are decoded together
 *	(a character may be split across words), white space between
 *	words dropped, and the result made valid UTF-8 without control
 *	characters.
 */
#include "mime_int.h"

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
	if ((u = mime_text_utf8(a, cs, pend->p, pend->len, 0, 0, &ul)) == NULL)
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
	if ((u = mime_text_utf8(a, "", s, n, 0, 1, &ul)) == NULL)
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
		return (mime_text_utf8(a, "", value, dl, 0, 0, &dl));
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
		dl = w.enc == 'b' ? mime_b64_decode(w.text, w.textlen, d) :
		    mime_qp_decode(w.text, w.textlen, d, 1);
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

