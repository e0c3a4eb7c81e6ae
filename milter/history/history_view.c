/*
 * history_view.c - the history for people and for monitoring: one HTML
 *	page with inline SVG, and the Prometheus text format
 *
 * SYNOPSIS
 *	int	hist_query(const char *target, const char *sql,
 *		    long long arg, hist_row_fn *fn, void *fnarg, char *err,
 *		    size_t errlen);
 *	int	hist_view(const char *target, time_t since, int format,
 *		    const struct rules *rules, const struct config *conf,
 *		    struct buf *out, char *err, size_t errlen);
 *
 * DESCRIPTION
 *	hist_query() runs one statement against either backend (a path:
 *	SQLite; a postgresql:// URL: PostgreSQL); the SQL is written so
 *	that both give the same rows.
 *
 *	hist_view() appends to out the bounces received since the time
 *	since, as format says:
 *
 *	HISTORY_REPORT_HTML: one self-contained page (inline CSS and SVG,
 *	    no script, nothing fetched): bounces over time stacked by cause,
 *	    recipient domains by side (the DOMAINS_MAX busiest), the time
 *	    from sending to bounce in bins, and the trend lines that fired
 *	    when the rows are replayed through the trend rules of rules
 *	    (rules/trends, trend.h) with the window and thresholds of conf
 *	    (NULL: the settings' defaults; the page names them), so they
 *	    count every host that writes to the database.  Every bar
 *	    carries its numbers as data-* attributes and a <title>, so a
 *	    test (or a person hovering) can read them.
 *	HISTORY_REPORT_PROM: the Prometheus text exposition format, for
 *	    node_exporter's textfile collector: gauges over the window,
 *	    bounce_milter_bounces{cause,side,domain},
 *	    bounce_milter_bounces_matched, bounce_milter_outgoing{host},
 *	    bounce_milter_bounces_by_host{host},
 *	    bounce_milter_report_window_seconds.  At most SERIES_MAX series
 *	    of bounce_milter_bounces (the busiest).
 *
 *	Returns 0, or -1 with err saying why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "history.h"
#include "history_int.h"
#include "timefmt.h"
#include "trend.h"

#define DOMAINS_MAX	20	/* rows of the domain chart */
#define CAUSES_MAX	12	/* colours of the time chart; the rest "other" */
#define SERIES_MAX	10000	/* Prometheus series of bounces */
#define FIRED_MAX	100	/* trend lines listed */

int
hist_query(const char *target, const char *sql, long long arg,
    hist_row_fn *fn, void *fnarg, char *err, size_t errlen)
{
	if (hist_is_url(target))
		return (hist_pg_query(target, sql, arg, fn, fnarg, err,
		    errlen));
	return (hist_sqlite_query(target, sql, arg, fn, fnarg, err, errlen));
}

/* ---- small helpers ---------------------------------------------- */

static void
esc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': buf_adds(b, "&amp;"); break;
		case '<': buf_adds(b, "&lt;"); break;
		case '>': buf_adds(b, "&gt;"); break;
		case '"': buf_adds(b, "&quot;"); break;
		case '\'': buf_adds(b, "&#39;"); break;
		default:
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				buf_addc(b, ' ');
			else
				buf_addc(b, *s);
		}
	}
}

static long long
num(const char *s)
{
	return (strtoll(s, NULL, 10));
}

/* a growing table of (a, b, count) rows */
struct row {
	char		*a, *b;
	long long	 k, n;
};

struct rows {
	struct row	*v;
	size_t		 n, cap;
	int		 oom;
};

static int
rows_add(struct rows *r, const char *a, const char *b, long long k,
    long long n)
{
	struct row *nv;

	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		if ((nv = realloc(r->v, r->cap * sizeof(*nv))) == NULL) {
			r->oom = 1;
			return (1);
		}
		r->v = nv;
	}
	r->v[r->n].a = strdup(a);
	r->v[r->n].b = strdup(b);
	if (r->v[r->n].a == NULL || r->v[r->n].b == NULL) {
		free(r->v[r->n].a);
		free(r->v[r->n].b);
		r->oom = 1;
		return (1);
	}
	r->v[r->n].k = k;
	r->v[r->n].n = n;
	r->n++;
	return (0);
}

