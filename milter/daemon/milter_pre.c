/*
 * milter_pre.c - the outgoing preflight, off the milter callback path
 *
 * SYNOPSIS
 *	#include "milter.h"
 *
 *	struct pre_job *pre_begin(const struct mset *s, const char *sender,
 *		    const struct pf_dkim *dk, const char *from_domain);
 *	void	pre_end(struct pre_job *j, struct history *h,
 *		    const struct hist_out *ho, size_t rcpts, int wait_ms,
 *		    struct pf_result *out);
 *	void	pre_abort(struct pre_job *j);
 *	void	pre_shutdown(void);
 *
 * DESCRIPTION
 *	pre_begin() is called at end of headers of a message we send.  It
 *	notes the DKIM verdict (preflight.c, from the headers seen) and,
 *	when SPF is to be judged (dns.spf on, outbound_ips set, a usable
 *	sender domain), looks up each (domain, ip) in a process-wide cache
 *	(PF_TTL seconds) and queues what it did not find for the worker
 *	threads, then returns at once.  The queue is bounded (PRE_QUEUE
 *	jobs): when it is full the SPF result is "skipped" for that
 *	message, and one log line per minute (and one at shutdown) says
 *	how many were skipped.
 *	Returns NULL only when memory ran out.
 *
 *	The workers (PRE_THREADS, started with the first job, after the
 *	daemon forked) run ev_spf_check() through a resolver of their own
 *	(ev_dns.c, dns.resolver of the set the message began with), all
 *	IPs of one message within dns.timeout_ms of pre_begin() (time spent
 *	in the queue counts), and fill the cache.
 *
 *	pre_end() is called at end of message with what the "outgoing"
 *	line and the history record need (ho: queue id, Message-ID,
 *	sender, recipients, size; rcpts: all recipients, kept or not).
 *	With wait_ms > 0 (outgoing_headers on) it waits for
 *	the lookups at most that long; out (may be NULL) gets the result
 *	as it stands, IPs not judged yet "skipped".  The "outgoing" line
 *	and, when the evidence predicts rejections, the "preflight"
 *	warning (preflight.c; the same warning for a domain at most once
 *	per WARN_EVERY seconds) are logged, and the record with its spf and
 *	dkim words is put in the history store h (when not NULL), once per
 *	message: by pre_end() when the lookups are done, else by the
 *	worker when it finishes them (at most dns.timeout_ms later).  pre_abort() drops a job whose message was not sent: nothing
 *	is logged.  Either call frees the job (or hands it to the worker
 *	to free); the caller must not use j afterwards.
 *
 *	pre_shutdown() (called before the history store closes, and at
 *	exit) makes the workers finish the message at hand, judge what is
 *	still queued as "skipped" (logging and storing it), and stop; a
 *	message that begins later is judged "skipped" at once.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "ev.h"
#include "mclock.h"
#include "milter.h"

#define PRE_THREADS	4
#define PRE_QUEUE	1024
#define PRE_CACHE	4096	/* (domain, ip) results */
#define PRE_RESOLVERS	4	/* resolver handles kept (one per spec) */

struct pre_job {
	struct pre_job	*next;
	struct pf_result r;
	char		 sender[400];	/* without <> */
	char		 resolver[256];
	int		 timeout_ms;
	int64_t		 deadline;	/* end of headers + dns.timeout_ms */
	int		 queued;	/* the workers own it */
	int		 orphan;	/* pre_end/pre_abort came meanwhile */
	int		 log;		/* ... and it was pre_end */
	char		*qid, *from, *msgid, *envid;
	size_t		 rcpts;
	struct history	*hist;		/* put the record here, or NULL */
	char		**hrcpt;	/* recipients kept for it */
	size_t		 nhrcpt;
	time_t		 when;
	size_t		 size;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv;		/* on CLOCK_MONOTONIC: done_init() */
static pthread_once_t done_once = PTHREAD_ONCE_INIT;

/* done_cv's timed waits count on CLOCK_MONOTONIC (a clock step neither
   shortens nor stretches a wait for the preflight). */
static void
done_init(void)
{
	(void)mcond_init(&done_cv);
}
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_t thr[PRE_THREADS];
static int nthr, stopping;
static struct pre_job *head, *tail;
static size_t depth;
static unsigned long dropped;
static time_t dropped_logged;
static struct pf_cache *cache;
static struct {
	char		 spec[256];
	struct ev_dns	*d;
} res[PRE_RESOLVERS];

static long
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long)ts.tv_sec);
}

static void
job_free(struct pre_job *j)
{
	if (j == NULL)
		return;
	free(j->qid);
	free(j->from);
	free(j->msgid);
	free(j->envid);
	while (j->nhrcpt > 0)
		free(j->hrcpt[--j->nhrcpt]);
	free(j->hrcpt);
	free(j);
}

