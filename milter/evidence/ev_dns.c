/*
 * ev_dns.c - stub resolver with a deadline per query and a bounded cache
 *
 * SYNOPSIS
 *	#include "ev.h"
 *
 *	void	ev_answer_free(struct ev_answer *a);
 *	size_t	ev_dns_cache_count(struct ev_dns *d);
 *	void	ev_dns_free(struct ev_dns *d);
 *	struct ev_dns *ev_dns_new(const char *spec, size_t cap, char *err,
 *		    size_t errlen);
 *	int	ev_dns_parse_server(const char *spec,
 *		    struct sockaddr_storage *ss, socklen_t *len);
 *	int	ev_dns_query(struct ev_dns *d, const char *name, int type,
 *		    int64_t deadline, struct ev_answer **ans);
 *	int64_t	ev_now_ms(void);
 *
 * DESCRIPTION
 *	A deliberately small resolver for the evidence checks.  The glibc
 *	resolver (res_query and friends) cannot be given a deadline in
 *	milliseconds nor a server per call without per-thread res_state
 *	juggling, so queries are built and sent here: one UDP datagram
 *	with an EDNS0 OPT record (payload 1232) to each configured server
 *	in turn, re-sent every RETRY_MS, until a matching answer arrives or
 *	the caller's deadline passes; a truncated answer is asked again
 *	over TCP under the same deadline.  Answers are parsed with
 *	libresolv's ns_initparse()/ns_parserr(), which are reentrant.
 *
 *	Only names made of letters, digits, '-' and '_' (labels of 1-63
 *	octets, at most 253 in all) are ever sent: names come from hostile
 *	messages.  A name in U-labels (an IDN in UTF-8) is first turned
 *	into its A-labels (ev_domain_ascii(), libidn2); one that is not
 *	valid IDNA is an error without a query.  A reply must match the query id, the question name and
 *	type, and come from the socket connected to that server.
 *
 *	The cache holds at most cap answers (LRU), each at most EV_MAX_RR
 *	records of at most EV_MAX_RDATA bytes.  Positive answers live for
 *	their TTL (at most MAX_TTL), NXDOMAIN/NODATA for NEG_TTL seconds;
 *	errors and timeouts are not cached.  One mutex guards it; network
 *	I/O happens outside the lock.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <netdb.h>

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"

#define MAX_NS		3
#define RETRY_MS	700
#define CACHE_BUCKETS	1024
#define NEG_TTL		60
#define MAX_TTL		3600
#define UDP_PAYLOAD	1232
#define QBUF		600

struct centry {
	struct centry	*hnext;
	struct centry	*prev, *next;	/* LRU list, head is newest */
	unsigned	 hash;
	int		 type;
	int64_t		 expires;
	struct ev_answer *ans;
	char		 name[];
};

struct ev_dns {
	struct sockaddr_storage ns[MAX_NS];
	socklen_t	 nslen[MAX_NS];
	int		 nns;
	pthread_mutex_t	 lock;
	struct centry	*bucket[CACHE_BUCKETS];
	struct centry	*head, *tail;
	size_t		 count, cap;
};

int64_t
ev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Numeric host and port to a socket address; 0 or -1. */
static int
numeric_addr(const char *host, const char *port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	struct addrinfo hints, *res;

	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return (-1);
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return (-1);
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return (0);
}

