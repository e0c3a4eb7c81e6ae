/*
 * evidence.c - SPF, DKIM and MX evidence for a decoded bounce
 *
 * SYNOPSIS
 *	#include "evidence.h"
 *
 *	struct evidence_ctx *evidence_new(const struct config *c);
 *	void	evidence_run(struct evidence_ctx *e, const struct rules *rules,
 *		    struct report *r);
 *	void	evidence_check(struct evidence_ctx *e,
 *		    const struct rules *rules, struct report *r, char *why,
 *		    size_t whylen);
 *	void	evidence_set_ours(struct evidence_ctx *e,
 *		    evidence_ours_fn *fn, void *arg);
 *	int	evidence_domain_key(const char *domain, char *out,
 *		    size_t outlen);
 *	void	evidence_hook(void *e, const struct rules *rules,
 *		    struct report *r);
 *	void	evidence_free(struct evidence_ctx *e);
 *	int	evidence_relevant(const struct rcpt *rc);
 *
 * DESCRIPTION
 *	evidence_new() prepares a context from the dns.*, outbound_ips
 *	and internal_networks settings: the resolver (ev_dns.c, with its
 *	cache), the DKIM library handle.  It returns NULL when every check
 *	is switched off or the resolver cannot be set up; evidence_run()
 *	with NULL marks everything "skipped".  The context is shared by
 *	the milter's threads: everything per message lives on the stack
 *	or in the report's arena.
 *
 *	evidence_run() fills rc->ev of every recipient (values in
 *	bounce-milter(8), HEADERS and LOGGING).  Lookups run only for
 *	recipients whose evidence can change the verdict (action failed or
 *	delayed, and a status in the X.4.x or X.7.x families, or, with no
 *	status, wording about relaying or authentication); the others get
 *	"skipped".  All lookups of one message share one deadline,
 *	dns.timeout_ms from the start of evidence_run(); what had no
 *	answer by then is "skipped".  SPF and DKIM are computed once per
 *	message, MX once per recipient domain.
 *
 *	SPF: the domain of the original envelope sender, taken from the
 *	returned original's Return-Path, else the DSN's X-Postfix-Sender,
 *	else the bounce's own To (a bounce goes to the envelope sender),
 *	else the original's From.  The client IP is the first of
 *	outbound_ips, else the IP of the handover hop in the original's
 *	Received trace: the oldest hop whose client address is public (not
 *	private, loopback, link-local, CGNAT, nor in internal_networks)
 *	and that is not an authenticated submission ("with ESMTPSA" and
 *	the like, RFC 3848).  Without an IP the result is "skipped".
 *
 *	DKIM: ev_dkim.c on the raw returned original; "signed" for a
 *	text/rfc822-headers original.  The body counts as cut when the
 *	bounce says so ("truncated", "only the first"), or when a multipart
 *	original lacks its closing boundary.
 *
 *	MX: ev_mx.c on the recipient's domain.
 *
 *	Whose domains: none of the above runs unless the original's
 *	envelope sender domain (found as for SPF) is one of ours: in
 *	our_domains (A-labels, or under one), or, with our_domains unset,
 *	one the ours callback accepts (the daemon: a sender domain of our
 *	outgoing mail in the history).  A forged bounce naming a
 *	stranger's domain thus makes no query for it, and the stranger's
 *	SPF record (macros included) never reaches libspf2.  The DKIM
 *	verdict needs the From domain to be ours as well, and keys are
 *	fetched only for signatures aligned with it.
 *
 *	rc->ev.note gets one sentence for the hint: the finding that
 *	matters most for that recipient (the MX first when the text is
 *	about relaying, else SPF, then DKIM).
 *
 *	evidence.c holds the context, the choice of recipients and of the
 *	client IP, and runs the checks; ev_original.c reads the returned
 *	original (headers, envelope sender, Received trace, a cut body)
 *	and ev_note.c writes the hint sentence (evidence_int.h between
 *	them).
 *
 * NOTES
 *	Resolver.  libspf2's resolv layer and libopendkim's default key
 *	lookup both go through the libresolv res_* calls: per-thread state
 *	that cannot be given a server per call or a deadline in
 *	milliseconds.  Pointing res_ninit() state at dns.resolver would
 *	work per thread but not bound the time.  Instead every lookup goes
 *	through ev_dns.c (own UDP/TCP stub, shared mutex-protected cache,
 *	deadline per call): libspf2 gets it as a custom SPF_dns_server_t
 *	layer (see ev_spf.c), libopendkim through dkim_set_key_lookup()
 *	with the message's deadline in the handle's user context.  Tests
 *	use the same path against dnsmasq on 127.0.0.1 (tests/lib/dnsd.sh).
 *
 *	IDN.  Domains of addresses are kept as written (U-labels stay, so
 *	the hint reads naturally) and checked for lookup in their A-label
 *	form; the lookups themselves convert (ev_domain_ascii(), libidn2).
 *
 *	The context is read-only after evidence_new() except for the
 *	cache (locked); tests/unit/test_evidence.c runs four threads on one.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "evidence_int.h"

#define DEFAULT_TIMEOUT	2000

/* ---- configuration ---- */