/* The history record, with the preflight's words. */
static void
job_store(const struct pre_job *j)
{
	struct hist_out ho;
	char why[512];

	memset(&ho, 0, sizeof(ho));
	ho.queue_id = j->qid;
	ho.message_id = j->msgid;
	ho.envelope_id = j->envid;
	ho.from = j->from;
	ho.rcpts = (const char *const *)j->hrcpt;
	ho.nrcpt = j->nhrcpt;
	ho.when = j->when;
	ho.size = j->size;
	ho.spf = pf_spf_summary(&j->r);
	ho.dkim = j->r.dkim;
	*why = '\0';
	if (history_put_outgoing(j->hist, &ho, why, sizeof(why)) == -1 &&
	    *why != '\0')
		mlog(LOG_WARNING, "%s: %s", j->qid != NULL ? j->qid :
		    "NOQUEUE", why);
}

/*
 * Preflight warnings repeat for every message of a domain until its
 * records are fixed (or, when a signing milter runs after this one,
 * dkim=none for every message): one line per sender domain and verdict
 * every WARN_EVERY seconds says it; the outgoing line of every message
 * still carries its spf= and dkim= words.  A small table, a slot per
 * hash: a collision only means an extra line.
 */
#define WARN_SLOTS	256
#define WARN_EVERY	600
static pthread_mutex_t warn_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
	unsigned long	 key;
	time_t		 last;
} warned[WARN_SLOTS];

static int
warn_due(const struct pf_result *r)
{
	const char *parts[3];
	unsigned long h = 5381;
	const char *p;
	time_t now = time(NULL);
	int i, due;

	parts[0] = r->domain;
	parts[1] = pf_spf_summary(r);
	parts[2] = r->dkim;
	for (i = 0; i < 3; i++) {
		for (p = parts[i] != NULL ? parts[i] : ""; *p != '\0'; p++)
			h = h * 33 + (unsigned char)*p;
		h = h * 33 + '|';
	}
	pthread_mutex_lock(&warn_mu);
	i = (int)(h % WARN_SLOTS);
	due = warned[i].key != h || now - warned[i].last >= WARN_EVERY ||
	    now < warned[i].last;
	if (due) {
		warned[i].key = h;
		warned[i].last = now;
	}
	pthread_mutex_unlock(&warn_mu);
	return (due);
}

/*
 * The history record, the outgoing line and, when it warns (and has not
 * said the same for the domain lately), the preflight line.
 */
static void
job_log(const struct pre_job *j)
{
	struct buf b = BUF_INIT;
	char *nl;

	if (j->hist != NULL)
		job_store(j);
	if (pf_log(&b, j->qid, j->from, j->msgid, j->rcpts, &j->r) == -1 ||
	    b.p == NULL) {
		mlog(LOG_ERR, "%s: out of memory; outgoing line lost",
		    j->qid != NULL ? j->qid : "NOQUEUE");
		buf_free(&b);
		return;
	}
	if ((nl = strchr(b.p, '\n')) != NULL)
		*nl++ = '\0';
	mlog_lines(LOG_INFO, b.p);
	if (nl != NULL && *nl != '\0' && warn_due(&j->r))
		mlog_lines(LOG_WARNING, nl);
	buf_free(&b);
}

/* Under mu: a resolver for spec, kept for the life of the process. */
static struct ev_dns *
resolver(const char *spec, int *own)
{
	char err[256];
	struct ev_dns *d;
	int i;

	*own = 0;
	for (i = 0; i < PRE_RESOLVERS && res[i].d != NULL; i++)
		if (strcmp(res[i].spec, spec) == 0)
			return (res[i].d);
	if ((d = ev_dns_new(spec, 4096, err, sizeof(err))) == NULL) {
		mlog(LOG_WARNING, "NOQUEUE: preflight: resolver %s: %s; SPF "
		    "skipped", *spec != '\0' ? spec : "(system)", err);
		return (NULL);
	}
	if (i < PRE_RESOLVERS) {
		snprintf(res[i].spec, sizeof(res[i].spec), "%s", spec);
		res[i].d = d;
	} else
		*own = 1;		/* more specs than slots: this job's */
	return (d);
}

/*
 * The lookups of one job, outside the lock: j->r is only read here (no
 * one writes it while the job is queued); the words go to w[].
 */
