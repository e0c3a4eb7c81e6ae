#!/bin/sh
# t_maillog_postfix - bounce-decode --maillog on a real Postfix's own log
#
# As root only (Postfix needs it; CI runs as root).  The private Postfix
# of the end-to-end tests (tests/lib/postfix.sh) relays mail for
# dsink.example to a small SMTP server on loopback (python3, below) that
# answers RCPT by the local part: dbeb* "550 5.4.1 Recipient address
# rejected: Access denied ...", ptr* "450 4.7.1 Client host rejected:
# cannot find your hostname ...", gmail* "421-4.7.28 ... unusual rate of
# unsolicited mail ..." (multi-line), anything else 250.  With
# bounce-decode --maillog --follow reading Postfix's maillog_file from
# before the first message:
#   1. the follower names each attempt as it happens (within 20 s of
#      the send): recipient-not-in-directory (address) for the 550,
#      sender-no-ptr (sender, kept while deferred) for the 450;
#   2. bounce-decode --maillog --json on the log afterwards names the same
#      causes, with mta postfix, the queue id, the time and the relay;
#   3. SIGTERM stops the follower with exit 0.
BUILD=${BUILD:-build}
ROOT=$(pwd)
. tests/lib/postfix.sh
pf_require
B="$ROOT/$BUILD/bounce-decode"
[ -x "$B" ] || { echo "no $B; run make first"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/t_maillog_postfix.XXXXXX") || exit 1
chmod 755 "$T"
fpid="" spid=""
cleanup() {
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	postsuper -c "$T/spool" -d ALL >/dev/null 2>&1
	pf_stop
	[ "${BM_KEEP:-0}" = 1 ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
fail() { echo "FAIL: $*"; echo "--- maillog"; tail -n 30 "$T/maillog" 2>/dev/null;
	echo "--- follower"; cat "$T/follow.out" "$T/follow.err" 2>/dev/null; exit 1; }

pf_ports
PDSINK=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 - "$PDSINK" >"$T/dsink.log" 2>&1 <<'PY' &
import socketserver, sys
REPLIES = {
    "dbeb": b"550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DM6NAM12FT034.eop-nam12.prod.protection.outlook.com]\r\n",
    "ptr": b"450 4.7.1 Client host rejected: cannot find your hostname, [127.0.0.1]\r\n",
    "gmail": b"421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating\r\n421-4.7.28 from your IP address. To protect our users from spam, mail sent\r\n421 4.7.28 from your IP address has been temporarily rate limited. - gsmtp\r\n",
}
class H(socketserver.StreamRequestHandler):
    def handle(self):
        w = self.wfile.write
        w(b"220 dsink.example ESMTP\r\n")
        data = False
        for line in self.rfile:
            if data:
                if line in (b".\r\n", b".\n"):
                    data = False
                    w(b"250 2.0.0 Ok: queued\r\n")
                continue
            cmd = line.strip().upper()
            if cmd.startswith(b"EHLO"):
                w(b"250-dsink.example\r\n250 8BITMIME\r\n")
            elif cmd.startswith(b"RCPT"):
                local = line.split(b"<", 1)[-1].split(b"@", 1)[0].decode("ascii", "replace").lower()
                for k, v in REPLIES.items():
                    if local.startswith(k):
                        w(v)
                        break
                else:
                    w(b"250 2.1.5 Ok\r\n")
            elif cmd == b"DATA":
                data = True
                w(b"354 go ahead\r\n")
            elif cmd == b"QUIT":
                w(b"221 2.0.0 Bye\r\n")
                return
            else:
                w(b"250 2.0.0 Ok\r\n")
class S(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
S(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
spid=$!
pf_start
postconf -c "$T/etc" -e "transport_maps = inline:{reject.example=smtp:[127.0.0.1]:$PSINKB, dsink.example=smtp:[127.0.0.1]:$PDSINK}" ||
	fail "postconf"
pf_reload
wait_for 10 test -s "$T/maillog" || fail "no maillog"
"$B" --maillog --follow "$T/maillog" >"$T/follow.out" 2>"$T/follow.err" &
fpid=$!
printf 'From: sender@origin.example\nTo: x@dsink.example\nSubject: t_maillog_postfix\n\nhello\n' >"$T/msg.eml"
smtp_send "sender@origin.example" "dbeb1@dsink.example" "$T/msg.eml"
smtp_send "sender@origin.example" "ptr1@dsink.example" "$T/msg.eml"
smtp_send "sender@origin.example" "gmail1@dsink.example" "$T/msg.eml"
seen() { grep -q "^$T/maillog:[0-9]*: $1 .* $2 $3 - " "$T/follow.out"; }
wait_for 20 seen dbeb1@dsink.example recipient-not-in-directory address ||
	fail "the follower did not name the 550 5.4.1 (recipient-not-in-directory)"
wait_for 20 seen ptr1@dsink.example sender-no-ptr sender ||
	fail "the follower did not name the 450 4.7.1 (sender-no-ptr, side sender)"
wait_for 20 seen gmail1@dsink.example sender-blocked sender ||
	fail "the follower did not name the 421 4.7.28 (sender-blocked, side sender)"
echo "ok: --follow named the 550 5.4.1, 450 4.7.1 and 421 4.7.28 attempts as they happened"
grep -q 'status=bounced' "$T/maillog" && grep -q 'status=deferred' "$T/maillog" ||
	fail "Postfix logged no bounced/deferred line"
"$B" --json --maillog "$T/maillog" >"$T/once.json" || fail "--maillog exit $?"
python3 - "$T/once.json" <<'PY' || fail "--maillog on the log afterwards"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
want = {"dbeb1@dsink.example": ("recipient-not-in-directory", "address", "failed", "5.4.1"),
        "ptr1@dsink.example": ("sender-no-ptr", "sender", "delayed", "4.7.1"),
        "gmail1@dsink.example": ("sender-blocked", "sender", "delayed", "4.7.28")}
got = {}
for o in rows:
    r = o["recipients"][0]
    assert o["mta"] == "postfix" and o["queue_id"] and o["time"] and "127.0.0.1" in o["relay"], o
    got.setdefault(r["recipient"], set()).add((r["cause"], r["side"], r["action"], r["status"]))
for a, w in want.items():
    assert got.get(a) == {w}, (a, got.get(a))
print("ok: --maillog afterwards: %d results, %s" % (len(rows),
      ", ".join("%s %s" % (a.split("@")[0], w[0]) for a, w in want.items())))
PY
kill -TERM "$fpid"; wait "$fpid"; rc=$?; fpid=""
[ $rc = 0 ] || fail "the follower exited $rc on SIGTERM"
echo "ok: follower stopped cleanly"
