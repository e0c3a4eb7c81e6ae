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
 *	int	evidence_received_ip(const char *v, char *out, size_t outlen,
 *		    int *auth);
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

#include "ev.h"
#include "evidence.h"

#define MAX_IPS		8
#define MAX_NETS	CONFIG_MAX_LIST
#define MAX_DOMAINS	32	/* distinct recipient domains per message */
#define DEFAULT_TIMEOUT	2000

struct net {
	int		 fam;
	unsigned char	 addr[16];
	int		 bits;
};

struct evidence_ctx {
	struct ev_dns	*dns;
	struct ev_dkim	*dkim;
	int		 timeout_ms;
	int		 spf, dkim_on, mx;
	char		 ips[MAX_IPS][INET6_ADDRSTRLEN];
	int		 nips;
	struct net	 nets[MAX_NETS];
	int		 nnets;
	char		*ours[CONFIG_MAX_LIST];	/* our_domains, A-labels */
	int		 nours;
	evidence_ours_fn *ours_fn;	/* else: the history's senders */
	void		*ours_arg;
};

/* Per-message state. */
struct msg {
	struct evidence_ctx *e;
	const struct rules *rules;
	struct report	*r;
	int64_t		 deadline;
	int		 spf_done, dkim_done;
	const char	*spf, *dkim;
	struct ev_spf_info si;
	struct ev_dkim_info di;
	char		 from_domain[256];
	int		 ours;		/* the sender domain is ours */
	int		 from_ours;	/* the From domain is ours */
	char		 why[512];	/* why nothing was looked up */
	struct {
		char		 domain[256];
		const char	*mx;
		struct ev_mx_info info;
	}		 dom[MAX_DOMAINS];
	int		 ndom;
	int		 ran_out;
};

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

/* ---- the returned original ---- */

struct hlist {
	const char	*name[256];
	const char	*value[256];
	int		 n;
};

/* Unfolded headers of raw text (an inline original), into the arena. */
static void
hlist_from_text(struct arena *a, const char *s, size_t len, struct hlist *h)
{
	size_t i = 0, ls, le;
	char *v;
	const char *colon;

	while (i < len && h->n < 256) {
		ls = i;
		while (i < len && s[i] != '\n')
			i++;
		le = i;
		if (le > ls && s[le - 1] == '\r')
			le--;
		if (i < len)
			i++;
		if (le == ls)
			break;
		if ((s[ls] == ' ' || s[ls] == '\t') && h->n > 0) {
			v = arena_printf(a, "%s %.*s", h->value[h->n - 1],
			    (int)(le - ls - 1), s + ls + 1);
			if (v != NULL)
				h->value[h->n - 1] = v;
			continue;
		}
		if ((colon = memchr(s + ls, ':', le - ls)) == NULL)
			continue;
		h->name[h->n] = arena_strndup(a, s + ls, (size_t)(colon - s - ls));
		colon++;
		while (colon < s + le && (*colon == ' ' || *colon == '\t'))
			colon++;
		h->value[h->n] = arena_strndup(a, colon, (size_t)(s + le - colon));
		if (h->name[h->n] != NULL && h->value[h->n] != NULL)
			h->n++;
	}
}

static const char *
hget(const struct hlist *h, const char *name)
{
	int i;

	for (i = 0; i < h->n; i++)
		if (strcasecmp(h->name[i], name) == 0)
			return (h->value[i]);
	return (NULL);
}

static int
headers_type(const char *t)
{
	return (t != NULL && strstr(t, "headers") != NULL);
}

/*
 * The raw bytes of the returned original, its headers, and whether only
 * the headers came back.
 */
static void
original_get(struct report *r, const char **raw, size_t *len,
    int *hdr_only, struct hlist *h)
{
	const struct mime_part *p = r->original;
	size_t i;

	*raw = NULL;
	*len = 0;
	*hdr_only = 0;
	if (p != NULL && mime_is_embedding(p->type) && p->child == NULL) {
		/* an embedding that was not walked: its body is the message */
		*raw = p->body;
		*len = p->bodylen;
		*hdr_only = headers_type(p->type);
		hlist_from_text(r->a, *raw, *len, h);
		return;
	}
	if (p != NULL) {
		for (i = 0; i < p->nhdrs && h->n < 256; i++) {
			h->name[h->n] = p->hdrs[i].name;
			h->value[h->n] = p->hdrs[i].value;
			h->n++;
		}
		*hdr_only = p->headers_only || (p->parent != NULL &&
		    headers_type(p->parent->type));
		if (p->parent != NULL && mime_is_embedding(p->parent->type)) {
			*raw = p->raw;
			*len = p->rawlen;
		}
		return;
	}
	if (r->original_text != NULL) {
		*raw = r->original_text;
		*len = r->original_len;
		hlist_from_text(r->a, *raw, *len, h);
	}
}

