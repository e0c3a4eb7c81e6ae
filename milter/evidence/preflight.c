/*
 * preflight.c - what the evidence says about mail we send (no I/O here)
 *
 * SYNOPSIS
 *	#include "preflight.h"
 *
 *	int	pf_addr_domain(const char *v, char *dom, size_t len);
 *	size_t	pf_cache_count(struct pf_cache *c);
 *	void	pf_cache_free(struct pf_cache *c);
 *	const char *pf_cache_get(struct pf_cache *c, const char *domain,
 *		    const char *ip, long now);
 *	struct pf_cache *pf_cache_new(size_t cap);
 *	void	pf_cache_put(struct pf_cache *c, const char *domain,
 *		    const char *ip, const char *word, long now);
 *	void	pf_dkim_add(struct pf_dkim *k, const char *v);
 *	const char *pf_dkim_word(const struct pf_dkim *k, const char *from,
 *		    char *d, size_t dlen);
 *	int	pf_header(struct buf *b, const char *authserv,
 *		    const struct pf_result *r);
 *	int	pf_hint(struct buf *b, const struct pf_result *r);
 *	int	pf_log(struct buf *b, const char *qid, const char *from,
 *		    const char *msgid, size_t rcpts,
 *		    const struct pf_result *r);
 *	const char *pf_spf_summary(const struct pf_result *r);
 *	const char *pf_spf_word(const char *w);
 *	int	pf_warns(const struct pf_result *r);
 *
 * DESCRIPTION
 *	See preflight.h: From: domain, DKIM-Signature d= alignment, the
 *	SPF summary and the warning decision, the "outgoing" and
 *	"preflight" log lines, the X-Bounce-Preflight value, and a small
 *	locked cache of SPF results per (domain, ip).
 *
 *	Which evidence predicts a rejection, and why:
 *
 *	SPF fail for one of our outbound IPs: receivers that enforce a
 *	"-all" policy refuse the mail outright, whatever DKIM says
 *	(Exchange Online answers 550 5.7.23; other receivers 5.7.1, and
 *	some 5.4.1 setups).
 *
 *	SPF permerror (a broken record) or none (no record): most
 *	receivers count both as "not authenticated"; Gmail and Yahoo
 *	require SPF or DKIM from every sender and both from bulk senders.
 *
 *	SPF softfail or neutral: not a rejection by itself, but with no
 *	aligned DKIM signature DMARC fails, and receivers that apply the
 *	sender's DMARC policy or the large mailbox providers' rules for
 *	bulk mail (Gmail 5.7.26, Yahoo 5.7.9, Microsoft 5.7.515) refuse
 *	it.
 *
 *	No aligned DKIM signature: DMARC then rests on SPF alone, which
 *	breaks at the first forwarder, and the bulk-sender rules of Gmail
 *	and Yahoo need a DKIM signature (and DMARC alignment of SPF or
 *	DKIM with From:).  The milter may see the message before a
 *	signer adds its signature, so the hint says how to check.
 *
 *	temperror and skipped say nothing about the receiver: no warning.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ev.h"
#include "preflight.h"

/* ------------------------------------------------------------- words */

static const char *const spf_words[] = {	/* worst first */
	"fail", "permerror", "softfail", "none", "neutral", "temperror",
	"skipped", "pass"
};
#define NSPF	(sizeof(spf_words) / sizeof(spf_words[0]))

const char *
pf_spf_word(const char *w)
{
	size_t i;

	for (i = 0; w != NULL && i < NSPF; i++)
		if (strcmp(w, spf_words[i]) == 0)
			return (spf_words[i]);
	return ("skipped");
}

static size_t
spf_rank(const char *w)
{
	size_t i;

	for (i = 0; w != NULL && i < NSPF; i++)
		if (strcmp(w, spf_words[i]) == 0)
			return (i);
	return (6);		/* skipped */
}

const char *
pf_spf_summary(const struct pf_result *r)
{
	size_t best = NSPF - 1;
	int i;

	if (r->nips == 0)
		return ("skipped");
	for (i = 0; i < r->nips && i < PF_MAX_IPS; i++)
		if (spf_rank(r->ips[i].spf) < best)
			best = spf_rank(r->ips[i].spf);
	return (spf_words[best]);
}

/* -------------------------------------------------- From:, DKIM d= */

static int
domain_copy(const char *s, size_t n, char *dom, size_t len)
{
	size_t i;

	while (n > 0 && s[n - 1] == '.')
		n--;
	if (n == 0 || n >= len)
		return (-1);
	for (i = 0; i < n; i++)
		dom[i] = (char)tolower((unsigned char)s[i]);
	dom[n] = '\0';
	if (!ev_domain_ok(dom)) {
		*dom = '\0';
		return (-1);
	}
	return (0);
}

