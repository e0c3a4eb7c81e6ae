/*
 * annotate.c - X-Bounce-* header values and syslog lines; see annotate.h
 *
 *	Every byte that reaches a header or a log line goes through one of
 *	the sanitizers here: values of X-Bounce-Class are tokens or quoted
 *	strings (control bytes -> space, non-ASCII -> %HH), hint text is
 *	cleaned (controls -> space, invalid UTF-8 -> U+FFFD, whitespace
 *	collapsed, length capped) and, when not plain ASCII, written as
 *	RFC 2047 encoded words.  The folder lays atoms (text that must not
 *	be split) on lines of at most ANNOTATE_FOLD octets.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "utf8.h"

static const char hexd[] = "0123456789ABCDEF";

/* ---------------------------------------------------------------- folder */

struct folder {
	struct buf	*out;
	size_t		 col;		/* octets on the current line */
	int		 first;		/* no atom written yet */
	int		 err;
};

static void
fold_init(struct folder *f, struct buf *out, size_t col)
{
	f->out = out;
	f->col = col;
	f->first = 1;
	f->err = 0;
}

/* Lay one atom; atoms longer than a line are cut so no line passes 998. */
static void
fold_atom(struct folder *f, const char *a, size_t n)
{
	if (n > ANNOTATE_MAX_LINE - 8)
		n = ANNOTATE_MAX_LINE - 8;
	if (!f->first) {
		if (f->col + 1 + n > ANNOTATE_FOLD) {
			f->err |= buf_add(f->out, "\n\t", 2);
			f->col = 1;
		} else {
			f->err |= buf_addc(f->out, ' ');
			f->col++;
		}
	}
	f->err |= buf_add(f->out, a, n);
	f->col += n;
	f->first = 0;
}

/* ------------------------------------------------------------ sanitizers */

static int
is_token_char(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
	    c == '+' || c == '@');
}

/*
 * Append v as a header value: a token as is, anything else a quoted
 * string; controls become spaces, non-ASCII %HH; at most cap octets of
 * output (an escape is never cut in half).
 */
static int
put_value(struct buf *b, const char *v, size_t cap)
{
	const unsigned char *p;
	size_t used = 0;
	int tok = (*v != '\0'), r = 0;
	char e[4];
	size_t en;

	for (p = (const unsigned char *)v; *p; p++)
		if (!is_token_char(*p)) {
			tok = 0;
			break;
		}
	if (tok) {
		size_t n = strlen(v);
		return (buf_add(b, v, n > cap ? cap : n));
	}
	r |= buf_addc(b, '"');
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			e[0] = ' ';
			en = 1;
		} else if (*p >= 0x80) {
			e[0] = '%';
			e[1] = hexd[*p >> 4];
			e[2] = hexd[*p & 15];
			en = 3;
		} else if (*p == '"' || *p == '\\') {
			e[0] = '\\';
			e[1] = (char)*p;
			en = 2;
		} else {
			e[0] = (char)*p;
			en = 1;
		}
		if (used + en > cap)
			break;
		r |= buf_add(b, e, en);
		used += en;
	}
	r |= buf_addc(b, '"');
	return (r);
}

/*
 * Clean free text into b: controls -> space, invalid UTF-8 -> U+FFFD,
 * runs of white space -> one space, no leading/trailing space, at most
 * cap octets (cut at a character boundary, "..." appended).  Returns
 * whether any byte is non-ASCII in *nonascii.
 */
static int
clean_text(struct buf *b, const char *s, size_t cap, int *nonascii)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, start = b->len;
	int sp = 0, r = 0;

	*nonascii = 0;
	while (*p) {
		if (*p < 0x20 || *p == 0x7f || *p == ' ') {
			sp = 1;
			p++;
			continue;
		}
		if (*p < 0x80)
			n = 1;
		else if ((n = utf8_seqlen(p)) == 0)
			n = 0;		/* invalid: replaced below */
		if (b->len - start + (sp ? 1 : 0) + (n ? n : 3) > cap) {
			r |= buf_adds(b, "...");
			break;
		}
		if (sp && b->len > start)
			r |= buf_addc(b, ' ');
		sp = 0;
		if (n == 0) {
			r |= buf_add(b, "\xef\xbf\xbd", 3);
			*nonascii = 1;
			p++;
		} else {
			if (*p >= 0x80)
				*nonascii = 1;
			r |= buf_add(b, p, n);
			p += n;
		}
	}
	return (r);
}

