/*
 * maillog.h - one mail log line, or one pasted SMTP reply, as a record
 *
 * SYNOPSIS
 *	void	maillog_init(struct maillog_rec *m, time_t now);
 *	int	maillog_parse(struct maillog_rec *m, const char *line,
 *		    size_t len);
 *	int	maillog_reply(struct maillog_rec *m, const char *text,
 *		    size_t len);
 *	int	maillog_fill(const struct maillog_rec *m, size_t i,
 *		    struct report *r);
 *	int	maillog_epoch(const char *iso, long long *t);
 *
 *	void	maillog_scan_init(struct maillog_scan *s, const char *p,
 *		    const char *end);
 *	const char *maillog_scan_next(struct maillog_scan *s, const char *p,
 *		    const char **eol);
 *	size_t	maillog_count_nl(const char *p, size_t n);
 *
 * DESCRIPTION
 *	maillog_parse() reads one line of a mail log (no newline; at most
 *	MAILLOG_LINE_MAX bytes) into m: a Postfix delivery line
 *	("QID: to=<a>, relay=..., dsn=X.Y.Z, status=bounced|deferred|
 *	expired (text)"), a Sendmail one ("QID: to=a,b, ..., relay=...,
 *	dsn=X.Y.Z, stat=text") or an Exim one ("ID ** a ...: text" for a
 *	failure, "ID == a ... defer (N): text" for a deferral), behind a
 *	syslog (RFC 3164), ISO 8601 (journald short-iso, rsyslog), RFC 5424
 *	or Exim timestamp, or behind none.  It returns MAILLOG_OK when the
 *	line is a failed or deferred delivery attempt (m then holds it),
 *	MAILLOG_SKIP for any other line (delivered mail, other programs,
 *	junk without our markers), MAILLOG_BAD for a line that carries a
 *	delivery status but cannot be read (cut short, NUL bytes, too
 *	long), and MAILLOG_SENDER for a line that names the envelope sender
 *	of a queue id (Postfix's and Sendmail's "QID: from=<s>, size=...",
 *	Exim's "ID <= s ..."): m->queue_id and m->sender are then set, for
 *	the caller to remember and hand to the attempts of that queue id in
 *	m->sender before maillog_fill().  The reply text is taken out of its wrapper ("host H said:
 *	... (in reply to RCPT TO command)", "SMTP error from remote mail
 *	server after RCPT TO:<a>: ..."): m->reply is what a bounce's
 *	Diagnostic-Code would say, m->command the SMTP command, m->rhost
 *	the remote host (a bounce's Remote-MTA), m->relay the relay as
 *	logged (host[ip] without the port).  m->time is the timestamp as
 *	ISO 8601 (a syslog stamp, which has no year, gets the year that
 *	puts it at most a day after m's "now"; no zone means local time).
 *
 *	maillog_reply() reads text pasted from a ticket: one SMTP reply,
 *	perhaps multi-line ("550-5.7.1 ...\n550 5.7.1 ..."), perhaps with
 *	"<addr>: host H[ip] said:" before it and "(in reply to ...)"
 *	after it.  MAILLOG_OK, or MAILLOG_BAD for empty text.
 *
 *	maillog_fill() adds recipient i of m (m->nrcpt of them) to the
 *	empty report r as one recipient record, with its strings copied
 *	into r's arena, so that classify_report() treats it as it treats
 *	the same reply inside a bounce: kind "dsn", format the MTA family,
 *	action "failed" or "delayed", the status stated (dsn=), the reply
 *	as diagnostic, the remote host as Remote-MTA, m->sender (when not
 *	NULL) as the original's sender.  0, or -1 when
 *	memory ran out.
 *
 *	maillog_epoch() turns an m->time string into seconds since the
 *	epoch (a stamp without zone as local time); 0 or -1.
 *
 *	maillog_scan_next() finds, in the complete lines [p, end) given to
 *	maillog_scan_init() (p at a line start), the next line from p on
 *	that may be a failed or deferred delivery: it returns its start
 *	and sets *eol to its end (the newline, or end), or returns NULL.
 *	It searches the buffer for the markers ("stat", " ** ", " == ",
 *	and for the sender lines "from=<" and " <= ")
 *	16 bytes a step rather than walking it line by line, and drops
 *	"status=sent" and "stat=Sent" at the marker, so most of a log is
 *	looked at once.  maillog_count_nl() counts the newlines in
 *	p[0..n), 16 bytes a step.
 */
#ifndef MAILLOG_H
#define MAILLOG_H

#include <stddef.h>
#include <time.h>

#include "report.h"

#define MAILLOG_LINE_MAX	(64u * 1024)	/* longer lines are skipped */
#define MAILLOG_RCPT_MAX	32	/* recipients of one Sendmail line */

#define MAILLOG_SKIP	0
#define MAILLOG_OK	1
#define MAILLOG_BAD	(-1)
#define MAILLOG_SENDER	2

struct maillog_rec {
	const char	*mta;		/* postfix sendmail exim, or "" */
	const char	*time;		/* ISO 8601, or "" */
	const char	*host;		/* the logging host, or "" */
	const char	*queue_id;
	const char	*rcpt[MAILLOG_RCPT_MAX];
	size_t		 nrcpt;
	const char	*orig_rcpt;	/* Postfix orig_to=, or "" */
	const char	*relay;		/* host[ip], or "" */
	const char	*rhost;		/* the remote host name, or "" */
	const char	*dsn;		/* X.Y.Z as logged, or "" */
	const char	*action;	/* failed delayed */
	const char	*reply;		/* the reply or error text */
	const char	*command;	/* CONN HELO MAIL RCPT DATA, or "" */
	const char	*sender;	/* envelope sender, or "" (NULL: none
					   known; maillog_fill() reads it) */
	/* private: */
	int		 now_year, now_yday;
	char		*w;		/* next free byte of sb */
	char		 sb[2 * MAILLOG_LINE_MAX + 512];
};

struct maillog_scan {
	const char	*end;
};

void	 maillog_init(struct maillog_rec *, time_t);
int	 maillog_parse(struct maillog_rec *, const char *, size_t);
int	 maillog_reply(struct maillog_rec *, const char *, size_t);
int	 maillog_fill(const struct maillog_rec *, size_t, struct report *);
int	 maillog_epoch(const char *, long long *);
void	 maillog_scan_init(struct maillog_scan *, const char *, const char *);
const char *maillog_scan_next(struct maillog_scan *, const char *,
	    const char **);
size_t	 maillog_count_nl(const char *, size_t);

#endif