int
pf_addr_domain(const char *v, char *dom, size_t len)
{
	const char *p, *at, *end;
	char raw[256], ascii[256];
	size_t n;

	if (len > 0)
		*dom = '\0';
	if (v == NULL || len == 0)
		return (-1);
	/* an angle address wins over a display name with '@' in it */
	if ((p = strchr(v, '<')) != NULL && (end = strchr(p, '>')) != NULL)
		;
	else {
		p = v;
		end = v + strcspn(v, ",(;");
	}
	at = NULL;
	for (; p < end; p++)
		if (*p == '@')
			at = p;
	if (at == NULL)
		return (-1);
	at++;
	/* the domain up to what ends it, IDNs in A-labels (libidn2) */
	n = strcspn(at, ">,;() \t\r\n\"<[]");
	if (at + n > end)
		n = (size_t)(end - at);
	if (n == 0 || n >= sizeof(raw))
		return (-1);
	memcpy(raw, at, n);
	raw[n] = '\0';
	if (ev_domain_ascii(raw, ascii, sizeof(ascii)) == -1)
		return (-1);
	return (domain_copy(ascii, strlen(ascii), dom, len));
}

void
pf_dkim_add(struct pf_dkim *k, const char *v)
{
	const char *p, *e = v;
	char tag[8];
	size_t n;

	if (v == NULL)
		return;
	k->nsigs++;
	for (p = v; *p != '\0'; p = *e == ';' ? e + 1 : e) {
		e = p + strcspn(p, ";");
		while (p < e && isspace((unsigned char)*p))
			p++;
		n = strcspn(p, "= \t\r\n");
		if (n == 0 || n >= sizeof(tag) || p + n >= e)
			continue;
		memcpy(tag, p, n);
		tag[n] = '\0';
		if (strcmp(tag, "d") != 0)
			continue;
		p += n;
		while (p < e && (isspace((unsigned char)*p) || *p == '='))
			p++;
		n = strcspn(p, "; \t\r\n");
		if (p + n > e)
			n = (size_t)(e - p);
		if (k->kept < PF_MAX_SIGS &&
		    domain_copy(p, n, k->d[k->kept], sizeof(k->d[0])) == 0)
			k->kept++;
		return;
	}
}

const char *
pf_dkim_word(const struct pf_dkim *k, const char *from, char *d, size_t dlen)
{
	int i;

	if (dlen > 0)
		*d = '\0';
	if (k == NULL || k->nsigs == 0)
		return ("none");
	for (i = 0; i < k->kept; i++)
		if (from != NULL && ev_aligned(from, k->d[i])) {
			snprintf(d, dlen, "%s", k->d[i]);
			return ("signed");
		}
	if (k->kept > 0)
		snprintf(d, dlen, "%s", k->d[0]);
	return ("unaligned");
}

/* ---------------------------------------------------------- decision */

static int
spf_any(const struct pf_result *r, const char *w)
{
	int i;

	for (i = 0; i < r->nips && i < PF_MAX_IPS; i++)
		if (r->ips[i].spf != NULL && strcmp(r->ips[i].spf, w) == 0)
			return (1);
	return (0);
}

static int
dkim_ok(const struct pf_result *r)
{
	return (r->dkim != NULL && strcmp(r->dkim, "signed") == 0);
}

/* The envelope domain counts for DMARC only when aligned with From:. */
static int
spf_aligned(const struct pf_result *r)
{
	return (*r->from_domain == '\0' ||
	    ev_aligned(r->from_domain, r->domain));
}

int
pf_warns(const struct pf_result *r)
{
	if (spf_any(r, "fail") || spf_any(r, "permerror") ||
	    spf_any(r, "none"))
		return (1);
	if (!dkim_ok(r))
		return (1);
	return (0);
}

/* "a, b and c" of the IPs whose SPF result is w */
static int
ips_with(struct buf *b, const struct pf_result *r, const char *w,
    int as_mech)
{
	int i, n = 0, k = 0, err = 0;

	for (i = 0; i < r->nips && i < PF_MAX_IPS; i++)
		if (strcmp(r->ips[i].spf, w) == 0)
			n++;
	for (i = 0; i < r->nips && i < PF_MAX_IPS; i++) {
		if (strcmp(r->ips[i].spf, w) != 0)
			continue;
		if (k > 0)
			err |= buf_adds(b, k + 1 == n ? " and " : ", ");
		if (as_mech)
			err |= buf_adds(b, strchr(r->ips[i].ip, ':') != NULL ?
			    "ip6:" : "ip4:");
		err |= buf_adds(b, r->ips[i].ip);
		k++;
	}
	return (err);
}

