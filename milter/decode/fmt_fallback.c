/*
 * fmt_fallback.c - free-text non-delivery notices that no family knows
 *
 * SYNOPSIS
 *	#include "fmt.h"
 *
 *	int	fmt_lang_load(struct format_table *t, const char *dir,
 *		    char *err, size_t errlen);
 *	void	fmt_lang_free(struct fmt_lang *l);
 *	int	fmt_fallback_parse(struct fmt_ctx *c);
 *	int	fmt_fallback_headers(struct fmt_ctx *c);
 *	int	fmt_challenge(struct fmt_ctx *c);
 *	int	fmt_delay_notice(struct fmt_ctx *c);
 *
 * DESCRIPTION
 *	fmt_lang_load() reads every DIR/lang/ *.rules file: the phrases, per
 *	language, that a notice uses to say a message was not delivered
 *	(rules/lang/README describes the directives), with the line reader
 *	and in the regex dialect of rules/README.  Each pattern is kept on
 *	its own: its literals rule out most texts before a match is run
 *	(litscan.h), which one alternation of all would defeat.  A missing
 *	lang/ directory leaves t->lang
 *	NULL (no fallback); a broken file is "FILE:LINE: message".
 *
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
 *	fmt_delay_notice() is 1 when the notice (up to the quoted
 *	original) has a delay phrase and neither a failure nor a `final`
 *	one: a text family's recipients without a permanent status are
 *	then delayed, not failed (a delay warning written as text).
 *
 *	fmt_challenge() is 1 when the notice is a challenge-response
 *	system's request that the sender confirm himself (`challenge`
 *	phrases), never when its From is a mail system's: a held message,
 *	not a failed one.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fmt.h"
#include "litscan.h"
#include "rulefile.h"
#include "vocab.h"

#define LANG_MAX_FILES	64
#define FB_MAX_LINES	4000	/* notice lines looked at */
#define FB_MAX_RCPT	200	/* recipients the fallback reports */
#define FB_LIST_LOOK	8	/* lines after a phrase searched for a list */
#define FB_LIST_MAX	64	/* items of one list */
#define FB_DIAG_MAX	600
#define FB_HEAD_MAX	2048	/* a notice's first phrase comes within */
#define FB_DELAY_HEAD	1024	/* a delay warning says so within */
#define FB_WRAP		160	/* bytes of each line a wrapped phrase spans */
#define FB_PAD		16	/* zero bytes after a subject we make */
#define FB_NOTICE_MAX	(16u * 1024)	/* bytes of text a notice may take:
					   the phrases come first */
#define FB_HDR_TEXT	256	/* text of a report known by its headers */
#define LD_TAGS_MAX	1024	/* patterns with literals the scan takes */
#define LD_NOTAG	((unsigned)-1)	/* a pattern without literals */

enum { LD_FAIL, LD_DELAY, LD_FINAL, LD_RCPT, LD_SUBJECT, LD_ORIGINAL,
	LD_CHALLENGE, LD_N };

static const char *const ld_name[LD_N] = {
	"fail", "delay", "final", "rcpt", "subject", "original", "challenge"
};

struct fmt_lang {
	struct fmt_rxv	 rx[LD_N];	/* the patterns of each directive */
	struct fmt_rxv	 hint;		/* arg: the reason */
	struct fmt_rx	*from_daemon, *subj_reply, *smtp, *hdrline;
	size_t		 nfiles;
	/*
	 * The literals of every directive's patterns in one automaton
	 * (litscan.h), a pattern's tag its own: one pass over a notice
	 * tells which patterns may match anywhere in it, and a line of
	 * it is then tried with those only.  NULL: no such pass.
	 */
	struct litscan	*scan;
	unsigned	*tag[LD_N];	/* per pattern: its tag, or LD_NOTAG */
	int		 always[LD_N];	/* a pattern of d has no literals */
	unsigned	 ntags;
};

/* ---- loading -------------------------------------------------------- */

