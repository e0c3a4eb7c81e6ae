/*
 * fmt_text.c - the generic text engine for non-standard bounces; see fmt.h
 *
 * SYNOPSIS
 *	int	fmt_text_parse(struct fmt_ctx *c);
 *	int	fmt_text_merge(struct fmt_ctx *c);
 *	void	fmt_family_refine(struct fmt_ctx *c);
 *
 * DESCRIPTION
 *	Both read c->text line by line with the patterns of the family
 *	c->fam (rules/formats/NAME.fmt): the error section starts at a
 *	`begin` line (or at once), ends at an `end` line; the inline
 *	original starts at an `original` line.  In the section a `rcpt`
 *	line starts a recipient (its diag group, if any, starts the
 *	diagnostic), `diag` lines add to the current recipient, `shared`
 *	lines to a diagnostic given to every recipient that has none, and
 *	other lines continue the diagnostic as `cont` says.  When no
 *	recipient line is found the recipients come from `rcpt-header` or
 *	`rcpt-original`.  A recipient listed twice is kept once.
 *
 *	fmt_text_parse() appends the recipients to the report and sets
 *	r->original_text.  fmt_text_merge() fills the diagnostics of
 *	recipients already read from a delivery-status part (by address,
 *	or by position when the counts agree) where they have none.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "litscan.h"

#define TEXT_MAX_LINES	100000
#define TEXT_MAX_DIAG	8192	/* bytes of diagnostic kept per recipient */
#define TEXT_MAX_LINE	8192	/* bytes of a line the patterns look at */
#define TEXT_MAX_ADDR	320	/* longer "addresses" are not recipients */

/*
 * A diagnostic built line by line grows in place in its own buffer (the
 * room doubled when short) instead of a new copy of the whole text per
 * line (quadratic in time and in arena).  Only the owner's buffer grows
 * in place: a diagnostic that points elsewhere (the shared text, another
 * record's) is copied by fmt_append() first.
 */
struct dstr {
	char		*buf;
	size_t		 len, cap;
};

struct trec {
	char		*addr;
	char		*diag;
	struct dstr	 own;		/* diag's buffer, when diag is it */
	char		 status[16];
	char		 reply[4];
	const char	*rhost;
	const char	*cmd;
};

struct tstate {
	struct fmt_ctx	*c;
	struct trec	*v;
	size_t		 n, cap;
	char		*shared;
	char		*transcript;	/* distinct remote replies, joined */
	struct dstr	 shared_own, transcript_own;
	const char	*orig;		/* inline original, or NULL */
	size_t		 origlen;
	int		 started;	/* the error section was found */
};

static struct trec *
trec_new(struct tstate *t)
{
	struct trec *nv;
	size_t cap;

	if (t->n >= REPORT_MAX_RCPT) {
		t->c->r->error = "too many recipients; the rest were not read";
		t->c->limit = 1;
		return (NULL);
	}
	if (t->n == t->cap) {
		cap = t->cap ? t->cap * 2 : 8;
		if ((nv = arena_alloc(t->c->a, cap * sizeof(*nv))) == NULL) {
			t->c->limit = 1;
			return (NULL);
		}
		if (t->n)
			memcpy(nv, t->v, t->n * sizeof(*nv));
		t->v = nv;
		t->cap = cap;
	}
	memset(&t->v[t->n], 0, sizeof(t->v[0]));
	return (&t->v[t->n++]);
}