/* The bare address in a header value ("Name <a@b>", "rfc822; a@b"). */
static const char *
addr_of(struct arena *a, const char *v)
{
	const char *lt, *gt, *semi, *e;

	if (v == NULL)
		return (NULL);
	if ((lt = strchr(v, '<')) != NULL && (gt = strchr(lt, '>')) != NULL)
		return (arena_strndup(a, lt + 1, (size_t)(gt - lt - 1)));
	if ((semi = strchr(v, ';')) != NULL)
		v = semi + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	e = v + strcspn(v, " \t,");
	return (arena_strndup(a, v, (size_t)(e - v)));
}

/* The domain of addr as written (U-labels stay), if it can be looked up. */
static const char *
domain_of(const char *addr)
{
	const char *at;
	char ascii[256];

	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return (NULL);
	if (ev_domain_ascii(at + 1, ascii, sizeof(ascii)) == -1)
		return (NULL);
	return (ev_domain_ok(ascii) ? at + 1 : NULL);
}

/* A field of the delivery-status part, outside the original. */
static const char *
dsn_field(struct arena *a, const struct mime_part *p, const char *name,
    int depth)
{
	const char *s, *v, *e;
	size_t n = strlen(name);

	for (; p != NULL && depth < 16; p = p->next) {
		if (mime_is_embedding(p->type))
			continue;
		if (p->type != NULL && strstr(p->type, "delivery-status") &&
		    p->body != NULL) {
			for (s = p->body; s != NULL && *s; ) {
				if (strncasecmp(s, name, n) == 0 &&
				    s[n] == ':') {
					v = s + n + 1;
					e = v + strcspn(v, "\r\n");
					return (arena_strndup(a, v,
					    (size_t)(e - v)));
				}
				s = strchr(s, '\n');
				if (s != NULL)
					s++;
			}
		}
		if (p->child != NULL &&
		    (v = dsn_field(a, p->child, name, depth + 1)) != NULL)
			return (v);
	}
	return (NULL);
}

/* Envelope sender of the original, as "local@domain", or NULL. */
static const char *
original_sender(struct report *r, const struct hlist *h)
{
	const char *cand[4], *d;
	int i;

	cand[0] = addr_of(r->a, hget(h, "Return-Path"));
	cand[1] = addr_of(r->a, r->mime.root ?
	    dsn_field(r->a, r->mime.root, "X-Postfix-Sender", 0) : NULL);
	cand[2] = addr_of(r->a, r->mime.root ?
	    mime_hdr_get(r->mime.root, "To") : NULL);
	cand[3] = addr_of(r->a, hget(h, "From"));
	for (i = 0; i < 4; i++)
		if ((d = domain_of(cand[i])) != NULL)
			return (cand[i]);
	(void)d;
	return (NULL);
}

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

/*
 * The client IP of one Received value ("from host (name [ip]) by ...")
 * into out; *auth is set for an authenticated submission.  Returns 1
 * when an address was found.  (Exported for the tests.)
 */
