/*
 * reason.c - the bounce reason (Sisimai's vocabulary) from status and text
 *
 * SYNOPSIS
 *	const char *reason_decide(const struct rules *rules,
 *		    const struct facts *f, struct rx_scratch *sc);
 *	int	reason_set_match(const struct rules *rules, const char *name,
 *		    const struct facts *f, struct rx_scratch *sc);
 *	const unsigned char *reason_scan(const struct rules *rules,
 *		    const struct facts *f, struct rx_scratch *sc);
 *
 * DESCRIPTION
 *	reason_decide() applies the order of checks Sisimai uses (the
 *	reason a family parser gave, delivered statuses, the remote host
 *	tables, then reason by reason as status and SMTP command allow,
 *	then the text alone, then the status class, reply code, action and
 *	command), so results compare with Sisimai's.  The order is data
 *	(rules/reason-order: [status], [text], [retry], [before-data]),
 *	the words are in reasons.rules; what a reason the programs name
 *	(vocab.h: R_*) needs besides its words is here, and a reason of
 *	the data alone (rules/reason-vocabulary) needs its status or its
 *	words.  The rules are read by reason_load.c (reason_int.h).
 *
 *	One pass of the scan (reason_load.c) over a recipient's diagnostic
 *	tells which phrases and literals occur; reason_scan() gives that
 *	pass to other modules (cause.c: its blocks' literals are in it),
 *	making it when reason_decide() has not (a status alone decided),
 *	so they need no search of their own; NULL without a diagnostic or
 *	when out of memory.  reason_set_match() says whether the phrase
 *	set of one reason points at it.
 */
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "reason_int.h"

/*
 * The scan of f's diagnostic: which phrases and literals occur in it,
 * done once per recipient (reason_decide() forgets the last one).
 */
static const unsigned char *
scan_hits(const struct reason_rules *t, const struct facts *f,
    struct rx_scratch *sc)
{
	unsigned char *h;

	if (!t->built)
		return (NULL);
	if (sc->hit_valid && sc->hit_for == f->diag &&
	    sc->hit_len == f->diaglen)
		return (sc->hit);
	if (sc->hitcap < t->ntags + 1) {
		if ((h = realloc(sc->hit, t->ntags + 1)) == NULL)
			return (NULL);
		sc->hit = h;
		sc->hitcap = t->ntags + 1;
	}
	memset(sc->hit, 0, t->ntags + 1);
	litscan_run(t->scan, f->diag, f->diaglen, sc->hit);
	sc->hit_for = f->diag;
	sc->hit_len = f->diaglen;
	sc->hit_valid = 1;
	return (sc->hit);
}

/* The scan of f's diagnostic, made now if reason_decide() has not. */
const unsigned char *
reason_scan(const struct rules *rules, const struct facts *f,
    struct rx_scratch *sc)
{
	if (rules->reasons == NULL || f->diaglen == 0)
		return (NULL);
	return (scan_hits(rules->reasons, f, sc));
}

/* Does one of the patterns of v match (those whose literal occurs)? */
static int
rrx_any(const struct rrx *v, size_t n, const unsigned char *hit,
    const struct facts *f, struct rx_scratch *sc)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((v[i].tag < 0 || hit[v[i].tag]) &&
		    rx_match(v[i].re, f->diag, f->diaglen, sc))
			return (1);
	return (0);
}

/* Does row w's wording occur in the diagnostic? */
static int
rrow_text(const struct rrow *w, const unsigned char *hit,
    const struct facts *f, struct rx_scratch *sc)
{
	if (hit == NULL)
		return (w->re != NULL && rx_match(w->re, f->diag, f->diaglen,
		    sc));
	if (w->phrase)
		return (hit[w->tag]);
	return ((w->tag < 0 || hit[w->tag]) && rx_match(w->re, f->diag,
	    f->diaglen, sc));
}

/* Does set s of t point at its reason (its wording, and no veto)? */
static int
set_match(const struct reason_rules *t, const struct rset *s,
    const struct facts *f, struct rx_scratch *sc)
{
	const unsigned char *hv;
	size_t i;
	int hit;

	if (f->diaglen == 0 || !s->has_yes)
		return (0);
	/* The probes ask about the same sets again and again: remember. */
	if (sc->memo_for != f) {
		memset(sc->memo, -1, sizeof(sc->memo));
		sc->memo_for = f;
	}
	i = (size_t)(s - t->sets);
	if (i < sizeof(sc->memo) && sc->memo[i] != -1)
		return (sc->memo[i]);
	if ((hv = scan_hits(t, f, sc)) == NULL)
		return (0);	/* out of memory: as no match */
	hit = (hv[s->yes_tag] || rrx_any(s->yes, s->nyes, hv, f, sc)) &&
	    !(hv[s->no_tag] || rrx_any(s->no, s->nno, hv, f, sc));
	if (i < sizeof(sc->memo))
		sc->memo[i] = (signed char)hit;
	return (hit);
}