static int
net_parse(const char *s, struct net *n)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long bits;

	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->fam = AF_INET;
		n->bits = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->fam = AF_INET6;
		n->bits = 128;
	} else
		return (-1);
	if (slash != NULL) {
		bits = strtol(slash, &end, 10);
		if (*slash == '\0' || *end != '\0' || bits < 0 ||
		    bits > n->bits)
			return (-1);
		n->bits = (int)bits;
	}
	return (0);
}

static int
net_match(const struct net *n, int fam, const unsigned char *a)
{
	int full = n->bits / 8, rest = n->bits % 8;

	if (n->fam != fam)
		return (0);
	if (memcmp(n->addr, a, (size_t)full) != 0)
		return (0);
	if (rest == 0)
		return (1);
	return (((n->addr[full] ^ a[full]) & (0xff << (8 - rest)) & 0xff)
	    == 0);
}

struct evidence_ctx *
evidence_new(const struct config *c)
{
	struct evidence_ctx *e;
	char err[256];
	unsigned char tmp[16];
	size_t i;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return (NULL);
	e->timeout_ms = DEFAULT_TIMEOUT;
	e->spf = e->dkim_on = e->mx = 1;
	if (c != NULL) {
		if (c->dns.timeout_ms > 0)
			e->timeout_ms = c->dns.timeout_ms;
		e->spf = c->dns.spf;
		e->dkim_on = c->dns.dkim;
		e->mx = c->dns.mx;
		for (i = 0; i < c->n_outbound_ips && e->nips < MAX_IPS; i++) {
			const char *ip = c->outbound_ips[i];

			if (ip == NULL)
				continue;
			if (inet_pton(AF_INET, ip, tmp) != 1 &&
			    inet_pton(AF_INET6, ip, tmp) != 1)
				continue;
			snprintf(e->ips[e->nips++], sizeof(e->ips[0]), "%s",
			    ip);
		}
		for (i = 0; i < c->n_our_domains; i++) {
			char key[256];

			if (c->our_domains[i] == NULL ||
			    evidence_domain_key(c->our_domains[i], key,
			    sizeof(key)) == -1)
				continue;
			if ((e->ours[e->nours] = strdup(key)) == NULL) {
				evidence_free(e);
				return (NULL);
			}
			e->nours++;
		}
		for (i = 0; i < c->n_internal_networks && e->nnets < MAX_NETS;
		    i++)
			if (c->internal_networks[i] != NULL &&
			    net_parse(c->internal_networks[i],
			    &e->nets[e->nnets]) == 0)
				e->nnets++;
	}
	if (!e->spf && !e->dkim_on && !e->mx) {
		evidence_free(e);
		return (NULL);
	}
	if ((e->dns = ev_dns_new(c ? c->dns.resolver : NULL, 4096, err,
	    sizeof(err))) == NULL) {
		evidence_free(e);
		return (NULL);
	}
	if (e->dkim_on && (e->dkim = ev_dkim_new()) == NULL)
		e->dkim_on = 0;
	return (e);
}