/* Append t (and a copy of arg, or NULL) to l; -1 out of memory. */
static int
rxv_push(struct fmt_rxv *l, struct fmt_rx *t, const char *arg)
{
	struct fmt_rx **v;
	char **a;

	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL)
		return (-1);
	l->v = v;
	if ((a = realloc(l->arg, (l->n + 1) * sizeof(*a))) == NULL)
		return (-1);
	l->arg = a;
	a[l->n] = NULL;
	if (arg != NULL && (a[l->n] = strdup(arg)) == NULL)
		return (-1);
	v[l->n++] = t;
	return (0);
}

static int
lang_file(struct fmt_lang *l, const char *dir,
    const char *base, char *err, size_t errlen)
{
	struct rf rf;
	char msg[200], *s, *arg, *pat;
	struct fmt_rx *t;
	int d = 0, haslang = 0;

	if (rf_open(&rf, dir, base, err, errlen) == -1)
		return (-1);
	while ((s = rf_next(&rf)) != NULL) {
		while (isspace((unsigned char)*s))
			s++;
		for (arg = s; *arg != '\0' && !isspace((unsigned char)*arg);
		    arg++)
			;
		if (*arg != '\0')
			*arg++ = '\0';
		while (isspace((unsigned char)*arg))
			arg++;
		if (*arg == '\0') {
			rf_error(&rf, err, errlen, "%.40s: missing argument",
			    s);
			goto fail;
		}
		if (!haslang) {
			if (strcmp(s, "lang") != 0) {
				rf_error(&rf, err, errlen, "the first "
				    "directive must be \"lang CODE\"");
				goto fail;
			}
			haslang = 1;
			continue;
		}
		pat = arg;
		if (strcmp(s, "hint") == 0) {
			for (pat = arg; *pat != '\0' &&
			    !isspace((unsigned char)*pat); pat++)
				;
			if (*pat != '\0')
				*pat++ = '\0';
			while (isspace((unsigned char)*pat))
				pat++;
			if (*pat == '\0' || !reason_known(arg)) {
				rf_error(&rf, err, errlen, "hint: a reason "
				    "and a pattern");
				goto fail;
			}
		} else {
			for (d = 0; d < LD_N; d++)
				if (strcmp(s, ld_name[d]) == 0)
					break;
			if (d == LD_N) {
				rf_error(&rf, err, errlen, "unknown directive "
				    "\"%.40s\"", s);
				goto fail;
			}
		}
		if ((t = fmt_rx_compile(pat, msg, sizeof(msg))) == NULL) {
			rf_error(&rf, err, errlen, "%s", msg);
			goto fail;
		}
		if (rxv_push(strcmp(s, "hint") == 0 ? &l->hint : &l->rx[d], t,
		    strcmp(s, "hint") == 0 ? arg : NULL) == -1) {
			fmt_rx_free(t);
			rf_error(&rf, err, errlen, "out of memory");
			goto fail;
		}
	}
	if (rf_end(&rf, err, errlen) == -1)
		goto fail;
	if (!haslang) {
		rf_error(&rf, err, errlen, "no \"lang\" directive");
		goto fail;
	}
	rf_close(&rf);
	return (0);
fail:
	rf_close(&rf);
	return (-1);
}

void
fmt_lang_free(struct fmt_lang *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < LD_N; i++) {
		fmt_rxv_free(&l->rx[i]);
		free(l->tag[i]);
	}
	litscan_free(l->scan);
	fmt_rxv_free(&l->hint);
	fmt_rx_free(l->from_daemon);
	fmt_rx_free(l->subj_reply);
	fmt_rx_free(l->smtp);
	fmt_rx_free(l->hdrline);
	free(l);
}

/*
 * The automaton of every directive's literals (l->scan): a pattern whose
 * literals are not in a text cannot match it nor any part of it.  More
 * patterns than LD_TAGS_MAX leave it NULL (each pattern then looks for
 * its own literals).  -1 when memory ran out.
 */
