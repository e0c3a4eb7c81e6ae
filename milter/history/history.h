/*
 * history.h - what we sent and what came back: the history store, in
 *	SQLite or PostgreSQL
 *
 * SYNOPSIS
 *	struct history *history_open(const char *path,
 *		    const struct history_opts *o, char *err, size_t errlen);
 *	void	history_close(struct history *h);
 *
 *	int	history_put_outgoing(struct history *h,
 *		    const struct hist_out *m, char *why, size_t whylen);
 *	int	history_put_bounce(struct history *h, const struct report *r,
 *		    const char *queue_id, time_t when,
 *		    const struct hist_match *orig, char *why, size_t whylen);
 *
 *	int	history_find_original(struct history *h,
 *		    const struct report *r, struct hist_match *out);
 *	void	history_match_values(const struct hist_match *m,
 *		    time_t bounced, struct hist_values *v);
 *
 *	int	history_note_bounce(struct history *h, struct trend *t,
 *		    const struct report *r, const char *queue_id, time_t when,
 *		    struct hist_match *m, struct buf *lines);
 *
 *	int	history_flush(struct history *h, int timeout_ms);
 *	void	history_stats(struct history *h, struct hist_stats *s);
 *
 *	int	history_report(const char *path, time_t since, int format,
 *		    const struct rules *rules, const struct config *conf,
 *		    struct buf *out, char *err, size_t errlen);
 *	int	history_parse_since(const char *s, long *seconds);
 *	void	history_domain(char *dst, size_t len, const char *addr);
 *	int	history_rcpt_counts(const struct report *r, const struct rcpt *rc);
 *	struct hist_domains *history_domains(struct history *h);
 *
 *	Our sender domains (history_domains.c):
 *	struct hist_domains *hist_domains_new(int retention_days);
 *	void	hist_domains_free(struct hist_domains *d);
 *	void	hist_domains_add(struct hist_domains *d, const char *sender,
 *		    time_t when);
 *	int	hist_domains_load(struct hist_domains *d, const char *path,
 *		    char *err, size_t errlen);
 *	int	hist_domains_ours(void *d, const char *domain);
 *	size_t	hist_domains_count(struct hist_domains *d);
 *
 * DESCRIPTION
 *	history_open()'s path is a SQLite file (WAL mode), or a
 *	postgresql:// URL (libpq; a server shared by several milters, each
 *	row with o->host, default the host name).  Both have the same
 *	schema and semantics (history_int.h, history_sqlite.c,
 *	history_pg.c).  The schema carries a version (SQLite: PRAGMA
 *	user_version; PostgreSQL: the table history_schema); the store is
 *	created or an older one migrated, one step per version, each step
 *	in its own transaction (PostgreSQL: under an advisory lock).  A
 *	SQLite file whose version is newer than this program knows is
 *	refused by history_open(); a server is opened by the writer thread
 *	(nothing waits on it before the daemon answers mail), which drops
 *	and logs while its schema is newer or it cannot be reached,
 *	reconnecting with a backoff of 1 s doubling to 30 s.
 *
 *	Writes never happen on the caller's path.  history_put_outgoing()
 *	and history_put_bounce() copy the record into a bounded in-memory
 *	queue (o->queue_max records, o->queue_bytes octets) and return at
 *	once; ONE writer thread
 *	empties the queue in batches, one transaction per batch.  When the
 *	queue is full the record is dropped, counted, and the put returns
 *	-1 with one log line for the caller in why ("history: queue full
 *	..."); it never waits.  When the database fails (read-only, file
 *	removed while open, locked by another process past o->busy_ms,
 *	disk full, I/O error) the writer drops that batch, counts it and
 *	reports through o->log at most one line per o->log_every seconds
 *	per kind of trouble (how many records were dropped since), reopens
 *	the file when it was removed or the connection broke, and says so
 *	when writes succeed again.  o->log is called from the writer thread
 *	(and from history_open() and history_close()); it must be
 *	thread-safe (syslog is).  Rows older than o->retention_days are
 *	pruned at open and then hourly, in small chunks.
 *
 *	history_put_outgoing() records a message we sent: m's strings may be
 *	NULL (stored as "").  history_put_bounce() records one row per
 *	recipient of r that failed or was delayed (or one per recipient of
 *	an ARF report or an auto-reply), under the MTA queue id and the
 *	time it was received; orig, when not NULL, is the original found by
 *	history_find_original() and is stored with it.
 *
 *	history_find_original() ties a bounce to what we sent: by the
 *	returned original's Message-ID (r->orig.message_id), then the DSN's
 *	Original-Envelope-Id (r->orig.envelope_id, compared with the
 *	envelope id, Message-ID and queue id we stored), then the queue id
 *	(r->orig.queue_id: X-Postfix-Queue-ID or References); the newest
 *	match wins.  It uses a read-only connection of its own (WAL lets it
 *	read beside the writer) behind a mutex it waits for at most
 *	o->lookup_ms, with the same SQLite busy timeout, so its time is
 *	bounded.  Returns 1 and fills out, 0 when
 *	nothing matched, -1 on error (out->by then holds the reason).
 *	Records still in the queue are not seen.
 *
 *	history_match_values() gives what annotate.c writes into
 *	X-Bounce-Original and the log line (struct annotate_orig):
 *	message_id "<...>" and from (both without control characters, cut
 *	at 256 octets), sent as ISO 8601 UTC, ttb in seconds (>= 0).
 *
 *	With o->trend set and a store shared by several hosts (PostgreSQL),
 *	the writer thread also notes in that trend, every few seconds, the
 *	bounces the other hosts wrote (history.host differs; the rows of
 *	the last day at first), so the trend lines count every host; a line
 *	that fires then is logged through o->log (LOG_NOTICE).
 *
 *	history_note_bounce() is what the daemon does with a decoded bounce,
 *	in one call: look up the original (history_find_original()), queue
 *	the bounce with it (history_put_bounce()), and count each failed or
 *	delayed recipient in the trends (trend_note()).  Either of h and t
 *	may be NULL (history or trends off).  It appends to lines the log
 *	lines that came of it, each ending in '\n': "QUEUEID: history:
 *	..." when a lookup failed or the record was dropped, and each trend
 *	line that fired.  Returns 1 when m holds the original (use
 *	history_match_values() for the header and log keys), else 0.
 *
 *	history_flush() waits until the queue is empty and the writer idle,
 *	at most timeout_ms: 0, or -1 on time out (for tests and programs
 *	that exit; the daemon never calls it on the mail path).
 *	history_stats() copies the counters.
 *
 *	history_report() reads the database at path (a file or a URL; the
 *	same SQL for both) and appends to out the bounces received since
 *	the time since, grouped by recipient domain and cause: count,
 *	distinct addresses, first and last seen, matched originals, the
 *	latest hint, and the rows of each host; as a table for people or
 *	(format HISTORY_REPORT_JSON) as one JSON object; with
 *	HISTORY_REPORT_HTML or HISTORY_REPORT_PROM, as an HTML page with
 *	charts or the Prometheus text format (history_view.c).  The HTML
 *	page replays the bounces through the trend rules of rules
 *	(rules/trends; NULL: none), with the trend window and thresholds of
 *	conf (the settings' defaults when conf is NULL); the other formats
 *	read neither.
 *	history_parse_since() reads "90", "30m", "24h", "7d", "2w" into
 *	seconds.  Both return 0 or -1 (err says why).  history_domain()
 *	writes the lower-case domain of addr ("" when it has none) into
 *	dst, cut to len - 1 bytes.
 *	history_rcpt_counts() is 1 for a recipient that gets a history row
 *	(and a trend note): failed or delayed, or any ARF/auto-reply one.
 *
 *	history_domains() is the set of the sender domains of our outgoing
 *	mail within retention_days (history_domains.c; read from the
 *	store at open, grown by every history_put_outgoing()), the default
 *	of our_domains: give hist_domains_ours() and it to
 *	evidence_set_ours().  NULL when h is NULL.
 *
 *	history_close() stops taking records, writes what is queued for at
 *	most 5 seconds (the rest is dropped, and logged), logs the counters
 *	("history: NAME: closed: Q records queued, W written, D dropped
 *	(F queue full, B database)"), stops the writer
 *	and frees h: call it once no other thread can use h any more (after
 *	smfi_main() returned).  The writer is a thread: open the store after
 *	any fork() (daemonizing) and after dropping privileges, so the file
 *	belongs to the user the daemon runs as.
 *
 *	All functions taking h are thread-safe; h may be NULL in the puts
 *	and the lookup (history off: they return -1 / 0 and do nothing).
 */
