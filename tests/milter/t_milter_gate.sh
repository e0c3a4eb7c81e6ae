#!/bin/sh
# t_milter_gate - the parse gate is not held while DNS evidence runs;
# reloads are refused once the stop began
#
# Large messages (over the in-memory spool, 64 KiB) are parsed a few at a
# time (the parse gate, milter_cb.c); the gate is left when the DNS
# evidence starts.  Held across the evidence, a large bounce waiting on
# slow DNS would make every other large message wait for its turn (and
# pass unchanged after max_classify_ms).  This test, without root:
#	the test zone (tests/lib/dnsd.sh) behind tests/fault/slowdns.py,
#	every answer GATE_DNS_MS (4000) late; dns.timeout_ms 6000,
#	max_classify_ms 2500 (shorter than one late answer); the gate
#	opened to one message at a time (BM_TEST_GATE_MAX=1, a test-only
#	variable); four large bounces for four of our own domains
#	(our_domains), each padded to about 130 KiB, sent at once; as soon
#	as the first DNS query reaches the slow server (SLOWDNS_LOG), the
#	others, at once: a large and a small
#	message with a null sender that is no bounce (an auto-reply; plain
#	mail with a sender is never parsed), a large and a small bounce for
#	a stranger's domain (no evidence, no DNS).
# Checks, by the milter's own clock (-vv "classified N octets in X ms"):
# the four bounces did wait on DNS (each at least 0.9 x GATE_DNS_MS) and
# are annotated; each other message was classified in under half of
# GATE_DNS_MS and before the first of the four finished; the large ones
# took the gate; no "no turn" and no "classification took" line; the
# stranger's bounces got no evidence (the debug line says why) and the
# DNS server never saw a query for its domain, ours did.
# Relative, not absolute: the bound for the others is a fraction of the
# DNS delay the four bounces were seen to wait.
# Everything is bounded: every miltertest runs under timeout(1), a
# watchdog stops the whole test after GATE_LIMIT (180) seconds and fails
# it.  With the gate held across the evidence (ev_stage() not leaving it)
# this test fails: the other large messages get no turn.
#
# Then SIGUSR1 every 20 ms while the daemon stops with a bounce of ours in
# flight (waiting on the late DNS, so the stop's drain waits for it):
# reloads before, refused ("reload refused: stopping") once stopping
# began, none installed after a refusal, the message finished, exit 0.
#
# Exit 0 pass, 77 skip (miltertest, python3 or dnsmasq missing), 1 fail.
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
. tests/lib/bmconf.sh
need_cmd miltertest miltertest
need_cmd python3
M="$ROOT/$BUILD/bounce-milter"
need_built "$M"
DLY=${GATE_DNS_MS:-4000}
TMO=$((DLY + 2000))
MAXC=$((DLY * 5 / 8))
LIMIT=${GATE_LIMIT:-180}
test_tmpdir t_gate
chmod 755 "$T"
pid="" spid="" dog=""
at_exit() {
	[ -n "$dog" ] && kill $(pgrep -P "$dog") "$dog" 2>/dev/null
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	sh tests/lib/dnsd.sh stop "$T/dns" >/dev/null 2>&1
}
trap 'echo "FAIL: stopped by a signal (the watchdog: over ${LIMIT} s?)"; exit 1' INT TERM HUP PIPE
# (its output elsewhere: a sleep left behind must not hold a pipe open)
( sleep "$LIMIT" && kill -TERM $$ ) >/dev/null 2>&1 </dev/null &
dog=$!

# --- DNS: the test zone, every answer DLY ms late ------------------------
dns_start "$T/dns"
SLOWDNS_LOG="$T/queries" python3 tests/fault/slowdns.py "$T/slowport" "$DLY" "$DNS_PORT" "$LIMIT" &
spid=$!
wait_for 10 test -s "$T/slowport" || { echo "FAIL: slowdns.py did not start"; exit 1; }

