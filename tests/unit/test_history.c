/*
 * test_history.c - the history store (history.c, history_report.c)
 *
 * Without arguments: the cmocka tests (schema and migrations, puts and
 * lookups, header and log values, the report's numbers, retention,
 * 200 threads x 50 records, a locked database, the file removed while
 * open, a size-limited file).  The shell tests t_history*.sh also use it
 * as a small tool:
 *
 *	test_history write DB N USEC	put N outgoing records USEC apart,
 *					flush, print the counters
 *	test_history loop DB		put records until killed
 *	test_history count DB		open (migrate), print the row count
 *	test_history feed DB		write a known history (see feed())
 *	test_history put DB QID MSGID FROM RCPT
 *					record one message sent now
 *	test_history match DB RULES FILE
 *					decode the bounce in FILE with the
 *					rules in RULES, tie it to what was
 *					sent (history_note_bounce) and print
 *					"found by=... msgid=... from=...
 *					qid=... ttb=N" and "original: message-id=... sent=... from=<...>"
 *
 * The tool prints the store's log lines on stderr ("log: ...") and a
 * last line "queued=Q written=W dropped_full=F dropped_db=D
 * max_put_us=M".
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "bounce.h"
#include "history.h"
#include "history_int.h"
#include "report.h"
#include "rules.h"
#include "testrules.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------ */

static char tmpdir[256];

static void
db_path(char *dst, size_t len, const char *name)
{
	snprintf(dst, len, "%s/%s", tmpdir, name);
}

static void
rm_db(const char *path)
{
	char p[600];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* The store's log lines, kept for the tests to look at. */
static pthread_mutex_t logmu = PTHREAD_MUTEX_INITIALIZER;
static char logbuf[65536];
static size_t loglen;
static int log_stderr;

static void
test_log(void *arg, int level, const char *line)
{
	(void)arg;
	(void)level;
	pthread_mutex_lock(&logmu);
	snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "%s\n", line);
	loglen += strlen(logbuf + loglen);
	pthread_mutex_unlock(&logmu);
	if (log_stderr)
		fprintf(stderr, "log: %s\n", line);
}

static void
log_reset(void)
{
	pthread_mutex_lock(&logmu);
	loglen = 0;
	logbuf[0] = '\0';
	pthread_mutex_unlock(&logmu);
}

static int
log_has(const char *s)
{
	int r;

	pthread_mutex_lock(&logmu);
	r = strstr(logbuf, s) != NULL;
	pthread_mutex_unlock(&logmu);
	return (r);
}

static struct history_opts
opts(void)
{
	struct history_opts o;

	memset(&o, 0, sizeof(o));
	o.retention_days = 30;
	o.busy_ms = 200;
	o.log_every = 1;
	o.log = test_log;
	return (o);
}

static long long
sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK)
		fail_msg("open %s: %s", path, sqlite3_errmsg(db));
	sqlite3_busy_timeout(db, 2000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (n);
}

static char *
sql_text(const char *path, const char *sql, char *dst, size_t len)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	dst[0] = '\0';
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY,
	    NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(dst, len, "%s", (const char *)
		    sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return (dst);
}

static void
sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static int
put_out(struct history *h, const char *qid, const char *msgid,
    const char *envid, const char *from, time_t when, char *why,
    size_t whylen)
{
	static const char *const rcpts[] = { "a@contoso.com",
	    "b@fabrikam.com" };
	struct hist_out m;

	memset(&m, 0, sizeof(m));
	m.queue_id = qid;
	m.message_id = msgid;
	m.envelope_id = envid;
	m.from = from;
	m.rcpts = rcpts;
	m.nrcpt = 2;
	m.when = when;
	m.size = 1234;
	m.spf = "pass";
	m.dkim = "pass";
	return (history_put_outgoing(h, &m, why, whylen));
}

struct brow {
	const char	*addr, *action, *status, *reason, *cause, *hint;
};

/* A report as the pipeline would leave it. */
static struct report *
mk_report(const char *msgid, const char *envid, const char *qid,
    const struct brow *rows, size_t n)
{
	struct report *r;
	struct rcpt *rc;
	size_t i;

	r = report_new(0);
	assert_non_null(r);
	r->bounce = 1;
	r->kind = "dsn";
	r->format = "postfix";
	r->reporting_mta = "mx.example.net";
	r->orig.message_id = arena_strdup(r->a, msgid);
	r->orig.envelope_id = arena_strdup(r->a, envid);
	r->orig.queue_id = arena_strdup(r->a, qid);
	for (i = 0; i < n; i++) {
		rc = report_add_rcpt(r);
		assert_non_null(rc);
		rc->addr = rows[i].addr;
		rc->action = rows[i].action;
		snprintf(rc->status, sizeof(rc->status), "%s",
		    rows[i].status);
		snprintf(rc->reply, sizeof(rc->reply), "550");
		rc->reason = rows[i].reason;
		rc->cause = rows[i].cause;
		rc->side = "address";
		rc->hint = rows[i].hint;
		rc->hard = 1;
	}
	return (r);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_history.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return (-1);
	return (0);
}

static int
teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return (system(cmd) == 0 ? 0 : -1);
}

/* ---- schema --------------------------------------------------------- */

static void
test_create(void **state)
{
	struct history_opts o = opts();
	struct history *h;
	char path[512], err[512], mode[32];

	(void)state;
	db_path(path, sizeof(path), "create.db");
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(sql_int(path, "PRAGMA user_version"),
	    HISTORY_SCHEMA_VERSION);
	assert_string_equal(sql_text(path, "PRAGMA journal_mode", mode,
	    sizeof(mode)), "wal");
	history_close(h);
	/* opening again changes nothing */
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	history_close(h);
	assert_int_equal(sql_int(path, "PRAGMA user_version"),
	    HISTORY_SCHEMA_VERSION);
	assert_null(history_open("", &o, err, sizeof(err)));
}

