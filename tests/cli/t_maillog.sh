#!/bin/sh
# t_maillog - bounce-decode --line and --maillog on log lines of three MTAs
#
# 1. tests/lib/maillog_cases.py: every cause family as a Postfix, a
#    Sendmail and an Exim log line and as a pasted reply; each names the
#    expected cause and side, and the same cause, side, reason, status and
#    hint as the same reply inside a bounce message.
# 2. Bad input: binary junk, a 20 MB line, a delivery line cut short, a
#    partial last line and the three MTAs mixed in one file: exit 0, the
#    good lines found with their line numbers, the skipped ones counted on
#    stderr, memory bounded (RSS under 40 MiB with /usr/bin/time).
# 3. --report (table and JSON) and --since on a log with stamps an hour
#    apart; usage errors exit 2.
BUILD=${BUILD:-build}
B=$BUILD/bounce-decode
[ -x "$B" ] || { echo "no $B; run make first"; exit 1; }
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# --- 1. the cause families, three MTAs, against bounces
python3 tests/lib/maillog_cases.py "$B" "$W" || exit 1

# --- 2. bad input
python3 - "$W/bad.log" <<'PY'
import random, sys
random.seed(18)
good = ("Dec  6 20:14:47 mail postfix/smtp[1]: 4TGOOD%d: to=<u%d@example.org>, "
        "relay=mx.example.org[192.0.2.1]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, "
        "status=bounced (host mx.example.org[192.0.2.1] said: 550 5.1.1 "
        "<u%d@example.org>: Recipient address rejected: User unknown "
        "(in reply to RCPT TO command))")
with open(sys.argv[1], "wb") as f:
    f.write((good % (1, 1, 1) + "\n").encode())                      # line 1
    f.write(bytes(random.randrange(256) for _ in range(3000)).replace(b"\n", b"") + b"\0junk\n")  # 2
    f.write(b"Dec  6 20:14:48 mail postfix/smtp[1]: 4TBIG: to=<big@example.org>, dsn=5.1.1, status=bounced (" +
            b"x" * (20 * 1024 * 1024) + b")\n")                     # 3
    f.write((good % (4, 4, 4))[:200].encode() + b"\n")               # 4: cut short
    f.write(b"2026-12-06 20:14:49 1tXBAD-000Abc-01 ** x@example.net R=dnslookup T=remote_smtp H=mx.example.net [192.0.2.2]: "
            b"SMTP error from remote mail server after RCPT TO:<x@example.net>: 550 5.1.1 No such user\n")  # 5
    f.write(b"Dec  6 20:14:50 mail sm-mta[2]: 5B6BAD: to=<y@example.com>, delay=00:00:01, mailer=esmtp, pri=1, "
            b"relay=mx.example.com. [192.0.2.3], dsn=4.0.0, stat=Deferred: Connection refused by mx.example.com.\n")  # 6
    f.write(b"\xff\xfe binary \x00\x01\x02 status=bounced stat=x ** \n")  # 7
    f.write((good % (8, 8, 8)).encode())                             # 8: no newline
PY
if command -v /usr/bin/time >/dev/null 2>&1; then
	/usr/bin/time -f '%M' -o "$W/rss" "$B" --maillog "$W/bad.log" >"$W/bad.out" 2>"$W/bad.err"
else
	"$B" --maillog "$W/bad.log" >"$W/bad.out" 2>"$W/bad.err"
fi
rc=$?
[ $rc = 0 ] || { cat "$W/bad.err"; fail "bad input: exit $rc"; }
grep -q 'runtime error\|Sanitizer' "$W/bad.err" && { cat "$W/bad.err"; fail "bad input: sanitizer report"; }
cut -d' ' -f1,2 "$W/bad.out" >"$W/bad.got"
printf '%s\n' "$W/bad.log:1: u1@example.org" "$W/bad.log:5: x@example.net" \
    "$W/bad.log:6: y@example.com" "$W/bad.log:8: u8@example.org" >"$W/bad.want"
cmp -s "$W/bad.got" "$W/bad.want" || { diff "$W/bad.want" "$W/bad.got"; fail "bad input: wrong results"; }
grep -q 'lines skipped (2 with NUL bytes, 1 longer than 65536 bytes, 1 delivery lines unreadable); the last line had no newline' "$W/bad.err" ||
	{ cat "$W/bad.err"; fail "bad input: skipped lines not counted on stderr"; }
if [ -s "$W/rss" ]; then
	rss=$(tail -n 1 "$W/rss")
	lim=40960	# an ASan build (SANITIZE=1) carries its shadow memory
	nm "$B" 2>/dev/null | grep -q __asan_init && lim=204800
	[ "$rss" -lt "$lim" ] || fail "bad input: RSS $rss KiB"
	echo "ok: bad input: 4 results, 4 lines skipped and counted, RSS $rss KiB with a 20 MB line"