static int
lang_scan(struct fmt_lang *l)
{
	const struct rxlit *lits;
	size_t i, total = 0;
	unsigned j;
	int d;

	for (d = 0; d < LD_N; d++)
		total += l->rx[d].n;
	if (total > LD_TAGS_MAX)
		return (0);
	if ((l->scan = litscan_new()) == NULL)
		return (-1);
	for (d = 0; d < LD_N; d++) {
		if (l->rx[d].n == 0)
			continue;
		if ((l->tag[d] = calloc(l->rx[d].n, sizeof(unsigned))) == NULL)
			return (-1);
		for (i = 0; i < l->rx[d].n; i++) {
			lits = fmt_rx_lits(l->rx[d].v[i]);
			if (lits->n == 0) {
				l->tag[d][i] = LD_NOTAG;
				l->always[d] = 1;
				continue;
			}
			l->tag[d][i] = l->ntags;
			for (j = 0; j < lits->n; j++)
				if (litscan_add(l->scan, lits->s[j],
				    lits->len[j], l->ntags) == -1)
					return (-1);
			l->ntags++;
		}
	}
	if (l->ntags == 0) {
		litscan_free(l->scan);
		l->scan = NULL;
		return (0);
	}
	return (litscan_build(l->scan));
}

/* Language-neutral patterns: the sender, a reply Subject, SMTP, headers. */
static const char rx_from_daemon[] =
    "(?i)mailer-?daemon|postmaster|mail ?delivery|delivery ?(?:sub)?system|"
    "mail ?(?:system|server|service|administrator|gateway|router|transport)"
    "|system ?administrator|\\bmail ?admin|\\bmdaemon\\b|\\bdaemon\\b|"
    "smtp[\\w.-]*(?:service|gateway|server|mail)|\\bmailer\\b|"
    "^\\s*[\"<]?(?:admin|root|system)\\b";
static const char rx_subj_reply[] =
    "(?i)^\\s*(?:re|fwd?|aw|wg|tr|rv|sv|vs|antw|odp|res|enc|ynt|"
    "\xe7\xad\x94\xe5\xa4\x8d|\xe5\x9b\x9e\xe5\xa4\x8d|\xe8\xbd\xac\xe5\x8f\x91)"
    "\\s*(?:\\[\\d+\\])?\\s*[:\xef\xbc\x9a]";
static const char rx_smtp[] =
    "(?<![\\w.])[45]\\.\\d{1,3}\\.\\d{1,3}(?![\\w.])|"
    "(?:^|[\\s(#<\\[])[45][0-5]\\d(?:[ -][45]\\.\\d|[ -][A-Z<]|-\\w)|"
    "\\b(?:said|replied|reply|response|answer|error|responded):?\\s+"
    "[45]\\d\\d\\b";
static const char rx_hdrline[] =
    "^(?:Received|Return-Path|Message-I[Dd]|DKIM-Signature|MIME-Version|"
    "Delivered-To|Date|From|To|Subject|Content-Type|X-[\\w-]+|Reply-To|"
    "References|In-Reply-To|Cc|Sender|Thread-Topic|Thread-Index):[ \\t]";

int
fmt_lang_load(struct format_table *t, const char *rdir, char *err,
    size_t errlen)
{
	struct fmt_lang *l = NULL;
	char dir[4096], msg[200], *names[LANG_MAX_FILES];
	size_t nn = 0, i;
	int rc = -1, n;

	snprintf(dir, sizeof(dir), "%s/lang", rdir);
	if ((n = rf_list(dir, ".rules", names, LANG_MAX_FILES, err,
	    errlen)) == -1)
		return (errno == ENOENT ? 0 : -1);	/* none: no fallback */
	nn = (size_t)n;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "%s:0: out of memory", dir);
		goto out;
	}
	for (i = 0; i < nn; i++) {
		if (lang_file(l, dir, names[i], err, errlen) == -1)
			goto out;
		l->nfiles++;
	}
	if ((l->from_daemon = fmt_rx_compile(rx_from_daemon, msg,
	    sizeof(msg))) == NULL ||
	    (l->subj_reply = fmt_rx_compile(rx_subj_reply, msg,
	    sizeof(msg))) == NULL ||
	    (l->smtp = fmt_rx_compile(rx_smtp, msg, sizeof(msg))) == NULL ||
	    (l->hdrline = fmt_rx_compile(rx_hdrline, msg,
	    sizeof(msg))) == NULL) {
		snprintf(err, errlen, "%s:0: %s", dir, msg);
		goto out;
	}
	if (lang_scan(l) == -1) {
		snprintf(err, errlen, "%s:0: out of memory", dir);
		goto out;
	}
	t->lang = l;
	l = NULL;
	rc = 0;
