/*
 * eophost.c - the host names of Exchange Online, from rules/exchange-online
 *
 * SYNOPSIS
 *	int	eop_hosts_load(struct rules *rules, char *err, size_t errlen);
 *	void	eop_hosts_free(struct eop_hosts *h);
 *	const char *const *eop_domains(const struct rules *rules, int role,
 *		    size_t *n);
 *	int	eop_host(const struct rules *rules, int role, const char *host,
 *		    size_t len);
 *
 * DESCRIPTION
 *	eop_hosts_load() reads the one list of Exchange Online domains
 *	(rules/exchange-online: each domain with its roles EOP_TENANT_MX,
 *	EOP_RELAY, EOP_FRONT_END, EOP_RETIRED) into rules->eop; errors "FILE:LINE:
 *	message".  eop_domains() gives the domains of a role in file order
 *	(NULL terminated, their number in *n), eop_host() whether
 *	host[0..len) lies under one of them (rlist_host_under()).  The
 *	cause catalog (cause_eop.c) and the MX evidence (ev_mx.c) both ask
 *	here, so the list is written once.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rulefile.h"
#include "rulelist.h"
#include "rules.h"

#define EOP_MAX	32

struct eop_hosts {
	struct rlist	*list;
	const char	*v[EOP_NROLES][EOP_MAX + 1];
	size_t		 n[EOP_NROLES];
};

static const char *const roles[EOP_NROLES] = {
	"tenant-mx", "relay", "front-end", "retired"
};

static int
role_of(const char *w, size_t n)
{
	int i;

	for (i = 0; i < EOP_NROLES; i++)
		if (strlen(roles[i]) == n && strncmp(roles[i], w, n) == 0)
			return (i);
	return (-1);
}

int
eop_hosts_load(struct rules *rules, char *err, size_t errlen)
{
	struct eop_hosts *h;
	const char *const *e;
	char *d;
	size_t i, n, k;
	int r;

	if ((h = calloc(1, sizeof(*h))) == NULL) {
		snprintf(err, errlen, "%s/exchange-online:0: out of memory",
		    rules->dir);
		return (-1);
	}
	rules->eop = h;
	if ((h->list = rlist_load(rules->dir, "exchange-online", err,
	    errlen)) == NULL || rlist_need(h->list, "hosts", err,
	    errlen) == -1)
		return (-1);
	e = rlist_get(h->list, "hosts", &n);
	for (i = 0; i < n; i++) {
		/* "DOMAIN ROLE...": the domain ends at the first blank */
		d = (char *)e[i];
		k = strcspn(d, " \t");
		if (d[k] == '\0') {
			snprintf(err, errlen, "%s/exchange-online:0: \"%s\" has "
			    "no role", rules->dir, d);
			return (-1);
		}
		d[k++] = '\0';
		for (;;) {
			k += strspn(d + k, " \t");
			if (d[k] == '\0')
				break;
			if ((r = role_of(d + k, strcspn(d + k, " \t"))) < 0) {
				snprintf(err, errlen, "%s/exchange-online:0: "
				    "unknown role \"%.*s\"", rules->dir,
				    (int)strcspn(d + k, " \t"), d + k);
				return (-1);
			}
			if (h->n[r] == EOP_MAX) {
				snprintf(err, errlen, "%s/exchange-online:0: "
				    "more than %d %s domains", rules->dir,
				    EOP_MAX, roles[r]);
				return (-1);
			}
			h->v[r][h->n[r]++] = d;
			k += strcspn(d + k, " \t");
		}
	}
	return (0);
}

void
eop_hosts_free(struct eop_hosts *h)
{
	if (h == NULL)
		return;
	rlist_free(h->list);
	free(h);
}

const char *const *
eop_domains(const struct rules *rules, int role, size_t *n)
{
	static const char *const none[] = { NULL };

	if (rules == NULL || rules->eop == NULL || role < 0 ||
	    role >= EOP_NROLES) {
		if (n != NULL)
			*n = 0;
		return (none);
	}
	if (n != NULL)
		*n = rules->eop->n[role];
	return (rules->eop->v[role]);
}

int
eop_host(const struct rules *rules, int role, const char *host, size_t len)
{
	const char *const *v;
	size_t n;

	v = eop_domains(rules, role, &n);
	return (rlist_host_under(host, len, v, n));
}
