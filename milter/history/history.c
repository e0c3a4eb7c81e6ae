/*
 * history.c - the SQLite history store: queue, writer thread, lookups;
 *	see history.h
 *
 * Two connections: the writer thread owns one read-write connection
 * (h->db), used by nothing else; lookups share one read-only connection
 * (h->rdb) behind h->rmu.  The queue (h->head .. h->tail) is guarded by
 * h->mu; a put holds it only to append a record already copied.
 *
 * Trouble: the writer names each failure with a short kind ("locked",
 * "full", "read-only", "removed", ...), drops the batch, and logs when
 * the kind changes or log_every seconds passed, with the number dropped
 * since the last line; the first good commit after trouble logs that
 * writing works again.  A broken connection (removed file, I/O error,
 * corrupt) is closed and opened again at most every REOPEN_EVERY
 * seconds; a removed file is created anew.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "history.h"

#define BATCH_MAX	1000		/* records per transaction */
#define PRUNE_CHUNK	2000		/* rows deleted per statement */
#define PRUNE_EVERY	3600		/* seconds */
#define REOPEN_EVERY	2		/* seconds between reopen attempts */
#define LOCK_TRIES	3		/* waits of busy_ms for a lock */
#define CLOSE_DRAIN_MS	5000		/* history_close() writes this long */
#define FIELD_MAX	998		/* octets kept of one string */
#define RCPTS_MAX	65536		/* octets kept of the recipient list */

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

struct history {
	char		*path;
	struct history_opts o;

	pthread_mutex_t	 mu;		/* queue, counters, gen */
	pthread_cond_t	 cv;		/* work for the writer */
	pthread_cond_t	 idle_cv;	/* writer went idle */
	struct hitem	*head, *tail;
	size_t		 depth;
	size_t		 bytes;		/* of the records queued */
	int		 stop;
	int		 idle;
	int		 gen;		/* bumped when the file was reopened */
	struct hist_stats st;
	pthread_t	 thr;
	int		 started;

	/* writer thread only */
	sqlite3		*db;
	int		 open_rc;	/* why writer_open() failed */
	sqlite3_stmt	*ins_out, *ins_bounce, *prune_out, *prune_bounce;
	time_t		 next_reopen;
	time_t		 next_prune;
	int		 prune_pending;
	const char	*trouble;	/* kind of the current trouble, or NULL */
	time_t		 last_log;
	unsigned long	 dropped_since_log;
	unsigned long	 dropped_in_trouble;

	/* lookups */
	pthread_mutex_t	 rmu;
	sqlite3		*rdb;
	sqlite3_stmt	*rq[3];		/* by message-id, envelope id, qid */
	int		 rgen;
};

static const char *const schema[HISTORY_SCHEMA_VERSION] = {
	/* 1: what we sent, what came back */
	"CREATE TABLE outgoing ("
	" id INTEGER PRIMARY KEY,"
	" sent INTEGER NOT NULL,"
	" queue_id TEXT NOT NULL DEFAULT '',"
	" message_id TEXT NOT NULL DEFAULT '',"
	" sender TEXT NOT NULL DEFAULT '',"
	" rcpts TEXT NOT NULL DEFAULT '',"
	" nrcpt INTEGER NOT NULL DEFAULT 0,"
	" size INTEGER NOT NULL DEFAULT 0,"
	" spf TEXT NOT NULL DEFAULT '',"
	" dkim TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX outgoing_message_id ON outgoing(message_id);"
	"CREATE INDEX outgoing_queue_id ON outgoing(queue_id);"
	"CREATE INDEX outgoing_sent ON outgoing(sent);"
	"CREATE TABLE bounce ("
	" id INTEGER PRIMARY KEY,"
	" received INTEGER NOT NULL,"
	" queue_id TEXT NOT NULL DEFAULT '',"
	" rcpt TEXT NOT NULL DEFAULT '',"
	" domain TEXT NOT NULL DEFAULT '',"
	" status TEXT NOT NULL DEFAULT '',"
	" reply TEXT NOT NULL DEFAULT '',"
	" reason TEXT NOT NULL DEFAULT '',"
	" cause TEXT NOT NULL DEFAULT '',"
	" side TEXT NOT NULL DEFAULT '',"
	" hard INTEGER NOT NULL DEFAULT 0,"
	" kind TEXT NOT NULL DEFAULT '',"
	" hint TEXT NOT NULL DEFAULT '',"
	" orig_msgid TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX bounce_received ON bounce(received);",

	/* 2: correlation (envelope id; the original a bounce was tied
	   to) and the report's grouping */
	"ALTER TABLE outgoing ADD COLUMN envelope_id TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX outgoing_envelope_id ON outgoing(envelope_id);"
	"ALTER TABLE bounce ADD COLUMN format TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE bounce ADD COLUMN reporting_mta TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE bounce ADD COLUMN orig_from TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE bounce ADD COLUMN orig_sent INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE bounce ADD COLUMN matched_by TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX bounce_domain_cause ON bounce(domain, cause, received);",
};