void
evidence_free(struct evidence_ctx *e)
{
	int i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nours; i++)
		free(e->ours[i]);
	ev_dkim_free(e->dkim);
	ev_dns_free(e->dns);
	free(e);
}

void
evidence_set_ours(struct evidence_ctx *e, evidence_ours_fn *fn, void *arg)
{
	if (e == NULL)
		return;
	e->ours_fn = fn;
	e->ours_arg = arg;
}

int
evidence_domain_key(const char *d, char *out, size_t outlen)
{
	size_t n;
	char *p;

	if (ev_domain_ascii(d, out, outlen) == -1)
		return (-1);
	for (p = out; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if ((n = strlen(out)) > 0 && out[n - 1] == '.')
		out[n - 1] = '\0';
	if (!ev_domain_ok(out)) {
		*out = '\0';
		return (-1);
	}
	return (0);
}

/* Is key (evidence_domain_key() form) under our domain d, or d itself? */
static int
under_ours(const char *key, const char *d)
{
	size_t nk = strlen(key), nd = strlen(d);

	if (nk == nd)
		return (strcmp(key, d) == 0);
	return (nk > nd && key[nk - nd - 1] == '.' &&
	    strcmp(key + nk - nd, d) == 0);
}

/*
 * Is domain one of ours (or under one)?  why gets the reason when not.
 */
static int
domain_ours(const struct evidence_ctx *e, const char *domain, const char *what,
    char *why, size_t whylen)
{
	char key[256];
	int i;

	if (domain == NULL || *domain == '\0') {
		snprintf(why, whylen, "no %s domain in the bounce", what);
		return (0);
	}
	if (evidence_domain_key(domain, key, sizeof(key)) == -1) {
		snprintf(why, whylen, "the %s domain is not a host name",
		    what);
		return (0);
	}
	if (e->nours > 0) {
		for (i = 0; i < e->nours; i++)
			if (under_ours(key, e->ours[i]))
				return (1);
		snprintf(why, whylen, "%s domain %s is not in our_domains",
		    what, key);
		return (0);
	}
	if (e->ours_fn != NULL && e->ours_fn(e->ours_arg, key))
		return (1);
	snprintf(why, whylen, "%s domain %s is not a sender domain of our "
	    "outgoing mail (our_domains unset%s)", what, key,
	    e->ours_fn == NULL ? ", no history" : "");
	return (0);
}

/* ---- which recipients ---- */

/* First enhanced status code (class.subject.detail) in s, into out. */
static int
find_status(const char *s, char out[16])
{
	const char *p;
	int cls, subj, det, n;

	for (p = s; p != NULL && *p; p++) {
		if ((*p != '2' && *p != '4' && *p != '5') ||
		    (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '.')))
			continue;
		if (sscanf(p, "%1d.%3d.%3d%n", &cls, &subj, &det, &n) != 3)
			continue;
		if (isdigit((unsigned char)p[n]) || (p[n] == '.' &&
		    isdigit((unsigned char)p[n + 1])))
			continue;
		snprintf(out, 16, "%d.%d.%d", cls, subj, det);
		return (1);
	}
	return (0);
}

static int
contains(const char *s, const char *w)
{
	return (s != NULL && strcasestr(s, w) != NULL);
}

static int
relay_text(const struct rcpt *rc)
{
	return (contains(rc->diag, "relay"));
}

