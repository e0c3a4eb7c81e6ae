/*
 * report.h - what a bounce says, per recipient, and how it was classified
 *
 * SYNOPSIS
 *	struct report *report_new(size_t arena_cap);
 *	struct rcpt *report_add_rcpt(struct report *r);
 *	void	report_free(struct report *r);
 *	int	report_expired(struct report *r);
 *	long long report_now_ms(void);
 *
 * DESCRIPTION
 *	A report is the result of decoding one message: filled in order by
 *	the MIME walk (mime), the bounce-format parsers (format_parse), the
 *	evidence checks (evidence_run) and the classifier (classify_report).
 *	Every string lives in r->a and is never NULL once the pipeline is
 *	done ("" when unknown); report_free() releases all of it.
 *
 *	report_add_rcpt() appends a zeroed recipient record and returns it
 *	(valid until the next call: the array may move),
 *	or NULL when REPORT_MAX_RCPT is reached or memory ran out (r->error
 *	is then set to say so).
 *
 *	report_expired() is the max_classify_ms check for the loops of the
 *	pipeline: 1 (and r->timed_out, r->error set) once r->deadline (a
 *	report_now_ms() value; 0: none) has passed, else 0.  It costs one
 *	clock_gettime() when a deadline is set.  report_now_ms() is the
 *	monotonic clock in milliseconds.
 */
#ifndef REPORT_H
#define REPORT_H

#include <stddef.h>

#include "arena.h"
#include "mime.h"

#define REPORT_MAX_RCPT	20000

struct evidence {
	const char	*spf;	/* pass fail softfail neutral none temperror
				   permerror skipped */
	const char	*dkim;	/* pass fail signed unverifiable none skipped */
	const char	*mx;	/* eop eop-mixed other none skipped */
	const char	*note;	/* a sentence for the hint, or "" */
};

struct rcpt {
	/* set by the format parsers */
	const char	*addr;		/* Final-Recipient, bare address */
	const char	*orig_addr;	/* Original-Recipient, bare address */
	const char	*action;	/* failed delayed delivered relayed
					   expanded, or "" */
	char		 status[16];	/* "5.1.1" as stated (3 numbers), or "" */
	char		 reply[4];	/* "550", or "" */
	const char	*diag;		/* diagnostic text, UTF-8, one line */
	const char	*remote_mta;
	const char	*last_attempt;
	const char	*command;	/* SMTP command that failed: CONN HELO
					   MAIL RCPT DATA, or "" */
	const char	*feedback_type;	/* ARF Feedback-Type */
	const char	*reason_hint;	/* a family parser's own verdict, or
					   NULL: the classifier's input */
	/* set by the classifier */
	const char	*reason;	/* Sisimai vocabulary */
	const char	*cause;		/* see bounce-milter-causes(7) */
	const char	*side;		/* sender recipient address transient
					   none unknown */
	const char	*hint;
	const char	*inner_cause;	/* message-expired only, else "" */
	int		 hard;
	int		 status_inferred; /* status was not stated */
	int		 expired;	/* the sender said it gave up (a stated
					   X.4.7, "retry timeout exceeded"),
					   whatever status the text refined */
	struct evidence	 ev;
};

struct report {
	struct arena	*a;
	struct mime_msg	 mime;
	int		 bounce;
	const char	*kind;		/* dsn arf autoreply, or "" */
	const char	*format;	/* family id: rfc3464 postfix exim ... */
	const char	*reporting_mta;
	const char	*arrival_date;
	struct {
		const char *message_id;
		const char *from;
		const char *to;
		const char *subject;
		const char *envelope_id;	/* Original-Envelope-Id */
		const char *queue_id;		/* X-Postfix-Queue-ID etc. */
	}		 orig;
	const struct mime_part *original;	/* returned original, or NULL */
	const char	*original_text;	/* inline original (no MIME), or NULL */
	size_t		 original_len;
	struct rcpt	*rcpt;
	size_t		 nrcpt;
	size_t		 rcap;
	const char	*error;		/* why the input was cut, or "" */
	/* set by bounce_decode() from its options (bounce.h) */
	const char	*outbound_relay; /* our smart host (configuration),
					   or "" */
	long long	 deadline;	/* CLOCK_MONOTONIC ms past which the
					   work stops, 0: none */
	int		 timed_out;	/* max_classify_ms stopped the work */
};

struct report *report_new(size_t);
struct rcpt *report_add_rcpt(struct report *);
void	 report_free(struct report *);
int	 report_expired(struct report *);
long long report_now_ms(void);

#endif
