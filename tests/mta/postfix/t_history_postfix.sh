#!/bin/sh
# t_history_postfix - the history store and trends in bounce-milter,
# behind a real, private Postfix (tests/lib/postfix.sh)
#
# As root only.  The milter runs as nobody with history and trends on
# (dbeb_addresses = 5).  Postfix routes reject.example to an smtp-sink
# that answers "550 5.4.1 Recipient address rejected: Access denied", so
# Postfix itself returns every message sent there, through the milter
# (non_smtpd_milters).  Then:
#   1. six messages from 127.0.0.1 (internal) to six addresses at
#      reject.example: the milter records each as outgoing; each of
#      Postfix's six bounces gets X-Bounce-Original with its own
#      original's Message-ID, and a log line with orig_msgid/sent/ttb;
#      exactly one trend line fires (at the fifth address);
#   2. the database holds the six originals under Postfix's queue ids
#      and the six bounces tied to them; bounce-decode --report counts
#      them (6 bounces, 6 addresses, 6 matched);
#   3. the database locked by the sqlite3 CLI for 8 s while mail flows:
#      every SMTP transaction stays fast, every bounce still arrives
#      annotated, the log says the store was locked, then writing again;
#   4. the database file removed while the milter runs: the log says
#      so, the file is created again and holds what came after;
#   5. the milter killed with SIGKILL: integrity_check says ok.
ROOT=$(pwd)
. tests/lib/postfix.sh
pf_require sqlite3
M="$ROOT/$BUILD/bounce-milter"
D="$ROOT/$BUILD/bounce-decode"
need_built "$M" "$D"

test_tmpdir t_history_pf
chmod 755 "$T"
pid="" lpid=""
at_exit() {
	pf_stop
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null
	bm_kill
}

pf_ports

fail() { echo "FAIL: $*"; echo "--- milter log"; tail -n 40 "$T/milter.log";
	echo "--- maillog"; tail -n 20 "$T/maillog" 2>/dev/null; exit 1; }

RULES=$(rules_public "$T") || exit 1
mkdir -p "$T/hist"
chown nobody "$T/hist"
db="$T/hist/history.db"
{
	bm_conf_head "inet:$PMILTER@127.0.0.1" "$RULES"
	cat <<EOF
internal_networks = [ "127.0.0.0/8" ];
history = { path = "$db"; retention_days = 30; };
trends = { window = 3600; dbeb_addresses = 5; blocked_domains = 3; };
EOF
} >"$T/bm.conf"
bm_start "$T/milter.log" "$T/bm.conf" -u nobody || fail "milter did not start"
pf_start