/* ------------------------------------------------------ RFC 2047 words */

static int
q_plain(unsigned char c)
{
	return ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	    c == '-' || c == '/' || c == '.' || c == ',');
}

static size_t
q_len(const unsigned char *p, size_t n)
{
	size_t i, l = 0;

	for (i = 0; i < n; i++)
		l += (q_plain(p[i]) || p[i] == ' ') ? 1 : 3;
	return (l);
}

static void
b64(struct buf *b, const unsigned char *p, size_t n, int *err)
{
	static const char t[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t v;
	size_t i;
	char o[4];

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		o[0] = t[(v >> 18) & 63];
		o[1] = t[(v >> 12) & 63];
		o[2] = i + 1 < n ? t[(v >> 6) & 63] : '=';
		o[3] = i + 2 < n ? t[v & 63] : '=';
		*err |= buf_add(b, o, 4);
	}
}

/*
 * Lay text (clean UTF-8) as encoded words of at most 75 octets, split
 * at character boundaries; Q when that is not longer than B.
 */
static void
fold_encoded(struct folder *f, const char *text)
{
	const unsigned char *p = (const unsigned char *)text, *start;
	size_t n = strlen(text), i, cl, wl, ql;
	int useq = q_len(p, n) <= (n + 2) / 3 * 4;
	struct buf w = BUF_INIT;
	const size_t maxpay = 75 - 12;	/* "=?UTF-8?Q?" + "?=" */

	i = 0;
	while (i < n) {
		start = p + i;
		wl = 0;
		/* take whole characters while the payload fits */
		while (i < n) {
			cl = p[i] < 0x80 ? 1 : utf8_seqlen(p + i);
			if (cl == 0)
				cl = 1;
			ql = useq ? q_len(p + i, cl) :
			    (size_t)((wl + cl + 2) / 3 * 4);
			if (useq ? wl + ql > maxpay : ql > maxpay)
				break;
			wl = useq ? wl + ql : wl + cl;
			i += cl;
		}
		if (p + i == start)	/* cannot happen with maxpay >= 12 */
			i++;
		buf_reset(&w);
		f->err |= buf_adds(&w, useq ? "=?UTF-8?Q?" : "=?UTF-8?B?");
		if (useq) {
			const unsigned char *q;
			char e[3];

			for (q = start; q < p + i; q++) {
				if (*q == ' ')
					f->err |= buf_addc(&w, '_');
				else if (q_plain(*q))
					f->err |= buf_addc(&w, (char)*q);
				else {
					e[0] = '=';
					e[1] = hexd[*q >> 4];
					e[2] = hexd[*q & 15];
					f->err |= buf_add(&w, e, 3);
				}
			}
		} else
			b64(&w, start, (size_t)(p + i - start), &f->err);
		f->err |= buf_adds(&w, "?=");
		if (w.p != NULL)
			fold_atom(f, w.p, w.len);
	}
	buf_free(&w);
}

/* ----------------------------------------------------------- the values */

static const char *
or_empty(const char *s)
{
	return (s != NULL ? s : "");
}

int
annotate_wants(const struct report *r, size_t i)
{
	const char *a;

	if (r == NULL || !r->bounce || i >= r->nrcpt)
		return (0);
	if (r->kind != NULL && (strcmp(r->kind, "arf") == 0 ||
	    strcmp(r->kind, "autoreply") == 0))
		return (0);
	a = or_empty(r->rcpt[i].action);
	return (*a == '\0' || strcmp(a, "failed") == 0 ||
	    strcmp(a, "delayed") == 0);
}

/* The whole-message annotation of an ARF report or an auto-reply. */
static int
is_single(const struct report *r)
{
	return (r != NULL && r->bounce && r->kind != NULL &&
	    (strcmp(r->kind, "arf") == 0 ||
	    strcmp(r->kind, "autoreply") == 0));
}

/* key=value pairs of one recipient, in header order; value "" = none. */
struct kv {
	const char	*k;
	const char	*v;
};

