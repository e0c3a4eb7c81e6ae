/*
 * litscan.c - many literal phrases found in one pass; see litscan.h
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
 *	size_t	lit_anchor(const char *lit, size_t litlen);
 *	int	lit_find_ci(const char *s, size_t n, const char *lit,
 *		    size_t litlen, size_t anchor);
 *	size_t	lit_pos_ci(const char *s, size_t n, const char *lit,
 *		    size_t litlen, size_t anchor);
 *	int	lit_ksfold(const char *s, size_t n);
 *
 * DESCRIPTION
 *	An Aho-Corasick automaton over ASCII-folded bytes: a trie of the
 *	phrases, each node's failure link (the longest proper suffix of its
 *	path that is also a path), and an output link (the nearest node on
 *	the failure chain that ends a phrase).  The root has a full table;
 *	other nodes keep their edges in one sorted run of two arrays.
 *
 *	lit_find_ci() and lit_pos_ci() look for one literal, its rarest
 *	byte first.  The literals a PCRE2 pattern needs (rx_literals()) are
 *	found by rxlit.c.
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "litscan.h"

#define LS_NONE	UINT32_MAX

struct ls_edge {			/* build time: a linked list */
	uint32_t	 to, next;
	unsigned char	 c;
};

struct ls_tag {
	uint32_t	 tag, next;
};

/* Run time: one node in one place (few cache lines per byte scanned). */
struct ls_node {
	uint32_t	 fail;
	uint32_t	 olink;		/* next node with tags on the fail chain */
	uint32_t	 tags;		/* first tag entry, or LS_NONE */
	uint32_t	 edge;		/* first edge in ec/et */
	uint32_t	 to1;		/* the child, when there is one only */
	uint16_t	 nedge;
	unsigned char	 c1;
	unsigned char	 emit;		/* tags here or on the fail chain */
};

struct litscan {
	struct ls_node	*nd;		/* run time */
	/* per node, build time */
	uint32_t	*first;		/* build: first edge; run: edge start */
	uint32_t	*nedge;		/* run: number of edges */
	uint32_t	*fail, *olink, *tags;
	size_t		 nnode, capnode;
	/* build-time edges, run-time sorted edges */
	struct ls_edge	*e;
	size_t		 ne, cape;
	unsigned char	*ec;		/* run: edge bytes */
	uint32_t	*et;		/* run: edge targets */
	struct ls_tag	*t;
	size_t		 nt, capt;
	uint32_t	 root[256];
	unsigned	 ntags;
	int		 built;
	/*
	 * run: every move at once (dfa_build()) for the nrow shallowest
	 * nodes, or NULL.  A state is where its row starts in delta (row *
	 * ncls), or for the deeper nodes, whose moves follow the links, the
	 * node number with LS_SLOW set; LS_EMIT on a state in delta says
	 * the node has tags, its own or on its failure chain.
	 */
	uint32_t	*delta;		/* [row * ncls + class]: state */
	uint32_t	*row;		/* [node]: its row, or LS_NONE */
	uint32_t	*rownode;	/* [row]: its node */
	uint32_t	 nrow;
	unsigned	 ncls;
	unsigned char	 cls[256];	/* byte -> class, 0: in no phrase */
};

#define LS_SLOW		0x80000000u
#define LS_EMIT		0x40000000u
#define LS_NODE		0x3fffffffu

/*
 * An automaton whose move table fits LS_DFA_MAX gets rows for all its
 * nodes; a bigger one rows for its shallowest nodes only, LS_DFA_PART
 * worth: text keeps the automaton near the root most of the time, and a
 * table for every node of the reason phrases (22k nodes, 5 MB) took
 * fewer instructions but more CPU time, its rows out of cache.
 */
#define LS_DFA_MAX	(256u << 10)
#define LS_DFA_PART	(64u << 10)

/* ASCII upper case to lower case, every other byte as it is. */
static const unsigned char fold_tab[256] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f,
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
	0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
	0x40, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
	0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
	0x78, 0x79, 0x7a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
	0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
	0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
	0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
	0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
	0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
	0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7,
	0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf,
	0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7,
	0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf,
	0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7,
	0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
	0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7,
	0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
	0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
	0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
};

static const unsigned char *
fold_table(void)
{
	return (fold_tab);
}

