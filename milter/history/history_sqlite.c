/*
 * history_sqlite.c - the history store's SQLite backend; see
 *	history_int.h
 *
 * SYNOPSIS
 *	extern const struct hist_backend hist_sqlite;
 *	int	hist_sqlite_query(const char *path, const char *sql,
 *		    long long arg, hist_row_fn *fn, void *fnarg, char *err,
 *		    size_t errlen);
 *
 * DESCRIPTION
 *	One database file in WAL mode.  Two connections: the writer
 *	thread's read-write one (s->db), used by nothing else, and the
 *	lookups' read-only one (s->rdb) behind s->rmu, reopened when the
 *	writer reopened the file (s->gen).  The schema's version is PRAGMA
 *	user_version; open creates the file or migrates an older one, one
 *	step per version, each in its own transaction.  A failed write
 *	is named by trouble_kind() ("locked", "full", "read-only",
 *	"removed", ...); a lock is worth waiting out, a removed file, an
 *	I/O error or a corrupt file break the connection.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "history_int.h"
#include "mclock.h"

#define PRUNE_CHUNK	2000		/* rows deleted per statement */

struct hsq {
	char		*path;
	char		*host;
	int		 busy_ms;
	int		 lookup_ms;

	/* writer thread only */
	sqlite3		*db;
	sqlite3_stmt	*ins_out, *ins_bounce, *prune_out, *prune_bounce;

	/* lookups */
	pthread_mutex_t	 gmu;		/* gen */
	int		 gen;		/* bumped when the writer reopened */
	struct mlock	 rmu;		/* timed: mclock.h */
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

	/* 3: which milter wrote the row (several share one database) */
	("ALTER TABLE outgoing ADD COLUMN host TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE bounce ADD COLUMN host TEXT NOT NULL DEFAULT '';"),
};

static void
copy_str(char *dst, size_t len, const char *s)
{
	if (len > 0)
		snprintf(dst, len, "%s", s != NULL ? s : "");
}

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
			snprintf(err, errlen, "%s: %.400s", path, e);
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
			    "version %d: %.400s", path, v + 1, e);
			goto fail;
		}
	}
	exec_sql(db, "COMMIT", NULL, 0);
	return (0);
fail:
	exec_sql(db, "ROLLBACK", NULL, 0);
	return (-1);
}

/* ---- trouble ---------------------------------------------------- */

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

/* A short name for what went wrong, from an extended result code. */
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
fail_set(struct hsq *s, struct hist_fail *f, int rc, const char *detail)
{
	f->kind = trouble_kind(s->path, rc);
	f->retry = strcmp(f->kind, "locked") == 0;
	f->broken = trouble_breaks(rc);
	snprintf(f->detail, sizeof(f->detail), "%s", detail);
}

/* ---- the writer's connection ------------------------------------ */

static void
sq_close(void *arg)
{
	struct hsq *s = arg;

	sqlite3_finalize(s->ins_out);
	sqlite3_finalize(s->ins_bounce);
	sqlite3_finalize(s->prune_out);
	sqlite3_finalize(s->prune_bounce);
	s->ins_out = s->ins_bounce = s->prune_out = s->prune_bounce = NULL;
	if (s->db != NULL)
		sqlite3_close_v2(s->db);
	s->db = NULL;
}

static int
prepare(struct hsq *s, sqlite3_stmt **st, const char *sql, char *err,
    size_t errlen)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) == SQLITE_OK)
		return (0);
	snprintf(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
	return (-1);
}

static int
wal_mode(struct hsq *s, char *err, size_t errlen)
{
	sqlite3_stmt *st;
	const char *mode = "";

	/* journal_mode answers with the mode it got */
	if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", s->path,
		    sqlite3_errmsg(s->db));
		return (-1);
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		mode = (const char *)sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		snprintf(err, errlen, "%s: cannot use WAL mode: %s", s->path,
		    sqlite3_errmsg(s->db));
		sqlite3_finalize(st);
		return (-1);
	}
	sqlite3_finalize(st);
	return (0);
}

