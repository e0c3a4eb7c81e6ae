/*
 * ev_spf.c - SPF result of a sender domain for one IP (libspf2)
 *
 * SYNOPSIS
 *	#include "ev.h"
 *
 *	const char *ev_spf_check(struct ev_dns *d, const char *sender,
 *		    const char *ip, int64_t deadline,
 *		    struct ev_spf_info *info);
 *
 * DESCRIPTION
 *	ev_spf_check() evaluates the SPF record of sender's domain (sender
 *	is "local@domain" or a bare domain) for the client address ip and
 *	returns pass, fail, softfail, neutral, none, temperror or
 *	permerror; "skipped" when the deadline passed during the check or
 *	the arguments are unusable (libspf2's SPF_error() aborts the
 *	process on misuse, so everything is checked here first).
 *
 * NOTES
 *	libspf2's own resolver layer (SPF_DNS_RESOLV) calls res_nquery()
 *	with a per-thread res_state made by res_ninit(): it can neither be
 *	pointed at a configured server without patching that state nor be
 *	given a deadline.  Instead this module hands libspf2 a DNS layer
 *	of its own (an SPF_dns_server_t whose lookup() calls ev_dns with
 *	the message's deadline), which the public spf_dns.h allows.  The
 *	layer lives on the stack of one check, with a NULL destroy so
 *	SPF_server_free() leaves it alone; one SPF_server_t per check keeps
 *	threads apart (it costs a few microseconds).  Type SPF (99) is
 *	answered NO_DATA locally: libspf2 then asks TXT, the only type
 *	RFC 7208 keeps.  A timeout is reported to libspf2 as TRY_AGAIN
 *	(temperror) and turned into "skipped" here.  A record that does not
 *	compile ("v=spf1 bogus:x -all") leaves the result at
 *	SPF_RESULT_INVALID: that is a permerror (RFC 7208 4.6), unless a
 *	DNS error happened on the way (temperror).  libspf2's warning,
 *	info and debug handlers are silenced once (they print to stdout or
 *	stderr by default).
 */
#include <netinet/in.h>
#include <arpa/inet.h>
#include <spf2/spf.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ev.h"

struct spf_ctx {
	struct ev_dns	*d;
	int64_t		 deadline;
	int		 timed_out;
	int		 dns_error;
};

static void
quiet(const char *file, int line, const char *msg)
{
	(void)file;
	(void)line;
	(void)msg;
}

static pthread_once_t spf_once = PTHREAD_ONCE_INIT;

static void
spf_init(void)
{
	SPF_warning_handler = quiet;
	SPF_info_handler = quiet;
	SPF_debug_handler = quiet;
}

static SPF_dns_rr_t *
layer_lookup(SPF_dns_server_t *s, const char *domain, ns_type type,
    int should_cache)
{
	struct spf_ctx *c = s->hook;
	struct ev_answer *a = NULL;
	SPF_dns_rr_t *rr;
	int rc, i, n;

	(void)should_cache;
	if (type != ns_t_a && type != ns_t_aaaa && type != ns_t_mx &&
	    type != ns_t_txt && type != ns_t_ptr)
		return (SPF_dns_rr_new_init(s, domain, type, 0, NO_DATA));
	rc = ev_dns_query(c->d, domain, (int)type, c->deadline, &a);
	switch (rc) {
	case EV_DNS_OK:
		break;
	case EV_DNS_NXDOMAIN:
		ev_answer_free(a);
		return (SPF_dns_rr_new_init(s, domain, type, 0,
		    HOST_NOT_FOUND));
	case EV_DNS_NODATA:
		ev_answer_free(a);
		return (SPF_dns_rr_new_init(s, domain, type, 0, NO_DATA));
	case EV_DNS_TIMEOUT:
		c->timed_out = 1;
		/* FALLTHROUGH */
	default:
		c->dns_error = 1;
		ev_answer_free(a);
		return (SPF_dns_rr_new_init(s, domain, type, 0, TRY_AGAIN));
	}
	if ((rr = SPF_dns_rr_new_init(s, domain, type, (int)a->ttl,
	    NETDB_SUCCESS)) == NULL) {
		ev_answer_free(a);
		return (NULL);
	}
	for (i = 0, n = 0; i < a->nrr; i++) {
		size_t need;

		if (type == ns_t_a)
			need = sizeof(struct in_addr);
		else if (type == ns_t_aaaa)
			need = sizeof(struct in6_addr);
		else
			need = a->rr[i].len + 1;
		if (SPF_dns_rr_buf_realloc(rr, n, need) != SPF_E_SUCCESS)
			break;
		if (type == ns_t_a) {
			if (inet_pton(AF_INET, a->rr[i].data, &rr->rr[n]->a) != 1)
				continue;
		} else if (type == ns_t_aaaa) {
			if (inet_pton(AF_INET6, a->rr[i].data,
			    &rr->rr[n]->aaaa) != 1)
				continue;
		} else
			memcpy(rr->rr[n]->txt, a->rr[i].data, a->rr[i].len + 1);
		n++;
	}
	rr->num_rr = n;
	if (n == 0)
		rr->herrno = NO_DATA;
	ev_answer_free(a);
	return (rr);
}