static void
job_run(const struct pre_job *j, int quick, const char **w)
{
	struct ev_spf_info info;
	struct ev_dns *d = NULL;
	int64_t deadline, t0;
	int i, own = 0;

	if (!quick) {
		pthread_mutex_lock(&mu);
		d = resolver(j->resolver, &own);
		pthread_mutex_unlock(&mu);
	}
	deadline = j->deadline;	/* time spent queued counts too */
	for (i = 0; i < j->r.nips; i++) {
		if ((w[i] = j->r.ips[i].spf) != NULL)
			continue;
		/* a job queued behind the same domain may find it now */
		if ((w[i] = pf_cache_get(cache, j->r.domain, j->r.ips[i].ip,
		    now_s())) != NULL)
			continue;
		if (d == NULL) {
			w[i] = "skipped";
			continue;
		}
		t0 = ev_now_ms();
		w[i] = pf_spf_word(ev_spf_check(d, j->sender, j->r.ips[i].ip,
		    deadline, &info));
		pf_cache_put(cache, j->r.domain, j->r.ips[i].ip, w[i],
		    now_s());
		if (mlog_verbose > 1)
			mlog(LOG_DEBUG, "NOQUEUE: preflight: spf %s %s: %s "
			    "(looked up in %lld ms)", j->r.domain,
			    j->r.ips[i].ip, w[i], (long long)(ev_now_ms() - t0));
	}
	if (own)
		ev_dns_free(d);
}

static void *
worker(void *arg)
{
	struct pre_job *j;
	const char *w[PF_MAX_IPS];
	int i, quick, orphan, log;

	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		while (head == NULL && !stopping)
			pthread_cond_wait(&work_cv, &mu);
		if (head == NULL)
			break;
		j = head;
		if ((head = j->next) == NULL)
			tail = NULL;
		depth--;
		quick = stopping;
		pthread_mutex_unlock(&mu);
		job_run(j, quick, w);
		pthread_mutex_lock(&mu);
		for (i = 0; i < j->r.nips; i++)
			j->r.ips[i].spf = w[i];
		j->queued = 0;
		orphan = j->orphan;
		log = j->log;
		pthread_cond_broadcast(&done_cv);
		if (orphan) {
			pthread_mutex_unlock(&mu);
			if (log)
				job_log(j);
			job_free(j);
			pthread_mutex_lock(&mu);
		}
	}
	pthread_mutex_unlock(&mu);
	return (NULL);
}

void
pre_shutdown(void)
{
	int i;

	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_broadcast(&work_cv);
	pthread_mutex_unlock(&mu);
	for (i = 0; i < nthr; i++)
		pthread_join(thr[i], NULL);
	pthread_mutex_lock(&mu);
	nthr = 0;
	if (dropped > 0)
		mlog(LOG_WARNING, "NOQUEUE: preflight: queue full: SPF "
		    "skipped for %lu more message%s", dropped,
		    dropped == 1 ? "" : "s");
	dropped = 0;
	for (i = 0; i < PRE_RESOLVERS; i++) {
		ev_dns_free(res[i].d);
		res[i].d = NULL;
	}
	pthread_mutex_unlock(&mu);
	/* the cache stays: a late message may still look in it */
}

static void
pool_start(void)
{
	sigset_t all, old;
	int i;

	cache = pf_cache_new(PRE_CACHE);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i < PRE_THREADS; i++)
		if (pthread_create(&thr[nthr], NULL, worker, NULL) == 0)
			nthr++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (nthr == 0)
		mlog(LOG_ERR, "NOQUEUE: preflight: no worker thread; SPF "
		    "skipped");
	atexit(pre_shutdown);
}

/* Under mu: one line a minute about messages whose SPF was skipped. */
static void
note_dropped(void)
{
	time_t now = time(NULL);

	dropped++;
	if (now - dropped_logged < 60)
		return;
	mlog(LOG_WARNING, "NOQUEUE: preflight: queue full (%d messages "
	    "waiting for DNS); SPF skipped for %lu message%s", PRE_QUEUE,
	    dropped, dropped == 1 ? "" : "s");
	dropped = 0;
	dropped_logged = now;
}