/* The first schema as it shipped: a migration test must start there. */
static const char schema_v1[] =
	"CREATE TABLE outgoing (id INTEGER PRIMARY KEY, sent INTEGER NOT NULL,"
	" queue_id TEXT NOT NULL DEFAULT '', message_id TEXT NOT NULL DEFAULT"
	" '', sender TEXT NOT NULL DEFAULT '', rcpts TEXT NOT NULL DEFAULT '',"
	" nrcpt INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0,"
	" spf TEXT NOT NULL DEFAULT '', dkim TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX outgoing_message_id ON outgoing(message_id);"
	"CREATE INDEX outgoing_queue_id ON outgoing(queue_id);"
	"CREATE INDEX outgoing_sent ON outgoing(sent);"
	"CREATE TABLE bounce (id INTEGER PRIMARY KEY, received INTEGER NOT"
	" NULL, queue_id TEXT NOT NULL DEFAULT '', rcpt TEXT NOT NULL DEFAULT"
	" '', domain TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT '',"
	" reply TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '',"
	" cause TEXT NOT NULL DEFAULT '', side TEXT NOT NULL DEFAULT '',"
	" hard INTEGER NOT NULL DEFAULT 0, kind TEXT NOT NULL DEFAULT '',"
	" hint TEXT NOT NULL DEFAULT '', orig_msgid TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX bounce_received ON bounce(received);"
	"PRAGMA user_version = 1;";

static void
test_migrate(void **state)
{
	struct history_opts o = opts();
	struct history *h;
	struct report *r;
	struct hist_match m;
	char path[512], err[512], sql[512];
	time_t now = time(NULL);

	(void)state;
	db_path(path, sizeof(path), "v1.db");
	sql_exec(path, schema_v1);
	snprintf(sql, sizeof(sql), "INSERT INTO outgoing (sent, queue_id,"
	    " message_id, sender) VALUES (%lld, 'Q1', 'old@x', 'me@x')",
	    (long long)now - 60);
	sql_exec(path, sql);
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(sql_int(path, "PRAGMA user_version"),
	    HISTORY_SCHEMA_VERSION);
	/* the old row is still there and can be found; new columns exist */
	r = mk_report("<old@x>", "", "", NULL, 0);
	assert_int_equal(history_find_original(h, r, &m), 1);
	assert_string_equal(m.from, "me@x");
	assert_int_equal(sql_int(path, "SELECT count(envelope_id) FROM "
	    "outgoing"), 1);
	report_free(r);
	history_close(h);

	/* a newer schema than this program knows is refused */
	db_path(path, sizeof(path), "v99.db");
	sql_exec(path, "CREATE TABLE t (x); PRAGMA user_version = 99;");
	assert_null(history_open(path, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));
	/* so is a file that is not a database */
	db_path(path, sizeof(path), "junk.db");
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs("this is not an SQLite database, not at all, no.\n"
		    "this is not an SQLite database, not at all, no.\n", f);
		fclose(f);
	}
	assert_null(history_open(path, &o, err, sizeof(err)));
}

/* ---- puts and lookups ------------------------------------------------ */

static void
test_correlate(void **state)
{
	static const struct brow rows[] = {
		{ "a@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "not in the directory" },
		{ "b@Fabrikam.COM", "delayed", "4.4.7", "expired", "", "" },
		{ "c@contoso.com", "delivered", "2.0.0", "delivered", "", "" },
	};
	struct history_opts o = opts();
	struct history *h;
	struct report *r;
	struct hist_match m;
	struct hist_values hv;
	char path[512], err[512], why[512];
	time_t now = time(NULL);

	(void)state;
	db_path(path, sizeof(path), "corr.db");
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(put_out(h, "4XyZ1", "<m1@example.org>", "", "me@ex",
	    now - 100, why, sizeof(why)), 0);
	assert_int_equal(put_out(h, "4XyZ2", "m2@example.org", "ENV2",
	    "you@ex", now - 90, why, sizeof(why)), 0);
	assert_int_equal(put_out(h, "4XyZ3", "<m3@example.org>", "", "",
	    now - 80, why, sizeof(why)), 0);
	/* the same Message-ID sent twice: the newest wins */
	assert_int_equal(put_out(h, "4XyZ4", "<m3@example.org>", "",
	    "again@ex", now - 70, why, sizeof(why)), 0);
	assert_int_equal(history_flush(h, 5000), 0);

	r = mk_report(" <m1@example.org> ", "", "", NULL, 0);
	assert_int_equal(history_find_original(h, r, &m), 1);
	assert_string_equal(m.message_id, "m1@example.org");
	assert_string_equal(m.from, "me@ex");
	assert_string_equal(m.queue_id, "4XyZ1");
	assert_string_equal(m.by, "message-id");
	assert_int_equal(m.sent, now - 100);
	report_free(r);

	r = mk_report("", "ENV2", "", NULL, 0);
	assert_int_equal(history_find_original(h, r, &m), 1);
	assert_string_equal(m.from, "you@ex");
	assert_string_equal(m.by, "envelope-id");
	report_free(r);

	r = mk_report("<unknown@x>", "", "4XyZ3", NULL, 0);
	assert_int_equal(history_find_original(h, r, &m), 1);
	assert_string_equal(m.message_id, "m3@example.org");
	assert_string_equal(m.by, "queue-id");
	report_free(r);

	r = mk_report("<m3@example.org>", "", "", NULL, 0);
	assert_int_equal(history_find_original(h, r, &m), 1);
	assert_string_equal(m.from, "again@ex");
	report_free(r);

	r = mk_report("<nope@x>", "nope", "NOPE", NULL, 0);
	assert_int_equal(history_find_original(h, r, &m), 0);
	report_free(r);
	r = mk_report("", "", "", NULL, 0);
	assert_int_equal(history_find_original(h, r, &m), 0);
	report_free(r);
	assert_int_equal(history_find_original(NULL, r, &m), 0);
	{
		long long t0 = tu_now_us();
		int i;

		r = mk_report("<m1@example.org>", "", "", NULL, 0);
		for (i = 0; i < 1000; i++)
			assert_int_equal(history_find_original(h, r, &m), 1);
		printf("# lookup by Message-ID: %.1f us each\n",
		    (double)(tu_now_us() - t0) / 1000);
		report_free(r);
		r = mk_report("<none@x>", "none", "NONE", NULL, 0);
		t0 = tu_now_us();
		for (i = 0; i < 1000; i++)
			assert_int_equal(history_find_original(h, r, &m), 0);
		printf("# lookup, no match (3 queries): %.1f us each\n",
		    (double)(tu_now_us() - t0) / 1000);
		report_free(r);
	}

	/* the bounce: failed and delayed recipients get rows, with the
	   original; delivered ones do not */
	r = mk_report("<m1@example.org>", "", "", rows, 3);
	assert_int_equal(history_find_original(h, r, &m), 1);
	assert_int_equal(history_put_bounce(h, r, "BQ1", now, &m, why,
	    sizeof(why)), 0);
	assert_int_equal(history_flush(h, 5000), 0);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM bounce"), 2);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM bounce WHERE "
	    "domain = 'fabrikam.com' AND orig_msgid = 'm1@example.org' AND "
	    "matched_by = 'message-id' AND queue_id = 'BQ1'"), 1);
	assert_int_equal(sql_int(path, "SELECT orig_sent FROM bounce WHERE "
	    "rcpt = 'a@contoso.com'"), now - 100);

	/* what annotate.c writes into X-Bounce-Original and the log */
	history_match_values(&m, now, &hv);
	assert_string_equal(hv.message_id, "<m1@example.org>");
	assert_string_equal(hv.from, "me@ex");
	assert_int_equal(hv.ttb, 100);
	history_match_values(&m, now - 1000, &hv);
	assert_int_equal(hv.ttb, 0);			/* never negative */
	report_free(r);
	history_close(h);
}

