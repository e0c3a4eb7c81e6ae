/*
 * trend.h - patterns no single bounce shows, over a sliding time window
 *
 * SYNOPSIS
 *	struct trend *trend_new(int window, int dbeb_addresses,
 *		    int blocked_domains);
 *	int	trend_note(struct trend *t, const char *domain,
 *		    const char *cause, const char *rcpt, time_t when,
 *		    char *line, size_t len);
 *	unsigned long trend_dropped(struct trend *t);
 *	void	trend_free(struct trend *t);
 *
 * DESCRIPTION
 *	A trend counts bounces in memory, per recipient domain and cause,
 *	over the last window seconds, driven by a table of rules:
 *
 *	recipient-not-in-directory: dbeb_addresses or more distinct
 *	    addresses at one domain within the window: the receiving
 *	    tenant is probably misconfigured (accepted domain or
 *	    directory sync);
 *	sender-blocked: blocked_domains or more distinct recipient domains
 *	    within the window: our sending IP is probably listed.
 *
 *	A threshold <= 0 turns its rule off.  trend_note() counts one
 *	bounce (addresses and domains compare case-insensitively) and
 *	returns 1 when that bounce makes a rule cross its threshold, with
 *	the log line in line:
 *
 *	    trend domain=D cause=C count=N window=SECONDS hint="..."
 *
 *	(for sender-blocked, domain=* and a last key domains=a,b,c names
 *	the domains).  A rule fires once per window per domain: after it
 *	fired at time T it stays quiet until T + window, then fires again
 *	only if the count is still at the threshold.  It returns 0 when
 *	nothing fired (line is then "").  Times may come slightly out of
 *	order; an event older than the window is ignored.
 *
 *	Memory is bounded: at most TREND_MAX_KEYS counters, each holding at
 *	most its threshold of entries, TREND_MAX_ENTRIES entries in all
 *	(a few MiB); when the table is full, idle counters are evicted, and
 *	if none is idle (or no entry is left) the note is dropped and
 *	counted (trend_dropped()).  Thread-safe.
 */
#ifndef TREND_H
#define TREND_H

#include <stddef.h>
#include <time.h>

#define TREND_MAX_KEYS		4096
#define TREND_MAX_THRESHOLD	10000
#define TREND_MAX_ENTRIES	262144	/* items counted in all, at most */

struct trend;

struct trend *trend_new(int, int, int);
int	trend_note(struct trend *, const char *, const char *, const char *,
	    time_t, char *, size_t);
unsigned long trend_dropped(struct trend *);
void	trend_free(struct trend *);

#endif