int
ev_dns_parse_server(const char *spec, struct sockaddr_storage *ss,
    socklen_t *len)
{
	char host[128], port[8];
	const char *p, *colon;
	size_t n;
	long pn;
	char *end;

	if (spec == NULL)
		return (-1);
	while (*spec == ' ' || *spec == '\t')
		spec++;
	snprintf(port, sizeof(port), "53");
	if (*spec == '[') {
		if ((p = strchr(spec, ']')) == NULL)
			return (-1);
		n = (size_t)(p - spec - 1);
		if (n == 0 || n >= sizeof(host))
			return (-1);
		memcpy(host, spec + 1, n);
		host[n] = '\0';
		p++;
		if (*p == ':')
			colon = p;
		else if (*p == '\0')
			colon = NULL;
		else
			return (-1);
	} else {
		colon = strchr(spec, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL;		/* bare IPv6 address */
		n = colon ? (size_t)(colon - spec) : strlen(spec);
		if (n == 0 || n >= sizeof(host))
			return (-1);
		memcpy(host, spec, n);
		host[n] = '\0';
	}
	if (colon != NULL) {
		errno = 0;
		pn = strtol(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || pn < 1 || pn > 65535)
			return (-1);
		snprintf(port, sizeof(port), "%ld", pn);
	}
	return (numeric_addr(host, port, ss, len));
}

/* The nameservers of /etc/resolv.conf, or 127.0.0.1 when it names none. */
static void
system_servers(struct ev_dns *d)
{
	char line[512], *p, *q;
	FILE *fp;

	if ((fp = fopen("/etc/resolv.conf", "re")) != NULL) {
		while (d->nns < MAX_NS && fgets(line, sizeof(line), fp)) {
			if (strncmp(line, "nameserver", 10) != 0 ||
			    (line[10] != ' ' && line[10] != '\t'))
				continue;
			p = line + 10;
			p += strspn(p, " \t");
			q = p + strcspn(p, " \t\r\n#;");
			*q = '\0';
			if (numeric_addr(p, "53", &d->ns[d->nns],
			    &d->nslen[d->nns]) == 0)
				d->nns++;
		}
		fclose(fp);
	}
	if (d->nns == 0 &&
	    numeric_addr("127.0.0.1", "53", &d->ns[0], &d->nslen[0]) == 0)
		d->nns = 1;
}

struct ev_dns *
ev_dns_new(const char *spec, size_t cap, char *err, size_t errlen)
{
	struct ev_dns *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	d->cap = cap ? cap : 4096;
	if (spec == NULL || *spec == '\0' || strcmp(spec, "system") == 0)
		system_servers(d);
	else if (ev_dns_parse_server(spec, &d->ns[0], &d->nslen[0]) == 0)
		d->nns = 1;
	else {
		snprintf(err, errlen, "dns.resolver \"%s\": not an address "
		    "(\"127.0.0.1:5353\", \"[::1]:53\" or \"\")", spec);
		free(d);
		return (NULL);
	}
	if (pthread_mutex_init(&d->lock, NULL) != 0) {
		snprintf(err, errlen, "mutex: %s", strerror(errno));
		free(d);
		return (NULL);
	}
	return (d);
}

/* ---- answers ---- */

void
ev_answer_free(struct ev_answer *a)
{
	int i;

	if (a == NULL)
		return;
	for (i = 0; i < a->nrr; i++)
		free(a->rr[i].data);
	free(a);
}

static struct ev_answer *
answer_dup(const struct ev_answer *a)
{
	struct ev_answer *c;
	int i;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return (NULL);
	c->rcode = a->rcode;
	c->ttl = a->ttl;
	for (i = 0; i < a->nrr; i++) {
		if ((c->rr[i].data = malloc(a->rr[i].len + 1)) == NULL) {
			ev_answer_free(c);
			return (NULL);
		}
		memcpy(c->rr[i].data, a->rr[i].data, a->rr[i].len + 1);
		c->rr[i].len = a->rr[i].len;
		c->rr[i].pref = a->rr[i].pref;
		c->nrr = i + 1;
	}
	return (c);
}

/* ---- cache ---- */

static unsigned
key_hash(const char *name, int type)
{
	unsigned h = 2166136261u ^ (unsigned)type;

	for (; *name; name++)
		h = (h ^ (unsigned char)tolower((unsigned char)*name)) *
		    16777619u;
	return (h);
}

static void
lru_unlink(struct ev_dns *d, struct centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		d->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		d->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push(struct ev_dns *d, struct centry *e)
{
	e->prev = NULL;
	e->next = d->head;
	if (d->head)
		d->head->prev = e;
	d->head = e;
	if (d->tail == NULL)
		d->tail = e;
}

static void
centry_drop(struct ev_dns *d, struct centry *e)
{
	struct centry **pp;

	for (pp = &d->bucket[e->hash % CACHE_BUCKETS]; *pp; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	lru_unlink(d, e);
	ev_answer_free(e->ans);
	free(e);
	d->count--;
}

static struct centry *
cache_find(struct ev_dns *d, const char *name, int type, unsigned h)
{
	struct centry *e;

	for (e = d->bucket[h % CACHE_BUCKETS]; e; e = e->hnext)
		if (e->hash == h && e->type == type &&
		    strcasecmp(e->name, name) == 0)
			return (e);
	return (NULL);
}

static struct ev_answer *
cache_get(struct ev_dns *d, const char *name, int type)
{
	struct ev_answer *a = NULL;
	struct centry *e;
	unsigned h = key_hash(name, type);

	pthread_mutex_lock(&d->lock);
	if ((e = cache_find(d, name, type, h)) != NULL) {
		if (e->expires <= ev_now_ms())
			centry_drop(d, e);
		else {
			lru_unlink(d, e);
			lru_push(d, e);
			a = answer_dup(e->ans);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return (a);
}

static void
cache_put(struct ev_dns *d, const char *name, int type,
    const struct ev_answer *a)
{
	struct centry *e;
	unsigned h = key_hash(name, type);
	unsigned ttl;
	size_t n = strlen(name);

	if (a->rcode == EV_DNS_OK)
		ttl = a->ttl < MAX_TTL ? a->ttl : MAX_TTL;
	else if (a->rcode == EV_DNS_NXDOMAIN || a->rcode == EV_DNS_NODATA)
		ttl = NEG_TTL;
	else
		return;
	if (ttl == 0)
		return;
	if ((e = calloc(1, sizeof(*e) + n + 1)) == NULL)
		return;
	if ((e->ans = answer_dup(a)) == NULL) {
		free(e);
		return;
	}
	memcpy(e->name, name, n + 1);
	e->hash = h;
	e->type = type;
	e->expires = ev_now_ms() + (int64_t)ttl * 1000;
	pthread_mutex_lock(&d->lock);
	{
		struct centry *old;

		if ((old = cache_find(d, name, type, h)) != NULL)
			centry_drop(d, old);
	}
	e->hnext = d->bucket[h % CACHE_BUCKETS];
	d->bucket[h % CACHE_BUCKETS] = e;
	lru_push(d, e);
	d->count++;
	while (d->count > d->cap && d->tail != NULL)
		centry_drop(d, d->tail);
	pthread_mutex_unlock(&d->lock);
}

size_t
ev_dns_cache_count(struct ev_dns *d)
{
	size_t n;

	pthread_mutex_lock(&d->lock);
	n = d->count;
	pthread_mutex_unlock(&d->lock);
	return (n);
}

void
ev_dns_free(struct ev_dns *d)
{
	if (d == NULL)
		return;
	while (d->head != NULL)
		centry_drop(d, d->head);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

/* ---- wire format ---- */

/* Write name as DNS labels; returns bytes written or -1 (bad name). */
static int
put_name(unsigned char *p, size_t cap, const char *name)
{
	size_t n = strlen(name), i = 0, o = 0, start, len;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return (-1);
	while (i < n) {
		start = i;
		while (i < n && name[i] != '.') {
			unsigned char c = (unsigned char)name[i];

			if (!isalnum(c) && c != '-' && c != '_')
				return (-1);
			i++;
		}
		len = i - start;
		if (len == 0 || len > 63 || o + len + 2 > cap)
			return (-1);
		p[o++] = (unsigned char)len;
		memcpy(p + o, name + start, len);
		o += len;
		i++;				/* the dot */
	}
	p[o++] = 0;
	return ((int)o);
}

static int
build_query(unsigned char *q, size_t cap, const char *name, int type,
    unsigned id)
{
	int n;
	size_t o = 12;

	memset(q, 0, 12);
	q[0] = (unsigned char)(id >> 8);
	q[1] = (unsigned char)id;
	q[2] = 0x01;				/* RD */
	q[5] = 1;				/* QDCOUNT */
	q[11] = 1;				/* ARCOUNT: OPT */
	if ((n = put_name(q + o, cap - o - 16, name)) < 0)
		return (-1);
	o += (size_t)n;
	q[o++] = (unsigned char)(type >> 8);
	q[o++] = (unsigned char)type;
	q[o++] = 0;
	q[o++] = 1;				/* class IN */
	q[o++] = 0;				/* OPT: root name */
	q[o++] = 0;
	q[o++] = 41;
	q[o++] = UDP_PAYLOAD >> 8;
	q[o++] = UDP_PAYLOAD & 0xff;
	memset(q + o, 0, 6);			/* ttl, rdlen */
	o += 6;
	return ((int)o);
}

static void
canon(char *s)
{
	size_t n = strlen(s);

	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
}

/*
 * Check that reply r answers (name, type, id).  Returns -1 when it does
 * not (ignore it), 1 when truncated, else 0 and fills *out.
 */
static int
parse_reply(const unsigned char *r, size_t len, const char *name, int type,
    unsigned id, struct ev_answer **out)
{
	char want[NS_MAXDNAME], buf[NS_MAXDNAME];
	struct ev_answer *a;
	ns_msg msg;
	ns_rr rr;
	int i, n, rc;
	unsigned ttl = MAX_TTL;

	if (len < 12 || ((unsigned)r[0] << 8 | r[1]) != id || !(r[2] & 0x80))
		return (-1);
	if (ns_initparse(r, (int)len, &msg) < 0)
		return (-1);
	if (ns_msg_count(msg, ns_s_qd) != 1 ||
	    ns_parserr(&msg, ns_s_qd, 0, &rr) < 0 ||
	    (int)ns_rr_type(rr) != type)
		return (-1);
	snprintf(want, sizeof(want), "%s", name);
	canon(want);
	snprintf(buf, sizeof(buf), "%s", ns_rr_name(rr));
	canon(buf);
	if (strcasecmp(want, buf) != 0)
		return (-1);
	if (ns_msg_getflag(msg, ns_f_tc))
		return (1);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return (-1);
	rc = ns_msg_getflag(msg, ns_f_rcode);
	if (rc == ns_r_nxdomain) {
		a->rcode = EV_DNS_NXDOMAIN;
		*out = a;
		return (0);
	}
	if (rc != ns_r_noerror) {
		a->rcode = EV_DNS_ERROR;
		*out = a;
		return (0);
	}
	n = ns_msg_count(msg, ns_s_an);
	for (i = 0; i < n && a->nrr < EV_MAX_RR; i++) {
		const unsigned char *rd;
		size_t rdlen, o, k;
		char tmp[INET6_ADDRSTRLEN];
		struct ev_rr *x = &a->rr[a->nrr];

		if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
			break;
		if ((int)ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in)
			continue;
		rd = ns_rr_rdata(rr);
		rdlen = ns_rr_rdlen(rr);
		buf[0] = '\0';
		switch (type) {
		case EV_T_A:
			if (rdlen != 4 || !inet_ntop(AF_INET, rd, tmp,
			    sizeof(tmp)))
				continue;
			snprintf(buf, sizeof(buf), "%s", tmp);
			break;
		case EV_T_AAAA:
			if (rdlen != 16 || !inet_ntop(AF_INET6, rd, tmp,
			    sizeof(tmp)))
				continue;
			snprintf(buf, sizeof(buf), "%s", tmp);
			break;
		case EV_T_MX:
			if (rdlen < 3 || ns_name_uncompress(ns_msg_base(msg),
			    ns_msg_end(msg), rd + 2, buf, sizeof(buf)) < 0)
				continue;
			x->pref = rd[0] << 8 | rd[1];
			canon(buf);
			break;
		case EV_T_PTR:
			if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg),
			    rd, buf, sizeof(buf)) < 0)
				continue;
			canon(buf);
			break;
		case EV_T_TXT:
			break;
		default:
			continue;
		}
		if (type == EV_T_TXT) {
			if ((x->data = malloc(EV_MAX_RDATA + 1)) == NULL)
				break;
			for (o = 0, k = 0; o < rdlen; ) {
				size_t sl = rd[o++];

				if (sl > rdlen - o)
					sl = rdlen - o;
				if (k + sl > EV_MAX_RDATA)
					sl = EV_MAX_RDATA - k;
				memcpy(x->data + k, rd + o, sl);
				k += sl;
				o += sl;
			}
			x->data[k] = '\0';
			x->len = k;
		} else {
			x->len = strlen(buf);
			if ((x->data = strdup(buf)) == NULL)
				break;
		}
		if (ns_rr_ttl(rr) < ttl)
			ttl = ns_rr_ttl(rr);
		a->nrr++;
	}
	a->rcode = a->nrr > 0 ? EV_DNS_OK : EV_DNS_NODATA;
	a->ttl = a->nrr > 0 ? ttl : NEG_TTL;
	*out = a;
	return (0);
}

/* Wait for fd to be ready for ev until deadline; 1 ready, 0 timeout. */
static int
wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int n;

	for (;;) {
		if ((left = deadline - ev_now_ms()) <= 0)
			return (0);
		pfd.fd = fd;
		pfd.events = ev;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)(left > 60000 ? 60000 : left));
		if (n > 0)
			return (1);
		if (n < 0 && errno != EINTR)
			return (0);
	}
}

