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
 *	int	rx_literals(const char *pat, size_t len, int flags,
 *		    struct rxlit *out);
 *	int	rxlit_find(const struct rxlit *l, const char *s, size_t n);
 *	int	rxlit_high(const char *s, size_t n);
 *	size_t	lit_anchor(const char *lit, size_t litlen);
 *	int	lit_find_ci(const char *s, size_t n, const char *lit,
 *		    size_t litlen, size_t anchor);
 *	size_t	lit_pos_ci(const char *s, size_t n, const char *lit,
 *		    size_t litlen, size_t anchor);
 *	int	lit_ksfold(const char *s, size_t n);
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
 *	rx_literals() looks at the source of a PCRE2 pattern and finds
 *	literals (lower case) one of which every match must contain: for
 *	each top-level branch the longest run of literal characters that
 *	every match of the branch holds.  It returns their number (at most
 *	RXLIT_MAX), 0 when it finds none it can vouch for (a branch without
 *	one, an extended-mode option, an escape it does not know).  It errs
 *	on the safe side: shorter literals, or none.  flags: RXL_UTF, the
 *	pattern is compiled in UTF mode (non-ASCII bytes end a run, and
 *	when it is caseless, (?i) or RXL_CASELESS, the letters k and s too:
 *	caseless UTF matching folds them with the Kelvin sign and the long
 *	s; RXL_FOLDSAFE keeps k and s: the caller then skips the literals
 *	for a text where lit_ksfold() is 1).  The result is a necessary
 *	condition: when none of the literals occurs in a text (ignoring
 *	ASCII case), the pattern cannot match it.
 *	rxlit_find() tells whether one of them occurs in s[0..n) (1 when
 *	there are none: nothing is known).  rx_literals() also sets
 *	out->high when every match of the pattern holds a byte >= 0x80
 *	(each branch needs a non-ASCII character other than the Kelvin sign
 *	and the long s, which fold with k and s): such a pattern cannot
 *	match a text for which rxlit_high() is 0 (ASCII only), whether or
 *	not it has literals.
 *
 *	lit_find_ci() tells whether lit occurs in s[0..n), ASCII case
 *	ignored (lit in lower case).  It looks for the byte at anchor
 *	first (memchr), best the rarest one: lit_anchor() picks it.
 *	lit_pos_ci() is the same search, returning the offset of the first
 *	occurrence, or LIT_NONE.
 *
 *	lit_ksfold() tells whether s[0..n) holds the Kelvin sign (U+212A)
 *	or the long s (U+017F) in UTF-8: the only characters caseless UTF
 *	matching takes for an ASCII letter (k, s).
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

#define RXLIT_MAX	32	/* top-level branches */
#define RXLIT_LEN	32	/* longest literal kept */
#define RXL_UTF		0x01
#define RXL_CASELESS	0x02
#define RXL_FOLDSAFE	0x04

struct rxlit {
	unsigned	 n;
	int		 high;		/* every match holds a byte >= 0x80 */
	size_t		 len[RXLIT_MAX], anchor[RXLIT_MAX];
	char		 s[RXLIT_MAX][RXLIT_LEN];
};

int	 rx_literals(const char *, size_t, int, struct rxlit *);
int	 rxlit_find(const struct rxlit *, const char *, size_t);
int	 rxlit_high(const char *, size_t);
size_t	 lit_anchor(const char *, size_t);
int	 lit_find_ci(const char *, size_t, const char *, size_t, size_t);
#define LIT_NONE	((size_t)-1)
size_t	 lit_pos_ci(const char *, size_t, const char *, size_t, size_t);
int	 lit_ksfold(const char *, size_t);

#endif
