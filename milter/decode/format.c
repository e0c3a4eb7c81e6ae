/*
 * format.c - the bounce-format engine: detection and dispatch
 *
 * SYNOPSIS
 *	int	format_parse(const struct rules *rules, struct report *r);
 *
 * DESCRIPTION
 *	The families are loaded by format_table_load() (fmt_load.c).
 *
 *	format_parse() finds the parts of a walked message that matter, the
 *	report's human-readable text, the family, and runs the parsers in
 *	the order fmt.h gives.  For detection the headers the families test
 *	are indexed once per message (one list per name), and the Subject
 *	and From are scanned once for the literals of all their patterns,
 *	so a pattern that cannot match is not run.  A delivery-status part
 *	that names no recipient leaves the recipients to the notice's text
 *	(the fallback); a message that finds nothing, sent by a mail system
 *	to pass on a whole notice it encloses (message/rfc822), is read as
 *	that notice (one level deep).  It returns 1 for a report of some
 *	kind, 0 for anything else, -1 when a limit stopped the work.
 */
#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fmt.h"
#include "litscan.h"
#include "rulefile.h"

#define FMT_MAX_TEXT	(4u * 1024 * 1024)	/* text looked at per message */
#define FMT_LAST_RESORT	1000	/* families from this order on come after
				   the fallback (fmt_fallback.c) */

/* ---- matching helpers ------------------------------------------------ */

static const char *
ctx_header(struct fmt_ctx *c, const char *name, size_t *iter)
{
	return (mime_hdr_next(c->root, name, iter));
}

/*
 * For detection: which of the names the families test each header of the
 * bounce has (one pass over the headers, instead of one per pattern).
 */
static void
header_index(struct fmt_ctx *c)
{
	const struct format_table *t = c->rules != NULL ?
	    c->rules->formats : NULL;
	const struct mime_part *p = c->root;
	size_t k, j;
	int *last, id;

	if (t == NULL || p == NULL || p->nhdrs == 0 || p->nhdrs > INT_MAX ||
	    (c->hdr_id = arena_alloc_raw(c->a, p->nhdrs * sizeof(int))) ==
	    NULL ||
	    (c->hdr_len = arena_alloc_raw(c->a, p->nhdrs * sizeof(size_t))) ==
	    NULL ||
	    (c->hdr_next = arena_alloc_raw(c->a, p->nhdrs * sizeof(int))) ==
	    NULL ||
	    (c->hdr_first = arena_alloc_raw(c->a, (t->nhname + 1) *
	    sizeof(int))) == NULL ||
	    (last = arena_alloc_raw(c->a, (t->nhname + 1) * sizeof(int))) ==
	    NULL) {
		c->hdr_id = NULL;
		return;
	}
	for (j = 0; j < t->nhname; j++)
		c->hdr_first[j] = last[j] = -1;
	for (k = 0; k < p->nhdrs; k++) {
		c->hdr_id[k] = -1;
		c->hdr_len[k] = 0;
		c->hdr_next[k] = -1;
		if (p->hdrs[k].name == NULL || p->hdrs[k].value == NULL)
			continue;
		if ((id = fmt_hname_find(t, p->hdrs[k].name,
		    strlen(p->hdrs[k].name))) < 0)
			continue;
		c->hdr_id[k] = id;
		c->hdr_len[k] = strlen(p->hdrs[k].value);
		/* the headers of one name, in order */
		if (last[id] == -1)
			c->hdr_first[id] = (int)k;
		else
			c->hdr_next[last[id]] = (int)k;
		last[id] = (int)k;
	}
}

/* Which literals of the Subject and From patterns the two hold. */
static void
scan_subject_from(struct fmt_ctx *c)
{
	const struct format_table *t = c->rules != NULL ?
	    c->rules->formats : NULL;
	int k;

	for (k = 0; t != NULL && k < 2; k++) {
		if (t->scan[k] == NULL ||
		    (c->hit[k] = arena_alloc(c->a, t->ntag[k])) == NULL)
			continue;
		memset(c->hit[k], 0, t->ntag[k]);
		litscan_run(t->scan[k], k == 0 ? c->subject : c->from,
		    k == 0 ? c->subjectlen : c->fromlen, c->hit[k]);
	}
}

