/*
 * litscan.h - many literal phrases found in one pass (Aho-Corasick)
 *
 * SYNOPSIS
 *	struct litscan *litscan_new(void);
 *	int	litscan_add(struct litscan *ls, const char *lit, size_t n,
 *		    unsigned tag);
 *	int	litscan_build(struct litscan *ls);
 *	unsigned litscan_ntags(const struct litscan *ls);
 *	void	litscan_run(const struct litscan *ls, const char *s, size_t n,
 *		    unsigned char *hit);
 *	void	litscan_free(struct litscan *ls);
 *
 *	size_t	rx_required_literal(const char *pat, size_t len, int utf,
 *		    char *out, size_t outlen);
 *	size_t	lit_anchor(const char *lit, size_t litlen);
 *	int	lit_find_ci(const char *s, size_t n, const char *lit,
 *		    size_t litlen, size_t anchor);
 *
 * DESCRIPTION
 *	A litscan holds literal phrases, each with a tag (a small number;
 *	several phrases may share one).  After litscan_build(),
 *	litscan_run() sets hit[tag] to 1 for every tag one of whose phrases
 *	occurs in s[0..n), comparing ASCII letters without regard to case
 *	(other bytes exactly); hit must have litscan_ntags() bytes and is
 *	not cleared first.  The time is linear in n plus the hits, whatever
 *	the number of phrases: this is what replaces running a long
 *	alternation of phrases, or many patterns, over the same text.
 *	litscan_add() and litscan_build() return 0, or -1 when memory ran out.
 *
 *	rx_required_literal() looks at the source of a PCRE2 pattern and
 *	writes into out (lower case, not NUL-terminated) the longest run of
 *	literal characters that every match of the pattern must contain,
 *	and returns its length; 0 when it finds none it can vouch for (a
 *	top-level alternation, an extended-mode option, an escape it does
 *	not know).  It errs on the safe side: a shorter literal, or none.
 *	With utf set (the pattern is compiled in UTF mode, where caseless
 *	matching folds beyond ASCII: K and the Kelvin sign, s and the long
 *	s), non-ASCII bytes and the letters k and s end a run.  The result
 *	is a necessary condition: when out[0..len) does not occur in a
 *	text (ignoring ASCII case), the pattern cannot match it.
 *
 *	lit_find_ci() tells whether lit occurs in s[0..n), ASCII case
 *	ignored (lit in lower case).  It looks for the byte at anchor
 *	first (memchr), best the rarest one: lit_anchor() picks it.
 */
#ifndef LITSCAN_H
#define LITSCAN_H

#include <stddef.h>

struct litscan;

struct litscan *litscan_new(void);
int	 litscan_add(struct litscan *, const char *, size_t, unsigned);
int	 litscan_build(struct litscan *);
unsigned litscan_ntags(const struct litscan *);
void	 litscan_run(const struct litscan *, const char *, size_t,
	    unsigned char *);
void	 litscan_free(struct litscan *);

size_t	 rx_required_literal(const char *, size_t, int, char *, size_t);
size_t	 lit_anchor(const char *, size_t);
int	 lit_find_ci(const char *, size_t, const char *, size_t, size_t);

#endif
