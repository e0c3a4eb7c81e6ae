/*
 * fmt_fbaddr.c - the fallback's failed addresses and their records
 *
 * SYNOPSIS
 *	#include "fmt_fb.h"
 *
 *	int	fmt_fb_next_addr(const char *s, size_t n, size_t *from,
 *		    const char **a, size_t *alen);
 *	char	*fmt_fb_hdr_addr(struct fmt_ctx *c, const char *v);
 *	int	fmt_fb_add(struct fb *f, const char *a, size_t n,
 *		    const char *dom, const char *diag, size_t dlen,
 *		    const char *ctx, size_t ctxlen);
 *	int	fmt_fb_list_item(const struct fb *f, const char *s, size_t n,
 *		    int bare, const char **a, size_t *alen, size_t *rest,
 *		    const char **dom);
 *	void	fmt_fb_item_cont(const struct fb *f, const char **p,
 *		    const char *end, const char **d, size_t *dn);
 *	void	fmt_fb_para(const char **p, const char *end, const char **d,
 *		    size_t *dn);
 *	int	fmt_fb_read_list(struct fb *f, const char **pp,
 *		    const char *end, int bare, const char *ctx, size_t ctxlen);
 *
 * DESCRIPTION
 *	The candidate addresses of fmt_fallback_parse() (fmt_fallback.c).
 *
 *	fmt_fb_next_addr() finds the first plausible address in s[0..n) at
 *	or after *from: local@domain, the domain with a dot and a last
 *	label of two letters or more, never a URL's user; sets *a, *alen
 *	and *from past it; 0 when there is none.  fmt_fb_hdr_addr() is the
 *	bare address of a header value (its first one) in c's arena, or "".
 *
 *	fmt_fb_add() adds the recipient a[0..n) (completed with @dom when
 *	dom is not NULL) with the diagnostic diag (may be NULL; ctx is the
 *	phrase line): never the bounce's own From, To or Return-Path, a
 *	postmaster or mailer-daemon, an address already reported, nor more
 *	than FB_MAX_RCPT.  Without a diagnostic of its own, a recipient
 *	takes the SMTP reply naming it, else the notice's first reply
 *	(and the paragraph after a list), else that paragraph, else the
 *	phrase line; a `hint` that matches gives reason_hint.  0, or -1 at
 *	a limit.
 *
 *	fmt_fb_list_item() says whether a line is an item of an address
 *	list (an address first, in <> or quotes, after a bullet, a display
 *	name or an X.400 dda:SMTP=, then nothing, ':' or '(' and text), and
 *	sets the address and *rest, where the rest starts; bare: a lone
 *	local part is an item too (*dom is then the From domain).
 *	fmt_fb_item_cont() extends an item's diagnostic *d, *dn with the
 *	indented lines after it (not the next item), moving *p past them.
 *	fmt_fb_para() sets *d, *dn to the lines from *p up to a blank line
 *	(at most 4).  fmt_fb_read_list() reads the address list after a
 *	phrase line (up to FB_LIST_LOOK lines on, then consecutive items;
 *	bare: the phrase ended with a colon) and adds its items, with the
 *	paragraph after the list as their context; the number of items, or
 *	-1 at a limit.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "fmt_fb.h"

#define FB_MAX_RCPT	200	/* recipients the fallback reports */
#define FB_LIST_LOOK	8	/* lines after a phrase searched for a list */
#define FB_LIST_MAX	64	/* items of one list */
#define FB_DIAG_MAX	600

/* ASCII only: CJK text runs into an address without a space */
static int
addr_ch(int ch)
{
	return (isalnum(ch) || (ch != 0 && strchr("._%+-=/!#$&'*?^`{|}~",
	    ch) != NULL));
}

static int
dom_ch(int ch)
{
	return (isalnum(ch) || ch == '.' || ch == '-');
}

/*
 * The first plausible address in s[0..n) at or after *from: local@domain,
 * the domain with a dot and a last label of two letters or more.  Sets
 * *a, *alen and *from past it; 0 when there is none.
 */
