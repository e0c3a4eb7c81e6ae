/*
 * cause_eop.c - the Exchange Online evidence of the cause catalog
 *
 * SYNOPSIS
 *	int	cause_eop_outbound(const struct cause_input *in, char *note,
 *		    size_t notelen);
 *	int	cause_fope_relay(const struct cause_input *in, char *note,
 *		    size_t notelen);
 *
 * DESCRIPTION
 *	The heuristics behind two evidence names of rules/causes.rules
 *	(cause.c runs them when an evidence block replaces the cause the
 *	wording found), on the host names of rules/exchange-online
 *	(eophost.c).
 *
 *	cause_eop_outbound() ("eop-outbound") says whether a relay denial
 *	was of our own relay through Exchange Online: the configured
 *	outbound_relay is an EOP host and an Exchange Online host refused,
 *	not the recipient's own tenant; or the recipient's MX (ev.mx) is
 *	not EOP; or the returned original was already received by an EOP
 *	host; or the refusing EOP host is named after the sender's domain;
 *	or one EOP host refuses recipients of unrelated domains in this
 *	bounce.
 *
 *	cause_fope_relay() ("fope") says whether our relay is a retired
 *	FOPE host: outbound_relay names one, or the remote MTA or a host
 *	the diagnostic names is one that is not the recipient domain's own
 *	old FOPE MX.
 *
 *	Both return 1 when the evidence holds, and may write a sentence
 *	for the hint into note (NUL terminated, at most notelen bytes;
 *	left alone otherwise).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "classify_int.h"
#include "mime.h"

static const char *
domain_of(const char *addr)
{
	const char *at;

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return ("");
	return (at + 1);
}

/* The label an EOP MX host carries: "contoso-com" of
 * contoso-com.mail.protection.outlook.com or contoso-com.<id>.mx.microsoft
 * (the tenant-mx domains of rules/exchange-online). */
static int
eop_label(const struct rules *rules, const char *host, char *out,
    size_t outlen)
{
	size_t n;

	if (!eop_host(rules, EOP_TENANT_MX, host, strlen(host)))
		return (0);
	n = strcspn(host, ".");
	if (n == 0 || n >= outlen)
		return (0);
	memcpy(out, host, n);
	out[n] = '\0';
	return (1);
}

/* "example.co.jp" -> "example-co-jp", lower case. */
static void
dashes(const char *d, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; d[i] != '\0' && i + 1 < outlen; i++)
		out[i] = d[i] == '.' ? '-' : (char)tolower((unsigned char)d[i]);
	out[i] = '\0';
}

/* The first ".DOMAIN" of a tenant-mx domain in p, in list order. */
static const char *
tenant_mx_in(const struct rules *rules, const char *p)
{
	const char *const *v, *q;
	char dot[256];

	for (v = eop_domains(rules, EOP_TENANT_MX, NULL); *v != NULL; v++) {
		snprintf(dot, sizeof(dot), ".%s", *v);
		if ((q = strcasestr(p, dot)) != NULL)
			return (q);
	}
	return (NULL);
}

/* Find an EOP host name in s (remote MTA or diagnostic text). */
static int
eop_host_in(const struct rules *rules, const char *s, char *label,
    size_t labellen)
{
	const char *p, *q, *start;
	char host[256];
	size_t n;

	if (s == NULL)
		return (0);
	for (p = s; (q = tenant_mx_in(rules, p)) != NULL; p = q + 1) {
		for (start = q; start > s && (isalnum((unsigned char)start[-1]) ||
		    start[-1] == '-' || start[-1] == '.'); start--)
			;
		n = (size_t)(q - start) + strcspn(q, " \t[]()<>;,\"'");
		if (n >= sizeof(host))
			continue;
		memcpy(host, start, n);
		host[n] = '\0';
		if (eop_label(rules, host, label, labellen))
			return (1);
	}
	return (0);
}

static const char *
sender_domain(const struct report *r)
{
	const char *from = r != NULL ? r->orig.from : NULL, *d, *e;
	static __thread char buf[256];
	size_t n;

	if (from == NULL || (d = strrchr(from, '@')) == NULL)
		return ("");
	d++;
	n = strcspn(d, "> \t\"");
	if (n == 0 || n >= sizeof(buf))
		return ("");
	memcpy(buf, d, n);
	buf[n] = '\0';
	e = buf;
	return (e);
}

/*
 * Did the returned original already pass an Exchange Online host?  A
 * relay denial for mail that EOP itself had received ("Received: ... by
 * X.mail.protection.outlook.com") means EOP was relaying for us: inbound
 * mail is refused at RCPT, before EOP adds any Received line.
 */
