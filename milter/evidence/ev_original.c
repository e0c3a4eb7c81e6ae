/*
 * ev_original.c - the returned original of a bounce, for the evidence
 *	checks
 *
 * SYNOPSIS
 *	#include "evidence_int.h"
 *
 *	void	ev_original_get(struct report *r, const char **raw,
 *		    size_t *len, int *hdr_only, struct hlist *h);
 *	const char *ev_hget(const struct hlist *h, const char *name);
 *	const char *ev_addr_of(struct arena *a, const char *v);
 *	const char *ev_domain_of(const char *addr);
 *	const char *ev_original_sender(struct report *r,
 *		    const struct hlist *h);
 *	int	evidence_received_ip(const char *v, char *out, size_t outlen,
 *		    int *auth);
 *	int	ev_body_cut(struct report *r, const struct hlist *h,
 *		    const char *raw, size_t len);
 *
 * DESCRIPTION
 *	What evidence.c reads from the bounce: the original that came back,
 *	the envelope sender, the Received trace.  Nothing here looks
 *	anything up.
 *
 *	ev_original_get() finds the raw bytes of the returned original
 *	(*raw, *len: NULL, 0 when none came back, or when only its parsed
 *	headers are known), whether only its headers came back
 *	(text/rfc822-headers, *hdr_only) and its unfolded headers (into h,
 *	at most 256, values in the report's arena).  ev_hget() gives the
 *	first header of that name (case-insensitive), or NULL.
 *
 *	ev_addr_of() is the bare address of a header value ("Name <a@b>",
 *	"rfc822; a@b"), in the arena; ev_domain_of() the domain of an
 *	address as written (U-labels stay), or NULL when it cannot be
 *	looked up (no @, no A-label form, not a host name).
 *
 *	ev_original_sender() is the original's envelope sender: its
 *	Return-Path, else the DSN's X-Postfix-Sender, else the bounce's own
 *	To (a bounce goes to the envelope sender), else the original's
 *	From; the first with a usable domain, or NULL.
 *
 *	evidence_received_ip() puts the client IP of one Received value
 *	("from host (name [ip]) by ...") into out and sets *auth for an
 *	authenticated submission ("with ESMTPSA" and the like, RFC 3848);
 *	1 when an address was found, else 0.  Exported for the tests too.
 *
 *	ev_body_cut() says whether the body of the original came back cut:
 *	the bounce says so ("truncated", "only the first") or a multipart
 *	original lacks its closing boundary.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "evidence_int.h"

static int
contains(const char *s, const char *w)
{
	return (s != NULL && strcasestr(s, w) != NULL);
}

/* Unfolded headers of raw text (an inline original), into the arena. */
static void
hlist_from_text(struct arena *a, const char *s, size_t len, struct hlist *h)
{
	size_t i = 0, ls, le;
	char *v;
	const char *colon;

	while (i < len && h->n < 256) {
		ls = i;
		while (i < len && s[i] != '\n')
			i++;
		le = i;
		if (le > ls && s[le - 1] == '\r')
			le--;
		if (i < len)
			i++;
		if (le == ls)
			break;
		if ((s[ls] == ' ' || s[ls] == '\t') && h->n > 0) {
			v = arena_printf(a, "%s %.*s", h->value[h->n - 1],
			    (int)(le - ls - 1), s + ls + 1);
			if (v != NULL)
				h->value[h->n - 1] = v;
			continue;
		}
		if ((colon = memchr(s + ls, ':', le - ls)) == NULL)
			continue;
		h->name[h->n] = arena_strndup(a, s + ls, (size_t)(colon - s - ls));
		colon++;
		while (colon < s + le && (*colon == ' ' || *colon == '\t'))
			colon++;
		h->value[h->n] = arena_strndup(a, colon, (size_t)(s + le - colon));
		if (h->name[h->n] != NULL && h->value[h->n] != NULL)
			h->n++;
	}
}

