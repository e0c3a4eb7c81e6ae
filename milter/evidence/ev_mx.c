/*
 * ev_mx.c - where a recipient domain's mail goes: its MX set
 *
 * SYNOPSIS
 *	#include "ev.h"
 *
 *	const char *ev_mx_check(struct ev_dns *d, const struct rules *rules,
 *		    const char *domain, int64_t deadline,
 *		    struct ev_mx_info *info);
 *	int	ev_mx_is_eop(const struct rules *rules, const char *host);
 *
 * DESCRIPTION
 *	ev_mx_check() asks the MX records of domain and returns
 *	"eop" (every MX is Exchange Online), "eop-mixed" (Exchange Online
 *	plus other hosts, which Exchange Online does not support), "other",
 *	"none" (no MX, NXDOMAIN, or only the null MX "."), or "skipped"
 *	(DNS error, out of time, unusable domain).  info gets the count,
 *	the most preferred host and a host that is not Exchange Online.
 *
 *	ev_mx_is_eop() is true for hosts under the tenant-mx domains of
 *	rules/exchange-online (mail.protection.outlook.com, mx.microsoft:
 *	the DNSSEC/DANE form), case-insensitive, with or without a final
 *	dot.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ev.h"
#include "rules.h"

int
ev_mx_is_eop(const struct rules *rules, const char *host)
{
	size_t n;

	if (host == NULL)
		return (0);
	n = strlen(host);
	if (n > 0 && host[n - 1] == '.')
		n--;
	return (eop_host(rules, EOP_TENANT_MX, host, n));
}

const char *
ev_mx_check(struct ev_dns *d, const struct rules *rules, const char *domain,
    int64_t deadline, struct ev_mx_info *info)
{
	struct ev_answer *a = NULL;
	int rc, i, best = -1;
	const char *word;
	char ascii[256];

	memset(info, 0, sizeof(*info));
	if (d == NULL || ev_domain_ascii(domain, ascii, sizeof(ascii)) == -1 ||
	    !ev_domain_ok(ascii))
		return ("skipped");
	if (ev_now_ms() >= deadline)
		return ("skipped");
	rc = ev_dns_query(d, ascii, EV_T_MX, deadline, &a);
	switch (rc) {
	case EV_DNS_NXDOMAIN:
	case EV_DNS_NODATA:
		ev_answer_free(a);
		return ("none");
	case EV_DNS_OK:
		break;
	default:
		ev_answer_free(a);
		return ("skipped");
	}
	for (i = 0; i < a->nrr; i++) {
		const char *h = a->rr[i].data;

		if (*h == '\0' || strcmp(h, ".") == 0)
			continue;		/* null MX (RFC 7505) */
		info->n++;
		if (ev_mx_is_eop(rules, h))
			info->neop++;
		else if (info->foreign[0] == '\0')
			snprintf(info->foreign, sizeof(info->foreign), "%s", h);
		if (best < 0 || a->rr[i].pref < a->rr[best].pref ||
		    (a->rr[i].pref == a->rr[best].pref &&
		    strcasecmp(h, a->rr[best].data) < 0))
			best = i;
	}
	if (best >= 0)
		snprintf(info->first, sizeof(info->first), "%s",
		    a->rr[best].data);
	if (info->n == 0)
		word = "none";
	else if (info->neop == info->n)
		word = "eop";
	else if (info->neop > 0)
		word = "eop-mixed";
	else
		word = "other";
	ev_answer_free(a);
	return (word);
}
