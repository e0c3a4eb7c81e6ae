/*
 * preflight.h - what the evidence says about mail we send (no I/O here)
 *
 * SYNOPSIS
 *	#include "preflight.h"
 *
 *	int	pf_addr_domain(const char *value, char *dom, size_t len);
 *	void	pf_dkim_add(struct pf_dkim *k, const char *sig_value);
 *	const char *pf_dkim_word(const struct pf_dkim *k,
 *		    const char *from_domain, char *d, size_t dlen);
 *
 *	const char *pf_spf_word(const char *w);
 *	const char *pf_spf_summary(const struct pf_result *r);
 *	int	pf_warns(const struct pf_result *r);
 *	int	pf_hint(struct buf *out, const struct pf_result *r);
 *	int	pf_log(struct buf *out, const char *qid, const char *from,
 *		    const char *msgid, size_t rcpts,
 *		    const struct pf_result *r);
 *	int	pf_header(struct buf *out, const char *authserv,
 *		    const struct pf_result *r);
 *
 *	struct pf_cache *pf_cache_new(size_t cap);
 *	const char *pf_cache_get(struct pf_cache *c, const char *domain,
 *		    const char *ip, long now);
 *	void	pf_cache_put(struct pf_cache *c, const char *domain,
 *		    const char *ip, const char *word, long now);
 *	size_t	pf_cache_count(struct pf_cache *c);
 *	void	pf_cache_free(struct pf_cache *c);
 *
 * DESCRIPTION
 *	The preflight of an outgoing message: the SPF result of the
 *	envelope sender's domain for each of our outbound_ips, whether the
 *	message carries a DKIM signature aligned with its From: domain,
 *	and whether that predicts rejections.  The lookups themselves run
 *	elsewhere (milter_pre.c, through ev_spf.c); this module decides
 *	and formats, so the unit tests need no DNS.
 *
 *	pf_addr_domain() puts the lower-cased domain of the first address
 *	of a From: value ("Name <a@b>", "a@b (c)") in dom, an IDN in
 *	A-labels (libidn2: "bücher.de" is "xn--bcher-kva.de"), and returns
 *	0, or -1 when there is no usable domain.
 *
 *	pf_dkim_add() notes the d= of one DKIM-Signature value (at most
 *	PF_MAX_SIGS are kept; more are counted).  pf_dkim_word() judges
 *	them against the From: domain by DMARC's relaxed alignment (the
 *	same organisational domain under the Public Suffix List:
 *	ev_aligned()): "signed" when one is
 *	aligned (its d= in d), "unaligned" when there are signatures but
 *	none aligned (the first d= in d), "none" without signatures.
 *	Nothing is verified: the message is on its way out, and a
 *	signature added later (by a signing milter that runs beside this
 *	one, or a smart host) is not seen here.
 *
 *	pf_spf_word() maps an ev_spf_check() word to this module's
 *	constant of the same text (unknown words -> "skipped").
 *	pf_spf_summary() is the worst result over the IPs (fail,
 *	permerror, softfail, none, neutral, temperror, skipped, pass, in
 *	that order): "pass" only when every IP passes.  pf_warns() says
 *	whether the result predicts rejections: SPF fail for any IP;
 *	permerror or none; softfail or neutral without an aligned DKIM
 *	signature; no aligned DKIM signature at all.  pf_hint() writes the
 *	sentence for people, naming the domain, the IPs and the fix.
 *
 *	pf_log() appends the "outgoing" line (bounce-milter(8): from= msgid=
 *	rcpts= spf= dkim=) and, when pf_warns(), a "preflight" line
 *	(domain= ip= spf= dkim= hint=), each ending in '\n'.  pf_header()
 *	appends the value of X-Bounce-Preflight: "AUTHSERV; spf=W; dkim=W;
 *	domain=D", ASCII, folded with "\n\t" before 78 columns.
 *
 *	The cache maps (domain, ip) to an SPF word for PF_TTL seconds
 *	(PF_TTL_ERR for temperror; "skipped" is never kept), at most cap
 *	entries (the oldest goes first).  It is locked: any thread may
 *	use it.  now is seconds on any clock that does not go back.
 *
 *	Functions that append return 0, or -1 when memory ran out.
 */
#ifndef PREFLIGHT_H
#define PREFLIGHT_H

#include <stddef.h>

#include "buf.h"

#define PF_MAX_IPS	8	/* outbound_ips judged per message */
#define PF_MAX_SIGS	8	/* DKIM-Signature d= kept per message */
#define PF_TTL		300	/* seconds a cached SPF result is used */
#define PF_TTL_ERR	30	/* ... a temperror */

#define PF_HEADER	"X-Bounce-Preflight"

struct pf_dkim {
	int		 nsigs;
	int		 kept;
	char		 d[PF_MAX_SIGS][256];
};

struct pf_result {
	char		 domain[256];	/* envelope sender's domain */
	char		 from_domain[256];	/* From: header's domain */
	int		 nips;
	struct {
		char		 ip[64];
		const char	*spf;	/* pf_spf_word() */
	}		 ips[PF_MAX_IPS];
	const char	*spf_why;	/* why no IP was judged, or NULL */
	const char	*dkim;		/* signed, unaligned, none */
	char		 dkim_d[256];
};

int		 pf_addr_domain(const char *, char *, size_t);
void		 pf_dkim_add(struct pf_dkim *, const char *);
const char	*pf_dkim_word(const struct pf_dkim *, const char *, char *,
		    size_t);
const char	*pf_spf_word(const char *);
const char	*pf_spf_summary(const struct pf_result *);
int		 pf_warns(const struct pf_result *);
int		 pf_hint(struct buf *, const struct pf_result *);
int		 pf_log(struct buf *, const char *, const char *, const char *,
		    size_t, const struct pf_result *);
int		 pf_header(struct buf *, const char *, const struct pf_result *);

struct pf_cache;
struct pf_cache	*pf_cache_new(size_t);
const char	*pf_cache_get(struct pf_cache *, const char *, const char *,
		    long);
void		 pf_cache_put(struct pf_cache *, const char *, const char *,
		    const char *, long);
size_t		 pf_cache_count(struct pf_cache *);
void		 pf_cache_free(struct pf_cache *);

#endif
