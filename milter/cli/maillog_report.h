/*
 * maillog_report.h - bounce-decode --maillog --report: causes by domain
 *
 * SYNOPSIS
 *	void	mlr_add(struct agg *a, const struct rcpt *rc,
 *		    const struct maillog_rec *m, long long t);
 *	void	mlr_print(struct agg *a, struct buf *b, long long cutoff,
 *		    int json);
 *	void	mlr_free(struct agg *a);
 *	uint64_t mlr_hash(const char *s, uint64_t h);
 *
 * DESCRIPTION
 *	An aggregate (zeroed to start) of the classified delivery attempts
 *	of a log: mlr_add() counts one (rc, classified from the log record
 *	m, at time t, epoch seconds) in the group of its recipient domain,
 *	cause and reason, with its distinct addresses (by hash) and first
 *	and last times; at most GROUPS_MAX groups and ADDRS_MAX addresses
 *	(a->full says the groups ran out).  mlr_print() appends the table,
 *	or with json one JSON object, to b (cutoff: the --since start,
 *	epoch; 0 none); mlr_free() frees what the aggregate holds.
 *	mlr_hash() is FNV-1a over s with ASCII letters folded to lower
 *	case, from h (the sender cache of maillog_cli.c uses it too).
 */
#ifndef MAILLOG_REPORT_H
#define MAILLOG_REPORT_H

#include <stddef.h>
#include <stdint.h>

#define GROUPS_MAX	10000		/* report groups */
#define ADDRS_MAX	(1u << 20)	/* distinct addresses remembered */

struct buf;
struct maillog_rec;
struct rcpt;

struct grp {
	char		*domain, *cause, *reason, *hint, *first, *last;
	long long	 tfirst, tlast;
	unsigned long	 count, deferred, addrs;
};

struct agg {
	struct grp	*g;
	size_t		 n;
	uint32_t	*slot;		/* group index + 1; 0 empty */
	size_t		 nslot;
	uint64_t	*aset;		/* address hashes */
	size_t		 na, acap;
	int		 full;		/* GROUPS_MAX reached */
	unsigned long long attempts, deferred;
};

void	 mlr_add(struct agg *, const struct rcpt *, const struct maillog_rec *,
	    long long);
void	 mlr_print(struct agg *, struct buf *, long long, int);
void	 mlr_free(struct agg *);
uint64_t mlr_hash(const char *, uint64_t);

#endif
