/*
 * fmt_fallback.c - free-text non-delivery notices that no family knows
 *
 * SYNOPSIS
 *	#include "fmt_fb.h"
 *
 *	int	fmt_fallback_parse(struct fmt_ctx *c);
 *	int	fmt_fallback_headers(struct fmt_ctx *c);
 *
 * DESCRIPTION
 *	fmt_fallback_parse() runs when no family, no delivery-status part
 *	and no auto-reply check claimed the message.  It reads only the
 *	notice: c->text (which holds no message/rfc822 or
 *	text/rfc822-headers part) up to the first line that starts a quoted
 *	original (an `original` phrase, or a block of header lines).  A
 *	failed address is taken
 *	  - from the lines that follow a failure (or delay) phrase, when
 *	    they are address lines ("  joe@example.org", "<joe@...>: text");
 *	    a bare local part there is completed with the notice's From
 *	    domain (AOL writes so);
 *	  - from the failure phrase's own line ("... undeliverable to
 *	    joe@example.org");
 *	  - after a recipient label (`rcpt`: "Intended recipient: ...");
 *	  - from an SMTP reply line naming it ("550 5.1.1 <joe@...> ..."),
 *	    or a transcript's RCPT TO: followed by a 4xx/5xx reply.
 *	The bounce's own From, To, Return-Path and postmaster or
 *	mailer-daemon addresses are never taken, nor addresses on header
 *	lines.  The confidence gate: a failure or delay phrase, a Subject
 *	that is not a person's reply or forward (Re:, Fw:, AW:, ...), and
 *	at least two of five signals, one of them from the headers:
 *	  H1 the From looks like a mail system (mailer-daemon, postmaster,
 *	     "Mail Delivery", "System Administrator", a service account);
 *	  H2 a null or daemon Return-Path, X-Failed-Recipients,
 *	     Auto-Submitted: auto-generated, or a multipart/report;
 *	  H3 a Subject of a non-delivery notice (`subject` phrases);
 *	  B1 an SMTP reply or enhanced status code in the notice;
 *	  B2 a returned original (attached, or quoted after the notice).
 *	So the sender's name is one signal among several: a notice from
 *	"E500_SMTP_Mail_Service@" with a failure Subject and a null
 *	Return-Path passes, a person's message quoting failure words does
 *	not.  A recipient's diagnostic is the text after its address and
 *	its indented lines, else an SMTP reply naming it, else the notice's
 *	first SMTP reply, else the phrase's line; a `hint` of some
 *	language that matches it gives reason_hint.  With a `delay` phrase
 *	the action is delayed (the MTA is still trying), else failed.
 *	Returns the number of recipients added, 0, or -1 (a limit).
 *
 *	fmt_fallback_headers() says whether the headers alone make the
 *	message a delivery report whose report is missing (a
 *	multipart/report of type delivery-status with at most a line of
 *	text and no delivery-status part, the original returned or not,
 *	whose headers give all three signals H1-H3): a bounce without a
 *	recipient to report; so is a notice whose headers give H3 and one
 *	more signal and whose text (up to the quoted original) has a
 *	failure phrase, when no address could be read from it.
 *
 *	The phrases come from rules/lang/ (fmt_lang.c, looked up through
 *	fmt_fb.h), where the notice ends and the delay check from
 *	fmt_notice.c, the address lists and the records from fmt_fbaddr.c;
 *	this file holds the reading of the notice's lines and the
 *	confidence gate.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fmt_fb.h"

#define FB_WRAP		160	/* bytes of each line a wrapped phrase spans */
#define FB_HEAD_MAX	2048	/* a notice's first phrase comes within */
#define FB_HDR_TEXT	256	/* text of a report known by its headers */

/*
 * s[0..n) with every run of white space (line ends too) made one space,
 * into buf (at most cap - FB_PAD bytes, the rest zeroed): a phrase wrapped
 * over two lines matches there.  Returns the length.
 */
static size_t
squeeze(char *buf, size_t cap, const char *s, size_t n)
{
	size_t i, o = 0;
	int sp = 0;

	/* PCRE2's JIT reads a little past a subject's end: defined bytes */
	memset(buf, 0, cap);

	if (cap <= FB_PAD)
		return (0);
	for (i = 0; i < n && o + FB_PAD < cap; i++) {
		if (isspace((unsigned char)s[i])) {
			sp = 1;
			continue;
		}
		if (sp && o > 0)
			buf[o++] = ' ';
		sp = 0;
		if (o + FB_PAD < cap)
			buf[o++] = s[i];
	}
	buf[o] = '\0';
	return (o);
}