static int
hint_spf(struct buf *b, const struct pf_result *r)
{
	const char *d = r->domain;
	int err = 0;

	if (spf_any(r, "fail")) {
		err |= buf_printf(b, "SPF of %s fails for our outbound IP ", d);
		err |= ips_with(b, r, "fail", 0);
		err |= buf_adds(b, ": receivers that enforce SPF reject this "
		    "mail whatever DKIM says (Exchange Online 550 5.7.23, "
		    "others 5.7.1 or 5.4.1). Add ");
		err |= ips_with(b, r, "fail", 1);
		err |= buf_printf(b, " (or the include: of the service that "
		    "sends for us) to the SPF record of %s. ", d);
	}
	if (spf_any(r, "permerror"))
		err |= buf_printf(b, "The SPF record of %s is broken "
		    "(permerror), which receivers count as a failure: fix its "
		    "syntax and keep it under 10 DNS lookups. ", d);
	if (spf_any(r, "none")) {
		err |= buf_printf(b, "%s publishes no SPF record: Gmail, Yahoo "
		    "and Microsoft require SPF or DKIM and junk or reject "
		    "unauthenticated mail. Publish \"v=spf1 ", d);
		err |= ips_with(b, r, "none", 1);
		err |= buf_printf(b, " -all\" (plus any other senders) at "
		    "%s. ", d);
	}
	if (!dkim_ok(r) && (spf_any(r, "softfail") ||
	    spf_any(r, "neutral"))) {
		err |= buf_printf(b, "SPF of %s does not pass for ", d);
		err |= ips_with(b, r, spf_any(r, "softfail") ? "softfail" :
		    "neutral", 0);
		err |= buf_adds(b, " (");
		err |= buf_adds(b, spf_any(r, "softfail") ? "softfail" :
		    "neutral");
		err |= buf_adds(b, ") and no aligned DKIM signature makes up "
		    "for it: DMARC fails, and receivers that apply DMARC or "
		    "the bulk-sender rules reject it (Gmail 5.7.26, Yahoo "
		    "5.7.9, Microsoft 5.7.515). Add ");
		err |= ips_with(b, r, spf_any(r, "softfail") ? "softfail" :
		    "neutral", 1);
		err |= buf_printf(b, " to the SPF record of %s. ", d);
	}
	if (!dkim_ok(r) && !spf_aligned(r) && r->nips > 0 &&
	    strcmp(pf_spf_summary(r), "pass") == 0)
		err |= buf_printf(b, "SPF passes for %s, but the From: domain "
		    "is %s, so SPF does not count for DMARC. ", d,
		    r->from_domain);
	return (err);
}

static int
hint_dkim(struct buf *b, const struct pf_result *r)
{
	const char *f = *r->from_domain != '\0' ? r->from_domain :
	    r->domain;
	int err = 0;

	if (dkim_ok(r))
		return (0);
	if (r->dkim != NULL && strcmp(r->dkim, "unaligned") == 0 &&
	    *r->dkim_d != '\0')
		err |= buf_printf(b, "The DKIM signature is by d=%s, which is "
		    "not aligned with the From: domain %s, so it does not count "
		    "for DMARC: sign with d=%s or a parent domain of it. ",
		    r->dkim_d, *f != '\0' ? f : "(none)", *f != '\0' ? f :
		    "the From: domain");
	else
		err |= buf_printf(b, "No DKIM signature aligned with the From: "
		    "domain %s: DMARC then rests on SPF alone (which forwarding "
		    "breaks), and Gmail and Yahoo require bulk senders to sign "
		    "with DKIM (Gmail refuses with 5.7.26). Sign with d=%s "
		    "(OpenDKIM or the relay). ", *f != '\0' ? f : "(none)", *f != '\0' ? f :
		    "the From: domain");
	err |= buf_adds(b, "A signature added after this milter saw the "
	    "message (a signing milter beside it, or a smart host) is not "
	    "seen here: if one is, check Authentication-Results in a test "
	    "message received outside.");
	return (err);
}

int
pf_hint(struct buf *b, const struct pf_result *r)
{
	int err;

	err = hint_spf(b, r);
	err |= hint_dkim(b, r);
	while (b->len > 0 && b->p[b->len - 1] == ' ')
		b->p[--b->len] = '\0';
	return (err);
}

/* ---------------------------------------------------------- log line */

