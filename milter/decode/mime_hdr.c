/*
 * mime_hdr.c - header blocks and Content-Type parameters of the MIME walk
 *
 * SYNOPSIS
 *	int	mime_headers_parse(struct walk *wk, struct mime_part *p,
 *		    const char *b, size_t n, int embedded, size_t *bodyp);
 *	size_t	mime_field_name(const char *s, size_t n, size_t *colon);
 *	int	mime_line_blank(const char *b, size_t s, size_t le);
 *	const char *mime_hdr_next(const struct mime_part *p,
 *		    const char *name, size_t *iter);
 *	const char *mime_hdr_get(const struct mime_part *p, const char *name);
 *	const char *mime_ct_type(struct arena *a, const char *v, int *oom);
 *	int	mime_params_get(struct arena *a, const char *v,
 *		    const char *const *names, size_t cnt, char **out);
 *	char	*mime_param_get(struct arena *a, const char *v,
 *		    const char *name, int *oom);
 *	void	mime_lower_str(char *s);
 *
 * DESCRIPTION
 *	A header block in two linear scans (fields counted and the body
 *	found, then each unfolded field copied into one arena block), with
 *	the repair of folds that lost their blank; the field look-ups of
 *	mime.h; the type of a Content-Type value and its parameters (RFC
 *	2231 sections and charsets included).  See mime_int.h.
 */
#include "mime_int.h"

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
	uint64_t w;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, s + i, 8);
		if ((swar_eq(w, 0) | swar_eq(w, '\r') | swar_eq(w, '\n')) &
		    SWAR_HIGHS)
			break;
	}
#endif
	for (; i < n; i++)
		if (s[i] == '\0' || s[i] == '\r' || s[i] == '\n')
			break;
	return (i);
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
size_t
mime_field_name(const char *s, size_t n, size_t *colon)
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
int
mime_line_blank(const char *b, size_t s, size_t le)
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
			if (mime_line_blank(b, k, le)) {
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
		if (is_wsp(b[q]) || mime_field_name(b + q, le - q, &colon) != 0)
			return (1);
	}
	return (0);
}

/*
 * Parse the header block of b[0, n); *bodyp gets where the body starts.
 * A line that is neither a field nor a continuation ends the block (it
 * belongs to the body); so does a blank line (which does not).
 */
int
mime_headers_parse(struct walk *wk, struct mime_part *p, const char *b,
    size_t n, int embedded, size_t *bodyp)
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
		if (mime_line_blank(b, pos, le)) {
			body = le < n ? le + 1 : n;
			break;
		}
		if (is_wsp(b[pos]) && infield) {
			if (count <= HDRS_SEEN)
				seen[count - 1].end = le;
			pos = le + 1;
			continue;
		}
		if ((nl = mime_field_name(b + pos, le - pos, &colon)) != 0) {
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
		else if ((nl = mime_field_name(b + pos, (le = line_end(b, pos, n)) -
		    pos, &colon)) == 0)
			break;
		/* its continuation lines: indented, or not fields (pass 1
		 * took those for folds that lost their indentation) */
		i = le;
		nl2 = 0;
		while (i + 1 < body && i + 1 < n) {
			le = line_end(b, i + 1, n);
			if (mime_line_blank(b, i + 1, le) || (!is_wsp(b[i + 1]) &&
			    (nl2 = mime_field_name(b + i + 1, le - i - 1,
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
const char *
mime_ct_type(struct arena *a, const char *v, int *oom)
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

/* One wanted parameter while mime_params_get() walks a value. */
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
int
mime_params_get(struct arena *a, const char *v, const char *const *names,
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

/* One parameter, as mime_params_get(). */
char *
mime_param_get(struct arena *a, const char *v, const char *name, int *oom)
{
	char *out;

	if (mime_params_get(a, v, &name, 1, &out) == -1)
		*oom = 1;
	return (out);
}

void
mime_lower_str(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)lower((unsigned char)*s);
}