/*
 * f->sqhit: ld_cover() of " " + squeeze(notice text) + " ", made the
 * first time it is asked for.  Every text squeeze() makes of the notice
 * or a part of it is part of that (a phrase_wrapped() text: the squeezed
 * end of a line, a space, the squeezed start of the next line), so its
 * patterns are the only ones that may match such a text.
 */
static const unsigned char *
fb_sqhit(struct fb *f)
{
	size_t n, k;
	char *buf;

	if (f->sqdone)
		return (f->sqhit);
	f->sqdone = 1;
	if (f->l->scan == NULL)
		return (NULL);
	n = f->c->textlen < FB_NOTICE_MAX ? f->c->textlen : FB_NOTICE_MAX;
	if ((buf = malloc(n + FB_PAD + 2)) == NULL)
		return (NULL);		/* every pattern is tried */
	buf[0] = ' ';
	k = squeeze(buf + 1, n + FB_PAD + 1, f->c->text, n);
	buf[k + 1] = ' ';
	f->sqhit = ld_cover(f->l, buf, k + 2, f->sqbuf);
	free(buf);
	return (f->sqhit);
}

/* A phrase in the end of one line and the start of the next? */
static int
phrase_wrapped(struct fb *f, const char *a, size_t an,
    const char *b, size_t bn)
{
	const unsigned char *sqhit = fb_sqhit(f);
	char buf[2 * (FB_WRAP + FB_PAD)];
	size_t n;

	/* no phrase's literals in the squeezed notice: none here */
	if (!ld_may(f->l, LD_FAIL, sqhit) && !ld_may(f->l, LD_DELAY, sqhit))
		return (0);
	memset(buf, 0, sizeof(buf));

	if (an > FB_WRAP) {
		a += an - FB_WRAP;
		an = FB_WRAP;
	}
	n = squeeze(buf, FB_WRAP + FB_PAD, a, an);
	buf[n++] = ' ';
	n += squeeze(buf + n, sizeof(buf) - n, b, bn < FB_WRAP ? bn : FB_WRAP);
	return (ld_phrase(f->l, buf, n, sqhit));
}

/* Does the line end with a colon (ASCII or full-width)? */
static int
ends_colon(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return ((n >= 1 && s[n - 1] == ':') || (n >= 3 &&
	    memcmp(s + n - 3, "\xef\xbc\x9a", 3) == 0));
}

static int
subject_is_reply(const struct fmt_lang *l, const char *s)
{
	return (rx_line(l->subj_reply, s, strlen(s)));
}

/* H2: a null or daemon Return-Path, or report headers. */
static int
report_headers(struct fmt_ctx *c, const struct fmt_lang *l)
{
	const char *v;

	if ((v = mime_hdr_get(c->root, "Return-Path")) != NULL) {
		while (isspace((unsigned char)*v))
			v++;
		if (strncmp(v, "<>", 2) == 0 || *v == '\0' ||
		    rx_line(l->from_daemon, v, strlen(v)))
			return (1);
	}
	if (mime_hdr_get(c->root, "X-Failed-Recipients") != NULL)
		return (1);
	if ((v = mime_hdr_get(c->root, "Auto-Submitted")) != NULL &&
	    fmt_strcasestr(v, strlen(v), "auto-generated"))
		return (1);
	return (strcmp(c->root->type, "multipart/report") == 0);
}

/* Header signals (H1-H3); -1 when the Subject is a person's reply. */
static int
header_signals(struct fmt_ctx *c, const struct fmt_lang *l, int *h3)
{
	int n = 0;

	*h3 = 0;
	if (subject_is_reply(l, c->subject))
		return (-1);
	if (rx_line(l->from_daemon, c->from, c->fromlen))
		n++;
	if (report_headers(c, l))
		n++;
	if (ld_match(l, LD_SUBJECT, c->subject, c->subjectlen)) {
		n++;
		*h3 = 1;
	}
	return (n);
}

static const char *
domain_of(const char *a)
{
	const char *at = strrchr(a, '@');

	return (at != NULL && at[1] != '\0' ? at + 1 : NULL);
}