/* " key=value": quoted when needed; controls and non-ASCII -> '?' */
static int
kv(struct buf *b, const char *k, const char *v)
{
	const unsigned char *p;
	int q = 0, err = 0;

	if (v == NULL || *v == '\0')
		return (0);
	for (p = (const unsigned char *)v; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' ||
		    *p >= 0x7f)
			q = 1;
	err |= buf_printf(b, " %s=%s", k, q ? "\"" : "");
	for (p = (const unsigned char *)v; *p && (p - (const unsigned char *)v)
	    < 2000; p++) {
		if (*p == '"' || *p == '\\')
			err |= buf_addc(b, '\\');
		err |= buf_addc(b, *p < ' ' ? ' ' : *p >= 0x7f ? '?' : *p);
	}
	if (q)
		err |= buf_addc(b, '"');
	return (err);
}

static int
ip_list(struct buf *b, const struct pf_result *r)
{
	int i, k = 0, err = 0;

	for (i = 0; i < r->nips && i < PF_MAX_IPS; i++) {
		if (strcmp(r->ips[i].spf, "pass") == 0)
			continue;
		if (k++ > 0)
			err |= buf_addc(b, ',');
		err |= buf_adds(b, r->ips[i].ip);
	}
	return (err);
}

int
pf_log(struct buf *b, const char *qid, const char *from, const char *msgid,
    size_t rcpts, const struct pf_result *r)
{
	struct buf t = BUF_INIT;
	char n[32];
	const char *q = qid != NULL && *qid != '\0' ? qid : "NOQUEUE";
	const char *dk = r->dkim != NULL ? r->dkim : "none";
	int err = 0;

	err |= buf_printf(b, "%s: outgoing", q);
	err |= kv(b, "from", from != NULL && *from != '\0' ? from : "<>");
	err |= kv(b, "msgid", msgid);
	snprintf(n, sizeof(n), "%zu", rcpts);
	err |= kv(b, "rcpts", n);
	err |= kv(b, "spf", pf_spf_summary(r));
	err |= kv(b, "dkim", dk);
	err |= buf_addc(b, '\n');
	if (!pf_warns(r))
		return (err ? -1 : 0);
	err |= buf_printf(b, "%s: preflight", q);
	err |= kv(b, "domain", r->domain);
	err |= ip_list(&t, r);
	err |= kv(b, "ip", t.p);
	err |= kv(b, "spf", pf_spf_summary(r));
	err |= kv(b, "dkim", dk);
	err |= kv(b, "dkim_domain", r->dkim_d);
	buf_reset(&t);
	err |= pf_hint(&t, r);
	err |= kv(b, "hint", t.p);
	err |= buf_addc(b, '\n');
	buf_free(&t);
	return (err ? -1 : 0);
}

/* ------------------------------------------------------------ header */

static int
is_tok(unsigned char c)
{
	return (isalnum(c) || c == '.' || c == '-' || c == '_' || c == '+' ||
	    c == '@');
}

/* One atom through a simple folder: break before col would pass 78. */
static int
atom(struct buf *b, size_t *col, const char *a, size_t n, int first)
{
	int err = 0;

	if (!first) {
		if (*col + 1 + n > 78) {
			err |= buf_add(b, "\n\t", 2);
			*col = 1;
		} else {
			err |= buf_addc(b, ' ');
			(*col)++;
		}
	}
	err |= buf_add(b, a, n);
	*col += n;
	return (err);
}

int
pf_header(struct buf *b, const char *authserv, const struct pf_result *r)
{
	struct buf a = BUF_INIT;
	const unsigned char *p;
	size_t col = sizeof(PF_HEADER) + 1, n;
	int err = 0, tok = 1;

	if (authserv == NULL || *authserv == '\0')
		authserv = "localhost";
	for (p = (const unsigned char *)authserv; *p; p++)
		if (!is_tok(*p))
			tok = 0;
	if (!tok)
		err |= buf_addc(&a, '"');
	for (p = (const unsigned char *)authserv, n = 0; *p && n < 255;
	    p++, n++) {
		if (*p == '"' || *p == '\\')
			err |= buf_addc(&a, '\\');
		err |= buf_addc(&a, *p < ' ' || *p >= 0x7f ? '?' : *p);
	}
	if (!tok)
		err |= buf_addc(&a, '"');
	err |= buf_addc(&a, ';');
	err |= atom(b, &col, a.p, a.len, 1);
	buf_reset(&a);
	err |= buf_printf(&a, "spf=%s;", pf_spf_summary(r));
	err |= atom(b, &col, a.p, a.len, 0);
	buf_reset(&a);
	err |= buf_printf(&a, "dkim=%s%s", r->dkim != NULL ? r->dkim : "none",
	    *r->domain != '\0' ? ";" : "");
	err |= atom(b, &col, a.p, a.len, 0);
	if (*r->domain != '\0') {	/* ev_domain_ok(): token characters */
		buf_reset(&a);
		err |= buf_printf(&a, "domain=%s", r->domain);
		err |= atom(b, &col, a.p, a.len, 0);
	}
	buf_free(&a);
	return (err ? -1 : 0);
}

