/*
 * format.h - bounce-format parsers: from a MIME tree to recipient records
 *
 * SYNOPSIS
 *	int	format_parse(const struct rules *rules, struct report *r);
 *
 * DESCRIPTION
 *	format_parse() looks at r->mime (already walked) and decides whether
 *	the message is a delivery report, an ARF feedback report or an
 *	auto-reply, and in which family's format: RFC 3464 multipart/report
 *	first, then the non-standard bodies of the MTA families whose markers
 *	rules/formats/ describes.  It sets r->bounce, r->kind, r->format,
 *	r->reporting_mta, r->original / r->original_text, r->orig.*, and
 *	appends one struct rcpt per recipient in the order the bounce lists
 *	them, with addr, action, status (exactly three numbers, or ""),
 *	reply, diag, remote_mta, command, and reason_hint where the family's
 *	own wording settles the reason.
 *
 *	Returns 1 when the message is a report of some kind, 0 when it is
 *	not, -1 when a limit stopped the work (r->error says which).
 */
#ifndef FORMAT_H
#define FORMAT_H

#include "report.h"
#include "rules.h"

int	format_parse(const struct rules *, struct report *);

#endif