/*
 * Can l->v[i] match at all?  0 when it certainly cannot: none of its
 * literals is in the Subject or From it tests (scan_subject_from()), or
 * the bounce has no header of the name it tests (header_index()).  1:
 * maybe, only the pattern can tell.
 */
static inline int
header_maybe(const struct fmt_ctx *c, const struct fmt_rxv *l, size_t i)
{
	int w;

	if (l->hid == NULL)
		return (1);
	if (l->hid[i] == FMT_HID_SUBJECT || l->hid[i] == FMT_HID_FROM) {
		w = l->hid[i] == FMT_HID_SUBJECT ? 0 : 1;
		return (l->ltag[i] < 0 || c->hit[w] == NULL ||
		    c->hit[w][l->ltag[i]]);
	}
	return (c->hdr_id == NULL || c->hdr_first[l->hid[i]] >= 0);
}

/* Does any header NAME of the bounce match l->v[i]? */
static int
header_match(struct fmt_ctx *c, const struct fmt_rxv *l, size_t i)
{
	const char *v;
	size_t it = 0, k, m;
	int h;

	if (l->hid != NULL && (l->hid[i] == FMT_HID_SUBJECT ||
	    l->hid[i] == FMT_HID_FROM)) {
		int w = l->hid[i] == FMT_HID_SUBJECT ? 0 : 1;
		const char *s = w == 0 ? c->subject : c->from;
		size_t n = w == 0 ? c->subjectlen : c->fromlen;

		if (n == 0)
			n = strlen(s);
		if (l->ltag[i] >= 0 && c->hit[w] != NULL) {
			/* the scan has seen one of its literals, or none */
			if (!c->hit[w][l->ltag[i]])
				return (0);
			return (fmt_rx_match_raw(l->v[i], s, n, NULL));
		}
		return (fmt_rx_match(l->v[i], s, n, NULL));
	}
	if (l->hid != NULL && c->hdr_id != NULL) {
		/* the first 64 headers NAME, as below */
		for (h = c->hdr_first[l->hid[i]], m = 0; h >= 0 && m < 64;
		    h = c->hdr_next[h], m++)
			if (fmt_rx_match(l->v[i], c->root->hdrs[h].value,
			    c->hdr_len[h], NULL))
				return (1);
		return (0);
	}
	if (strcasecmp(l->arg[i], "Subject") == 0)
		return (fmt_rx_match(l->v[i], c->subject, strlen(c->subject),
		    NULL));
	if (strcasecmp(l->arg[i], "From") == 0)
		return (fmt_rx_match(l->v[i], c->from, strlen(c->from), NULL));
	for (k = 0; k < 64 && (v = ctx_header(c, l->arg[i], &it)) != NULL;
	    k++)
		if (fmt_rx_match(l->v[i], v, strlen(v), NULL))
			return (1);
	return (0);
}

/*
 * Is the bounce of family f?  Its header and body patterns must match
 * need times (or its hook's detect says so), and no veto pattern may.
 * The patterns are costly and most families are not the one: first count
 * the patterns that can match at all (header_maybe(), the body ones
 * always); when they cannot make the need, no pattern is run.
 */