int
fmt_fb_next_addr(const char *s, size_t n, size_t *from, const char **a,
    size_t *alen)
{
	size_t i, b, e, lastdot, i0 = *from;
	const char *at;

	for (i = *from; i < n; i = (size_t)(at - s) + 1) {
		if ((at = memchr(s + i, '@', n - i)) == NULL)
			break;
		b = (size_t)(at - s);
		/* never before where the search started */
		while (b > i0 && addr_ch((unsigned char)s[b - 1]))
			b--;
		while (b < (size_t)(at - s) && s[b] == '.')
			b++;
		e = (size_t)(at - s) + 1;
		lastdot = 0;
		while (e < n && dom_ch((unsigned char)s[e])) {
			if (s[e] == '.')
				lastdot = e;
			e++;
		}
		while (e > (size_t)(at - s) + 1 && (s[e - 1] == '.' ||
		    s[e - 1] == '-'))
			e--;
		if (lastdot >= e - 1)
			lastdot = 0;
		if (b == (size_t)(at - s) || lastdot == 0 ||
		    e - lastdot - 1 < 2 || e - b > 254)
			continue;
		/* "http://user@host" and "mailto:" are not addresses */
		if (b >= 3 && memcmp(s + b - 3, "://", 3) == 0)
			continue;
		*a = s + b;
		*alen = e - b;
		*from = e;
		return (1);
	}
	return (0);
}

/* The bare address of a header value (its first address), or "". */
char *
fmt_fb_hdr_addr(struct fmt_ctx *c, const char *v)
{
	const char *a;
	size_t n, from = 0;

	if (v == NULL || !fmt_fb_next_addr(v, strlen(v), &from, &a, &n))
		return ("");
	return (arena_strndup(c->a, a, n));
}

static int
excluded(const struct fb *f, const char *a, size_t n)
{
	const char *at = memchr(a, '@', n);
	size_t ln = at != NULL ? (size_t)(at - a) : n;

	if ((ln == 10 && strncasecmp(a, "postmaster", 10) == 0) ||
	    (ln == 13 && strncasecmp(a, "mailer-daemon", 13) == 0) ||
	    (ln == 12 && strncasecmp(a, "mailerdaemon", 12) == 0))
		return (1);
	if ((*f->from != '\0' && strlen(f->from) == n &&
	    strncasecmp(f->from, a, n) == 0) ||
	    (*f->to != '\0' && strlen(f->to) == n &&
	    strncasecmp(f->to, a, n) == 0) ||
	    (*f->rpath != '\0' && strlen(f->rpath) == n &&
	    strncasecmp(f->rpath, a, n) == 0))
		return (1);
	return (0);
}

/* The reply line of the notice that names address a, or NULL. */
static const char *
reply_naming(const struct fb *f, const char *a, size_t n, size_t *len)
{
	const char *p = f->region, *end = p + f->regionlen, *line;
	size_t ll, k = 0;

	while (k++ < FB_MAX_LINES && fmt_next_line(&p, end, &line, &ll))
		if (ll > n && fmt_strcasestr(line, ll, "@") &&
		    rx_line(f->l->smtp, line, ll)) {
			char tmp[256];

			if (n >= sizeof(tmp))
				continue;
			memcpy(tmp, a, n);
			tmp[n] = '\0';
			if (fmt_strcasestr(line, ll, tmp)) {
				*len = ll;
				return (line);
			}
		}
	return (NULL);
}

static void
set_hint(const struct fb *f, struct rcpt *rc, const char *ctx, size_t n)
{
	size_t i;

	for (i = 0; i < f->l->hint.n; i++)
		if ((rc->diag != NULL && fmt_rx_match(f->l->hint.v[i],
		    rc->diag, strlen(rc->diag), NULL)) ||
		    (ctx != NULL && fmt_rx_match(f->l->hint.v[i], ctx, n,
		    NULL))) {
			rc->reason_hint = f->l->hint.arg[i];
			return;
		}
}

/*
 * Add address a[0..n) (domain dom when a has none) with diagnostic
 * diag (may be NULL); ctx is the phrase line.  0, or -1 at a limit.
 */
