/*
 * fmt_fb.h - what the fallback's files share (private to milter/decode)
 *
 * SYNOPSIS
 *	#include "fmt_fb.h"
 *
 *	struct fmt_lang; struct fb;
 *	ctx_lang(), rx_line(), ld_cover(), ld_may(), ld_find(),
 *	ld_find_cov(), ld_match(), ld_phrase(), fb_init()	static inline,
 *	below
 *
 *	The fallback's files and their functions:
 *	fmt_lang.c	fmt_lang_load(), fmt_lang_free() (fmt.h)
 *	fmt_notice.c	fmt_notice_len(); fmt_delay_notice(), fmt_challenge()
 *			(fmt.h)
 *	fmt_fbaddr.c	fmt_fb_next_addr(), fmt_fb_hdr_addr(), fmt_fb_add(),
 *			fmt_fb_list_item(), fmt_fb_item_cont(), fmt_fb_para(),
 *			fmt_fb_read_list()
 *	fmt_fallback.c	fmt_fallback_parse(), fmt_fallback_headers() (fmt.h)
 *
 * DESCRIPTION
 *	struct fmt_lang: the phrases of rules/lang/ (fmt_lang.c loads them),
 *	one list of patterns a directive (LD_FAIL ...), the `hint` list,
 *	the language-neutral patterns, and the automaton of the patterns'
 *	literals (l->scan, litscan.h) with each pattern's tag.  struct fb:
 *	one fallback run over one notice (fmt_fallback.c, fmt_fbaddr.c,
 *	fmt_notice.c).
 *
 *	The phrase look-ups, static inline here because they run on every
 *	line of a notice: ld_cover() runs the automaton over a text and
 *	says which patterns may match in it (or any part of it); ld_may()
 *	whether a pattern of a directive may match where a cover was made;
 *	ld_find() whether a pattern of a directive matches a text (only
 *	those the cover allows; all of them without one); ld_find_cov()
 *	the same on the very text the cover was made of, without looking
 *	for the literals again; ld_match() the same without a cover;
 *	ld_phrase() a failure or delay phrase.
 *	rx_line() matches a pattern that may be NULL; ctx_lang() is the
 *	loaded phrases of a message's rules, or NULL; fb_init() starts a
 *	struct fb over a message's notice.
 */
#ifndef FMT_FB_H
#define FMT_FB_H

#include <string.h>

#include "fmt.h"
#include "litscan.h"

#define FB_MAX_LINES	4000	/* notice lines looked at */
#define FB_NOTICE_MAX	(16u * 1024)	/* bytes of text a notice may take:
					   the phrases come first */
#define FB_PAD		16	/* zero bytes after a subject we make */
#define LD_TAGS_MAX	1024	/* patterns with literals the scan takes */
#define LD_NOTAG	((unsigned)-1)	/* a pattern without literals */

enum { LD_FAIL, LD_DELAY, LD_FINAL, LD_RCPT, LD_SUBJECT, LD_ORIGINAL,
	LD_CHALLENGE, LD_N };

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
	int		 always[LD_N];	/* a pattern of d is always tried */
	unsigned	 ntags;
	unsigned	 hightag;	/* set by ld_cover() on a text with a
					   byte past ASCII, or LD_NOTAG */
};

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

static inline const struct fmt_lang *
ctx_lang(const struct fmt_ctx *c)
{
	if (c->rules == NULL || c->rules->formats == NULL)
		return (NULL);
	return (c->rules->formats->lang);
}

static inline int
rx_line(const struct fmt_rx *rx, const char *s, size_t n)
{
	return (rx != NULL && fmt_rx_match(rx, s, n, NULL));
}

/*
 * The patterns whose literals occur in s[0..n) (hit[tag] set), for
 * ld_find() on s or on any part of it; NULL when there is no scan.
 */
static inline const unsigned char *
ld_cover(const struct fmt_lang *l, const char *s, size_t n,
    unsigned char hit[LD_TAGS_MAX])
{
	if (l->scan == NULL)
		return (NULL);
	memset(hit, 0, l->ntags);
	litscan_run(l->scan, s, n, hit);
	if (l->hightag != LD_NOTAG)
		hit[l->hightag] = (unsigned char)rxlit_high(s, n);
	return (hit);
}

/* May a pattern of directive d match where cover hit was made? */
static inline int
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
static inline int
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

/*
 * ld_find() on the very text that hit was made of (ld_cover() of
 * s[0..n)): a pattern whose tag is set holds one of its literals there,
 * so it is matched without searching for them again (the automaton and
 * rxlit_find() compare the same way, ASCII case ignored).
 */
static inline int
ld_find_cov(const struct fmt_lang *l, int d, const char *s, size_t n,
    const unsigned char *hit)
{
	const struct fmt_rxv *v = &l->rx[d];
	size_t i;

	if (hit == NULL)
		return (fmt_rxv_any(v, s, n, NULL, NULL));
	for (i = 0; i < v->n; i++)
		if (l->tag[d][i] == LD_NOTAG ? fmt_rx_match(v->v[i], s, n,
		    NULL) : hit[l->tag[d][i]] && fmt_rx_match_raw(v->v[i], s,
		    n, NULL))
			return (1);
	return (0);
}

static inline int
ld_match(const struct fmt_lang *l, int d, const char *s, size_t n)
{
	return (ld_find(l, d, s, n, NULL, NULL));
}

/* A failure or delay phrase in s[0..n)?  hit: as ld_find(). */
static inline int
ld_phrase(const struct fmt_lang *l, const char *s, size_t n,
    const unsigned char *hit)
{
	return (ld_find(l, LD_FAIL, s, n, hit, NULL) ||
	    ld_find(l, LD_DELAY, s, n, hit, NULL));
}

/*
 * f made ready for a run over c's notice: zeroed, its c and l set, and
 * f->hit the ld_cover() of the notice's text (c->text up to
 * FB_NOTICE_MAX) when cover is set, else NULL (every pattern is tried).
 */
static inline void
fb_init(struct fb *f, struct fmt_ctx *c, const struct fmt_lang *l, int cover)
{
	memset(f, 0, sizeof(*f));
	f->c = c;
	f->l = l;
	if (cover)
		f->hit = ld_cover(l, c->text, c->textlen < FB_NOTICE_MAX ?
		    c->textlen : FB_NOTICE_MAX, f->hitbuf);
}

/* fmt_notice.c */
size_t	 fmt_notice_len(const struct fb *, int *);

/* fmt_fbaddr.c */
int	 fmt_fb_next_addr(const char *, size_t, size_t *, const char **,
	    size_t *);
char	*fmt_fb_hdr_addr(struct fmt_ctx *, const char *);
int	 fmt_fb_add(struct fb *, const char *, size_t, const char *,
	    const char *, size_t, const char *, size_t);
int	 fmt_fb_list_item(const struct fb *, const char *, size_t, int,
	    const char **, size_t *, size_t *, const char **);
void	 fmt_fb_item_cont(const struct fb *, const char **, const char *,
	    const char **, size_t *);
void	 fmt_fb_para(const char **, const char *, const char **, size_t *);
int	 fmt_fb_read_list(struct fb *, const char **, const char *, int,
	    const char *, size_t);

#endif