static int
family_detect(struct fmt_ctx *c, const struct fmt_family *f)
{
	uint64_t may = 0;	/* header_maybe() of the first 64 */
	size_t i;
	int score = 0, left, can;

	if ((f->scope == FS_TEXT && c->dsn != NULL) ||
	    (f->scope == FS_DSN && c->dsn == NULL))
		return (0);
	left = (int)f->body.n;
	for (i = 0; i < f->header.n; i++)
		if (header_maybe(c, &f->header, i)) {
			left++;
			if (i < 64)
				may |= (uint64_t)1 << i;
		}
	can = f->header.n + f->body.n > 0 && left >= f->need;
	if (!can && (f->hook == NULL || f->hook->detect == NULL))
		return (0);
	for (i = 0; i < f->veto_header.n; i++)
		if (header_maybe(c, &f->veto_header, i) &&
		    header_match(c, &f->veto_header, i))
			return (0);
	for (i = 0; i < f->veto_body.n; i++)
		if (fmt_rx_match(f->veto_body.v[i], c->text, c->textlen, NULL))
			return (0);
	if (!can)
		goto hook;
	/* left: the patterns not tried yet that may match */
	left -= (int)f->body.n;
	for (i = 0; i < f->header.n && score < f->need; i++) {
		if (i < 64 ? !(may & (uint64_t)1 << i) :
		    !header_maybe(c, &f->header, i))
			continue;
		left--;
		if (header_match(c, &f->header, i))
			score++;
		else if (score + left + (int)f->body.n < f->need)
			goto hook;
	}
	/* the body patterns cost most: only when they can make the need */
	if (score + (int)f->body.n < f->need)
		goto hook;
	for (i = 0; i < f->body.n && score < f->need; i++)
		if (fmt_rx_match(f->body.v[i], c->text, c->textlen, NULL))
			score++;
		else if (score + (int)(f->body.n - i - 1) < f->need)
			break;
	if (score >= f->need)
		return (1);
hook:
	if (f->hook != NULL && f->hook->detect != NULL)
		return (f->hook->detect(c) == 1);
	return (0);
}

/* ---- the parts and the text ------------------------------------------ */

static int
is_dsn(const char *t)
{
	return (strcmp(t, "message/delivery-status") == 0 ||
	    strcmp(t, "message/global-delivery-status") == 0);
}

struct textbuf {
	char	*p;
	size_t	 len, cap;
	size_t	 need;		/* pass 0: what the text parts may take */
	int	 html;		/* text/html parts are wanted */
	int	 nplain;
};

