/*
 * history_int.h - the history store's backends: one API, SQLite and
 *	PostgreSQL behind it (private to milter/history)
 *
 * SYNOPSIS
 *	extern const struct hist_backend hist_sqlite, hist_pg;
 *	const struct hist_backend *hist_backend_for(const char *target);
 *
 *	int	hist_sqlite_query(const char *path, const char *sql,
 *		    long long arg, hist_row_fn *fn, void *fnarg, char *err,
 *		    size_t errlen);
 *	int	hist_pg_query(const char *url, const char *sql,
 *		    long long arg, hist_row_fn *fn, void *fnarg, char *err,
 *		    size_t errlen);
 *	int	hist_query(const char *target, ...);	(history_view.c)
 *	int	hist_view(const char *target, time_t since, int format,
 *		    const struct rules *rules, const struct config *conf,
 *		    struct buf *out, char *err, size_t errlen);
 *
 * DESCRIPTION
 *	history.c owns the queue, the writer thread, the counters and the
 *	log lines about trouble; a backend owns its connections.  The
 *	writer thread alone calls open, close, ready, write, prune and tick;
 *	lookup is called from any thread and keeps its own connection,
 *	bounded by timeout_ms (it waits for nothing longer).
 *
 *	open returns 0, -1 when it failed for now (fail says why; the
 *	writer tries again after a backoff) or -2 when it never will (not
 *	a history database, a schema newer than ours).  write writes one
 *	batch in one transaction: 0, or -1 with fail filled (kind: a short
 *	word for the log; retry: a lock worth waiting out; broken: the
 *	connection must be opened again).  ready says whether the open
 *	connection is still usable (-1 when it must be opened again, with
 *	why in fail).  prune deletes at most one chunk of rows older than
 *	cut from each table and returns how many, setting *more when a
 *	chunk was full.  tick is called about once a second when idle.
 *	A backend with open_later set is opened first by the writer
 *	thread, not by history_open(): nothing that waits on a server
 *	happens before the daemon answers mail.  stopping, called from
 *	history_close() before it waits for the writer, makes the writer's
 *	waits on a server end within a tenth of a second.  others (writer
 *	thread) calls fn for each bounce row another host wrote with an id
 *	above *last and a time from since on, as (domain, cause, rcpt,
 *	received), for the causes the trends count, a bounded number per
 *	call, in id order, and moves *last past them: 0, or -1.
 *
 *	The two *_query() functions run one read-only statement with $1
 *	bound to arg and call fn for each row with its columns as text
 *	(NULL is ""); fn returns 0 to go on.  They are the reports' only
 *	access to the databases, so the same SQL gives the same report
 *	from either.  Both return 0 or -1 (err says why).
 */
#ifndef HISTORY_INT_H
#define HISTORY_INT_H

#include <stddef.h>
#include <time.h>

#include "history.h"

#define HIST_FIELD_MAX	998		/* octets kept of one string */
#define HIST_RCPTS_MAX	65536		/* octets kept of the recipient list */

enum { ITEM_OUT, ITEM_BOUNCE };

/* string fields of a record, by kind */
enum { O_QID, O_MSGID, O_ENVID, O_FROM, O_RCPTS, O_SPF, O_DKIM, O_NF };
enum { B_QID, B_RCPT, B_DOMAIN, B_STATUS, B_REPLY, B_REASON, B_CAUSE,
	B_SIDE, B_KIND, B_HINT, B_FORMAT, B_RMTA, B_OMSGID, B_OFROM, B_BY,
	B_NF };
#define NF_MAX	B_NF

struct hitem {
	struct hitem	*next;
	size_t		 size;		/* octets allocated */
	int		 kind;
	time_t		 when;
	long long	 n1, n2;	/* out: nrcpt size; bounce: hard sent */
	const char	*f[NF_MAX];
	char		 data[];
};

typedef int	hist_row_fn(void *, int, const char *const *);

struct hist_fail {
	const char	*kind;		/* "locked", "full", "timed out", ... */
	char		 detail[512];
	int		 retry;		/* a lock: worth waiting out */
	int		 broken;	/* open the connection again */
};

/* what a backend is given when it is made */
struct hist_be_conf {
	const char		*target;	/* path or URL */
	const char		*name;		/* for log lines: no password */
	const char		*host;		/* written with each row */
	const struct history_opts *o;		/* defaults filled in */
};

struct hist_backend {
	const char	*name;
	int		 backoff_max;		/* seconds between opens */
	int		 open_later;		/* not in history_open(): a
						   server may keep us waiting */
	void	*(*new)(const struct hist_be_conf *);
	void	 (*free)(void *);
	int	 (*open)(void *, struct hist_fail *);
	void	 (*close)(void *);
	int	 (*is_open)(void *);
	int	 (*ready)(void *, struct hist_fail *);
	int	 (*write)(void *, const struct hitem *, struct hist_fail *);
	long	 (*prune)(void *, time_t, int *);
	int	 (*lookup)(void *, const char *const [3], struct hist_match *);
	void	 (*tick)(void *);
	void	 (*stopping)(void *);		/* any thread: give up waits */
	int	 (*others)(void *, long long *, time_t, hist_row_fn *,
		    void *);			/* NULL: one host only */
};


extern const struct hist_backend hist_sqlite;
extern const struct hist_backend hist_pg;

int	hist_is_url(const char *);
void	hist_url_name(char *, size_t, const char *);
int	hist_sqlite_query(const char *, const char *, long long, hist_row_fn *,
	    void *, char *, size_t);
int	hist_pg_query(const char *, const char *, long long, hist_row_fn *,
	    void *, char *, size_t);
int	hist_query(const char *, const char *, long long, hist_row_fn *,
	    void *, char *, size_t);
int	hist_view(const char *, time_t, int, const struct rules *,
	    const struct config *, struct buf *, char *, size_t);

#endif
