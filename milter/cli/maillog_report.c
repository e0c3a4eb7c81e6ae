/*
 * maillog_report.c - bounce-decode --maillog --report: causes by domain;
 *	see maillog_report.h
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
 *	The groups and the addresses seen are kept in open-addressed hash
 *	tables (an address by its 64-bit hash); the table printed is sorted
 *	by count, then domain and cause.  maillog_cli.c feeds it the
 *	results of --maillog when --report is given.  mlr_hash() is the
 *	hash both use: FNV-1a over s, ASCII letters folded to lower case,
 *	from h.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "json.h"
#include "maillog.h"
#include "maillog_report.h"
#include "report.h"
#include "timefmt.h"

uint64_t
mlr_hash(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)(*s | (*s >= 'A' && *s <= 'Z' ?
		    0x20 : 0))) * 0x100000001b3ULL;
	return (h);
}

static char *
lower_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');
	char *d, *p;

	if ((d = strdup(at != NULL ? at + 1 : "")) == NULL)
		return (NULL);
	for (p = d; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	return (d);
}

/* Was (group, address) seen?  Remembers it; 1 when new. */
static int
addr_new(struct agg *a, size_t gi, const char *addr)
{
	uint64_t h = mlr_hash(addr, 0xcbf29ce484222325ULL ^ (gi * 0x9e3779b97f4a7c15ULL));
	size_t i, ncap;
	uint64_t *n;

	if (h == 0)
		h = 1;
	if ((a->na + 1) * 2 > a->acap) {
		ncap = a->acap ? a->acap * 2 : 4096;
		if (ncap > ADDRS_MAX * 2 || (n = calloc(ncap, sizeof(*n))) ==
		    NULL)
			return (0);	/* full: counted as seen */
		for (i = 0; i < a->acap; i++) {
			size_t j;

			if (a->aset[i] == 0)
				continue;
			for (j = a->aset[i] & (ncap - 1); n[j] != 0;
			    j = (j + 1) & (ncap - 1))
				;
			n[j] = a->aset[i];
		}
		free(a->aset);
		a->aset = n;
		a->acap = ncap;
	}
	for (i = h & (a->acap - 1); a->aset[i] != 0;
	    i = (i + 1) & (a->acap - 1))
		if (a->aset[i] == h)
			return (0);
	a->aset[i] = h;
	a->na++;
	return (1);
}

void
mlr_add(struct agg *a, const struct rcpt *rc, const struct maillog_rec *m,
    long long t)
{
	struct grp *g;
	char *dom;
	const char *cause = rc->cause[0] ? rc->cause : rc->reason;
	uint64_t h;
	size_t i;

	if ((dom = lower_domain(rc->addr)) == NULL)
		return;
	a->attempts++;
	a->deferred += strcmp(rc->action, "delayed") == 0;
	if (a->slot == NULL) {
		a->nslot = 32768;	/* > 2 * GROUPS_MAX */
		if ((a->slot = calloc(a->nslot, sizeof(*a->slot))) == NULL ||
		    (a->g = calloc(GROUPS_MAX, sizeof(*a->g))) == NULL) {
			free(dom);
			return;
		}
	}
	h = mlr_hash(cause, mlr_hash(dom, 0xcbf29ce484222325ULL) * 31);
	for (i = h & (a->nslot - 1); a->slot[i] != 0;
	    i = (i + 1) & (a->nslot - 1)) {
		g = &a->g[a->slot[i] - 1];
		if (strcmp(g->domain, dom) == 0 && strcmp(g->cause, cause) == 0)
			break;
	}
	if (a->slot[i] == 0) {
		if (a->n == GROUPS_MAX) {
			a->full = 1;
			free(dom);
			return;
		}
		g = &a->g[a->n];
		g->domain = dom;
		dom = NULL;
		g->cause = strdup(cause);
		g->reason = strdup(rc->reason);
		if (g->cause == NULL || g->reason == NULL) {
			free(g->domain);
			free(g->cause);
			free(g->reason);
			memset(g, 0, sizeof(*g));
			return;
		}
		g->tfirst = LLONG_MAX;
		g->tlast = LLONG_MIN;
		a->slot[i] = (uint32_t)++a->n;
	}
	free(dom);
	g = &a->g[a->slot[i] - 1];
	g->count++;
	g->deferred += strcmp(rc->action, "delayed") == 0;
	g->addrs += addr_new(a, a->slot[i] - 1, rc->addr);
	if (t <= g->tfirst) {
		free(g->first);
		g->first = strdup(m->time);
		g->tfirst = t;
	}
	if (t >= g->tlast) {
		free(g->last);
		g->last = strdup(m->time);
		g->tlast = t;
		free(g->hint);
		g->hint = strdup(rc->hint);
	}
}