static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
	void *np;
	size_t nc;

	if (need <= *cap)
		return (0);
	nc = *cap ? *cap * 2 : 64;
	while (nc < need)
		nc *= 2;
	if ((np = realloc(*p, nc * size)) == NULL)
		return (-1);
	*p = np;
	*cap = nc;
	return (0);
}

static uint32_t
node_new(struct litscan *ls)
{
	size_t c = ls->capnode;

	if (ls->nnode + 1 > c) {
		size_t c1 = c, c2 = c, c3 = c, c4 = c, c5 = c;

		if (grow((void **)&ls->first, &c1, ls->nnode + 1,
		    sizeof(uint32_t)) == -1 ||
		    grow((void **)&ls->nedge, &c2, ls->nnode + 1,
		    sizeof(uint32_t)) == -1 ||
		    grow((void **)&ls->fail, &c3, ls->nnode + 1,
		    sizeof(uint32_t)) == -1 ||
		    grow((void **)&ls->olink, &c4, ls->nnode + 1,
		    sizeof(uint32_t)) == -1 ||
		    grow((void **)&ls->tags, &c5, ls->nnode + 1,
		    sizeof(uint32_t)) == -1)
			return (LS_NONE);
		ls->capnode = c1;
	}
	ls->first[ls->nnode] = LS_NONE;
	ls->nedge[ls->nnode] = 0;
	ls->fail[ls->nnode] = 0;
	ls->olink[ls->nnode] = LS_NONE;
	ls->tags[ls->nnode] = LS_NONE;
	return ((uint32_t)ls->nnode++);
}

struct litscan *
litscan_new(void)
{
	struct litscan *ls;

	if ((ls = calloc(1, sizeof(*ls))) == NULL)
		return (NULL);
	if (node_new(ls) == LS_NONE) {
		litscan_free(ls);
		return (NULL);
	}
	return (ls);
}

void
litscan_free(struct litscan *ls)
{
	if (ls == NULL)
		return;
	free(ls->nd);
	free(ls->first);
	free(ls->nedge);
	free(ls->fail);
	free(ls->olink);
	free(ls->tags);
	free(ls->e);
	free(ls->ec);
	free(ls->et);
	free(ls->t);
	free(ls->delta);
	free(ls->row);
	free(ls->rownode);
	free(ls);
}

unsigned
litscan_ntags(const struct litscan *ls)
{
	return (ls != NULL ? ls->ntags : 0);
}

/* Build time: the child of node n on byte c, or LS_NONE. */
static uint32_t
child(const struct litscan *ls, uint32_t n, unsigned char c)
{
	uint32_t i;

	for (i = ls->first[n]; i != LS_NONE; i = ls->e[i].next)
		if (ls->e[i].c == c)
			return (ls->e[i].to);
	return (LS_NONE);
}

int
litscan_add(struct litscan *ls, const char *lit, size_t n, unsigned tag)
{
	const unsigned char *fold = fold_table();
	uint32_t cur = 0, nx;
	size_t i;

	if (ls == NULL || ls->built || n == 0)
		return (-1);
	for (i = 0; i < n; i++) {
		unsigned char c = fold[(unsigned char)lit[i]];

		if ((nx = child(ls, cur, c)) == LS_NONE) {
			if ((nx = node_new(ls)) == LS_NONE ||
			    grow((void **)&ls->e, &ls->cape, ls->ne + 1,
			    sizeof(*ls->e)) == -1)
				return (-1);
			ls->e[ls->ne].c = c;
			ls->e[ls->ne].to = nx;
			ls->e[ls->ne].next = ls->first[cur];
			ls->first[cur] = (uint32_t)ls->ne++;
		}
		cur = nx;
	}
	if (grow((void **)&ls->t, &ls->capt, ls->nt + 1, sizeof(*ls->t)) == -1)
		return (-1);
	ls->t[ls->nt].tag = tag;
	ls->t[ls->nt].next = ls->tags[cur];
	ls->tags[cur] = (uint32_t)ls->nt++;
	if (tag + 1 > ls->ntags)
		ls->ntags = tag + 1;
	return (0);
}

static int
edge_cmp(const void *a, const void *b)
{
	const struct ls_edge *x = a, *y = b;

	return ((int)x->c - (int)y->c);
}

