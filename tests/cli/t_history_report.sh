#!/bin/sh
# t_history_report - bounce-decode --history DB --report: the numbers match
# what was fed in
#
# test_history feed writes a known history (tests/unit/test_history.c,
# feed()); the report must show exactly those counts, as JSON and as a
# table, for --since 24h and 7d, and fail cleanly on a missing database
# or a bad --since.
BUILD=${BUILD:-build}
T="$BUILD/tests/test_history"
D="$BUILD/bounce-decode"
[ -x "$T" ] && [ -x "$D" ] || { echo "skipped: $T or $D not built"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
db="$dir/history.db"
fail=0
want() {	# want FILE STRING: FILE contains STRING
	if ! grep -qF -- "$2" "$1"; then
		echo "FAIL: $1 lacks: $2"
		sed 's/^/    /' "$1"
		fail=1
	fi
}

"$T" feed "$db" 2>"$dir/feed.err" || { cat "$dir/feed.err"; exit 1; }
# nothing on stderr but the store's closing line with its counters
grep -v ': closed: [0-9]* records queued, [0-9]* written, 0 dropped' \
    "$dir/feed.err" >"$dir/feed.rest"
[ -s "$dir/feed.rest" ] && { cat "$dir/feed.err"; exit 1; }

"$D" --history "$db" --report --json >"$dir/day.json" || fail=1
want "$dir/day.json" '"outgoing":10,"bounces":10,"matched":4,'
want "$dir/day.json" '{"domain":"contoso.com","cause":"recipient-not-in-directory","reason":"userunknown","count":7,"addresses":6,"matched":3,'
want "$dir/day.json" '{"domain":"fabrikam.com","cause":"sender-blocked","reason":"blocked","count":2,"addresses":2,"matched":1,'
want "$dir/day.json" '{"domain":"northwind.example","cause":"sender-blocked","reason":"blocked","count":1,"addresses":1,"matched":0,'
want "$dir/day.json" '"hint":"Not in the directory"}'
# one JSON object, one line; python checks it parses, when present
[ "$(wc -l <"$dir/day.json")" -eq 1 ] || { echo "FAIL: not one line"; fail=1; }
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); \
assert sum(c["count"] for c in d["causes"]) == d["bounces"] == 10' \
	    "$dir/day.json" || { echo "FAIL: JSON does not add up"; fail=1; }
fi

"$D" --history "$db" --report --since 7d >"$dir/week.txt" || fail=1
want "$dir/week.txt" ': 11 (5 tied to what we sent); outgoing messages: 11'
want "$dir/week.txt" 'DOMAIN'
# contoso.com: 8 bounces, 6 addresses, 4 tied
grep -E '^contoso\.com +recipient-not-in-directory +8 +6 +4 ' \
    "$dir/week.txt" >/dev/null || { echo "FAIL: contoso row"; \
    cat "$dir/week.txt"; fail=1; }

"$D" --history "$db" --report --since 1s >"$dir/none.txt" || fail=1
want "$dir/none.txt" '(no bounces in that time)'

"$D" --history "$dir/missing.db" --report >/dev/null 2>"$dir/err"
rc=$?
[ $rc -eq 1 ] || { echo "FAIL: missing database: exit $rc, want 1"; fail=1; }
"$D" --history "$db" --report --since 5x >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || { echo "FAIL: bad --since: exit $rc, want 2"; fail=1; }
"$D" --report >/dev/null 2>&1
rc=$?
[ $rc -eq 2 ] || { echo "FAIL: --report without a database: exit $rc"; fail=1; }

[ $fail -eq 0 ] && echo "report numbers match what was fed in"
exit $fail
