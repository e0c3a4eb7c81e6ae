/*
 * history.c - the history store: queue, writer thread, lookups, the
 *	values for headers and logs; see history.h
 *
 * SYNOPSIS
 *	struct history *history_open(const char *target,
 *		    const struct history_opts *o, char *err, size_t errlen);
 *	void	history_close(struct history *h);
 *	int	history_put_outgoing(struct history *h,
 *		    const struct hist_out *m, char *why, size_t whylen);
 *	int	history_put_bounce(struct history *h, const struct report *r,
 *		    const char *queue_id, time_t when,
 *		    const struct hist_match *orig, char *why, size_t whylen);
 *	int	history_rcpt_counts(const struct report *r,
 *		    const struct rcpt *rc);
 *	void	history_domain(char *dst, size_t len, const char *addr);
 *	struct hist_domains *history_domains(struct history *h);
 *	int	history_find_original(struct history *h,
 *		    const struct report *r, struct hist_match *out);
 *	void	history_match_values(const struct hist_match *m,
 *		    time_t bounced, struct hist_values *v);
 *	int	history_flush(struct history *h, int timeout_ms);
 *	void	history_stats(struct history *h, struct hist_stats *s);
 *
 * DESCRIPTION
 * The store is one of two backends behind one API (history_int.h):
 * SQLite (history_sqlite.c) for a path, PostgreSQL (history_pg.c) for a
 * postgresql:// URL.  This file owns what they share: the bounded queue
 * (h->head .. h->tail, guarded by h->mu; a put holds it only to append
 * a record already copied), the one writer thread that empties it in
 * batches through the backend, the counters, and the log lines about
 * trouble.
 *
 * Trouble: the backend names each failure with a short kind ("locked",
 * "full", "read-only", "removed", "timed out", ...); the writer drops
 * the batch and logs when the kind changes or log_every seconds passed,
 * with the number dropped since the last line; the first good commit
 * after trouble logs that writing works again.  A lock is waited out a
 * few times first.  A broken connection is opened again after a
 * backoff that doubles from one second up to the backend's maximum.
 * A full queue drops the record at once; the put's caller gets a log
 * line at most once per log_every seconds, with the count since.
 */
#include <errno.h>
#include <ctype.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "history.h"
#include "history_int.h"
#include "mclock.h"
#include "timefmt.h"

#define BATCH_MAX	1000		/* records per transaction */
#define PRUNE_EVERY	3600		/* seconds */
#define LOCK_TRIES	3		/* waits of busy_ms for a lock */
#define CLOSE_DRAIN_MS	5000		/* history_close() writes this long */
#define OTHERS_EVERY	2		/* seconds between polls of the
					   other hosts' bounces */

struct history {
	char		*name;		/* path, or URL without password */
	char		*target;	/* path or URL, as given */
	struct hist_domains *doms;	/* our sender domains */
	struct history_opts o;
	const struct hist_backend *be;
	void		*bs;		/* the backend's state */

	pthread_mutex_t	 mu;		/* queue, counters */
	pthread_cond_t	 cv;		/* work for the writer */
	pthread_cond_t	 idle_cv;	/* writer went idle */
	struct hitem	*head, *tail;
	size_t		 depth;
	size_t		 bytes;		/* of the records queued */
	int		 stop;
	int		 idle;
	struct hist_stats st;
	time_t		 full_log;	/* last "queue full" line */
	unsigned long	 full_since;	/* dropped since */
	pthread_t	 thr;
	int		 started;

	/* writer thread only */
	time_t		 next_reopen;
	int		 backoff;
	time_t		 next_prune;
	int		 prune_pending;
	const char	*trouble;	/* kind of the current trouble, or NULL */
	struct hist_fail lastf;		/* why the last open failed */
	long long	 others_last;	/* the last other host's row noted */
	time_t		 others_next;
	time_t		 last_log;
	unsigned long	 dropped_since_log;
	unsigned long	 dropped_in_trouble;
};

/* ---- small helpers ---------------------------------------------- */