/* Run time: the child of node n on byte c, or LS_NONE. */
static inline uint32_t
step(const struct litscan *ls, uint32_t n, unsigned char c)
{
	uint32_t i = ls->first[n], end = i + ls->nedge[n];

	for (; i < end; i++)
		if (ls->ec[i] == c)
			return (ls->et[i]);
	return (LS_NONE);
}

static void dfa_build(struct litscan *);

int
litscan_build(struct litscan *ls)
{
	uint32_t *queue, *start, n, i, f, nx, k;
	size_t qh = 0, qt = 0, j, ne = ls != NULL && ls->ne ? ls->ne : 1;
	struct ls_edge *tmp;

	if (ls == NULL || ls->built)
		return (-1);
	/* Edges sorted by node, then byte, in one run per node. */
	queue = malloc(ls->nnode * sizeof(*queue));
	start = calloc(ls->nnode + 1, sizeof(*start));
	tmp = malloc(ne * sizeof(*tmp));
	free(ls->ec);
	free(ls->et);
	ls->ec = malloc(ne);
	ls->et = malloc(ne * sizeof(uint32_t));
	if (queue == NULL || start == NULL || tmp == NULL || ls->ec == NULL ||
	    ls->et == NULL) {
		free(queue);
		free(start);
		free(tmp);
		return (-1);
	}
	k = 0;
	for (n = 0; n < ls->nnode; n++) {
		start[n] = k;
		for (i = ls->first[n]; i != LS_NONE; i = ls->e[i].next)
			tmp[k++] = ls->e[i];
		ls->nedge[n] = k - start[n];
		qsort(tmp + start[n], ls->nedge[n], sizeof(*tmp), edge_cmp);
	}
	for (j = 0; j < ls->ne; j++) {
		ls->ec[j] = tmp[j].c;
		ls->et[j] = tmp[j].to;
	}
	for (n = 0; n < ls->nnode; n++)
		ls->first[n] = start[n];
	free(tmp);
	free(start);
	free(ls->e);
	ls->e = NULL;
	ls->ne = ls->cape = 0;

	/* Breadth first: failure and output links. */
	for (i = 0; i < 256; i++)
		ls->root[i] = 0;
	for (i = ls->first[0]; i < ls->first[0] + ls->nedge[0]; i++) {
		nx = ls->et[i];
		ls->root[ls->ec[i]] = nx;
		ls->fail[nx] = 0;
		queue[qt++] = nx;
	}
	while (qh < qt) {
		n = queue[qh++];
		for (i = ls->first[n]; i < ls->first[n] + ls->nedge[n]; i++) {
			unsigned char c = ls->ec[i];

			nx = ls->et[i];
			for (f = ls->fail[n]; f != 0 &&
			    step(ls, f, c) == LS_NONE; f = ls->fail[f])
				;
			f = f == 0 ? ls->root[c] : step(ls, f, c);
			ls->fail[nx] = f == nx ? 0 : f;
			f = ls->fail[nx];
			ls->olink[nx] = f != 0 && ls->tags[f] != LS_NONE ? f :
			    (f != 0 ? ls->olink[f] : LS_NONE);
			queue[qt++] = nx;
		}
	}
	free(queue);
	if ((ls->nd = calloc(ls->nnode, sizeof(*ls->nd))) == NULL)
		return (-1);
	for (n = 0; n < ls->nnode; n++) {
		struct ls_node *d = &ls->nd[n];

		d->fail = ls->fail[n];
		d->olink = ls->olink[n];
		d->tags = ls->tags[n];
		d->edge = ls->first[n];
		d->nedge = (uint16_t)ls->nedge[n];
		if (ls->nedge[n] > UINT16_MAX)
			return (-1);
		if (d->nedge == 1) {
			d->c1 = ls->ec[d->edge];
			d->to1 = ls->et[d->edge];
		}
		d->emit = d->tags != LS_NONE || d->olink != LS_NONE;
	}
	free(ls->first);
	free(ls->nedge);
	free(ls->fail);
	free(ls->olink);
	free(ls->tags);
	ls->first = ls->nedge = ls->fail = ls->olink = ls->tags = NULL;
	ls->built = 1;
	dfa_build(ls);
	return (0);
}