static void
test_values(void **state)
{
	struct hist_match m;
	struct hist_values v;

	(void)state;
	memset(&m, 0, sizeof(m));
	snprintf(m.message_id, sizeof(m.message_id), "a\r\nBcc: x@y;z>\x01"
	    "\xc3\xa9 q");
	snprintf(m.from, sizeof(m.from), "x\ny@ex");
	m.sent = 1795417200;	/* 2026-11-23T07:00:00Z */
	/* control characters dropped (annotate.c encodes the rest) */
	history_match_values(&m, 1795417260, &v);
	assert_string_equal(v.message_id, "<aBcc: x@y;z>\xc3\xa9 q>");
	assert_string_equal(v.from, "xy@ex");
	assert_string_equal(v.sent, "2026-11-23T07:00:00Z");
	assert_int_equal(v.ttb, 60);
	history_match_values(&m, 0, &v);
	assert_int_equal(v.ttb, 0);
	/* a long Message-ID and From are cut at 256 octets */
	memset(m.message_id, 'x', sizeof(m.message_id) - 1);
	m.message_id[sizeof(m.message_id) - 1] = '\0';
	memset(m.from, 'y', sizeof(m.from) - 1);
	m.from[sizeof(m.from) - 1] = '\0';
	history_match_values(&m, 0, &v);
	assert_int_equal(strlen(v.message_id), 258);
	assert_int_equal(strlen(v.from), 256);
}

/* ---- the report --------------------------------------------------- */