static void
rows_free(struct rows *r)
{
	size_t i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].a);
		free(r->v[i].b);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

/* row callbacks: (a, b, n), (k, a, n), (a, n) */
static int
cb_abn(void *arg, int n, const char *const *v)
{
	return (n < 3 ? 1 : rows_add(arg, v[0], v[1], 0, num(v[2])));
}

static int
cb_kan(void *arg, int n, const char *const *v)
{
	return (n < 3 ? 1 : rows_add(arg, v[1], "", num(v[0]), num(v[2])));
}

static int
cb_an(void *arg, int n, const char *const *v)
{
	return (n < 2 ? 1 : rows_add(arg, v[0], "", 0, num(v[1])));
}

static int
cb_abcn(void *arg, int n, const char *const *v)
{
	struct rows *r = arg;
	char ab[1100];

	if (n < 4)
		return (1);
	/* cause and side in a, joined by a tab; domain in b */
	snprintf(ab, sizeof(ab), "%.500s\t%.500s", v[0], v[1]);
	return (rows_add(r, ab, v[2], 0, num(v[3])));
}

static int
cb_kan2(void *arg, int n, const char *const *v)
{
	return (n < 2 ? 1 : rows_add(arg, "", "", num(v[0]), num(v[1])));
}

static int
cb_host(void *arg, int n, const char *const *v)
{
	return (n < 3 ? 1 : rows_add(arg, v[0], "", num(v[1]), num(v[2])));
}

static int
cb_count(void *arg, int n, const char *const *v)
{
	long long *c = arg;
	int i;

	for (i = 0; i < n && i < 3; i++)
		c[i] = num(v[i]);
	return (1);
}

/* ---- the queries -------------------------------------------------- */

static const char sql_counts[] =
    "SELECT (SELECT count(*) FROM outgoing WHERE sent >= $1),"
    " (SELECT count(*) FROM bounce WHERE received >= $1),"
    " (SELECT count(*) FROM bounce WHERE received >= $1"
    " AND orig_sent > 0)";
static const char sql_causes[] =
    "SELECT cause, count(*) FROM bounce WHERE received >= $1"
    " GROUP BY cause ORDER BY count(*) DESC, cause";
static const char sql_sides[] =
    "SELECT domain, side, count(*) FROM bounce WHERE received >= $1"
    " GROUP BY domain, side ORDER BY domain, side";
static const char sql_ttb[] =
    "SELECT CASE WHEN received - orig_sent < 60 THEN 0"
    " WHEN received - orig_sent < 300 THEN 1"
    " WHEN received - orig_sent < 900 THEN 2"
    " WHEN received - orig_sent < 3600 THEN 3"
    " WHEN received - orig_sent < 14400 THEN 4"
    " WHEN received - orig_sent < 86400 THEN 5"
    " WHEN received - orig_sent < 259200 THEN 6 ELSE 7 END AS bin,"
    " count(*) FROM bounce WHERE received >= $1 AND orig_sent > 0"
    " GROUP BY bin ORDER BY bin";
static const char sql_hosts[] =
    "SELECT host, sum(o), sum(b) FROM"
    " (SELECT host, 1 AS o, 0 AS b FROM outgoing WHERE sent >= $1"
    "  UNION ALL SELECT host, 0, 1 FROM bounce WHERE received >= $1) AS t"
    " GROUP BY host ORDER BY host";
static const char sql_trend[] =
    "SELECT domain, cause, rcpt, received FROM bounce WHERE received >= $1"
    " AND cause IN ('recipient-not-in-directory', 'sender-blocked')"
    " ORDER BY received, id";
static const char sql_series[] =
    "SELECT cause, side, domain, count(*) FROM bounce WHERE received >= $1"
    " GROUP BY cause, side, domain ORDER BY count(*) DESC, cause, side,"
    " domain LIMIT 10000";

static const char *const ttb_bins[8] = { "< 1 min", "1-5 min", "5-15 min",
    "15-60 min", "1-4 h", "4-24 h", "1-3 d", "> 3 d" };

static const char *const palette[CAUSES_MAX + 1] = { "#4e79a7", "#f28e2b",
    "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1f77b4", "#8c564b", "#7f7f7f" };

