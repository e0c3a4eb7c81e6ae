/*
 * history_pg.c - the history store's PostgreSQL backend, through libpq;
 *	see history_int.h
 *
 * SYNOPSIS
 *	extern const struct hist_backend hist_pg;
 *	int	hist_is_url(const char *target);
 *	void	hist_url_name(char *dst, size_t len, const char *url);
 *	int	hist_pg_query(const char *url, const char *sql,
 *		    long long arg, hist_row_fn *fn, void *fnarg, char *err,
 *		    size_t errlen);
 *
 * DESCRIPTION
 *	One server shared by several milters: the relays record what they
 *	send, the MX hosts the bounces, each row with the host that wrote
 *	it.  The URL is a libpq connection URI (postgresql://...); the
 *	password comes from ~/.pgpass or PGPASSFILE, TLS from its sslmode
 *	parameter, all as libpq reads them.
 *
 *	Two connections, each used by one side only: the writer thread's
 *	(p->w), and the lookups' (p->r, behind p->rmu).  Every exchange
 *	with the server is asynchronous and has a deadline: PG_CONNECT_MS
 *	to connect (or the URL's connect_timeout), PG_IO_MS for a batch,
 *	lookup_ms for a lookup.  A
 *	lookup never connects: when the lookups' connection is down it
 *	fails at once, and the writer thread connects it again (tick(),
 *	with a backoff doubling up to PG_BACKOFF_MAX seconds).  A lookup
 *	that runs out of time closes its connection (it cannot be reused
 *	while the answer is pending).
 *
 *	The schema is the SQLite one, in PostgreSQL's types, text compared
 *	byte by byte (COLLATE "C", as SQLite does) so that the reports are
 *	the same.  Its version is the one row of history_schema.  Opening
 *	reads it; when it is older, one transaction per step migrates it,
 *	under an advisory lock so that milters starting together take
 *	turns.  A role without the right to create tables can run on a
 *	schema another role created (see bounce-milter(8)).
 *
 *	hist_is_url() is 1 for "postgresql://..." and "postgres://...".
 *	hist_url_name() writes url without its password, for log lines.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "history_int.h"
#include "mclock.h"

#define PG_CONNECT_MS	5000	/* to connect, at most */
#define PG_IO_MS	10000	/* one batch, one migration step */
#define PG_BACKOFF_MAX	30	/* seconds between connection attempts */
#define PG_LOCK_KEY	"7236312418427617861"	/* advisory lock */
#define PRUNE_CHUNK	2000

struct hpg {
	char		*url;
	char		*name;
	char		*host;
	int		 lookup_ms;
	int		 closing;	/* atomic: history_close() waits */

	PGconn		*w;		/* writer thread only */

	struct mlock	 rmu;		/* r; timed: mclock.h */
	PGconn		*r;		/* lookups; NULL: down */
	time_t		 r_next;	/* writer: next connection attempt */
	int		 r_backoff;
	char		 r_why[256];	/* why r is down */
};