/* The same question over TCP (after a truncated UDP answer). */
static int
query_tcp(struct ev_dns *d, int ns, const unsigned char *q, size_t qlen,
    const char *name, int type, unsigned id, int64_t deadline,
    struct ev_answer **out)
{
	unsigned char hdr[2], *buf = NULL;
	size_t want, got;
	ssize_t k;
	int fd, rc = EV_DNS_TIMEOUT, soerr;
	socklen_t sl = sizeof(soerr);
	struct iovec iov[2];
	struct msghdr mh;

	fd = socket(d->ns[ns].ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return (EV_DNS_ERROR);
	if (connect(fd, (struct sockaddr *)&d->ns[ns], d->nslen[ns]) < 0 &&
	    errno != EINPROGRESS) {
		rc = EV_DNS_ERROR;
		goto out;
	}
	if (!wait_fd(fd, POLLOUT, deadline))
		goto out;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0 || soerr) {
		rc = EV_DNS_ERROR;
		goto out;
	}
	hdr[0] = (unsigned char)(qlen >> 8);
	hdr[1] = (unsigned char)qlen;
	iov[0].iov_base = hdr;
	iov[0].iov_len = 2;
	iov[1].iov_base = (void *)(uintptr_t)q;
	iov[1].iov_len = qlen;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)(qlen + 2)) {
		rc = EV_DNS_ERROR;
		goto out;
	}
	for (got = 0; got < 2; got += (size_t)k) {
		if (!wait_fd(fd, POLLIN, deadline))
			goto out;
		if ((k = recv(fd, hdr + got, 2 - got, 0)) <= 0) {
			if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
				k = 0;
				continue;
			}
			rc = EV_DNS_ERROR;
			goto out;
		}
	}
	want = (size_t)hdr[0] << 8 | hdr[1];
	if (want < 12 || (buf = malloc(want)) == NULL) {
		rc = EV_DNS_ERROR;
		goto out;
	}
	for (got = 0; got < want; got += (size_t)k) {
		if (!wait_fd(fd, POLLIN, deadline))
			goto out;
		if ((k = recv(fd, buf + got, want - got, 0)) <= 0) {
			if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
				k = 0;
				continue;
			}
			rc = EV_DNS_ERROR;
			goto out;
		}
	}
	if (parse_reply(buf, want, name, type, id, out) == 0)
		rc = (*out)->rcode;
	else
		rc = EV_DNS_ERROR;