static void
tb_add(struct fmt_ctx *c, struct textbuf *t, const char *s, size_t n)
{
	char *np;
	size_t cap;

	if (t->len + n + 2 > FMT_MAX_TEXT)
		n = t->len + 2 < FMT_MAX_TEXT ? FMT_MAX_TEXT - t->len - 2 : 0;
	if (n == 0)
		return;
	if (t->len + n + 2 > t->cap) {
		cap = t->cap ? t->cap : 4096;
		while (cap < t->len + n + 2)
			cap *= 2;
		if ((np = arena_alloc(c->a, cap)) == NULL) {
			c->limit = 1;
			return;
		}
		if (t->len)
			memcpy(np, t->p, t->len);
		t->p = np;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	if (t->p[t->len - 1] != '\n')
		t->p[t->len++] = '\n';
	t->p[t->len] = '\0';
}

/* HTML to text (fmt_html_text()), appended to t. */
static void
tb_add_html(struct fmt_ctx *c, struct textbuf *t, const char *s, size_t n)
{
	char *d;

	if ((d = arena_alloc_raw(c->a, n + 1)) == NULL) {
		c->limit = 1;
		return;
	}
	tb_add(c, t, d, fmt_html_text(d, s, n));
}

/* Walk p's tree in document order, not into embeddings (bounded). */
static void
walk(struct fmt_ctx *c, const struct mime_part *p, struct textbuf *t,
    int pass, int depth)
{
	const struct mime_part *q;
	size_t k = 0;

	if (p == NULL || depth > 64)
		return;
	if (mime_is_embedding(p->type)) {
		if (pass == 0 && c->orig == NULL)
			c->orig = p->child != NULL ? p->child : p;
		return;
	}
	if (is_dsn(p->type)) {
		if (pass == 0 && c->dsn == NULL)
			c->dsn = p;
		if (pass == 0 && c->ndsn < FMT_MAX_DSN)
			c->dsns[c->ndsn++] = p;
		return;
	}
	if (strcmp(p->type, "message/feedback-report") == 0) {
		if (pass == 0 && c->arf == NULL)
			c->arf = p;
		return;
	}
	if (p->child == NULL && strncmp(p->type, "text/", 5) == 0) {
		int html = strcmp(p->type, "text/html") == 0;

		if (pass == 0 && p->body != NULL)
			t->need += p->bodylen + 1;
		if (pass == 0 && !html)
			t->nplain++;
		else if (pass == 1 && !html && p->body != NULL)
			tb_add(c, t, p->body, p->bodylen);
		else if (pass == 1 && html && t->nplain == 0 && p->body != NULL)
			tb_add_html(c, t, p->body, p->bodylen);
		return;
	}
	for (q = p->child; q != NULL && k < 10000; q = q->next, k++)
		walk(c, q, t, pass, depth + 1);
}

static void
ctx_init(struct fmt_ctx *c, const struct rules *rules, struct report *r,
    const struct mime_part *root)
{
	struct textbuf t;
	char *s;

	memset(c, 0, sizeof(*c));
	memset(&t, 0, sizeof(t));
	c->rules = rules;
	c->r = r;
	c->a = r->a;
	c->root = root;
	walk(c, c->root, &t, 0, 0);
	/* one buffer for the whole text, not one per doubling */
	if (t.need > 0) {
		t.cap = t.need + 2 < FMT_MAX_TEXT ? t.need + 2 : FMT_MAX_TEXT;
		if ((t.p = arena_alloc_raw(c->a, t.cap)) == NULL)
			t.cap = 0;
		else
			t.p[0] = '\0';
	}
	walk(c, c->root, &t, 1, 0);
	/* PCRE2's JIT reads a little past a subject's end: defined bytes */
	if (t.p != NULL && t.cap > t.len)
		memset(t.p + t.len, 0, t.cap - t.len);
	c->text = t.len > 0 ? t.p : "";
	c->textlen = t.len;
	s = fmt_header_decoded(c, c->root, "Subject");
	c->subject = s != NULL ? fmt_oneline(c->a, s, strlen(s)) : "";
	if (c->subject == NULL)
		c->subject = "";
	s = fmt_header_decoded(c, c->root, "From");
	c->from = s != NULL ? s : "";
	c->subjectlen = strlen(c->subject);
	c->fromlen = strlen(c->from);
	header_index(c);
	scan_subject_from(c);
}

/* Headers of an inline original (text after the family's marker). */
static void
inline_original_summary(struct fmt_ctx *c)
{
	static const struct {
		const char	*name;
		size_t		 len, off;
	} map[] = {
		{ "message-id:", 11, offsetof(struct report, orig.message_id) },
		{ "from:", 5, offsetof(struct report, orig.from) },
		{ "to:", 3, offsetof(struct report, orig.to) },
		{ "subject:", 8, offsetof(struct report, orig.subject) },
	};
	struct report *r = c->r;
	const char *p, *end, *line, **slot;
	size_t len, i, k, nl = 0;
	int seen = 0;

	if (r->original_text == NULL || r->original != NULL)
		return;
	p = r->original_text;
	end = p + r->original_len;
	while (nl++ < 400 && fmt_next_line(&p, end, &line, &len)) {
		if (len == 0) {
			if (seen)
				break;
			continue;
		}
		seen = 1;
		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
			k = map[i].len;
			/* the first letter first: most lines are none */
			if (len <= k || (line[0] | 0x20) != map[i].name[0] ||
			    strncasecmp(line, map[i].name, k) != 0)
				continue;
			slot = (const char **)(void *)((char *)r + map[i].off);
			if (*slot != NULL && **slot != '\0')
				continue;
			while (k < len && isspace((unsigned char)line[k]))
				k++;
			*slot = fmt_oneline(c->a, line + k, len - k);
			if (*slot != NULL && strstr(*slot, "=?") != NULL)
				*slot = mime_decode_words(c->a, *slot);
		}
	}
}

/* ---- dispatch --------------------------------------------------------- */

/*
 * A delay warning written as text (fmt_delay_notice()): the family's
 * failed recipients without a status, and without a permanent one in
 * their diagnostic, are delayed.
 */