/* ---- small helpers ---------------------------------------------- */

static void
copy_str(char *dst, size_t len, const char *s)
{
	if (len == 0)
		return;
	snprintf(dst, len, "%s", s != NULL ? s : "");
}

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

/* ---- the writer's connection ------------------------------------ */

static int
exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return (0);
	if (err != NULL)
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return (-1);
}

static int
user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st,
	    NULL) != SQLITE_OK)
		return (-1);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return (rc == SQLITE_ROW ? 0 : -1);
}

/* Bring the schema to HISTORY_SCHEMA_VERSION, one step per version. */
static int
migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	char sql[64], e[512];
	int v;

	/* the usual case, current already, needs no write lock */
	if (user_version(db, &v) == 0 && v == HISTORY_SCHEMA_VERSION)
		return (0);
	for (;;) {
		if (exec_sql(db, "BEGIN IMMEDIATE", e, sizeof(e)) == -1) {
			snprintf(err, errlen, "%s: %s", path, e);
			return (-1);
		}
		if (user_version(db, &v) == -1) {
			snprintf(err, errlen, "%s: cannot read the schema "
			    "version: %s", path, sqlite3_errmsg(db));
			goto fail;
		}
		if (v > HISTORY_SCHEMA_VERSION) {
			snprintf(err, errlen, "%s: schema version %d is newer "
			    "than this program's (%d)", path, v,
			    HISTORY_SCHEMA_VERSION);
			exec_sql(db, "ROLLBACK", NULL, 0);
			return (-2);
		}
		if (v == HISTORY_SCHEMA_VERSION)
			break;
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v + 1);
		if (exec_sql(db, schema[v], e, sizeof(e)) == -1 ||
		    exec_sql(db, sql, e, sizeof(e)) == -1 ||
		    exec_sql(db, "COMMIT", e, sizeof(e)) == -1) {
			snprintf(err, errlen, "%s: migrating the schema to "
			    "version %d: %s", path, v + 1, e);
			goto fail;
		}
	}
	exec_sql(db, "COMMIT", NULL, 0);
	return (0);
fail:
	exec_sql(db, "ROLLBACK", NULL, 0);
	return (-1);
}

static void
writer_close(struct history *h)
{
	sqlite3_finalize(h->ins_out);
	sqlite3_finalize(h->ins_bounce);
	sqlite3_finalize(h->prune_out);
	sqlite3_finalize(h->prune_bounce);
	h->ins_out = h->ins_bounce = h->prune_out = h->prune_bounce = NULL;
	if (h->db != NULL)
		sqlite3_close_v2(h->db);
	h->db = NULL;
}

static int
prepare(struct history *h, sqlite3_stmt **st, const char *sql, char *err,
    size_t errlen)
{
	if (sqlite3_prepare_v2(h->db, sql, -1, st, NULL) == SQLITE_OK)
		return (0);
	snprintf(err, errlen, "%s: %s", h->path, sqlite3_errmsg(h->db));
	return (-1);
}

/* Open (create, migrate) the writer's connection: 0; -1 failed, try
   again later; -2 refused for good (not a database, newer schema). */