out:
	free(buf);
	close(fd);
	return (rc);
}

static int
query_net(struct ev_dns *d, const char *name, int type, int64_t deadline,
    struct ev_answer **out)
{
	unsigned char q[QBUF], r[4096];
	int fds[MAX_NS], dead[MAX_NS], i, qlen, nfd, alive, next = 0, pr;
	unsigned short rnd;
	unsigned id;
	int64_t resend = 0, now;
	struct pollfd pfd[MAX_NS];
	ssize_t k;
	int rc = EV_DNS_TIMEOUT;

	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd = (unsigned short)(ev_now_ms() ^ (intptr_t)&rnd);
	id = rnd;
	if ((qlen = build_query(q, sizeof(q), name, type, id)) < 0)
		return (EV_DNS_ERROR);
	for (i = 0; i < MAX_NS; i++) {
		fds[i] = -1;
		dead[i] = 0;
	}
	for (;;) {
		now = ev_now_ms();
		if (now >= deadline)
			break;
		if (now >= resend) {
			/* next live server, round robin */
			for (alive = 0; alive < d->nns; alive++) {
				i = (next + alive) % d->nns;
				if (!dead[i])
					break;
			}
			if (alive == d->nns) {
				rc = EV_DNS_ERROR;	/* all refused */
				break;
			}
			next = i + 1;
			if (fds[i] < 0) {
				fds[i] = socket(d->ns[i].ss_family, SOCK_DGRAM |
				    SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
				if (fds[i] < 0 || connect(fds[i],
				    (struct sockaddr *)&d->ns[i],
				    d->nslen[i]) < 0) {
					dead[i] = 1;
					continue;
				}
			}
			if (send(fds[i], q, (size_t)qlen, 0) < 0 &&
			    errno != EAGAIN) {
				dead[i] = 1;
				continue;
			}
			resend = now + RETRY_MS;
		}
		for (nfd = 0, i = 0; i < d->nns; i++) {
			if (fds[i] < 0 || dead[i])
				continue;
			pfd[nfd].fd = fds[i];
			pfd[nfd].events = POLLIN;
			pfd[nfd].revents = 0;
			nfd++;
		}
		{
			int64_t until = resend < deadline ? resend : deadline;
			int ms = (int)(until - ev_now_ms());

			if (ms < 0)
				ms = 0;
			if (poll(pfd, (nfds_t)nfd, ms) <= 0)
				continue;
		}
		for (i = 0; i < d->nns; i++) {
			if (fds[i] < 0 || dead[i])
				continue;
			while ((k = recv(fds[i], r, sizeof(r), 0)) >= 0 ||
			    errno == EINTR) {
				if (k < 0)
					continue;
				pr = parse_reply(r, (size_t)k, name, type, id,
				    out);
				if (pr == 0) {
					rc = (*out)->rcode;
					goto done;
				}
				if (pr == 1) {
					rc = query_tcp(d, i, q, (size_t)qlen,
					    name, type, id, deadline, out);
					goto done;
				}
			}
			if (errno == ECONNREFUSED) {
				dead[i] = 1;
				resend = 0;		/* try the next one now */
			}
		}
	}
done:
	for (i = 0; i < MAX_NS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return (rc);
}

int
ev_dns_query(struct ev_dns *d, const char *name, int type, int64_t deadline,
    struct ev_answer **ans)
{
	struct ev_answer *a = NULL;
	char ascii[256];
	int rc;

	*ans = NULL;
	if (name == NULL)
		return (EV_DNS_ERROR);
	if (ev_domain_ascii(name, ascii, sizeof(ascii)) == 0)
		name = ascii;		/* U-labels asked as A-labels */
	if ((a = cache_get(d, name, type)) != NULL) {
		*ans = a;
		return (a->rcode);
	}
	rc = query_net(d, name, type, deadline, &a);
	if (rc == EV_DNS_TIMEOUT) {
		ev_answer_free(a);
		return (rc);
	}
	if (a == NULL && (a = calloc(1, sizeof(*a))) != NULL)
		a->rcode = rc;
	if (a == NULL)
		return (EV_DNS_ERROR);
	cache_put(d, name, type, a);
	*ans = a;
	return (a->rcode);
}