/* prev + " " + s[0..n), collapsed (as fmt_append()); o owns the buffer. */
static char *
add_diag(struct tstate *t, struct dstr *o, char *prev, const char *s,
    size_t n)
{
	char *one, *nb;
	size_t k, cap;

	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	if (n == 0)
		return (prev);
	if (prev == NULL || prev != o->buf) {
		if (prev != NULL && strlen(prev) > TEXT_MAX_DIAG)
			return (prev);
		if ((nb = fmt_append(t->c->a, prev, s, n)) == prev)
			return (prev);		/* out of memory */
		o->buf = nb;
		o->len = strlen(nb);
		o->cap = o->len + 1;
		return (nb);
	}
	/* prev is o's buffer, collapsed already: only s to collapse */
	if (o->len > TEXT_MAX_DIAG ||
	    (one = fmt_oneline(t->c->a, s, n)) == NULL)
		return (prev);
	if ((k = strlen(one)) == 0)
		return (prev);
	if (o->len + 1 + k + 1 > o->cap) {
		cap = 2 * (o->len + 1 + k + 1);
		if (cap < 128)
			cap = 128;
		/* zeroed: PCRE2's JIT may read past the string's end */
		if ((nb = arena_alloc(t->c->a, cap)) == NULL)
			return (prev);
		memcpy(nb, o->buf, o->len);
		o->buf = nb;
		o->cap = cap;
	}
	if (o->len > 0)
		o->buf[o->len++] = ' ';
	memcpy(o->buf + o->len, one, k + 1);
	o->len += k;
	return (o->buf);
}