int
fmt_fb_add(struct fb *f, const char *a, size_t n, const char *dom,
    const char *diag, size_t dlen, const char *ctx, size_t ctxlen)
{
	struct fmt_ctx *c = f->c;
	struct rcpt *rc;
	char *addr;
	const char *rl;
	size_t i, rlen;

	if (dom != NULL) {
		char *t = arena_alloc_raw(c->a, n + strlen(dom) + 2);

		if (t == NULL)
			return (-1);
		memcpy(t, a, n);
		t[n] = '@';
		strcpy(t + n + 1, dom);
		addr = t;
	} else if ((addr = arena_strndup(c->a, a, n)) == NULL)
		return (-1);
	if (excluded(f, addr, strlen(addr)))
		return (0);
	for (i = 0; i < c->r->nrcpt; i++)
		if (strcasecmp(c->r->rcpt[i].addr, addr) == 0)
			return (0);
	if (f->nadd >= FB_MAX_RCPT)
		return (0);
	if ((rc = fmt_rcpt_add(c)) == NULL)
		return (-1);
	f->nadd++;
	rc->addr = addr;
	rc->action = f->delay ? "delayed" : "failed";
	while (diag != NULL && dlen > 0 && isspace((unsigned char)*diag)) {
		diag++;
		dlen--;
	}
	rc->diag = NULL;
	if (diag == NULL || dlen < 4) {
		diag = NULL;
		if ((rl = reply_naming(f, addr, strlen(addr), &rlen)) != NULL) {
			diag = rl;
			dlen = rlen;
		} else if (f->first_reply != NULL) {
			/* the notice's reply, then the words around the list */
			diag = f->first_reply;
			dlen = f->first_reply_len;
			if (f->after != NULL && f->after != diag)
				rc->diag = fmt_append(c->a, fmt_oneline(c->a,
				    diag, dlen < FB_DIAG_MAX ? dlen :
				    FB_DIAG_MAX), f->after, f->afterlen <
				    FB_DIAG_MAX ? f->afterlen : FB_DIAG_MAX);
		} else if (f->after != NULL) {
			diag = f->after;
			dlen = f->afterlen;
		} else {
			diag = ctx;
			dlen = ctxlen;
		}
	}
	if (diag != NULL && dlen > FB_DIAG_MAX)
		dlen = FB_DIAG_MAX;
	if (rc->diag == NULL)
		rc->diag = diag != NULL ? fmt_oneline(c->a, diag, dlen) : "";
	if (rc->diag == NULL)
		rc->diag = "";
	set_hint(f, rc, ctx, ctxlen);
	return (0);
}

/* The offset after "dda:SMTP=" in an X.400 address, or 0. */
static size_t
x400_dda(const char *s, size_t n)
{
	size_t k;

	for (k = 0; k + 9 < n && k < 200 && s[k] != '@'; k++)
		if (strncasecmp(s + k, "dda:SMTP=", 9) == 0)
			return (k + 9);
	return (0);
}

/*
 * Is the line an item of an address list: an address first (in <> or
 * quotes, or after a display name), then nothing, ':' or '(' and text?
 * Sets the address and where the rest starts.  bare: a lone local
 * part is an item too (*dom set to the From domain).
 */
int
fmt_fb_list_item(const struct fb *f, const char *s, size_t n, int bare,
    const char **a, size_t *alen, size_t *rest, const char **dom)
{
	size_t i = 0, from, k;

	*dom = NULL;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	if (i == n)
		return (0);
	/* Exim: "an undisclosed address", then "(generated from ADDR)" */
	if (n - i > 16 && strncasecmp(s + i, "(generated from ", 16) == 0)
		i += 16;
	/* a bullet: "* addr", "- addr", "-- addr", U+2022 and a space */
	else if (n - i > 2 && (s[i] == '*' || s[i] == '-')) {
		k = i + 1;
		if (k < n && s[k] == s[i])
			k++;
		if (k < n && s[k] == ' ')
			i = k + 1;
	} else if (n - i > 4 && memcmp(s + i, "\xe2\x80\xa2 ", 4) == 0)
		i += 4;
	/* an X.400 address (Exchange's IMS): "c=US;a= ;p=...;dda:SMTP=addr;" */
	else if (n - i > 12 && (s[i] == 'c' || s[i] == 'C') && s[i + 1] == '=' &&
	    (k = x400_dda(s + i, n - i)) > 0)
		i += k;
	from = i;
	if (fmt_fb_next_addr(s, n, &from, a, alen)) {
		/* text before the address: only quotes, <, a name in "" */
		size_t off = (size_t)(*a - s);

		for (k = i; k < off; k++)
			if (!(s[k] == '<' || s[k] == '"' || s[k] == '\'' ||
			    s[k] == ' ' || s[k] == '\t' || s[k] == '(' ||
			    s[k] == '['))
				break;
		if (k < off) {
			/* "Name <addr>" or "rfc822;addr" */
			const char *lt = memchr(s + i, '<', off - i);
			const char *sc = memchr(s + i, ';', off - i);

			if ((lt == NULL || lt != *a - 1) &&
			    (sc == NULL || off - (size_t)(sc - s) > 2))
				return (0);
			if (lt != NULL && memchr(s + i, ':', (size_t)(lt -
			    s) - i) != NULL)
				return (0);
		}
		*rest = (size_t)(*a - s) + *alen;
		while (*rest < n && (s[*rest] == '>' || s[*rest] == '"' ||
		    s[*rest] == ']' || s[*rest] == ')'))
			(*rest)++;
		/* then a separator, or Outlook's "<mailto:addr>" */
		if (*rest < n && !(s[*rest] == ':' || s[*rest] == ' ' ||
		    s[*rest] == '\t' || s[*rest] == ',' || s[*rest] == ';' ||
		    s[*rest] == '.' || s[*rest] == '<'))
			return (0);
		return (1);
	}
	if (!bare || f->fromdom == NULL || i == 0)
		return (0);
	for (k = i; k < n && (isalnum((unsigned char)s[k]) ||
	    strchr("._-+", s[k]) != NULL); k++)
		;
	if (k - i < 1 || k - i > 64)
		return (0);
	for (from = k; from < n && isspace((unsigned char)s[from]); from++)
		;
	if (from < n)
		return (0);
	*a = s + i;
	*alen = k - i;
	*rest = n;
	*dom = f->fromdom;
	return (1);
}

