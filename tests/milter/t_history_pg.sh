#!/bin/sh
# t_history_pg - the history in PostgreSQL: two milters (a relay and an MX)
# on one private server, the report from PostgreSQL equal to the one from
# SQLite, and the faults that must never delay mail
#
# Starts a private PostgreSQL (tests/lib/pg.sh: initdb, pg_ctl, a Unix
# socket in a temporary directory, no TCP port; as nobody when run as
# root).  Then:
#   1. report: test_history feed writes a known history into SQLite; the
#      same rows are copied into PostgreSQL; bounce-decode --report, as
#      table, JSON, Prometheus text and HTML page, must be the same from
#      both (but for the times the report was made and the page's chart
#      over time, whose buckets start then);
#   2. relay and MX: two bounce-milters, history.url on the one server,
#      history.host relay1 and mx1, behind miltertest (tests/milter/pg/*.lua):
#      the relay records PG_N messages of ours, the MX classifies their
#      bounces; each bounce must carry X-Bounce-Original with its own
#      original, and the report counts both hosts (PG_N outgoing from
#      relay1, PG_N bounces from mx1, all matched); a trend counts
#      every host: 3 DBEB bounces at one domain through mx1 and 2 through
#      a second MX (mx2) fire the trend line (5 addresses) on mx2;
#   3. faults, each with mail flowing through both milters and every
#      transaction timed (bound: max_classify_ms + dns.timeout_ms, 1200
#      ms here; the milter's log then accounts for every record: written
#      + dropped = queued, from its closing line):
#      a. the server stopped for about 3 s and started again;
#      b. a "server" that accepts connections and never answers (python3);
#      c. a role that may read but not insert.
#      The log must say what happened in each case.
#   4. the least privilege bounce-milter(8) documents (SELECT, INSERT,
#      DELETE on the tables, SELECT on history_schema, USAGE on the
#      sequences) writes and finds originals, with nothing in the log.
# FAULT_LONG=1 (make faults) sends more mail and stops the server longer.
# Skips (77) without miltertest or the postgresql package.
command -v miltertest >/dev/null 2>&1 ||
	{ echo "skipped: miltertest is not installed (apt-get install miltertest)"; exit 77; }
BUILD=${BUILD:-build}
ROOT=$(pwd)
M="$ROOT/$BUILD/bounce-milter"
D="$ROOT/$BUILD/bounce-decode"
H="$ROOT/$BUILD/tests/test_history"
[ -x "$M" ] && [ -x "$D" ] && [ -x "$H" ] || { echo "no $M, $D or $H; run make first"; exit 1; }
command -v sqlite3 >/dev/null 2>&1 || { echo "skipped: no sqlite3 CLI"; exit 77; }
. tests/lib/pg.sh