/* Open (create, migrate) the writer's connection: 0; -1 failed, try
   again later; -2 refused for good (not a database, newer schema). */
static int
sq_open(void *arg, struct hist_fail *f)
{
	struct hsq *s = arg;
	char err[512];
	int rc;

	sq_close(s);
	rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, sizeof(err), "%s: %s", s->path,
		    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, s->busy_ms);
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		snprintf(err, sizeof(err), "%s: the file, its directory or the "
		    "file system is read-only", s->path);
		fail_set(s, f, SQLITE_READONLY, err);
		sq_close(s);
		return (-1);
	}
	if (wal_mode(s, err, sizeof(err)) == -1 ||
	    exec_sql(s->db, "PRAGMA synchronous = NORMAL", err,
	    sizeof(err)) == -1)
		goto fail;
	if ((rc = migrate(s->db, s->path, err, sizeof(err))) != 0) {
		fail_set(s, f, sqlite3_extended_errcode(s->db), err);
		sq_close(s);
		return (rc);
	}
	if (prepare(s, &s->ins_out, "INSERT INTO outgoing (sent, queue_id,"
	    " message_id, envelope_id, sender, rcpts, spf, dkim, host, nrcpt,"
	    " size) VALUES (?,?,?,?,?,?,?,?,?,?,?)", err, sizeof(err)) == -1 ||
	    prepare(s, &s->ins_bounce, "INSERT INTO bounce (received,"
	    " queue_id, rcpt, domain, status, reply, reason, cause, side,"
	    " kind, hint, format, reporting_mta, orig_msgid, orig_from,"
	    " matched_by, host, hard, orig_sent) VALUES"
	    " (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", err,
	    sizeof(err)) == -1 ||
	    prepare(s, &s->prune_out, "DELETE FROM outgoing WHERE id IN"
	    " (SELECT id FROM outgoing WHERE sent < ? LIMIT 2000)",
	    err, sizeof(err)) == -1 ||
	    prepare(s, &s->prune_bounce, "DELETE FROM bounce WHERE id IN"
	    " (SELECT id FROM bounce WHERE received < ? LIMIT 2000)",
	    err, sizeof(err)) == -1)
		goto fail;
	pthread_mutex_lock(&s->gmu);
	s->gen++;
	pthread_mutex_unlock(&s->gmu);
	return (0);
fail:
	rc = s->db != NULL ? sqlite3_extended_errcode(s->db) : rc;
	if (rc == SQLITE_OK)
		rc = SQLITE_CANTOPEN;
	fail_set(s, f, rc, err);
	sq_close(s);
	return ((rc & 0xff) == SQLITE_NOTADB ? -2 : -1);
}

static int
sq_is_open(void *arg)
{
	return (((struct hsq *)arg)->db != NULL);
}

static int
moved(struct hsq *s)
{
	int m = 0;

	if (s->db == NULL)
		return (0);
	if (sqlite3_file_control(s->db, "main", SQLITE_FCNTL_HAS_MOVED,
	    &m) != SQLITE_OK)
		return (0);
	return (m);
}

static int
sq_ready(void *arg, struct hist_fail *f)
{
	struct hsq *s = arg;

	if (!moved(s))
		return (0);
	f->kind = "removed";
	f->retry = 0;
	f->broken = 1;
	snprintf(f->detail, sizeof(f->detail), "%s was removed or replaced "
	    "while open; creating it again", s->path);
	return (-1);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s != NULL ? s : "", -1, SQLITE_STATIC);
}

static int
insert(struct hsq *s, const struct hitem *it)
{
	sqlite3_stmt *st;
	int i, n, rc;

	st = it->kind == ITEM_OUT ? s->ins_out : s->ins_bounce;
	n = it->kind == ITEM_OUT ? O_NF : B_NF;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)it->when);
	for (i = 0; i < n; i++)
		bind_text(st, i + 2, it->f[i]);
	bind_text(st, n + 2, s->host);
	sqlite3_bind_int64(st, n + 3, it->n1);
	sqlite3_bind_int64(st, n + 4, it->n2);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rc == SQLITE_DONE ? SQLITE_OK : rc);
}