static void
hlog(struct history *h, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
hlog(struct history *h, int level, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (h->o.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	h->o.log(h->o.log_arg, level, line);
}

/* "<id@host>" -> "id@host": trimmed, one pair of <> removed */
static void
norm_msgid(char *dst, size_t len, const char *s)
{
	const char *e;
	size_t n;

	dst[0] = '\0';
	if (s == NULL)
		return;
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (e - s >= 2 && *s == '<' && e[-1] == '>') {
		s++;
		e--;
	}
	n = (size_t)(e - s);
	if (n >= len)
		n = len - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

void
history_domain(char *dst, size_t len, const char *addr)
{
	const char *at;
	size_t n, i;

	dst[0] = '\0';
	if (addr == NULL || (at = strrchr(addr, '@')) == NULL)
		return;
	at++;
	n = strcspn(at, "> \t");
	while (n > 0 && at[n - 1] == '.')
		n--;
	if (n >= len)
		n = len - 1;
	for (i = 0; i < n; i++)
		dst[i] = (char)tolower((unsigned char)at[i]);
	dst[n] = '\0';
}

/* One record: the strings vals[0..n-1] copied into one block. */
static struct hitem *
item_new(int kind, const char *const *vals, const size_t *caps, size_t n)
{
	struct hitem *it;
	size_t i, total = 0, l;
	char *p;

	for (i = 0; i < n; i++) {
		l = vals[i] != NULL ? strlen(vals[i]) : 0;
		total += (l < caps[i] ? l : caps[i]) + 1;
	}
	if ((it = calloc(1, sizeof(*it) + total)) == NULL)
		return (NULL);
	it->size = sizeof(*it) + total;
	it->kind = kind;
	p = it->data;
	for (i = 0; i < n; i++) {
		l = vals[i] != NULL ? strlen(vals[i]) : 0;
		if (l > caps[i])
			l = caps[i];
		if (l)
			memcpy(p, vals[i], l);
		p[l] = '\0';
		it->f[i] = p;
		p += l + 1;
	}
	return (it);
}

static void
items_free(struct hitem *it)
{
	struct hitem *next;

	for (; it != NULL; it = next) {
		next = it->next;
		free(it);
	}
}

/* ---- trouble ---------------------------------------------------- */

static void
trouble(struct history *h, const char *kind, const char *detail,
    unsigned long n)
{
	time_t now = time(NULL);
	unsigned long total;

	pthread_mutex_lock(&h->mu);
	h->st.dropped_db += n;
	total = h->st.dropped_db + h->st.dropped_full;
	pthread_mutex_unlock(&h->mu);
	h->dropped_since_log += n;
	h->dropped_in_trouble += n;
	if (h->trouble != NULL && strcmp(h->trouble, kind) == 0 &&
	    now - h->last_log < h->o.log_every)
		return;
	hlog(h, LOG_ERR, "history: %s: %s (%s): %lu record%s dropped "
	    "(%lu so far)", h->name, kind, detail, h->dropped_since_log,
	    h->dropped_since_log == 1 ? "" : "s", total);
	h->trouble = kind;
	h->last_log = now;
	h->dropped_since_log = 0;
}

static void
trouble_over(struct history *h)
{
	if (h->trouble == NULL)
		return;
	hlog(h, LOG_INFO, "history: %s: writing again after %s; %lu "
	    "record%s dropped meanwhile", h->name, h->trouble,
	    h->dropped_in_trouble, h->dropped_in_trouble == 1 ? "" : "s");
	h->trouble = NULL;
	h->dropped_since_log = h->dropped_in_trouble = 0;
}

/* ---- the writer thread ------------------------------------------ */

static void
backoff(struct history *h)
{
	h->backoff = h->backoff <= 0 ? 1 : h->backoff * 2;
	if (h->backoff > h->be->backoff_max)
		h->backoff = h->be->backoff_max;
	h->next_reopen = time(NULL) + h->backoff;
}

/* Make sure there is a connection; 0, or -1 (trouble already told). */
static int
writer_ready(struct history *h, unsigned long n)
{
	struct hist_fail f;
	time_t now;

	memset(&f, 0, sizeof(f));
	if (h->be->is_open(h->bs) && h->be->ready(h->bs, &f) == -1) {
		hlog(h, LOG_WARNING, "history: %s: %s (%s)", h->name, f.kind,
		    f.detail);
		h->be->close(h->bs);
		h->next_reopen = 0;
		h->backoff = 0;
	}
	if (h->be->is_open(h->bs))
		return (0);
	now = time(NULL);
	if (now < h->next_reopen) {
		if (n > 0)
			trouble(h, h->lastf.kind ? h->lastf.kind :
			    "cannot open", *h->lastf.detail ? h->lastf.detail :
			    "not open", n);
		return (-1);
	}
	memset(&f, 0, sizeof(f));
	if (h->be->open(h->bs, &f) != 0) {
		backoff(h);
		h->lastf = f;
		if (n > 0)
			trouble(h, f.kind ? f.kind : "cannot open", f.detail,
			    n);
		return (-1);
	}
	h->backoff = 0;
	memset(&h->lastf, 0, sizeof(h->lastf));
	pthread_mutex_lock(&h->mu);
	h->st.reopened++;
	pthread_mutex_unlock(&h->mu);
	return (0);
}

static int
stopping(struct history *h)
{
	int s;

	pthread_mutex_lock(&h->mu);
	s = h->stop;
	pthread_mutex_unlock(&h->mu);
	return (s);
}

/* Write a batch.  A lock held by someone else is waited out up to
   LOCK_TRIES times (not when closing); any other failure, or a lock
   held longer, drops the batch. */
static void
write_batch(struct history *h, struct hitem *batch, unsigned long n)
{
	struct hist_fail f;
	int tries = 0;

	if (writer_ready(h, n) == -1)
		return;
	for (;;) {
		memset(&f, 0, sizeof(f));
		if (h->be->write(h->bs, batch, &f) == 0) {
			pthread_mutex_lock(&h->mu);
			h->st.written += n;
			pthread_mutex_unlock(&h->mu);
			trouble_over(h);
			return;
		}
		if (!f.retry || f.broken || ++tries >= LOCK_TRIES ||
		    stopping(h))
			break;
		if (h->trouble == NULL) {
			hlog(h, LOG_WARNING, "history: %s: %s (%s): "
			    "holding %lu record%s and trying again", h->name,
			    f.kind, f.detail, n, n == 1 ? "" : "s");
			h->trouble = f.kind;
			h->last_log = time(NULL);
		}
	}
	trouble(h, f.kind ? f.kind : "error", f.detail, n);
	if (f.broken) {
		h->be->close(h->bs);
		h->lastf = f;
		backoff(h);
	}
}

/* One chunk of pruning per call; done when both tables are short. */
static void
prune_step(struct history *h)
{
	time_t cut;
	long n;
	int more = 0;

	if (h->o.retention_days <= 0 || !h->be->is_open(h->bs)) {
		if (h->o.retention_days <= 0)
			h->prune_pending = 0;
		return;
	}
	cut = time(NULL) - (time_t)h->o.retention_days * 86400;
	n = h->be->prune(h->bs, cut, &more);
	pthread_mutex_lock(&h->mu);
	h->st.pruned += (unsigned long)(n > 0 ? n : 0);
	pthread_mutex_unlock(&h->mu);
	if (!more)
		h->prune_pending = 0;
}

static int
other_row(void *arg, int n, const char *const *v)
{
	struct history *h = arg;
	char line[1024];

	if (n < 4)
		return (1);
	if (trend_note(h->o.trend, v[0], v[1], v[2],
	    (time_t)strtoll(v[3], NULL, 10), line, sizeof(line)) == 1)
		hlog(h, LOG_NOTICE, "%s", line);
	return (0);
}

/* The trends count the bounces the other hosts wrote, every few
   seconds: the rows since the last one seen (at first, the last day). */
static void
others_poll(struct history *h)
{
	time_t now = time(NULL);

	if (h->o.trend == NULL || h->be->others == NULL ||
	    now < h->others_next || !h->be->is_open(h->bs))
		return;
	h->others_next = now + OTHERS_EVERY;
	h->be->others(h->bs, &h->others_last, now - 86400, other_row, h);
}

static void
periodic(struct history *h)
{
	time_t now = time(NULL);

	if (now >= h->next_prune) {
		h->prune_pending = 1;
		h->next_prune = now + PRUNE_EVERY;
	}
	/* an idle writer keeps its connection (and the backend's) up */
	writer_ready(h, 0);
	if (h->prune_pending)
		prune_step(h);
	if (h->be->tick != NULL)
		h->be->tick(h->bs);
	others_poll(h);
}

/* The sender domains of our outgoing mail, once, in the writer thread. */
static void
doms_load(struct history *h)
{
	char err[512];

	if (hist_domains_load(h->doms, h->target, err, sizeof(err)) == -1)
		hlog(h, LOG_WARNING, "%s; until our mail is seen again, "
		    "evidence only for our_domains", err);
}

static void *
writer_main(void *arg)
{
	struct history *h = arg;
	struct hitem *batch, *last;
	struct timespec ts, deadline = { 0, 0 };
	unsigned long n;

	/* a server's schema is made (or migrated) first, then read */
	if (h->be->open_later && writer_ready(h, 0) == -1 && h->lastf.kind)
		hlog(h, LOG_WARNING, "history: %s: %s (%s); records are "
		    "dropped until it can be written (trying again, at most "
		    "every %d s)", h->name, h->lastf.kind, h->lastf.detail,
		    h->be->backoff_max);
	doms_load(h);
	pthread_mutex_lock(&h->mu);
	for (;;) {
		if (h->head == NULL) {
			if (h->stop)
				break;
			h->idle = 1;
			pthread_cond_broadcast(&h->idle_cv);
			mclock_after(&ts, 1000);
			(void)mcond_wait_until(&h->cv, &h->mu, &ts);
			if (h->head == NULL) {
				pthread_mutex_unlock(&h->mu);
				periodic(h);
				pthread_mutex_lock(&h->mu);
				continue;
			}
		}
		if (h->stop) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			if (deadline.tv_sec == 0) {
				deadline = ts;
				deadline.tv_sec += CLOSE_DRAIN_MS / 1000;
			} else if (ts.tv_sec >= deadline.tv_sec)
				break;
		}
		h->idle = 0;
		batch = last = h->head;
		h->bytes -= last->size;
		for (n = 1; n < BATCH_MAX && last->next != NULL; n++) {
			last = last->next;
			h->bytes -= last->size;
		}
		h->head = last->next;
		if (h->head == NULL)
			h->tail = NULL;
		last->next = NULL;
		h->depth -= n;
		pthread_mutex_unlock(&h->mu);
		write_batch(h, batch, n);
		items_free(batch);
		if (h->prune_pending)
			prune_step(h);
		others_poll(h);
		pthread_mutex_lock(&h->mu);
	}
	/* out of time while closing: what is left is dropped, and said */
	n = h->depth;
	batch = h->head;
	h->head = h->tail = NULL;
	h->depth = 0;
	h->bytes = 0;
	h->st.dropped_db += n;
	h->idle = 1;
	pthread_cond_broadcast(&h->idle_cv);
	pthread_mutex_unlock(&h->mu);
	items_free(batch);
	if (n)
		hlog(h, LOG_ERR, "history: %s: closing: %lu record%s not "
		    "written in %d ms, dropped", h->name, n, n == 1 ? "" : "s",
		    CLOSE_DRAIN_MS);
	h->be->close(h->bs);
	return (NULL);
}

/* ---- open, close ------------------------------------------------ */

static void
history_free(struct history *h)
{
	if (h->be != NULL && h->bs != NULL)
		h->be->free(h->bs);
	hist_domains_free(h->doms);
	free(h->target);
	pthread_cond_destroy(&h->idle_cv);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h->name);
	free(h);
}

static void
opts_defaults(struct history_opts *o)
{
	if (o->queue_max == 0)
		o->queue_max = HISTORY_QUEUE_MAX;
	if (o->busy_ms <= 0)
		o->busy_ms = HISTORY_BUSY_MS;
	if (o->queue_bytes == 0)
		o->queue_bytes = HISTORY_QUEUE_BYTES;
	if (o->lookup_ms <= 0)
		o->lookup_ms = HISTORY_LOOKUP_MS;
	if (o->log_every <= 0)
		o->log_every = 60;
}

struct history *
history_open(const char *target, const struct history_opts *o, char *err,
    size_t errlen)
{
	struct history *h;
	struct hist_be_conf c;
	struct hist_fail f;
	char host[256], name[1024];
	sigset_t all, old;
	int rc;

	if (target == NULL || *target == '\0') {
		snprintf(err, errlen, "history: no path");
		return (NULL);
	}
	if (hist_is_url(target))
		hist_url_name(name, sizeof(name), target);
	else
		snprintf(name, sizeof(name), "%s", target);
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->name = strdup(name)) == NULL ||
	    (h->target = strdup(target)) == NULL ||
	    (h->doms = hist_domains_new(o != NULL ? o->retention_days :
	    0)) == NULL) {
		if (h != NULL) {
			free(h->name);
			free(h->target);
		}
		free(h);
		snprintf(err, errlen, "history: out of memory");
		return (NULL);
	}
	if (o != NULL)
		h->o = *o;
	opts_defaults(&h->o);
	pthread_mutex_init(&h->mu, NULL);
	(void)mcond_init(&h->cv);
	(void)mcond_init(&h->idle_cv);
	h->idle = 1;
	h->be = hist_is_url(target) ? &hist_pg : &hist_sqlite;
	if (h->o.host != NULL && *h->o.host != '\0')
		snprintf(host, sizeof(host), "%s", h->o.host);
	else if (gethostname(host, sizeof(host)) == -1)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	c.target = target;
	c.name = h->name;
	c.host = host;
	c.o = &h->o;
	if ((h->bs = h->be->new(&c)) == NULL) {
		snprintf(err, errlen, "history: %s: cannot set up the %s store "
		    "(out of memory, or a library built without threads)",
		    h->name, h->be->name);
		history_free(h);
		return (NULL);
	}
	memset(&f, 0, sizeof(f));
	if (h->be->open_later)
		rc = 0;			/* the writer's first step */
	else if ((rc = h->be->open(h->bs, &f)) == -2) {
		snprintf(err, errlen, "%s", f.detail);
		history_free(h);
		return (NULL);
	}
	if (rc == -1) {
		/* read-only, locked, down, disk full...: run, drop, retry */
		h->trouble = f.kind != NULL ? f.kind : "cannot open";
		h->lastf = f;
		backoff(h);
		hlog(h, LOG_WARNING, "history: %s: %s (%s); records are "
		    "dropped until it can be written (trying again, at "
		    "most every %d s)", h->name, h->trouble, f.detail,
		    h->be->backoff_max);
		h->last_log = time(NULL);
	}
	h->prune_pending = 1;
	h->next_prune = time(NULL) + PRUNE_EVERY;
	/* the writer blocks signals: they belong to the daemon's threads */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&h->thr, NULL, writer_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "history: cannot start the writer: %s",
		    strerror(rc));
		history_free(h);
		return (NULL);
	}
	h->started = 1;
	return (h);
}