static size_t
rcpt_pairs(const struct report *r, const struct rcpt *rc,
    const struct annotate_opts *o, struct kv *kv)
{
	size_t n = 0;
	const char *kind = or_empty(r->kind);

	if (rc != NULL) {
		kv[n].k = "rcpt";
		kv[n++].v = or_empty(rc->addr);
		kv[n].k = "status";
		kv[n++].v = rc->status;
		kv[n].k = "reply";
		kv[n++].v = rc->reply;
		kv[n].k = "reason";
		kv[n++].v = or_empty(rc->reason);
		kv[n].k = "cause";
		kv[n++].v = or_empty(rc->cause);
		kv[n].k = "side";
		kv[n++].v = or_empty(rc->side);
		kv[n].k = "hard";
		kv[n++].v = rc->hard ? "yes" : "no";
	} else {
		kv[n].k = "reason";
		kv[n++].v = strcmp(kind, "arf") == 0 ? "feedback" : "vacation";
	}
	if (*kind != '\0' && strcmp(kind, "dsn") != 0) {
		kv[n].k = "kind";
		kv[n++].v = kind;
	}
	if (o->evidence && rc != NULL) {
		kv[n].k = "spf";
		kv[n++].v = or_empty(rc->ev.spf);
		kv[n].k = "dkim";
		kv[n++].v = or_empty(rc->ev.dkim);
		kv[n].k = "mx";
		kv[n++].v = or_empty(rc->ev.mx);
	}
	if (rc != NULL) {
		kv[n].k = "inner_cause";
		kv[n++].v = or_empty(rc->inner_cause);
	}
	return (n);
}

static const char *
authserv(const struct annotate_opts *o)
{
	return (o->authserv_id != NULL && *o->authserv_id != '\0' ?
	    o->authserv_id : "localhost");
}

/* Lay "a; k=v; k=v" (the last pair without ';') through the folder. */
static void
fold_pairs(struct folder *f, const char *first, const struct kv *kv,
    size_t n)
{
	struct buf a = BUF_INIT;
	size_t i, last = 0;

	for (i = 0; i < n; i++)
		if (*kv[i].v != '\0')
			last = i + 1;
	f->err |= put_value(&a, first, ANNOTATE_MAX_VALUE);
	if (last > 0)
		f->err |= buf_addc(&a, ';');
	if (a.p != NULL)
		fold_atom(f, a.p, a.len);
	for (i = 0; i < n; i++) {
		if (*kv[i].v == '\0')
			continue;
		buf_reset(&a);
		f->err |= buf_printf(&a, "%s=", kv[i].k);
		f->err |= put_value(&a, kv[i].v, ANNOTATE_MAX_VALUE);
		if (i + 1 < last)
			f->err |= buf_addc(&a, ';');
		if (a.p != NULL)
			fold_atom(f, a.p, a.len);
	}
	buf_free(&a);
}

int
annotate_class_value(struct buf *out, const char *as, const struct report *r,
    const struct rcpt *rc, const struct annotate_opts *o, size_t col)
{
	struct folder f;
	struct kv kv[16];
	size_t n;

	fold_init(&f, out, col);
	n = rcpt_pairs(r, rc, o, kv);
	fold_pairs(&f, as, kv, n);
	return (f.err ? -1 : 0);
}

int
annotate_hint_value(struct buf *out, const char *rcpt, const char *text,
    size_t col)
{
	struct folder f;
	struct buf a = BUF_INIT, t = BUF_INIT;
	const char *w, *e;
	int na;

	fold_init(&f, out, col);
	f.err |= put_value(&a, or_empty(rcpt), ANNOTATE_MAX_VALUE);
	f.err |= buf_addc(&a, ':');
	if (a.p != NULL)
		fold_atom(&f, a.p, a.len);
	f.err |= clean_text(&t, or_empty(text), ANNOTATE_MAX_HINT, &na);
	if (t.p != NULL && t.len > 0) {
		if (na || strstr(t.p, "=?") != NULL)
			fold_encoded(&f, t.p);
		else
			for (w = t.p; *w; w = *e ? e + 1 : e) {
				e = strchr(w, ' ');
				if (e == NULL)
					e = w + strlen(w);
				fold_atom(&f, w, (size_t)(e - w));
			}
	}
	buf_free(&a);
	buf_free(&t);
	return (f.err ? -1 : 0);
}

/* ---------------------------------------------------------- header list */