static int
writer_open(struct history *h, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	const char *mode = "";
	int rc;

	writer_close(h);
	rc = sqlite3_open_v2(h->path, &h->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", h->path,
		    h->db ? sqlite3_errmsg(h->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(h->db, 1);
	sqlite3_busy_timeout(h->db, h->o.busy_ms);
	if (sqlite3_db_readonly(h->db, "main") == 1) {
		snprintf(err, errlen, "%s: the file, its directory or the file "
		    "system is read-only", h->path);
		h->open_rc = SQLITE_READONLY;
		writer_close(h);
		return (-1);
	}
	/* journal_mode answers with the mode it got */
	if (sqlite3_prepare_v2(h->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", h->path,
		    sqlite3_errmsg(h->db));
		goto fail;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		snprintf(err, errlen, "%s: cannot use WAL mode: %s", h->path,
		    sqlite3_errmsg(h->db));
		sqlite3_finalize(st);
		goto fail;
	}
	sqlite3_finalize(st);
	if (exec_sql(h->db, "PRAGMA synchronous = NORMAL", err, errlen) == -1)
		goto fail;
	if ((rc = migrate(h->db, h->path, err, errlen)) != 0) {
		h->open_rc = sqlite3_extended_errcode(h->db);
		writer_close(h);
		return (rc);
	}
	if (prepare(h, &h->ins_out, "INSERT INTO outgoing (sent, queue_id,"
	    " message_id, envelope_id, sender, rcpts, nrcpt, size, spf, dkim)"
	    " VALUES (?,?,?,?,?,?,?,?,?,?)", err, errlen) == -1 ||
	    prepare(h, &h->ins_bounce, "INSERT INTO bounce (received,"
	    " queue_id, rcpt, domain, status, reply, reason, cause, side,"
	    " kind, hint, format, reporting_mta, orig_msgid, orig_from,"
	    " matched_by, hard, orig_sent) VALUES"
	    " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err, errlen) == -1 ||
	    prepare(h, &h->prune_out, "DELETE FROM outgoing WHERE id IN"
	    " (SELECT id FROM outgoing WHERE sent < ? LIMIT 2000)",
	    err, errlen) == -1 ||
	    prepare(h, &h->prune_bounce, "DELETE FROM bounce WHERE id IN"
	    " (SELECT id FROM bounce WHERE received < ? LIMIT 2000)",
	    err, errlen) == -1)
		goto fail;
	return (0);
fail:
	rc = h->db != NULL ? sqlite3_extended_errcode(h->db) : rc;
	h->open_rc = rc;
	writer_close(h);
	return ((rc & 0xff) == SQLITE_NOTADB ? -2 : -1);
}

/* ---- trouble ---------------------------------------------------- */

/* A short name for what went wrong, from an extended result code. */
/* Is a failed write explained by no room: the file system nearly full,
   or the database or its WAL at the process's file size limit? */
static int
no_room(const char *path)
{
	struct statvfs vfs;
	struct rlimit rl;
	struct stat st;
	char dir[4096], wal[4100];
	char *slash;
	rlim_t need = 1024 * 1024;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) != NULL)
		slash[slash == dir ? 1 : 0] = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	if (statvfs(dir, &vfs) == 0 &&
	    (unsigned long long)vfs.f_bavail * vfs.f_frsize < need)
		return (1);
	if (getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		snprintf(wal, sizeof(wal), "%s-wal", path);
		if ((stat(path, &st) == 0 &&
		    (rlim_t)st.st_size + need >= rl.rlim_cur) ||
		    (stat(wal, &st) == 0 &&
		    (rlim_t)st.st_size + need >= rl.rlim_cur))
			return (1);
	}
	return (0);
}

static const char *
trouble_kind(const char *path, int rc)
{
	if (((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN) &&
	    no_room(path))
		return ("full");
	switch (rc) {
	case SQLITE_READONLY_DBMOVED:
		return ("removed");
	case SQLITE_BUSY_SNAPSHOT:
	case SQLITE_BUSY_RECOVERY:
		return ("locked");
	}
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ("locked");
	case SQLITE_FULL:
		return ("full");
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return ("read-only");
	case SQLITE_IOERR:
		return ("I/O error");
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return ("corrupt");
	case SQLITE_CANTOPEN:
		return ("cannot open");
	case SQLITE_NOMEM:
		return ("out of memory");
	}
	return ("error");
}

/* Does the connection have to be opened again after rc? */
static int
trouble_breaks(int rc)
{
	if (rc == SQLITE_READONLY_DBMOVED)
		return (1);
	switch (rc & 0xff) {
	case SQLITE_IOERR:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
		return (1);
	}
	return (0);
}

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
	    "(%lu so far)", h->path, kind, detail, h->dropped_since_log,
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
	    "record%s dropped meanwhile", h->path, h->trouble,
	    h->dropped_in_trouble, h->dropped_in_trouble == 1 ? "" : "s");
	h->trouble = NULL;
	h->dropped_since_log = h->dropped_in_trouble = 0;
}