# --- messages --------------------------------------------------------------
OURS="spf-pass.test spf-soft.test spf-neutral.test dkim.test"
python3 - "$T" tests/fixtures/evidence/spf-fail.eml tests/fixtures/milter/plain.eml $OURS <<'EOF'
import sys
d, bounce, plain, ours = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
b = open(bounce).read()
p = open(plain).read()
pad = "".join("padding line %05d of a large returned original\n" % i
    for i in range(2600))
def big(text, mark):
    # the padding goes into the returned original's (or the plain
    # message's) own body, where a large attachment would be
    return text.replace(mark, mark + pad, 1)
bmark = "the quarterly report is attached in spirit.\n"
pmark = "shall we have lunch on Friday at noon?\n"
assert bmark in b and pmark in p
for i, dom in enumerate(ours, 1):
    open("%s/ours%d.eml" % (d, i), "w").write(
        big(b.replace("spf-pass.test", dom), bmark))
s = b.replace("spf-pass.test", "stranger.test")
open(d + "/stranger-big.eml", "w").write(big(s, bmark))
open(d + "/stranger.eml", "w").write(s)
open(d + "/plain-big.eml", "w").write(big(p, pmark))
open(d + "/plain.eml", "w").write(p)
EOF
[ $? = 0 ] || { echo "FAIL: could not write the messages"; exit 1; }
for f in ours1 stranger-big plain-big; do
	[ "$(wc -c <"$T/$f.eml")" -gt 100000 ] || bad "$f.eml is not large"
done

cat > "$T/one.lua" <<'EOF'
local T = dofile(os.getenv("MT_LIB"))
local conn = T.connect()
local r = T.send(conn, T.msg(os.getenv("MT_FILE")), os.getenv("MT_FROM"),
    os.getenv("MT_QID"))
T.ok(r == SMFIR_CONTINUE, "reply at eom is not continue: " .. tostring(r))
local c = T.hdr(conn, "X-Bounce-Class", 0)
print("CLASS: " .. (c and c:gsub("\n\t", " ") or "none"))
mt.disconnect(conn)
EOF
send() {	# send FILE QID FROM: in the background, output in $T/QID.out
	MT_SOCK="unix:$T/sock" MT_MSGS="$T" MT_LIB="$ROOT/tests/milter/lib.lua" \
	    MT_FILE="$1" MT_QID="$2" MT_FROM="$3" \
	    timeout 90 miltertest -s "$T/one.lua" >"$T/$2.out" 2>&1 &
	echo $! >"$T/$2.pid"
}
reap() {	# reap QID: wait for its miltertest (bounded by timeout 90)
	wait "$(cat "$T/$1.pid")"
	rc=$?
	[ $rc = 0 ] || bad "miltertest $1: exit $rc: $(tail -n 3 "$T/$1.out")"
}

# --- the milter --------------------------------------------------------------
doms=""
for d in $OURS; do doms="$doms${doms:+, }\"$d\""; done
{
	bm_conf_head "unix:$T/sock" "$ROOT/${BM_RULES:-rules}" \
	    "{ resolver = \"127.0.0.1:$(cat "$T/slowport")\"; timeout_ms = $TMO; }"
	echo "our_domains = [ $doms ];"
	echo "max_classify_ms = $MAXC;"
} >"$T/bm.conf"
# the parse gate opened to one message at a time
BM_WRAP="env BM_TEST_GATE_MAX=1" BM_WAIT=30
bm_start "$T/log" "$T/bm.conf" -vv ||
	{ cat "$T/log"; echo "FAIL: the milter did not start"; exit 1; }

# the four large bounces for our domains, at once
i=1
for d in $OURS; do send "ours$i.eml" "GOURS$i" "<>"; i=$((i + 1)); done
# once the first of them waits on DNS (the first query reached the slow
# server: its answer comes GATE_DNS_MS later), the others, at once
wait_for 30 test -s "$T/queries" ||
	bad "no DNS query within 30 s of sending the bounces of ours"