static void
emit(const struct litscan *ls, uint32_t n, unsigned char *hit)
{
	uint32_t t;

	if (ls->nd[n].tags == LS_NONE)
		n = ls->nd[n].olink;
	for (; n != LS_NONE; n = ls->nd[n].olink)
		for (t = ls->nd[n].tags; t != LS_NONE; t = ls->t[t].next)
			hit[ls->t[t].tag] = 1;
}

/* Run time: the child of node n on byte c, or LS_NONE. */
static inline uint32_t
next(const struct litscan *ls, const struct ls_node *d, unsigned char c)
{
	uint32_t i, end;

	if (d->nedge == 1)
		return (d->c1 == c ? d->to1 : LS_NONE);
	for (i = d->edge, end = i + d->nedge; i < end; i++)
		if (ls->ec[i] == c)
			return (ls->et[i]);
	return (LS_NONE);
}

/* The state for node n (see struct litscan), LS_EMIT included. */
static inline uint32_t
state_of(const struct litscan *ls, uint32_t n)
{
	return ((ls->row[n] != LS_NONE ? ls->row[n] * ls->ncls : n | LS_SLOW) |
	    (ls->nd[n].emit ? LS_EMIT : 0));
}

/*
 * After the build: the automaton's move on every byte class from the
 * nrow nodes nearest the root (breadth first), failure links folded in: a
 * node's move is its child's, else its failure node's move, which is
 * nearer the root and so made already.  litscan_run() takes one table
 * look-up a byte there, and follows the links from deeper nodes.  Nothing
 * is made when memory is short: litscan_run() then follows the links
 * everywhere.
 */
static void
dfa_build(struct litscan *ls)
{
	const unsigned char *fold = fold_table();
	unsigned char rep[256];
	uint32_t *queue = NULL, n, k, qh = 0, qt = 0, i, r, *d;
	unsigned ncls = 1, b;
	size_t ne = 0;

	memset(ls->cls, 0, sizeof(ls->cls));
	for (n = 0; n < ls->nnode; n++)
		ne += ls->nd[n].nedge;
	for (i = 0; i < ne; i++)
		if (ls->cls[ls->ec[i]] == 0) {
			rep[ncls] = ls->ec[i];
			ls->cls[ls->ec[i]] = (unsigned char)ncls++;
		}
	for (b = 0; b < 256; b++)
		ls->cls[b] = ls->cls[fold[b]];
	if (ls->nnode == 0 || ncls > 255 || ls->nnode > LS_NODE)
		return;
	if ((size_t)ls->nnode <= LS_DFA_MAX / sizeof(uint32_t) / ncls)
		ls->nrow = (uint32_t)ls->nnode;
	else
		ls->nrow = LS_DFA_PART / sizeof(uint32_t) / ncls;
	ls->ncls = ncls;
	ls->delta = calloc((size_t)ls->nrow * ncls, sizeof(uint32_t));
	ls->row = malloc(ls->nnode * sizeof(*ls->row));
	ls->rownode = malloc(ls->nrow * sizeof(*ls->rownode));
	queue = malloc(ls->nnode * sizeof(*queue));
	if (ls->delta == NULL || ls->row == NULL || ls->rownode == NULL ||
	    queue == NULL)
		goto fail;
	/* the nodes breadth first; the first nrow get rows, root row 0 */
	queue[qt++] = 0;
	while (qh < qt) {
		n = queue[qh++];
		for (i = ls->nd[n].edge; i < ls->nd[n].edge + ls->nd[n].nedge;
		    i++)
			queue[qt++] = ls->et[i];
	}
	if (qt != ls->nnode)
		goto fail;
	for (n = 0; n < ls->nnode; n++)
		ls->row[n] = LS_NONE;
	for (r = 0; r < ls->nrow; r++) {
		ls->row[queue[r]] = r;
		ls->rownode[r] = queue[r];
	}
	/* class 0 moves to the root from everywhere: calloc did it */
	for (k = 1; k < ncls; k++)
		ls->delta[k] = state_of(ls, ls->root[rep[k]]);
	for (r = 1; r < ls->nrow; r++) {
		n = ls->rownode[r];
		d = &ls->delta[(size_t)r * ncls];
		/* the failure node's moves, then the node's own edges */
		memcpy(d, &ls->delta[(size_t)ls->row[ls->nd[n].fail] * ncls],
		    ncls * sizeof(uint32_t));
		for (i = ls->nd[n].edge; i < ls->nd[n].edge + ls->nd[n].nedge;
		    i++)
			d[ls->cls[ls->ec[i]]] = state_of(ls, ls->et[i]);
	}
	free(queue);
	return;
fail:
	free(queue);
	free(ls->delta);
	free(ls->row);
	free(ls->rownode);
	ls->delta = NULL;
	ls->row = ls->rownode = NULL;
	ls->nrow = 0;
}

