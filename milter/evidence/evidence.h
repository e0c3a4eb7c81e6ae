/*
 * evidence.h - SPF, DKIM and MX evidence for a decoded bounce
 *
 * SYNOPSIS
 *	struct evidence_ctx *evidence_new(const struct config *c);
 *	void	evidence_run(struct evidence_ctx *e, const struct rules *rules,
 *		    struct report *r);
 *	void	evidence_hook(void *e, const struct rules *rules,
 *		    struct report *r);
 *	void	evidence_free(struct evidence_ctx *e);
 *
 * DESCRIPTION
 *	evidence_run() fills rc->ev for every recipient of r: the SPF result
 *	of the original envelope sender's domain for the IP that sent the
 *	original (libspf2), the DKIM verdict on the returned original
 *	(libopendkim), and the recipient domain's MX set.  All lookups for
 *	one message together take at most dns.timeout_ms; what did not run
 *	(DNS off, out of time) is "skipped".  With e == NULL every value is
 *	"skipped".  rules gives the Exchange Online host names (ev.mx eop).
 *	A context is safe to share between threads.
 *
 *	evidence_hook() is evidence_run() in the shape of bounce_opts'
 *	evidence stage (the classifier knows no evidence module).
 */
#ifndef EVIDENCE_H
#define EVIDENCE_H

#include "config.h"
#include "report.h"
#include "rules.h"

struct evidence_ctx;

struct evidence_ctx *evidence_new(const struct config *);
void	evidence_run(struct evidence_ctx *, const struct rules *,
	    struct report *);
void	evidence_hook(void *, const struct rules *, struct report *);
void	evidence_free(struct evidence_ctx *);

#endif
