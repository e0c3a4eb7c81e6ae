/*
 * annotate.h - the X-Bounce-* header values and the syslog lines
 *
 * SYNOPSIS
 *	int	annotate_wants(const struct report *r, size_t i);
 *	int	annotate_headers(const struct report *r,
 *		    const struct annotate_opts *o, struct annotate_hdrs *out);
 *	void	annotate_hdrs_free(struct annotate_hdrs *h);
 *	int	annotate_log(struct buf *out, const char *queueid,
 *		    const struct report *r, const struct annotate_opts *o);
 *	int	annotate_class_value(struct buf *out, const char *authserv,
 *		    const struct report *r, const struct rcpt *rc,
 *		    const struct annotate_opts *o, size_t col);
 *	int	annotate_hint_value(struct buf *out, const char *rcpt,
 *		    const char *text, size_t col);
 *	const char *annotate_queueid(const char *qid, char *b, size_t n);
 *	int	annotate_log_kv(struct buf *out, const char *key,
 *		    const char *value);
 *
 * DESCRIPTION
 *	Turns a decoded report into what bounce-milter writes, exactly as
 *	bounce-milter(8) says (HEADERS, LOGGING: the X-Bounce-Class syntax,
 *	the log line syntax, which recipients get headers and log lines).
 *	No libmilter here: tests and fuzzers drive this module directly.
 *
 *	annotate_wants() is true when recipient i of r gets a header pair
 *	and a log line (a delivery report's failed or delayed recipient;
 *	an empty action counts as failed).  ARF reports and auto-replies
 *	get one X-Bounce-Class and one log line for the whole message.
 *
 *	annotate_headers() appends to out the headers to add, in order: one
 *	X-Bounce-Class/X-Bounce-Hint pair per wanted recipient, at most
 *	o->max_rcpt pairs, then "AUTHSERV; truncated=N" when more were
 *	left out, then X-Bounce-Original when o->orig is set.  Each value
 *	is ASCII without CR or control bytes except the folding sequence
 *	"\n\t" (the form libmilter's smfi_addheader() takes), each line at
 *	most 78 octets where a break exists and never more than 998.
 *
 *	annotate_log() appends one line per wanted recipient, each ending
 *	in '\n' and free of other control bytes: "QUEUEID: bounce
 *	key=value ...", NOQUEUE when qid is NULL or empty.
 *
 *	annotate_class_value() and annotate_hint_value() build one value
 *	(col: the column where the value starts, i.e. the header name's
 *	length plus 2).  annotate_queueid() returns a printable queue id.
 *	annotate_log_kv() appends " key=value" by the log line's quoting
 *	rules (nothing when value is NULL or empty).
 *
 *	All return 0, or -1 when memory ran out (out is then incomplete).
 */
#ifndef ANNOTATE_H
#define ANNOTATE_H

#include <stddef.h>

#include "buf.h"
#include "report.h"

#define ANNOTATE_FOLD		78	/* fold lines at this many octets */
#define ANNOTATE_MAX_LINE	998	/* RFC 5322 hard limit */
#define ANNOTATE_MAX_VALUE	256	/* octets of one key=value value */
#define ANNOTATE_MAX_HINT	700	/* octets of hint text (before 2047) */
#define ANNOTATE_MAX_LOG	2000	/* log lines per message */

/* What the history store knows of the returned original, if anything. */
struct annotate_orig {
	const char	*message_id;	/* "<...>" */
	const char	*sent;		/* ISO 8601 UTC */
	const char	*from;
	long		 ttb;		/* seconds sent -> bounce, < 0 unknown */
};

struct annotate_opts {
	const char	*authserv_id;
	size_t		 max_rcpt;	/* max_header_recipients, 0 = 20 */
	int		 evidence;	/* evidence ran: write spf dkim mx */
	const struct annotate_orig *orig;	/* NULL: unknown */
};

struct annotate_hdr {
	const char	*name;		/* static string */
	char		*value;
};

struct annotate_hdrs {
	struct annotate_hdr	*v;
	size_t			 n;
	size_t			 cap;
};

int	annotate_wants(const struct report *, size_t);
int	annotate_headers(const struct report *, const struct annotate_opts *,
	    struct annotate_hdrs *);
void	annotate_hdrs_free(struct annotate_hdrs *);
int	annotate_log(struct buf *, const char *, const struct report *,
	    const struct annotate_opts *);
int	annotate_class_value(struct buf *, const char *,
	    const struct report *, const struct rcpt *,
	    const struct annotate_opts *, size_t);
int	annotate_hint_value(struct buf *, const char *, const char *, size_t);
const char *annotate_queueid(const char *, char *, size_t);
int	annotate_log_kv(struct buf *, const char *, const char *);

#endif