/* Can evidence change the verdict for rc?  (Exported for the tests.) */
int
evidence_relevant(const struct rcpt *rc)
{
	static const char *words[] = { "relay", "spf", "dkim", "dmarc",
	    "authenticat", "access denied", NULL };
	char st[16];
	int i, subj;

	if (rc->action != NULL && *rc->action != '\0' &&
	    strcasecmp(rc->action, "failed") != 0 &&
	    strcasecmp(rc->action, "delayed") != 0)
		return (0);
	if ((rc->status[0] != '\0' && find_status(rc->status, st)) ||
	    (rc->status[0] == '\0' && find_status(rc->diag, st))) {
		if (st[0] != '4' && st[0] != '5')
			return (0);
		subj = atoi(st + 2);
		if (subj == 4 || subj == 7)
			return (1);
	}
	for (i = 0; words[i] != NULL; i++)
		if (contains(rc->diag, words[i]))
			return (1);
	return (0);
}

/* ---- the sending IP ---- */

static int
ip_public(const struct evidence_ctx *e, const char *ip)
{
	unsigned char a[16];
	int fam, i;

	if (inet_pton(AF_INET, ip, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, ip, a) == 1) {
		fam = AF_INET6;
		if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
			memmove(a, a + 12, 4);
			fam = AF_INET;
		}
	} else
		return (0);
	if (fam == AF_INET) {
		if (a[0] == 0 || a[0] == 10 || a[0] == 127 || a[0] >= 224 ||
		    (a[0] == 169 && a[1] == 254) ||
		    (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		    (a[0] == 192 && a[1] == 168) ||
		    (a[0] == 100 && (a[1] & 0xc0) == 64))
			return (0);
	} else {
		static const unsigned char lo[16] = { [15] = 1 };
		static const unsigned char any[16];

		if (memcmp(a, lo, 16) == 0 || memcmp(a, any, 16) == 0 ||
		    (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
		    (a[0] & 0xfe) == 0xfc || a[0] == 0xff)
			return (0);
	}
	for (i = 0; i < e->nnets; i++)
		if (net_match(&e->nets[i], fam, a))
			return (0);
	return (1);
}

/* The IP that handed the original over, or NULL. */
static const char *
sending_ip(struct msg *m, const struct hlist *h)
{
	const char *best = NULL;
	char ip[INET6_ADDRSTRLEN + 8];
	int i, auth;

	if (m->e->nips > 0)
		return (m->e->ips[0]);
	for (i = 0; i < h->n; i++) {
		if (strcasecmp(h->name[i], "Received") != 0)
			continue;
		if (!evidence_received_ip(h->value[i], ip, sizeof(ip), &auth) ||
		    auth || !ip_public(m->e, ip))
			continue;
		best = arena_strdup(m->r->a, ip);	/* oldest wins */
	}
	return (best);
}

/* ---- running the checks ---- */

static void
message_checks(struct msg *m)
{
	struct report *r = m->r;
	struct hlist *h;
	const char *raw, *sender, *ip, *fd;
	size_t len;
	int hdr_only;

	if (m->spf_done)
		return;
	m->spf_done = m->dkim_done = 1;
	m->spf = m->dkim = "skipped";
	if ((h = arena_alloc(r->a, sizeof(*h))) == NULL)
		return;
	ev_original_get(r, &raw, &len, &hdr_only, h);
	fd = ev_domain_of(ev_addr_of(r->a, ev_hget(h, "From")));
	if (fd == NULL)
		fd = ev_domain_of(ev_addr_of(r->a, r->orig.from));
	if (fd != NULL)
		snprintf(m->from_domain, sizeof(m->from_domain), "%s", fd);
	/*
	 * Anyone can send us a bounce naming any domain: look nothing up
	 * unless the original's sender domain is ours (our_domains in
	 * bounce-milter.conf(5)), and no DKIM key unless the From
	 * domain is ours too.
	 */
	sender = ev_original_sender(r, h);
	m->ours = domain_ours(m->e, sender ? ev_domain_of(sender) : NULL,
	    "sender", m->why, sizeof(m->why));
	if (!m->ours)
		return;
	m->from_ours = domain_ours(m->e, fd, "From", m->why, sizeof(m->why));
	if (m->e->spf) {
		ip = sending_ip(m, h);
		if (sender != NULL && ip != NULL)
			m->spf = ev_spf_check(m->e->dns, sender, ip,
			    m->deadline, &m->si);
		else if (sender != NULL)
			snprintf(m->si.domain, sizeof(m->si.domain), "%s",
			    ev_domain_of(sender));
	}
	if (m->e->dkim_on && !m->from_ours)
		;			/* "skipped", why says why */
	else if (m->e->dkim_on) {
		if (raw == NULL && h->n == 0)
			m->dkim = "none";	/* nothing came back */
		else if (raw == NULL) {
			m->dkim = "none";
			if (ev_hget(h, "DKIM-Signature") != NULL)
				m->dkim = "unverifiable";
		} else
			m->dkim = ev_dkim_check(m->e->dkim, m->e->dns, raw,
			    len, hdr_only, !hdr_only &&
			    ev_body_cut(r, h, raw, len), m->from_domain,
			    m->deadline, &m->di);
	}
	if (strcmp(m->spf, "skipped") == 0 && m->e->spf &&
	    ev_now_ms() >= m->deadline)
		m->ran_out = 1;
}

static int
mx_for(struct msg *m, const char *addr)
{
	const char *d = ev_domain_of(addr);
	int i;

	if (d == NULL)
		return (-1);
	for (i = 0; i < m->ndom; i++)
		if (strcasecmp(m->dom[i].domain, d) == 0)
			return (i);
	if (m->ndom >= MAX_DOMAINS)
		return (-1);
	i = m->ndom++;
	snprintf(m->dom[i].domain, sizeof(m->dom[i].domain), "%s", d);
	m->dom[i].mx = ev_mx_check(m->e->dns, m->rules, d, m->deadline,
	    &m->dom[i].info);
	if (strcmp(m->dom[i].mx, "skipped") == 0 &&
	    ev_now_ms() >= m->deadline)
		m->ran_out = 1;
	return (i);
}

void
evidence_run(struct evidence_ctx *e, const struct rules *rules,
    struct report *r)
{
	evidence_check(e, rules, r, NULL, 0);
}

void
evidence_check(struct evidence_ctx *e, const struct rules *rules,
    struct report *r, char *why, size_t whylen)
{
	struct msg *m;
	struct rcpt *rc;
	size_t i;
	int mxi;

	if (why != NULL && whylen > 0)
		*why = '\0';
	if (r == NULL)
		return;
	for (i = 0; i < r->nrcpt; i++) {
		rc = &r->rcpt[i];
		rc->ev.spf = rc->ev.dkim = rc->ev.mx = "skipped";
		rc->ev.note = "";
	}
	if (e == NULL || r->nrcpt == 0)
		return;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return;
	m->e = e;
	m->rules = rules;
	m->r = r;
	m->deadline = ev_now_ms() + e->timeout_ms;
	for (i = 0; i < r->nrcpt; i++) {
		rc = &r->rcpt[i];
		if (!evidence_relevant(rc))
			continue;
		message_checks(m);
		if (!m->ours)
			break;		/* all "skipped"; why says why */
		rc->ev.spf = e->spf ? m->spf : "skipped";
		rc->ev.dkim = e->dkim_on ? m->dkim : "skipped";
		mxi = -1;
		if (e->mx) {
			mxi = mx_for(m, rc->addr);
			rc->ev.mx = mxi >= 0 ? m->dom[mxi].mx : "skipped";
		}
		if ((rc->ev.note = ev_note(m, relay_text(rc), mxi)) ==
		    NULL)
			rc->ev.note = "";
	}
	if (why != NULL && whylen > 0 && m->spf_done &&
	    (!m->ours || !m->from_ours))
		snprintf(why, whylen, "%s: %s", m->ours ? "DKIM skipped" :
		    "evidence skipped", m->why);
	free(m);
}

void
evidence_hook(void *e, const struct rules *rules, struct report *r)
{
	evidence_run(e, rules, r);
}
