/*
 * json.h - bounce-decode's JSON contract (bounce-decode(1), --json)
 *
 * SYNOPSIS
 *	int	json_report(struct buf *out, const struct report *r,
 *		    const char *file);
 *	int	json_string(struct buf *out, const char *s);
 *
 * DESCRIPTION
 *	json_report() appends one JSON object (no newline) for the decoded
 *	message r read from file; every key of the contract is present.
 *	json_string() appends s as a JSON string: valid UTF-8 is kept,
 *	invalid bytes become U+FFFD, control characters are escaped.
 *	Both return 0, or -1 when memory ran out.
 */
#ifndef JSON_H
#define JSON_H

#include "buf.h"
#include "report.h"

int	json_report(struct buf *, const struct report *, const char *);
int	json_string(struct buf *, const char *);

#endif
