/*
 * rxlit.c - the literals every match of a PCRE2 pattern must contain
 *
 * SYNOPSIS
 *	int	rx_literals(const char *pat, size_t len, int flags,
 *		    struct rxlit *out);
 *	int	rxlit_find(const struct rxlit *l, const char *s, size_t n);
 *	int	rxlit_high(const char *s, size_t n);
 *
 * DESCRIPTION
 *	See litscan.h.  rx_literals() reads a PCRE2 pattern source branch
 *	by branch: classes and most groups are skipped whole (they end a
 *	run), a group that matches its content once is looked into, a
 *	quantifier that allows zero takes back the character before it,
 *	and anything it does not know makes it give up; it also sets
 *	out->high when every match holds a non-ASCII byte (needs_high()).
 *	rxlit_find() looks for the literals with lit_find_ci() (litscan.c);
 *	rxlit_high() tells whether a text holds a byte >= 0x80.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "litscan.h"

/* ---- required literal of a pattern ---------------------------------- */

static int
is_alnum(int c)
{
	return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'));
}

/* Skip a character class at p[i] == '['; returns the index after it. */
static size_t
skip_class(const char *p, size_t len, size_t i)
{
	i++;
	if (i < len && p[i] == '^')
		i++;
	if (i < len && p[i] == ']')	/* a leading ] is literal */
		i++;
	while (i < len && p[i] != ']') {
		if (p[i] == '\\' && i + 1 < len)
			i += 2;
		else if (p[i] == '[' && i + 1 < len && p[i + 1] == ':') {
			const char *e = NULL;
			size_t k;

			for (k = i + 2; k + 1 < len; k++)
				if (p[k] == ':' && p[k + 1] == ']') {
					e = p + k;
					break;
				}
			i = e != NULL ? (size_t)(e - p) + 2 : i + 1;
		} else
			i++;
	}
	return (i < len ? i + 1 : len + 1);	/* len + 1: unterminated */
}

/* Skip a group at p[i] == '('; returns the index after it. */
static size_t
skip_group(const char *p, size_t len, size_t i)
{
	int depth = 0;

	while (i < len) {
		if (p[i] == '\\') {
			if (i + 1 < len && p[i + 1] == 'Q')
				return (len + 1);	/* give up */
			i += 2;
		} else if (p[i] == '[')
			i = skip_class(p, len, i);
		else if (p[i] == '(') {
			depth++;
			i++;
		} else if (p[i] == ')') {
			i++;
			if (--depth == 0)
				return (i);
		} else
			i++;
	}
	return (len + 1);
}

/* A quantifier {n}, {n,}, {n,m} at p[i]: its length, else 0. */
static size_t
quant_len(const char *p, size_t len, size_t i)
{
	size_t k = i + 1;

	while (k < len && ((p[k] >= '0' && p[k] <= '9') || p[k] == ','))
		k++;
	if (k < len && p[k] == '}' && k > i + 1 &&
	    p[i + 1] >= '0' && p[i + 1] <= '9')
		return (k + 1 - i);
	return (0);
}

/*
 * The end of the branch that starts at p[i] among the alternatives of
 * p[0..len): the index of the next '|' outside groups and classes, or
 * len; more than len when a group or class is not closed.
 */
static size_t
branch_end(const char *p, size_t len, size_t i)
{
	while (i < len && p[i] != '|') {
		if (p[i] == '\\')
			i += 2;
		else if (p[i] == '(')
			i = skip_group(p, len, i);
		else if (p[i] == '[')
			i = skip_class(p, len, i);
		else
			i++;
	}
	return (i);
}

struct run {
	char	*out;
	size_t	 outlen, best;
	char	 cur[256];
	size_t	 n;
};

static void
run_end(struct run *r)
{
	size_t m = r->n < r->outlen ? r->n : r->outlen;	/* a part will do */

	if (m > r->best) {
		memcpy(r->out, r->cur, m);
		r->best = m;
	}
	r->n = 0;
}

