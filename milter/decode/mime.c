/*
 * mime.c - MIME walk of one raw message; see mime.h for the interface
 *
 * SYNOPSIS
 *	struct mime_msg *mime_parse(struct arena *a, const char *buf,
 *		    size_t len, const struct mime_limits *lim);
 *	const struct mime_part *mime_find(const struct mime_part *root,
 *		    const char *type);
 *	int	mime_is_embedding(const char *t);
 *
 * DESCRIPTION
 *	The walk.  Its helpers: mime_hdr.c (header fields, Content-Type
 *	parameters), mime_cte.c (transfer decodings, text to UTF-8),
 *	mime_word.c (RFC 2047 encoded words); mime_int.h is what they share.
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

#include "mime_int.h"

static int	entity_parse(struct walk *, struct mime_part *, const char *,
		    size_t, const char *, int);

#define ENT_EMBEDDED	0x01	/* the content of a message/rfc822-like part */
#define ENT_TERM	0x02	/* b[n] is a NUL that bodies may end on */

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

/* Does the body hold the delimiter line "--BOUNDARY" as plain text? */
static int
delimiter_plain(const char *bd, const char *b, size_t n)
{
	size_t bl, i;

	if (bd == NULL || (bl = strlen(bd)) == 0 || n < bl + 2)
		return (0);
	for (i = 0; i + bl + 2 <= n; i++)
		if ((i == 0 || b[i - 1] == '\n') && b[i] == '-' &&
		    b[i + 1] == '-' && memcmp(b + i + 2, bd, bl) == 0)
			return (1);
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
	*outlen = cte == CTE_BASE64 ? mime_b64_decode(b, n, d) :
	    mime_qp_decode(b, n, d, 0);
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
		d = mime_text_utf8(wk->a, p->charset, src, n, 1, fresh, &p->bodylen);
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
	size_t colon, nl = mime_field_name(b + s, le - s, &colon);

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
		if (mime_line_blank(b, pos, le)) {
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
	    (v = mime_param_get(wk->a, ct, "report-type", &oom)) != NULL) {
		mime_lower_str(v);
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
	if (mime_field_name(b + de, line_end(b, de, n) - de, &colon) == 0)
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
			if (d == 2) {
				for (cs = pos; is_wsp(b[cs]); cs++)
					;
				cs += bl + 4;
				p->epilogue = b + cs;
				p->epiloguelen = n - cs;
				return (0);
			}
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
	if (mime_headers_parse(wk, p, b, n, embedded, &bs) == -1)
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
		if ((t = mime_ct_type(wk->a, ct, &oom)) != NULL)
			p->type = t;
		/* charset, and boundary for a multipart, in one walk */
		if (mime_params_get(wk->a, ct, want, strncmp(p->type, "multipart/",
		    10) == 0 ? 2 : 1, got) == -1 || oom)
			return (-1);
		if ((cs = got[0]) != NULL) {
			mime_lower_str(cs);
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
		/* never legal either; believed unless the delimiter is
		   there as plain text (Coremail labels such a body base64) */
		if (cte == CTE_BASE64 && delimiter_plain(p->boundary, b, n))
			cte = CTE_IDENTITY;
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