#ifndef HISTORY_H
#define HISTORY_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "report.h"
#include "trend.h"

#define HISTORY_SCHEMA_VERSION	3
#define HISTORY_QUEUE_MAX	16384	/* records waiting, default */
#define HISTORY_QUEUE_BYTES	(64u * 1024 * 1024)	/* their memory */
#define HISTORY_BUSY_MS		2000	/* lock wait of the writer */
#define HISTORY_LOOKUP_MS	100	/* wait of a lookup, at most */

/* history_report() formats */
#define HISTORY_REPORT_TEXT	0
#define HISTORY_REPORT_JSON	1
#define HISTORY_REPORT_PROM	2
#define HISTORY_REPORT_HTML	3

/* level is a syslog priority (LOG_ERR, LOG_WARNING, LOG_INFO) */
typedef void	history_log_fn(void *arg, int level, const char *line);

struct history_opts {
	int		 retention_days;	/* 0: keep everything */
	size_t		 queue_max;		/* 0: HISTORY_QUEUE_MAX */
	size_t		 queue_bytes;		/* 0: HISTORY_QUEUE_BYTES */
	int		 busy_ms;		/* 0: HISTORY_BUSY_MS */
	int		 lookup_ms;		/* 0: HISTORY_LOOKUP_MS */
	int		 log_every;		/* seconds; 0: 60 */
	const char	*host;			/* NULL: gethostname() */
	struct trend	*trend;			/* counts other hosts' bounces
						   too (PostgreSQL), or NULL */
	history_log_fn	*log;			/* NULL: no log */
	void		*log_arg;
};