int
reason_set_match(const struct rules *rules, const char *name,
    const struct facts *f, struct rx_scratch *sc)
{
	const struct rset *s;

	if (rules == NULL || rules->reasons == NULL ||
	    (s = set_find(rules->reasons, name)) == NULL)
		return (0);
	return (set_match(rules->reasons, s, f, sc));
}

/* --- the order of checks ------------------------------------------------ */

static int
is(const char *a, const char *b)
{
	return (a != NULL && b != NULL && a[0] == b[0] && strcmp(a, b) == 0);
}

static int
in_list(const char *s, const char *const *v)
{
	for (; s != NULL && *v != NULL; v++)
		if (s[0] == (*v)[0] && strcmp(s, *v) == 0)
			return (1);
	return (0);
}

/*
 * A reason a status or a parser may give that the text should refine
 * ([retry] of rules/reason-order; no reason at all is one too).
 */
static int
is_retry(const struct reason_rules *t, const char *s)
{
	int id;

	if (s == NULL)
		return (0);
	if (*s == '\0')
		return (1);
	return ((id = vocab_reason(t->vocab, s)) != R_NONE && t->retry[id]);
}

static const char *
status_reason(const struct rules *rules, const char *status)
{
	const struct status_info *si;

	if (status == NULL || *status == '\0')
		return ("");
	si = status_lookup(rules, status);
	return (si != NULL && si->reason != NULL ? si->reason : "");
}

struct probe {
	const struct rules	*rules;
	const struct facts	*f;
	struct rx_scratch	*sc;
	const char		*sr;	/* reason the status points at */
	int			 srid;	/* its number, or R_NONE */
	int			 hintid; /* the number of f->hint, or R_NONE */
};

/* Does the wording point at reason id (its set in reasons.rules)? */
static int
inc(struct probe *p, int id)
{
	const struct reason_rules *t = p->rules->reasons;

	if (t == NULL || t->byid[id] < 0)
		return (0);
	return (set_match(t, &t->sets[t->byid[id]], p->f, p->sc));
}

static int
reply_in(const struct facts *f, int lo, int hi)
{
	int v;

	if (f->reply == NULL || strlen(f->reply) != 3)
		return (0);
	v = atoi(f->reply);
	return (v >= lo && v <= hi);
}

/*
 * Does the status-plus-text evidence point at reason id?  By number, not
 * name: the probes run some twenty times a recipient.
 */
static int
probe(struct probe *p, int id)
{
	static const int other[] = { R_NORELAYING, R_BLOCKED, R_MAILBOXFULL,
	    R_HASMOVED, R_REJECTED, R_NOTACCEPT, R_NONE };
	const struct facts *f = p->f;
	const char *sr = p->sr;
	const int *o;
	int srid = p->srid;

	if (p->hintid == id)
		return (1);
	switch (id) {
	case R_MESGTOOBIG:
		if (srid == id)
			return (1);
		if (srid == R_EXCEEDLIMIT || is(f->status, "5.2.3"))
			return (0);
		return (inc(p, id));
	case R_SUSPEND:
		return (is(f->reply, "525") || inc(p, id));
	case R_HASMOVED:
	case R_NOTCOMPLIANTRFC:
	case R_BADREPUTATION:
	case R_SPEEDING:
		return (inc(p, id));
	case R_NORELAYING:
		if (p->hintid == R_SECURITYERROR || p->hintid == R_SYSTEMERROR)
			return (0);
		if (is(f->command, "CONN") || is(f->command, "EHLO") ||
		    is(f->command, "HELO"))
			return (0);
		return (inc(p, id));
	case R_USERUNKNOWN:
		if (srid == id) {
			for (o = other; *o != R_NONE; o++)
				if (inc(p, *o))
					return (0);
			return (1);
		}
		return (is(f->command, "RCPT") && inc(p, id));
	case R_FILTERED:
		if (srid == id)
			return (inc(p, R_USERUNKNOWN) || inc(p, id));
		if (in_list(f->command, p->rules->reasons->before_data))
			return (0);
		return (inc(p, id) || inc(p, R_USERUNKNOWN));
	case R_CONTENTERROR:
		if (probe(p, R_SPAMDETECTED))
			return (0);
		return (srid == id || inc(p, id));
	case R_REJECTED:
		if (srid == id)
			return (1);
		if (is(f->command, "MAIL"))
			return (inc(p, id));
		if (is(f->command, "DATA") && srid != R_USERUNKNOWN)
			return (inc(p, id));
		if (*sr == '\0' || srid == R_ONHOLD || srid == R_UNDEFINED ||
		    srid == R_SECURITYERROR || srid == R_SYSTEMERROR)
			return (inc(p, id));
		return (0);
	case R_HOSTUNKNOWN:
		if (srid == id)
			return (!inc(p, R_NETWORKERROR));
		return (inc(p, id));
	case R_SPAMDETECTED:
		if (f->status == NULL || *f->status == '\0')
			return (0);
		if (srid == id)
			return (1);
		if (in_list(f->command, p->rules->reasons->before_data))
			return (0);
		return (inc(p, id));
	default:
		/* mailboxfull exceedlimit blocked, and every reason of the
		 * data alone (rules/reason-vocabulary: authfailure
		 * requireptr toomanyconn ...): its status or its words */
		return (srid == id || inc(p, id));
	}
}

