/*
 * history_domains.c - the sender domains of our outgoing mail, in memory
 *
 * SYNOPSIS
 *	#include "history.h"
 *
 *	struct hist_domains *hist_domains_new(int retention_days);
 *	void	hist_domains_free(struct hist_domains *d);
 *	void	hist_domains_add(struct hist_domains *d, const char *sender,
 *		    time_t when);
 *	int	hist_domains_load(struct hist_domains *d, const char *target,
 *		    char *err, size_t errlen);
 *	int	hist_domains_ours(void *d, const char *domain);
 *	size_t	hist_domains_count(struct hist_domains *d);
 *
 * DESCRIPTION
 *	The default of our_domains (bounce-milter.conf(5), our_domains):
 *	the domains of the envelope senders of mail recorded as
 *	outgoing within retention_days (0: any age).  A bounded set
 *	(HIST_DOMAINS_MAX domains, the newest sending time of each) kept
 *	in memory, so that the evidence stage asks it without touching the
 *	database: hist_domains_load() reads the outgoing table of the
 *	store at target once (a SQLite path, read-only, a missing file
 *	being an empty set, or a PostgreSQL URL; history_open()'s writer
 *	thread does it first thing, so nothing waits on a server before
 *	the daemon answers mail),
 *	hist_domains_add() adds the domain of one sender address as it is
 *	sent (history_put_outgoing() calls it, so a record still queued
 *	counts at once).  Domains are kept in the form of
 *	evidence_domain_key() (A-labels, lower case); a full set takes no
 *	more (counted in hist_domains_count()'s caller's log, not here).
 *
 *	hist_domains_ours() has the shape of evidence_ours_fn: 1 when
 *	domain (evidence_domain_key() form), or a parent of it, is a
 *	sender domain seen within retention_days, else 0.  All functions
 *	are thread-safe; d may be NULL (an empty set).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include "evidence.h"
#include "history.h"
#include "history_int.h"

#define NSLOT	(2 * HIST_DOMAINS_MAX)	/* open addressing, half full */

struct hdom {
	char	*name;
	time_t	 last;
};

struct hist_domains {
	pthread_mutex_t	 mu;
	struct hdom	 slot[NSLOT];
	size_t		 n;
	int		 retention_days;
};

static unsigned
hash(const char *s, size_t n)
{
	unsigned h = 2166136261u;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return (h);
}

struct hist_domains *
hist_domains_new(int retention_days)
{
	struct hist_domains *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return (NULL);
	pthread_mutex_init(&d->mu, NULL);
	d->retention_days = retention_days;
	return (d);
}

void
hist_domains_free(struct hist_domains *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < NSLOT; i++)
		free(d->slot[i].name);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

/* The slot of name[0..n-1], or the empty slot where it would go. */
static struct hdom *
find(struct hist_domains *d, const char *name, size_t n)
{
	unsigned i = hash(name, n) % NSLOT;

	while (d->slot[i].name != NULL && (strlen(d->slot[i].name) != n ||
	    memcmp(d->slot[i].name, name, n) != 0))
		i = (i + 1) % NSLOT;
	return (&d->slot[i]);
}

/* The domain of an address ("<a@b>", "a@b"), or -1. */
static int
addr_domain(const char *addr, char *dst, size_t len)
{
	const char *at;
	size_t n;

	if ((at = strrchr(addr, '@')) == NULL)
		return (-1);
	at++;
	n = strcspn(at, "> \t");
	if (n == 0 || n >= len)
		return (-1);
	memcpy(dst, at, n);
	dst[n] = '\0';
	return (0);
}

void
hist_domains_add(struct hist_domains *d, const char *sender, time_t when)
{
	char raw[256], key[256];
	struct hdom *s;

	if (d == NULL || sender == NULL)
		return;
	if (addr_domain(sender, raw, sizeof(raw)) == -1 ||
	    evidence_domain_key(raw, key, sizeof(key)) == -1)
		return;
	pthread_mutex_lock(&d->mu);
	s = find(d, key, strlen(key));
	if (s->name != NULL) {
		if (when > s->last)
			s->last = when;
	} else if (d->n < HIST_DOMAINS_MAX &&
	    (s->name = strdup(key)) != NULL) {
		s->last = when;
		d->n++;
	}
	pthread_mutex_unlock(&d->mu);
}

/* One row of the load: sender, newest time it was used. */
static int
load_row(void *arg, int ncol, const char *const *col)
{
	if (ncol >= 2)
		hist_domains_add(arg, col[0], (time_t)strtoll(col[1], NULL, 10));
	return (0);
}

int
hist_domains_load(struct hist_domains *d, const char *target, char *err,
    size_t errlen)
{
	/* the same SQL for SQLite and PostgreSQL; the newest first */
	static const char sql[] = "SELECT sender, max(sent) FROM outgoing"
	    " WHERE sent >= $1 GROUP BY sender ORDER BY 2 DESC LIMIT 65536";
	long long since = 0;

	if (err != NULL && errlen > 0)
		*err = '\0';
	if (d == NULL || target == NULL || *target == '\0')
		return (0);
	if (d->retention_days > 0)
		since = (long long)time(NULL) - d->retention_days * 86400LL;
	if (hist_is_url(target))
		return (hist_pg_query(target, sql, since, load_row, d, err,
		    errlen));
	if (access(target, F_OK) == -1)		/* nothing sent yet */
		return (0);
	return (hist_sqlite_query(target, sql, since, load_row, d, err,
	    errlen));
}

int
hist_domains_ours(void *arg, const char *domain)
{
	struct hist_domains *d = arg;
	const char *p;
	struct hdom *s;
	time_t since = 0;
	int found = 0;

	if (d == NULL || domain == NULL)
		return (0);
	if (d->retention_days > 0)
		since = time(NULL) - (time_t)d->retention_days * 86400;
	pthread_mutex_lock(&d->mu);
	/* the domain itself, then each parent with two labels or more */
	for (p = domain; p != NULL && strchr(p, '.') != NULL && !found;
	    p = strchr(p, '.') ? strchr(p, '.') + 1 : NULL) {
		s = find(d, p, strlen(p));
		found = s->name != NULL && s->last >= since;
	}
	pthread_mutex_unlock(&d->mu);
	return (found);
}

size_t
hist_domains_count(struct hist_domains *d)
{
	size_t n;

	if (d == NULL)
		return (0);
	pthread_mutex_lock(&d->mu);
	n = d->n;
	pthread_mutex_unlock(&d->mu);
	return (n);
}