static int
original_via_eop(const struct rules *rules, const struct report *r)
{
	const struct mime_part *o;
	const char *v, *by, *h;
	size_t it = 0, n;
	char host[256];

	if (r == NULL || (o = r->original) == NULL)
		return (0);
	if (o->nhdrs == 0 && o->child != NULL)
		o = o->child;	/* the message/rfc822 wrapper */
	while ((v = mime_hdr_next(o, "Received", &it)) != NULL) {
		if ((by = strcasestr(v, " by ")) != NULL)
			h = by + 4;
		else if (strncasecmp(v, "by ", 3) == 0)
			h = v + 3;
		else
			continue;
		while (*h == ' ' || *h == '\t')
			h++;
		n = strcspn(h, " \t;()[]");
		if (n == 0 || n >= sizeof(host))
			continue;
		memcpy(host, h, n);
		host[n] = '\0';
		if (eop_host(rules, EOP_RELAY, host, n))
			return (1);
	}
	return (0);
}

/*
 * The host part of a relay as configured: "[host]:25", "host:25", "host"
 * (Postfix relayhost forms) -> "host".  0 when nothing is left.
 */
static int
relay_host(const char *relay, char *out, size_t outlen)
{
	const char *p = relay;
	size_t n;

	if (p == NULL)
		return (0);
	while (*p == ' ' || *p == '\t' || *p == '[')
		p++;
	n = strcspn(p, "]: \t");
	if (n == 0 || n >= outlen)
		return (0);
	memcpy(out, p, n);
	out[n] = '\0';
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = '\0';
	return (1);
}

/* A Microsoft host that is not a tenant's MX name (EOP front ends). */
static int
microsoft_host(const struct rules *rules, const char *h)
{
	size_t n;

	n = h != NULL ? strcspn(h, " \t[]()<>;,") : 0;
	return (n > 0 && eop_host(rules, EOP_FRONT_END, h, n));
}

/*
 * With configuration: outbound_relay is an Exchange Online host and an
 * Exchange Online host refused to relay.  Our mail goes out through EOP,
 * so the denial is EOP not knowing our relay (the outbound connector),
 * unless the refusing host is the recipient domain's own tenant MX
 * (fabrikam-net.mail.protection.outlook.com refusing @fabrikam.net):
 * that tenant does not accept its own domain, the recipient's problem.
 * Likewise when DNS says the recipient domain is on Exchange Online
 * (ev.mx eop or eop-mixed) and the refusing host is not our relay
 * itself.  A refusal by a host that is not Exchange Online says nothing
 * about our relay.  Writes a sentence for the hint into note.
 */
static int
relay_config_eop(const struct cause_input *in, char *note, size_t notelen)
{
	const struct report *r = in->r;
	char host[256], rlabel[128], label[128], rd[256];
	const char *by;
	int found;

	if (r == NULL || !relay_host(r->outbound_relay, host, sizeof(host)) ||
	    !eop_label(in->rules, host, rlabel, sizeof(rlabel)))
		return (0);
	found = eop_host_in(in->rules, in->f->rhost, label, sizeof(label)) ||
	    eop_host_in(in->rules, in->f->diag, label, sizeof(label));
	if (found)
		by = "an Exchange Online host";
	else if (microsoft_host(in->rules, in->f->rhost) ||
	    (*in->f->rhost == '\0' && microsoft_host(in->rules,
	    in->f->lhost))) {
		label[0] = '\0';
		by = "Exchange Online";
	} else
		return (0);
	dashes(in->rc != NULL ? domain_of(in->rc->addr) : "", rd, sizeof(rd));
	if (!found || strcasecmp(label, rlabel) != 0) {
		/* not our relay itself that refused: is it theirs? */
		if (found && *rd != '\0' && strcasecmp(label, rd) == 0)
			return (0);
		if (in->rc != NULL && in->rc->ev.mx != NULL &&
		    strncmp(in->rc->ev.mx, "eop", 3) == 0)
			return (0);
	}
	if (found && strcasecmp(label, rlabel) == 0)
		snprintf(note, notelen, "Configuration: outbound_relay %s is "
		    "Exchange Online and refused to relay itself: EOP does "
		    "not recognise our relay, so our outbound connector (or "
		    "EOP's inbound connector for us) is wrong.", host);
	else
		snprintf(note, notelen, "Configuration: outbound_relay %s is "
		    "Exchange Online and %s%s%s%s refused to relay: the relay "
		    "was ours, so our outbound connector (or EOP's inbound "
		    "connector for us) is wrong.", host, by, found ? " (" : "",
		    found ? label : "", found ? ")" : "");
	return (1);
}

/*
 * A retired FOPE host (rules/exchange-online, role retired) in s: the
 * remote MTA, or a name in the diagnostic.  Its name into host, the
 * label before ".mail.eo.outlook.com" style domains into label ("" for
 * FOPE's own relays).
 */