static const struct grp *sort_base;

static int
grpcmp(const void *x, const void *y)
{
	const struct grp *a = &sort_base[*(const size_t *)x];
	const struct grp *b = &sort_base[*(const size_t *)y];
	int c;

	if (a->count != b->count)
		return (a->count > b->count ? -1 : 1);
	if ((c = strcmp(a->domain, b->domain)) != 0)
		return (c);
	return (strcmp(a->cause, b->cause));
}

static void
cell(struct buf *out, int width, const char *s, const char *after)
{
	char tmp[2048];
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s", s != NULL && *s ? s : "-");
	for (i = 0; tmp[i]; i++)
		if ((unsigned char)tmp[i] < 0x20 || tmp[i] == 0x7f)
			tmp[i] = ' ';
	buf_printf(out, "%-*s%s", width, tmp, after);
}

void
mlr_print(struct agg *a, struct buf *b, long long cutoff, int json)
{
	const struct grp *g;
	size_t *ix, i;
	char t1[32], t2[32];

	if ((ix = calloc(a->n + 1, sizeof(*ix))) == NULL)
		return;
	for (i = 0; i < a->n; i++)
		ix[i] = i;
	sort_base = a->g;
	qsort(ix, a->n, sizeof(*ix), grpcmp);
	if (cutoff > 0)
		timefmt_iso(t1, sizeof(t1), (time_t)cutoff, "-");
	else
		snprintf(t1, sizeof(t1), "%s", "");
	timefmt_iso(t2, sizeof(t2), time(NULL), "-");
	if (json)
		buf_printf(b, "{\"since\":\"%s\",\"until\":\"%s\","
		    "\"attempts\":%llu,\"deferred\":%llu,\"causes\":[",
		    t1, t2, a->attempts, a->deferred);
	else {
		buf_printf(b, "failed or deferred delivery attempts%s%s: %llu "
		    "(%llu deferred)\n", *t1 ? " since " : "", t1,
		    a->attempts, a->deferred);
		buf_printf(b, "%-28s %-28s %6s %6s %8s  %-20s  %-20s  %s\n",
		    "DOMAIN", "CAUSE", "COUNT", "ADDRS", "DEFERRED",
		    "FIRST SEEN", "LAST SEEN", "HINT");
	}
	for (i = 0; i < a->n; i++) {
		g = &a->g[ix[i]];
		if (json) {
			buf_adds(b, i ? ",{\"domain\":" : "{\"domain\":");
			json_string(b, g->domain);
			buf_adds(b, ",\"cause\":");
			json_string(b, g->cause);
			buf_adds(b, ",\"reason\":");
			json_string(b, g->reason);
			buf_printf(b, ",\"count\":%lu,\"addresses\":%lu,"
			    "\"deferred\":%lu,\"first_seen\":", g->count,
			    g->addrs, g->deferred);
			json_string(b, g->first ? g->first : "");
			buf_adds(b, ",\"last_seen\":");
			json_string(b, g->last ? g->last : "");
			buf_adds(b, ",\"hint\":");
			json_string(b, g->hint ? g->hint : "");
			buf_addc(b, '}');
		} else {
			cell(b, 28, g->domain, " ");
			cell(b, 28, g->cause, " ");
			buf_printf(b, "%6lu %6lu %8lu  ", g->count, g->addrs,
			    g->deferred);
			cell(b, 20, g->first, "  ");
			cell(b, 20, g->last, "  ");
			cell(b, 0, g->hint, "\n");
		}
	}
	if (json)
		buf_adds(b, "]}\n");
	else if (a->n == 0)
		buf_adds(b, "(no failed or deferred deliveries)\n");
	if (a->full && !json)
		buf_printf(b, "(only the first %d groups counted)\n",
		    GROUPS_MAX);
	free(ix);
}

void
mlr_free(struct agg *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->g[i].domain);
		free(a->g[i].cause);
		free(a->g[i].reason);
		free(a->g[i].hint);
		free(a->g[i].first);
		free(a->g[i].last);
	}
	free(a->g);
	free(a->slot);
	free(a->aset);
}