static const char *
result_word(SPF_result_t r)
{
	switch (r) {
	case SPF_RESULT_PASS:		return ("pass");
	case SPF_RESULT_FAIL:		return ("fail");
	case SPF_RESULT_SOFTFAIL:	return ("softfail");
	case SPF_RESULT_NEUTRAL:	return ("neutral");
	case SPF_RESULT_NONE:		return ("none");
	case SPF_RESULT_TEMPERROR:	return ("temperror");
	case SPF_RESULT_PERMERROR:	return ("permerror");
	default:			return ("permerror");
	}
}

/* A local part we are willing to hand to libspf2's macro expander. */
static int
local_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return (0);
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr("._+-", s[i]) != NULL))
			return (0);
	return (1);
}

const char *
ev_spf_check(struct ev_dns *d, const char *sender, const char *ip,
    int64_t deadline, struct ev_spf_info *info)
{
	SPF_dns_server_t layer;
	SPF_server_t *srv;
	SPF_request_t *req;
	SPF_response_t *resp = NULL;
	struct spf_ctx c;
	struct in_addr a4;
	struct in6_addr a6;
	char envfrom[400], ascii[256];
	const char *at, *dom, *word;
	int v6;

	memset(info, 0, sizeof(*info));
	if (d == NULL || sender == NULL || ip == NULL)
		return ("skipped");
	at = strrchr(sender, '@');
	dom = at ? at + 1 : sender;
	/* libspf2 and the DNS see the A-label form of an IDN */
	if (ev_domain_ascii(dom, ascii, sizeof(ascii)) == -1 ||
	    !ev_domain_ok(ascii))
		return ("skipped");
	snprintf(info->domain, sizeof(info->domain), "%s", dom);
	dom = ascii;
	snprintf(info->ip, sizeof(info->ip), "%s", ip);
	if (inet_pton(AF_INET, ip, &a4) == 1)
		v6 = 0;
	else if (inet_pton(AF_INET6, ip, &a6) == 1)
		v6 = 1;
	else
		return ("skipped");
	if (at != NULL && local_ok(sender, (size_t)(at - sender)))
		snprintf(envfrom, sizeof(envfrom), "%.*s@%s",
		    (int)(at - sender), sender, dom);
	else
		snprintf(envfrom, sizeof(envfrom), "postmaster@%s", dom);
	if (ev_now_ms() >= deadline)
		return ("skipped");

	pthread_once(&spf_once, spf_init);
	memset(&layer, 0, sizeof(layer));
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.deadline = deadline;
	layer.lookup = layer_lookup;
	layer.name = "bounce-milter";
	layer.hook = &c;
	if ((srv = SPF_server_new_dns(&layer, 0)) == NULL)
		return ("skipped");
	if ((req = SPF_request_new(srv)) == NULL) {
		SPF_server_free(srv);
		return ("skipped");
	}
	word = "skipped";
	if ((v6 ? SPF_request_set_ipv6(req, a6) :
	    SPF_request_set_ipv4(req, a4)) != SPF_E_SUCCESS ||
	    SPF_request_set_env_from(req, envfrom) != 0)
		goto out;
	SPF_request_query_mailfrom(req, &resp);
	if (resp != NULL)
		word = result_word(SPF_response_result(resp));
	/* a record that does not compile leaves SPF_RESULT_INVALID */
	if (resp != NULL && SPF_response_result(resp) == SPF_RESULT_INVALID &&
	    c.dns_error)
		word = "temperror";
	if (c.timed_out)
		word = "skipped";
out:
	if (resp != NULL)
		SPF_response_free(resp);
	SPF_request_free(req);
	SPF_server_free(srv);
	return (word);
}
