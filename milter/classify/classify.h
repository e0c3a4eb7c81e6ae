/*
 * classify.h - from recipient records to reason, cause, side and hint
 *
 * SYNOPSIS
 *	void	classify_report(const struct rules *rules, struct report *r);
 *	void	classify_rcpt(const struct rules *rules, const struct report *r,
 *		    struct rcpt *rc);
 *	int	status_parse(const char *s, char out[16], const char **end);
 *	const struct status_info *status_lookup(const struct rules *rules,
 *		    const char *status);
 *
 * DESCRIPTION
 *	classify_report() runs classify_rcpt() on every recipient of r.  For
 *	each it settles status (inferred from the text when the bounce gives
 *	none), reply code (from the diagnostic text when not given), reason
 *	(Sisimai's vocabulary), hard, cause and side
 *	(bounce-milter-causes(7); the cause equals the reason where no
 *	finer cause is catalogued), inner_cause
 *	for expired messages, and the hint.  Evidence already in rc->ev is
 *	taken into account as the catalog's precedence says.  It never fails:
 *	what it cannot decide is "" (status), "undefined" (reason),
 *	"unknown" (side).
 *
 *	status_parse() finds an enhanced status code at s: exactly three
 *	numbers, class 2, 4 or 5, subject 0-999, detail 0-999, not part of a
 *	longer token (5.4.14 is not 5.4.1; 1.5.4.1 is nothing).  Returns 1
 *	and writes the code to out, else 0.  end, when not NULL, is set past
 *	the code.
 */
#ifndef CLASSIFY_H
#define CLASSIFY_H

#include "report.h"
#include "vocab.h"
#include "rules.h"

struct status_info {
	char		 code[16];	/* "5.4.1" */
	const char	*text;		/* RFC 3463 / IANA description */
	const char	*reason;	/* default reason for this code, or NULL */
};

void	 classify_report(const struct rules *, struct report *);
void	 classify_rcpt(const struct rules *, const struct report *,
	    struct rcpt *);
int	 status_parse(const char *, char [16], const char **);
const struct status_info *status_lookup(const struct rules *, const char *);

#endif