/* The move from node n (no row) on folded byte c: along the links. */
static uint32_t
slow_move(const struct litscan *ls, uint32_t n, unsigned char c)
{
	uint32_t nx;

	for (;;) {
		if ((nx = next(ls, &ls->nd[n], c)) != LS_NONE)
			return (state_of(ls, nx));
		n = ls->nd[n].fail;
		if (ls->row[n] != LS_NONE)
			return (ls->delta[(size_t)ls->row[n] * ls->ncls +
			    ls->cls[c]]);
	}
}

void
litscan_run(const struct litscan *ls, const char *s, size_t n,
    unsigned char *hit)
{
	const unsigned char *fold = fold_table();
	uint32_t cur = 0, nx;
	size_t i;

	if (ls == NULL || !ls->built || s == NULL)
		return;
	if (ls->delta != NULL) {
		const uint32_t *delta = ls->delta;
		const unsigned char *cls = ls->cls;

		for (i = 0; i < n; i++) {
			if (!(cur & LS_SLOW))
				cur = delta[cur + cls[(unsigned char)s[i]]];
			else
				cur = slow_move(ls, cur & LS_NODE,
				    fold[(unsigned char)s[i]]);
			if (cur & LS_EMIT) {
				cur &= ~LS_EMIT;
				emit(ls, cur & LS_SLOW ? cur & LS_NODE :
				    ls->rownode[cur / ls->ncls], hit);
			}
		}
		return;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = fold[(unsigned char)s[i]];

		for (;;) {
			if (cur == 0) {
				cur = ls->root[c];
				break;
			}
			if ((nx = next(ls, &ls->nd[cur], c)) != LS_NONE) {
				cur = nx;
				break;
			}
			cur = ls->nd[cur].fail;
		}
		if (cur != 0 && ls->nd[cur].emit)
			emit(ls, cur, hit);
	}
}

/*
 * How often a byte occurs in mail text, per mille, roughly (ASCII letters
 * in lower case; the bounces of the shared corpus, with the letters that
 * base64 makes common set down to their frequency in English prose).  A
 * search anchors on the literal's rarest byte: each occurrence of it in
 * the text costs a stop.  Bytes not listed are rarer still.  A letter
 * counts 10 more: it is searched for in both cases (memchr2()), at
 * about a third of memchr()'s speed, which is worth ten stops a
 * kilobyte.
 */
static const unsigned char freq[128] = {
	[' '] = 80,
	['e'] = 64, ['a'] = 49, ['t'] = 46, ['o'] = 41, ['i'] = 37,
	['r'] = 34, ['n'] = 34, ['s'] = 34, ['m'] = 30, ['l'] = 27,
	['p'] = 26, ['d'] = 26, ['c'] = 25, ['f'] = 18, ['u'] = 16,
	['g'] = 16, ['h'] = 15, ['b'] = 15, ['y'] = 13, ['v'] = 10,
	['w'] = 9, ['k'] = 6, ['x'] = 3, ['j'] = 2, ['q'] = 2, ['z'] = 2,
	['0'] = 34, ['1'] = 17, ['2'] = 21, ['3'] = 12, ['4'] = 11,
	['5'] = 11, ['6'] = 8, ['7'] = 7, ['8'] = 8, ['9'] = 9,
	['.'] = 22, ['-'] = 22, [':'] = 18, ['='] = 8, [';'] = 7,
	['/'] = 6, [','] = 5, ['"'] = 4, ['<'] = 4, ['>'] = 4, ['('] = 4,
	[')'] = 4, ['+'] = 3, ['@'] = 3, ['_'] = 1, ['['] = 1, [']'] = 1,
	['\''] = 1, ['#'] = 1, ['?'] = 1,
};

