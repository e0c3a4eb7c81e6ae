/*
 * evidence.h - SPF, DKIM and MX evidence for a decoded bounce
 *
 * SYNOPSIS
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
 *
 * DESCRIPTION
 *	evidence_run() fills rc->ev for every recipient of r: the SPF result
 *	of the original envelope sender's domain for the IP that sent the
 *	original (libspf2), the DKIM verdict on the returned original
 *	(libopendkim), and the recipient domain's MX set.  All lookups for
 *	one message together take at most dns.timeout_ms; what did not run
 *	(DNS off, out of time) is "skipped".  With e == NULL every value is
 *	"skipped".  rules gives the Exchange Online host names (ev.mx eop).
 *	A context is safe to share between threads.
 *
 *	Whose domains: lookups run only when the original's envelope
 *	sender domain is ours (our_domains, or a subdomain of one; with
 *	our_domains unset, a domain fn(arg, domain) says is ours: the
 *	daemon asks its history of outgoing mail); DKIM keys only when the
 *	From domain is ours as well.  Otherwise every value is "skipped"
 *	and evidence_check() writes to why (if not NULL) one sentence
 *	saying why, for a debug line; why is "" when nothing was skipped
 *	for that reason.  evidence_run() is evidence_check() without why.
 *	evidence_set_ours() must be called before the context is shared.
 *	evidence_domain_key() writes the form fn is given: A-labels, lower
 *	case, no final dot (0, or -1 when domain is not a host name).
 *
 *	evidence_hook() is evidence_run() in the shape of bounce_opts'
 *	evidence stage (the classifier knows no evidence module).
 */
#ifndef EVIDENCE_H
#define EVIDENCE_H

#include "config.h"
#include "report.h"
#include "rules.h"

struct evidence_ctx;

typedef int	evidence_ours_fn(void *arg, const char *domain);

struct evidence_ctx *evidence_new(const struct config *);
void	evidence_run(struct evidence_ctx *, const struct rules *,
	    struct report *);
void	evidence_check(struct evidence_ctx *, const struct rules *,
	    struct report *, char *, size_t);
void	evidence_set_ours(struct evidence_ctx *, evidence_ours_fn *, void *);
int	evidence_domain_key(const char *, char *, size_t);
void	evidence_hook(void *, const struct rules *, struct report *);
void	evidence_free(struct evidence_ctx *);

#endif