out:
	rf_list_free(names, nn);
	fmt_lang_free(l);
	return (rc);
}

/* ---- the notice ------------------------------------------------------ */

static const struct fmt_lang *
ctx_lang(const struct fmt_ctx *c)
{
	if (c->rules == NULL || c->rules->formats == NULL)
		return (NULL);
	return (c->rules->formats->lang);
}

static int
rx_line(const struct fmt_rx *rx, const char *s, size_t n)
{
	return (rx != NULL && fmt_rx_match(rx, s, n, NULL));
}

/*
 * The patterns whose literals occur in s[0..n) (hit[tag] set), for
 * ld_find() on s or on any part of it; NULL when there is no scan.
 */
static const unsigned char *
ld_cover(const struct fmt_lang *l, const char *s, size_t n,
    unsigned char hit[LD_TAGS_MAX])
{
	if (l->scan == NULL)
		return (NULL);
	memset(hit, 0, l->ntags);
	litscan_run(l->scan, s, n, hit);
	return (hit);
}

/* May a pattern of directive d match where cover hit was made? */
static int
ld_may(const struct fmt_lang *l, int d, const unsigned char *hit)
{
	size_t i;

	if (hit == NULL || l->always[d])
		return (1);
	for (i = 0; i < l->rx[d].n; i++)
		if (hit[l->tag[d][i]])
			return (1);
	return (0);
}

/*
 * Does a pattern of directive d (any language) match s[0..n)?  The
 * first one that does fills m (when not NULL).  hit: ld_cover() of a
 * text that holds s[0..n), the patterns not in it are not tried; or
 * NULL, every pattern is.
 */
static int
ld_find(const struct fmt_lang *l, int d, const char *s, size_t n,
    const unsigned char *hit, struct fmt_match *m)
{
	const struct fmt_rxv *v = &l->rx[d];
	size_t i;

	if (hit == NULL)
		return (fmt_rxv_any(v, s, n, m, NULL));
	for (i = 0; i < v->n; i++)
		if ((l->tag[d][i] == LD_NOTAG || hit[l->tag[d][i]]) &&
		    fmt_rx_match(v->v[i], s, n, m))
			return (1);
	return (0);
}

static int
ld_match(const struct fmt_lang *l, int d, const char *s, size_t n)
{
	return (ld_find(l, d, s, n, NULL, NULL));
}

