/*
 * trend.h - patterns no single bounce shows, over a sliding time window
 *
 * SYNOPSIS
 *	struct trend *trend_new(const struct rules *rules,
 *		    const struct config *c);
 *	int	trend_differs(const struct trend *t,
 *		    const struct rules *rules, const struct config *c);
 *	int	trend_note(struct trend *t, const char *domain,
 *		    const char *cause, const char *rcpt, time_t when,
 *		    char *line, size_t len);
 *	unsigned long trend_dropped(struct trend *t);
 *	void	trend_free(struct trend *t);
 *
 * DESCRIPTION
 *	A trend counts bounces in memory, per recipient domain and cause,
 *	over the last window seconds (trends.window of c), driven by the
 *	trend rules of the rules set (rules/trends, trendrule.h), as
 *	shipped:
 *
 *	recipient-not-in-directory: trends.dbeb_addresses or more
 *	    distinct addresses at one domain within the window: the
 *	    receiving tenant is probably misconfigured (accepted domain or
 *	    directory sync);
 *	sender-blocked: trends.blocked_domains or more distinct recipient
 *	    domains within the window: our sending IP is probably listed.
 *
 *	trend_new() copies the rules, with their thresholds under the
 *	configuration c (NULL: the settings' defaults), so the trend may
 *	outlive the rules set; rules NULL gives a trend with no rule.  It
 *	returns NULL when the window is <= 0 or memory ran out.
 *	trend_differs() is 1 when trend_new(rules, c) would make a trend
 *	of other rules, thresholds or window than t (the milter warns that
 *	such a change takes a restart), else 0.
 *
 *	A threshold <= 0 turns its rule off.  trend_note() counts one
 *	bounce (addresses and domains compare case-insensitively) and
 *	returns 1 when that bounce makes a rule cross its threshold, with
 *	the log line in line:
 *
 *	    trend domain=D cause=C count=N window=SECONDS hint="..."
 *
 *	(for a rule counting domains, such as sender-blocked, domain=* and
 *	a last key domains=a,b,c names the domains).  The rules are tried
 *	in their order; one bounce fires at most one line.  A rule fires once per window per domain: after it
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

#include "trendrule.h"

#define TREND_MAX_KEYS		4096
#define TREND_MAX_ENTRIES	262144	/* items counted in all, at most */

struct trend;
struct rules;
struct config;

struct trend *trend_new(const struct rules *, const struct config *);
int	trend_differs(const struct trend *, const struct rules *,
	    const struct config *);
int	trend_note(struct trend *, const char *, const char *, const char *,
	    time_t, char *, size_t);
unsigned long trend_dropped(struct trend *);
void	trend_free(struct trend *);

#endif