static int
sq_write(void *arg, const struct hitem *batch, struct hist_fail *f)
{
	struct hsq *s = arg;
	const struct hitem *it;
	char detail[512];
	int rc;

	rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	for (it = batch; rc == SQLITE_OK && it != NULL; it = it->next)
		rc = insert(s, it);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		return (0);
	if (sqlite3_system_errno(s->db) != 0)
		snprintf(detail, sizeof(detail), "%s: %s",
		    sqlite3_errmsg(s->db),
		    strerror(sqlite3_system_errno(s->db)));
	else
		snprintf(detail, sizeof(detail), "%s", sqlite3_errmsg(s->db));
	fail_set(s, f, rc, detail);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	if (rc == SQLITE_READONLY_DBMOVED || moved(s)) {
		f->kind = "removed";
		f->retry = 0;
		f->broken = 1;
		snprintf(f->detail, sizeof(f->detail), "the file was removed "
		    "while open");
	}
	return (-1);
}

static long
sq_prune(void *arg, time_t cut, int *more)
{
	struct hsq *s = arg;
	int n1 = 0, n2 = 0, rc;

	*more = 0;
	if (s->db == NULL)
		return (0);
	sqlite3_bind_int64(s->prune_out, 1, (sqlite3_int64)cut);
	rc = sqlite3_step(s->prune_out);
	n1 = rc == SQLITE_DONE ? sqlite3_changes(s->db) : 0;
	sqlite3_reset(s->prune_out);
	sqlite3_bind_int64(s->prune_bounce, 1, (sqlite3_int64)cut);
	rc = sqlite3_step(s->prune_bounce);
	n2 = rc == SQLITE_DONE ? sqlite3_changes(s->db) : 0;
	sqlite3_reset(s->prune_bounce);
	*more = n1 >= PRUNE_CHUNK || n2 >= PRUNE_CHUNK;
	return ((long)n1 + n2);
}

/* ---- lookups ---------------------------------------------------- */

static void
reader_close(struct hsq *s)
{
	int i;

	for (i = 0; i < 3; i++) {
		sqlite3_finalize(s->rq[i]);
		s->rq[i] = NULL;
	}
	if (s->rdb != NULL)
		sqlite3_close_v2(s->rdb);
	s->rdb = NULL;
}

static int
reader_ready(struct hsq *s, struct hist_match *out)
{
	int gen, rc;

	pthread_mutex_lock(&s->gmu);
	gen = s->gen;
	pthread_mutex_unlock(&s->gmu);
	if (s->rdb != NULL && s->rgen == gen)
		return (0);
	reader_close(s);
	rc = sqlite3_open_v2(s->path, &s->rdb, SQLITE_OPEN_READONLY |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		copy_str(out->by, sizeof(out->by), s->rdb ?
		    sqlite3_errmsg(s->rdb) : sqlite3_errstr(rc));
		if (s->rdb != NULL)
			sqlite3_close_v2(s->rdb);
		s->rdb = NULL;
		return (-1);
	}
	sqlite3_busy_timeout(s->rdb, s->lookup_ms);
	s->rgen = gen;
	return (0);
}