int
evidence_received_ip(const char *v, char *out, size_t outlen, int *auth)
{
	const char *from, *by, *p, *q, *w;
	char tok[INET6_ADDRSTRLEN + 8];
	unsigned char tmp[16];
	size_t n, fl;

	*auth = 0;
	if ((w = strcasestr(v, " with ")) != NULL) {
		w += 6;
		w += strspn(w, " \t");
		n = strcspn(w, " \t;(");
		if (n > 0 && n < sizeof(tok)) {
			memcpy(tok, w, n);
			tok[n] = '\0';
			/* RFC 3848: ESMTPA, ESMTPSA, LMTPSA, UTF8SMTPSA ... */
			if ((tok[n - 1] == 'A' || tok[n - 1] == 'a') &&
			    (strcasestr(tok, "SMTP") || strcasestr(tok, "LMTP")))
				*auth = 1;
		}
	}
	v += strspn(v, " \t");
	if (strncasecmp(v, "from", 4) != 0 || (v[4] != ' ' && v[4] != '\t'))
		return (0);
	from = v + 4;
	by = strcasestr(from, " by ");
	fl = by ? (size_t)(by - from) : strlen(from);
	/* bracketed literal first, then bare addresses in comments */
	for (p = from; p < from + fl; p++) {
		if (*p != '[' && *p != '(' && *p != ' ')
			continue;
		q = p + 1;
		if (strncasecmp(q, "IPv6:", 5) == 0)
			q += 5;
		n = strcspn(q, "])( \t");
		if (q + n > from + fl || n == 0 || n >= sizeof(tok))
			continue;
		memcpy(tok, q, n);
		tok[n] = '\0';
		if (inet_pton(AF_INET, tok, tmp) == 1 ||
		    inet_pton(AF_INET6, tok, tmp) == 1) {
			snprintf(out, outlen, "%s", tok);
			return (1);
		}
	}
	return (0);
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

/* Did the body of the original come back cut? */
static int
body_cut(struct report *r, const struct hlist *h, const char *raw,
    size_t len)
{
	const struct mime_part *p;
	const char *ct, *b;
	char *bnd, *close;
	size_t bl;

	for (p = r->mime.root; p != NULL; p = p->child ? p->child : p->next) {
		if (mime_is_embedding(p->type))
			break;
		if (p->type != NULL && strncmp(p->type, "text/plain", 10) == 0
		    && p->body != NULL &&
		    (contains(p->body, "truncated") ||
		    contains(p->body, "only the first")))
			return (1);
		if (p->child == NULL && p->next == NULL)
			break;
	}
	if ((ct = hget(h, "Content-Type")) != NULL &&
	    strncasecmp(ct, "multipart/", 10) == 0 &&
	    (b = strcasestr(ct, "boundary=")) != NULL && raw != NULL) {
		b += 9;
		if (*b == '"')
			b++;
		bl = strcspn(b, "\";");
		if (bl == 0 || bl > 200)
			return (0);
		if ((bnd = arena_strndup(r->a, b, bl)) == NULL)
			return (0);
		if ((close = arena_printf(r->a, "--%s--", bnd)) == NULL)
			return (0);
		if (memmem(raw, len, close, strlen(close)) == NULL)
			return (1);
	}
	return (0);
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
	original_get(r, &raw, &len, &hdr_only, h);
	fd = domain_of(addr_of(r->a, hget(h, "From")));
	if (fd == NULL)
		fd = domain_of(addr_of(r->a, r->orig.from));
	if (fd != NULL)
		snprintf(m->from_domain, sizeof(m->from_domain), "%s", fd);
	/*
	 * Anyone can send us a bounce naming any domain: look nothing up
	 * unless the original's sender domain is ours (our_domains in
	 * bounce-milter.conf(5)), and no DKIM key unless the From
	 * domain is ours too.
	 */
	sender = original_sender(r, h);
	m->ours = domain_ours(m->e, sender ? domain_of(sender) : NULL,
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
			    domain_of(sender));
	}
	if (m->e->dkim_on && !m->from_ours)
		;			/* "skipped", why says why */
	else if (m->e->dkim_on) {
		if (raw == NULL && h->n == 0)
			m->dkim = "none";	/* nothing came back */
		else if (raw == NULL) {
			m->dkim = "none";
			if (hget(h, "DKIM-Signature") != NULL)
				m->dkim = "unverifiable";
		} else
			m->dkim = ev_dkim_check(m->e->dkim, m->e->dns, raw,
			    len, hdr_only, !hdr_only &&
			    body_cut(r, h, raw, len), m->from_domain,
			    m->deadline, &m->di);
	}
	if (strcmp(m->spf, "skipped") == 0 && m->e->spf &&
	    ev_now_ms() >= m->deadline)
		m->ran_out = 1;
}

static int
mx_for(struct msg *m, const char *addr)
{
	const char *d = domain_of(addr);
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

/* ---- the hint sentence ---- */

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

static const char *
note_for(struct msg *m, const struct rcpt *rc, int mxi)
{
	const char *n;
	int relay = relay_text(rc);

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
		if ((rc->ev.note = note_for(m, rc, mxi)) == NULL)
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
