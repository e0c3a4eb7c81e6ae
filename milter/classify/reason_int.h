/*
 * reason_int.h - what reason_load.c and reason.c share (not a public API)
 *
 * DESCRIPTION
 *	The compiled form of rules/reasons.rules and rules/reason-order:
 *	reason_load.c builds it (reason_rules_load()), reason.c reads it
 *	for each recipient (reason_decide()).  set_find() looks a phrase
 *	set up by reason name, by hash: the probes ask thousands of times
 *	a corpus, so it is inline here.
 */
#ifndef REASON_INT_H
#define REASON_INT_H

#include <string.h>

#include "classify_int.h"
#include "litscan.h"
#include "rulelist.h"
#include "vocab.h"

#define NAME_MAX_LEN	24
#define HOST_SCAN_MAX	256	/* host tables one scan serves */
#define SET_SLOTS	64	/* of the set index: more than the reasons */

/* One pattern line of a set: run only when its literal was seen. */
struct rrx {
	pcre2_code	*re;
	int		 tag;		/* scan tag of its literal, -1 none */
};

struct rset {
	char		 name[NAME_MAX_LEN];
	int		 yes_tag, no_tag;	/* scan tags of the phrases */
	int		 has_yes;	/* any line that is no veto */
	struct rrx	*yes, *no;	/* the ~ and !~ lines */
	size_t		 nyes, nno;
};

struct rrow {
	char		 reason[NAME_MAX_LEN];
	char		 status[16];	/* "" any; exact unless hi > 0 */
	int		 lo, hi;	/* detail range for @C.S.lo-hi */
	char		 cls;		/* @5: status and reply of class 5 */
	char		 notcls;	/* @!5: neither of class 5 */
	char		 cmd[12];	/* @RCPT: the SMTP command */
	char		 reply[4];	/* @550: the reply code */
	int		 nostatus;	/* @-: the bounce states no status */
	pcre2_code	*re;
	int		 tag;		/* scan tag: the phrase, or the
					   pattern's literal; -1 none */
	int		 phrase;	/* the row is a phrase: tag decides */
};

struct rhost {
	char		 name[NAME_MAX_LEN];
	int		 lhost;		/* [lhost FAMILY]: by bounce format */
	pcre2_code	*host;
	struct rxlit	 host_lits;	/* the host pattern's literals */
	char		*domains;	/* " a.com b.com " exact recipient domains */
	struct rrow	*rows;
	size_t		 nrows;
};

/* One recipient domain of an [rhost] table, for a binary search. */
struct rdom {
	const char	*name;
	size_t		 host;		/* index in hosts */
};

struct reason_rules {
	struct rset	*sets;
	size_t		 nsets;
	unsigned char	 set_slot[SET_SLOTS];	/* 1 + index in sets, 0 empty */
	const struct vocab *vocab;	/* the rules' vocabulary */
	signed char	 byid[VOCAB_MAX];	/* index in sets, -1 none */
	struct rhost	*hosts;
	size_t		 nhosts;
	struct rdom	*doms;		/* every domain line's names, sorted */
	size_t		 ndoms;		/* (by name, then host) */
	char		*dombuf;	/* the names */
	struct litscan	*scan;		/* every phrase and literal */
	unsigned	 ntags;
	int		 built;		/* reason_scan_build() done */
	/* rules/reason-order */
	struct rlist	*order;
	int		 order_status[VOCAB_MAX + 1];	/* R_NONE ends */
	int		 order_text[VOCAB_MAX + 1];
	unsigned char	 retry[VOCAB_MAX];
	const char *const *before_data;
	struct litscan	*hostscan;	/* literals of the host patterns,
					   tagged with the host's index */
};

/* The slot of a set name's hash (vocab_hash3(), as the vocabulary's). */
static inline size_t
set_hash(const char *name)
{
	return (vocab_hash3(name) & (SET_SLOTS - 1));
}

/*
 * The set of a reason by name: the probes of reason_decide() ask for one
 * thousands of times a corpus, so by hash rather than by a walk with
 * strcmp() (sets are known reasons, fewer than SET_SLOTS).
 */
static inline struct rset *
set_find(const struct reason_rules *t, const char *name)
{
	struct rset *s;
	size_t h;

	for (h = set_hash(name); t->set_slot[h] != 0;
	    h = (h + 1) & (SET_SLOTS - 1)) {
		s = &t->sets[t->set_slot[h] - 1];
		if (s->name[0] == name[0] && strcmp(s->name, name) == 0)
			return (s);
	}
	return (NULL);
}

#endif