/* A failure or delay phrase in s[0..n)?  hit: as ld_find(). */
static int
ld_phrase(const struct fmt_lang *l, const char *s, size_t n,
    const unsigned char *hit)
{
	return (ld_find(l, LD_FAIL, s, n, hit, NULL) ||
	    ld_find(l, LD_DELAY, s, n, hit, NULL));
}

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
static int
next_addr(const char *s, size_t n, size_t *from, const char **a,
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
static char *
hdr_addr(struct fmt_ctx *c, const char *v)
{
	const char *a;
	size_t n, from = 0;

	if (v == NULL || !next_addr(v, strlen(v), &from, &a, &n))
		return ("");
	return (arena_strndup(c->a, a, n));
}

struct fb {
	struct fmt_ctx		*c;
	const struct fmt_lang	*l;
	const char		*from, *to, *rpath;	/* bare, or "" */
	const char		*fromdom;		/* or NULL */
	const char		*first_reply;	/* the notice's first SMTP
						   reply line, or NULL */
	size_t			 first_reply_len;
	const char		*region;
	size_t			 regionlen;
	const char		*after;		/* the paragraph after a list */
	size_t			 afterlen;
	int			 delay;		/* a delay phrase */
	int			 nadd;
	/*
	 * ld_cover() of the notice's text (c->text up to FB_NOTICE_MAX,
	 * which holds every line read), and of its squeezed copy, " " +
	 * squeeze() + " " (which holds every squeezed part of it): NULL
	 * when there is none.  sqhit is made when first needed (sqdone).
	 */
	const unsigned char	*hit, *sqhit;
	int			 sqdone;
	unsigned char		 hitbuf[LD_TAGS_MAX], sqbuf[LD_TAGS_MAX];
};

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
static int
add(struct fb *f, const char *a, size_t n, const char *dom,
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

/* Does the line end with a colon (ASCII or full-width)? */
static int
ends_colon(const char *s, size_t n)
{
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return ((n >= 1 && s[n - 1] == ':') || (n >= 3 &&
	    memcmp(s + n - 3, "\xef\xbc\x9a", 3) == 0));
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
static int
list_item(const struct fb *f, const char *s, size_t n, int bare,
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
	if (next_addr(s, n, &from, a, alen)) {
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
static void
item_cont(const struct fb *f, const char **p, const char *end,
    const char **d, size_t *dn)
{
	const char *q = *p, *line, *a, *dom;
	size_t ll, k = 0, alen, rest;

	while (k++ < 6 && fmt_next_line(&q, end, &line, &ll)) {
		if (ll == 0 || !isspace((unsigned char)line[0]))
			break;
		/* a line holding only an address (or "* addr") is the next
		   item; "<addr>: text" below an item still explains it */
		if (list_item(f, line, ll, 0, &a, &alen, &rest, &dom) &&
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
static void
para(const char **p, const char *end, const char **d, size_t *dn)
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
static int
read_list(struct fb *f, const char **pp, const char *end, int bare,
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
		if (!list_item(f, line, ll, bare, &it[n].a, &it[n].alen, &rest,
		    &it[n].dom)) {
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
		item_cont(f, &p, end, &it[n].d, &it[n].dn);
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
				para(&q, end, &f->after, &f->afterlen);
			break;
		}
	for (i = 0; i < n; i++)
		if (add(f, it[i].a, it[i].alen, it[i].dom, it[i].d, it[i].dn,
		    ctx, ctxlen) == -1)
			return (-1);
	f->after = NULL;
	return ((int)n);
}

/* End of the notice: an original's marker or a block of header lines. */
static int
maybe_hdr(const char *s, size_t n)
{
	const char *colon;

	if (n < 4 || !isupper((unsigned char)s[0]))
		return (0);
	colon = memchr(s, ':', n < 32 ? n : 32);
	return (colon != NULL && colon + 1 < s + n && (colon[1] == ' ' ||
	    colon[1] == '\t'));
}

static size_t
notice_len(const struct fb *f, int *quoted)
{
	const char *p = f->c->text, *end, *line, *q;
	const char *nl;
	size_t ll, nll, k = 0;

	end = p + (f->c->textlen < FB_NOTICE_MAX ? f->c->textlen :
	    FB_NOTICE_MAX);
	*quoted = 0;
	while (k++ < FB_MAX_LINES && fmt_next_line(&p, end, &line, &ll)) {
		if (ll == 0)
			continue;
		if (ld_find(f->l, LD_ORIGINAL, line, ll, f->hit, NULL)) {
			*quoted = 1;
			return ((size_t)(line - f->c->text));
		}
		if (!maybe_hdr(line, ll) || !rx_line(f->l->hdrline, line, ll))
			continue;
		q = p;
		if (fmt_next_line(&q, end, &nl, &nll) && nll > 0 &&
		    (isspace((unsigned char)nl[0]) || (maybe_hdr(nl, nll) &&
		    rx_line(f->l->hdrline, nl, nll)))) {
			*quoted = 1;
			return ((size_t)(line - f->c->text));
		}
	}
	return ((size_t)(p - f->c->text));
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
	if (!next_addr(line, ll, &from, &a, &alen))
		return (0);
	*pp = q;
	return (add(f, a, alen, NULL, nl + i, nll - i, line, ll) == -1 ?
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
	memset(&f, 0, sizeof(f));
	f.c = c;
	f.l = l;
	f.hit = ld_cover(l, c->text, c->textlen < FB_NOTICE_MAX ? c->textlen :
	    FB_NOTICE_MAX, f.hitbuf);
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
	f.regionlen = notice_len(&f, &quoted);
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
	f.from = hdr_addr(c, c->from);
	f.to = hdr_addr(c, fmt_header(c->root, "To"));
	f.rpath = hdr_addr(c, fmt_header(c->root, "Return-Path"));
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
		if (phrase && next_addr(line, ll, &from, &a, &alen)) {
			/* the phrase names the address itself */
			do {
				if (add(&f, a, alen, NULL, NULL, 0, line,
				    ll) == -1)
					return (-1);
			} while (next_addr(line, ll, &from, &a, &alen));
			if (!ends_colon(line, ll))
				continue;
		}
		if (phrase) {
			if (read_list(&f, &p, end, ends_colon(line, ll), line,
			    ll) == -1)
				return (-1);
			continue;
		}
		if (ld_find(l, LD_RCPT, line, ll, f.hit, &m) &&
		    (from = m.end, next_addr(line, ll, &from, &a, &alen))) {
			const char *d = NULL;
			size_t dn = 0;

			rest = (size_t)(a - line) + alen;
			while (rest < ll && strchr(">\"') \t,;.", line[rest]))
				rest++;
			if (rest < ll) {
				d = line + rest;
				dn = ll - rest;
			} else
				para(&p, end, &d, &dn);
			if (add(&f, a, alen, NULL, d, dn, line, ll) == -1)
				return (-1);
			continue;
		}
		/* Postfix, qmail: "<addr>: text" starts a paragraph */
		if (fail && !isspace((unsigned char)line[0]) &&
		    list_item(&f, line, ll, 0, &a, &alen, &rest, &dom) &&
		    rest < ll && line[rest] == ':') {
			const char *d = line + rest + 1;
			size_t dn = ll - rest - 1;

			item_cont(&f, &p, end, &d, &dn);
			if (add(&f, a, alen, NULL, d, dn, line, ll) == -1)
				return (-1);
			continue;
		}
		if (fail && rx_line(l->smtp, line, ll) &&
		    next_addr(line, ll, &from, &a, &alen) &&
		    !rx_line(l->hdrline, line, ll))
			if (add(&f, a, alen, NULL, line, ll, line, ll) == -1)
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
	memset(&f, 0, sizeof(f));
	f.c = c;
	f.l = l;
	f.region = c->text;
	if ((f.regionlen = notice_len(&f, &quoted)) == 0 ||
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

int
fmt_challenge(struct fmt_ctx *c)
{
	const struct fmt_lang *l = ctx_lang(c);

	/* a mail system's own notice is no challenge (and costs no scan) */
	if (l == NULL || l->rx[LD_CHALLENGE].n == 0 ||
	    rx_line(l->from_daemon, c->from, c->fromlen))
		return (0);
	return (ld_match(l, LD_CHALLENGE, c->text, c->textlen <
	    FB_NOTICE_MAX ? c->textlen : FB_NOTICE_MAX));
}

int
fmt_delay_notice(struct fmt_ctx *c)
{
	const struct fmt_lang *l = ctx_lang(c);
	unsigned char hit[LD_TAGS_MAX];
	struct fb f;
	size_t n;
	int quoted;

	if (l == NULL || l->rx[LD_DELAY].n == 0 || c->textlen == 0)
		return (0);
	/* one pass of the automaton (when there is one) over the head */
	n = c->textlen < FB_DELAY_HEAD ? c->textlen : FB_DELAY_HEAD;
	if (!ld_find(l, LD_DELAY, c->text, n, ld_cover(l, c->text, n, hit),
	    NULL))
		return (0);
	memset(&f, 0, sizeof(f));
	f.c = c;
	f.l = l;
	f.hit = ld_cover(l, c->text, c->textlen < FB_NOTICE_MAX ? c->textlen :
	    FB_NOTICE_MAX, f.hitbuf);
	f.region = c->text;
	f.regionlen = notice_len(&f, &quoted);
	return (ld_find(l, LD_DELAY, f.region, f.regionlen, f.hit, NULL) &&
	    !ld_find(l, LD_FINAL, f.region, f.regionlen, f.hit, NULL) &&
	    !ld_find(l, LD_FAIL, f.region, f.regionlen, f.hit, NULL));
}