/*
 * The indented lines after an item: its diagnostic (bounded); not a
 * line that is the next item.
 */
void
fmt_fb_item_cont(const struct fb *f, const char **p, const char *end,
    const char **d, size_t *dn)
{
	const char *q = *p, *line, *a, *dom;
	size_t ll, k = 0, alen, rest;

	while (k++ < 6 && fmt_next_line(&q, end, &line, &ll)) {
		if (ll == 0 || !isspace((unsigned char)line[0]))
			break;
		/* a line holding only an address (or "* addr") is the next
		   item; "<addr>: text" below an item still explains it */
		if (fmt_fb_list_item(f, line, ll, 0, &a, &alen, &rest, &dom) &&
		    (rest >= ll || line[rest] != ':') &&
		    !fmt_strcasestr(line, ll, "(generated from "))
			break;
		while (ll > 0 && isspace((unsigned char)line[ll - 1]))
			ll--;
		if (ll == 0)
			break;
		if (*d == NULL) {
			*d = line;
			*dn = ll;
		} else
			*dn = (size_t)(line + ll - *d);
		*p = q;
	}
}

/* The lines from *p up to a blank line (at most 4): *d, *dn. */
void
fmt_fb_para(const char **p, const char *end, const char **d, size_t *dn)
{
	const char *q = *p, *line;
	size_t ll, k = 0;

	*d = NULL;
	*dn = 0;
	while (k++ < 4 && fmt_next_line(&q, end, &line, &ll)) {
		while (ll > 0 && isspace((unsigned char)line[ll - 1]))
			ll--;
		if (ll == 0)
			break;
		if (*d == NULL)
			*d = line;
		*dn = (size_t)(line + ll - *d);
		*p = q;
	}
}

/*
 * The address list after a phrase line: up to FB_LIST_LOOK lines on,
 * then consecutive items.  bare: the phrase ended with a colon.
 */
int
fmt_fb_read_list(struct fb *f, const char **pp, const char *end, int bare,
    const char *ctx, size_t ctxlen)
{
	struct { const char *a, *dom, *d; size_t alen, dn; } it[FB_LIST_MAX];
	const char *p = *pp, *line, *q;
	size_t ll, rest, k, skipped = 0, n = 0, i;

	for (k = 0; k < FB_LIST_LOOK && n < FB_LIST_MAX &&
	    fmt_next_line(&p, end, &line, &ll); k++) {
		if (ll == 0 || (ll <= 2 && isspace((unsigned char)*line))) {
			if (n > 0)
				break;
			continue;
		}
		if (!fmt_fb_list_item(f, line, ll, bare, &it[n].a,
		    &it[n].alen, &rest, &it[n].dom)) {
			if (n > 0 || ++skipped > 2)
				break;
			continue;
		}
		it[n].d = NULL;
		it[n].dn = 0;
		if (rest < ll && line[rest] == '<') {	/* <mailto:addr> */
			const char *gt = memchr(line + rest, '>', ll - rest);

			rest = gt != NULL ? (size_t)(gt - line) + 1 : ll;
		}
		while (rest < ll && strchr(":,;. \t", line[rest]) != NULL)
			rest++;
		if (rest < ll) {
			it[n].d = line + rest;
			it[n].dn = ll - rest;
		}
		fmt_fb_item_cont(f, &p, end, &it[n].d, &it[n].dn);
		n++;
		*pp = p;
		k = 0;
	}
	/* the paragraph after the list explains it (Gmail, Exchange) */
	f->after = NULL;
	f->afterlen = 0;
	q = *pp;
	for (k = 0; n > 0 && k < 3 && fmt_next_line(&q, end, &line, &ll); k++)
		if (ll > 0 && !(ll <= 2 && isspace((unsigned char)*line))) {
			q = line;
			if (!ld_find(f->l, LD_ORIGINAL, line, ll, f->hit,
			    NULL) &&
			    !rx_line(f->l->hdrline, line, ll))
				fmt_fb_para(&q, end, &f->after, &f->afterlen);
			break;
		}
	for (i = 0; i < n; i++)
		if (fmt_fb_add(f, it[i].a, it[i].alen, it[i].dom, it[i].d,
		    it[i].dn, ctx, ctxlen) == -1)
			return (-1);
	f->after = NULL;
	return ((int)n);
}