struct hist_out {
	const char	 *queue_id;
	const char	 *message_id;	/* as in the header, <> or not */
	const char	 *envelope_id;	/* ENVID, if the MTA gave one */
	const char	 *from;		/* envelope sender */
	const char *const *rcpts;
	size_t		  nrcpt;
	time_t		  when;
	size_t		  size;
	const char	 *spf;		/* preflight words, or NULL */
	const char	 *dkim;
};

struct hist_match {
	char	 message_id[512];	/* without <> */
	char	 from[512];
	char	 queue_id[64];
	time_t	 sent;
	char	 by[64];		/* message-id envelope-id queue-id,
					   or why the lookup failed */
};

struct hist_values {
	char	 message_id[260];	/* "<...>" */
	char	 sent[32];		/* 2026-11-23T07:00:00Z */
	char	 from[260];
	long	 ttb;
};

struct hist_stats {
	unsigned long	 queued;	/* accepted by a put */
	unsigned long	 written;	/* committed rows */
	unsigned long	 dropped_full;	/* queue was full */
	unsigned long	 dropped_db;	/* database failed */
	unsigned long	 pruned;
	unsigned long	 reopened;
	size_t		 depth;		/* waiting now */
};

#define HIST_DOMAINS_MAX	4096	/* sender domains remembered */

struct history;
struct hist_domains;

struct history *history_open(const char *, const struct history_opts *,
	    char *, size_t);
void	history_close(struct history *);
int	history_put_outgoing(struct history *, const struct hist_out *,
	    char *, size_t);
int	history_put_bounce(struct history *, const struct report *,
	    const char *, time_t, const struct hist_match *, char *, size_t);
int	history_find_original(struct history *, const struct report *,
	    struct hist_match *);
void	history_match_values(const struct hist_match *, time_t,
	    struct hist_values *);
int	history_note_bounce(struct history *, struct trend *,
	    const struct report *, const char *, time_t, struct hist_match *,
	    struct buf *);
int	history_flush(struct history *, int);
void	history_stats(struct history *, struct hist_stats *);
int	history_report(const char *, time_t, int, const struct rules *,
	    const struct config *, struct buf *, char *, size_t);
int	history_parse_since(const char *, long *);
void	history_domain(char *, size_t, const char *);
int	history_rcpt_counts(const struct report *, const struct rcpt *);
struct hist_domains *history_domains(struct history *);

struct hist_domains *hist_domains_new(int);
void	hist_domains_free(struct hist_domains *);
void	hist_domains_add(struct hist_domains *, const char *, time_t);
int	hist_domains_load(struct hist_domains *, const char *, char *, size_t);
int	hist_domains_ours(void *, const char *);
size_t	hist_domains_count(struct hist_domains *);

#endif