# send TO MSGID: one message from an internal client; prints seconds taken
send() {
	python3 - "$PSMTPD" "$1" "$2" <<'PY' || fail "SMTP send to $1 failed"
import smtplib, sys, time
port, to, msgid = sys.argv[1:4]
frm = "sender@origin.example"
msg = ("From: %s\r\nTo: %s\r\nSubject: history\r\nMessage-ID: %s\r\n"
       "\r\nhello\r\n" % (frm, to, msgid)).encode()
t0 = time.time()
s = smtplib.SMTP("127.0.0.1", int(port), timeout=30)
s.sendmail(frm, [to], msg)
s.quit()
print("%.2f" % (time.time() - t0))
PY
}
bounce_for() { grep -l "$1" "$T"/sinka/* 2>/dev/null | head -n 1; }
has_bounce() { [ -n "$(bounce_for "$1")" ]; }
orig_of() {	# the X-Bounce-Original header of the bounce returning $1
	awk '/^$/ { exit } /^X-Bounce-Original:/ { p = 1; printf "%s", $0; next }
	    /^[ \t]/ { if (p) printf " %s", $0; next } { p = 0 }' "$(bounce_for "$1")"
}

# --- 1. six messages, six bounces, one trend line
for i in 1 2 3 4 5 6; do
	send "u$i@reject.example" "<h.$i@origin.example>" >/dev/null
	wait_for 30 has_bounce "h.$i@origin.example" ||
		fail "no bounce for message $i"
done
for i in 1 2 3 4 5 6; do
	o=$(orig_of "h.$i@origin.example")
	echo "$o" | grep -q "^X-Bounce-Original: message-id=<h.$i@origin.example>;[[:space:]]*sent=20[0-9-]*T[0-9:]*Z;[[:space:]]*from=<sender@origin.example>" ||
		fail "bounce $i: wrong or missing X-Bounce-Original: $o"
	grep -q ": bounce rcpt=u$i@reject.example .*cause=recipient-not-in-directory .*orig_msgid=<h.$i@origin.example> sent=[0-9TZ:-]* ttb=[0-9]" "$T/milter.log" ||
		fail "bounce $i: no log line with orig_msgid/sent/ttb"
done
echo "ok: 6 of Postfix's bounces tied to their originals"
echo "    $(orig_of h.3@origin.example)"
grep ": bounce rcpt=u3@reject.example" "$T/milter.log" | head -n 1 | sed 's/^/    /'
n=$(grep -c "trend domain=reject.example cause=recipient-not-in-directory" "$T/milter.log")
[ "$n" = 1 ] || fail "want exactly one trend line, got $n"
grep -q 'trend domain=reject.example cause=recipient-not-in-directory count=5 window=3600 hint="the receiving tenant is probably misconfigured: accepted domain or directory sync"' "$T/milter.log" ||
	fail "trend line not as specified"
echo "ok: one trend line, at the fifth address:"
grep "trend domain=" "$T/milter.log" | sed 's/^/    /'

# --- 2. what the database holds, and the report
sleep 1
for i in 1 2 3 4 5 6; do
	q=$(sqlite3 "$db" "SELECT queue_id FROM outgoing WHERE message_id = 'h.$i@origin.example'")
	[ -n "$q" ] || fail "message $i not recorded as outgoing"
	grep -q "postfix.*: $q: .*message-id=<h.$i@origin.example>" "$T/maillog" ||
		fail "message $i: recorded under queue id $q, which Postfix did not log for it"
done
m=$(sqlite3 "$db" "SELECT count(*) FROM bounce WHERE domain = 'reject.example' AND orig_sent > 0")
[ "$m" = 6 ] || fail "want 6 bounces tied to originals in the database, got $m"
"$D" --history "$db" --report --json >"$T/report.json" || fail "report failed"
grep -q '{"domain":"reject.example","cause":"recipient-not-in-directory","reason":"userunknown","count":6,"addresses":6,"matched":6,' "$T/report.json" ||
	{ cat "$T/report.json"; fail "report: wrong reject.example row"; }
echo "ok: database and report agree (6 originals under Postfix's queue ids, 6 bounces, 6 matched)"
"$D" --history "$db" --report | sed 's/^/    /'

# --- 3. locked by another process while mail flows
(echo "BEGIN IMMEDIATE;"; echo "INSERT INTO outgoing (sent) VALUES (0);";
 sleep 8; echo "ROLLBACK;") | sqlite3 "$db" &
lpid=$!
sleep 0.5
slow=0
for i in 7 8 9; do
	s=$(send "u$i@reject.example" "<h.$i@origin.example>")
	echo "    sent message $i in ${s}s while the database was locked"
	python3 -c "import sys; sys.exit(0 if float('$s') < 2 else 1)" || slow=1
done
[ $slow = 0 ] || fail "an SMTP transaction took 2 s or more while the database was locked"
for i in 7 8 9; do
	wait_for 30 has_bounce "h.$i@origin.example" || fail "locked: no bounce for message $i"
	grep -q "^X-Bounce-Class: mx.test.example; rcpt=u$i@reject.example;" "$(bounce_for "h.$i@origin.example")" ||
		fail "locked: bounce $i not annotated"
done
wait $lpid
lpid=""
wait_for 10 grep -q "history: .*: locked (" "$T/milter.log" ||
	fail "locked: no log line says the database was locked"
send "u10@reject.example" "<h.10@origin.example>" >/dev/null
wait_for 30 has_bounce "h.10@origin.example" || fail "no bounce for message 10"
wait_for 10 grep -q "history: .*writing again after locked" "$T/milter.log" ||
	fail "locked: no log line says writing resumed"
echo "ok: mail flowed while the database was locked; the log says:"
grep "history: .*locked" "$T/milter.log" | sed 's/^/    /'

# --- 4. the database removed while the milter runs
rm -f "$db" "$db-wal" "$db-shm"
send "u11@reject.example" "<h.11@origin.example>" >/dev/null
wait_for 30 has_bounce "h.11@origin.example" || fail "removed: no bounce for message 11"
wait_for 10 grep -q "history: .*was removed or replaced while open" "$T/milter.log" ||
	fail "removed: no log line says so"
wait_for 10 sh -c "[ \"\$(sqlite3 '$db' \"SELECT count(*) FROM outgoing WHERE message_id = 'h.11@origin.example'\" 2>/dev/null)\" = 1 ]" ||
	fail "removed: the new database does not hold message 11"
echo "ok: database removed while running: re-created, the log says:"
grep "history: .*removed" "$T/milter.log" | sed 's/^/    /'

# --- 5. SIGKILL: the database is intact
kill -KILL "$pid"
wait "$pid" 2>/dev/null
pid=""
r=$(sqlite3 "$db" "PRAGMA integrity_check")
[ "$r" = ok ] || fail "integrity_check after SIGKILL: $r"
echo "ok: milter killed with SIGKILL; integrity_check: $r"
exit 0
