/*
 * fmt_notice.c - where a notice ends, and the delay and challenge checks
 *
 * SYNOPSIS
 *	#include "fmt_fb.h"
 *
 *	size_t	fmt_notice_len(const struct fb *f, int *quoted);
 *	int	fmt_delay_notice(struct fmt_ctx *c);
 *	int	fmt_challenge(struct fmt_ctx *c);
 *
 * DESCRIPTION
 *	fmt_notice_len() is the length of the notice in f->c->text (at most
 *	FB_NOTICE_MAX bytes): up to the first line that starts a quoted
 *	original (an `original` phrase, or a block of header lines), when
 *	*quoted is set, else the text looked at.  f->l and f->hit (an
 *	ld_cover() of the text, or NULL) are read.
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
#include <string.h>

#include "fmt_fb.h"

#define FB_DELAY_HEAD	1024	/* a delay warning says so within */

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

size_t
fmt_notice_len(const struct fb *f, int *quoted)
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
	if (!ld_find_cov(l, LD_DELAY, c->text, n, ld_cover(l, c->text, n,
	    hit)))
		return (0);
	fb_init(&f, c, l, 1);
	f.region = c->text;
	f.regionlen = fmt_notice_len(&f, &quoted);
	return (ld_find(l, LD_DELAY, f.region, f.regionlen, f.hit, NULL) &&
	    !ld_find(l, LD_FINAL, f.region, f.regionlen, f.hit, NULL) &&
	    !ld_find(l, LD_FAIL, f.region, f.regionlen, f.hit, NULL));
}