static void
text_delay(struct fmt_ctx *c)
{
	struct report *r = c->r;
	size_t i;
	int d = -1;

	if (c->dsn != NULL || r->kind == NULL || strcmp(r->kind, "dsn") != 0)
		return;
	for (i = 0; i < r->nrcpt; i++) {
		struct rcpt *rc = &r->rcpt[i];

		char st[16], rp[4];

		if ((rc->action != NULL && *rc->action != '\0' &&
		    strcmp(rc->action, "failed") != 0) || rc->status[0] != '\0')
			continue;
		/* a permanent status or reply in the diagnostic decides */
		if (rc->diag != NULL && ((fmt_status_find(rc->diag, st) &&
		    st[0] == '5') || fmt_reply_find(rc->diag, 5, rp)))
			continue;
		if (d == -1)
			d = fmt_delay_notice(c);
		if (d == 0)
			return;
		rc->action = "delayed";
	}
}

/* The next family after *fi that detects the message, or NULL. */
static const struct fmt_family *
next_family(struct fmt_ctx *c, const struct format_table *t, size_t *fi)
{
	while (t != NULL && ++*fi < t->n)
		if (family_detect(c, t->fam[*fi]))
			return (t->fam[*fi]);
	return (NULL);
}

/*
 * Did a mail system (not a person) send this message to pass on the
 * delivery notice it encloses whole?  The sender is automatic (a null
 * Return-Path, Auto-Submitted, a daemon, postmaster, list owner or
 * no-reply address), the Subject is no reply or forward, and the
 * enclosed message is a report or comes from a mailer daemon.
 */
static int
forwarded_notice(struct fmt_ctx *c)
{
	static const char *const who[] = { "mailer-daemon", "postmaster",
	    "-owner", "owner-", "-bounces", "-request", "noreply",
	    "no-reply", NULL };
	const char *rp = fmt_header(c->root, "Return-Path");
	const char *as = fmt_header(c->root, "Auto-Submitted");
	const char *ct = fmt_header(c->orig, "Content-Type");
	const char *ef = fmt_header(c->orig, "From");
	const char *s = c->subject;
	int i, sys;

	while (*s == ' ')
		s++;
	for (i = 0; isalpha((unsigned char)s[i]) && i < 4; i++)
		;
	if (i >= 2 && i <= 3 && s[i] == ':')	/* Re: Fw: Fwd: AW: WG: */
		return (0);
	if (!((ct != NULL && strcasestr(ct, "multipart/report") != NULL) ||
	    (ef != NULL && strcasestr(ef, "mailer-daemon") != NULL)))
		return (0);
	sys = (rp != NULL && strstr(rp, "<>") != NULL) ||
	    (as != NULL && strncasecmp(as, "auto-", 5) == 0);
	for (i = 0; !sys && who[i] != NULL; i++)
		sys = strcasestr(c->from, who[i]) != NULL;
	return (sys);
}

static int	parse_root(const struct rules *, struct report *,
		    const struct mime_part *, int);

int
format_parse(const struct rules *rules, struct report *r)
{
	if (r == NULL || r->mime.root == NULL)
		return (0);
	return (parse_root(rules, r, r->mime.root, 0));
}