static const char *
side_colour(const char *s)
{
	static const struct { const char *side, *c; } t[] = {
	    { "sender", "#e15759" }, { "recipient", "#4e79a7" },
	    { "address", "#f28e2b" }, { "transient", "#76b7b2" },
	    { "none", "#59a14f" }, { "unknown", "#bab0ac" } };
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(s, t[i].side) == 0)
			return (t[i].c);
	return ("#7f7f7f");
}

static const char *
label(const char *s)
{
	return (*s ? s : "(none)");
}

/* ---- HTML: bounces over time, by cause ---------------------------- */

static long
bucket_for(long span)
{
	static const long steps[] = { 300, 900, 3600, 3 * 3600, 6 * 3600,
	    12 * 3600, 86400, 7 * 86400, 30 * 86400 };
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 168)
			return (steps[i]);
	return (365L * 86400);
}

/* Which colour slot a cause has: its rank among the causes, or the
   "other" slot past CAUSES_MAX. */
static size_t
cause_slot(const struct rows *causes, const char *c)
{
	size_t i;

	for (i = 0; i < causes->n && i < CAUSES_MAX; i++)
		if (strcmp(causes->v[i].a, c) == 0)
			return (i);
	return (CAUSES_MAX);
}

static void
chart_time(struct buf *o, const struct rows *causes, const struct rows *t,
    time_t since, long bucket, long nb)
{
	const int W = 900, H = 260, L = 50, B = 40, TOP = 10;
	long long *tot, max = 1;
	double bw, y, h;
	char when[32];
	size_t i, slot;
	long k;

	if ((tot = calloc((size_t)nb, sizeof(*tot))) == NULL)
		return;
	for (i = 0; i < t->n; i++)
		if (t->v[i].k >= 0 && t->v[i].k < nb)
			tot[t->v[i].k] += t->v[i].n;
	for (k = 0; k < nb; k++)
		if (tot[k] > max)
			max = tot[k];
	bw = (double)(W - L - 10) / (double)nb;
	buf_printf(o, "<svg id=\"over-time\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" role=\"img\" data-bucket-seconds=\"%ld\" "
	    "data-max=\"%lld\">\n", W, H, W, H, bucket, max);
	buf_printf(o, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
	    "class=\"axis\"/>\n", L, H - B, W - 10, H - B);
	buf_printf(o, "<text x=\"%d\" y=\"%d\" class=\"tick\" "
	    "text-anchor=\"end\">%lld</text>\n", L - 4, TOP + 10, max);
	buf_printf(o, "<text x=\"%d\" y=\"%d\" class=\"tick\" "
	    "text-anchor=\"end\">0</text>\n", L - 4, H - B);
	/* stack each bucket's causes in the order of the legend */
	memset(tot, 0, (size_t)nb * sizeof(*tot));
	for (slot = 0; slot <= CAUSES_MAX; slot++)
		for (i = 0; i < t->n; i++) {
			k = (long)t->v[i].k;
			if (k < 0 || k >= nb ||
			    cause_slot(causes, t->v[i].a) != slot)
				continue;
			h = (double)t->v[i].n * (H - B - TOP) / (double)max;
			y = (H - B) - (double)tot[k] * (H - B - TOP) /
			    (double)max - h;
			tot[k] += t->v[i].n;
			timefmt_iso(when, sizeof(when),
			    since + (time_t)(k * bucket), "-");
			buf_printf(o, "<rect class=\"bar\" x=\"%.1f\" "
			    "y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			    "fill=\"%s\" data-bucket=\"%s\" data-cause=\"",
			    L + k * bw + 0.5, y, bw > 2 ? bw - 1 : bw, h,
			    palette[slot], when);
			esc(o, t->v[i].a);
			buf_printf(o, "\" data-count=\"%lld\"><title>%s ",
			    t->v[i].n, when);
			esc(o, label(t->v[i].a));
			buf_printf(o, ": %lld</title></rect>\n", t->v[i].n);
		}
	/* a few time labels */
	for (k = 0; k < nb; k += nb > 6 ? nb / 6 : 1) {
		timefmt_iso(when, sizeof(when),
		    since + (time_t)(k * bucket), "-");
		when[16] = '\0';
		buf_printf(o, "<text x=\"%.1f\" y=\"%d\" class=\"tick\">%s"
		    "</text>\n", L + k * bw, H - B + 16, when);
	}
	buf_adds(o, "</svg>\n<p class=\"legend\">");
	for (i = 0; i < causes->n && i <= CAUSES_MAX; i++) {
		buf_printf(o, "<span><i style=\"background:%s\"></i>",
		    palette[i < CAUSES_MAX ? i : CAUSES_MAX]);
		if (i < CAUSES_MAX) {
			esc(o, label(causes->v[i].a));
			buf_printf(o, " (%lld)", causes->v[i].n);
		} else
			buf_adds(o, "other causes");
		buf_adds(o, "</span> ");
	}
	buf_adds(o, "</p>\n");
	free(tot);
}