const char *
ev_hget(const struct hlist *h, const char *name)
{
	int i;

	for (i = 0; i < h->n; i++)
		if (strcasecmp(h->name[i], name) == 0)
			return (h->value[i]);
	return (NULL);
}

static int
headers_type(const char *t)
{
	return (t != NULL && strstr(t, "headers") != NULL);
}

/*
 * The raw bytes of the returned original, its headers, and whether only
 * the headers came back.
 */
void
ev_original_get(struct report *r, const char **raw, size_t *len,
    int *hdr_only, struct hlist *h)
{
	const struct mime_part *p = r->original;
	size_t i;

	*raw = NULL;
	*len = 0;
	*hdr_only = 0;
	if (p != NULL && mime_is_embedding(p->type) && p->child == NULL) {
		/* an embedding that was not walked: its body is the message */
		*raw = p->body;
		*len = p->bodylen;
		*hdr_only = headers_type(p->type);
		hlist_from_text(r->a, *raw, *len, h);
		return;
	}
	if (p != NULL) {
		for (i = 0; i < p->nhdrs && h->n < 256; i++) {
			h->name[h->n] = p->hdrs[i].name;
			h->value[h->n] = p->hdrs[i].value;
			h->n++;
		}
		*hdr_only = p->headers_only || (p->parent != NULL &&
		    headers_type(p->parent->type));
		if (p->parent != NULL && mime_is_embedding(p->parent->type)) {
			*raw = p->raw;
			*len = p->rawlen;
		}
		return;
	}
	if (r->original_text != NULL) {
		*raw = r->original_text;
		*len = r->original_len;
		hlist_from_text(r->a, *raw, *len, h);
	}
}

/* The bare address in a header value ("Name <a@b>", "rfc822; a@b"). */
const char *
ev_addr_of(struct arena *a, const char *v)
{
	const char *lt, *gt, *semi, *e;

	if (v == NULL)
		return (NULL);
	if ((lt = strchr(v, '<')) != NULL && (gt = strchr(lt, '>')) != NULL)
		return (arena_strndup(a, lt + 1, (size_t)(gt - lt - 1)));
	if ((semi = strchr(v, ';')) != NULL)
		v = semi + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	e = v + strcspn(v, " \t,");
	return (arena_strndup(a, v, (size_t)(e - v)));
}

/* The domain of addr as written (U-labels stay), if it can be looked up. */
const char *
ev_domain_of(const char *addr)
{
	const char *at;
	char ascii[256];

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return (NULL);
	if (ev_domain_ascii(at + 1, ascii, sizeof(ascii)) == -1)
		return (NULL);
	return (ev_domain_ok(ascii) ? at + 1 : NULL);
}

/* A field of the delivery-status part, outside the original. */
static const char *
dsn_field(struct arena *a, const struct mime_part *p, const char *name,
    int depth)
{
	const char *s, *v, *e;
	size_t n = strlen(name);

	for (; p != NULL && depth < 16; p = p->next) {
		if (mime_is_embedding(p->type))
			continue;
		if (p->type != NULL && strstr(p->type, "delivery-status") &&
		    p->body != NULL) {
			for (s = p->body; s != NULL && *s; ) {
				if (strncasecmp(s, name, n) == 0 &&
				    s[n] == ':') {
					v = s + n + 1;
					e = v + strcspn(v, "\r\n");
					return (arena_strndup(a, v,
					    (size_t)(e - v)));
				}
				s = strchr(s, '\n');
				if (s != NULL)
					s++;
			}
		}
		if (p->child != NULL &&
		    (v = dsn_field(a, p->child, name, depth + 1)) != NULL)
			return (v);
	}
	return (NULL);
}

