/*
 * maillog_cli.h - bounce-decode --line and --maillog
 *
 * SYNOPSIS
 *	int	line_main(const struct rules *rules, char **texts, int n,
 *		    const struct maillog_opts *o);
 *	int	maillog_main(const struct rules *rules, char **paths, int n,
 *		    const struct maillog_opts *o);
 *
 * DESCRIPTION
 *	line_main() classifies each text as one SMTP reply (a text "-" is
 *	read from standard input) and prints one result a text, named
 *	"line:N" (bounce-decode(1)).  maillog_main() reads the mail logs
 *	named (or - for standard input) and prints one result per failed
 *	or deferred delivery attempt, "FILE:LINENO", with the queue_id,
 *	time, mta and relay keys in JSON; with o->follow it keeps reading
 *	the one log named as it grows and across rotation (inotify), until
 *	SIGINT or SIGTERM; with o->report it prints instead the causes by
 *	recipient domain (o->since: only attempts that recent, in seconds;
 *	0: all).  The envelope sender a queue id's "from=" (or Exim "<=")
 *	line names is remembered (a bounded cache) and given to the attempts
 *	of that queue id as the original's sender, as a bounce's returned
 *	original gives it; o->outbound_relay as bounce_opts does.  Lines skipped as unreadable (NUL bytes, too long, a
 *	delivery status that cannot be read) are counted on standard
 *	error.  Both return the exit status: 0, or 1 when an input could
 *	not be read.
 */
#ifndef MAILLOG_CLI_H
#define MAILLOG_CLI_H

#include "rules.h"

struct maillog_opts {
	int	json;
	int	follow;
	int	report;
	long	since;		/* seconds; 0: every line */
	const char *outbound_relay;	/* the configuration's, or NULL */
};

int	line_main(const struct rules *, char **, int,
	    const struct maillog_opts *);
int	maillog_main(const struct rules *, char **, int,
	    const struct maillog_opts *);

#endif