/* ---- HTML: recipient domains, by side ------------------------------ */

struct dom {
	const char	*name;
	long long	 total;
	size_t		 first, n;	/* its rows in the side table */
};

static int
dom_cmp(const void *a, const void *b)
{
	const struct dom *x = a, *y = b;

	if (x->total != y->total)
		return (x->total < y->total ? 1 : -1);
	return (strcmp(x->name, y->name));
}

static void
chart_domains(struct buf *o, const struct rows *s)
{
	const int W = 900, L = 260, ROW = 22;
	struct dom *d;
	size_t i, j, nd = 0, show;
	long long max = 1, x;
	double w;

	if ((d = calloc(s->n + 1, sizeof(*d))) == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		if (nd == 0 || strcmp(d[nd - 1].name, s->v[i].a) != 0) {
			d[nd].name = s->v[i].a;
			d[nd].first = i;
			nd++;
		}
		d[nd - 1].total += s->v[i].n;
		d[nd - 1].n++;
	}
	qsort(d, nd, sizeof(*d), dom_cmp);
	show = nd < DOMAINS_MAX ? nd : DOMAINS_MAX;
	for (i = 0; i < show; i++)
		if (d[i].total > max)
			max = d[i].total;
	buf_printf(o, "<svg id=\"domains\" width=\"%d\" height=\"%zu\" "
	    "viewBox=\"0 0 %d %zu\" role=\"img\" data-domains=\"%zu\">\n", W,
	    show * ROW + 10, W, show * ROW + 10, nd);
	for (i = 0; i < show; i++) {
		buf_printf(o, "<text x=\"%d\" y=\"%zu\" class=\"name\" "
		    "text-anchor=\"end\">", L - 6, i * ROW + 16);
		esc(o, label(d[i].name));
		buf_adds(o, "</text>\n");
		x = 0;
		for (j = d[i].first; j < d[i].first + d[i].n; j++) {
			w = (double)s->v[j].n * (W - L - 60) / (double)max;
			buf_printf(o, "<rect class=\"bar\" x=\"%.1f\" "
			    "y=\"%zu\" width=\"%.1f\" height=\"%d\" "
			    "fill=\"%s\" data-domain=\"", L + (double)x *
			    (W - L - 60) / (double)max, i * ROW + 3, w,
			    ROW - 6, side_colour(s->v[j].b));
			esc(o, d[i].name);
			buf_adds(o, "\" data-side=\"");
			esc(o, s->v[j].b);
			buf_printf(o, "\" data-count=\"%lld\"><title>",
			    s->v[j].n);
			esc(o, label(d[i].name));
			buf_adds(o, ", ");
			esc(o, label(s->v[j].b));
			buf_printf(o, ": %lld</title></rect>\n", s->v[j].n);
			x += s->v[j].n;
		}
		buf_printf(o, "<text x=\"%.1f\" y=\"%zu\" class=\"count\">"
		    "%lld</text>\n", L + (double)x * (W - L - 60) /
		    (double)max + 4, i * ROW + 16, d[i].total);
	}
	buf_adds(o, "</svg>\n<p class=\"legend\">");
	{
		static const char *const sides[] = { "sender", "recipient",
		    "address", "transient", "none", "unknown" };
		for (i = 0; i < sizeof(sides) / sizeof(sides[0]); i++)
			buf_printf(o, "<span><i style=\"background:%s\">"
			    "</i>%s</span> ", side_colour(sides[i]), sides[i]);
	}
	if (nd > show)
		buf_printf(o, "<span>(the %zu busiest of %zu domains)</span>",
		    show, nd);
	buf_adds(o, "</p>\n");
	free(d);
}