static int
hdr_push(struct annotate_hdrs *h, const char *name, struct buf *v)
{
	struct annotate_hdr *nv;

	if (v->p == NULL && buf_adds(v, "") == -1)
		return (-1);
	if (h->n == h->cap) {
		size_t nc = h->cap ? h->cap * 2 : 8;

		if ((nv = realloc(h->v, nc * sizeof(*nv))) == NULL)
			return (-1);
		h->v = nv;
		h->cap = nc;
	}
	h->v[h->n].name = name;
	h->v[h->n].value = v->p;
	h->n++;
	buf_init(v);
	return (0);
}

#define H_CLASS		"X-Bounce-Class"
#define H_HINT		"X-Bounce-Hint"
#define H_ORIG		"X-Bounce-Original"
#define COL(h)		(sizeof(h) - 1 + 2)

static int
add_original(struct annotate_hdrs *h, const struct annotate_orig *og)
{
	struct folder f;
	struct buf v = BUF_INIT;
	struct kv kv[3];
	size_t n = 0, i, last = 0;
	struct buf a = BUF_INIT;

	kv[n].k = "message-id";
	kv[n++].v = or_empty(og->message_id);
	kv[n].k = "sent";
	kv[n++].v = or_empty(og->sent);
	kv[n].k = "from";
	kv[n++].v = or_empty(og->from);
	fold_init(&f, &v, COL(H_ORIG));
	for (i = 0; i < n; i++)
		if (*kv[i].v != '\0')
			last = i + 1;
	if (last == 0)
		return (0);
	for (i = 0; i < n; i++) {
		const unsigned char *p = (const unsigned char *)kv[i].v;
		int plain = 1;

		if (*kv[i].v == '\0')
			continue;
		/* <addr-spec> forms are written bare when harmless */
		for (; *p; p++)
			if (!is_token_char(*p) && *p != '<' && *p != '>' &&
			    *p != ':')
				plain = 0;
		buf_reset(&a);
		f.err |= buf_printf(&a, "%s=", kv[i].k);
		if (plain && strlen(kv[i].v) <= ANNOTATE_MAX_VALUE)
			f.err |= buf_adds(&a, kv[i].v);
		else
			f.err |= put_value(&a, kv[i].v, ANNOTATE_MAX_VALUE);
		if (i + 1 < last)
			f.err |= buf_addc(&a, ';');
		if (a.p != NULL)
			fold_atom(&f, a.p, a.len);
	}
	buf_free(&a);
	if (f.err || hdr_push(h, H_ORIG, &v) == -1) {
		buf_free(&v);
		return (-1);
	}
	return (0);
}

int
annotate_headers(const struct report *r, const struct annotate_opts *o,
    struct annotate_hdrs *h)
{
	struct buf v = BUF_INIT;
	size_t i, shown = 0, more = 0, max = o->max_rcpt ? o->max_rcpt : 20;
	const struct rcpt *rc;
	char num[32];
	struct kv kv[1];

	if (is_single(r)) {
		rc = r->nrcpt > 0 ? &r->rcpt[0] : NULL;
		if (annotate_class_value(&v, authserv(o), r, rc, o,
		    COL(H_CLASS)) == -1 || hdr_push(h, H_CLASS, &v) == -1)
			goto nomem;
	} else {
		for (i = 0; r != NULL && i < r->nrcpt; i++) {
			if (!annotate_wants(r, i))
				continue;
			if (shown == max) {
				more++;
				continue;
			}
			rc = &r->rcpt[i];
			if (annotate_class_value(&v, authserv(o), r, rc, o,
			    COL(H_CLASS)) == -1 ||
			    hdr_push(h, H_CLASS, &v) == -1)
				goto nomem;
			if (annotate_hint_value(&v, rc->addr, rc->hint,
			    COL(H_HINT)) == -1 || hdr_push(h, H_HINT, &v) == -1)
				goto nomem;
			shown++;
		}
		if (more > 0) {
			struct folder f;

			snprintf(num, sizeof(num), "%zu", more);
			kv[0].k = "truncated";
			kv[0].v = num;
			fold_init(&f, &v, COL(H_CLASS));
			fold_pairs(&f, authserv(o), kv, 1);
			if (f.err || hdr_push(h, H_CLASS, &v) == -1)
				goto nomem;
		}
	}
	if (o->orig != NULL && (shown > 0 || is_single(r)) &&
	    add_original(h, o->orig) == -1)
		goto nomem;
	return (0);
nomem:
	buf_free(&v);
	return (-1);
}

