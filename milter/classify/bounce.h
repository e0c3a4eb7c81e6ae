/*
 * bounce.h - decode one raw message: the whole classifier pipeline
 *
 * SYNOPSIS
 *	struct report *bounce_decode(const struct rules *rules,
 *		    const char *msg, size_t len, const struct bounce_opts *o);
 *
 * DESCRIPTION
 *	bounce_decode() runs MIME walk -> format parsers -> o->evidence ->
 *	classifier on msg and returns the report (free it with
 *	report_free()), or NULL only when no memory at all could be had.
 *	o may be NULL for defaults (no evidence, default limits).  It never
 *	fails on bad input: a message that is not a bounce gives
 *	r->bounce == 0; a limit that stopped the work sets r->error and
 *	keeps what was decoded.  Every string in the report is non-NULL.
 *	Thread-safe for a shared, read-only rules set.
 *
 *	o->outbound_relay is the configuration's outbound_relay (our smart
 *	host); it reaches the cause decision through r->outbound_relay (an
 *	Exchange Online relay of ours refused by Exchange Online is our
 *	outbound connector, bounce-milter-causes(7)).
 *
 *	o->max_ms (max_classify_ms) is a deadline: the work stops between
 *	stages and between recipients once max_ms milliseconds (monotonic
 *	clock) have passed since the call; the time the evidence hook takes
 *	does not count, as it has its
 *	own bound (dns.timeout_ms), so a message is held at most
 *	max_ms + dns.timeout_ms (plus the one stage that cannot be cut: the
 *	MIME walk or the format parse, both bounded by the size limits).
 *	A report stopped so has r->timed_out set and r->error saying so;
 *	recipients not reached keep reason "undefined".  0: no limit.
 */
#ifndef BOUNCE_H
#define BOUNCE_H

#include <stddef.h>

#include "mime.h"
#include "report.h"
#include "rules.h"

struct bounce_opts {
	/* the evidence stage (evidence_run() and its context in practice):
	   called once the formats are read; NULL: evidence skipped */
	void			(*evidence)(void *, const struct rules *,
				    struct report *);
	void			*evidence_ctx;
	struct mime_limits	 limits;	/* 0 fields: defaults */
	size_t			 arena_cap;	/* 0: ARENA_DEFAULT_CAP */
	const char		*outbound_relay; /* NULL or "": none */
	int			 max_ms;	/* max_classify_ms; 0: none */
};

struct report *bounce_decode(const struct rules *, const char *, size_t,
	    const struct bounce_opts *);

#endif
