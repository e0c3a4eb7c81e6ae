/*
 * fmt_lang.c - the phrases of rules/lang/, for the fallback
 *
 * SYNOPSIS
 *	#include "fmt_fb.h"
 *
 *	int	fmt_lang_load(struct format_table *t,
 *		    const struct vocab *vocab, const char *dir, char *err,
 *		    size_t errlen);
 *	void	fmt_lang_free(struct fmt_lang *l);
 *
 * DESCRIPTION
 *	fmt_lang_load() reads every DIR/lang/ *.rules file: the phrases, per
 *	language, that a notice uses to say a message was not delivered
 *	(rules/lang/README describes the directives), with the line reader
 *	and in the regex dialect of rules/README.  Each pattern is kept on
 *	its own: its literals rule out most texts before a match is run
 *	(litscan.h), which one alternation of all would defeat.  So the
 *	literals of every directive's patterns go into one automaton
 *	(l->scan), each pattern's tag its own, which the look-ups of
 *	fmt_fb.h run once over a notice.  It compiles the language-neutral
 *	patterns too (a mail system's From, a reply's Subject, an SMTP
 *	reply, a header line).  A missing lang/ directory leaves t->lang
 *	NULL (no fallback); a broken file is "FILE:LINE: message".
 *
 *	fmt_lang_free() frees what fmt_lang_load() made; NULL is allowed.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt_fb.h"
#include "rulefile.h"
#include "vocab.h"

#define LANG_MAX_FILES	64

static const char *const ld_name[LD_N] = {
	"fail", "delay", "final", "rcpt", "subject", "original", "challenge"
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
lang_file(struct fmt_lang *l, const struct vocab *vocab, const char *dir,
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
			if (*pat == '\0' || !reason_known(vocab, arg)) {
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
 * Is one of a pattern's literals too common to tell texts apart?  A
 * literal of fewer than LD_LIT_MIN bytes other than blanks (" ", ":",
 * " to", "no ": what is left of a phrase of another script, whose
 * non-ASCII letters end a literal) is in nearly every notice: in the
 * automaton it rules nothing out and stops it at every occurrence.
 */
#define LD_LIT_MIN	3

static int
lits_weak(const struct rxlit *lits)
{
	unsigned j;
	size_t k, solid;

	for (j = 0; j < lits->n; j++) {
		for (k = solid = 0; k < lits->len[j]; k++)
			if (lits->s[j][k] != ' ')
				solid++;
		if (solid < LD_LIT_MIN)
			return (1);
	}
	return (0);
}

/*
 * The automaton of every directive's literals (l->scan): a pattern whose
 * literals are not in a text cannot match it nor any part of it.  A
 * pattern without literals, or with a weak one (lits_weak()), has no
 * tag of its own: when every match of it holds a non-ASCII character it
 * shares l->hightag, which ld_cover() sets when the text has a byte past
 * ASCII; else it is always tried (LD_NOTAG).  More patterns than
 * LD_TAGS_MAX leave it NULL (each pattern then looks for its own
 * literals).  -1 when memory ran out.
 */
static int
lang_scan(struct fmt_lang *l)
{
	const struct rxlit *lits;
	size_t i, total = 0, nlit = 0;
	unsigned j;
	int d;

	l->hightag = LD_NOTAG;
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
			if (lits->n == 0 || lits_weak(lits)) {
				if (lits->high) {
					if (l->hightag == LD_NOTAG)
						l->hightag = l->ntags++;
					l->tag[d][i] = l->hightag;
				} else {
					l->tag[d][i] = LD_NOTAG;
					l->always[d] = 1;
				}
				continue;
			}
			l->tag[d][i] = l->ntags;
			for (j = 0; j < lits->n; j++)
				if (litscan_add(l->scan, lits->s[j],
				    lits->len[j], l->ntags) == -1)
					return (-1);
			l->ntags++;
			nlit++;
		}
	}
	if (nlit == 0) {
		/* no automaton: every pattern is tried */
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
fmt_lang_load(struct format_table *t, const struct vocab *vocab,
    const char *rdir, char *err, size_t errlen)
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
		if (lang_file(l, vocab, dir, names[i], err, errlen) == -1)
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
