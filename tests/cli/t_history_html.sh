#!/bin/sh
# t_history_html - bounce-decode --report --html and --prometheus: the page
# renders in a real browser and its figures are the database's
#
# A history with known contents: test_history creates the schema, then
# tests/lib/histgen.py adds a week of made-up rows (400 bounces over 7
# causes, 6 sides, 8 domains, 2 MX hosts; 900 outgoing from 2 relays).
#   1. --html FILE: tests/lib/reportcheck.py reads the page: no script,
#      nothing fetched (no src or href), and every figure equals the
#      database's (summary, bars over time summed by cause, each domain's
#      bar per side, the time-to-bounce bins, the trend lines listed);
#      with -c, the replay's window and thresholds are the configuration's
#      (named on the page; thresholds no domain reaches fire nothing);
#   2. the page in headless Chromium (Debian's chromium; skipped with a
#      message when absent), network off: a screenshot is taken, no
#      console message is logged, and the DOM Chromium built gives the
#      same figures (reportcheck.py again, on the dumped DOM);
#   3. --prometheus: each line parses as the text exposition format
#      (reportcheck.py's parser; promtool check metrics too, when
#      installed), and the bounce_milter_bounces and _outgoing series
#      equal the database.
# BM_SHOT=FILE keeps the screenshot (tests/report-screenshot.png was made
# so).  Exit 77 only when the whole test cannot run.
. tests/lib/common.sh
ROOT=$(pwd)
D="$ROOT/$BUILD/bounce-decode"
H="$ROOT/$BUILD/tests/test_history"
need_built "$D" "$H"
need_cmd python3
test_tmpdir t_history_html
fail=0

"$H" count "$T/h.db" >/dev/null 2>&1 || { echo "cannot create $T/h.db"; exit 1; }
python3 tests/lib/histgen.py "$T/h.db" || exit 1
since=$(( $(date +%s) - 7 * 86400 ))

# --- 1. the page, as written
"$D" --history "$T/h.db" --report --since 7d --html "$T/report.html" ||
	{ echo "FAIL: --html failed"; exit 1; }
echo "ok: --html wrote $(wc -c <"$T/report.html") octets"
python3 tests/lib/reportcheck.py html "$T/h.db" "$T/report.html" $since || fail=1
# the checker itself: one bar's count off by one must be caught
sed '0,/data-count="\([0-9]*\)"/s//data-count="999\1"/' "$T/report.html" >"$T/planted.html"
if python3 tests/lib/reportcheck.py html "$T/h.db" "$T/planted.html" $since >/dev/null; then
	echo "FAIL: the checker passed a page with a wrong count"; fail=1
else
	echo "ok: the checker catches a planted wrong count"
fi

# --- 1b. the replay takes the configuration's trend settings (-c)
fired() { sed -n 's/.*data-fired="\([0-9]*\)".*/\1/p' "$1" | head -n 1; }
printf 'trends = {\n\twindow = 600;\n\tdbeb_addresses = 100000;\n\tblocked_domains = 100000;\n};\n' >"$T/high.conf"
"$D" -c "$T/high.conf" --history "$T/h.db" --report --since 7d \
    --html "$T/high.html" || { echo "FAIL: --html with -c failed"; exit 1; }
if ! grep -q 'window 600 s' "$T/high.html" ||
    ! grep -q 'at 100000 addresses of one domain' "$T/high.html"; then
	echo "FAIL: the page does not name the configured window and thresholds"
	fail=1
elif [ "$(fired "$T/report.html")" -gt 0 ] && [ "$(fired "$T/high.html")" != 0 ]; then
	echo "FAIL: thresholds of 100000 fired $(fired "$T/high.html") lines"
	fail=1
else
	echo "ok: -c: the page replays with the configured window and thresholds ($(fired "$T/report.html") lines at the defaults, $(fired "$T/high.html") at 100000)"
fi

# --- 2. in a browser
CHROMIUM=""
for c in chromium chromium-browser; do
	command -v $c >/dev/null 2>&1 && { CHROMIUM=$c; break; }
done
if [ -z "$CHROMIUM" ]; then
	echo "skipped (browser part): no chromium; apt-get install chromium (mk/deps)"
else
	HOME=$T timeout 120 $CHROMIUM --headless --no-sandbox --disable-gpu \
	    --hide-scrollbars --user-data-dir="$T/profile" \
	    --enable-logging=stderr --v=0 --proxy-server=127.0.0.1:9 \
	    --window-size=960,1320 --screenshot="$T/shot.png" \
	    --dump-dom "file://$T/report.html" >"$T/dom.html" 2>"$T/chromium.log"
	rc=$?
	if [ $rc != 0 ] || [ ! -s "$T/dom.html" ]; then
		echo "FAIL: chromium exit $rc"; tail -n 5 "$T/chromium.log"; fail=1
	else
		if grep -q ':CONSOLE' "$T/chromium.log"; then
			echo "FAIL: console messages:"; grep ':CONSOLE' "$T/chromium.log"; fail=1
		fi
		s=$(wc -c <"$T/shot.png" 2>/dev/null || echo 0)
		[ "$s" -gt 20000 ] ||
			{ echo "FAIL: screenshot of $s octets (blank?)"; fail=1; }
		python3 tests/lib/reportcheck.py html "$T/h.db" "$T/dom.html" $since ||
			fail=1
		[ $fail = 0 ] && echo "ok: chromium rendered it: screenshot $s octets, no console message, the DOM's figures match"
		[ -n "$BM_SHOT" ] && cp "$T/shot.png" "$BM_SHOT"
	fi
fi

# --- 3. Prometheus
"$D" --history "$T/h.db" --report --since 7d --prometheus >"$T/metrics.prom" ||
	{ echo "FAIL: --prometheus failed"; exit 1; }
python3 tests/lib/reportcheck.py prom "$T/h.db" "$T/metrics.prom" $since || fail=1
if command -v promtool >/dev/null 2>&1; then
	promtool check metrics <"$T/metrics.prom" >"$T/promtool.out" 2>&1 ||
		{ echo "FAIL: promtool check metrics:"; cat "$T/promtool.out"; fail=1; }
	[ $fail = 0 ] && echo "ok: promtool check metrics"
else
	echo "    (no promtool: the test's own parser only)"
fi
exit $fail