/* ---- HTML: time from sending to bounce ------------------------------ */

static void
chart_ttb(struct buf *o, const struct rows *t)
{
	const int W = 900, H = 220, B = 40, TOP = 16, BW = 100;
	long long n[8] = { 0 }, max = 1;
	size_t i;
	double h;

	for (i = 0; i < t->n; i++)
		if (t->v[i].k >= 0 && t->v[i].k < 8)
			n[t->v[i].k] = t->v[i].n;
	for (i = 0; i < 8; i++)
		if (n[i] > max)
			max = n[i];
	buf_printf(o, "<svg id=\"ttb\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" role=\"img\">\n", W, H, W, H);
	for (i = 0; i < 8; i++) {
		h = (double)n[i] * (H - B - TOP) / (double)max;
		buf_printf(o, "<rect class=\"bar\" x=\"%zu\" y=\"%.1f\" "
		    "width=\"%d\" height=\"%.1f\" fill=\"#4e79a7\" "
		    "data-bin=\"%s\" data-count=\"%lld\"><title>%s: %lld"
		    "</title></rect>\n", 20 + i * (BW + 10),
		    (H - B) - h, BW, h, ttb_bins[i], n[i], ttb_bins[i], n[i]);
		buf_printf(o, "<text x=\"%zu\" y=\"%.1f\" class=\"count\" "
		    "text-anchor=\"middle\">%lld</text>\n", 20 + i * (BW + 10) +
		    BW / 2, (H - B) - h - 3, n[i]);
		buf_printf(o, "<text x=\"%zu\" y=\"%d\" class=\"tick\" "
		    "text-anchor=\"middle\">%s</text>\n", 20 + i * (BW + 10) +
		    BW / 2, H - B + 16, ttb_bins[i]);
	}
	buf_adds(o, "</svg>\n");
}

/* ---- HTML: trend lines, replayed ------------------------------------ */

struct replay {
	struct trend	*t;
	struct buf	*o;
	int		 fired;
};

static int
cb_trend(void *arg, int n, const char *const *v)
{
	struct replay *r = arg;
	char line[1024], when[32];

	if (n < 4)
		return (1);
	if (trend_note(r->t, v[0], v[1], v[2], (time_t)num(v[3]), line,
	    sizeof(line)) == 1) {
		if (r->fired < FIRED_MAX) {
			timefmt_iso(when, sizeof(when), (time_t)num(v[3]), "-");
			buf_printf(r->o, "<li class=\"trend\"><time>%s</time> ",
			    when);
			esc(r->o, line);
			buf_adds(r->o, "</li>\n");
		}
		r->fired++;
	}
	return (0);
}

/* The paragraph that says which trend rules the bounces went through. */
static void
trend_rules_html(struct buf *o, const struct rules *rules,
    const struct config *conf)
{
	const struct trend_rule *tr;
	struct config def;
	size_t i, n;
	int th;

	tr = trend_rules_get(rules, &n);
	if (conf == NULL) {
		config_defaults(&def);
		conf = &def;
	}
	buf_printf(o, "<h2>Trend lines that fired</h2>\n<p>The bounces "
	    "replayed through the trend rules (window %d s",
	    conf->trends.window);
	for (i = 0; i < n; i++) {
		buf_adds(o, ", ");
		esc(o, tr[i].cause);
		if ((th = trend_rule_threshold(&tr[i], conf)) == 0)
			buf_adds(o, " off");
		else
			buf_printf(o, " at %d %s", th,
			    tr[i].by == TREND_BY_ADDRESS ?
			    "addresses of one domain" : "domains");
	}
	buf_printf(o, "%s), every host's together.</p>\n<ul id=\"trends\">\n",
	    n == 0 ? ", none" : "");
}

/* ---- the page ------------------------------------------------------ */