static int
fope_host_in(const struct rules *rules, const char *s, char *host,
    size_t hostlen, char *label, size_t labellen)
{
	const char *const *v;
	const char *p, *q, *start;
	size_t n, dl;

	if (s == NULL || *s == '\0')
		return (0);
	for (v = eop_domains(rules, EOP_RETIRED, NULL); *v != NULL; v++) {
		dl = strlen(*v);
		for (p = s; (q = strcasestr(p, *v)) != NULL; p = q + 1) {
			if (q == s || q[-1] != '.' || isalnum((unsigned char)
			    q[dl]) || q[dl] == '-')
				continue;
			for (start = q - 1; start > s &&
			    (isalnum((unsigned char)start[-1]) ||
			    start[-1] == '-' || start[-1] == '.'); start--)
				;
			n = (size_t)(q - start) + dl;
			if (n >= hostlen)
				continue;
			memcpy(host, start, n);
			host[n] = '\0';
			n = strcspn(host, ".");
			if ((size_t)(q - start) == n + 1 && n < labellen &&
			    strchr(*v, '.') != NULL && strncmp(*v, "mail.", 5) ==
			    0) {
				memcpy(label, host, n);
				label[n] = '\0';
			} else
				label[0] = '\0';
			return (1);
		}
	}
	return (0);
}

/*
 * Our relay is a retired FOPE host: outbound_relay names one, or the
 * refusing (or silent) host is one that is not the recipient domain's
 * own old FOPE MX (LABEL.mail.eo.outlook.com named after the recipient:
 * their MX is stale, not our connector).  Writes a sentence into note.
 */
int
cause_fope_relay(const struct cause_input *in, char *note, size_t notelen)
{
	char host[256], label[128], rd[256], rh[256];

	if (in->r != NULL && relay_host(in->r->outbound_relay, rh,
	    sizeof(rh)) && fope_host_in(in->rules, rh, host, sizeof(host),
	    label, sizeof(label))) {
		snprintf(note, notelen, "Configuration: outbound_relay %s is a "
		    "retired FOPE (Forefront Online Protection for Exchange) "
		    "host; relay through the tenant's EOP MX instead.", host);
		return (1);
	}
	if (!fope_host_in(in->rules, in->f->rhost, host, sizeof(host), label,
	    sizeof(label)) && !fope_host_in(in->rules, in->f->diag, host,
	    sizeof(host), label, sizeof(label)))
		return (0);
	dashes(in->rc != NULL ? domain_of(in->rc->addr) : "", rd, sizeof(rd));
	if (*label != '\0' && *rd != '\0' && strcasecmp(label, rd) == 0)
		return (0);
	snprintf(note, notelen, "%s is a retired FOPE (Forefront Online "
	    "Protection for Exchange) host: a connector or smart host of ours "
	    "still points at it.", host);
	return (1);
}

/* The relay that was refused was our own, through Exchange Online. */
int
cause_eop_outbound(const struct cause_input *in, char *note, size_t notelen)
{
	const struct report *r = in->r;
	const struct rcpt *rc = in->rc;
	char label[128], want[256], other[128];
	const char *sd, *rd, *od;
	size_t i;

	if (relay_config_eop(in, note, notelen))
		return (1);
	if (rc != NULL && rc->ev.mx != NULL && (strcmp(rc->ev.mx, "other") == 0 ||
	    strcmp(rc->ev.mx, "none") == 0))
		return (1);
	if (original_via_eop(in->rules, r))
		return (1);
	if (!eop_host_in(in->rules, in->f->rhost, label, sizeof(label)) &&
	    !eop_host_in(in->rules, in->f->diag, label, sizeof(label)))
		return (0);
	rd = rc != NULL ? domain_of(rc->addr) : "";
	sd = sender_domain(r);
	if (*sd != '\0') {
		dashes(sd, want, sizeof(want));
		dashes(rd, other, sizeof(other));
		if (strcasecmp(label, want) == 0 && strcasecmp(label, other))
			return (1);
	}
	/* One EOP host refusing recipients of unrelated domains. */
	for (i = 0; r != NULL && rc != NULL && i < r->nrcpt; i++) {
		char l2[128];

		if (&r->rcpt[i] == rc || r->rcpt[i].addr == NULL)
			continue;
		od = domain_of(r->rcpt[i].addr);
		if (*od == '\0' || strcasecmp(od, rd) == 0)
			continue;
		if ((eop_host_in(in->rules, r->rcpt[i].remote_mta, l2,
		    sizeof(l2)) || eop_host_in(in->rules, r->rcpt[i].diag, l2,
		    sizeof(l2))) &&
		    strcasecmp(l2, label) == 0 &&
		    strcasestr(r->rcpt[i].diag ? r->rcpt[i].diag : "",
		    "relay") != NULL)
			return (1);
	}
	return (0);
}