static const char *const schema[HISTORY_SCHEMA_VERSION] = {
	/* 1: what we sent, what came back */
	"CREATE TABLE history_schema (version integer NOT NULL);"
	"INSERT INTO history_schema VALUES (0);"
	"CREATE TABLE outgoing ("
	" id BIGSERIAL PRIMARY KEY,"
	" sent BIGINT NOT NULL,"
	" queue_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" message_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" sender TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" rcpts TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" nrcpt BIGINT NOT NULL DEFAULT 0,"
	" size BIGINT NOT NULL DEFAULT 0,"
	" spf TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" dkim TEXT COLLATE \"C\" NOT NULL DEFAULT '');"
	"CREATE INDEX outgoing_message_id ON outgoing(message_id);"
	"CREATE INDEX outgoing_queue_id ON outgoing(queue_id);"
	"CREATE INDEX outgoing_sent ON outgoing(sent);"
	"CREATE TABLE bounce ("
	" id BIGSERIAL PRIMARY KEY,"
	" received BIGINT NOT NULL,"
	" queue_id TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" rcpt TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" domain TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" status TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" reply TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" reason TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" cause TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" side TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" hard INTEGER NOT NULL DEFAULT 0,"
	" kind TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" hint TEXT COLLATE \"C\" NOT NULL DEFAULT '',"
	" orig_msgid TEXT COLLATE \"C\" NOT NULL DEFAULT '');"
	"CREATE INDEX bounce_received ON bounce(received);",

	/* 2: correlation and the report's grouping */
	"ALTER TABLE outgoing ADD COLUMN envelope_id TEXT COLLATE \"C\""
	" NOT NULL DEFAULT '';"
	"CREATE INDEX outgoing_envelope_id ON outgoing(envelope_id);"
	"ALTER TABLE bounce ADD COLUMN format TEXT COLLATE \"C\" NOT NULL"
	" DEFAULT '';"
	"ALTER TABLE bounce ADD COLUMN reporting_mta TEXT COLLATE \"C\""
	" NOT NULL DEFAULT '';"
	"ALTER TABLE bounce ADD COLUMN orig_from TEXT COLLATE \"C\" NOT NULL"
	" DEFAULT '';"
	"ALTER TABLE bounce ADD COLUMN orig_sent BIGINT NOT NULL DEFAULT 0;"
	"ALTER TABLE bounce ADD COLUMN matched_by TEXT COLLATE \"C\" NOT NULL"
	" DEFAULT '';"
	"CREATE INDEX bounce_domain_cause ON bounce(domain, cause, received);",

	/* 3: which milter wrote the row */
	"ALTER TABLE outgoing ADD COLUMN host TEXT COLLATE \"C\" NOT NULL"
	" DEFAULT '';"
	"ALTER TABLE bounce ADD COLUMN host TEXT COLLATE \"C\" NOT NULL"
	" DEFAULT '';",
};

static const char find_sql[] =
    "(SELECT message_id, sender, queue_id, sent, 1 AS k FROM outgoing"
    " WHERE $1 <> '' AND message_id = $1 ORDER BY sent DESC, id DESC"
    " LIMIT 1) UNION ALL"
    " (SELECT message_id, sender, queue_id, sent, 2 FROM outgoing"
    " WHERE $2 <> '' AND (envelope_id = $2 OR message_id = $2 OR"
    " queue_id = $2) ORDER BY sent DESC, id DESC LIMIT 1) UNION ALL"
    " (SELECT message_id, sender, queue_id, sent, 3 FROM outgoing"
    " WHERE $3 <> '' AND queue_id = $3 ORDER BY sent DESC, id DESC"
    " LIMIT 1) ORDER BY k LIMIT 1";

/* ---- URLs ------------------------------------------------------- */

int
hist_is_url(const char *t)
{
	return (t != NULL && (strncmp(t, "postgresql://", 13) == 0 ||
	    strncmp(t, "postgres://", 11) == 0));
}

/* The URL for log lines: user:password@ loses its password, and a
   password= parameter its value. */
void
hist_url_name(char *dst, size_t len, const char *url)
{
	const char *p, *at, *colon, *end, *pw;
	size_t o = 0;

	if (len == 0)
		return;
	dst[0] = '\0';
	p = strstr(url, "://");
	p = p != NULL ? p + 3 : url;
	end = p + strcspn(p, "/?");
	at = memchr(p, '@', (size_t)(end - p));
	colon = at != NULL ? memchr(p, ':', (size_t)(at - p)) : NULL;
	if (colon != NULL)
		o = (size_t)snprintf(dst, len, "%.*s%s", (int)(colon - url),
		    url, at);
	else
		o = (size_t)snprintf(dst, len, "%s", url);
	(void)o;
	/* a password= value (even one cut short) becomes ***, or is cut
	   off when there is no room for that */
	if ((pw = strstr(dst, "password=")) != NULL) {
		end = pw + 9 + strcspn(pw + 9, "&");
		if (end - (pw + 9) >= 3) {
			memmove((char *)pw + 9 + 3, end, strlen(end) + 1);
			memcpy((char *)pw + 9, "***", 3);
		} else
			((char *)pw)[9] = '\0';
	}
}

/* ---- the exchanges, each with a deadline ---------------------------- */

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* Wait until the socket is ready for events or the deadline passed:
   1 ready, 0 timed out, -1 error. */
static int
wait_sock(PGconn *c, short events, long long deadline, const int *closing)
{
	struct pollfd pfd;
	long long left;
	int rc;

	pfd.fd = PQsocket(c);
	pfd.events = events;
	if (pfd.fd < 0)
		return (-1);
	for (;;) {
		left = deadline - now_ms();
		if (left <= 0 || (closing != NULL &&
		    __atomic_load_n(closing, __ATOMIC_RELAXED)))
			return (0);
		rc = poll(&pfd, 1, left > 100 ? 100 : (int)left);
		if (rc == 0)
			continue;
		if (rc > 0)
			return (1);
		if (errno != EINTR)
			return (-1);
	}
}