send plain-big.eml GPLAINBIG "<>"
send stranger-big.eml GSTRBIG "<>"
send plain.eml GPLAIN "<>"
send stranger.eml GSTR "<>"
for q in GPLAINBIG GSTRBIG GPLAIN GSTR GOURS1 GOURS2 GOURS3 GOURS4; do reap $q; done
sleep 0.3

# --- checks --------------------------------------------------------------------
ms() {	# ms QID: the milter's "classified N octets in X ms", or empty
	sed -n "s/^.*$1: classified [0-9]* octets in \([0-9]*\) ms.*/\1/p" "$T/log" | head -n 1
}
line() {	# line QID: the line number of its "classified" line
	grep -n "$1: classified [0-9]* octets in" "$T/log" | head -n 1 | cut -d: -f 1
}
grep -q "no turn among the large messages" "$T/log" &&
	bad "large messages got no turn at the parse gate: $(grep -c 'no turn' "$T/log") times"
grep -q "classification took" "$T/log" &&
	bad "a message was held over max_classify_ms + dns.timeout_ms"
omin="" ofirst=""
for i in 1 2 3 4; do
	q=GOURS$i
	grep -q "^CLASS: none" "$T/$q.out" && bad "$q (our domain, large) was not annotated"
	t=$(ms $q)
	[ -n "$t" ] || { bad "$q: no 'classified' line"; continue; }
	[ "$t" -ge $((DLY * 9 / 10)) ] ||
		bad "$q was classified in $t ms: it did not wait on the late DNS ($DLY ms), the test proves nothing"
	[ -z "$omin" ] || [ "$t" -lt "$omin" ] && omin=$t
	l=$(line $q)
	[ -z "$ofirst" ] || [ "$l" -lt "$ofirst" ] && ofirst=$l
done
grep -q ': bounce rcpt=.* spf=\(pass\|fail\|softfail\|neutral\)' "$T/log" ||
	bad "no bounce of ours got an SPF result through the late DNS"
omax=0 others=""
for q in GPLAINBIG GSTRBIG GPLAIN GSTR; do
	t=$(ms $q)
	[ -n "$t" ] || { bad "$q: no 'classified' line"; continue; }
	others="$others $q=${t}ms"
	[ "$t" -gt "$omax" ] && omax=$t
	[ "$t" -lt $((DLY / 2)) ] ||
		bad "$q waited behind the DNS: classified in $t ms (DNS answers $DLY ms late)"
	l=$(line $q)
	[ -n "$ofirst" ] && [ -n "$l" ] && [ "$l" -gt "$ofirst" ] &&
		bad "$q finished after a large bounce waiting on DNS"
done
for q in GPLAINBIG GSTRBIG; do
	grep -q "$q: large message .*parse gate taken" "$T/log" ||
		bad "$q: large, but it did not take the parse gate"
done
grep -q "^CLASS: none" "$T/GSTRBIG.out" && bad "GSTRBIG (a stranger's bounce, large) was not annotated"
grep -q "^CLASS: none" "$T/GSTR.out" && bad "GSTR (a stranger's bounce) was not annotated"
grep -q "GSTRBIG: .*domain stranger.test is not in our_domains" "$T/log" ||
	bad "no debug line says why GSTRBIG got no evidence (stranger.test not in our_domains)"
# the same at the DNS server: our domains were asked for, the stranger's not
grep -q "query\[TXT\] spf-pass.test from" "$T/dns/dnsmasq.log" ||
	bad "the DNS server saw no SPF query for our spf-pass.test"
grep -q "stranger.test" "$T/dns/dnsmasq.log" &&
	bad "the DNS server was asked about the stranger's domain: $(grep -c stranger.test "$T/dns/dnsmasq.log") lines"