static int
explicit_reason(const char *s)
{
	return (s != NULL && *s != '\0' && !is(s, "undefined") &&
	    !is(s, "onhold"));
}

/* The text alone, then status class, reply code, action and command. */
static const char *
another(struct probe *p)
{
	const struct facts *f = p->f;
	const char *sr = p->sr;
	const int *o;

	if (explicit_reason(f->hint))
		return (f->hint);
	if (!is_retry(p->rules->reasons, sr) && !f->xunix)
		return (sr);
	for (o = p->rules->reasons->order_text; *o != R_NONE; o++)
		if (inc(p, *o))
			return (vocab_name(p->rules->vocab, *o));
	if (*sr != '\0')
		return (sr);
	if (f->status != NULL && strlen(f->status) > 3) {
		if (strncmp(f->status + 1, ".6", 2) == 0)
			return ("contenterror");
		if (strncmp(f->status + 1, ".7", 2) == 0)
			return ("securityerror");
	}
	if (f->xunix)
		return ("mailererror");
	if (is(f->hint, "syntaxerror") || reply_in(f, 401, 407) ||
	    reply_in(f, 501, 507))
		return ("syntaxerror");
	if (is(f->action, "delayed") || is(f->action, "expired"))
		return ("expired");
	if (is(f->command, "EHLO") || is(f->command, "HELO") ||
	    is(f->command, "CONN"))
		return ("blocked");
	return ("");
}

static int
rrow_ok(const struct rrow *w, const struct facts *f)
{
	const char *status = f->status, *reply = f->reply;
	size_t n;

	if (w->cls && !(status != NULL && status[0] == w->cls &&
	    reply != NULL && reply[0] == w->cls))
		return (0);
	if (w->notcls && ((status != NULL && status[0] == w->notcls) ||
	    (reply != NULL && reply[0] == w->notcls)))
		return (0);
	if (w->cmd[0] && !is(f->command, w->cmd))
		return (0);
	if (w->nostatus && status != NULL && *status != '\0')
		return (0);
	if (w->reply[0] && !is(reply, w->reply))
		return (0);
	if (w->status[0] == '\0')
		return (1);
	if (status == NULL || *status == '\0')
		return (0);
	if (w->hi == 0)
		return (strcmp(w->status, status) == 0);
	n = strlen(w->status);
	if (strncmp(w->status, status, n) != 0 || status[n] != '.')
		return (0);
	n = (size_t)atoi(status + n + 1);
	return ((int)n >= w->lo && (int)n <= w->hi);
}

/*
 * Does the host pattern of h match name?  seen: which host patterns'
 * literals the name holds (NULL: look for them here).
 */
static int
host_is(const struct rhost *h, size_t i, const char *name, size_t n,
    const unsigned char *seen, struct rx_scratch *sc)
{
	if (n == 0 || h->host == NULL)
		return (0);
	if (seen != NULL ? h->host_lits.n > 0 && !seen[i] :
	    !rxlit_find(&h->host_lits, name, n))
		return (0);
	return (rx_match(h->host, name, n, sc));
}

/* Is domain one of the family's own recipient domains (exact)? */
static int
domain_is(const struct rhost *h, const char *domain)
{
	const char *p;
	size_t n = strlen(domain);

	if (h->domains == NULL || n == 0)
		return (0);
	for (p = h->domains; (p = strstr(p, domain)) != NULL; p++)
		if (p[-1] == ' ' && p[n] == ' ')
			return (1);
	return (0);
}

/*
 * The first [rhost] table that lists domain, or NULL.  A name with a
 * blank (hostile input) is looked for as domain_is() does, which could
 * find it across two names of a list.
 */
