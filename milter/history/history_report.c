/*
 * history_report.c - bounces by recipient domain and cause, for people;
 *	see history.h (history_report, history_parse_since)
 *
 * SYNOPSIS
 *	int	history_report(const char *target, time_t since, int format,
 *		    const struct rules *rules, const struct config *conf,
 *		    struct buf *out, char *err, size_t errlen);
 *	int	history_parse_since(const char *s, long *seconds);
 *
 * DESCRIPTION
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

#include "history.h"
#include "history_int.h"
#include "json.h"
#include "timefmt.h"

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

static const char *
dash(const char *s)
{
	return (*s ? s : "-");
}

/* Text for a table cell, width wide, then after: controls become spaces. */
static void
cell(struct buf *out, int width, const char *s, const char *after)
{
	char tmp[2048];
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s", s);
	for (i = 0; tmp[i]; i++)
		if ((unsigned char)tmp[i] < 0x20 || tmp[i] == 0x7f)
			tmp[i] = ' ';
	buf_printf(out, "%-*s%s", width, tmp, after);
}

/* one statement against either backend (history_view.c) */
#define query	hist_query

static long long
num(const char *s)
{
	return (strtoll(s, NULL, 10));
}

/* the first row's numbers */
struct nums {
	long long	 v[8];
	int		 n;
};

static int
row_nums(void *arg, int n, const char *const *vals)
{
	struct nums *r = arg;
	int i;

	for (i = 0; i < n && i < 8; i++)
		r->v[i] = num(vals[i]);
	r->n = n;
	return (1);
}

static int
check_version(const char *target, char *err, size_t errlen)
{
	struct nums v = { { 0 }, 0 };

	if (query(target, hist_is_url(target) ? "SELECT max(version) FROM "
	    "history_schema" : "PRAGMA user_version", 0, row_nums, &v, err,
	    errlen) == -1)
		return (-1);
	if (v.n == 0 || v.v[0] < HISTORY_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: not a bounce-milter history "
		    "database of schema %d (version %lld; the milter "
		    "migrates it when it opens it)", target,
		    HISTORY_SCHEMA_VERSION, v.n ? v.v[0] : 0LL);
		return (-1);
	}
	return (0);
}

struct rep {
	int		 format;
	struct buf	*out;
	int		 nrows;
};

static int
row_group(void *arg, int n, const char *const *v)
{
	struct rep *p = arg;
	struct buf *out = p->out;
	char f[32], l[32];

	if (n < 9)
		return (1);
	if (p->nrows >= REPORT_ROWS_MAX) {
		p->nrows++;
		return (1);
	}
	timefmt_iso(f, sizeof(f), (time_t)num(v[4]), "-");
	timefmt_iso(l, sizeof(l), (time_t)num(v[5]), "-");
	if (p->format == HISTORY_REPORT_JSON) {
		buf_adds(out, p->nrows ? ",{\"domain\":" : "{\"domain\":");
		json_string(out, v[0]);
		buf_adds(out, ",\"cause\":");
		json_string(out, v[1]);
		buf_adds(out, ",\"reason\":");
		json_string(out, v[8]);
		buf_printf(out, ",\"count\":%lld,\"addresses\":%lld,"
		    "\"matched\":%lld,\"first_seen\":\"%s\","
		    "\"last_seen\":\"%s\",\"hint\":", num(v[2]), num(v[3]),
		    num(v[6]), f, l);
		json_string(out, v[7]);
		buf_addc(out, '}');
	} else {
		cell(out, 28, dash(v[0]), " ");
		cell(out, 28, dash(*v[1] ? v[1] : v[8]), " ");
		buf_printf(out, "%6lld %6lld %7lld  %-20s  %-20s  ", num(v[2]),
		    num(v[3]), num(v[6]), f, l);
		cell(out, 0, dash(v[7]), "\n");
	}
	p->nrows++;
	return (0);
}

static int
row_host(void *arg, int n, const char *const *v)
{
	struct rep *p = arg;

	if (n < 3)
		return (1);
	if (p->format == HISTORY_REPORT_JSON) {
		buf_adds(p->out, p->nrows ? ",{\"host\":" : "{\"host\":");
		json_string(p->out, v[0]);
		buf_printf(p->out, ",\"outgoing\":%lld,\"bounces\":%lld}",
		    num(v[1]), num(v[2]));
	} else {
		buf_adds(p->out, p->nrows ? ", " : "hosts: ");
		cell(p->out, 0, dash(v[0]), "");
		buf_printf(p->out, " (%lld outgoing, %lld bounces)",
		    num(v[1]), num(v[2]));
	}
	p->nrows++;
	return (0);
}