/* ---- the writer thread ------------------------------------------ */

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s != NULL ? s : "", -1, SQLITE_STATIC);
}

static int
insert(struct history *h, const struct hitem *it)
{
	sqlite3_stmt *st;
	int i, rc;

	if (it->kind == ITEM_OUT) {
		st = h->ins_out;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)it->when);
		bind_text(st, 2, it->f[O_QID]);
		bind_text(st, 3, it->f[O_MSGID]);
		bind_text(st, 4, it->f[O_ENVID]);
		bind_text(st, 5, it->f[O_FROM]);
		bind_text(st, 6, it->f[O_RCPTS]);
		sqlite3_bind_int64(st, 7, it->n1);
		sqlite3_bind_int64(st, 8, it->n2);
		bind_text(st, 9, it->f[O_SPF]);
		bind_text(st, 10, it->f[O_DKIM]);
	} else {
		st = h->ins_bounce;
		sqlite3_bind_int64(st, 1, (sqlite3_int64)it->when);
		for (i = 0; i < B_NF; i++)
			bind_text(st, i + 2, it->f[i]);
		sqlite3_bind_int64(st, B_NF + 2, it->n1);
		sqlite3_bind_int64(st, B_NF + 3, it->n2);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rc == SQLITE_DONE ? SQLITE_OK : rc);
}

static int
moved(struct history *h)
{
	int m = 0;

	if (h->db == NULL)
		return (0);
	if (sqlite3_file_control(h->db, "main", SQLITE_FCNTL_HAS_MOVED,
	    &m) != SQLITE_OK)
		return (0);
	return (m);
}

/* Make sure there is a connection; 0, or -1 (trouble already told). */
static int
writer_ready(struct history *h, unsigned long n)
{
	char err[512];
	time_t now;

	if (h->db != NULL && moved(h)) {
		hlog(h, LOG_WARNING, "history: %s was removed or replaced "
		    "while open; creating it again", h->path);
		writer_close(h);
		h->next_reopen = 0;
	}
	if (h->db != NULL)
		return (0);
	now = time(NULL);
	if (now < h->next_reopen) {
		trouble(h, h->trouble ? h->trouble : "cannot open",
		    "not open", n);
		return (-1);
	}
	h->next_reopen = now + REOPEN_EVERY;
	h->open_rc = SQLITE_CANTOPEN;
	if (writer_open(h, err, sizeof(err)) != 0) {
		trouble(h, trouble_kind(h->path, h->open_rc), err, n);
		return (-1);
	}
	pthread_mutex_lock(&h->mu);
	h->gen++;
	h->st.reopened++;
	pthread_mutex_unlock(&h->mu);
	return (0);
}

