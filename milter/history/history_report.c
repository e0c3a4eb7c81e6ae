/*
 * history_report.c - bounces by recipient domain and cause, for people;
 *	see history.h (history_report, history_parse_since)
 *
 * Reads the history database through a read-only connection and groups
 * the bounce rows received since a time by (domain, cause): how many,
 * how many distinct addresses, first and last seen, how many were tied
 * to what we sent, and the latest hint.  Output is a table, or one JSON
 * object:
 *
 *	{"since":"...","until":"...","outgoing":N,"bounces":N,"matched":N,
 *	 "causes":[{"domain":"...","cause":"...","reason":"...","count":N,
 *	   "addresses":N,"matched":N,"first_seen":"...","last_seen":"...",
 *	   "hint":"..."}]}
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "history.h"
#include "json.h"

#define REPORT_ROWS_MAX	10000	/* groups printed at most */

int
history_parse_since(const char *s, long *seconds)
{
	char *end;
	long n, mul = 1;

	if (s == NULL || !isdigit((unsigned char)*s))
		return (-1);
	errno = 0;
	n = strtol(s, &end, 10);
	if (errno != 0 || n < 0)
		return (-1);
	switch (*end) {
	case '\0': case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	case 'w': mul = 7 * 86400; break;
	default: return (-1);
	}
	if (*end != '\0' && end[1] != '\0')
		return (-1);
	if (n > LONG_MAX / mul)
		return (-1);
	*seconds = n * mul;
	return (0);
}

static void
iso(char *dst, size_t len, time_t t)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(dst, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(dst, len, "-");
}

static const char *
col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return (s != NULL ? s : "");
}

static const char *
dash(const char *s)
{
	return (*s ? s : "-");
}

/* A count for the header: one number from one query. */
static long long
count_since(sqlite3 *db, const char *sql, time_t since, int *fail)
{
	sqlite3_stmt *st;
	long long n = 0;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		*fail = 1;
		return (0);
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		*fail = 1;
	sqlite3_finalize(st);
	return (n);
}

/* Text for a table cell: controls become spaces. */
static void
cell(struct buf *out, const char *fmt, const char *s)
{
	char tmp[2048];
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s", s);
	for (i = 0; tmp[i]; i++)
		if ((unsigned char)tmp[i] < 0x20 || tmp[i] == 0x7f)
			tmp[i] = ' ';
	buf_printf(out, fmt, tmp);
}

int
history_report(const char *path, time_t since, int json, struct buf *out,
    char *err, size_t errlen)
{
	static const char groups[] =
	    "SELECT domain, cause, count(*), count(DISTINCT lower(rcpt)),"
	    " min(received), max(received), sum(orig_sent > 0),"
	    " (SELECT b2.hint FROM bounce b2 WHERE b2.domain = b.domain AND"
	    "  b2.cause = b.cause AND b2.received >= ?1"
	    "  ORDER BY b2.received DESC, b2.id DESC LIMIT 1),"
	    " (SELECT b2.reason FROM bounce b2 WHERE b2.domain = b.domain AND"
	    "  b2.cause = b.cause AND b2.received >= ?1"
	    "  ORDER BY b2.received DESC, b2.id DESC LIMIT 1)"
	    " FROM bounce b WHERE received >= ?1 GROUP BY domain, cause"
	    " ORDER BY count(*) DESC, domain, cause";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char t1[32], t2[32], f[32], l[32];
	long long nout, nb, nm;
	int rc, fail = 0, nrows = 0, version = 0;

	if ((rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL)) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close_v2(db);
		return (-1);
	}
	sqlite3_busy_timeout(db, HISTORY_BUSY_MS);
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (version < HISTORY_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: not a bounce-milter history "
		    "database of schema %d (version %d; the milter migrates "
		    "it when it opens it)", path, HISTORY_SCHEMA_VERSION,
		    version);
		sqlite3_close_v2(db);
		return (-1);
	}
	nout = count_since(db, "SELECT count(*) FROM outgoing WHERE "
	    "sent >= ?1", since, &fail);
	nb = count_since(db, "SELECT count(*) FROM bounce WHERE "
	    "received >= ?1", since, &fail);
	nm = count_since(db, "SELECT count(*) FROM bounce WHERE "
	    "received >= ?1 AND orig_sent > 0", since, &fail);
	if (fail || sqlite3_prepare_v2(db, groups, -1, &st, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close_v2(db);
		return (-1);
	}
	iso(t1, sizeof(t1), since);
	iso(t2, sizeof(t2), time(NULL));
	if (json)
		buf_printf(out, "{\"since\":\"%s\",\"until\":\"%s\","
		    "\"outgoing\":%lld,\"bounces\":%lld,\"matched\":%lld,"
		    "\"causes\":[", t1, t2, nout, nb, nm);
	else {
		buf_printf(out, "bounces since %s: %lld (%lld tied to what "
		    "we sent); outgoing messages: %lld\n", t1, nb, nm, nout);
		buf_printf(out, "%-28s %-28s %6s %6s %7s  %-20s  %-20s  %s\n",
		    "DOMAIN", "CAUSE", "COUNT", "ADDRS", "MATCHED",
		    "FIRST SEEN", "LAST SEEN", "HINT");
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    nrows < REPORT_ROWS_MAX) {
		iso(f, sizeof(f), (time_t)sqlite3_column_int64(st, 4));
		iso(l, sizeof(l), (time_t)sqlite3_column_int64(st, 5));
		if (json) {
			buf_adds(out, nrows ? ",{\"domain\":" : "{\"domain\":");
			json_string(out, col(st, 0));
			buf_adds(out, ",\"cause\":");
			json_string(out, col(st, 1));
			buf_adds(out, ",\"reason\":");
			json_string(out, col(st, 8));
			buf_printf(out, ",\"count\":%lld,\"addresses\":%lld,"
			    "\"matched\":%lld,\"first_seen\":\"%s\","
			    "\"last_seen\":\"%s\",\"hint\":",
			    (long long)sqlite3_column_int64(st, 2),
			    (long long)sqlite3_column_int64(st, 3),
			    (long long)sqlite3_column_int64(st, 6), f, l);
			json_string(out, col(st, 7));
			buf_addc(out, '}');
		} else {
			cell(out, "%-28s ", dash(col(st, 0)));
			cell(out, "%-28s ", dash(col(st, 1)[0] ? col(st, 1) :
			    col(st, 8)));
			buf_printf(out, "%6lld %6lld %7lld  %-20s  %-20s  ",
			    (long long)sqlite3_column_int64(st, 2),
			    (long long)sqlite3_column_int64(st, 3),
			    (long long)sqlite3_column_int64(st, 6), f, l);
			cell(out, "%s\n", dash(col(st, 7)));
		}
		nrows++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sqlite3_close_v2(db);
		return (-1);
	}
	if (json)
		buf_adds(out, "]}\n");
	else if (nrows == 0)
		buf_adds(out, "(no bounces in that time)\n");
	else if (rc == SQLITE_ROW)
		buf_printf(out, "(only the first %d groups shown)\n",
		    REPORT_ROWS_MAX);
	sqlite3_finalize(st);
	sqlite3_close_v2(db);
	return (0);
}