/* the SQL the reports share: the same for SQLite and PostgreSQL */
static const char hist_sql_counts[] =
    "SELECT (SELECT count(*) FROM outgoing WHERE sent >= $1),"
    " (SELECT count(*) FROM bounce WHERE received >= $1),"
    " (SELECT count(*) FROM bounce WHERE received >= $1"
    " AND orig_sent > 0)";
static const char hist_sql_groups[] =
    "SELECT domain, cause, count(*), count(DISTINCT lower(rcpt)),"
    " min(received), max(received),"
    " sum(CASE WHEN orig_sent > 0 THEN 1 ELSE 0 END),"
    " (SELECT b2.hint FROM bounce b2 WHERE b2.domain = b.domain AND"
    "  b2.cause = b.cause AND b2.received >= $1"
    "  ORDER BY b2.received DESC, b2.id DESC LIMIT 1),"
    " (SELECT b2.reason FROM bounce b2 WHERE b2.domain = b.domain AND"
    "  b2.cause = b.cause AND b2.received >= $1"
    "  ORDER BY b2.received DESC, b2.id DESC LIMIT 1)"
    " FROM bounce b WHERE received >= $1 GROUP BY domain, cause"
    " ORDER BY count(*) DESC, domain, cause LIMIT 10001";
static const char hist_sql_hosts[] =
    "SELECT host, sum(o), sum(b) FROM"
    " (SELECT host, 1 AS o, 0 AS b FROM outgoing WHERE sent >= $1"
    "  UNION ALL SELECT host, 0, 1 FROM bounce WHERE received >= $1) AS t"
    " GROUP BY host ORDER BY host";

int
history_report(const char *target, time_t since, int format,
    const struct rules *rules, const struct config *conf, struct buf *out,
    char *err, size_t errlen)
{
	struct nums c = { { 0 }, 0 };
	struct rep p;
	char t1[32], t2[32];

	if (check_version(target, err, errlen) == -1)
		return (-1);
	if (format == HISTORY_REPORT_HTML || format == HISTORY_REPORT_PROM)
		return (hist_view(target, since, format, rules, conf, out,
		    err, errlen));
	if (query(target, hist_sql_counts, since, row_nums, &c, err,
	    errlen) == -1)
		return (-1);
	timefmt_iso(t1, sizeof(t1), since, "-");
	timefmt_iso(t2, sizeof(t2), time(NULL), "-");
	if (format == HISTORY_REPORT_JSON)
		buf_printf(out, "{\"since\":\"%s\",\"until\":\"%s\","
		    "\"outgoing\":%lld,\"bounces\":%lld,\"matched\":%lld,"
		    "\"causes\":[", t1, t2, c.v[0], c.v[1], c.v[2]);
	else {
		buf_printf(out, "bounces since %s: %lld (%lld tied to what "
		    "we sent); outgoing messages: %lld\n", t1, c.v[1], c.v[2],
		    c.v[0]);
		buf_printf(out, "%-28s %-28s %6s %6s %7s  %-20s  %-20s  %s\n",
		    "DOMAIN", "CAUSE", "COUNT", "ADDRS", "MATCHED",
		    "FIRST SEEN", "LAST SEEN", "HINT");
	}
	memset(&p, 0, sizeof(p));
	p.format = format;
	p.out = out;
	if (query(target, hist_sql_groups, since, row_group, &p, err,
	    errlen) == -1)
		return (-1);
	if (format == HISTORY_REPORT_JSON)
		buf_adds(out, "],\"hosts\":[");
	else if (p.nrows == 0)
		buf_adds(out, "(no bounces in that time)\n");
	else if (p.nrows > REPORT_ROWS_MAX)
		buf_printf(out, "(only the first %d groups shown)\n",
		    REPORT_ROWS_MAX);
	p.nrows = 0;
	if (query(target, hist_sql_hosts, since, row_host, &p, err,
	    errlen) == -1)
		return (-1);
	if (format == HISTORY_REPORT_JSON)
		buf_adds(out, "]}\n");
	else if (p.nrows > 0)
		buf_adds(out, "\n");
	return (0);
}