/* ------------------------------------------------------------- cache */

struct pf_ent {
	char		 key[320];	/* "domain ip" */
	const char	*word;
	long		 until;
	int		 next;		/* hash chain, -1 = end */
	int		 used;
};

struct pf_cache {
	pthread_mutex_t	 mu;
	struct pf_ent	*e;
	int		*bucket;
	size_t		 cap, nbucket, count, ring;
};

struct pf_cache *
pf_cache_new(size_t cap)
{
	struct pf_cache *c;
	size_t i;

	if (cap == 0)
		cap = 1;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->cap = cap;
	c->nbucket = cap * 2 + 1;
	c->e = calloc(cap, sizeof(*c->e));
	c->bucket = malloc(c->nbucket * sizeof(*c->bucket));
	if (c->e == NULL || c->bucket == NULL) {
		free(c->e);
		free(c->bucket);
		free(c);
		return (NULL);
	}
	for (i = 0; i < c->nbucket; i++)
		c->bucket[i] = -1;
	pthread_mutex_init(&c->mu, NULL);
	return (c);
}

void
pf_cache_free(struct pf_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->mu);
	free(c->e);
	free(c->bucket);
	free(c);
}

static int
make_key(char *k, size_t n, const char *domain, const char *ip)
{
	int w;
	char *p;

	if (domain == NULL || ip == NULL)
		return (-1);
	w = snprintf(k, n, "%s %s", domain, ip);
	if (w < 0 || (size_t)w >= n)
		return (-1);
	for (p = k; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return (0);
}

static size_t
hash(const char *s, size_t n)
{
	size_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return (h % n);
}

static int
find(struct pf_cache *c, const char *k, int **link)
{
	int *l = &c->bucket[hash(k, c->nbucket)];

	for (; *l != -1; l = &c->e[*l].next)
		if (strcmp(c->e[*l].key, k) == 0) {
			if (link != NULL)
				*link = l;
			return (*l);
		}
	if (link != NULL)
		*link = l;
	return (-1);
}

static void
unlink_ent(struct pf_cache *c, int i)
{
	int *l;

	if (find(c, c->e[i].key, &l) == i)
		*l = c->e[i].next;
	c->e[i].used = 0;
	c->count--;
}

const char *
pf_cache_get(struct pf_cache *c, const char *domain, const char *ip,
    long now)
{
	char k[320];
	const char *w = NULL;
	int i;

	if (c == NULL || make_key(k, sizeof(k), domain, ip) == -1)
		return (NULL);
	pthread_mutex_lock(&c->mu);
	if ((i = find(c, k, NULL)) != -1) {
		if (c->e[i].until > now)
			w = c->e[i].word;
		else
			unlink_ent(c, i);
	}
	pthread_mutex_unlock(&c->mu);
	return (w);
}

void
pf_cache_put(struct pf_cache *c, const char *domain, const char *ip,
    const char *word, long now)
{
	char k[320];
	const char *w = pf_spf_word(word);
	int i, *l;

	if (c == NULL || strcmp(w, "skipped") == 0 ||
	    make_key(k, sizeof(k), domain, ip) == -1)
		return;
	pthread_mutex_lock(&c->mu);
	if ((i = find(c, k, NULL)) != -1)
		unlink_ent(c, i);
	/* the slot at the ring goes: the oldest entry put */
	i = (int)c->ring;
	c->ring = (c->ring + 1) % c->cap;
	if (c->e[i].used)
		unlink_ent(c, i);
	snprintf(c->e[i].key, sizeof(c->e[i].key), "%s", k);
	c->e[i].word = w;
	c->e[i].until = now + (strcmp(w, "temperror") == 0 ? PF_TTL_ERR :
	    PF_TTL);
	c->e[i].used = 1;
	find(c, k, &l);
	c->e[i].next = -1;
	*l = i;
	c->count++;
	pthread_mutex_unlock(&c->mu);
}

size_t
pf_cache_count(struct pf_cache *c)
{
	size_t n;

	if (c == NULL)
		return (0);
	pthread_mutex_lock(&c->mu);
	n = c->count;
	pthread_mutex_unlock(&c->mu);
	return (n);
}