/* One try at writing the batch: SQLITE_OK or the failure's code. */
static int
write_try(struct history *h, const struct hitem *batch)
{
	const struct hitem *it;
	int rc;

	rc = sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	for (it = batch; rc == SQLITE_OK && it != NULL; it = it->next)
		rc = insert(h, it);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
	return (rc);
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
   LOCK_TRIES times busy_ms (not when closing); any other failure, or
   a lock held longer, drops the batch. */
static void
write_batch(struct history *h, struct hitem *batch, unsigned long n)
{
	const char *kind;
	char detail[512];
	int rc, tries = 0;

	if (writer_ready(h, n) == -1)
		return;
	for (;;) {
		rc = write_try(h, batch);
		if (rc == SQLITE_OK) {
			pthread_mutex_lock(&h->mu);
			h->st.written += n;
			pthread_mutex_unlock(&h->mu);
			trouble_over(h);
			return;
		}
		if (sqlite3_system_errno(h->db) != 0)
			snprintf(detail, sizeof(detail), "%s: %s",
			    sqlite3_errmsg(h->db),
			    strerror(sqlite3_system_errno(h->db)));
		else
			snprintf(detail, sizeof(detail), "%s",
			    sqlite3_errmsg(h->db));
		kind = trouble_kind(h->path, rc);
		if (!sqlite3_get_autocommit(h->db))
			sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
		if (strcmp(kind, "locked") != 0 || ++tries >= LOCK_TRIES ||
		    stopping(h))
			break;
		if (h->trouble == NULL) {
			hlog(h, LOG_WARNING, "history: %s: locked (%s): "
			    "holding %lu record%s and trying again", h->path,
			    detail, n, n == 1 ? "" : "s");
			h->trouble = "locked";
			h->last_log = time(NULL);
		}
	}
	if (rc == SQLITE_READONLY_DBMOVED || moved(h))
		trouble(h, "removed", "the file was removed while open", n);
	else
		trouble(h, kind, detail, n);
	if (trouble_breaks(rc) || moved(h)) {
		writer_close(h);
		h->next_reopen = time(NULL) + REOPEN_EVERY;
	}
}

/* One chunk of pruning per call; done when both tables are short. */
static void
prune_step(struct history *h)
{
	sqlite3_int64 cut;
	int n1 = 0, n2 = 0, rc;

	if (h->o.retention_days <= 0 || h->db == NULL)
		return;
	cut = (sqlite3_int64)time(NULL) - (sqlite3_int64)h->o.retention_days *
	    86400;
	sqlite3_bind_int64(h->prune_out, 1, cut);
	rc = sqlite3_step(h->prune_out);
	n1 = rc == SQLITE_DONE ? sqlite3_changes(h->db) : 0;
	sqlite3_reset(h->prune_out);
	sqlite3_bind_int64(h->prune_bounce, 1, cut);
	rc = sqlite3_step(h->prune_bounce);
	n2 = rc == SQLITE_DONE ? sqlite3_changes(h->db) : 0;
	sqlite3_reset(h->prune_bounce);
	pthread_mutex_lock(&h->mu);
	h->st.pruned += (unsigned long)(n1 + n2);
	pthread_mutex_unlock(&h->mu);
	if (n1 < PRUNE_CHUNK && n2 < PRUNE_CHUNK)
		h->prune_pending = 0;
}

static void
periodic(struct history *h)
{
	time_t now = time(NULL);

	if (now >= h->next_prune) {
		h->prune_pending = 1;
		h->next_prune = now + PRUNE_EVERY;
	}
	if (h->prune_pending)
		prune_step(h);
}

static void *
writer_main(void *arg)
{
	struct history *h = arg;
	struct hitem *batch, *last;
	struct timespec ts, deadline = { 0, 0 };
	unsigned long n;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		if (h->head == NULL) {
			if (h->stop)
				break;
			h->idle = 1;
			pthread_cond_broadcast(&h->idle_cv);
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&h->cv, &h->mu, &ts);
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
		    "written in %d ms, dropped", h->path, n, n == 1 ? "" : "s",
		    CLOSE_DRAIN_MS);
	writer_close(h);
	return (NULL);
}

/* ---- open, close ------------------------------------------------ */

static void reader_close(struct history *);

static void
history_free(struct history *h)
{
	reader_close(h);
	pthread_mutex_destroy(&h->rmu);
	pthread_cond_destroy(&h->idle_cv);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h->path);
	free(h);
}

