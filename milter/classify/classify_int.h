/*
 * classify_int.h - what the classifier's modules share (not a public API)
 *
 * SYNOPSIS
 *	int	rf_open(struct rf *f, const char *dir, const char *name,
 *		    char *err, size_t errlen);
 *	char	*rf_next(struct rf *f);
 *	int	rf_error(struct rf *f, char *err, size_t errlen,
 *		    const char *fmt, ...);
 *	void	rf_close(struct rf *f);
 *
 *	pcre2_code *rx_compile(const char *re, size_t len, int literal,
 *		    struct rf *f, char *err, size_t errlen);
 *	int	rx_match(const pcre2_code *re, const char *s, size_t len,
 *		    struct rx_scratch *sc);
 *
 * DESCRIPTION
 *	The rule files (status.tsv, reasons.rules, causes.rules) are read
 *	line by line with rf_*(): rf_next() returns the next line that is
 *	neither empty nor a comment (first non-blank character '#'), with
 *	the line end and trailing blanks removed, or NULL at the end (a read
 *	error or an over-long line is reported through f->failed).  Every
 *	error is written as "FILE:LINE: message" by rf_error(), which
 *	returns -1.
 *
 *	rx_compile() compiles one pattern, case-insensitive, JIT where the
 *	platform has it (a literal phrase when literal is set); a pattern
 *	that does not compile is an rf_error() at the current line.
 *	rx_match() runs it with the match and depth limits of the shared
 *	match context, so no pattern can backtrack without bound; a match
 *	that hits a limit counts as no match.
 *
 *	reason_decide() (reason.c) and cause_decide() (cause.c) are the
 *	two halves of classify_rcpt() (classify.c).  cause.c puts the
 *	literals of its wording into reason.c's one pass over a diagnostic
 *	(reason_scan_add(), at load) and reads what it saw
 *	(reason_scan_seen()).
 */
#ifndef CLASSIFY_INT_H
#define CLASSIFY_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>

#include "report.h"
#include "rules.h"

#define RF_MAXLINE	4096

struct rf {
	FILE		*fp;
	char		 path[1024];
	int		 line;
	int		 failed;
	char		 buf[RF_MAXLINE + 2];
};

int	 rf_open(struct rf *, const char *, const char *, char *, size_t);
char	*rf_next(struct rf *);
int	 rf_error(struct rf *, char *, size_t, const char *, ...)
	    __attribute__((format(printf, 4, 5)));
void	 rf_close(struct rf *);

/* Per-call scratch: match data (and the limits) for rx_match(). */
struct rx_scratch {
	pcre2_match_data	*md;
	pcre2_match_context	*mc;
	unsigned long		 nmatch;	/* patterns run (for measuring) */
	const void		*memo_for;	/* facts the memo belongs to */
	signed char		 memo[64];	/* per reason set: -1 unknown */
	unsigned char		*hit;		/* reason.c: phrases seen in */
	size_t			 hitcap;	/* the diagnostic hit_for */
	const char		*hit_for;
	size_t			 hit_len;
	int			 hit_valid;
};

pcre2_code *rx_compile(const char *, size_t, int, struct rf *, char *,
	    size_t);
int	 rx_scratch_init(struct rx_scratch *);
void	 rx_scratch_free(struct rx_scratch *);
int	 rx_match(const pcre2_code *, const char *, size_t,
	    struct rx_scratch *);

/* What reason.c and cause.c look at for one recipient. */
struct facts {
	const char	*status;	/* settled status, or "" */
	const char	*reply;		/* settled reply code, or "" */
	const char	*diag;		/* normalised: one space between words */
	size_t		 diaglen;
	const char	*command;	/* upper case, or "" */
	const char	*action;
	const char	*hint;		/* parser's reason, or NULL */
	const char	*rhost;		/* remote MTA, lower case, or "" */
	const char	*rcpt_domain;	/* lower case, or "" */
	const char	*lhost;		/* reporting MTA, lower case, or "" */
	const char	*format;	/* bounce format family, or "" */
	int		 xunix;		/* Diagnostic-Code type X-Unix */
};

const char *reason_decide(const struct rules *, const struct facts *,
	    struct rx_scratch *);
struct rxlit;
int	 reason_scan_add(struct rules *, const struct rxlit *);
const unsigned char *reason_scan_seen(const struct rules *,
	    const struct facts *, const struct rx_scratch *);
int	 reason_set_match(const struct rules *, const char *,
	    const struct facts *, struct rx_scratch *);

struct cause_result {
	const char	*cause;		/* id, or NULL when none matched */
	const char	*reason;	/* the cause's reason, or NULL */
	const char	*side;
	const char	*hint;
};

struct cause_input {
	const struct facts	*f;
	const char		*reason;	/* from reason_decide() */
	const struct report	*r;
	const struct rcpt	*rc;
	int			 nested;	/* classifying an inner error */
};

void	 cause_decide(const struct rules *, const struct cause_input *,
	    struct rx_scratch *, struct cause_result *);
const char *cause_reason_side(const struct rules *, const char *);
const char *cause_reason_hint(const struct rules *, const char *);
int	 cause_wants_inner(const struct rules *, const char *);
int	 cause_auth_failed(const struct rcpt *);

#endif