/* Envelope sender of the original, as "local@domain", or NULL. */
const char *
ev_original_sender(struct report *r, const struct hlist *h)
{
	const char *cand[4], *d;
	int i;

	cand[0] = ev_addr_of(r->a, ev_hget(h, "Return-Path"));
	cand[1] = ev_addr_of(r->a, r->mime.root ?
	    dsn_field(r->a, r->mime.root, "X-Postfix-Sender", 0) : NULL);
	cand[2] = ev_addr_of(r->a, r->mime.root ?
	    mime_hdr_get(r->mime.root, "To") : NULL);
	cand[3] = ev_addr_of(r->a, ev_hget(h, "From"));
	for (i = 0; i < 4; i++)
		if ((d = ev_domain_of(cand[i])) != NULL)
			return (cand[i]);
	(void)d;
	return (NULL);
}

/*
 * The client IP of one Received value ("from host (name [ip]) by ...")
 * into out; *auth is set for an authenticated submission.  Returns 1
 * when an address was found.  (Exported for the tests.)
 */
int
evidence_received_ip(const char *v, char *out, size_t outlen, int *auth)
{
	const char *from, *by, *p, *q, *w;
	char tok[INET6_ADDRSTRLEN + 8];
	unsigned char tmp[16];
	size_t n, fl;

	*auth = 0;
	if ((w = strcasestr(v, " with ")) != NULL) {
		w += 6;
		w += strspn(w, " \t");
		n = strcspn(w, " \t;(");
		if (n > 0 && n < sizeof(tok)) {
			memcpy(tok, w, n);
			tok[n] = '\0';
			/* RFC 3848: ESMTPA, ESMTPSA, LMTPSA, UTF8SMTPSA ... */
			if ((tok[n - 1] == 'A' || tok[n - 1] == 'a') &&
			    (strcasestr(tok, "SMTP") || strcasestr(tok, "LMTP")))
				*auth = 1;
		}
	}
	v += strspn(v, " \t");
	if (strncasecmp(v, "from", 4) != 0 || (v[4] != ' ' && v[4] != '\t'))
		return (0);
	from = v + 4;
	by = strcasestr(from, " by ");
	fl = by ? (size_t)(by - from) : strlen(from);
	/* bracketed literal first, then bare addresses in comments */
	for (p = from; p < from + fl; p++) {
		if (*p != '[' && *p != '(' && *p != ' ')
			continue;
		q = p + 1;
		if (strncasecmp(q, "IPv6:", 5) == 0)
			q += 5;
		n = strcspn(q, "])( \t");
		if (q + n > from + fl || n == 0 || n >= sizeof(tok))
			continue;
		memcpy(tok, q, n);
		tok[n] = '\0';
		if (inet_pton(AF_INET, tok, tmp) == 1 ||
		    inet_pton(AF_INET6, tok, tmp) == 1) {
			snprintf(out, outlen, "%s", tok);
			return (1);
		}
	}
	return (0);
}

/* Did the body of the original come back cut? */
int
ev_body_cut(struct report *r, const struct hlist *h, const char *raw,
    size_t len)
{
	const struct mime_part *p;
	const char *ct, *b;
	char *bnd, *close;
	size_t bl;

	for (p = r->mime.root; p != NULL; p = p->child ? p->child : p->next) {
		if (mime_is_embedding(p->type))
			break;
		if (p->type != NULL && strncmp(p->type, "text/plain", 10) == 0
		    && p->body != NULL &&
		    (contains(p->body, "truncated") ||
		    contains(p->body, "only the first")))
			return (1);
		if (p->child == NULL && p->next == NULL)
			break;
	}
	if ((ct = ev_hget(h, "Content-Type")) != NULL &&
	    strncasecmp(ct, "multipart/", 10) == 0 &&
	    (b = strcasestr(ct, "boundary=")) != NULL && raw != NULL) {
		b += 9;
		if (*b == '"')
			b++;
		bl = strcspn(b, "\";");
		if (bl == 0 || bl > 200)
			return (0);
		if ((bnd = arena_strndup(r->a, b, bl)) == NULL)
			return (0);
		if ((close = arena_printf(r->a, "--%s--", bnd)) == NULL)
			return (0);
		if (memmem(raw, len, close, strlen(close)) == NULL)
			return (1);
	}
	return (0);
}