void
history_close(struct history *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = 1;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	if (h->be->stopping != NULL)
		h->be->stopping(h->bs);
	if (h->started)
		pthread_join(h->thr, NULL);
	hlog(h, LOG_INFO, "history: %s: closed: %lu records queued, %lu "
	    "written, %lu dropped (%lu queue full, %lu database)", h->name,
	    h->st.queued, h->st.written, h->st.dropped_full + h->st.dropped_db,
	    h->st.dropped_full, h->st.dropped_db);
	history_free(h);
}

/* ---- puts --------------------------------------------------------- */

static int
enqueue(struct history *h, struct hitem *first, struct hitem *last,
    size_t n, const char *what, char *why, size_t whylen)
{
	const struct hitem *it;
	unsigned long dropped, since;
	size_t bytes = 0, depth, qbytes;
	time_t now;
	int tell;

	for (it = first; it != NULL; it = it->next)
		bytes += it->size;
	pthread_mutex_lock(&h->mu);
	if (h->stop || h->depth + n > h->o.queue_max ||
	    h->bytes + bytes > h->o.queue_bytes) {
		h->st.dropped_full += n;
		h->full_since += n;
		dropped = h->st.dropped_full + h->st.dropped_db;
		depth = h->depth;
		qbytes = h->bytes;
		since = h->full_since;
		now = time(NULL);
		tell = now - h->full_log >= h->o.log_every;
		if (tell) {
			h->full_log = now;
			h->full_since = 0;
		}
		pthread_mutex_unlock(&h->mu);
		items_free(first);
		/* one line a log_every for the caller to log, not one a put */
		if (why != NULL && tell)
			snprintf(why, whylen, "history: %s: queue full (%zu "
			    "records, %zu octets waiting): %s dropped, %lu "
			    "since the last such line (%lu so far)", h->name,
			    depth, qbytes, what, since, dropped);
		return (-1);
	}
	if (h->tail != NULL)
		h->tail->next = first;
	else
		h->head = first;
	h->tail = last;
	h->depth += n;
	h->bytes += bytes;
	h->st.queued += n;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return (0);
}