/* The transcript form: ">>> RCPT TO:<a>" then "<<< 550 ...". */
static int
transcript_rcpt(struct fb *f, const char *line, size_t ll, const char **pp,
    const char *end)
{
	const char *q = *pp, *nl, *a;
	size_t nll, from = 0, alen, i = 0;

	while (i < ll && (isspace((unsigned char)line[i]) || line[i] == '>'))
		i++;
	if (ll - i < 8 || strncasecmp(line + i, "RCPT TO:", 8) != 0)
		return (0);
	if (!fmt_next_line(&q, end, &nl, &nll))
		return (0);
	for (i = 0; i < nll && (isspace((unsigned char)nl[i]) ||
	    nl[i] == '<'); i++)
		;
	if (nll - i < 3 || (nl[i] != '4' && nl[i] != '5') ||
	    !isdigit((unsigned char)nl[i + 1]) ||
	    !isdigit((unsigned char)nl[i + 2]))
		return (0);
	if (!fmt_fb_next_addr(line, ll, &from, &a, &alen))
		return (0);
	*pp = q;
	return (fmt_fb_add(f, a, alen, NULL, nl + i, nll - i, line, ll) == -1 ?
	    -1 : 1);
}

int
fmt_fallback_parse(struct fmt_ctx *c)
{
	const struct fmt_lang *l = ctx_lang(c);
	struct fb f;
	const char *p, *end, *line, *a, *dom;
	size_t ll, k = 0, from, alen, rest;
	int hs, h3, sig, quoted, fail = 0, got;
	struct fmt_match m;

	if (l == NULL || c->textlen == 0 || c->root == NULL)
		return (0);
	if ((hs = header_signals(c, l, &h3)) <= 0)
		return (0);
	fb_init(&f, c, l, 1);
	/* one scan: no failure or delay phrase, no notice (wrapped lines
	   joined) */
	if (!ld_phrase(l, c->text, c->textlen < FB_HEAD_MAX ?
	    c->textlen : FB_HEAD_MAX, f.hit)) {
		char head[FB_HEAD_MAX + FB_PAD];
		size_t hn;

		if (!ld_may(l, LD_FAIL, fb_sqhit(&f)) &&
		    !ld_may(l, LD_DELAY, fb_sqhit(&f)))
			return (0);
		hn = squeeze(head, sizeof(head), c->text,
		    c->textlen < FB_HEAD_MAX ? c->textlen : FB_HEAD_MAX);
		if (!ld_phrase(l, head, hn, fb_sqhit(&f)))
			return (0);
	}
	f.region = c->text;
	f.regionlen = fmt_notice_len(&f, &quoted);
	if (f.regionlen == 0)
		return (0);
	/* the phrase must be in the notice, not (only) in the original */
	if (!ld_phrase(l, f.region, f.regionlen, f.hit)) {
		char *sq = arena_alloc_raw(c->a, f.regionlen + FB_PAD);

		if (sq == NULL) {
			c->limit = 1;
			return (-1);
		}
		if (!ld_phrase(l, sq, squeeze(sq, f.regionlen + FB_PAD,
		    f.region, f.regionlen), fb_sqhit(&f)))
			return (0);
	}
	/* B2, and B3: a delivery-status part, even one naming nobody */
	sig = hs + (quoted || c->orig != NULL) + (c->dsn != NULL);
	p = f.region;
	end = p + f.regionlen;
	while (k++ < FB_MAX_LINES && fmt_next_line(&p, end, &line, &ll))
		if (rx_line(l->smtp, line, ll)) {
			f.first_reply = line;
			f.first_reply_len = ll;
			sig++;
			break;
		}
	if (sig < 2)
		return (0);
	f.delay = ld_find(l, LD_DELAY, f.region, f.regionlen, f.hit, NULL) &&
	    !ld_find(l, LD_FINAL, f.region, f.regionlen, f.hit, NULL);
	f.from = fmt_fb_hdr_addr(c, c->from);
	f.to = fmt_fb_hdr_addr(c, fmt_header(c->root, "To"));
	f.rpath = fmt_fb_hdr_addr(c, fmt_header(c->root, "Return-Path"));
	f.fromdom = *f.from != '\0' ? domain_of(f.from) : NULL;

	p = f.region;
	k = 0;
	while (k++ < FB_MAX_LINES && fmt_next_line(&p, end, &line, &ll)) {
		int phrase;

		if (ll == 0)
			continue;
		if ((got = transcript_rcpt(&f, line, ll, &p, end)) != 0) {
			if (got == -1)
				return (-1);
			continue;
		}
		phrase = ld_phrase(l, line, ll, f.hit);
		if (!phrase) {
			/* "could not\nbe delivered": the phrase line is the
			   second one */
			const char *q = p, *nl;
			size_t nll;

			if (fmt_next_line(&q, end, &nl, &nll) && nll > 0 &&
			    phrase_wrapped(&f, line, ll, nl, nll)) {
				phrase = 1;
				p = q;
				line = nl;
				ll = nll;
			}
		}
		fail |= phrase;
		from = 0;
		if (phrase && fmt_fb_next_addr(line, ll, &from, &a, &alen)) {
			/* the phrase names the address itself */
			do {
				if (fmt_fb_add(&f, a, alen, NULL, NULL, 0, line,
				    ll) == -1)
					return (-1);
			} while (fmt_fb_next_addr(line, ll, &from, &a, &alen));
			if (!ends_colon(line, ll))
				continue;
		}
		if (phrase) {
			if (fmt_fb_read_list(&f, &p, end, ends_colon(line, ll),
			    line, ll) == -1)
				return (-1);
			continue;
		}
		if (ld_find(l, LD_RCPT, line, ll, f.hit, &m) &&
		    (from = m.end, fmt_fb_next_addr(line, ll, &from, &a,
		    &alen))) {
			const char *d = NULL;
			size_t dn = 0;

			rest = (size_t)(a - line) + alen;
			while (rest < ll && strchr(">\"') \t,;.", line[rest]))
				rest++;
			if (rest < ll) {
				d = line + rest;
				dn = ll - rest;
			} else
				fmt_fb_para(&p, end, &d, &dn);
			if (fmt_fb_add(&f, a, alen, NULL, d, dn, line,
			    ll) == -1)
				return (-1);
			continue;
		}
		/* Postfix, qmail: "<addr>: text" starts a paragraph */
		if (fail && !isspace((unsigned char)line[0]) &&
		    fmt_fb_list_item(&f, line, ll, 0, &a, &alen, &rest, &dom) &&
		    rest < ll && line[rest] == ':') {
			const char *d = line + rest + 1;
			size_t dn = ll - rest - 1;

			fmt_fb_item_cont(&f, &p, end, &d, &dn);
			if (fmt_fb_add(&f, a, alen, NULL, d, dn, line,
			    ll) == -1)
				return (-1);
			continue;
		}
		if (fail && rx_line(l->smtp, line, ll) &&
		    fmt_fb_next_addr(line, ll, &from, &a, &alen) &&
		    !rx_line(l->hdrline, line, ll))
			if (fmt_fb_add(&f, a, alen, NULL, line, ll, line,
			    ll) == -1)
				return (-1);
	}
	if (f.nadd > 0)
		c->r->kind = "dsn";
	return (f.nadd);
}