struct history *
history_open(const char *path, const struct history_opts *o, char *err,
    size_t errlen)
{
	struct history *h;
	sigset_t all, old;
	int rc;

	if (path == NULL || *path == '\0') {
		snprintf(err, errlen, "history: no path");
		return (NULL);
	}
	if (sqlite3_threadsafe() == 0) {
		snprintf(err, errlen, "history: SQLite built without threads");
		return (NULL);
	}
	if ((h = calloc(1, sizeof(*h))) == NULL ||
	    (h->path = strdup(path)) == NULL) {
		free(h);
		snprintf(err, errlen, "history: out of memory");
		return (NULL);
	}
	if (o != NULL)
		h->o = *o;
	if (h->o.queue_max == 0)
		h->o.queue_max = HISTORY_QUEUE_MAX;
	if (h->o.busy_ms <= 0)
		h->o.busy_ms = HISTORY_BUSY_MS;
	if (h->o.queue_bytes == 0)
		h->o.queue_bytes = HISTORY_QUEUE_BYTES;
	if (h->o.lookup_ms <= 0)
		h->o.lookup_ms = HISTORY_LOOKUP_MS;
	if (h->o.log_every <= 0)
		h->o.log_every = 60;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	pthread_cond_init(&h->idle_cv, NULL);
	pthread_mutex_init(&h->rmu, NULL);
	h->idle = 1;
	h->rgen = -1;
	h->open_rc = SQLITE_CANTOPEN;
	if ((rc = writer_open(h, err, errlen)) == -2) {
		history_free(h);
		return (NULL);
	}
	if (rc == -1) {
		/* read-only, locked, disk full...: run, drop, try again */
		h->trouble = trouble_kind(h->path, h->open_rc);
		hlog(h, LOG_WARNING, "history: %s: %s (%s); records are "
		    "dropped until it can be written (trying again every "
		    "%d s)", h->path, h->trouble, err, REOPEN_EVERY);
		h->last_log = time(NULL);
		h->next_reopen = time(NULL) + REOPEN_EVERY;
		if (errlen > 0)
			err[0] = '\0';
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
		writer_close(h);
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
	if (h->started)
		pthread_join(h->thr, NULL);
	history_free(h);
}

/* ---- puts --------------------------------------------------------- */

static int
enqueue(struct history *h, struct hitem *first, struct hitem *last,
    size_t n, const char *what, char *why, size_t whylen)
{
	const struct hitem *it;
	unsigned long dropped;
	size_t bytes = 0, depth, qbytes;

	for (it = first; it != NULL; it = it->next)
		bytes += it->size;
	pthread_mutex_lock(&h->mu);
	if (h->stop || h->depth + n > h->o.queue_max ||
	    h->bytes + bytes > h->o.queue_bytes) {
		h->st.dropped_full += n;
		dropped = h->st.dropped_full + h->st.dropped_db;
		depth = h->depth;
		qbytes = h->bytes;
		pthread_mutex_unlock(&h->mu);
		items_free(first);
		if (why != NULL)
			snprintf(why, whylen, "history: %s: queue full (%zu "
			    "records, %zu octets waiting): %s dropped (%lu so "
			    "far)", h->path, depth, qbytes, what, dropped);
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
	static const size_t caps[O_NF] = { 64, FIELD_MAX, FIELD_MAX,
	    FIELD_MAX, RCPTS_MAX, 32, 32 };
	const char *vals[O_NF];
	struct buf rcpts = BUF_INIT;
	struct hitem *it;
	char msgid[FIELD_MAX + 1];
	size_t i;

	set_why(why, whylen, "");
	if (h == NULL || m == NULL)
		return (-1);
	for (i = 0; m->rcpts != NULL && i < m->nrcpt && rcpts.len < RCPTS_MAX;
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
	static const size_t caps[B_NF] = { 64, FIELD_MAX, 255, 15, 3, 32,
	    64, 16, 16, 2000, 32, 255, FIELD_MAX, FIELD_MAX, 32 };
	const char *vals[B_NF];
	struct hitem *first = NULL, *last = NULL, *it;
	const struct rcpt *rc;
	char msgid[FIELD_MAX + 1], domain[256];
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

/* ---- lookups ---------------------------------------------------- */

static void
reader_close(struct history *h)
{
	int i;

	for (i = 0; i < 3; i++) {
		sqlite3_finalize(h->rq[i]);
		h->rq[i] = NULL;
	}
	if (h->rdb != NULL)
		sqlite3_close_v2(h->rdb);
	h->rdb = NULL;
}

static int
reader_ready(struct history *h, struct hist_match *out)
{
	int gen, rc;

	pthread_mutex_lock(&h->mu);
	gen = h->gen;
	pthread_mutex_unlock(&h->mu);
	if (h->rdb != NULL && h->rgen == gen)
		return (0);
	reader_close(h);
	rc = sqlite3_open_v2(h->path, &h->rdb, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		copy_str(out->by, sizeof(out->by), h->rdb ?
		    sqlite3_errmsg(h->rdb) : sqlite3_errstr(rc));
		if (h->rdb != NULL)
			sqlite3_close_v2(h->rdb);
		h->rdb = NULL;
		return (-1);
	}
	sqlite3_busy_timeout(h->rdb, h->o.lookup_ms);
	h->rgen = gen;
	return (0);
}

/* Run one lookup; 1 found, 0 not, -1 error. */
static int
lookup(struct history *h, int i, const char *sql, const char *key,
    const char *by, struct hist_match *out)
{
	sqlite3_stmt *st;
	const char *s;
	int rc;

	if (*key == '\0')
		return (0);
	if (h->rq[i] == NULL && sqlite3_prepare_v3(h->rdb, sql, -1,
	    SQLITE_PREPARE_PERSISTENT, &h->rq[i], NULL) != SQLITE_OK) {
		copy_str(out->by, sizeof(out->by), sqlite3_errmsg(h->rdb));
		return (-1);
	}
	st = h->rq[i];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s = (const char *)sqlite3_column_text(st, 0);
		copy_str(out->message_id, sizeof(out->message_id), s);
		s = (const char *)sqlite3_column_text(st, 1);
		copy_str(out->from, sizeof(out->from), s);
		s = (const char *)sqlite3_column_text(st, 2);
		copy_str(out->queue_id, sizeof(out->queue_id), s);
		out->sent = (time_t)sqlite3_column_int64(st, 3);
		copy_str(out->by, sizeof(out->by), by);
		rc = 1;
	} else if (rc == SQLITE_DONE)
		rc = 0;
	else {
		copy_str(out->by, sizeof(out->by), sqlite3_errmsg(h->rdb));
		rc = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rc);
}

int
history_find_original(struct history *h, const struct report *r,
    struct hist_match *out)
{
	static const char cols[] = "SELECT message_id, sender, queue_id, sent"
	    " FROM outgoing WHERE ";
	static const char order[] = " ORDER BY sent DESC, id DESC LIMIT 1";
	char q1[256], q2[256], q3[256];
	char msgid[FIELD_MAX + 1], envid[FIELD_MAX + 1], qid[FIELD_MAX + 1];
	struct timespec ts;
	int rc;

	memset(out, 0, sizeof(*out));
	if (h == NULL || r == NULL)
		return (0);
	norm_msgid(msgid, sizeof(msgid), r->orig.message_id);
	norm_msgid(envid, sizeof(envid), r->orig.envelope_id);
	norm_msgid(qid, sizeof(qid), r->orig.queue_id);
	if (*msgid == '\0' && *envid == '\0' && *qid == '\0')
		return (0);
	snprintf(q1, sizeof(q1), "%smessage_id = ?1%s", cols, order);
	snprintf(q2, sizeof(q2), "%senvelope_id = ?1 OR message_id = ?1 OR "
	    "queue_id = ?1%s", cols, order);
	snprintf(q3, sizeof(q3), "%squeue_id = ?1%s", cols, order);

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += h->o.lookup_ms / 1000;
	ts.tv_nsec += (long)(h->o.lookup_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (pthread_mutex_timedlock(&h->rmu, &ts) != 0) {
		copy_str(out->by, sizeof(out->by), "lookups busy");
		return (-1);
	}
	if (reader_ready(h, out) == -1)
		rc = -1;
	else if ((rc = lookup(h, 0, q1, msgid, "message-id", out)) == 0 &&
	    (rc = lookup(h, 1, q2, envid, "envelope-id", out)) == 0)
		rc = lookup(h, 2, q3, qid, "queue-id", out);
	pthread_mutex_unlock(&h->rmu);
	return (rc);
}

/* ---- values for headers and logs ---------------------------------- */

static void
iso_time(char *dst, size_t len, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(dst, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		copy_str(dst, len, "");
}

/* Append s to b for a header: ASCII, no controls, specials as %HH. */
static int
hdr_value(struct buf *b, const char *s, size_t max)
{
	const unsigned char *p;
	size_t n = 0;
	int rc = 0;

	for (p = (const unsigned char *)s; *p && n < max && rc == 0; p++, n++) {
		if (*p < 0x20 || *p == 0x7f)
			continue;
		if (*p >= 0x80 || *p == ';' || *p == '<' || *p == '>' ||
		    *p == '"' || *p == '\\' || *p == ' ' || *p == '%')
			rc = buf_printf(b, "%%%02X", *p);
		else
			rc = buf_addc(b, *p);
	}
	return (rc);
}

static int
finish(struct buf *b, int rc, char *dst, size_t len)
{
	int n = -1;

	if (len > 0)
		dst[0] = '\0';
	if (rc == 0 && b->p != NULL && b->len < len) {
		memcpy(dst, b->p, b->len + 1);
		n = (int)b->len;
	}
	buf_free(b);
	return (n);
}

int
history_header(const struct hist_match *m, char *dst, size_t len)
{
	struct buf b = BUF_INIT;
	char when[32];
	int rc;

	iso_time(when, sizeof(when), m->sent);
	rc = buf_adds(&b, "message-id=<");
	rc |= hdr_value(&b, m->message_id, 256);
	rc |= buf_printf(&b, ">; sent=%s; from=<", when);
	rc |= hdr_value(&b, m->from, 256);
	rc |= buf_adds(&b, ">");
	return (finish(&b, rc, dst, len));
}

/* Append a log value: bare when safe, else quoted with \ escapes. */
static int
log_value(struct buf *b, const char *s)
{
	const unsigned char *p;
	int bare = *s != '\0', rc = 0;

	for (p = (const unsigned char *)s; *p && bare; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '\\' ||
		    *p == '=')
			bare = 0;
	if (!bare)
		rc |= buf_addc(b, '"');
	for (p = (const unsigned char *)s; *p && rc == 0; p++) {
		if (*p < 0x20 || *p == 0x7f)
			rc |= buf_addc(b, ' ');
		else {
			if (!bare && (*p == '"' || *p == '\\'))
				rc |= buf_addc(b, '\\');
			rc |= buf_addc(b, *p);
		}
	}
	if (!bare)
		rc |= buf_addc(b, '"');
	return (rc);
}

int
history_log_keys(const struct hist_match *m, time_t bounced, char *dst,
    size_t len)
{
	struct buf b = BUF_INIT, id = BUF_INIT;
	char when[32];
	long long ttb;
	int rc;

	iso_time(when, sizeof(when), m->sent);
	ttb = (long long)bounced - (long long)m->sent;
	if (ttb < 0)
		ttb = 0;
	rc = buf_addc(&id, '<');
	rc |= buf_add(&id, m->message_id, strnlen(m->message_id, 256));
	rc |= buf_addc(&id, '>');
	rc |= buf_adds(&b, "orig_msgid=");
	if (rc == 0)
		rc |= log_value(&b, id.p);
	rc |= buf_printf(&b, " sent=%s ttb=%lld", when, ttb);
	buf_free(&id);
	return (finish(&b, rc, dst, len));
}

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
	long long ttb;

	clean_copy(id, sizeof(id), m->message_id, 256);
	snprintf(v->message_id, sizeof(v->message_id), "<%s>", id);
	clean_copy(v->from, sizeof(v->from), m->from, 256);
	iso_time(v->sent, sizeof(v->sent), m->sent);
	ttb = (long long)bounced - (long long)m->sent;
	v->ttb = ttb < 0 ? 0 : (long)ttb;
}

/* ---- flush, stats --------------------------------------------------- */

int
history_flush(struct history *h, int timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	if (h == NULL)
		return (0);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&h->mu);
	pthread_cond_signal(&h->cv);
	while ((h->head != NULL || !h->idle) && rc == 0)
		if (pthread_cond_timedwait(&h->idle_cv, &h->mu, &ts) != 0)
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