static void
set_why(char *why, size_t whylen, const char *s)
{
	if (why != NULL && whylen > 0)
		snprintf(why, whylen, "%s", s);
}

int
history_put_outgoing(struct history *h, const struct hist_out *m,
    char *why, size_t whylen)
{
	static const size_t caps[O_NF] = { 64, HIST_FIELD_MAX, HIST_FIELD_MAX,
	    HIST_FIELD_MAX, HIST_RCPTS_MAX, 32, 32 };
	const char *vals[O_NF];
	struct buf rcpts = BUF_INIT;
	struct hitem *it;
	char msgid[HIST_FIELD_MAX + 1];
	size_t i;

	set_why(why, whylen, "");
	if (h == NULL || m == NULL)
		return (-1);
	hist_domains_add(h->doms, m->from, m->when);
	for (i = 0; m->rcpts != NULL && i < m->nrcpt && rcpts.len < HIST_RCPTS_MAX;
	    i++) {
		if (m->rcpts[i] == NULL)
			continue;
		if ((rcpts.len && buf_addc(&rcpts, '\n') == -1) ||
		    buf_adds(&rcpts, m->rcpts[i]) == -1)
			break;
	}
	norm_msgid(msgid, sizeof(msgid), m->message_id);
	vals[O_QID] = m->queue_id;
	vals[O_MSGID] = msgid;
	vals[O_ENVID] = m->envelope_id;
	vals[O_FROM] = m->from;
	vals[O_RCPTS] = rcpts.p;
	vals[O_SPF] = m->spf;
	vals[O_DKIM] = m->dkim;
	it = item_new(ITEM_OUT, vals, caps, O_NF);
	buf_free(&rcpts);
	if (it == NULL) {
		set_why(why, whylen, "history: out of memory: outgoing record "
		    "dropped");
		pthread_mutex_lock(&h->mu);
		h->st.dropped_full++;
		pthread_mutex_unlock(&h->mu);
		return (-1);
	}
	it->when = m->when;
	it->n1 = (long long)m->nrcpt;
	it->n2 = (long long)m->size;
	return (enqueue(h, it, it, 1, "outgoing record", why, whylen));
}