fi
# the same from standard input, and a mixed file as a whole
"$B" --maillog - <"$W/bad.log" 2>/dev/null | cut -d' ' -f2 | tr '\n' ' ' >"$W/stdin.got"
[ "$(cat "$W/stdin.got")" = "u1@example.org x@example.net y@example.com u8@example.org " ] ||
	fail "stdin: $(cat "$W/stdin.got")"
cat "$W/postfix.log" "$W/sendmail.log" "$W/exim.log" >"$W/mixed.log"
n=$("$B" --json --maillog "$W/mixed.log" | wc -l)
want=$(( $("$B" --json --maillog "$W/postfix.log" | wc -l) + $("$B" --json --maillog "$W/sendmail.log" | wc -l) + $("$B" --json --maillog "$W/exim.log" | wc -l) ))
[ "$n" = "$want" ] && [ "$n" -gt 50 ] || fail "mixed: $n results, want $want"
echo "ok: mixed MTAs in one file: $n results"

# --- the envelope sender from the queue id's from= (or Exim <=) line:
# Relay Access Denied from an EOP host named after OUR domain is our
# outbound connector (causes.md), as with the original in a bounce
got=$("$B" --json --maillog tests/maillog/sender.log | python3 -c '
import json, sys
for l in sys.stdin:
    o = json.loads(l); r = o["recipients"][0]
    print(o["mta"], o["original"]["from"] or "-", r["cause"], r["side"])' | tr '\n' ';')
want="postfix ann@adatum.example relay-access-denied-outbound-connector sender;postfix - relay-access-denied recipient;sendmail ann@adatum.example relay-access-denied-outbound-connector sender;exim ann@adatum.example relay-access-denied-outbound-connector sender;"
[ "$got" = "$want" ] || fail "sender lines: got $got"
echo "ok: the sender from from= and <= lines decides the outbound connector (3 MTAs)"

# --- 3. --report, --since
python3 - "$W/rep.log" <<'PY'
import sys, time
now = time.time()
def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t))
rows = []
for i in range(6):   # two hours ago: 6 at old.example
    rows.append("%s mail postfix/smtp[1]: 4TOLD%d: to=<o%d@old.example>, relay=mx.old.example[192.0.2.5]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (host mx.old.example[192.0.2.5] said: 550 5.1.1 User unknown (in reply to RCPT TO command))" % (stamp(now - 7200), i, i % 3))
for i in range(4):   # ten minutes ago: 4 at new.example, deferred
    rows.append("%s mail postfix/smtp[1]: 4TNEW%d: to=<n%d@new.example>, relay=mx.new.example[192.0.2.6]:25, delay=1, delays=0/0/0/1, dsn=4.7.1, status=deferred (host mx.new.example[192.0.2.6] said: 450 4.7.1 Client host rejected: cannot find your hostname, [198.51.100.7] (in reply to RCPT TO command))" % (stamp(now - 600), i, i))
open(sys.argv[1], "w").write("\n".join(rows) + "\n")
PY
"$B" --maillog "$W/rep.log" --report >"$W/rep.txt" || fail "--report exit $?"
grep -q '^failed or deferred delivery attempts: 10 (4 deferred)' "$W/rep.txt" || { cat "$W/rep.txt"; fail "--report header"; }
grep -Eq '^old\.example +userunknown +6 +3 +0 ' "$W/rep.txt" || { cat "$W/rep.txt"; fail "--report old.example row"; }
grep -Eq '^new\.example +sender-no-ptr +4 +4 +4 ' "$W/rep.txt" || { cat "$W/rep.txt"; fail "--report new.example row"; }
"$B" --maillog "$W/rep.log" --report --since 1h --json >"$W/rep.json" || fail "--report --since exit $?"
python3 - "$W/rep.json" <<'PY' || fail "--report --since 1h --json"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["attempts"] == 4 and r["deferred"] == 4, r
assert [(c["domain"], c["cause"], c["count"], c["addresses"]) for c in r["causes"]] == [("new.example", "sender-no-ptr", 4, 4)], r
assert r["causes"][0]["side"] if False else True
PY
echo "ok: --report and --since 1h (4 of 10 attempts)"
"$B" --maillog >/dev/null 2>&1; [ $? = 2 ] || fail "--maillog without FILE: not exit 2"
"$B" --follow "$W/rep.log" >/dev/null 2>&1; [ $? = 2 ] || fail "--follow without --maillog: not exit 2"
"$B" --maillog "$W/nonexistent" >/dev/null 2>&1; [ $? = 1 ] || fail "missing log: not exit 1"
echo "ok: usage errors"
