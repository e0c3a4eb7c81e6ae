/*
 * ev_note.c - the evidence's sentence for the hint
 *
 * SYNOPSIS
 *	#include "evidence_int.h"
 *
 *	const char *ev_note(struct msg *m, int relay, int mxi);
 *
 * DESCRIPTION
 *	ev_note() gives the one sentence rc->ev.note carries for a
 *	recipient, from the message's checks in m (SPF, DKIM) and its
 *	domain's MX (m->dom[mxi]; mxi < 0: none): the finding that matters
 *	most.  When the recipient's text is about relaying (relay set) the
 *	MX comes first; then SPF (fail, softfail, neutral, none, permerror,
 *	temperror), DKIM (fail, unverifiable, none), the MX (eop-mixed,
 *	none); both passing says so; checks cut short by the deadline say
 *	that.  The sentence is in the report's arena, "" when there is
 *	nothing to say, NULL when it could not be made.
 */
#include <stdio.h>
#include <string.h>

#include "evidence_int.h"

static char *
dashed(struct arena *a, const char *d)
{
	char *s = arena_strdup(a, d), *p;

	if (s != NULL)
		for (p = s; *p; p++)
			if (*p == '.')
				*p = '-';
	return (s);
}

static const char *
spf_note(struct msg *m)
{
	struct arena *a = m->r->a;
	const char *d = m->si.domain, *ip = m->si.ip;

	if (*d == '\0')
		return (NULL);
	if (strcmp(m->spf, "fail") == 0)
		return (arena_printf(a, "SPF for %s fails from %s: add it to "
		    "the record.", d, ip));
	if (strcmp(m->spf, "softfail") == 0)
		return (arena_printf(a, "SPF for %s soft-fails (~all) from "
		    "%s: add it to the record.", d, ip));
	if (strcmp(m->spf, "neutral") == 0)
		return (arena_printf(a, "SPF for %s is neutral for %s: list "
		    "it in the record so that it passes.", d, ip));
	if (strcmp(m->spf, "none") == 0)
		return (arena_printf(a, "%s publishes no SPF record: publish "
		    "one that includes %s.", d, ip));
	if (strcmp(m->spf, "permerror") == 0)
		return (arena_printf(a, "The SPF record of %s is broken "
		    "(permerror): fix its syntax or its DNS lookup count.",
		    d));
	if (strcmp(m->spf, "temperror") == 0)
		return (arena_printf(a, "SPF for %s could not be evaluated "
		    "(DNS error).", d));
	return (NULL);
}

static const char *
dkim_note(struct msg *m)
{
	struct arena *a = m->r->a;
	const char *fd = m->from_domain;

	if (*fd == '\0')
		return (NULL);
	if (strcmp(m->dkim, "fail") == 0)
		return (arena_printf(a, "The DKIM signature of %s (s=%s) "
		    "fails on the returned original: something changed the "
		    "message after signing, or the published key does not "
		    "match.", m->di.domain, m->di.selector));
	if (strcmp(m->dkim, "unverifiable") == 0)
		return (arena_printf(a, "The DKIM signature of %s could not "
		    "be checked (body cut or key unavailable).",
		    m->di.domain[0] ? m->di.domain : fd));
	if (strcmp(m->dkim, "none") == 0 && m->di.other[0] != '\0')
		return (arena_printf(a, "The original carries no DKIM "
		    "signature aligned with %s (only d=%s): sign with the "
		    "From domain.", fd, m->di.other));
	if (strcmp(m->dkim, "none") == 0)
		return (arena_printf(a, "The original carries no DKIM "
		    "signature of %s: sign outgoing mail with DKIM aligned to "
		    "the From domain.", fd));
	return (NULL);
}

static const char *
mx_note(struct msg *m, int i, int relay)
{
	struct arena *a = m->r->a;
	const char *d, *w;
	const struct ev_mx_info *in;

	if (i < 0)
		return (NULL);
	d = m->dom[i].domain;
	w = m->dom[i].mx;
	in = &m->dom[i].info;
	if (strcmp(w, "eop-mixed") == 0)
		return (arena_printf(a, "%s has %d MX records, not all "
		    "Exchange Online (%s): Exchange Online needs the single "
		    "MX %s.mail.protection.outlook.com.", d, in->n,
		    in->foreign, dashed(a, d)));
	if (strcmp(w, "none") == 0)
		return (arena_printf(a, "%s has no MX record.", d));
	if (!relay)
		return (NULL);
	if (strcmp(w, "other") == 0)
		return (arena_printf(a, "The MX of %s is %s, not Exchange "
		    "Online: if Exchange Online refused to relay, our own "
		    "outbound connector sent it there.", d, in->first));
	if (strcmp(w, "eop") == 0)
		return (arena_printf(a, "The MX of %s is Exchange Online "
		    "(%s): the tenant must list %s as an accepted domain.", d,
		    in->first, d));
	return (NULL);
}

const char *
ev_note(struct msg *m, int relay, int mxi)
{
	const char *n;

	if (relay && (n = mx_note(m, mxi, 1)) != NULL)
		return (n);
	if ((n = spf_note(m)) != NULL)
		return (n);
	if ((n = dkim_note(m)) != NULL)
		return (n);
	if ((n = mx_note(m, mxi, 0)) != NULL)
		return (n);
	if (strcmp(m->spf, "pass") == 0 && strcmp(m->dkim, "pass") == 0)
		return (arena_printf(m->r->a, "SPF for %s passes from %s and "
		    "the DKIM signature of %s verifies.", m->si.domain,
		    m->si.ip, m->di.domain));
	if (m->ran_out)
		return (arena_printf(m->r->a, "Evidence checks stopped after "
		    "dns.timeout_ms (%d ms).", m->e->timeout_ms));
	return ("");
}
