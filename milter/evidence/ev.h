/*
 * ev.h - internal interfaces of the evidence module (ev_*.c, evidence.c)
 *
 * SYNOPSIS
 *	Resolver (ev_dns.c):
 *	struct ev_dns *ev_dns_new(const char *spec, size_t cache_cap,
 *		    char *err, size_t errlen);
 *	int	ev_dns_query(struct ev_dns *d, const char *name, int type,
 *		    int64_t deadline, struct ev_answer **ans);
 *	void	ev_answer_free(struct ev_answer *a);
 *	void	ev_dns_free(struct ev_dns *d);
 *	int	ev_dns_parse_server(const char *spec,
 *		    struct sockaddr_storage *ss, socklen_t *len);
 *	size_t	ev_dns_cache_count(struct ev_dns *d);
 *	int64_t	ev_now_ms(void);
 *
 *	Checks (ev_spf.c, ev_dkim.c, ev_mx.c):
 *	const char *ev_spf_check(struct ev_dns *d, const char *sender,
 *		    const char *ip, int64_t deadline,
 *		    struct ev_spf_info *info);
 *	struct ev_dkim *ev_dkim_new(void);
 *	const char *ev_dkim_check(struct ev_dkim *k, struct ev_dns *d,
 *		    const char *raw, size_t len, int headers_only, int cut,
 *		    const char *from_domain, int64_t deadline,
 *		    struct ev_dkim_info *info);
 *	void	ev_dkim_free(struct ev_dkim *k);
 *	const char *ev_mx_check(struct ev_dns *d, const struct rules *rules,
 *		    const char *domain, int64_t deadline,
 *		    struct ev_mx_info *info);
 *	int	ev_mx_is_eop(const struct rules *rules, const char *host);
 *	int	ev_domain_ok(const char *domain);
 *	int	ev_domain_ascii(const char *domain, char *out, size_t outlen);
 *	int	ev_aligned(const char *from_domain, const char *sig_domain);
 *	const char *ev_org_domain(const char *domain, char *out,
 *		    size_t outlen);
 *
 *	From evidence.c and ev_original.c (for the tests):
 *	int	evidence_relevant(const struct rcpt *rc);
 *	int	evidence_received_ip(const char *received, char *ip,
 *		    size_t iplen, int *authenticated);
 *
 * DESCRIPTION
 *	ev_dns is a small stub resolver of its own: one UDP query (EDNS0,
 *	TCP when the answer is truncated) to the configured server or the
 *	nameservers of /etc/resolv.conf, retried until the caller's
 *	deadline (milliseconds of CLOCK_MONOTONIC, see ev_now_ms()), with a
 *	bounded, mutex-protected LRU cache of answers.  It is safe to share
 *	between threads.  spec is "" (system), "HOST", "HOST:PORT",
 *	"[V6]:PORT" or a bare IPv6 address.  ev_dns_query() returns one of
 *	EV_DNS_*; *ans is set (free with ev_answer_free()) for every code
 *	but EV_DNS_TIMEOUT.  Only records of the asked type are kept: TXT
 *	strings concatenated, MX/PTR names without the final dot, A/AAAA
 *	as text.
 *
 *	Names in U-labels (UTF-8, an internationalised domain) are turned
 *	into A-labels (punycode, libidn2, IDNA2008 with the UTS #46
 *	mapping) before any lookup: ev_domain_ascii() does it (0, or -1
 *	when the name cannot be converted or does not fit; a name that is
 *	all ASCII is copied as it is), ev_dns_query() applies it to every
 *	name it is asked, and the checks compare domains in that form.
 *
 *	The checks return a constant evidence word (report.h) and fill the
 *	info structure used for the hint sentence.  Each one gives "skipped"
 *	when the deadline passed before it had its answer.
 */
#ifndef EV_H
#define EV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define EV_DNS_OK	0	/* answer with records */
#define EV_DNS_NXDOMAIN	1
#define EV_DNS_NODATA	2	/* name exists, no record of that type */
#define EV_DNS_ERROR	3	/* SERVFAIL, REFUSED, bad reply, bad name */
#define EV_DNS_TIMEOUT	4	/* no answer before the deadline */

#define EV_T_A		1
#define EV_T_PTR	12
#define EV_T_MX		15
#define EV_T_TXT	16
#define EV_T_AAAA	28

#define EV_MAX_RR	32	/* records kept per answer */
#define EV_MAX_RDATA	4096	/* bytes kept per record */

struct ev_rr {
	int		 pref;		/* MX preference */
	char		*data;		/* NUL-terminated text */
	size_t		 len;
};

struct ev_answer {
	int		 rcode;		/* EV_DNS_* */
	int		 nrr;
	unsigned	 ttl;
	struct ev_rr	 rr[EV_MAX_RR];
};

struct ev_dns;

struct ev_dns	*ev_dns_new(const char *, size_t, char *, size_t);
int		 ev_dns_query(struct ev_dns *, const char *, int, int64_t,
		    struct ev_answer **);
void		 ev_answer_free(struct ev_answer *);
void		 ev_dns_free(struct ev_dns *);
int		 ev_dns_parse_server(const char *, struct sockaddr_storage *,
		    socklen_t *);
size_t		 ev_dns_cache_count(struct ev_dns *);
int64_t		 ev_now_ms(void);

/* SPF */
struct ev_spf_info {
	char		 domain[256];
	char		 ip[64];
};
const char	*ev_spf_check(struct ev_dns *, const char *, const char *,
		    int64_t, struct ev_spf_info *);

/* DKIM */
struct ev_dkim_info {
	char		 domain[256];	/* d= of the signature judged */
	char		 selector[128];
	char		 other[256];	/* d= of a non-aligned signature */
	int		 nsigs;
};
struct ev_dkim;
struct ev_dkim	*ev_dkim_new(void);
const char	*ev_dkim_check(struct ev_dkim *, struct ev_dns *, const char *,
		    size_t, int, int, const char *, int64_t,
		    struct ev_dkim_info *);
void		 ev_dkim_free(struct ev_dkim *);

/* MX */
struct ev_mx_info {
	int		 n;		/* MX records */
	int		 neop;		/* of which Exchange Online */
	char		 first[256];	/* lowest-preference host */
	char		 foreign[256];	/* a host that is not Exchange Online */
};
struct rules;
const char	*ev_mx_check(struct ev_dns *, const struct rules *,
		    const char *, int64_t, struct ev_mx_info *);
int		 ev_mx_is_eop(const struct rules *, const char *);

/* helpers shared by the modules */
int		 ev_domain_ok(const char *);
int		 ev_domain_ascii(const char *, char *, size_t);
int		 ev_aligned(const char *, const char *);
const char	*ev_org_domain(const char *, char *, size_t);

/* evidence.c, exported for the unit tests */
struct rcpt;
int		 evidence_relevant(const struct rcpt *);
int		 evidence_received_ip(const char *, char *, size_t, int *);

#endif