struct hist_domains *
history_domains(struct history *h)
{
	return (h != NULL ? h->doms : NULL);
}

/* Which recipients of a report get a row. */
int
history_rcpt_counts(const struct report *r, const struct rcpt *rc)
{
	const char *a = rc->action != NULL ? rc->action : "";

	if (r->kind != NULL && (strcmp(r->kind, "arf") == 0 ||
	    strcmp(r->kind, "autoreply") == 0))
		return (1);
	return (strcmp(a, "delivered") != 0 && strcmp(a, "relayed") != 0 &&
	    strcmp(a, "expanded") != 0);
}

int
history_put_bounce(struct history *h, const struct report *r,
    const char *queue_id, time_t when, const struct hist_match *orig,
    char *why, size_t whylen)
{
	static const size_t caps[B_NF] = { 64, HIST_FIELD_MAX, 255, 15, 3, 32,
	    64, 16, 16, 2000, 32, 255, HIST_FIELD_MAX, HIST_FIELD_MAX, 32 };
	const char *vals[B_NF];
	struct hitem *first = NULL, *last = NULL, *it;
	const struct rcpt *rc;
	char msgid[HIST_FIELD_MAX + 1], domain[256];
	size_t i, n = 0;

	set_why(why, whylen, "");
	if (h == NULL || r == NULL)
		return (-1);
	norm_msgid(msgid, sizeof(msgid), r->orig.message_id);
	for (i = 0; i < r->nrcpt; i++) {
		rc = &r->rcpt[i];
		if (!history_rcpt_counts(r, rc))
			continue;
		history_domain(domain, sizeof(domain), rc->addr);
		vals[B_QID] = queue_id;
		vals[B_RCPT] = rc->addr;
		vals[B_DOMAIN] = domain;
		vals[B_STATUS] = rc->status;
		vals[B_REPLY] = rc->reply;
		vals[B_REASON] = rc->reason;
		vals[B_CAUSE] = rc->cause;
		vals[B_SIDE] = rc->side;
		vals[B_KIND] = r->kind;
		vals[B_HINT] = rc->hint;
		vals[B_FORMAT] = r->format;
		vals[B_RMTA] = r->reporting_mta;
		vals[B_OMSGID] = orig != NULL ? orig->message_id : msgid;
		vals[B_OFROM] = orig != NULL ? orig->from : "";
		vals[B_BY] = orig != NULL ? orig->by : "";
		if ((it = item_new(ITEM_BOUNCE, vals, caps, B_NF)) == NULL) {
			items_free(first);
			set_why(why, whylen, "history: out of memory: bounce "
			    "record dropped");
			pthread_mutex_lock(&h->mu);
			h->st.dropped_full += n + 1;
			pthread_mutex_unlock(&h->mu);
			return (-1);
		}
		it->when = when;
		it->n1 = rc->hard != 0;
		it->n2 = orig != NULL ? (long long)orig->sent : 0;
		if (last != NULL)
			last->next = it;
		else
			first = it;
		last = it;
		n++;
	}
	if (n == 0)
		return (0);
	return (enqueue(h, first, last, n, n == 1 ? "bounce record" :
	    "bounce records", why, whylen));
}

