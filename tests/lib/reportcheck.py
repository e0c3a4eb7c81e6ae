#!/usr/bin/env python3
"""reportcheck.py - the figures of bounce-decode's HTML page and Prometheus
output against the SQLite history they came from.

    reportcheck.py html DB PAGE SINCE     PAGE: the page (or the DOM a
                                          browser dumped of it)
    reportcheck.py prom DB FILE SINCE     FILE: Prometheus text format

SINCE is the window's start (epoch seconds; rows are chosen so that a few
seconds either way change nothing).  Prints what it checked; exit 1 and
the differences on the first mismatch."""
import collections
import html.parser
import re
import sqlite3
import sys


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def q(db, sql, since):
    return db.execute(sql, (since,)).fetchall()


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.svg = None
        self.bars = collections.defaultdict(list)
        self.attrs = {}
        self.trends = 0
        self.scripts = 0
        self.li_class = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "svg":
            self.svg = a.get("id")
            self.attrs[self.svg] = a
        elif tag == "rect" and self.svg:
            self.bars[self.svg].append(a)
        elif tag in ("p", "span") and a.get("id"):
            self.attrs[a["id"]] = a
        elif tag == "span" and a.get("class") == "host":
            self.attrs.setdefault("hosts", []).append(a)
        elif tag == "li" and a.get("class") == "trend":
            self.trends += 1
        elif tag == "script":
            self.scripts += 1
        for k, v in attrs:
            if k in ("src", "href") and v and not v.startswith("#"):
                fail("the page fetches %s=%s" % (k, v))

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg = None


def check_html(db, page, since):
    p = Page()
    p.feed(open(page, encoding="utf-8").read())
    if p.scripts:
        fail("the page has %d scripts" % p.scripts)
    total, matched = q(db, "SELECT count(*), sum(orig_sent > 0) FROM bounce"
                       " WHERE received >= ?", since)[0]
    outgoing = q(db, "SELECT count(*) FROM outgoing WHERE sent >= ?",
                 since)[0][0]
    s = p.attrs.get("summary") or fail("no summary")
    got = (int(s["data-bounces"]), int(s["data-matched"]),
           int(s["data-outgoing"]))
    if got != (total, matched or 0, outgoing):
        fail("summary %s, database %s" % (got, (total, matched, outgoing)))
    # bounces over time: every bar, summed by cause
    want = dict(q(db, "SELECT cause, count(*) FROM bounce WHERE received >= ?"
                  " GROUP BY cause", since))
    got = collections.Counter()
    for b in p.bars["over-time"]:
        got[b["data-cause"]] += int(b["data-count"])
    if dict(got) != want:
        fail("over time by cause %s, database %s" % (dict(got), want))
    # domains by side: the bars shown, each (domain, side)
    want = {(d, s): n for d, s, n in q(db, "SELECT domain, side, count(*)"
            " FROM bounce WHERE received >= ? GROUP BY domain, side", since)}
    shown = 0
    for b in p.bars["domains"]:
        k = (b["data-domain"], b["data-side"])
        if want.get(k) != int(b["data-count"]):
            fail("domain bar %s = %s, database %s" % (k, b["data-count"],
                 want.get(k)))
        shown += 1
    ndom = len({d for d, _ in want})
    if ndom <= 20 and shown != len(want):
        fail("%d domain bars, database has %d (domain, side)" % (shown,
             len(want)))
    # time to bounce, in the page's bins
    edges = [60, 300, 900, 3600, 14400, 86400, 259200]
    bins = [0] * 8
    for (t,) in q(db, "SELECT received - orig_sent FROM bounce WHERE"
                  " received >= ? AND orig_sent > 0", since):
        bins[sum(1 for e in edges if t >= e)] += 1
    got = [int(b["data-count"]) for b in p.bars["ttb"]]
    if got != bins:
        fail("time to bounce %s, database %s" % (got, bins))
    fired = int(p.attrs["fired"]["data-fired"])
    if p.trends != min(fired, 100):
        fail("%d trend lines listed, %d fired" % (p.trends, fired))
    print("ok: page: %d bounces in %d bars, %d domain bars, time to bounce "
          "%s, %d trend lines, no script, nothing fetched"
          % (total, len(p.bars["over-time"]), shown, bins, p.trends))


LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (-?[0-9.eE+]+|NaN|[+-]Inf)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')


def labels(s):
    out, pos = {}, 0
    while pos < len(s):
        m = LABEL.match(s, pos)
        if not m:
            fail("bad labels: %r" % s)
        v = m.group(2).replace('\\n', '\n').replace('\\"', '"').replace('\\\\', '\\')
        out[m.group(1)] = v
        pos = m.end()
    return out


def check_prom(db, path, since):
    types, series = {}, []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, t = line.split(" ", 3)
            if t not in ("gauge", "counter", "untyped", "summary",
                         "histogram"):
                fail("line %d: type %s" % (n, t))
            if name in types:
                fail("line %d: second TYPE for %s" % (n, name))
            types[name] = t
            continue
        m = LINE.match(line)
        if not m:
            fail("line %d is not the text format: %r" % (n, line))
        if m.group(1) not in types:
            fail("line %d: %s has no TYPE before it" % (n, m.group(1)))
        series.append((m.group(1), labels(m.group(3) or ""),
                       float(m.group(4))))
    seen = set()
    for name, lab, _ in series:
        k = (name, tuple(sorted(lab.items())))
        if k in seen:
            fail("series twice: %s" % (k,))
        seen.add(k)
    want = {(c, s, d): n for c, s, d, n in q(db, "SELECT cause, side, domain,"
            " count(*) FROM bounce WHERE received >= ? GROUP BY 1, 2, 3",
            since)}
    got = {(l["cause"], l["side"], l["domain"]): int(v)
           for name, l, v in series if name == "bounce_milter_bounces"}
    if got != want:
        fail("bounce_milter_bounces %s, database %s" % (got, want))
    hosts = dict(q(db, "SELECT host, count(*) FROM outgoing WHERE sent >= ?"
                   " GROUP BY host", since))
    got = {l["host"]: int(v) for name, l, v in series
           if name == "bounce_milter_outgoing" and v > 0}
    if got != hosts:
        fail("bounce_milter_outgoing %s, database %s" % (got, hosts))
    print("ok: Prometheus text: %d series, %d types, parsed; "
          "bounce_milter_bounces and _outgoing equal the database"
          % (len(series), len(types)))


mode, dbpath, path, since = sys.argv[1:5]
conn = sqlite3.connect(dbpath)
(check_html if mode == "html" else check_prom)(conn, path, int(since))