/*
 * A notice whose headers pass on their own (a notice Subject and one more
 * header signal) and whose text says the message was not delivered, but
 * that names no address to read ("mail box space not enough, account=
 * dylan"): a bounce without a recipient.
 */
static int
notice_unread(struct fmt_ctx *c, const struct fmt_lang *l)
{
	struct fb f;
	int h3, quoted;

	if (c->textlen == 0 || header_signals(c, l, &h3) < 2 || !h3)
		return (0);
	fb_init(&f, c, l, 0);
	f.region = c->text;
	if ((f.regionlen = fmt_notice_len(&f, &quoted)) == 0 ||
	    !ld_find(l, LD_FAIL, f.region, f.regionlen, NULL, NULL))
		return (0);
	return (!fmt_challenge(c));
}

int
fmt_fallback_headers(struct fmt_ctx *c)
{
	const struct fmt_lang *l = ctx_lang(c);
	const char *ct;
	int h3;

	if (l == NULL || c->root == NULL || c->dsn != NULL || c->arf != NULL)
		return (0);
	/* the report is missing: no delivery-status part, a line of text
	   (the returned original may be there or not) */
	if (c->textlen > FB_HDR_TEXT ||
	    strcmp(c->root->type, "multipart/report") != 0)
		return (notice_unread(c, l));
	if ((ct = mime_hdr_get(c->root, "Content-Type")) == NULL ||
	    !fmt_strcasestr(ct, strlen(ct), "delivery-status"))
		return (notice_unread(c, l));
	return (header_signals(c, l, &h3) >= 3 && h3);
}