static const struct rhost *
domain_host(const struct reason_rules *t, const char *domain)
{
	size_t lo = 0, hi = t->ndoms, mid, i;

	if (*domain == '\0')
		return (NULL);
	if (strchr(domain, ' ') != NULL) {
		for (i = 0; i < t->nhosts; i++)
			if (!t->hosts[i].lhost && domain_is(&t->hosts[i],
			    domain))
				return (&t->hosts[i]);
		return (NULL);
	}
	/* the first entry not below domain: the lowest host of that name */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(t->doms[mid].name, domain) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->ndoms && strcmp(t->doms[lo].name, domain) == 0)
		return (&t->hosts[t->doms[lo].host]);
	return (NULL);
}

/*
 * Does row w decide?  The cheap test first, inline in the loops over the
 * rows: most rows' wording is not in the text.
 */
static inline int
rrow_match(const struct rrow *w, const unsigned char *hit,
    const struct facts *f, struct rx_scratch *sc)
{
	if (hit != NULL && w->tag >= 0 && !hit[w->tag])
		return (0);
	return (rrow_ok(w, f) && rrow_text(w, hit, f, sc));
}

/*
 * The remote host's own tables, when the host is one we know: the
 * recipient domain, then the remote MTA, then the reporting MTA decide
 * which family (as Sisimai looks them up).  Then the tables of the bounce
 * format's family ([lhost FAMILY], and [lhost *] for any).
 */
static const char *
rhost_reason(const struct rules *rules, const struct facts *f,
    struct rx_scratch *sc)
{
	const struct reason_rules *t = rules->reasons;
	const struct rhost *h, *hit = NULL;
	const unsigned char *hv;
	const char *names[3];
	size_t i, j, k, lens[2];
	unsigned char seen[2][HOST_SCAN_MAX];

	if (t == NULL || f->diaglen == 0)
		return (NULL);
	hv = scan_hits(t, f, sc);
	names[0] = f->rhost;
	names[1] = f->lhost;
	lens[0] = names[0] != NULL ? strlen(names[0]) : 0;
	lens[1] = names[1] != NULL ? strlen(names[1]) : 0;
	hit = domain_host(t, f->rcpt_domain);
	for (k = 0; k < 2 && hit == NULL; k++) {
		if (lens[k] == 0)
			continue;	/* no host matches an empty name */
		if (t->hostscan != NULL) {
			memset(seen[k], 0, t->nhosts);
			litscan_run(t->hostscan, names[k], lens[k], seen[k]);
		}
		for (i = 0; i < t->nhosts && hit == NULL; i++) {
			h = &t->hosts[i];
			/* as host_is() would say, without the call */
			if (h->lhost || h->host == NULL ||
			    (t->hostscan != NULL && h->host_lits.n > 0 &&
			    !seen[k][i]))
				continue;
			if (host_is(h, i, names[k], lens[k],
			    t->hostscan != NULL ? seen[k] : NULL, sc))
				hit = h;
		}
	}
	for (j = 0; hit != NULL && j < hit->nrows; j++)
		if (rrow_match(&hit->rows[j], hv, f, sc))
			return (hit->rows[j].reason);
	for (i = 0; i < t->nhosts; i++) {
		h = &t->hosts[i];
		if (!h->lhost || !(strcmp(h->name, "*") == 0 ||
		    is(h->name, f->format)))
			continue;
		for (j = 0; j < h->nrows; j++)
			if (rrow_match(&h->rows[j], hv, f, sc))
				return (h->rows[j].reason);
	}
	return (NULL);
}

const char *
reason_decide(const struct rules *rules, const struct facts *f,
    struct rx_scratch *sc)
{
	struct probe p;
	const char *r;
	const int *o;

	sc->memo_for = NULL;	/* a new recipient: forget the last one */
	sc->hit_valid = 0;
	if (f->hint != NULL && *f->hint != '\0' &&
	    !is_retry(rules->reasons, f->hint))
		return (f->hint);
	if (f->status != NULL && f->status[0] == '2')
		return ("delivered");
	if ((r = rhost_reason(rules, f, sc)) != NULL)
		return (r);
	p.rules = rules;
	p.f = f;
	p.sc = sc;
	p.sr = status_reason(rules, f->status);
	p.srid = vocab_reason(rules->vocab, p.sr);
	p.hintid = vocab_reason(rules->vocab, f->hint);
	if (!f->xunix)
		for (o = rules->reasons->order_status; *o != R_NONE; o++)
			if (probe(&p, *o))
				return (vocab_name(rules->vocab, *o));
	r = another(&p);
	if (*r != '\0' && !is(r, "undefined"))
		return (r);
	if (is(f->action, "delayed"))
		return ("expired");
	if (inc(&p, R_VACATION))
		return ("vacation");
	if (f->diaglen > 0)
		return ("onhold");
	return ("undefined");
}