/* Run one lookup; 1 found, 0 not, -1 error. */
static int
lookup(struct hsq *s, int i, const char *key, struct hist_match *out)
{
	static const char *const sql[3] = {
	    "SELECT message_id, sender, queue_id, sent FROM outgoing"
	    " WHERE message_id = ?1 ORDER BY sent DESC, id DESC LIMIT 1",
	    "SELECT message_id, sender, queue_id, sent FROM outgoing"
	    " WHERE envelope_id = ?1 OR message_id = ?1 OR queue_id = ?1"
	    " ORDER BY sent DESC, id DESC LIMIT 1",
	    "SELECT message_id, sender, queue_id, sent FROM outgoing"
	    " WHERE queue_id = ?1 ORDER BY sent DESC, id DESC LIMIT 1",
	};
	static const char *const by[3] = { "message-id", "envelope-id",
	    "queue-id" };
	sqlite3_stmt *st;
	int rc;

	if (*key == '\0')
		return (0);
	if (s->rq[i] == NULL && sqlite3_prepare_v3(s->rdb, sql[i], -1,
	    SQLITE_PREPARE_PERSISTENT, &s->rq[i], NULL) != SQLITE_OK) {
		copy_str(out->by, sizeof(out->by), sqlite3_errmsg(s->rdb));
		return (-1);
	}
	st = s->rq[i];
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		copy_str(out->message_id, sizeof(out->message_id),
		    (const char *)sqlite3_column_text(st, 0));
		copy_str(out->from, sizeof(out->from),
		    (const char *)sqlite3_column_text(st, 1));
		copy_str(out->queue_id, sizeof(out->queue_id),
		    (const char *)sqlite3_column_text(st, 2));
		out->sent = (time_t)sqlite3_column_int64(st, 3);
		copy_str(out->by, sizeof(out->by), by[i]);
		rc = 1;
	} else if (rc == SQLITE_DONE)
		rc = 0;
	else {
		copy_str(out->by, sizeof(out->by), sqlite3_errmsg(s->rdb));
		rc = -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return (rc);
}

static int
sq_lookup(void *arg, const char *const keys[3], struct hist_match *out)
{
	struct hsq *s = arg;
	struct timespec ts;
	int rc, i;

	mclock_after(&ts, s->lookup_ms);
	if (mlock_take(&s->rmu, &ts) != 0) {
		copy_str(out->by, sizeof(out->by), "lookups busy");
		return (-1);
	}
	rc = reader_ready(s, out);
	for (i = 0; rc == 0 && i < 3; i++)
		rc = lookup(s, i, keys[i], out);
	mlock_release(&s->rmu);
	return (rc);
}

/* ---- new, free ---------------------------------------------------- */

static void *
sq_new(const struct hist_be_conf *c)
{
	struct hsq *s;

	if (sqlite3_threadsafe() == 0)
		return (NULL);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (NULL);
	if ((s->path = strdup(c->target)) == NULL ||
	    (s->host = strdup(c->host)) == NULL) {
		free(s->path);
		free(s);
		return (NULL);
	}
	s->busy_ms = c->o->busy_ms;
	s->lookup_ms = c->o->lookup_ms;
	pthread_mutex_init(&s->gmu, NULL);
	(void)mlock_init(&s->rmu);
	s->rgen = -1;
	return (s);
}

static void
sq_free(void *arg)
{
	struct hsq *s = arg;

	if (s == NULL)
		return;
	sq_close(s);
	reader_close(s);
	mlock_free(&s->rmu);
	pthread_mutex_destroy(&s->gmu);
	free(s->host);
	free(s->path);
	free(s);
}

const struct hist_backend hist_sqlite = {
	"sqlite", 2, 0, sq_new, sq_free, sq_open, sq_close, sq_is_open, sq_ready,
	sq_write, sq_prune, sq_lookup, NULL, NULL, NULL
};

/* ---- the reports' access ------------------------------------------ */

int
hist_sqlite_query(const char *path, const char *sql, long long arg,
    hist_row_fn *fn, void *fnarg, char *err, size_t errlen)
{
	const char *vals[32];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc, i, n;

	if ((rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL)) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return (-1);
	}
	sqlite3_busy_timeout(db, HISTORY_BUSY_MS);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close_v2(db);
		return (-1);
	}
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, (sqlite3_int64)arg);
	n = sqlite3_column_count(st);
	if (n > 32)
		n = 32;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < n; i++) {
			vals[i] = (const char *)sqlite3_column_text(st, i);
			if (vals[i] == NULL)
				vals[i] = "";
		}
		if (fn(fnarg, n, vals) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sqlite3_close_v2(db);
		return (-1);
	}
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return (0);
}
