#!/bin/sh
# t_maillog_follow - bounce-decode --maillog --follow across log rotation
#
# A writer (tests/lib/maillog_writer.py) appends 100,000 Postfix
# status=bounced lines, each naming its own recipient, in bursts, to a log
# that it rotates every few thousand lines, the two logrotate ways in
# turn: move-and-create (log -> log.1, a new log, and a few more lines
# into the old file before the writer reopens, as syslog does until its
# HUP) and copytruncate (log copied to log.1, then cut to 0 while the
# writer keeps its O_APPEND descriptor).  Meanwhile bounce-decode
# --maillog --follow reads the log.  Every recipient must come out
# exactly once: no line lost, none doubled.  Then SIGTERM: exit 0.
# TEST_FOLLOW_LINES changes the count.
BUILD=${BUILD:-build}
B=$BUILD/bounce-decode
[ -x "$B" ] || { echo "no $B; run make first"; exit 1; }
N=${TEST_FOLLOW_LINES:-100000}
W=$(mktemp -d); rpid=""
trap '[ -n "$rpid" ] && kill "$rpid" 2>/dev/null; [ "${BM_KEEP:-0}" = 1 ] && echo "kept $W" || rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; tail -n 5 "$W/err" 2>/dev/null; exit 1; }
: >"$W/mail.log"
"$B" --maillog --follow "$W/mail.log" >"$W/out" 2>"$W/err" &
rpid=$!
sleep 0.3
python3 tests/lib/maillog_writer.py "$W/mail.log" "$N" >"$W/writer.out" || fail "writer failed"
# wait until the reader has caught up (at most 120 s)
i=0
while [ "$(wc -l <"$W/out")" -lt "$N" ] && [ $i -lt 1200 ]; do
	sleep 0.1; i=$((i + 1))
done
sleep 1		# a doubled line would come now
kill -TERM "$rpid"
wait "$rpid"; rc=$?
rpid=""
[ $rc = 0 ] || fail "reader exit $rc after SIGTERM"
python3 - "$W/out" "$N" <<'PY' || fail "lines lost or doubled"
import collections, sys
seen = collections.Counter()
for l in open(sys.argv[1]):
    f = l.split(" ")
    if len(f) > 1:
        seen[f[1]] += 1
n = int(sys.argv[2])
want = {"r%06d@example.org" % i for i in range(n)}
lost = want - set(seen)
doubled = [a for a, c in seen.items() if c > 1]
extra = set(seen) - want
print("results %d, distinct %d, lost %d, doubled %d, unknown %d" % (
    sum(seen.values()), len(seen), len(lost), len(doubled), len(extra)))
if lost:
    print("lost e.g.", sorted(lost)[:5])
if doubled:
    print("doubled e.g.", sorted(doubled)[:5])
sys.exit(1 if lost or doubled or extra else 0)
PY
moves=$(grep -c 'replaced (rotated)' "$W/err")
cuts=$(grep -c 'was cut short' "$W/err")
copies=$(grep -c 'read from' "$W/err")
echo "ok: $N lines through $(cat "$W/writer.out"); the reader saw $moves moves and $cuts truncations ($copies read on from the copy)"
[ "$moves" -gt 0 ] && [ "$cuts" -gt 0 ] || fail "rotation not seen"