stop_milter() {	# SIGTERM, at most 30 s; sets rc
	kill -TERM "$pid"
	i=0; while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	if kill -0 "$pid" 2>/dev/null; then bad "the milter did not stop within 30 s of SIGTERM"
	else wait "$pid"; rc=$?; pid=""; [ $rc = 0 ] || bad "the milter exited $rc on SIGTERM"; fi
}
stop_milter

# --- 2. SIGUSR1 in a loop while the daemon stops, a message in flight ------
# A bounce of ours waits on the late DNS; SIGTERM then, with SIGUSR1 sent
# every 20 ms all along.  The stop waits for the message in flight (the
# drain), so reloads keep arriving after stopping began: every one of
# those is refused, none is installed once the stores are closed (its
# history pointer would dangle: under ASan, t_sanitize, a use after
# free), the message finishes, the daemon exits 0.
printf 'history = { path = "%s"; };\n' "$T/h.db" >>"$T/bm.conf"
bm_start "$T/log2" "$T/bm.conf" -vv ||
	{ cat "$T/log2"; echo "FAIL: the milter did not start (2)"; exit 1; }
nq=$(wc -l <"$T/queries")
send ours1.eml GSTOP "<>"
more_queries() { [ "$(wc -l <"$T/queries")" -gt "$nq" ]; }
wait_for 30 more_queries || bad "stop: no DNS query for the message in flight within 30 s"
(
	i=0
	while [ $i -lt 1500 ] && kill -USR1 "$pid" 2>/dev/null; do
		sleep 0.02; i=$((i + 1))
	done
) >/dev/null 2>&1 </dev/null &
loop=$!
# how long one reload takes here (it JIT-compiles every rule: tenths of a
# second, seconds under ASan on a loaded machine)
r0=$(date +%s%N)
wait_for 30 grep -q "reloaded configuration" "$T/log2" || bad "stop: no reload before the stop"
rms=$(( ($(date +%s%N) - r0) / 1000000 ))
stop_milter
kill "$loop" 2>/dev/null; wait "$loop" 2>/dev/null
reap GSTOP 2>/dev/null
nref=$(grep -c "reload refused: stopping" "$T/log2")
nre=$(grep -c "reloaded configuration" "$T/log2")
# the stop waits at most 5 s for the message (drain()); a reload that
# takes longer than about half of that may still be loading when the
# process exits, and then no refusal is logged: only said, not failed
if [ "$nref" -lt 1 ]; then
	if [ "$rms" -lt 2000 ]; then
		bad "stop: no reload refused while the message in flight held the stop (a reload took $rms ms)"
	else
		echo "note: a reload took $rms ms here, too long to be refused within the stop's wait; no refusal seen"
	fi
fi
sed -n '/reload refused: stopping/,$p' "$T/log2" | grep -q "reloaded configuration" &&
	bad "stop: a reload was installed after one was refused (stopping had begun)"
grep -q "GSTOP: bounce rcpt=" "$T/log2" || bad "stop: the message in flight was not finished"
for f in "$T/log" "$T/log2"; do
	if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$f"; then
		bad "sanitizer report in the milter log $(basename "$f")"
	fi
done
echo "DNS answers $DLY ms late, dns.timeout_ms $TMO, max_classify_ms $MAXC, gate 1:"
echo "  large bounces of ours (the quickest ${omin:-?} ms):$(for i in 1 2 3 4; do printf ' GOURS%s=%sms' $i "$(ms GOURS$i)"; done)"
echo "  the others:$others (max $omax ms, $((omax * 100 / DLY)) % of the DNS delay)"
if [ $fails -ne 0 ]; then
	echo "--- milter log"; cat "$T/log"
	echo "--- milter log (2)"; cat "$T/log2"
	echo "t_milter_gate: $fails checks failed"
	exit 1
fi
echo "  stop with a message in flight: $nre reloads before (the first in $rms ms), $nref refused after stopping began, exit 0"
echo "ok: with DNS $DLY ms late and the gate at one, the other messages (large and small) did not wait behind the DNS; SIGUSR1 in a loop during the stop refused"
exit 0
