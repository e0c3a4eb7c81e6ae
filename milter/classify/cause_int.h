/*
 * cause_int.h - what cause.c (deciding) and cause_load.c (loading) share
 *
 * SYNOPSIS
 *	long	cause_st_value(const char *s, int prefix);
 *	size_t	cause_id_hash(const char *id, int is_reason);
 *
 * DESCRIPTION
 *	struct cause is one block of rules/causes.rules, struct
 *	cause_table all of them with an index by id (cause_load.c).
 *	cause_st_value() is a status "C.S.D" as one number (prefix: "C.S."
 *	as C * 1000 + S), -1 for what status_parse() would not write;
 *	cause_id_hash() is the slot of an id in the index.  cs_bit() and
 *	one_of() are small enough to be inline.
 */
#ifndef CAUSE_INT_H
#define CAUSE_INT_H

#include <stdint.h>
#include <string.h>

#include "classify.h"
#include "classify_int.h"
#include "litscan.h"

#define MAXST	16
#define MAXIF	4	/* reasons of an if-reason line */

/* What a block is: the kind of its first line. */
enum { BK_CAUSE, BK_REASON, BK_PROVIDER };

struct cause {
	char		 id[48];
	int		 is_reason;	/* BK_*: a "reason" block is 1 */
	char		*domains;	/* provider: " a.com b.com ", or NULL */
	char		 st[MAXST][16];	/* statuses; "C.S." (of "C.S.*"),
					   "none", "inner" */
	unsigned char	 stk[MAXST];	/* ST_* of each */
	unsigned char	 stn[MAXST];	/* its length */
	long		 stv[MAXST];	/* st_value() of each, -1 none */
	int		 nst;
	uint64_t	 csmask;	/* cs_bit() of each class.subject */
	int		 st_odd;	/* a code without a st_value() */
	unsigned char	 st_empty;	/* "none" or "any": no status will do */
	unsigned char	 st_inner;	/* "inner": none will do, nested */
	char		*yes_src, *no_src;
	struct rxlit	 yes_lits;	/* every match of yes holds one */
	int		 yes_any;	/* a yes line without such literals */
	int		 yes_tag;	/* of yes_lits in the reason scan, or -1 */
	size_t		 yes_len, no_len;
	pcre2_code	*yes, *no, *host;
	char		 reason[24], reason_retried[24];
	char		 if_reason[MAXIF][24];	/* the computed reason must be one */
	int		 nif;
	char		 words[24];	/* a set of reasons.rules, or "" */
	char		 side[16], side_delayed[16];
	char		 evidence[24];
	char		 replaces[8][48];
	int		 nreplaces;
	int		 inner;
	char		*hint;
};

#define CT_SLOTS	256	/* of the id index; a power of two */

struct cause_table {
	struct cause	*v;
	size_t		 n;
	int		 indexed;	/* slot[] is built */
	size_t		 nword;		/* 1 + the last block with a status
					   (the reasons come after it) */
	const struct vocab *vocab;	/* the rules' vocabulary */
	unsigned short	 slot[CT_SLOTS];	/* 1 + index in v of the first
					   block of each kind and id; 0 empty */
};

/* What a status word of a cause asks of the status (status_ok()). */
enum { ST_EXACT, ST_NONE, ST_INNER, ST_PREFIX, ST_ANY };

/*
 * A bit for class and subject C * 1000 + S: a block whose mask lacks the
 * status's bit has no word that can match it (most blocks, most of the
 * time), so status_ok() need not look at its words one by one.
 */
static inline uint64_t
cs_bit(long cs)
{
	return ((uint64_t)1 << (cs & 63));
}

static inline int
one_of(const char *s, const char *const *v)
{
	for (; *v != NULL; v++)
		if (strcmp(s, *v) == 0)
			return (1);
	return (0);
}

long	 cause_st_value(const char *, int);
size_t	 cause_id_hash(const char *, int);

#endif