/* The sender without its angle brackets. */
static void
bare(char *dst, size_t len, const char *s)
{
	size_t n;

	if (s == NULL)
		s = "";
	while (*s == ' ' || *s == '<')
		s++;
	n = strcspn(s, "> ");
	if (n >= len)
		n = len - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Which IPs to judge; 0 when none (spf_why says why). */
static int
pick_ips(struct pre_job *j, const struct config *c)
{
	size_t i;

	if (!c->dns.spf)
		j->r.spf_why = "dns.spf is off";
	else if (c->n_outbound_ips == 0)
		j->r.spf_why = "no outbound_ips";
	else if (*j->r.domain == '\0')
		j->r.spf_why = "no sender domain";
	if (j->r.spf_why != NULL)
		return (0);
	for (i = 0; i < c->n_outbound_ips && j->r.nips < PF_MAX_IPS; i++)
		if (c->outbound_ips[i] != NULL && *c->outbound_ips[i] != '\0')
			snprintf(j->r.ips[j->r.nips++].ip,
			    sizeof(j->r.ips[0].ip), "%s", c->outbound_ips[i]);
	return (j->r.nips);
}

struct pre_job *
pre_begin(const struct mset *s, const char *sender, const struct pf_dkim *dk,
    const char *from_domain)
{
	struct pre_job *j;
	int i, pending = 0;

	(void)pthread_once(&done_once, done_init);
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return (NULL);
	bare(j->sender, sizeof(j->sender), sender);
	pf_addr_domain(j->sender[0] != '\0' ? sender : "", j->r.domain,
	    sizeof(j->r.domain));
	snprintf(j->r.from_domain, sizeof(j->r.from_domain), "%s",
	    from_domain != NULL ? from_domain : "");
	j->r.dkim = pf_dkim_word(dk, j->r.from_domain, j->r.dkim_d,
	    sizeof(j->r.dkim_d));
	snprintf(j->resolver, sizeof(j->resolver), "%s",
	    s->conf.dns.resolver != NULL ? s->conf.dns.resolver : "");
	j->timeout_ms = s->conf.dns.timeout_ms > 0 ? s->conf.dns.timeout_ms :
	    2000;
	j->deadline = ev_now_ms() + j->timeout_ms;
	if (pick_ips(j, &s->conf) == 0)
		return (j);
	pthread_once(&once, pool_start);
	for (i = 0; i < j->r.nips; i++)
		if ((j->r.ips[i].spf = pf_cache_get(cache, j->r.domain,
		    j->r.ips[i].ip, now_s())) == NULL)
			pending++;
		else if (mlog_verbose > 1)
			mlog(LOG_DEBUG, "NOQUEUE: preflight: spf %s %s: %s "
			    "(cached)", j->r.domain, j->r.ips[i].ip,
			    j->r.ips[i].spf);
	if (pending == 0)
		return (j);
	pthread_mutex_lock(&mu);
	if (nthr == 0 || stopping || depth >= PRE_QUEUE) {
		for (i = 0; i < j->r.nips; i++)
			if (j->r.ips[i].spf == NULL)
				j->r.ips[i].spf = "skipped";
		if (depth >= PRE_QUEUE)
			note_dropped();
		pthread_mutex_unlock(&mu);
		return (j);
	}
	j->queued = 1;
	if (tail != NULL)
		tail->next = j;
	else
		head = j;
	tail = j;
	depth++;
	pthread_cond_signal(&work_cv);
	pthread_mutex_unlock(&mu);
	return (j);
}

static char *
dup_or_null(const char *s)
{
	return (s != NULL ? strdup(s) : NULL);
}

/* The result as it stands: what is not judged yet is "skipped". */
static void
snapshot(const struct pre_job *j, struct pf_result *out)
{
	int i;

	*out = j->r;
	for (i = 0; i < out->nips; i++)
		if (out->ips[i].spf == NULL)
			out->ips[i].spf = "skipped";
}

/* What the record and the line need, copied: the message goes away. */
static void
take(struct pre_job *j, struct history *h, const struct hist_out *ho,
    size_t rcpts)
{
	size_t i;

	j->qid = dup_or_null(ho->queue_id);
	j->from = dup_or_null(ho->from);
	j->msgid = dup_or_null(ho->message_id);
	j->envid = dup_or_null(ho->envelope_id);
	j->rcpts = rcpts;
	j->when = ho->when;
	j->size = ho->size;
	if ((j->hist = h) == NULL || ho->nrcpt == 0 ||
	    (j->hrcpt = calloc(ho->nrcpt, sizeof(*j->hrcpt))) == NULL)
		return;
	for (i = 0; i < ho->nrcpt; i++)
		if (ho->rcpts[i] != NULL &&
		    (j->hrcpt[j->nhrcpt] = strdup(ho->rcpts[i])) != NULL)
			j->nhrcpt++;
}

void
pre_end(struct pre_job *j, struct history *h, const struct hist_out *ho,
    size_t rcpts, int wait_ms, struct pf_result *out)
{
	struct timespec ts;

	if (j == NULL)
		return;
	(void)pthread_once(&done_once, done_init);
	take(j, h, ho, rcpts);
	pthread_mutex_lock(&mu);
	if (j->queued && wait_ms > 0) {
		mclock_after(&ts, wait_ms);
		while (j->queued)
			if (mcond_wait_until(&done_cv, &mu, &ts) == ETIMEDOUT)
				break;
	}
	if (out != NULL)
		snapshot(j, out);
	if (j->queued) {		/* the worker logs and frees it */
		j->orphan = 1;
		j->log = 1;
		pthread_mutex_unlock(&mu);
		return;
	}
	pthread_mutex_unlock(&mu);
	job_log(j);
	job_free(j);
}

void
pre_abort(struct pre_job *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&mu);
	if (j->queued) {
		j->orphan = 1;
		pthread_mutex_unlock(&mu);
		return;
	}
	pthread_mutex_unlock(&mu);
	job_free(j);
}