T=$(mktemp -d "${TMPDIR:-/tmp}/t_history_pg.XXXXXX") || exit 1
chmod 755 "$T"
pids=""
cleanup() {
	[ -f "$T/pids" ] && pids="$pids $(cat "$T/pids")"
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	pg_cleanup
	[ "${BM_KEEP:-0}" = 1 ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
pg_setup "$T" || exit 77
t0=$(date +%s)
took() { echo "    ($(( $(date +%s) - t0 )) s so far)"; }
pg_start || exit 1
fail=0
bad() { echo "FAIL: $*"; fail=1; echo x >>"$T/failed"; }
LONG=${FAULT_LONG:-0}
BOUND=1200

# --- 1. the same records, the same report
"$H" feed "$T/h.db" 2>"$T/feed.err" || { cat "$T/feed.err"; exit 1; }
"$H" feed "$PG_URL" 2>"$T/feed.err" || { cat "$T/feed.err"; exit 1; }
pg_sql "TRUNCATE outgoing, bounce" || exit 1
ocols="id, sent, queue_id, message_id, sender, rcpts, nrcpt, size, spf, dkim, envelope_id, host"
bcols="id, received, queue_id, rcpt, domain, status, reply, reason, cause, side, hard, kind, hint, orig_msgid, format, reporting_mta, orig_from, orig_sent, matched_by, host"
sqlite3 -csv "$T/h.db" "SELECT $ocols FROM outgoing ORDER BY id" >"$T/out.csv"
sqlite3 -csv "$T/h.db" "SELECT $bcols FROM bounce ORDER BY id" >"$T/bounce.csv"
chmod 644 "$T"/*.csv
pg_sql "\\copy outgoing ($ocols) FROM '$T/out.csv' WITH (FORMAT csv, NULL '\\N')" || exit 1
pg_sql "\\copy bounce ($bcols) FROM '$T/bounce.csv' WITH (FORMAT csv, NULL '\\N')" || exit 1
same() {	# same ARGS...: the report from both, without its times of making
	case "$*" in
	*--html*)
		"$D" --history "$T/h.db" --report "$@" "$T/r.sqlite" 2>&1
		"$D" --history "$PG_URL" --report "$@" "$T/r.pg" 2>&1 ;;
	*)
		"$D" --history "$T/h.db" --report "$@" >"$T/r.sqlite" 2>&1
		"$D" --history "$PG_URL" --report "$@" >"$T/r.pg" 2>&1 ;;
	esac
	# the times of making, and the chart over time (its buckets start
	# at the time of making)
	for f in "$T/r.sqlite" "$T/r.pg"; do
		sed -e 's/"since":"[^"]*","until":"[^"]*"//' \
		    -e 's/^bounces since [0-9TZ:-]*/bounces since/' \
		    -e '/^bounce_milter_report_window_seconds /d' \
		    -e '/<title>Bounces since/d' -e '/^<h1>/d' \
		    -e '/^<svg id="over-time"/,/^<\/svg>/d' "$f" >"$f.cut"
	done
	if cmp -s "$T/r.sqlite.cut" "$T/r.pg.cut"; then
		echo "ok: report $* is the same from SQLite and PostgreSQL ($(wc -c <"$T/r.pg") octets)"
	else
		bad "report $* differs:"; diff "$T/r.sqlite.cut" "$T/r.pg.cut" | head -n 20
	fi
}
n=$(pg_sql "SELECT count(*) FROM bounce")
[ "$n" = 11 ] || bad "want 11 bounce rows copied, got $n"
same
same --json
same --prometheus
same --since 7d --html
took

# --- 2. a relay and an MX on one server
# start NAME URL HOST: a milter on $T/NAME.sock, its log in $T/NAME.log
start() {
	cat >"$T/$1.conf" <<EOF
socket = "unix:$T/$1.sock";
rules = "$ROOT/${BM_RULES:-rules}";
authserv_id = "$1.test.example";
dns = { spf = false; dkim = false; mx = false; timeout_ms = 1000; };
max_classify_ms = 200;
internal_networks = [ "127.0.0.0/8" ];
history = { url = "$2"; host = "$3"; retention_days = 30; };
trends = { window = 3600; dbeb_addresses = 5; blocked_domains = 3; };
EOF
	rm -f "$T/$1.sock"
	"$M" -f -e -v -c "$T/$1.conf" 2>"$T/$1.log" &
	eval "pid_$1=$!"
	pids="$pids $!"
	echo $! >>"$T/pids"
	i=0
	while [ ! -S "$T/$1.sock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ -S "$T/$1.sock" ] || { bad "milter $1 did not start:"; cat "$T/$1.log"; exit 1; }
}
# stop NAME...: SIGTERM, wait; the closing lines are then in the logs
stop() {
	for n in "$@"; do eval "kill -TERM \$pid_$n" 2>/dev/null; done
	for n in "$@"; do
		eval "p=\$pid_$n"
		wait "$p" 2>/dev/null
		pids=$(echo "$pids" | sed "s/ $p\b//")
	done
}
took() { echo "    ($(( $(date +%s) - t0 )) s so far)"; }
# drive NAME SCRIPT TAG N [GAP_MS]: run tests/milter/pg/SCRIPT.lua against it
drive() {
	MT_SOCK="unix:$T/$1.sock" MT_MSGS="tests/fixtures/milter" \
	    MT_LIB="tests/milter/lib.lua" PG_TAG=$3 PG_N=$4 \
	    PG_GAP_MS=${5:-0} PG_WANT_ORIG=${WANT_ORIG:-0} \
	    miltertest -s "tests/milter/pg/$2.lua" >"$T/$1.$3.out" 2>&1 ||
	    { bad "$1 $3: miltertest failed:"; sed 's/^/    /' "$T/$1.$3.out"; }
	ms=$(sed -n 's/^MAXMS: //p' "$T/$1.$3.out")
	[ -n "$ms" ] && [ "$ms" -le $BOUND ] ||
		bad "$1 $3: slowest transaction ${ms:-?} ms, bound $BOUND ms"
	echo "    $1 $3: $(sed -n 's/^SENT: //p' "$T/$1.$3.out") messages, slowest ${ms:-?} ms$(sed -n 's/^ORIG: / X-Bounce-Original: /p' "$T/$1.$3.out")"
}
# account NAME WHAT: the closing line's counters add up
account() {
	l=$(grep "history: .*: closed: " "$T/$1.log" | tail -n 1)
	[ -n "$l" ] || { bad "$1: no closing line"; return; }
	echo "$l" | awk '{ for (i = 1; i <= NF; i++) { if ($(i+1) == "records" && $(i+2) == "queued,") q = $i;
	    if ($(i+1) == "written,") w = $i; if ($(i+1) == "dropped") d = $i } }
	    END { exit !(q == w + d) }' || bad "$1: written + dropped != queued: $l"
	echo "    $1 ($2): $(echo "$l" | sed 's/.*closed: //')"
}
rows() { pg_sql "SELECT count(*) FROM $1 WHERE host = '$2'"; }
wait_rows() {	# wait_rows TABLE HOST N
	i=0
	while [ "$(rows "$1" "$2")" -lt "$3" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

N=5
[ "$LONG" = 1 ] && N=50
pg_sql "TRUNCATE outgoing, bounce" || exit 1
start relay "$PG_URL" relay1
start mx "$PG_URL" mx1
drive relay relay rt $N
wait_rows outgoing relay1 $N
WANT_ORIG=1 drive mx mx rt $N
wait_rows bounce mx1 $N
"$D" --history "$PG_URL" --report --json >"$T/two.json" || bad "report failed"
grep -q '"outgoing":'$N',"bounces":'$N',"matched":'$N',' "$T/two.json" ||
	bad "report does not count $N outgoing, $N bounces, $N matched: $(cat "$T/two.json")"
grep -q '"hosts":\[{"host":"mx1","outgoing":0,"bounces":'$N'},{"host":"relay1","outgoing":'$N',"bounces":0}\]' "$T/two.json" ||
	bad "report does not count both hosts: $(cat "$T/two.json")"
grep -q "bounce rcpt=u1@reject.example .*orig_msgid=<rt.1@origin.example> sent=[0-9TZ:-]* ttb=[0-9]" "$T/mx.log" ||
	bad "the MX's log line lacks orig_msgid/sent/ttb"
[ $fail = 0 ] && echo "ok: the MX tied $N bounces to what the relay sent; the report counts both hosts"
"$D" --history "$PG_URL" --report | sed 's/^/    /'
# trends across hosts: 3 DBEB bounces at one domain through mx1, then 2
# more addresses there through a second MX: the fifth address crosses
# dbeb_addresses (5) only when mx2 counts what mx1 wrote
start mx2 "$PG_URL" mx2
dbeb() {	# dbeb NAME TAG N OFF
	PG_MSG=dbeb.eml PG_ORIG='<orig%.1@example%.org>' \
	    PG_ADDR='user@contoso%.example%.com' PG_DOMAIN=trend.example \
	    PG_OFF=$4 drive "$1" mx "$2" "$3"
}
dbeb mx dbeb1 3 0
wait_rows bounce mx1 $((N + 3))
sleep 2.2	# mx2 reads the other hosts' rows every 2 s
dbeb mx2 dbeb2 2 3
sleep 0.5
if grep -q "trend domain=trend.example cause=recipient-not-in-directory count=5" "$T/mx2.log"; then
	echo "ok: a trend line fired on mx2 counting mx1's bounces:"
	grep "trend domain=trend.example" "$T/mx2.log" | head -n 1 | sed 's/^/    /'
else
	bad "no trend line on mx2 at the fifth address (3 through mx1, 2 through mx2)"
	grep "trend" "$T/mx.log" "$T/mx2.log" | head -n 3
fi
stop mx2
took

# --- 3b, 3c, 3d: each its own milters and hosts, run beside each other
# (mostly waiting)
# 3b. a server that accepts and never answers
phase_hang() {
	mkdir -p "$T/hang"
	python3 - "$T/hang/.s.PGSQL.5432" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o777); s.listen(64)
held = []
while True:
    c, _ = s.accept()
    held.append(c)          # accept, never answer
PY
	hp=$!
	echo "$hp" >>"$T/pids"
	i=0; while [ ! -S "$T/hang/.s.PGSQL.5432" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	start relayb "postgresql:///bm?host=$T/hang&user=bm&connect_timeout=2" relay1
	start mxb "postgresql:///bm?host=$T/hang&user=bm&connect_timeout=2" mx1
	drive relayb relay hang $((N * 2)) 50
	WANT_ORIG=0 drive mxb mx hang $((N * 2)) 50
	sleep 2.5
	stop relayb mxb
	kill $hp 2>/dev/null; wait $hp 2>/dev/null
	grep -q "no answer within 2000 ms while connecting" "$T/relayb.log" ||
		bad "hang: the log does not say the server does not answer"
	account relayb "server never answers"
	account mxb "server never answers"
	grep "history: postgresql" "$T/relayb.log" | head -n 2 | sed 's/^/    log: /'
}

# 3c. a role that may read but not insert
phase_weak() {
	pg_role bmweak "GRANT SELECT ON outgoing, bounce, history_schema TO bmweak" || { bad "role bmweak"; return; }
	start relayc "postgresql:///bm?host=$PG_DIR/pg&user=bmweak" relay1
	start mxc "postgresql:///bm?host=$PG_DIR/pg&user=bmweak" mx1
	drive relayc relay weak 3 0
	WANT_ORIG=0 drive mxc mx weak 3 0
	sleep 1
	stop relayc mxc
	grep -q "history: postgresql:.*: permission denied (ERROR: *permission denied for table outgoing)" "$T/relayc.log" ||
		bad "weak role: the log does not say permission denied"
	account relayc "role without INSERT"
	account mxc "role without INSERT"
	grep "permission denied" "$T/relayc.log" | head -n 1 | sed 's/^/    log: /'
}

# 3d. the least privilege bounce-milter(8) documents is enough
phase_least() {
	pg_role bmleast "GRANT CONNECT ON DATABASE bm TO bmleast; GRANT USAGE ON SCHEMA public TO bmleast; GRANT SELECT, INSERT, DELETE ON outgoing, bounce TO bmleast; GRANT SELECT ON history_schema TO bmleast; GRANT USAGE ON SEQUENCE outgoing_id_seq, bounce_id_seq TO bmleast" || { bad "role bmleast"; return; }
	start relayd "postgresql:///bm?host=$PG_DIR/pg&user=bmleast" relay4
	start mxd "postgresql:///bm?host=$PG_DIR/pg&user=bmleast" mx4
	drive relayd relay least $N 0
	wait_rows outgoing relay4 $N
	WANT_ORIG=1 drive mxd mx least $N 0
	wait_rows bounce mx4 $N
	stop relayd mxd
	[ "$(rows outgoing relay4)" = $N ] && [ "$(rows bounce mx4)" = $N ] ||
		bad "least privilege: $(rows outgoing relay4) outgoing and $(rows bounce mx4) bounce rows written, want $N each"
	grep -q "history: postgresql.*\(denied\|dropped ([0-9]* so far)\)" "$T/relayd.log" "$T/mxd.log" &&
		bad "least privilege: trouble in the log: $(grep -h 'history: postgresql' "$T/relayd.log" "$T/mxd.log" | head -n 2)"
	account relayd "least privilege"
	account mxd "least privilege"
}

# 3b needs no server: it runs beside 3a; 3c and 3d after it
phase_hang >"$T/phase_hang.out" 2>&1 &
p1=$!

# --- 3a. the server stopped and started again while mail flows
G=100
[ "$LONG" = 1 ] && G=50
( sleep 1; pg_stop; sleep $([ "$LONG" = 1 ] && echo 8 || echo 2); pg_start ) &
sp=$!
drive relay relay stop $((N * 4)) $G &
dp=$!
WANT_ORIG=0 drive mx mx stop $((N * 4)) $G
wait $dp
wait $sp
grep -q "history: postgresql:.*: \(connection lost\|server going away\|cannot connect\|timed out\)" "$T/relay.log" "$T/mx.log" ||
	bad "stop: no log line says the server went away"
# the writers reconnect (the backoff doubles from 1 s) and write again:
# a message a second until the relay says so, 30 s at most
drive relay relay after 3 0
i=0
while ! grep -q "writing again after" "$T/relay.log" && [ $i -lt 30 ]; do
	sleep 1; i=$((i + 1))
	drive relay relay after$i 1 0 >/dev/null
done
grep -q "writing again after" "$T/relay.log" || bad "stop: the relay never wrote again"
stop relay mx
account relay "server stopped and started"
account mx "server stopped and started"
took
grep "history: postgresql" "$T/relay.log" | head -n 3 | sed 's/^/    log: /'

phase_weak >"$T/phase_weak.out" 2>&1 &
p2=$!
phase_least >"$T/phase_least.out" 2>&1 &
p3=$!
wait $p1 $p2 $p3
for f in hang weak least; do cat "$T/phase_$f.out"; done
took
[ -s "$T/failed" ] && fail=1

if grep -q -e 'ERROR: AddressSanitizer' -e 'runtime error:' "$T"/*.log; then
	bad "sanitizer report in a milter log"
fi
exit $fail