int
history_find_original(struct history *h, const struct report *r,
    struct hist_match *out)
{
	char msgid[HIST_FIELD_MAX + 1], envid[HIST_FIELD_MAX + 1];
	char qid[HIST_FIELD_MAX + 1];
	const char *keys[3];

	memset(out, 0, sizeof(*out));
	if (h == NULL || r == NULL)
		return (0);
	norm_msgid(msgid, sizeof(msgid), r->orig.message_id);
	norm_msgid(envid, sizeof(envid), r->orig.envelope_id);
	norm_msgid(qid, sizeof(qid), r->orig.queue_id);
	if (*msgid == '\0' && *envid == '\0' && *qid == '\0')
		return (0);
	keys[0] = msgid;
	keys[1] = envid;
	keys[2] = qid;
	return (h->be->lookup(h->bs, keys, out));
}

/* ---- values for headers and logs ---------------------------------- */

/* s without control characters, at most max octets, into dst */
static void
clean_copy(char *dst, size_t len, const char *s, size_t max)
{
	size_t o = 0, n = 0;

	for (; *s && n < max && o + 1 < len; s++, n++)
		if ((unsigned char)*s >= 0x20 && *s != 0x7f)
			dst[o++] = *s;
	dst[o] = '\0';
}

void
history_match_values(const struct hist_match *m, time_t bounced,
    struct hist_values *v)
{
	char id[sizeof(v->message_id) - 2];