void
annotate_hdrs_free(struct annotate_hdrs *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->v[i].value);
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

/* ------------------------------------------------------------ log lines */

const char *
annotate_queueid(const char *qid, char *b, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return ("");
	for (; qid != NULL && *qid && i + 1 < n && i < 64; qid++)
		if (is_token_char((unsigned char)*qid) && *qid != '@')
			b[i++] = *qid;
	b[i] = '\0';
	if (i == 0)
		snprintf(b, n, "NOQUEUE");
	return (b);
}

/*
 * Append " key=value": quoted when the value has spaces, quotes, '=' or
 * backslashes; controls -> space; invalid UTF-8 -> '?'; capped.
 */
static int
log_kv(struct buf *b, const char *k, const char *v, size_t cap)
{
	const unsigned char *p;
	struct buf t = BUF_INIT;
	size_t n;
	int q = 0, r = 0;

	if (v == NULL || *v == '\0')
		return (0);
	for (p = (const unsigned char *)v; *p && t.len < cap; ) {
		if (*p < 0x20 || *p == 0x7f) {
			r |= buf_addc(&t, ' ');
			p++;
		} else if (*p < 0x80) {
			if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\')
				q = 1;
			if (*p == '"' || *p == '\\')
				r |= buf_addc(&t, '\\');
			r |= buf_addc(&t, (char)*p);
			p++;
		} else if ((n = utf8_seqlen(p)) == 0) {
			r |= buf_addc(&t, '?');
			p++;
		} else {
			r |= buf_add(&t, p, n);
			p += n;
		}
	}
	if (t.p != NULL && strchr(t.p, ' ') != NULL)
		q = 1;
	r |= buf_printf(b, " %s=%s%s%s", k, q ? "\"" : "",
	    t.p != NULL ? t.p : "", q ? "\"" : "");
	buf_free(&t);
	return (r);
}

int
annotate_log_kv(struct buf *b, const char *k, const char *v)
{
	return (log_kv(b, k, v, ANNOTATE_MAX_VALUE));
}

static int
log_one(struct buf *b, const char *qid, const struct report *r,
    const struct rcpt *rc, const struct annotate_opts *o)
{
	struct kv kv[16];
	size_t n, i;
	char num[32];
	int e = 0;

	n = rcpt_pairs(r, rc, o, kv);
	e |= buf_printf(b, "%s: bounce", qid);
	for (i = 0; i < n; i++)
		e |= log_kv(b, kv[i].k, kv[i].v, ANNOTATE_MAX_VALUE);
	if (o->orig != NULL) {
		e |= log_kv(b, "orig_msgid", o->orig->message_id,
		    ANNOTATE_MAX_VALUE);
		e |= log_kv(b, "sent", o->orig->sent, ANNOTATE_MAX_VALUE);
		if (o->orig->ttb >= 0) {
			snprintf(num, sizeof(num), "%ld", o->orig->ttb);
			e |= log_kv(b, "ttb", num, sizeof(num));
		}
	}
	if (rc != NULL)
		e |= log_kv(b, "hint", rc->hint, 1000);
	e |= buf_addc(b, '\n');
	return (e ? -1 : 0);
}

int
annotate_log(struct buf *b, const char *qid, const struct report *r,
    const struct annotate_opts *o)
{
	char q[80];
	size_t i, done = 0, more = 0;
	int e = 0;

	annotate_queueid(qid, q, sizeof(q));
	if (is_single(r))
		return (log_one(b, q, r, r->nrcpt > 0 ? &r->rcpt[0] : NULL, o));
	for (i = 0; r != NULL && i < r->nrcpt; i++) {
		if (!annotate_wants(r, i))
			continue;
		if (done == ANNOTATE_MAX_LOG) {
			more++;
			continue;
		}
		e |= log_one(b, q, r, &r->rcpt[i], o);
		done++;
	}
	if (more > 0)
		e |= buf_printf(b, "%s: bounce truncated=%zu\n", q, more);
	return (e ? -1 : 0);
}
