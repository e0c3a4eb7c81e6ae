/*
 * bounce.h - decode one raw message: the whole classifier pipeline
 *
 * SYNOPSIS
 *	struct report *bounce_decode(const struct rules *rules,
 *		    const char *msg, size_t len, const struct bounce_opts *o);
 *
 * DESCRIPTION
 *	bounce_decode() runs MIME walk -> format parsers -> evidence ->
 *	classifier on msg and returns the report (free it with
 *	report_free()), or NULL only when no memory at all could be had.
 *	o may be NULL for defaults (no evidence, default limits).  It never
 *	fails on bad input: a message that is not a bounce gives
 *	r->bounce == 0; a limit that stopped the work sets r->error and
 *	keeps what was decoded.  Every string in the report is non-NULL.
 *	Thread-safe for a shared, read-only rules set.
 */
#ifndef BOUNCE_H
#define BOUNCE_H

#include <stddef.h>

#include "evidence.h"
#include "mime.h"
#include "report.h"
#include "rules.h"

struct bounce_opts {
	struct evidence_ctx	*evidence;	/* NULL: evidence skipped */
	struct mime_limits	 limits;	/* 0 fields: defaults */
	size_t			 arena_cap;	/* 0: ARENA_DEFAULT_CAP */
};

struct report *bounce_decode(const struct rules *, const char *, size_t,
	    const struct bounce_opts *);

#endif