	clean_copy(id, sizeof(id), m->message_id, 256);
	snprintf(v->message_id, sizeof(v->message_id), "<%s>", id);
	clean_copy(v->from, sizeof(v->from), m->from, 256);
	timefmt_iso(v->sent, sizeof(v->sent), m->sent, "");
	/* a send time not before the bounce, or none, gives 0; a stored
	 * time can be anything (another host's clock, a damaged row), so
	 * the difference is taken only where it cannot overflow */
	if (m->sent <= 0 || m->sent >= bounced)
		v->ttb = 0;
	else
		v->ttb = (long)(bounced - m->sent);
}

/* ---- flush, stats --------------------------------------------------- */

int
history_flush(struct history *h, int timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	if (h == NULL)
		return (0);
	mclock_after(&ts, timeout_ms);
	pthread_mutex_lock(&h->mu);
	pthread_cond_signal(&h->cv);
	while ((h->head != NULL || !h->idle) && rc == 0)
		if (mcond_wait_until(&h->idle_cv, &h->mu, &ts) != 0)
			rc = -1;
	if (h->head != NULL || !h->idle)
		rc = -1;
	pthread_mutex_unlock(&h->mu);
	return (rc == 0 ? 0 : -1);
}

void
history_stats(struct history *h, struct hist_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	*s = h->st;
	s->depth = h->depth;
	pthread_mutex_unlock(&h->mu);
}
