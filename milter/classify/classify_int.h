/*
 * classify_int.h - what the classifier's modules share (not a public API)
 *
 * DESCRIPTION
 *	The rule files are read with rf_*() and their patterns compiled
 *	with rx_compile() and run with rx_match() (rulefile.h: the one
 *	reader and the one regex dialect).
 *
 *	reason_decide() (reason.c) and cause_decide() (cause.c) are the
 *	two halves of classify_rcpt() (classify.c).  cause.c puts the
 *	literals of its wording into reason.c's one pass over a diagnostic
 *	(reason_scan_add(), at load) and reads what it saw
 *	(reason_scan(), which makes the pass if it has not run).
 */
#ifndef CLASSIFY_INT_H
#define CLASSIFY_INT_H

#include "report.h"
#include "rulefile.h"
#include "rules.h"

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
	int		 ksfold;	/* lit_ksfold() of diag */
};

const char *reason_decide(const struct rules *, const struct facts *,
	    struct rx_scratch *);
struct rxlit;
int	 reason_scan_add(struct rules *, const struct rxlit *);
const unsigned char *reason_scan(const struct rules *,
	    const struct facts *, struct rx_scratch *);
int	 reason_set_match(const struct rules *, const char *,
	    const struct facts *, struct rx_scratch *);

struct cause_result {
	const char	*cause;		/* id, or NULL when none matched */
	const char	*reason;	/* the cause's reason, or NULL */
	const char	*side;
	const char	*hint;
};

struct cause_input {
	const struct rules	*rules;
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
int	 cause_known(const struct rules *, const char *);
int	 cause_auth_failed(const struct rcpt *);

/* cause_eop.c: the Exchange Online evidence of cause_decide() */
int	 cause_eop_outbound(const struct cause_input *, char *, size_t);
int	 cause_fope_relay(const struct cause_input *, char *, size_t);

/*
 * ASCII classes, as <ctype.h> gives them in the "C" locale (the programs
 * never call setlocale()), without a call and a table look-up per byte:
 * the folding and scanning loops of classify_diag.c and classify_cmd.c
 * run over every diagnostic byte.
 */
static inline int
a_space(int c)
{
	return (c == ' ' || (c >= '\t' && c <= '\r'));
}

static inline int
a_digit(int c)
{
	return (c >= '0' && c <= '9');
}

static inline int
a_alpha(int c)
{
	return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static inline int
a_lower(int c)
{
	return (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
}

/* classify_diag.c: the status and reply a diagnostic states */
struct arena;
char	*diag_fold(struct arena *, const char *, size_t, size_t *);
int	 diag_status(const char *, int, char [16]);
int	 diag_reply(const char *, const char *, char [4]);
int	 diag_reply_valid(const char *);
const char *diag_find_ci(const char *, size_t, const char *);

/* classify_cmd.c: the SMTP command refused */
const char *cmd_infer(const struct rules *, const struct report *,
	    const struct rcpt *);
int	 cmd_xunix(const struct report *, const struct rcpt *);

#endif