static void
set_code(char *dst, size_t cap, const char *s, size_t n)
{
	if (s == NULL || n == 0 || n >= cap)
		return;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void
take_groups(struct tstate *t, struct trec *x, const struct fmt_match *m)
{
	char st[16];
	char *tmp;

	if (m->s[FG_DIAG] != NULL)
		x->diag = add_diag(t, &x->own, x->diag, m->s[FG_DIAG],
		    m->n[FG_DIAG]);
	if (m->s[FG_STATUS] != NULL && x->status[0] == '\0' &&
	    (tmp = arena_strndup(t->c->a, m->s[FG_STATUS],
	    m->n[FG_STATUS])) != NULL && fmt_status_find(tmp, st))
		memcpy(x->status, st, sizeof(st));
	if (m->s[FG_REPLY] != NULL && x->reply[0] == '\0')
		set_code(x->reply, sizeof(x->reply), m->s[FG_REPLY],
		    m->n[FG_REPLY]);
	if (m->s[FG_RHOST] != NULL && x->rhost == NULL)
		x->rhost = arena_strndup(t->c->a, m->s[FG_RHOST],
		    m->n[FG_RHOST]);
	if (m->s[FG_CMD] != NULL && x->cmd == NULL) {
		tmp = arena_strndup(t->c->a, m->s[FG_CMD], m->n[FG_CMD]);
		if (tmp != NULL) {
			char *q;

			for (q = tmp; *q; q++)
				*q = (char)toupper((unsigned char)*q);
			if (strcmp(tmp, "EHLO") == 0)
				tmp = "HELO";
			x->cmd = tmp;
		}
	}
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return (0);
	return (1);
}

static void
add_transcript(struct tstate *t, const char *s, size_t n)
{
	char *one = fmt_oneline(t->c->a, s, n);

	if (one == NULL || *one == '\0')
		return;
	if (t->transcript != NULL && strstr(t->transcript, one) != NULL)
		return;
	t->transcript = add_diag(t, &t->transcript_own, t->transcript, one,
	    strlen(one));
}

/* A diagnostic that says nothing: empty, or only a number (X-Unix; 77). */
static int
empty_diag(const char *d)
{
	if (d == NULL)
		return (1);
	while (isspace((unsigned char)*d) || isdigit((unsigned char)*d))
		d++;
	return (*d == '\0');
}

/*
 * A list of line patterns with, for each of their literals (litscan.h),
 * where in the text it occurs next: a pattern is tried on a line only
 * when one of its literals lies inside the line.  A literal's search
 * starts again only once the line passed its last occurrence, so each
 * costs about one pass over the text instead of one search per line.
 */
struct tlits {
	const struct fmt_rxv *l;
	size_t		*next;		/* per pattern, one slot a literal:
					   offset + 1 of its next occurrence,
					   0 not known; then one for the
					   earliest of them (tl_slots()) */
	size_t		 low;		/* not 0: no pattern of the list has
					   a literal before offset low - 1 */
};

/* The slots of a list: each pattern's literals and one more (zeroed) */
static size_t
tl_slots(const struct fmt_rxv *l)
{
	const struct rxlit *lits;
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += ((lits = fmt_rx_lits(l->v[i])) != NULL ? lits->n : 0) + 1;
	return (n);
}

enum { TL_ORIG, TL_BEGIN, TL_END, TL_SKIP, TL_RCPT, TL_TRANS, TL_PRE,
	TL_DIAG, TL_SHARED, TL_N };

/* tl for the list l, its slots taken from *slots (NULL: none). */
static void
tl_init(struct tlits *tl, const struct fmt_rxv *l, size_t **slots,
    size_t nslots)
{
	tl->l = l;
	tl->low = 0;
	tl->next = l->n == 0 || *slots == NULL ? NULL : *slots;
	if (tl->next != NULL)
		*slots += nslots;
}

/*
 * Whether the pattern with literals lits allow a match in line[0..len);
 * nx: its slots.  The slot past its literals' keeps the earliest of
 * their occurrences (offset + 1), which rules out the lines before it
 * at once.
 */
static int
tl_maybe(struct tstate *t, const struct rxlit *lits, size_t *nx,
    const char *line, size_t len)
{
	size_t tlen = t->c->textlen, ls = (size_t)(line - t->c->text), j, pos;
	size_t low = tlen + 1;
	int ok = 0;

	if (lits == NULL || lits->n == 0)
		return (1);
	if (nx[lits->n] != 0 && nx[lits->n] - 1 >= ls + len)
		return (0);	/* none before the line's end */
	for (j = 0; j < lits->n; j++) {
		if (nx[j] == 0 || nx[j] - 1 < ls) {
			pos = lit_pos_ci(line, tlen - ls, lits->s[j],
			    lits->len[j], lits->anchor[j]);
			nx[j] = pos == LIT_NONE ? tlen + 1 : ls + pos + 1;
		}
		if (nx[j] - 1 + lits->len[j] <= ls + len)
			ok = 1;
		if (nx[j] < low)
			low = nx[j];
	}
	nx[lits->n] = low;
	return (ok);
}

/* fmt_rxv_any() for a line of the text, with the prefilter above. */
static int
tl_try(struct tstate *t, struct tlits *tl, const char *line, size_t len,
    struct fmt_match *m)
{
	const struct rxlit *lits;
	size_t i, k, low = (size_t)-1, *nx;

	if (tl->next == NULL)
		return (fmt_rxv_any(tl->l, line, len, m, NULL));
	for (i = 0, nx = tl->next; i < tl->l->n; i++, nx += k + 1) {
		lits = fmt_rx_lits(tl->l->v[i]);
		k = lits != NULL ? lits->n : 0;
		if (tl_maybe(t, lits, nx, line, len) &&
		    fmt_rx_match_raw(tl->l->v[i], line, len, m))
			return (1);
		if (nx[k] < low)
			low = nx[k];
	}
	tl->low = low;
	return (0);
}

/*
 * tl_try() after the tests that settle most lines at once, in line: an
 * empty list, or one whose earliest literal (of all its patterns) lies
 * past the line (the lines come in order, and the positions only grow;
 * a pattern without literals keeps low 0: no shortcut).
 */
static inline int
tl_any(struct tstate *t, struct tlits *tl, const char *line, size_t len,
    struct fmt_match *m)
{
	if (tl->l->n == 0 || (tl->low != 0 &&
	    tl->low - 1 >= (size_t)(line - t->c->text) + len))
		return (0);
	return (tl_try(t, tl, line, len, m));
}

/* Scan the text; fills t. */
static void
scan(struct tstate *t)
{
	const struct fmt_family *f = t->c->fam;
	const char *p = t->c->text, *end = p + t->c->textlen, *line;
	struct trec *cur = NULL;
	struct fmt_match m;
	char *pending = NULL;
	size_t len, nl = 0;
	int started = f->begin.n == 0, ended = 0, open = 0, gotdiag = 0;
	struct tlits tl[TL_N];
	const struct fmt_rxv *lists[TL_N] = { &f->original, &f->begin,
	    &f->end, &f->skip, &f->rcpt, &f->transcript, &f->pre, &f->diag,
	    &f->shared };
	size_t *slots, nslots = 0, ns[TL_N], i;

	/* one block of slots for all the lists */
	for (i = 0; i < TL_N; i++)
		nslots += (ns[i] = tl_slots(lists[i]));
	slots = nslots == 0 ? NULL :
	    arena_alloc(t->c->a, nslots * sizeof(size_t));
	for (i = 0; i < TL_N; i++)
		tl_init(&tl[i], lists[i], &slots, ns[i]);

	while (nl++ < TEXT_MAX_LINES && fmt_next_line(&p, end, &line, &len)) {
		if (len > TEXT_MAX_LINE)
			len = TEXT_MAX_LINE;
		if (f->original.n > 0 &&
		    tl_any(t, &tl[TL_ORIG], line, len, NULL)) {
			t->orig = p;
			t->origlen = (size_t)(end - p);
			break;
		}
		if (ended)
			continue;
		if (!started) {
			if (!tl_any(t, &tl[TL_BEGIN], line, len, NULL))
				continue;
			started = 1;
		}
		t->started = 1;
		if (f->end.n > 0 && tl_any(t, &tl[TL_END], line, len, NULL)) {
			ended = 1;
			if (f->original.n == 0)
				break;
			continue;
		}
		if (f->skip.n > 0 && tl_any(t, &tl[TL_SKIP], line, len, NULL))
			continue;
		if (tl_any(t, &tl[TL_RCPT], line, len, &m) &&
		    m.s[FG_ADDR] != NULL && m.n[FG_ADDR] <= TEXT_MAX_ADDR) {
			if ((cur = trec_new(t)) == NULL)
				return;
			cur->addr = fmt_addr(t->c->a, m.s[FG_ADDR],
			    m.n[FG_ADDR]);
			take_groups(t, cur, &m);
			if (pending != NULL) {
				cur->diag = add_diag(t, &cur->own, cur->diag,
				    pending, strlen(pending));
				pending = NULL;
			}
			open = 1;
			gotdiag = cur->diag != NULL;
			continue;
		}
		if (f->transcript.n > 0 &&
		    tl_any(t, &tl[TL_TRANS], line, len, &m)) {
			if (m.s[FG_DIAG] == NULL) {
				m.s[FG_DIAG] = line;
				m.n[FG_DIAG] = len;
			}
			add_transcript(t, m.s[FG_DIAG], m.n[FG_DIAG]);
			continue;
		}
		if (f->pre.n > 0 && tl_any(t, &tl[TL_PRE], line, len, &m)) {
			if (m.s[FG_DIAG] == NULL) {
				m.s[FG_DIAG] = line;
				m.n[FG_DIAG] = len;
			}
			pending = fmt_oneline(t->c->a, m.s[FG_DIAG],
			    m.n[FG_DIAG]);
			open = 0;
			continue;
		}
		if (tl_any(t, &tl[TL_DIAG], line, len, &m)) {
			if (m.s[FG_DIAG] == NULL) {
				m.s[FG_DIAG] = line;
				m.n[FG_DIAG] = len;
			}
			if (cur != NULL) {
				take_groups(t, cur, &m);
				open = 1;
				gotdiag = 1;
			} else
				t->shared = add_diag(t, &t->shared_own,
				    t->shared, m.s[FG_DIAG], m.n[FG_DIAG]);
			continue;
		}
		if ((cur == NULL || !open) &&
		    tl_any(t, &tl[TL_SHARED], line, len, &m)) {
			if (m.s[FG_DIAG] != NULL)
				t->shared = add_diag(t, &t->shared_own,
				    t->shared, m.s[FG_DIAG], m.n[FG_DIAG]);
			else
				t->shared = add_diag(t, &t->shared_own,
				    t->shared, line, len);
			continue;
		}
		if (cur == NULL || !open)
			continue;
		switch (f->cont) {
		case FC_NONE:
			break;
		case FC_INDENT:
			if (blank(line, len))
				break;
			if (isspace((unsigned char)line[0])) {
				cur->diag = add_diag(t, &cur->own,
				    cur->diag, line, len);
				gotdiag = 1;
			} else
				open = 0;
			break;
		case FC_PARA:
			if (blank(line, len)) {
				if (gotdiag)
					open = 0;
				break;
			}
			cur->diag = add_diag(t, &cur->own, cur->diag,
			    line, len);
			gotdiag = 1;
			break;
		case FC_ALL:
			if (!blank(line, len)) {
				cur->diag = add_diag(t, &cur->own,
				    cur->diag, line, len);
				gotdiag = 1;
			}
			break;
		}
	}
}

/* Recipients from a comma-separated header value. */
static void
from_header(struct tstate *t, const char *v)
{
	const char *p = v, *q;
	struct trec *x;
	size_t k = 0;

	while (p != NULL && *p != '\0' && k++ < 1000) {
		q = strchr(p, ',');
		if (q == NULL)
			q = p + strlen(p);
		if (memchr(p, '@', (size_t)(q - p)) != NULL) {
			if ((x = trec_new(t)) == NULL)
				return;
			x->addr = fmt_addr(t->c->a, p, (size_t)(q - p));
		}
		p = *q != '\0' ? q + 1 : q;
	}
}

/* Header NAME of the inline original text. */
static const char *
inline_header(struct tstate *t, const char *name)
{
	const char *p = t->orig, *end, *line;
	size_t len, k = strlen(name), nl = 0;
	int seen = 0;

	if (p == NULL)
		return (NULL);
	end = p + t->origlen;
	while (nl++ < 400 && fmt_next_line(&p, end, &line, &len)) {
		if (len == 0) {
			if (seen)
				break;
			continue;
		}
		seen = 1;
		if (len > k && line[k] == ':' &&
		    strncasecmp(line, name, k) == 0)
			return (arena_strndup(t->c->a, line + k + 1,
			    len - k - 1));
	}
	return (NULL);
}

/*
 * Is the enclosed message itself a delivery notice (a report, or from a
 * mailer daemon or postmaster)?  Then it was forwarded whole: it is no
 * returned original, and its To is no failed recipient.
 */
static int
enclosed_notice(struct fmt_ctx *c)
{
	const char *ct = fmt_header(c->orig, "Content-Type");
	const char *fr = fmt_header(c->orig, "From");

	return ((ct != NULL && strcasestr(ct, "multipart/report") != NULL) ||
	    (fr != NULL && (strcasestr(fr, "mailer-daemon") != NULL ||
	    strcasestr(fr, "postmaster") != NULL)));
}

static void
fallback_rcpts(struct tstate *t)
{
	const struct fmt_family *f = t->c->fam;
	const char *v;

	if (t->n > 0 || !t->started)
		return;
	if (f->rcpt_header != NULL &&
	    (v = fmt_header(t->c->root, f->rcpt_header)) != NULL)
		from_header(t, v);
	if (t->n == 0 && f->rcpt_original != NULL) {
		v = fmt_header(t->c->orig, f->rcpt_original);
		if (v == NULL)
			v = inline_header(t, f->rcpt_original);
		if (v != NULL && !enclosed_notice(t->c))
			from_header(t, v);
	}
}

/*
 * Is d the first line of a multi-line reply ("550-5.7.1 ...", cut there
 * by Sendmail's Diagnostic-Code) that the transcript's replies x give
 * whole?  x starts with d's own words.
 */
static int
cut_reply(const char *d, const char *x)
{
	size_t n;

	if (d == NULL || x == NULL || strlen(d) < 8 ||
	    !isdigit((unsigned char)d[0]) || !isdigit((unsigned char)d[1]) ||
	    !isdigit((unsigned char)d[2]) || d[3] != '-')
		return (0);
	n = strlen(d);
	return (strncmp(d, x, n) == 0 && x[n] == ' ');
}

/* Family patterns applied to one finished record. */
static void
refine(struct tstate *t, struct trec *x)
{
	const struct fmt_family *f = t->c->fam;
	struct fmt_match m;
	size_t n;

	if (empty_diag(x->diag) && t->shared != NULL)
		x->diag = t->shared;
	if (t->transcript != NULL && (x->diag == NULL ||
	    strlen(t->transcript) > strlen(x->diag)))
		x->diag = t->transcript;
	if (x->diag == NULL)
		return;
	n = strlen(x->diag);
	if (fmt_rxv_any(&f->status, x->diag, n, &m, NULL))
		take_groups(t, x, &m);
	if (fmt_rxv_any(&f->reply, x->diag, n, &m, NULL))
		take_groups(t, x, &m);
	if (fmt_rxv_any(&f->rhost, x->diag, n, &m, NULL))
		take_groups(t, x, &m);
	if (fmt_rxv_any(&f->command, x->diag, n, &m, NULL))
		take_groups(t, x, &m);
}

/* Records ordered by address (case ignored), then by position. */
static int
byaddr(const void *a, const void *b)
{
	const struct trec *x = *(const struct trec *const *)a;
	const struct trec *y = *(const struct trec *const *)b;
	int c = strcasecmp(x->addr != NULL ? x->addr : "",
	    y->addr != NULL ? y->addr : "");

	if (c != 0)
		return (c);
	return (x < y ? -1 : x > y);
}

/* t's records sorted by address, in the arena (NULL when out of memory). */
static struct trec **
sorted(struct tstate *t)
{
	struct trec **v;
	size_t i;

	if (t->n == 0 || (v = arena_alloc(t->c->a, t->n * sizeof(*v))) == NULL)
		return (NULL);
	for (i = 0; i < t->n; i++)
		v[i] = &t->v[i];
	qsort(v, t->n, sizeof(*v), byaddr);
	return (v);
}

/*
 * Drop a repeated address: keep the first, give it a diagnostic it
 * lacks.  O(n log n), for bounces with thousands of recipients.
 */
static void
dedupe(struct tstate *t)
{
	struct trec **v;
	size_t i, o;

	if (t->n < 2 || (v = sorted(t)) == NULL)
		return;
	for (i = 1; i < t->n; i++) {
		if (v[i]->addr == NULL || v[i - 1]->addr == NULL ||
		    strcasecmp(v[i]->addr, v[i - 1]->addr) != 0)
			continue;
		/* v[i] repeats an earlier one: merge into the first */
		if (v[i - 1]->diag == NULL)
			v[i - 1]->diag = v[i]->diag;
		v[i]->addr = NULL;
		v[i] = v[i - 1];	/* the first stays the reference */
	}
	for (i = 0, o = 0; i < t->n; i++)
		if (t->v[i].addr != NULL)
			t->v[o++] = t->v[i];
	t->n = o;
}

/* The record for addr, by binary search in v (sorted), or NULL. */
static struct trec *
lookup(struct trec **v, size_t n, const char *addr)
{
	size_t lo = 0, hi = n, mid;
	int c;

	if (v == NULL || addr == NULL)
		return (NULL);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcasecmp(addr, v[mid]->addr != NULL ? v[mid]->addr : "");
		if (c == 0) {
			while (mid > 0 && v[mid - 1]->addr != NULL &&
			    strcasecmp(addr, v[mid - 1]->addr) == 0)
				mid--;
			return (v[mid]);
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (NULL);
}

static const char *
hint_for(const struct fmt_family *f, const char *diag)
{
	size_t which;

	if (diag == NULL || f->hint.n == 0)
		return (NULL);
	if (fmt_rxv_any(&f->hint, diag, strlen(diag), NULL, &which))
		return (f->hint.arg[which]);
	return (NULL);
}

static void
to_rcpt(struct tstate *t, const struct trec *x, struct rcpt *rc)
{
	const struct fmt_family *f = t->c->fam;
	const char *h;
	char st[16];

	rc->addr = x->addr;
	if (rc->status[0] == '\0' || (x->status[0] != '\0' &&
	    fmt_status_better(rc->status, x->status)))
		memcpy(rc->status, x->status, sizeof(rc->status));
	if (rc->reply[0] == '\0')
		memcpy(rc->reply, x->reply, sizeof(rc->reply));
	if (empty_diag(rc->diag) || (t->transcript != NULL &&
	    x->diag == t->transcript && strlen(x->diag) > strlen(rc->diag) &&
	    (!fmt_status_find(rc->diag, st) || cut_reply(rc->diag, x->diag))))
		rc->diag = x->diag;
	if (rc->remote_mta == NULL || *rc->remote_mta == '\0')
		rc->remote_mta = x->rhost;
	if (rc->command == NULL || *rc->command == '\0')
		rc->command = x->cmd;
	if ((rc->action == NULL || *rc->action == '\0') && f->action != NULL)
		rc->action = f->action;
	if (rc->reason_hint == NULL && (h = hint_for(f, rc->diag)) != NULL)
		rc->reason_hint = h;
	/* the notice's own wording before the list speaks for all */
	if (rc->reason_hint == NULL && t->shared != NULL &&
	    (h = hint_for(f, t->shared)) != NULL)
		rc->reason_hint = h;
	if (f->delayed.n > 0 && ((rc->diag != NULL && fmt_rxv_any(&f->delayed,
	    rc->diag, strlen(rc->diag), NULL, NULL)) || fmt_rxv_any(&f->delayed,
	    t->c->subject, strlen(t->c->subject), NULL, NULL)))
		rc->action = "delayed";
}

static int
run(struct fmt_ctx *c, struct tstate *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->c = c;
	if (c->fam == NULL || c->text == NULL)
		return (0);
	scan(t);
	fallback_rcpts(t);
	dedupe(t);
	for (i = 0; i < t->n; i++)
		refine(t, &t->v[i]);
	return ((int)t->n);
}

int
fmt_text_parse(struct fmt_ctx *c)
{
	struct tstate t;
	struct rcpt *rc;
	size_t i;

	if (run(c, &t) <= 0)
		return (0);
	for (i = 0; i < t.n; i++) {
		if (t.v[i].addr == NULL || *t.v[i].addr == '\0')
			continue;
		if ((rc = fmt_rcpt_add(c)) == NULL)
			break;
		to_rcpt(&t, &t.v[i], rc);
	}
	if (t.orig != NULL && c->r->original_text == NULL) {
		c->r->original_text = t.orig;
		c->r->original_len = t.origlen;
	}
	return ((int)c->r->nrcpt);
}

/* The family's status/reply/rhost/command patterns on a DSN recipient. */
static void
refine_rcpt(struct fmt_ctx *c, struct rcpt *rc)
{
	struct tstate t;
	struct trec x;

	if (rc->diag == NULL || *rc->diag == '\0')
		return;
	memset(&t, 0, sizeof(t));
	t.c = c;
	memset(&x, 0, sizeof(x));
	x.diag = (char *)rc->diag;
	refine(&t, &x);
	if (x.status[0] != '\0')
		memcpy(rc->status, x.status, sizeof(rc->status));
	if (x.reply[0] != '\0')
		memcpy(rc->reply, x.reply, sizeof(rc->reply));
	if ((rc->remote_mta == NULL || *rc->remote_mta == '\0') && x.rhost)
		rc->remote_mta = x.rhost;
	if ((rc->command == NULL || *rc->command == '\0') && x.cmd)
		rc->command = x.cmd;
}

int
fmt_text_merge(struct fmt_ctx *c)
{
	struct tstate t;
	struct report *r = c->r;
	struct rcpt *rc;
	struct trec none, *x, **byaddr_v;
	size_t i;
	const char *a, *h;

	if (c->fam == NULL)
		return (0);
	(void)run(c, &t);
	byaddr_v = sorted(&t);
	for (i = 0; i < r->nrcpt; i++) {
		rc = &r->rcpt[i];
		x = lookup(byaddr_v, t.n, rc->addr);
		if (x == NULL && t.n == r->nrcpt)
			x = &t.v[i];
		if (x == NULL && t.n == 1)
			x = &t.v[0];
		a = rc->addr;
		if (x != NULL)
			to_rcpt(&t, x, rc);
		else if (t.shared != NULL || t.transcript != NULL) {
			memset(&none, 0, sizeof(none));
			refine(&t, &none);
			to_rcpt(&t, &none, rc);
		}
		if (a != NULL && *a != '\0')
			rc->addr = a;
		refine_rcpt(c, rc);
		if (rc->reason_hint == NULL &&
		    (h = hint_for(c->fam, rc->diag)) != NULL)
			rc->reason_hint = h;
	}
	return ((int)t.n);
}

/*
 * The family's own status and reply patterns have the last word: run
 * after the generic derivation of every recipient.
 */
void
fmt_family_refine(struct fmt_ctx *c)
{
	size_t i;

	if (c->fam == NULL || (c->fam->status.n == 0 && c->fam->reply.n == 0))
		return;
	for (i = 0; i < c->r->nrcpt; i++)
		refine_rcpt(c, &c->r->rcpt[i]);
}