static void
test_report(void **state)
{
	static const struct brow dbeb[] = {
		{ "u1@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "old hint" },
		{ "u2@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "old hint" },
		{ "U1@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "old hint" },
	};
	static const struct brow later[] = {
		{ "u3@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "The address does not exist" },
		{ "x@fabrikam.com", "failed", "5.7.1", "blocked",
		  "sender-blocked", "Our IP is listed" },
	};
	struct history_opts o = opts();
	struct history *h;
	struct report *r;
	struct hist_match m;
	struct buf out = BUF_INIT;
	char path[512], err[512], why[256];
	time_t now = time(NULL);
	long secs;

	(void)state;
	db_path(path, sizeof(path), "report.db");
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(put_out(h, "Q1", "<s1@x>", "", "me@x", now - 7200,
	    why, sizeof(why)), 0);
	assert_int_equal(put_out(h, "Q2", "<s2@x>", "", "me@x", now - 600,
	    why, sizeof(why)), 0);
	assert_int_equal(history_flush(h, 5000), 0);
	/* two days ago: outside --since 24h */
	r = mk_report("<s0@x>", "", "", dbeb, 1);
	assert_int_equal(history_put_bounce(h, r, "B0", now - 2 * 86400,
	    NULL, why, sizeof(why)), 0);
	report_free(r);
	r = mk_report("<s1@x>", "", "", dbeb, 3);
	assert_int_equal(history_find_original(h, r, &m), 1);
	assert_int_equal(history_put_bounce(h, r, "B1", now - 3600, &m, why,
	    sizeof(why)), 0);
	report_free(r);
	r = mk_report("<nomatch@x>", "", "", later, 2);
	assert_int_equal(history_put_bounce(h, r, "B2", now - 60, NULL, why,
	    sizeof(why)), 0);
	report_free(r);
	assert_int_equal(history_flush(h, 5000), 0);
	history_close(h);

	assert_int_equal(history_parse_since("24h", &secs), 0);
	assert_int_equal(secs, 86400);
	assert_int_equal(history_report(path, now - secs, 1, NULL, NULL, &out,
	    err, sizeof(err)), 0);
	/* 3 rows matched to s1 + 2 unmatched; 2 outgoing in the day */
	assert_non_null(strstr(out.p, "\"outgoing\":2,\"bounces\":5,"
	    "\"matched\":3,"));
	assert_non_null(strstr(out.p, "{\"domain\":\"contoso.com\","
	    "\"cause\":\"recipient-not-in-directory\",\"reason\":"
	    "\"userunknown\",\"count\":4,\"addresses\":3,\"matched\":3,"));
	assert_non_null(strstr(out.p, "\"hint\":\"The address does not "
	    "exist\"}"));
	assert_non_null(strstr(out.p, "{\"domain\":\"fabrikam.com\","
	    "\"cause\":\"sender-blocked\",\"reason\":\"blocked\","
	    "\"count\":1,\"addresses\":1,\"matched\":0,"));
	assert_null(strstr(out.p, "old hint"));
	buf_reset(&out);
	/* a week: the old bounce counts too */
	assert_int_equal(history_report(path, now - 7 * 86400, 1, NULL, NULL,
	    &out, err, sizeof(err)), 0);
	assert_non_null(strstr(out.p, "\"bounces\":6,"));
	assert_non_null(strstr(out.p, "\"count\":5,\"addresses\":3,"));
	buf_reset(&out);
	assert_int_equal(history_report(path, now - 86400, 0, NULL, NULL, &out,
	    err, sizeof(err)), 0);
	assert_non_null(strstr(out.p, "bounces since "));
	assert_non_null(strstr(out.p, ": 5 (3 tied to what we sent); "
	    "outgoing messages: 2\n"));
	assert_non_null(strstr(out.p, "contoso.com"));
	assert_non_null(strstr(out.p, "      4      3       3  "));
	buf_reset(&out);
	/* nothing in the last second */
	assert_int_equal(history_report(path, now + 10, 0, NULL, NULL, &out,
	    err, sizeof(err)), 0);
	assert_non_null(strstr(out.p, "(no bounces in that time)"));
	buf_free(&out);
	db_path(path, sizeof(path), "missing.db");
	assert_int_equal(history_report(path, 0, 0, NULL, NULL, &out, err,
	    sizeof(err)), -1);
	buf_free(&out);

	assert_int_equal(history_parse_since("90", &secs), 0);
	assert_int_equal(secs, 90);
	assert_int_equal(history_parse_since("30m", &secs), 0);
	assert_int_equal(secs, 1800);
	assert_int_equal(history_parse_since("7d", &secs), 0);
	assert_int_equal(secs, 7 * 86400);
	assert_int_equal(history_parse_since("2w", &secs), 0);
	assert_int_equal(history_parse_since("", &secs), -1);
	assert_int_equal(history_parse_since("h", &secs), -1);
	assert_int_equal(history_parse_since("24hh", &secs), -1);
	assert_int_equal(history_parse_since("-5", &secs), -1);
	assert_int_equal(history_parse_since("99999999999999999999d", &secs),
	    -1);
}

/* ---- the daemon's one call --------------------------------------------- */

static void
test_note_bounce(void **state)
{
	static const struct brow five[] = {
		{ "u1@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "h" },
		{ "u2@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "h" },
		{ "u3@contoso.com", "delivered", "2.0.0", "delivered",
		  "recipient-not-in-directory", "" },	/* does not count */
		{ "u4@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "h" },
	};
	static const struct brow more[] = {
		{ "u5@Contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "h" },
		{ "u6@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "h" },
	};
	struct history_opts o = opts();
	struct history *h;
	struct rules *rules;
	struct trend *t;
	struct report *r;
	struct hist_match m;
	struct buf lines = BUF_INIT;
	char path[512], err[512], why[256];
	time_t now = time(NULL);

	(void)state;
	db_path(path, sizeof(path), "note.db");
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	assert_non_null(rules = tu_rules_load("test_history"));
	t = trend_new(rules, NULL);	/* the defaults: 5 addresses */
	assert_non_null(t);
	assert_int_equal(put_out(h, "QN", "<n1@x>", "", "me@x", now - 30,
	    why, sizeof(why)), 0);
	assert_int_equal(history_flush(h, 5000), 0);
	/* 3 counting recipients: no trend yet; the original is found */
	r = mk_report("<n1@x>", "", "", five, 4);
	assert_int_equal(history_note_bounce(h, t, r, "B1", now, &m, &lines),
	    1);
	assert_string_equal(m.from, "me@x");
	assert_null(lines.p);
	report_free(r);
	/* the 4th and 5th distinct addresses: one trend line, once */
	r = mk_report("<unknown@x>", "", "", more, 2);
	assert_int_equal(history_note_bounce(h, t, r, "B2", now + 1, &m,
	    &lines), 0);
	assert_non_null(lines.p);
	assert_string_equal(lines.p, "trend domain=contoso.com "
	    "cause=recipient-not-in-directory count=5 window=3600 "
	    "hint=\"the receiving tenant is probably misconfigured: "
	    "accepted domain or directory sync\"\n");
	buf_reset(&lines);
	assert_int_equal(history_note_bounce(h, t, r, "B3", now + 2, &m,
	    &lines), 0);
	assert_int_equal(lines.len, 0);
	report_free(r);
	assert_int_equal(history_flush(h, 5000), 0);
	/* rows: 3 + 2 + 2 */
	assert_int_equal(sql_int(path, "SELECT count(*) FROM bounce"), 7);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM bounce WHERE "
	    "orig_sent > 0"), 3);
	/* trends without history */
	r = mk_report("", "", "", more, 2);
	assert_int_equal(history_note_bounce(NULL, t, r, "B4", now + 3, &m,
	    &lines), 0);
	report_free(r);
	buf_free(&lines);
	trend_free(t);
	rules_free(rules);
	history_close(h);
}

/* ---- retention ----------------------------------------------------- */

static void
test_retention(void **state)
{
	struct history_opts o = opts();
	struct history *h;
	struct hist_stats st;
	char path[512], err[512], why[256];
	time_t now = time(NULL);
	int i;

	(void)state;
	db_path(path, sizeof(path), "prune.db");
	o.retention_days = 0;		/* keep all while filling */
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	for (i = 0; i < 2500; i++)
		assert_int_equal(put_out(h, "Q", "<old@x>", "", "me",
		    now - 40 * 86400, why, sizeof(why)), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(put_out(h, "Q", "<new@x>", "", "me",
		    now - 86400, why, sizeof(why)), 0);
	assert_int_equal(history_flush(h, 10000), 0);
	history_close(h);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM outgoing"), 2510);
	o.retention_days = 30;
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	for (i = 0; i < 50; i++) {
		history_stats(h, &st);
		if (st.pruned == 2500)
			break;
		usleep(100000);
	}
	assert_int_equal(st.pruned, 2500);
	history_close(h);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM outgoing"), 10);
}

/* ---- 200 writers x 50 records ---------------------------------------- */

struct writer {
	struct history	*h;
	int		 id;
	int		 failed;
	long long	 max_us;
};

static void *
write_50(void *arg)
{
	struct writer *w = arg;
	char qid[32], msgid[64], why[256];
	long long t0, dt;
	int i;

	for (i = 0; i < 50; i++) {
		snprintf(qid, sizeof(qid), "Q%d-%d", w->id, i);
		snprintf(msgid, sizeof(msgid), "<%d.%d@load>", w->id, i);
		t0 = tu_now_us();
		if (put_out(w->h, qid, msgid, "", "me@x", time(NULL), why,
		    sizeof(why)) != 0)
			w->failed++;
		dt = tu_now_us() - t0;
		if (dt > w->max_us)
			w->max_us = dt;
	}
	return (NULL);
}

static void
test_concurrent(void **state)
{
	static struct writer w[200];
	static pthread_t th[200];
	struct history_opts o = opts();
	struct history *h;
	struct hist_stats st;
	char path[512], err[512];
	long long t0, max_us = 0;
	int i, failed = 0;

	(void)state;
	db_path(path, sizeof(path), "load.db");
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	t0 = tu_now_us();
	for (i = 0; i < 200; i++) {
		w[i].h = h;
		w[i].id = i;
		w[i].failed = 0;
		w[i].max_us = 0;
		assert_int_equal(pthread_create(&th[i], NULL, write_50, &w[i]),
		    0);
	}
	for (i = 0; i < 200; i++) {
		pthread_join(th[i], NULL);
		failed += w[i].failed;
		if (w[i].max_us > max_us)
			max_us = w[i].max_us;
	}
	assert_int_equal(history_flush(h, 30000), 0);
	history_stats(h, &st);
	printf("# 200 threads x 50 records: %.1f ms in all, slowest put "
	    "%lld us, written %lu, dropped %lu+%lu\n",
	    (double)(tu_now_us() - t0) / 1000, max_us, st.written,
	    st.dropped_full, st.dropped_db);
	history_close(h);
	assert_int_equal(failed, 0);
	assert_int_equal(st.written, 10000);
	assert_int_equal(st.dropped_full + st.dropped_db, 0);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM outgoing"),
	    10000);
	assert_int_equal(sql_int(path, "SELECT count(DISTINCT message_id) "
	    "FROM outgoing"), 10000);
}

/* ---- faults ---------------------------------------------------------- */

/* Locked by another connection: the queue fills, puts fail at once and
   say so, the writer logs; after the lock goes, writing resumes. */
static void
test_locked(void **state)
{
	struct history_opts o = opts();
	struct history *h;
	struct hist_stats st;
	struct report *r;
	struct hist_match m;
	sqlite3 *lk;
	char path[512], err[512], why[512];
	long long t0, dt, max_us = 0;
	int i, fails = 0;

	(void)state;
	db_path(path, sizeof(path), "locked.db");
	o.queue_max = 100;
	o.busy_ms = 1000;
	log_reset();
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(put_out(h, "Q0", "<pre@x>", "", "me", time(NULL),
	    why, sizeof(why)), 0);
	assert_int_equal(history_flush(h, 5000), 0);
	assert_int_equal(sqlite3_open(path, &lk), SQLITE_OK);
	assert_int_equal(sqlite3_exec(lk, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	for (i = 0; i < 1000; i++) {
		t0 = tu_now_us();
		if (put_out(h, "Q", "<l@x>", "", "me", time(NULL), why,
		    sizeof(why)) != 0) {
			fails++;
			assert_true(*why == '\0' ||
			    strstr(why, "queue full") != NULL);
		}
		dt = tu_now_us() - t0;
		if (dt > max_us)
			max_us = dt;
		if (i % 100 == 0)
			usleep(20000);
	}
	assert_true(fails > 0);
	printf("# locked: %d of 1000 puts dropped, slowest put %lld us\n",
	    fails, max_us);
	assert_true(max_us < 250000);	/* far below one busy_ms */
	/* held past LOCK_TRIES x busy_ms: the writer gives up on a batch */
	for (i = 0; i < 100; i++) {
		history_stats(h, &st);
		if (st.dropped_db > 0)
			break;
		usleep(50000);
	}
	assert_true(log_has("history: "));
	assert_true(log_has(": locked ("));
	/* lookups go on beside the lock (WAL), quickly */
	r = mk_report("<pre@x>", "", "", NULL, 0);
	t0 = tu_now_us();
	assert_int_equal(history_find_original(h, r, &m), 1);
	dt = tu_now_us() - t0;
	printf("# locked: a lookup took %lld us\n", dt);
	assert_true(dt < 100000);
	report_free(r);
	sqlite3_exec(lk, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(lk);
	assert_int_equal(history_flush(h, 10000), 0);
	assert_int_equal(put_out(h, "Q9", "<after@x>", "", "me", time(NULL),
	    why, sizeof(why)), 0);
	assert_int_equal(history_flush(h, 10000), 0);
	assert_true(log_has("writing again after locked"));
	history_stats(h, &st);
	history_close(h);
	assert_true(st.written >= 1);
	assert_int_equal(st.queued + st.dropped_full, 1002);
	assert_true(st.dropped_db > 0);
	assert_int_equal(st.written + st.dropped_db, st.queued);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM outgoing WHERE "
	    "message_id = 'after@x'"), 1);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM outgoing"),
	    (long long)st.written);
}

/* The queue's memory is bounded too: big records hit queue_bytes. */
static void
test_queue_bytes(void **state)
{
	struct history_opts o = opts();
	struct history *h;
	struct hist_stats st;
	sqlite3 *lk;
	char path[512], err[512], why[512], big[900];
	int i, fails = 0;

	(void)state;
	db_path(path, sizeof(path), "bytes.db");
	o.queue_bytes = 64 * 1024;
	o.busy_ms = 1000;
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* hold the writer so that the queue only fills */
	assert_int_equal(sqlite3_open(path, &lk), SQLITE_OK);
	assert_int_equal(sqlite3_exec(lk, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);
	for (i = 0; i < 200; i++)
		if (put_out(h, "Q", big, big, big, time(NULL), why,
		    sizeof(why)) != 0) {
			fails++;
			assert_true(*why == '\0' ||
			    strstr(why, "queue full") != NULL);
		}
	history_stats(h, &st);
	/* each record is over 2700 octets: at most 64 KiB of them wait */
	assert_true(fails > 100);
	assert_true(st.depth * 2700 <= 64 * 1024);
	sqlite3_exec(lk, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(lk);
	history_close(h);
}

/* The file removed while open: said in the log, created again, and the
   records go to the new file. */
static void
test_removed(void **state)
{
	struct history_opts o = opts();
	struct history *h;
	struct report *r;
	struct hist_match m;
	char path[512], err[512], why[256];
	struct stat sb;

	(void)state;
	db_path(path, sizeof(path), "removed.db");
	log_reset();
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(put_out(h, "Q1", "<r1@x>", "", "me", time(NULL),
	    why, sizeof(why)), 0);
	assert_int_equal(history_flush(h, 5000), 0);
	rm_db(path);
	assert_int_equal(put_out(h, "Q2", "<r2@x>", "", "me", time(NULL),
	    why, sizeof(why)), 0);
	assert_int_equal(history_flush(h, 5000), 0);
	assert_true(log_has("was removed or replaced while open"));
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sql_int(path, "SELECT count(*) FROM outgoing"), 1);
	assert_int_equal(sql_int(path, "PRAGMA user_version"),
	    HISTORY_SCHEMA_VERSION);
	/* lookups follow to the new file */
	r = mk_report("<r2@x>", "", "", NULL, 0);
	assert_int_equal(history_find_original(h, r, &m), 1);
	report_free(r);
	history_close(h);
}

static void
child_exit(int code)
{
	fprintf(stderr, "%s", logbuf);
	_exit(code);
}

/* A size-limited file (RLIMIT_FSIZE, in a child process): the writer
   says the disk is full and drops; with room again it writes; the
   database is intact. */
static void
test_full(void **state)
{
	char path[512], err[512], why[256], big[900];
	struct history_opts o = opts();
	struct history *h;
	struct hist_stats st;
	struct rlimit rl;
	struct stat sb;
	pid_t pid;
	int i, status;

	(void)state;
	db_path(path, sizeof(path), "full.db");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fflush(stdout);
	if ((pid = fork()) == 0) {
		log_reset();
		h = history_open(path, &o, err, sizeof(err));
		if (h == NULL)
			child_exit(10);
		if (history_flush(h, 5000) != 0 || stat(path, &sb) != 0)
			child_exit(11);
		signal(SIGXFSZ, SIG_IGN);
		getrlimit(RLIMIT_FSIZE, &rl);
		rl.rlim_cur = 256 * 1024;
		if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
			child_exit(12);
		for (i = 0; i < 2000; i++) {
			put_out(h, "Q", big, big, big, time(NULL), why,
			    sizeof(why));
			if (i % 200 == 0)
				history_flush(h, 5000);
		}
		history_flush(h, 10000);
		history_stats(h, &st);
		if (st.dropped_db == 0)
			child_exit(13);
		if (!log_has(": full ("))
			child_exit(14);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_FSIZE, &rl);
		sleep(3);		/* past the reopen pause */
		put_out(h, "Q", "<fits@x>", "", "me", time(NULL), why,
		    sizeof(why));
		history_flush(h, 10000);
		if (!log_has("writing again"))
			child_exit(15);
		history_close(h);
		fprintf(stderr, "%s", logbuf);
		_exit(0);
	}
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) != 0)
		fail_msg("disk-full child exited %d", WEXITSTATUS(status));
	{
		char ok[32];

		assert_string_equal(sql_text(path, "PRAGMA integrity_check", ok,
		    sizeof(ok)), "ok");
	}
	assert_int_equal(sql_int(path, "SELECT count(*) FROM outgoing WHERE "
	    "message_id = 'fits@x'"), 1);
}

/* A read-only file at start: the store opens, drops and logs; lookups
   still work.  Root ignores file modes, so this runs only as a user;
   t_history_faults.sh covers root with a read-only mount. */
static void
test_readonly(void **state)
{
	struct history_opts o = opts();
	struct history *h;
	struct hist_stats st;
	struct report *r;
	struct hist_match m;
	char path[512], err[512], why[256];
	int i;

	(void)state;
	if (geteuid() == 0) {
		printf("# read-only file: skipped as root\n");
		return;
	}
	db_path(path, sizeof(path), "ro.db");
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	put_out(h, "Q1", "<ro@x>", "", "me", time(NULL), why, sizeof(why));
	history_close(h);
	chmod(path, 0444);
	chmod(tmpdir, 0555);
	log_reset();
	h = history_open(path, &o, err, sizeof(err));
	assert_non_null(h);
	assert_int_equal(put_out(h, "Q2", "<ro2@x>", "", "me", time(NULL),
	    why, sizeof(why)), 0);
	for (i = 0; i < 50; i++) {
		history_stats(h, &st);
		if (st.dropped_db > 0)
			break;
		usleep(100000);
	}
	assert_true(st.dropped_db > 0);
	assert_true(log_has("history: "));
	r = mk_report("<ro@x>", "", "", NULL, 0);
	assert_int_equal(history_find_original(h, r, &m), 1);
	report_free(r);
	history_close(h);
	chmod(tmpdir, 0700);
}

/* ---- the tool for the shell tests ------------------------------------- */

/*
 * feed: a known history for t_history_report.sh.  In the last day:
 * 10 messages sent; contoso.com recipient-not-in-directory 7 bounces
 * for 6 addresses, 3 of them tied to a sent message; fabrikam.com
 * sender-blocked 2 (1 tied); northwind.example sender-blocked 1.
 * Three days ago: 1 more contoso.com bounce and 1 message sent.
 */
static void
feed(struct history *h)
{
	static const struct brow dbeb[] = {
		{ "u1@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "Not in the directory" },
		{ "u2@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "Not in the directory" },
		{ "u3@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "Not in the directory" },
	};
	static const struct brow dbeb2[] = {
		{ "u4@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "Not in the directory" },
		{ "u5@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "Not in the directory" },
		{ "u6@contoso.com", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "Not in the directory" },
		{ "U1@CONTOSO.COM", "failed", "5.4.1", "userunknown",
		  "recipient-not-in-directory", "Not in the directory" },
		{ "x@contoso.com", "delivered", "2.0.0", "delivered", "", "" },
	};
	static const struct brow blk[] = {
		{ "a@fabrikam.com", "failed", "5.7.1", "blocked",
		  "sender-blocked", "Our IP is listed" },
	};
	static const struct brow blk2[] = {
		{ "b@fabrikam.com", "failed", "5.7.1", "blocked",
		  "sender-blocked", "Our IP is listed" },
		{ "c@northwind.example", "failed", "5.7.1", "blocked",
		  "sender-blocked", "Our IP is listed" },
	};
	struct report *r;
	struct hist_match m;
	char why[256], id[64];
	time_t now = time(NULL);
	int i;

	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "<feed%d@example.org>", i);
		put_out(h, "QF", id, "", "news@example.org", now - 7200 + i,
		    why, sizeof(why));
	}
	put_out(h, "QO", "<old@example.org>", "", "news@example.org",
	    now - 3 * 86400, why, sizeof(why));
	history_flush(h, 10000);
	r = mk_report("<old@example.org>", "", "", dbeb, 1);
	history_find_original(h, r, &m);
	history_put_bounce(h, r, "B0", now - 3 * 86400 + 60, &m, why,
	    sizeof(why));
	report_free(r);
	r = mk_report("<feed1@example.org>", "", "", dbeb, 3);
	if (history_find_original(h, r, &m) != 1)
		fprintf(stderr, "feed: no original for feed1\n");
	history_put_bounce(h, r, "B1", now - 3600, &m, why, sizeof(why));
	report_free(r);
	r = mk_report("<elsewhere@example.org>", "", "", dbeb2, 5);
	history_put_bounce(h, r, "B2", now - 1800, NULL, why, sizeof(why));
	report_free(r);
	r = mk_report("", "", "QF", blk, 1);
	history_find_original(h, r, &m);
	history_put_bounce(h, r, "B3", now - 900, &m, why, sizeof(why));
	report_free(r);
	r = mk_report("", "", "", blk2, 2);
	history_put_bounce(h, r, "B4", now - 600, NULL, why, sizeof(why));
	report_free(r);
	history_flush(h, 10000);
}

static int
tool_put(struct history *h, int argc, char *argv[])
{
	struct hist_out m;
	const char *rcpts[1];
	char why[512];

	if (argc != 7)
		return (2);
	memset(&m, 0, sizeof(m));
	m.queue_id = argv[3];
	m.message_id = argv[4];
	m.from = argv[5];
	rcpts[0] = argv[6];
	m.rcpts = rcpts;
	m.nrcpt = 1;
	m.when = time(NULL);
	if (history_put_outgoing(h, &m, why, sizeof(why)) == -1) {
		fprintf(stderr, "put: %s\n", why);
		return (1);
	}
	return (history_flush(h, 10000) == 0 ? 0 : 1);
}

static int
tool_match(struct history *h, int argc, char *argv[])
{
	struct rules *rules;
	struct report *r;
	struct hist_match m;
	struct hist_values hv;
	struct buf msg = BUF_INIT, lines = BUF_INIT;
	char err[1024], chunk[65536];
	size_t n;
	FILE *f;
	int found;

	if (argc != 5)
		return (2);
	if ((rules = rules_load(argv[3], err, sizeof(err))) == NULL) {
		fprintf(stderr, "%s\n", err);
		return (1);
	}
	if ((f = fopen(argv[4], "r")) == NULL) {
		perror(argv[4]);
		rules_free(rules);
		return (1);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&msg, chunk, n);
	fclose(f);
	r = bounce_decode(rules, msg.p != NULL ? msg.p : "", msg.len, NULL);
	if (r == NULL)
		return (1);
	printf("decoded: bounce=%d format=%s orig.message_id=%s "
	    "orig.queue_id=%s orig.envelope_id=%s\n", r->bounce, r->format,
	    r->orig.message_id, r->orig.queue_id, r->orig.envelope_id);
	found = history_note_bounce(h, NULL, r, "TOOL", time(NULL), &m,
	    &lines);
	if (lines.p != NULL)
		fputs(lines.p, stdout);
	if (found) {
		history_match_values(&m, time(NULL), &hv);
		printf("found by=%s msgid=<%s> from=<%s> qid=%s ttb=%ld\n",
		    m.by, m.message_id, m.from, m.queue_id,
		    (long)(time(NULL) - m.sent));
		printf("original: message-id=%s sent=%s from=<%s>\n",
		    hv.message_id, hv.sent, hv.from);
	} else
		printf("not found\n");
	history_flush(h, 10000);
	report_free(r);
	buf_free(&msg);
	buf_free(&lines);
	rules_free(rules);
	return (found ? 0 : 3);
}

static int
tool(int argc, char *argv[])
{
	struct history_opts o = opts();
	struct history *h;
	struct hist_stats st;
	char err[512], why[512], msgid[64];
	long long t0, dt, max_us = 0;
	long i, n;
	int us;

	log_stderr = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3)
		return (2);
	o.busy_ms = 500;
	if ((h = history_open(argv[2], &o, err, sizeof(err))) == NULL) {
		fprintf(stderr, "open: %s\n", err);
		return (1);
	}
	if (strcmp(argv[1], "put") == 0 || strcmp(argv[1], "match") == 0) {
		n = strcmp(argv[1], "put") == 0 ? tool_put(h, argc, argv) :
		    tool_match(h, argc, argv);
		history_close(h);
		return ((int)n);
	}
	if (strcmp(argv[1], "feed") == 0) {
		feed(h);
		history_close(h);
		return (0);
	}
	if (strcmp(argv[1], "count") == 0) {
		history_close(h);
		printf("%lld\n", sql_int(argv[2],
		    "SELECT count(*) FROM outgoing"));
		return (0);
	}
	n = strcmp(argv[1], "loop") == 0 ? -1 : (argc > 3 ? atol(argv[3]) :
	    1000);
	us = argc > 4 ? atoi(argv[4]) : 0;
	for (i = 0; n < 0 || i < n; i++) {
		snprintf(msgid, sizeof(msgid), "<%ld.%ld@tool>",
		    (long)getpid(), i);
		t0 = tu_now_us();
		if (put_out(h, "QT", msgid, "", "me@x", time(NULL), why,
		    sizeof(why)) != 0 && i % 100 == 0)
			fprintf(stderr, "put: %s\n", why);
		dt = tu_now_us() - t0;
		if (dt > max_us)
			max_us = dt;
		if (n < 0 && i % 1000 == 0) {
			printf("%ld\n", i);	/* progress for the killer */
			history_flush(h, 2000);
		}
		if (us > 0)
			usleep((useconds_t)us);
	}
	history_flush(h, 15000);
	history_stats(h, &st);
	history_close(h);
	printf("queued=%lu written=%lu dropped_full=%lu dropped_db=%lu "
	    "max_put_us=%lld\n", st.queued, st.written, st.dropped_full,
	    st.dropped_db, max_us);
	return (0);
}

/* PostgreSQL URLs: which targets are one, and what the log shows */
static void
test_url_name(void **state)
{
	char b[256];

	(void)state;
	assert_true(hist_is_url("postgresql://db/x"));
	assert_true(hist_is_url("postgres://db/x"));
	assert_false(hist_is_url("/var/lib/bounce-milter/history.db"));
	assert_false(hist_is_url("postgresql:/x"));
	hist_url_name(b, sizeof(b), "postgresql://bm:s3cret@db.example:5432"
	    "/bounces?sslmode=require");
	assert_string_equal(b, "postgresql://bm@db.example:5432/bounces"
	    "?sslmode=require");
	hist_url_name(b, sizeof(b), "postgresql:///bm?host=/tmp/x&"
	    "password=s3cret&user=bm");
	assert_string_equal(b, "postgresql:///bm?host=/tmp/x&password=***"
	    "&user=bm");
	hist_url_name(b, sizeof(b), "postgresql://db/x?a=b");
	assert_string_equal(b, "postgresql://db/x?a=b");
	hist_url_name(b, 8, "postgresql://bm:s3cret@db/x");
	assert_null(strstr(b, "s3cret"));
	/* cut inside the password's value: none of it shows */
	hist_url_name(b, 31, "postgresql://db/x?password=s3cret");
	assert_string_equal(b, "postgresql://db/x?password=***");
	hist_url_name(b, 30, "postgresql://db/x?password=s3cret");
	assert_string_equal(b, "postgresql://db/x?password=");
}

int
main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_name),
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_migrate),
		cmocka_unit_test(test_correlate),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_report),
		cmocka_unit_test(test_note_bounce),
		cmocka_unit_test(test_retention),
		cmocka_unit_test(test_concurrent),
		cmocka_unit_test(test_locked),
		cmocka_unit_test(test_queue_bytes),
		cmocka_unit_test(test_removed),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_readonly),
	};

	if (argc > 1)
		return (tool(argc, argv));
	return (cmocka_run_group_tests(tests, setup, teardown));
}