static const char css[] =
    "body{font:14px/1.4 sans-serif;margin:1.5em;color:#222;max-width:960px}"
    "h1{font-size:20px}h2{font-size:16px;margin-top:1.6em}"
    ".axis{stroke:#888}.tick{font-size:11px;fill:#555}"
    ".name,.count{font-size:12px;fill:#222}"
    ".legend span{margin-right:1em;white-space:nowrap;font-size:12px}"
    ".legend i{display:inline-block;width:10px;height:10px;margin-right:4px}"
    "li.trend{font-family:monospace;font-size:12px}"
    "svg{display:block;background:#fafafa;border:1px solid #eee}";

static int
html(const char *target, time_t since, const struct rules *rules,
    const struct config *conf, struct buf *o, char *err, size_t errlen)
{
	struct rows causes = { 0 }, tm = { 0 }, sides = { 0 }, ttb = { 0 };
	struct rows hosts = { 0 };
	struct replay rp;
	long long c[3] = { 0, 0, 0 };
	time_t now = time(NULL);
	long bucket = bucket_for((long)(now - since)), nb;
	char sql[512], t1[32], t2[32];
	size_t i;
	int rc = -1;

	nb = (long)((now - since) / bucket) + 1;
	snprintf(sql, sizeof(sql), "SELECT (received - $1) / %ld, cause, "
	    "count(*) FROM bounce WHERE received >= $1 GROUP BY 1, 2 "
	    "ORDER BY 1, 2", bucket);
	if (hist_query(target, sql_counts, since, cb_count, c, err,
	    errlen) == -1 ||
	    hist_query(target, sql_causes, since, cb_an, &causes, err,
	    errlen) == -1 ||
	    hist_query(target, sql, since, cb_kan, &tm, err, errlen) == -1 ||
	    hist_query(target, sql_sides, since, cb_abn, &sides, err,
	    errlen) == -1 ||
	    hist_query(target, sql_ttb, since, cb_kan2, &ttb, err,
	    errlen) == -1 ||
	    hist_query(target, sql_hosts, since, cb_host, &hosts, err,
	    errlen) == -1)
		goto done;
	if (causes.oom || tm.oom || sides.oom || ttb.oom || hosts.oom) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	timefmt_iso(t1, sizeof(t1), since, "-");
	timefmt_iso(t2, sizeof(t2), now, "-");
	buf_printf(o, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><title>Bounces since %s</title>"
	    "<style>%s</style></head>\n<body>\n", t1, css);
	buf_printf(o, "<h1>Bounces from %s to %s</h1>\n", t1, t2);
	buf_printf(o, "<p id=\"summary\" data-bounces=\"%lld\" "
	    "data-matched=\"%lld\" data-outgoing=\"%lld\">%lld bounces "
	    "(%lld tied to what we sent); %lld outgoing messages.", c[1],
	    c[2], c[0], c[1], c[2], c[0]);
	for (i = 0; i < hosts.n; i++) {
		buf_adds(o, i ? ", " : " Hosts: ");
		buf_printf(o, "<span class=\"host\" data-host=\"");
		esc(o, hosts.v[i].a);
		buf_printf(o, "\" data-outgoing=\"%lld\" data-bounces=\"%lld\">",
		    hosts.v[i].k, hosts.v[i].n);
		esc(o, label(hosts.v[i].a));
		buf_printf(o, " (%lld outgoing, %lld bounces)</span>",
		    hosts.v[i].k, hosts.v[i].n);
	}
	buf_adds(o, "</p>\n<h2>Bounces over time, by cause</h2>\n");
	chart_time(o, &causes, &tm, since, bucket, nb);
	buf_adds(o, "<h2>Recipient domains, by who must act</h2>\n");
	chart_domains(o, &sides);
	buf_adds(o, "<h2>Time from sending to bounce</h2>\n");
	chart_ttb(o, &ttb);
	trend_rules_html(o, rules, conf);
	memset(&rp, 0, sizeof(rp));
	rp.o = o;
	if ((rp.t = trend_new(rules, conf)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	rc = hist_query(target, sql_trend, since, cb_trend, &rp, err, errlen);
	trend_free(rp.t);
	if (rc == -1)
		goto done;
	if (rp.fired == 0)
		buf_adds(o, "<li>none</li>\n");
	else if (rp.fired > FIRED_MAX)
		buf_printf(o, "<li>(the first %d of %d)</li>\n", FIRED_MAX,
		    rp.fired);
	buf_printf(o, "</ul>\n<p class=\"legend\" id=\"fired\" "
	    "data-fired=\"%d\">bounce-milter %s</p>\n</body></html>\n",
	    rp.fired, BM_VERSION);
	rc = 0;
done:
	rows_free(&causes);
	rows_free(&tm);
	rows_free(&sides);
	rows_free(&ttb);
	rows_free(&hosts);
	return (rc);
}

/* ---- Prometheus ---------------------------------------------------- */

/* a label value: backslash, double quote and newline escaped */
static void
prom_value(struct buf *o, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(o, '\\');
		if (*s == '\n')
			buf_adds(o, "\\n");
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			buf_addc(o, ' ');
		else
			buf_addc(o, *s);
	}
}

static int
prom(const char *target, time_t since, struct buf *o, char *err,
    size_t errlen)
{
	struct rows series = { 0 }, hosts = { 0 };
	long long c[3] = { 0, 0, 0 };
	char *tab;
	size_t i;
	int rc = -1;

	if (hist_query(target, sql_counts, since, cb_count, c, err,
	    errlen) == -1 ||
	    hist_query(target, sql_series, since, cb_abcn, &series, err,
	    errlen) == -1 ||
	    hist_query(target, sql_hosts, since, cb_host, &hosts, err,
	    errlen) == -1)
		goto done;
	if (series.oom || hosts.oom) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	buf_printf(o, "# HELP bounce_milter_report_window_seconds How far back "
	    "the other figures count.\n"
	    "# TYPE bounce_milter_report_window_seconds gauge\n"
	    "bounce_milter_report_window_seconds %lld\n",
	    (long long)(time(NULL) - since));
	buf_adds(o, "# HELP bounce_milter_bounces Failed or delayed "
	    "recipients in the bounces received in the window, by cause, "
	    "who must act and recipient domain.\n"
	    "# TYPE bounce_milter_bounces gauge\n");
	for (i = 0; i < series.n && i < SERIES_MAX; i++) {
		if ((tab = strchr(series.v[i].a, '\t')) == NULL)
			continue;
		*tab = '\0';
		buf_adds(o, "bounce_milter_bounces{cause=\"");
		prom_value(o, series.v[i].a);
		buf_adds(o, "\",side=\"");
		prom_value(o, tab + 1);
		buf_adds(o, "\",domain=\"");
		prom_value(o, series.v[i].b);
		buf_printf(o, "\"} %lld\n", series.v[i].n);
	}
	buf_printf(o, "# HELP bounce_milter_bounces_matched Bounces in the "
	    "window tied to a message we sent.\n"
	    "# TYPE bounce_milter_bounces_matched gauge\n"
	    "bounce_milter_bounces_matched %lld\n", c[2]);
	buf_adds(o, "# HELP bounce_milter_outgoing Messages we sent in the "
	    "window, by the host that recorded them.\n"
	    "# TYPE bounce_milter_outgoing gauge\n");
	for (i = 0; i < hosts.n; i++) {
		buf_adds(o, "bounce_milter_outgoing{host=\"");
		prom_value(o, hosts.v[i].a);
		buf_printf(o, "\"} %lld\n", hosts.v[i].k);
	}
	buf_adds(o, "# HELP bounce_milter_bounces_by_host Bounce rows in the "
	    "window, by the host that classified them.\n"
	    "# TYPE bounce_milter_bounces_by_host gauge\n");
	for (i = 0; i < hosts.n; i++) {
		buf_adds(o, "bounce_milter_bounces_by_host{host=\"");
		prom_value(o, hosts.v[i].a);
		buf_printf(o, "\"} %lld\n", hosts.v[i].n);
	}
	rc = 0;
done:
	rows_free(&series);
	rows_free(&hosts);
	return (rc);
}

int
hist_view(const char *target, time_t since, int format,
    const struct rules *rules, const struct config *conf, struct buf *out,
    char *err, size_t errlen)
{
	if (format == HISTORY_REPORT_PROM)
		return (prom(target, since, out, err, errlen));
	return (html(target, since, rules, conf, out, err, errlen));
}