size_t
lit_anchor(const char *lit, size_t litlen)
{
	size_t i, best = 0;
	int f, bf = INT_MAX;

	for (i = 0; i < litlen; i++) {
		unsigned char c = (unsigned char)lit[i];

		f = c < 128 ? freq[c >= 'A' && c <= 'Z' ? c + 32 : c] : 0;
		/* a letter is looked for in both cases, a slower search */
		if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
			f += 10;
		if (f < bf) {
			bf = f;
			best = i;
		}
	}
	return (best);
}

/* The first byte of s[0..n) that is a or b, or NULL (SSE2 where there). */
static const char *
memchr2(const char *s, int a, int b, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i va = _mm_set1_epi8((char)a), vb = _mm_set1_epi8((char)b);

	/* 32 bytes a step while there are: one test for both halves */
	for (; i + 32 <= n; i += 32) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)
		    (s + i));
		__m128i y = _mm_loadu_si128((const __m128i *)(const void *)
		    (s + i + 16));
		__m128i mx = _mm_or_si128(_mm_cmpeq_epi8(x, va),
		    _mm_cmpeq_epi8(x, vb));
		__m128i my = _mm_or_si128(_mm_cmpeq_epi8(y, va),
		    _mm_cmpeq_epi8(y, vb));
		int m;

		if (_mm_movemask_epi8(_mm_or_si128(mx, my)) == 0)
			continue;
		if ((m = _mm_movemask_epi8(mx)) != 0)
			return (s + i + (size_t)__builtin_ctz((unsigned)m));
		m = _mm_movemask_epi8(my);
		return (s + i + 16 + (size_t)__builtin_ctz((unsigned)m));
	}
	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)
		    (s + i));
		int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, va),
		    _mm_cmpeq_epi8(x, vb)));

		if (m != 0)
			return (s + i + (size_t)__builtin_ctz((unsigned)m));
	}
#endif
	for (; i < n; i++)
		if (s[i] == (char)a || s[i] == (char)b)
			return (s + i);
	return (NULL);
}

static int
lit_at(const unsigned char *fold, const char *s, const char *lit,
    size_t litlen)
{
	size_t j;

	for (j = 0; j < litlen; j++)
		if (fold[(unsigned char)s[j]] != (unsigned char)lit[j])
			return (0);
	return (1);
}

size_t
lit_pos_ci(const char *s, size_t n, const char *lit, size_t litlen,
    size_t anchor)
{
	const unsigned char *fold = fold_table();
	const char *p, *end;
	int c, cu;

	if (litlen == 0)
		return (0);
	if (litlen > n || anchor >= litlen)
		return (LIT_NONE);
	/* the anchor byte can only be at [anchor, n - litlen + anchor] */
	p = s + anchor;
	end = s + (n - litlen) + anchor + 1;
	c = (unsigned char)lit[anchor];
	cu = c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
	if (cu == c) {
		while (p < end && (p = memchr(p, c, (size_t)(end - p))) !=
		    NULL) {
			if (lit_at(fold, p - anchor, lit, litlen))
				return ((size_t)(p - anchor - s));
			p++;
		}
		return (LIT_NONE);
	}
	while (p < end && (p = memchr2(p, c, cu, (size_t)(end - p))) != NULL) {
		if (lit_at(fold, p - anchor, lit, litlen))
			return ((size_t)(p - anchor - s));
		p++;
	}
	return (LIT_NONE);
}

int
lit_find_ci(const char *s, size_t n, const char *lit, size_t litlen,
    size_t anchor)
{
	return (lit_pos_ci(s, n, lit, litlen, anchor) != LIT_NONE);
}

/*
 * Does s[0..n) hold the k bytes of seq?  By memchr() on the first byte
 * (a lead byte, rare in mail text): a few times faster than memmem(),
 * whose short-needle loop goes byte by byte.
 */
static int
has_seq(const char *s, size_t n, const char *seq, size_t k)
{
	const char *p = s, *e = s + n;

	while ((size_t)(e - p) >= k && (p = memchr(p, seq[0],
	    (size_t)(e - p) - k + 1)) != NULL) {
		if (memcmp(p + 1, seq + 1, k - 1) == 0)
			return (1);
		p++;
	}
	return (0);
}

int
lit_ksfold(const char *s, size_t n)
{
	/* the long s is C5 BF, the Kelvin sign E2 84 AA */
	return (has_seq(s, n, "\xc5\xbf", 2) ||
	    has_seq(s, n, "\xe2\x84\xaa", 3));
}