/* format_parse() of root; depth 1 for a notice enclosed in another. */
static int
parse_root(const struct rules *rules, struct report *r,
    const struct mime_part *root, int depth)
{
	struct fmt_ctx c;
	const struct format_table *t;
	const struct fmt_family *f = NULL;
	size_t i, fi = 0;
	int n = 0, tried = 0;

	ctx_init(&c, rules, r, root);
	t = rules != NULL ? rules->formats : NULL;
	for (fi = 0; t != NULL && fi < t->n; fi++)
		if (family_detect(&c, t->fam[fi])) {
			f = t->fam[fi];
			break;
		}
	c.fam = f;

	if (c.arf != NULL) {
		n = fmt_arf_parse(&c);
		if (n > 0) {
			r->kind = "arf";
			if (r->format == NULL || *r->format == '\0')
				r->format = "arf";
		}
	} else if (fmt_arf_jmrp(&c) > 0 || fmt_arf_unsubscribe(&c) > 0) {
		n = 1;
		r->kind = "arf";
		r->format = "arf";
	} else if (c.dsn != NULL) {
		n = fmt_rfc3464_parse(&c);
		if (n > 0)
			n += fmt_rfc3464_epilogue(&c);
		if (n > 0) {
			r->kind = "dsn";
			r->format = f != NULL ? f->id : "rfc3464";
			if (f != NULL)
				(void)fmt_text_merge(&c);
		}
	}
	if (n == 0 && c.arf == NULL && c.dsn == NULL) {
		/* DSN fields written into the text (no MIME structure) */
		n = fmt_rfc3464_text(&c);
		if (n > 0) {
			r->kind = "dsn";
			r->format = f != NULL ? f->id : "rfc3464";
			if (f != NULL)
				(void)fmt_text_merge(&c);
		}
	}
	/* the family's text; when it finds nothing, the next family's */
	for (; n == 0 && f != NULL && !c.limit; f = next_family(&c, t, &fi)) {
		c.fam = f;
		/* before a last resort: the fallback, which knows more */
		if (f->order >= FMT_LAST_RESORT && !tried && c.dsn == NULL &&
		    c.arf == NULL && (r->kind == NULL || *r->kind == '\0')) {
			tried = 1;
			if ((n = fmt_fallback_parse(&c)) > 0) {
				c.fam = f = NULL;
				r->format = "fallback";
				break;
			}
			n = 0;
		}
		if (f->hook != NULL && f->hook->parse != NULL)
			n = f->hook->parse(&c);
		else
			n = fmt_text_parse(&c);
		if (n > 0) {
			if (r->kind == NULL || *r->kind == '\0')
				r->kind = f->kind;
			r->format = f->id;
			text_delay(&c);
			break;
		}
	}
	if (n == 0)
		c.fam = f = NULL;
	if (n == 0 && c.dsn == NULL && c.arf == NULL &&
	    fmt_rfc3834_detect(&c)) {
		n = fmt_rfc3834_parse(&c);
		if (n > 0) {
			r->kind = "autoreply";
			r->format = "rfc3834";
		}
	}
	/*
	 * A free-text notice no family knows (fmt_fallback.c); also the
	 * notice of a delivery-status part that named no recipient.
	 */
	if (n == 0 && !tried && c.arf == NULL && !c.limit &&
	    (r->kind == NULL || *r->kind == '\0') &&
	    (n = fmt_fallback_parse(&c)) > 0)
		r->format = "fallback";
	if (n < 0)
		n = 0;
	/* a whole notice a mail system forwarded: read the enclosed one */
	if (n == 0 && depth == 0 && !c.limit && c.orig != NULL &&
	    c.arf == NULL && forwarded_notice(&c))
		return (parse_root(rules, r, c.orig, 1));
	/* a challenge-response request holds the message, and a person's
	 * reply that quotes a notice (fmt_reply.c) is none: no bounce */
	if (n > 0 && r->kind != NULL && strcmp(r->kind, "dsn") == 0 &&
	    (fmt_challenge(&c) || fmt_person_reply(&c))) {
		r->nrcpt = 0;
		r->kind = r->format = r->reporting_mta = "";
		return (0);
	}
	if (n == 0 && !c.limit && fmt_fallback_headers(&c)) {
		r->kind = "dsn";
		r->format = "fallback";
		r->bounce = 1;
		return (1);
	}
	if (n > 0 && f != NULL && f->hook != NULL && f->hook->fixup != NULL)
		f->hook->fixup(&c);
	if (n > 0) {
		if (r->original == NULL && c.orig != NULL)
			r->original = c.orig;
		inline_original_summary(&c);
		for (i = 0; i < r->nrcpt; i++)
			fmt_rcpt_finish(&c, &r->rcpt[i]);
		fmt_family_refine(&c);
		r->bounce = 1;
	}
	if (n > 0)
		return (1);	/* a limit may have cut it: r->error says */
	if (c.limit || arena_exhausted(r->a))
		return (-1);
	return (0);
}
