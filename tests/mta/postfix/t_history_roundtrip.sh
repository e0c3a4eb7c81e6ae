#!/bin/sh
# t_history_roundtrip - a bounce that real Postfix generates is tied back
# to the message we recorded as sent (library side, no daemon)
#
# As root only (Postfix).  A private Postfix (tests/lib/postfix.sh;
# no milter listens, so milter_default_action = accept lets mail pass)
# routes reject.example to an smtp-sink that answers "550 5.4.1
# Recipient address rejected: Access denied".  For two messages:
#   1. record the message as sent (queue id from the "queued as" reply,
#      its Message-ID), then find Postfix's bounce joined to it by the
#      returned original's Message-ID;
#   2. record only the queue id (a different Message-ID): the join goes
#      by the DSN's X-Postfix-Queue-ID.
# Then bounce-decode --report counts both bounces as tied to what we
# sent.  (The daemon-level test, t_history_postfix.sh, belongs with the
# milter's history wiring.)
ROOT=$(pwd)
. tests/lib/postfix.sh
pf_require
H="$ROOT/$BUILD/tests/test_history"
D="$ROOT/$BUILD/bounce-decode"
[ -x "$H" ] && [ -x "$D" ] || { echo "skipped: $H or $D not built"; exit 77; }

test_tmpdir t_history_rt
chmod 755 "$T"
at_exit() { pf_stop; }
fail() { echo "FAIL: $*"; echo "--- maillog"; tail -n 30 "$T/maillog" 2>/dev/null; exit 1; }

pf_ports
pf_start
db="$T/history.db"

# send FROM TO MSGID: one message; prints the queue id Postfix gave it
send() {
	python3 - "$PSMTPD" "$1" "$2" "$3" <<'PY' || fail "SMTP send failed"
import re, smtplib, sys
port, frm, to, msgid = sys.argv[1:5]
msg = ("From: %s\r\nTo: %s\r\nSubject: round trip\r\nMessage-ID: %s\r\n"
       "\r\nhello\r\n" % (frm, to, msgid)).encode()
s = smtplib.SMTP("127.0.0.1", int(port), timeout=20)
s.ehlo()
s.mail(frm)
code, _ = s.rcpt(to)
if code != 250:
    sys.exit("RCPT: %d" % code)
code, resp = s.data(msg)
s.quit()
m = re.search(rb"queued as ([0-9A-Za-z]+)", resp)
if code != 250 or not m:
    sys.exit("DATA: %d %r" % (code, resp))
print(m.group(1).decode())
PY
}

bounce_for() {	# bounce_for MSGID: the file at sink A returning it
	grep -l "$1" "$T"/sinka/* 2>/dev/null | head -n 1
}
has_bounce() { [ -n "$(bounce_for "$1")" ]; }

# roundtrip N RECORDED: message N (<rt.N@origin.example>) to
# userN@reject.example through Postfix, recorded in the store by its
# queue id (in qN) with the Message-ID RECORDED; then Postfix's bounce
# for it matched against the store, the answer in $T/mN.out; returns the
# match's exit status
roundtrip() {
	_q=$(send sender@origin.example "user$1@reject.example" "<rt.$1@origin.example>")
	[ -n "$_q" ] || fail "no queue id for message $1"
	eval "q$1=\$_q"
	"$H" put "$db" "$_q" "$2" sender@origin.example "user$1@reject.example" ||
		fail "could not record message $1"
	wait_for 30 has_bounce "rt.$1@origin.example" || fail "no bounce for message $1"
	"$H" match "$db" rules "$(bounce_for "rt.$1@origin.example")" >"$T/m$1.out" 2>&1
	_rc=$?
	sed "s/^/    $1: /" "$T/m$1.out"
	return $_rc
}

# --- 1. by Message-ID
roundtrip 1 "<rt.1@origin.example>" ||
	fail "message 1: the bounce was not tied to what was sent"
grep -q "^found by=message-id msgid=<rt.1@origin.example> from=<sender@origin.example> qid=$q1 " "$T/m1.out" ||
	fail "message 1: wrong match"
# the original as the match gives it (the X-Bounce-Original header made
# of it is the daemon's, checked by t_history_postfix)
grep -q '^original: message-id=<rt.1@origin.example> sent=20[0-9-]*T[0-9:]*Z from=<sender@origin.example>$' "$T/m1.out" ||
	fail "message 1: wrong original"
echo "ok: Postfix's bounce for queue id $q1 tied back by Message-ID"

# --- 2. by X-Postfix-Queue-ID only
roundtrip 2 "<recorded-differently@origin.example>" ||
	fail "message 2: the bounce was not tied by queue id"
grep -q "^found by=queue-id msgid=<recorded-differently@origin.example> .* qid=$q2 " "$T/m2.out" ||
	fail "message 2: wrong match"
echo "ok: Postfix's bounce for queue id $q2 tied back by X-Postfix-Queue-ID"

# --- 3. the report counts them
"$D" --history "$db" --report --json >"$T/report.json" || fail "report failed"
cat "$T/report.json" | sed 's/^/    /'
grep -q '"outgoing":2,"bounces":2,"matched":2,' "$T/report.json" ||
	fail "report: wrong totals"
grep -q '{"domain":"reject.example","cause":"recipient-not-in-directory","reason":"userunknown","count":2,"addresses":2,"matched":2,' "$T/report.json" ||
	fail "report: wrong reject.example row"
echo "ok: the report counts both bounces as tied to what we sent"
exit 0