static void
run_add(struct run *r, int c)
{
	if (r->n == sizeof(r->cur))
		run_end(r);
	r->cur[r->n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
}

/*
 * The longest literal run of one top-level branch p[0..len) (no top-level
 * '|' in it), written to out; 0 when none.  With utf set non-ASCII bytes
 * end a run, with ci set also k and s (caseless UTF matching folds them
 * with non-ASCII characters).
 */
/*
 * Where the content of the group p[i] == '(' .. p[j - 1] == ')' starts,
 * for the groups that match their content once, as it stands: plain,
 * (?:...) and named ones; 0 for any other kind (lookaround, atomic,
 * conditional, a verb, an option setting).
 */
static size_t
group_inner(const char *p, size_t i, size_t j)
{
	size_t k;
	char close;

	if (p[i + 1] != '?')
		return (p[i + 1] == '*' ? 0 : i + 1);
	if (p[i + 2] == ':')
		return (i + 3);
	if (p[i + 2] == '<' && p[i + 3] != '=' && p[i + 3] != '!')
		k = i + 3, close = '>';
	else if (p[i + 2] == 'P' && p[i + 3] == '<')
		k = i + 4, close = '>';
	else if (p[i + 2] == '\'')
		k = i + 3, close = '\'';
	else
		return (0);
	for (; k < j - 1; k++)
		if (p[k] == close)
			return (k + 1);
		else if (!is_alnum((unsigned char)p[k]) && p[k] != '_')
			return (0);
	return (0);
}

static size_t
branch_literal(const char *p, size_t len, int utf, int ci, char *out,
    size_t outlen, int depth)
{
	struct run r;
	size_t i = 0, q, k, j, in, m;
	int c;

	memset(&r, 0, sizeof(r));
	r.out = out;
	r.outlen = outlen;
	while (i < len) {
		c = (unsigned char)p[i];
		switch (c) {
		case '|':
			return (0);
		case ')':
			return (0);
		case '(':
			/* (?x) at the top level changes the rest: give up */
			if (i + 1 < len && p[i + 1] == '?') {
				for (k = i + 2; k < len && (is_alnum(
				    (unsigned char)p[k]) || p[k] == '-' ||
				    p[k] == '^'); k++)
					if (p[k] == 'x' || p[k] == 'n')
						return (0);
				if (k < len && p[k] == ')' && k > i + 2) {
					run_end(&r);
					i = k + 1;
					break;
				}
			}
			if ((j = skip_group(p, len, i)) > len)
				return (0);
			run_end(&r);
			/* a group matched once: what it must contain counts */
			if (depth < 8 && (in = group_inner(p, i, j)) != 0 &&
			    in < j && !(j < len && (p[j] == '*' ||
			    p[j] == '?' || p[j] == '{')) &&
			    (m = branch_literal(p + in, j - 1 - in, utf, ci,
			    r.cur, r.outlen, depth + 1)) > r.best) {
				memcpy(r.out, r.cur, m);
				r.best = m;
			}
			i = j;
			break;
		case '[':
			if ((i = skip_class(p, len, i)) > len)
				return (0);
			run_end(&r);
			break;
		case '*':
		case '?':
			if (r.n > 0)
				r.n--;
			run_end(&r);
			i++;
			break;
		case '+':
			run_end(&r);
			i++;
			break;
		case '{':
			if (r.n > 0)
				r.n--;
			run_end(&r);
			q = quant_len(p, len, i);
			i += q > 0 ? q : 1;
			break;
		case '.':
		case '^':
		case '$':
		case '}':
		case ']':
			run_end(&r);
			i++;
			break;
		case '\\':
			if (i + 1 >= len)
				return (0);
			c = (unsigned char)p[i + 1];
			if (c >= 0x80)
				return (0);
			if (!is_alnum(c)) {
				run_add(&r, c);
				i += 2;
				break;
			}
			/* escapes of one item without arguments */
			if (strchr("dDwWsSbBhHvVRnrtfeaAzZGKXN", c) == NULL ||
			    (c == 'N' && i + 2 < len && p[i + 2] == '{'))
				return (0);
			run_end(&r);
			i += 2;
			break;
		default:
			if ((utf && c >= 0x80) || (ci && (c == 'k' ||
			    c == 'K' || c == 's' || c == 'S'))) {
				run_end(&r);
				i++;
				break;
			}
			run_add(&r, c);
			i++;
			break;
		}
	}
	run_end(&r);
	return (r.best);
}

/*
 * Option settings anywhere in the pattern: -1 when one asks for extended
 * mode (white space and # no longer literal) or no auto capture, else 1
 * when one turns on caseless matching, else 0.
 */
static int
options(const char *p, size_t len)
{
	size_t i, k;
	int ci = 0;

	for (i = 0; i + 1 < len; i++) {
		if (p[i] == '\\') {
			i++;
			continue;
		}
		if (p[i] != '(' || p[i + 1] != '?')
			continue;
		for (k = i + 2; k < len && (is_alnum((unsigned char)p[k]) ||
		    p[k] == '-' || p[k] == '^'); k++) {
			if (p[k] == 'x' || p[k] == 'n')
				return (-1);
			if (p[k] == 'i')
				ci = 1;
		}
	}
	return (ci);
}

/*
 * Does every match of p[0..len) hold a byte >= 0x80?  Yes when each
 * top-level branch has, outside classes, escapes and optional items, a
 * non-ASCII character (a byte that is none, read as literal, in byte
 * mode), or a group matched once whose every branch has one.  The
 * Kelvin sign and the long s do not count: caseless UTF matching takes
 * them for k and s; nor do the Turkish dotted and dotless i (Turkish
 * casing would take them for i).  Every other character folds only with
 * non-ASCII ones.  Errs on the side of no.
 */
static int
needs_high(const char *p, size_t len, int depth)
{
	size_t i = 0, j, k, in;
	int branch = 0;

	for (;;) {
		if (i >= len || p[i] == '|') {
			if (!branch)
				return (0);
			if (i >= len)
				return (1);
			branch = 0;
			i++;
			continue;
		}
		switch (p[i]) {
		case '\\':
			if (i + 1 < len && (p[i + 1] == 'Q' || p[i + 1] == 'E'))
				return (0);
			i += 2;
			break;
		case '[':
			if ((i = skip_class(p, len, i)) > len)
				return (0);
			break;
		case '(':
			if ((j = skip_group(p, len, i)) > len)
				return (0);
			if (!branch && depth < 8 && (in = group_inner(p, i, j)) !=
			    0 && in < j && !(j < len && (p[j] == '*' ||
			    p[j] == '?' || p[j] == '{')) &&
			    needs_high(p + in, j - 1 - in, depth + 1))
				branch = 1;
			i = j;
			break;
		default:
			if ((unsigned char)p[i] < 0x80) {
				i++;
				break;
			}
			/* one character: the lead byte and its continuations */
			for (j = i + 1; j < len &&
			    ((unsigned char)p[j] & 0xc0) == 0x80; j++)
				;
			k = j - i;
			if (!(j < len && (p[j] == '*' || p[j] == '?' ||
			    p[j] == '{')) &&
			    !(k == 2 && memcmp(p + i, "\xc5\xbf", 2) == 0) &&
			    !(k == 3 && memcmp(p + i, "\xe2\x84\xaa", 3) == 0) &&
			    !(k == 2 && (unsigned char)p[i] == 0xc4 &&
			    ((unsigned char)p[i + 1] & 0xfe) == 0xb0))
				branch = 1;
			i = j;
			break;
		}
	}
}

/*
 * A branch whose longest literal is short (" " between two groups, as in
 * "(spf|dkim) (or|and) ...") is in nearly every text.  Every match of
 * the branch also matches, once, each group of it that is neither
 * optional nor repeated: when every alternative of such a group has a
 * literal, one of them is in every match.  branch_group() adds the
 * literals of the group whose shortest one is longest, when that is
 * longer than have bytes and there are room of them at most: their
 * number, else 0.
 */
#define RXL_GROUP_BELOW	4	/* a branch literal shorter looks further */
#define RXL_ALTS	8	/* alternatives of a group looked at */

static size_t
branch_group(const char *p, size_t len, int utf, int ci, size_t have,
    size_t room, struct rxlit *out)
{
	char lit[RXL_ALTS][RXLIT_LEN];
	size_t len_of[RXL_ALTS], best_len[RXL_ALTS];
	char best[RXL_ALTS][RXLIT_LEN];
	size_t i = 0, j, in, a, k, e = 0, nalt, least, best_least = have;
	size_t nbest = 0;

	while (i < len) {
		if (p[i] == '\\') {
			i += 2;
			continue;
		}
		if (p[i] == '[') {
			i = skip_class(p, len, i);
			continue;
		}
		if (p[i] != '(') {
			i++;
			continue;
		}
		if ((j = skip_group(p, len, i)) > len)
			return (0);
		in = group_inner(p, i, j);
		if (in == 0 || in >= j || (j < len && (p[j] == '*' ||
		    p[j] == '?' || p[j] == '{'))) {
			i = j;
			continue;
		}
		/* the group's alternatives p[a..e), each with a literal */
		nalt = 0;
		least = SIZE_MAX;
		for (a = in; least > best_least; a = e + 1) {
			if ((e = branch_end(p, j - 1, a)) > j - 1 ||
			    nalt == RXL_ALTS || (len_of[nalt] = branch_literal(
			    p + a, e - a, utf, ci, lit[nalt], RXLIT_LEN, 1)) ==
			    0) {
				least = 0;
				break;
			}
			if (len_of[nalt] < least)
				least = len_of[nalt];
			nalt++;
			if (e == j - 1)
				break;
		}
		if (nalt > 1 && least > best_least && nalt <= room) {
			best_least = least;
			nbest = nalt;
			memcpy(best, lit, sizeof(lit));
			memcpy(best_len, len_of, sizeof(len_of));
		}
		i = j;
	}
	for (k = 0; k < nbest; k++) {
		memcpy(out->s[out->n], best[k], best_len[k]);
		out->len[out->n] = best_len[k];
		out->anchor[out->n] = lit_anchor(out->s[out->n], best_len[k]);
		out->n++;
	}
	return (nbest);
}

int
rx_literals(const char *p, size_t len, int flags, struct rxlit *out)
{
	size_t i = 0, start = 0, n, nb;
	int ci, utf = (flags & RXL_UTF) != 0;

	out->n = 0;
	out->high = 0;
	if ((ci = options(p, len)) == -1)
		return (0);
	out->high = needs_high(p, len, 0);
	if (flags & RXL_CASELESS)
		ci = 1;
	/* only UTF folds beyond ASCII; RXL_FOLDSAFE: the caller takes care */
	ci = ci && utf && !(flags & RXL_FOLDSAFE);
	/* the top-level branches, each of which needs one literal at least */
	for (nb = 1; (i = branch_end(p, len, i)) < len; i++)
		nb++;
	i = 0;
	for (;;) {
		i = branch_end(p, len, i);	/* the end of this branch */
		if (i > len || out->n == RXLIT_MAX)
			return (out->n = 0);
		n = branch_literal(p + start, i - start, utf, ci,
		    out->s[out->n], sizeof(out->s[0]), 0);
		if (n == 0)
			return (out->n = 0);
		nb--;	/* the branches after this one */
		if (n < RXL_GROUP_BELOW && nb < RXLIT_MAX - out->n &&
		    branch_group(p + start, i - start, utf, ci, n,
		    RXLIT_MAX - out->n - nb, out) > 0)
			;	/* a group's alternatives, each longer */
		else {
			out->len[out->n] = n;
			out->anchor[out->n] = lit_anchor(out->s[out->n], n);
			out->n++;
		}
		if (i >= len)
			break;
		start = ++i;
	}
	return ((int)out->n);
}

int
rxlit_high(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint64_t w;
	size_t i = 0;

	for (; n - i >= 8; i += 8) {
		memcpy(&w, u + i, 8);
		if (w & 0x8080808080808080ULL)
			return (1);
	}
	for (; i < n; i++)
		if (u[i] >= 0x80)
			return (1);
	return (0);
}

int
rxlit_find(const struct rxlit *l, const char *s, size_t n)
{
	unsigned i;

	if (l->n == 0)
		return (1);
	for (i = 0; i < l->n; i++)
		if (lit_find_ci(s, n, l->s[i], l->len[i], l->anchor[i]))
			return (1);
	return (0);
}