static void
msg_copy(char *dst, size_t len, const char *s)
{
	size_t n;

	snprintf(dst, len, "%s", s != NULL && *s ? s : "no answer");
	n = strlen(dst);
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == ' '))
		dst[--n] = '\0';
	for (n = 0; dst[n]; n++)
		if (dst[n] == '\n' || dst[n] == '\t')
			dst[n] = ' ';
}

/* connect_timeout of the URL (or PGCONNECT_TIMEOUT) in ms, else 0 */
static int
url_timeout(PGconn *c)
{
	PQconninfoOption *o, *i;
	int t = 0;

	if ((o = PQconninfo(c)) == NULL)
		return (0);
	for (i = o; i->keyword != NULL; i++)
		if (strcmp(i->keyword, "connect_timeout") == 0 &&
		    i->val != NULL && atoi(i->val) > 0)
			t = atoi(i->val) < 600 ? atoi(i->val) * 1000 : 600000;
	PQconninfoFree(o);
	return (t);
}

/* Connect within ms (or the URL's connect_timeout): the connection, or
   NULL with why in err. */
static PGconn *
pg_connect(const char *url, int ms, char *err, size_t errlen,
    const int *closing)
{
	static const char *const keys[] = { "dbname",
	    "fallback_application_name", NULL };
	const char *vals[] = { url, "bounce-milter", NULL };
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	long long deadline = now_ms() + ms;
	PGconn *c;
	int rc, t;

	if ((c = PQconnectStartParams(keys, vals, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	if (PQstatus(c) == CONNECTION_BAD) {
		msg_copy(err, errlen, PQerrorMessage(c));
		PQfinish(c);
		return (NULL);
	}
	if ((t = url_timeout(c)) > 0) {
		ms = t;
		deadline = now_ms() + ms;
	}
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		rc = wait_sock(c, st == PGRES_POLLING_READING ? POLLIN :
		    POLLOUT, deadline, closing);
		if (rc == 0) {
			snprintf(err, errlen, "no answer within %d ms while "
			    "connecting", ms);
			PQfinish(c);
			return (NULL);
		}
		if (rc == -1)
			break;
		st = PQconnectPoll(c);
	}
	if (PQstatus(c) != CONNECTION_OK) {
		msg_copy(err, errlen, PQerrorMessage(c));
		PQfinish(c);
		return (NULL);
	}
	PQsetnonblocking(c, 1);
	return (c);
}

/* Wait for the results of what was sent until the deadline: the first
   failed result, else the last one; NULL with *timedout, or when the
   connection failed. */
static PGresult *
pg_wait(PGconn *c, long long deadline, int *timedout, const int *closing)
{
	PGresult *res, *keep = NULL;
	int rc;

	*timedout = 0;
	while ((rc = PQflush(c)) == 1)
		if ((rc = wait_sock(c, POLLOUT | POLLIN, deadline, closing)) <= 0) {
			*timedout = rc == 0;
			return (NULL);
		}
	if (rc == -1)
		return (NULL);
	for (;;) {
		while (PQisBusy(c)) {
			if ((rc = wait_sock(c, POLLIN, deadline, closing)) <= 0) {
				*timedout = rc == 0;
				PQclear(keep);
				return (NULL);
			}
			if (!PQconsumeInput(c)) {
				PQclear(keep);
				return (NULL);
			}
		}
		if ((res = PQgetResult(c)) == NULL)
			break;
		if (keep != NULL && PQresultStatus(keep) == PGRES_FATAL_ERROR) {
			PQclear(res);
			continue;
		}
		PQclear(keep);
		keep = res;
	}
	return (keep);
}

/* Send one command (params when n >= 0, else the simple protocol that
   takes several statements; the prepared statement name when not
   NULL) and wait for its results (pg_wait()). */
static PGresult *
pg_run(PGconn *c, const char *name, const char *sql, int n,
    const char *const *vals, long long deadline, int *timedout,
    const int *closing)
{
	int ok;

	*timedout = 0;
	if (name != NULL)
		ok = PQsendQueryPrepared(c, name, n, vals, NULL, NULL, 0);
	else if (n >= 0)
		ok = PQsendQueryParams(c, sql, n, NULL, vals, NULL, NULL, 0);
	else
		ok = PQsendQuery(c, sql);
	if (!ok)
		return (NULL);
	return (pg_wait(c, deadline, timedout, closing));
}

static int
res_ok(const PGresult *r)
{
	return (r != NULL && (PQresultStatus(r) == PGRES_COMMAND_OK ||
	    PQresultStatus(r) == PGRES_TUPLES_OK));
}

/* Name a failure: from the result's SQLSTATE, or the connection. */
static void
fail_from(PGconn *c, PGresult *r, int timedout, struct hist_fail *f)
{
	const char *st = r != NULL ?
	    PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	f->retry = f->broken = 0;
	if (timedout) {
		f->kind = "timed out";
		f->broken = 1;
		snprintf(f->detail, sizeof(f->detail), "no answer from the "
		    "server in time");
		return;
	}
	msg_copy(f->detail, sizeof(f->detail), r != NULL ?
	    PQresultErrorMessage(r) : PQerrorMessage(c));
	if (r == NULL || PQstatus(c) == CONNECTION_BAD || st == NULL) {
		f->kind = "connection lost";
		f->broken = 1;
		return;
	}
	if (strcmp(st, "42501") == 0)
		f->kind = "permission denied";
	else if (strncmp(st, "53", 2) == 0)
		f->kind = "full";
	else if (strcmp(st, "25006") == 0) {
		f->kind = "read-only";
		f->broken = 1;		/* a standby: the next may not be */
	} else if (strcmp(st, "40001") == 0 || strcmp(st, "40P01") == 0 ||
	    strcmp(st, "55P03") == 0) {
		f->kind = "locked";
		f->retry = 1;
	} else if (strncmp(st, "57P", 3) == 0 || strncmp(st, "08", 2) == 0) {
		f->kind = "server going away";
		f->broken = 1;
	} else if (strcmp(st, "42P01") == 0 || strcmp(st, "42703") == 0) {
		f->kind = "no schema";
		f->broken = 1;		/* opening again migrates it */
	} else
		f->kind = "error";
}

/* ---- the schema ------------------------------------------------- */

/* The schema's version: >= 0; -1 no schema yet; -2 failed (f set).
   Asks whether the table is there first: a failed statement would
   end the transaction a migration runs in. */
static int
schema_version(PGconn *c, long long deadline, struct hist_fail *f,
    const int *cl)
{
	PGresult *r;
	int to, v = -1;

	r = pg_run(c, NULL, "SELECT to_regclass('history_schema') IS NULL",
	    0, NULL, deadline, &to, cl);
	if (res_ok(r) && PQntuples(r) == 1 &&
	    strcmp(PQgetvalue(r, 0, 0), "t") == 0) {
		PQclear(r);
		return (-1);
	}
	if (res_ok(r)) {
		PQclear(r);
		r = pg_run(c, NULL, "SELECT coalesce(max(version), 0) FROM "
		    "history_schema", 0, NULL, deadline, &to, cl);
	}
	if (res_ok(r) && PQntuples(r) == 1) {
		v = atoi(PQgetvalue(r, 0, 0));
		PQclear(r);
		return (v);
	}
	fail_from(c, r, to, f);
	PQclear(r);
	return (-2);
}

static int
exec_ok(PGconn *c, const char *sql, long long deadline, struct hist_fail *f,
    const int *cl)
{
	PGresult *r;
	int to;

	r = pg_run(c, NULL, sql, -1, NULL, deadline, &to, cl);
	if (res_ok(r)) {
		PQclear(r);
		return (0);
	}
	fail_from(c, r, to, f);
	PQclear(r);
	return (-1);
}

/* Bring the schema to HISTORY_SCHEMA_VERSION: 0, -1, -2 (newer). */
static int
migrate(struct hpg *p, PGconn *c, struct hist_fail *f)
{
	const int *cl = &p->closing;
	char sql[128], e[sizeof(f->detail)];
	int v;

	v = schema_version(c, now_ms() + PG_IO_MS, f, cl);
	if (v == HISTORY_SCHEMA_VERSION)
		return (0);
	if (v == -2)
		return (-1);
	for (;;) {
		if (exec_ok(c, "BEGIN; SELECT pg_advisory_xact_lock("
		    PG_LOCK_KEY ")", now_ms() + PG_IO_MS, f, cl) == -1)
			return (-1);
		if ((v = schema_version(c, now_ms() + PG_IO_MS, f, cl)) == -2)
			goto fail;
		if (v == -1)
			v = 0;
		if (v > HISTORY_SCHEMA_VERSION) {
			f->kind = "schema newer";
			snprintf(f->detail, sizeof(f->detail), "%s: schema "
			    "version %d is newer than this program's (%d)",
			    p->name, v, HISTORY_SCHEMA_VERSION);
			exec_ok(c, "ROLLBACK", now_ms() + PG_IO_MS, f, cl);
			return (-2);
		}
		if (v == HISTORY_SCHEMA_VERSION)
			break;
		snprintf(sql, sizeof(sql), "UPDATE history_schema SET "
		    "version = %d; COMMIT", v + 1);
		if (exec_ok(c, schema[v], now_ms() + PG_IO_MS, f, cl) == -1 ||
		    exec_ok(c, sql, now_ms() + PG_IO_MS, f, cl) == -1) {
			memcpy(e, f->detail, sizeof(e));
			snprintf(f->detail, sizeof(f->detail), "migrating the "
			    "schema to version %d: %.400s", v + 1, e);
			goto fail;
		}
	}
	exec_ok(c, "COMMIT", now_ms() + PG_IO_MS, f, cl);
	return (0);
fail:
	if (PQstatus(c) == CONNECTION_OK)
		exec_ok(c, "ROLLBACK", now_ms() + PG_IO_MS, f, cl);
	return (-1);
}

/* ---- the writer's connection ------------------------------------ */

static void pg_tick(void *);

static void
pg_close(void *arg)
{
	struct hpg *p = arg;

	if (p->w != NULL)
		PQfinish(p->w);
	p->w = NULL;
}

static int
pg_open(void *arg, struct hist_fail *f)
{
	struct hpg *p = arg;
	int rc;

	pg_close(p);
	if ((p->w = pg_connect(p->url, PG_CONNECT_MS, f->detail,
	    sizeof(f->detail), &p->closing)) == NULL) {
		f->kind = "cannot connect";
		f->broken = 1;
		return (-1);
	}
	if ((rc = migrate(p, p->w, f)) != 0) {
		pg_close(p);
		return (rc);
	}
	/* the lookups' connection comes up with the writer's */
	p->r_next = 0;
	pg_tick(p);
	return (0);
}

static int
pg_is_open(void *arg)
{
	return (((struct hpg *)arg)->w != NULL);
}

static int
pg_ready(void *arg, struct hist_fail *f)
{
	struct hpg *p = arg;

	if (PQstatus(p->w) != CONNECTION_BAD)
		return (0);
	f->kind = "connection lost";
	f->broken = 1;
	msg_copy(f->detail, sizeof(f->detail), PQerrorMessage(p->w));
	return (-1);
}

/* Numbers and strings of the batch's records of one kind, as text. */
struct ins {
	struct buf	 sql;
	const char	**vals;
	char		(*nums)[24];
	int		 n;		/* params */
	int		 rows;
};

static int
ins_build(struct ins *in, const struct hitem *batch, int kind,
    const char *host)
{
	static const char out_cols[] = "INSERT INTO outgoing (sent, queue_id,"
	    " message_id, envelope_id, sender, rcpts, spf, dkim, host, nrcpt,"
	    " size) VALUES ";
	static const char b_cols[] = "INSERT INTO bounce (received,"
	    " queue_id, rcpt, domain, status, reply, reason, cause, side,"
	    " kind, hint, format, reporting_mta, orig_msgid, orig_from,"
	    " matched_by, host, hard, orig_sent) VALUES ";
	const struct hitem *it;
	int nf = kind == ITEM_OUT ? O_NF : B_NF, per = nf + 4, i, rows = 0;
	int rc = 0;

	memset(in, 0, sizeof(*in));
	for (it = batch; it != NULL; it = it->next)
		rows += it->kind == kind;
	if (rows == 0)
		return (0);
	if ((in->vals = calloc((size_t)(rows * per), sizeof(*in->vals))) ==
	    NULL || (in->nums = calloc((size_t)(rows * 3),
	    sizeof(*in->nums))) == NULL)
		return (-1);
	rc |= buf_adds(&in->sql, kind == ITEM_OUT ? out_cols : b_cols);
	for (it = batch; it != NULL; it = it->next) {
		if (it->kind != kind)
			continue;
		snprintf(in->nums[in->rows * 3], 24, "%lld",
		    (long long)it->when);
		snprintf(in->nums[in->rows * 3 + 1], 24, "%lld", it->n1);
		snprintf(in->nums[in->rows * 3 + 2], 24, "%lld", it->n2);
		rc |= buf_adds(&in->sql, in->rows ? ",(" : "(");
		in->vals[in->n++] = in->nums[in->rows * 3];
		for (i = 0; i < nf; i++)
			in->vals[in->n++] = it->f[i];
		in->vals[in->n++] = host;
		in->vals[in->n++] = in->nums[in->rows * 3 + 1];
		in->vals[in->n++] = in->nums[in->rows * 3 + 2];
		for (i = 0; i < per; i++)
			rc |= buf_printf(&in->sql, i ? ",$%d" : "$%d",
			    in->n - per + i + 1);
		rc |= buf_addc(&in->sql, ')');
		in->rows++;
	}
	return (rc ? -1 : 0);
}

static void
ins_free(struct ins *in)
{
	buf_free(&in->sql);
	free(in->vals);
	free(in->nums);
}

/* One statement of the batch: 0, or -1 with f set. */
static int
ins_run(struct hpg *p, struct ins *in, long long deadline,
    struct hist_fail *f)
{
	PGresult *r;
	int to;

	if (in->rows == 0)
		return (0);
	r = pg_run(p->w, NULL, in->sql.p, in->n, in->vals, deadline, &to,
	    &p->closing);
	if (res_ok(r)) {
		PQclear(r);
		return (0);
	}
	fail_from(p->w, r, to, f);
	PQclear(r);
	return (-1);
}

static int
pg_write(void *arg, const struct hitem *batch, struct hist_fail *f)
{
	struct hpg *p = arg;
	const int *cl = &p->closing;
	struct ins out, bo;
	long long deadline = now_ms() + PG_IO_MS;
	int rc = -1, tx;

	if (ins_build(&out, batch, ITEM_OUT, p->host) == -1 ||
	    ins_build(&bo, batch, ITEM_BOUNCE, p->host) == -1) {
		f->kind = "out of memory";
		snprintf(f->detail, sizeof(f->detail), "building the batch");
		ins_free(&out);
		ins_free(&bo);
		return (-1);
	}
	/* one statement is a transaction of its own; two need one */
	tx = out.rows > 0 && bo.rows > 0;
	if ((!tx || exec_ok(p->w, "BEGIN", deadline, f, cl) == 0) &&
	    ins_run(p, &out, deadline, f) == 0 &&
	    ins_run(p, &bo, deadline, f) == 0 &&
	    (!tx || exec_ok(p->w, "COMMIT", deadline, f, cl) == 0))
		rc = 0;
	if (rc == -1 && tx && !f->broken)
		exec_ok(p->w, "ROLLBACK", now_ms() + PG_IO_MS, f, cl);
	ins_free(&out);
	ins_free(&bo);
	return (rc);
}

static long
pg_prune(void *arg, time_t cut, int *more)
{
	static const char *const sql[2] = {
	    "DELETE FROM outgoing WHERE id IN (SELECT id FROM outgoing"
	    " WHERE sent < $1 LIMIT 2000)",
	    "DELETE FROM bounce WHERE id IN (SELECT id FROM bounce"
	    " WHERE received < $1 LIMIT 2000)",
	};
	struct hpg *p = arg;
	PGresult *r;
	char num[24];
	const char *vals[1] = { num };
	long n = 0, k;
	int i, to;

	*more = 0;
	snprintf(num, sizeof(num), "%lld", (long long)cut);
	for (i = 0; i < 2 && p->w != NULL; i++) {
		r = pg_run(p->w, NULL, sql[i], 1, vals, now_ms() + PG_IO_MS,
		    &to, &p->closing);
		if (res_ok(r)) {
			k = atol(PQcmdTuples(r));
			n += k;
			if (k >= PRUNE_CHUNK)
				*more = 1;
		} else if (r == NULL)
			pg_close(p);	/* timed out or lost: reconnect */
		PQclear(r);
	}
	return (n);
}

/* ---- lookups ---------------------------------------------------- */

/* The writer thread keeps the lookups' connection up. */
static void
pg_tick(void *arg)
{
	struct hpg *p = arg;
	PGconn *c;
	PGresult *r;
	char err[256];
	int up, to;

	(void)mlock_take(&p->rmu, NULL);
	up = p->r != NULL;
	mlock_release(&p->rmu);
	if (up || time(NULL) < p->r_next)
		return;
	c = pg_connect(p->url, PG_CONNECT_MS, err, sizeof(err), &p->closing);
	if (c != NULL) {
		r = pg_run(c, NULL, "SET default_transaction_read_only = on",
		    0, NULL, now_ms() + PG_IO_MS, &to, &p->closing);
		if (res_ok(r)) {
			PQclear(r);
			r = PQsendPrepare(c, "bm_find", find_sql, 3, NULL) ?
			    pg_wait(c, now_ms() + PG_IO_MS, &to,
			    &p->closing) : NULL;
		}
		if (!res_ok(r)) {
			if (to)
				snprintf(err, sizeof(err), "no answer in time");
			else
				msg_copy(err, sizeof(err), r != NULL ?
				    PQresultErrorMessage(r) :
				    PQerrorMessage(c));
			PQfinish(c);
			c = NULL;
		}
		PQclear(r);
	}
	if (c == NULL) {
		p->r_backoff = p->r_backoff <= 0 ? 1 : p->r_backoff * 2;
		if (p->r_backoff > PG_BACKOFF_MAX)
			p->r_backoff = PG_BACKOFF_MAX;
		p->r_next = time(NULL) + p->r_backoff;
		(void)mlock_take(&p->rmu, NULL);
		snprintf(p->r_why, sizeof(p->r_why), "%s", err);
		mlock_release(&p->rmu);
		return;
	}
	p->r_backoff = 0;
	(void)mlock_take(&p->rmu, NULL);
	if (p->r != NULL)
		PQfinish(p->r);
	p->r = c;
	mlock_release(&p->rmu);
}

static void
copy_str(char *dst, size_t len, const char *s)
{
	if (len > 0)
		snprintf(dst, len, "%s", s != NULL ? s : "");
}

static int
pg_lookup(void *arg, const char *const keys[3], struct hist_match *out)
{
	static const char *const by[3] = { "message-id", "envelope-id",
	    "queue-id" };
	struct hpg *p = arg;
	struct timespec ts;
	long long deadline = now_ms() + p->lookup_ms;
	PGresult *r;
	int to, k, rc = -1;

	mclock_after(&ts, p->lookup_ms);
	if (mlock_take(&p->rmu, &ts) != 0) {
		copy_str(out->by, sizeof(out->by), "lookups busy");
		return (-1);
	}
	if (p->r == NULL) {
		snprintf(out->by, sizeof(out->by), "not connected: %.40s",
		    *p->r_why ? p->r_why : "connecting");
		mlock_release(&p->rmu);
		return (-1);
	}
	r = pg_run(p->r, "bm_find", NULL, 3, keys, deadline, &to, NULL);
	if (res_ok(r) && PQntuples(r) == 0)
		rc = 0;
	else if (res_ok(r) && PQnfields(r) == 5) {
		copy_str(out->message_id, sizeof(out->message_id),
		    PQgetvalue(r, 0, 0));
		copy_str(out->from, sizeof(out->from), PQgetvalue(r, 0, 1));
		copy_str(out->queue_id, sizeof(out->queue_id),
		    PQgetvalue(r, 0, 2));
		out->sent = (time_t)strtoll(PQgetvalue(r, 0, 3), NULL, 10);
		k = atoi(PQgetvalue(r, 0, 4));
		copy_str(out->by, sizeof(out->by), by[k >= 1 && k <= 3 ?
		    k - 1 : 0]);
		rc = 1;
	} else {
		if (to)
			snprintf(out->by, sizeof(out->by), "no answer within "
			    "%d ms", p->lookup_ms);
		else
			msg_copy(out->by, sizeof(out->by), r != NULL ?
			    PQresultErrorMessage(r) : PQerrorMessage(p->r));
		/* an answer still pending, or a broken connection: the
		   writer thread connects again */
		if (r == NULL || PQstatus(p->r) == CONNECTION_BAD) {
			PQfinish(p->r);
			p->r = NULL;
			snprintf(p->r_why, sizeof(p->r_why), "%s", out->by);
		}
	}
	PQclear(r);
	mlock_release(&p->rmu);
	return (rc);
}

/* ---- new, free ---------------------------------------------------- */

static void *
pg_new(const struct hist_be_conf *c)
{
	struct hpg *p;

	if (!PQisthreadsafe() || (p = calloc(1, sizeof(*p))) == NULL)
		return (NULL);
	if ((p->url = strdup(c->target)) == NULL ||
	    (p->name = strdup(c->name)) == NULL ||
	    (p->host = strdup(c->host)) == NULL) {
		free(p->url);
		free(p->name);
		free(p);
		return (NULL);
	}
	p->lookup_ms = c->o->lookup_ms;
	(void)mlock_init(&p->rmu);
	return (p);
}

static void
pg_free(void *arg)
{
	struct hpg *p = arg;

	if (p == NULL)
		return;
	pg_close(p);
	if (p->r != NULL)
		PQfinish(p->r);
	mlock_free(&p->rmu);
	free(p->host);
	free(p->name);
	free(p->url);
	free(p);
}

/* Bounce rows of the other hosts, for the trends (writer thread). */
static int
pg_others(void *arg, long long *last, time_t since, hist_row_fn *fn,
    void *fnarg)
{
	static const char sql[] = "SELECT id, domain, cause, rcpt, received"
	    " FROM bounce WHERE id > $1 AND received >= $2 AND host <> $3"
	    " AND cause IN ('recipient-not-in-directory', 'sender-blocked')"
	    " ORDER BY id LIMIT 1000";
	struct hpg *p = arg;
	const char *vals[3], *row[4];
	char n1[24], n2[24];
	PGresult *r;
	int i, to;

	if (p->w == NULL)
		return (-1);
	snprintf(n1, sizeof(n1), "%lld", *last);
	snprintf(n2, sizeof(n2), "%lld", (long long)since);
	vals[0] = n1;
	vals[1] = n2;
	vals[2] = p->host;
	r = pg_run(p->w, NULL, sql, 3, vals, now_ms() + PG_IO_MS, &to,
	    &p->closing);
	if (!res_ok(r) || PQnfields(r) != 5) {
		if (r == NULL)
			pg_close(p);	/* timed out or lost: reconnect */
		PQclear(r);
		return (-1);
	}
	for (i = 0; i < PQntuples(r); i++) {
		*last = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		row[0] = PQgetvalue(r, i, 1);
		row[1] = PQgetvalue(r, i, 2);
		row[2] = PQgetvalue(r, i, 3);
		row[3] = PQgetvalue(r, i, 4);
		fn(fnarg, 4, row);
	}
	PQclear(r);
	return (0);
}

static void
pg_stopping(void *arg)
{
	__atomic_store_n(&((struct hpg *)arg)->closing, 1, __ATOMIC_RELAXED);
}

const struct hist_backend hist_pg = {
	"postgresql", PG_BACKOFF_MAX, 1, pg_new, pg_free, pg_open, pg_close,
	pg_is_open, pg_ready, pg_write, pg_prune, pg_lookup, pg_tick,
	pg_stopping, pg_others
};

/* ---- the reports' access ------------------------------------------ */

int
hist_pg_query(const char *url, const char *sql, long long arg,
    hist_row_fn *fn, void *fnarg, char *err, size_t errlen)
{
	const char *vals[32], *param[1];
	char num[24], name[1024], e[512];
	PGconn *c;
	PGresult *r;
	int i, n, rows, row, to;

	hist_url_name(name, sizeof(name), url);
	if ((c = pg_connect(url, 10000, e, sizeof(e), NULL)) == NULL) {
		snprintf(err, errlen, "%s: %s", name, e);
		return (-1);
	}
	snprintf(num, sizeof(num), "%lld", arg);
	param[0] = num;
	r = pg_run(c, NULL, sql, strstr(sql, "$1") != NULL ? 1 : 0, param,
	    now_ms() + 60000, &to, NULL);
	if (!res_ok(r)) {
		snprintf(err, errlen, "%s: %s", name, to ? "no answer "
		    "within 60 s" : r != NULL ? PQresultErrorMessage(r) :
		    PQerrorMessage(c));
		err[strcspn(err, "\n")] = '\0';
		PQclear(r);
		PQfinish(c);
		return (-1);
	}
	n = PQnfields(r);
	if (n > 32)
		n = 32;
	rows = PQntuples(r);
	for (row = 0; row < rows; row++) {
		for (i = 0; i < n; i++)
			vals[i] = PQgetvalue(r, row, i);
		if (fn(fnarg, n, vals) != 0)
			break;
	}
	PQclear(r);
	PQfinish(c);
	return (0);
}
