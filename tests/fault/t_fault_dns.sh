#!/bin/sh
# t_fault_dns - DNS down or slow while mail flows through bounce-milter
#
# As root only.  A private Postfix (tests/lib/postfix.sh), the test
# zone of tests/lib/dnsd.sh (dnsmasq on 127.0.0.1) and
# tests/fault/slowdns.py in front of it.  The milter runs with evidence
# on (SPF, DKIM, MX), dns.timeout_ms = 1000 and max_classify_ms = 200,
# once per DNS condition:
#	off		dns.spf/dkim/mx = false (the baseline)
#	fast		dns.resolver = dnsmasq
#	slow		every answer delayed 300 ms (slowdns.py)
#	late		every answer delayed 1500 ms (past dns.timeout_ms)
#	blackhole	queries read, never answered (slowdns.py)
# Each time tests/fault/inject.py sends DNSF_SECONDS (default 3) seconds
# of mail from DNSF_CONC clients (default 8: more than the milter's
# parallel classifications of large messages on this 2-core machine, so
# small bounces must not queue behind each other's DNS waits; make
# faults also runs 4): 3 in 4 are remote bounces (tests/fixtures/evidence/*.eml, whose
# domains are in the zone), the rest plain mail.  Checks per condition: every message that got a 250
# arrived, every bounce annotated, the milter still running, no
# "classification took" line (the milter's own clock kept
# max_classify_ms + dns.timeout_ms), 95 % of the bounces held at most
# that + DNSF_P95_SLACK_MS (default 400) and none more than twice it +
# DNSF_SLACK_MS (default 800: Postfix, the client, a busy 2-core
# machine), by the client's clock; for late
# and blackhole every X-Bounce-Class says mx=skipped and the milter log
# says so in its bounce lines (spf=skipped mx=skipped).  Prints per
# condition the client-side time per message (p50/p95/max, bounces and
# plain mail) and the time added over "off".
ROOT=$(pwd)
. tests/lib/postfix.sh
pf_init t_fault_dns
SECS=${DNSF_SECONDS:-3}
CONC=${DNSF_CONC:-8}
SLACK=${DNSF_SLACK_MS:-800}
P95SLACK=${DNSF_P95_SLACK_MS:-400}
TMO=1000 MAXC=200

pid="" spid=""
stop_slow() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	spid=""
}
cleanup() {
	pf_stop
	bm_kill
	stop_slow
	sh tests/lib/dnsd.sh stop "$T/dns" >/dev/null 2>&1
	[ "${BM_KEEP:-0}" = 1 ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
fail() { echo "FAIL: $*"; echo "--- milter log"; tail -n 20 "$T/milter.log";
	echo "--- maillog"; tail -n 20 "$T/maillog" 2>/dev/null; exit 1; }

dns_start "$T/dns"
DNSPORT=$DNS_PORT
RULES=$(rules_public "$T") || exit 1
pf_ports
pf_start

set --
for f in tests/fixtures/evidence/*.eml; do set -- "$@" --bounce "$f"; done
BOUNCES="$*"

slow() {	# slow DELAY|blackhole: start slowdns.py, sets SLOWPORT
	stop_slow
	rm -f "$T/slowport"
	python3 tests/fault/slowdns.py "$T/slowport" "$1" "$DNSPORT" 600 &
	spid=$!
	wait_for 5 test -s "$T/slowport" || fail "slowdns.py did not start"
	SLOWPORT=$(cat "$T/slowport")
}

# run NAME DNS [SETTINGS]: one condition, the milter's dns = DNS (no DNS
# evidence when empty); sets P50 P95 MAX (remote bounces, ms)
run() {
	name=$1
	t0=$(date +%s)
	# where each bounce waits a whole dns.timeout_ms, 3 s give only
	# about 20: one outlier (below) is then 5 %.  Twice the time there.
	case $name in late|blackhole) secs=$((SECS * 2)) ;; *) secs=$SECS ;; esac
	bm_kill
	{
		bm_conf_head "inet:$PMILTER@127.0.0.1" "$RULES" "$2"
		echo "max_classify_ms = $MAXC;"
		echo "$3"
	} >"$T/bm.conf"
	: >"$T/milter.log"
	bm_start "$T/milter.log" "$T/bm.conf" -u nobody || fail "$name: milter did not start"
	echo "$(date +%T) $name: milter up" >>"$T/times"
	rm -rf "$T/sinka"/*
	# shellcheck disable=SC2086
	python3 tests/fault/inject.py send "$PSMTPD" "$T/$name.jsonl" \
	    --conc "$CONC" --seconds "$secs" --per-conn 5 \
	    --mix remote=3,plain=1 $BOUNCES >"$T/inj.out" 2>&1 ||
		{ cat "$T/inj.out"; fail "$name: the injector failed"; }
	echo "$(date +%T) $name: sent" >>"$T/times"
	pf_drain 60 || fail "$name: the queue is not empty after 60 s"
	echo "$(date +%T) $name: drained" >>"$T/times"
	i=0
	until python3 tests/fault/inject.py check "$T/$name.jsonl" "$T/sinka" >"$T/check.out"; do
		[ $i -lt 20 ] || { cat "$T/check.out"; fail "$name: mail lost or a bounce not annotated"; }
		sleep 1; i=$((i + 1))
	done
	kill -0 "$pid" 2>/dev/null || fail "$name: the milter died"
	python3 tests/fault/inject.py stats "$T/$name.jsonl" >"$T/$name.stats"
	set -- $(sed -n 's/^remote: .* p50=\([0-9]*\) p95=\([0-9]*\) p99=[0-9]* max=\([0-9]*\) ms/\1 \2 \3/p' "$T/$name.stats")
	P50=$1 P95=$2 MAX=$3
	pl=$(sed -n 's/^plain: .* p50=\([0-9]*\) p95=\([0-9]*\) p99=[0-9]* max=\([0-9]*\) ms/\1\/\2\/\3/p' "$T/$name.stats")
	nb=$(grep -c ': bounce rcpt=' "$T/milter.log")
	ev=$(sed -n 's/.*: bounce rcpt=.* \(spf=[a-z]* dkim=[a-z]* mx=[a-z-]*\).*/\1/p' "$T/milter.log" |
	    sort | uniq -c | sort -rn | head -n 3 | awk '{ printf "%s%s x%s", s, $2 " " $3 " " $4, $1; s = ", " }')
	slowlog=$(grep -c 'classification took' "$T/milter.log")
	echo "$(date +%T) $name: started $(( $(date +%s) - t0 )) s ago" >>"$T/times"
	printf '%-9s %s; bounces p50/p95/max %s/%s/%s ms, plain %s ms; %s bounce lines (%s); %s "classification took" lines\n' \
	    "$name" "$(head -n 1 "$T/check.out")" "$P50" "$P95" "$MAX" "$pl" "$nb" "$ev" "$slowlog"
	# past the bound: go on with the other conditions, fail at the end.
	# The milter's own clock must keep the bound for every message (it
	# logs "classification took" when not).  The client's clock also
	# counts Postfix and a loaded 2-core machine: 95 % of the bounces
	# within the bound plus slack, none past twice that (a rare client-
	# side outlier of about 2 x dns.timeout_ms was seen with the milter's
	# own time within its bound: reported, not yet explained)
	[ "$slowlog" = 0 ] || {
		echo "FAIL: $name: the milter logged $slowlog messages over max_classify_ms + dns.timeout_ms"
		late_fail=1; }
	[ "$P95" -le $((MAXC + TMO + P95SLACK)) ] || {
		echo "FAIL: $name: 5 % of the bounces were held $P95 ms or more (max_classify_ms $MAXC + dns.timeout_ms $TMO + $P95SLACK slack)"
		late_fail=1; }
	[ "$MAX" -le $((2 * (MAXC + TMO) + SLACK)) ] || {
		echo "FAIL: $name: a bounce was held $MAX ms (over twice max_classify_ms $MAXC + dns.timeout_ms $TMO, + $SLACK slack)"
		late_fail=1; }
	[ "$MAX" -le $((MAXC + TMO + SLACK)) ] ||
		echo "note: $name: one or more bounces held up to $MAX ms by the client's clock; the milter's own time was within its bound"
}

skipped_only() {	# every X-Bounce-Class at the sink says mx=skipped
	n=$(grep -h -A3 '^X-Bounce-Class:' "$T"/sinka/* | tr -d '\n\t' |
	    grep -o 'mx=[a-z-]*' | grep -vc 'mx=skipped')
	[ "$n" = 0 ] || fail "$1: $n recipients with mx other than skipped"
	grep -q ': bounce rcpt=.* spf=skipped .*mx=skipped' "$T/milter.log" ||
		fail "$1: no bounce log line with spf=skipped mx=skipped"
}

late_fail=0
echo "dns.timeout_ms=$TMO max_classify_ms=$MAXC, $CONC clients, $SECS s per condition"
run off ""
B50=$P50 B95=$P95
# the test bounces' sender domains are ours (evidence is only for ours)
OURS='our_domains = [ "spf-pass.test", "spf-soft.test", "spf-neutral.test", "spf-perm.test", "spf-mx.test", "spf-ptr.test", "spf-none.test", "dkim.test" ];'
run fast "{ resolver = \"127.0.0.1:$DNSPORT\"; timeout_ms = $TMO; }" "$OURS"
grep -q ': bounce rcpt=.* mx=eop' "$T/milter.log" || fail "fast: the evidence never found the EOP MX"
F50=$P50 F95=$P95
slow 300
run slow "{ resolver = \"127.0.0.1:$SLOWPORT\"; timeout_ms = $TMO; }" "$OURS"
S50=$P50 S95=$P95
slow 1500
run late "{ resolver = \"127.0.0.1:$SLOWPORT\"; timeout_ms = $TMO; }" "$OURS"
skipped_only late
L50=$P50 L95=$P95
slow blackhole
run blackhole "{ resolver = \"127.0.0.1:$SLOWPORT\"; timeout_ms = $TMO; }" "$OURS"
skipped_only blackhole
H50=$P50 H95=$P95
stop_slow
echo "added over off (p50/p95 ms): fast $((F50 - B50))/$((F95 - B95)), slow $((S50 - B50))/$((S95 - B95)), late $((L50 - B50))/$((L95 - B95)), blackhole $((H50 - B50))/$((H95 - B95))"
[ -n "$DNSF_TIMES" ] && cat "$T/times"
[ $late_fail = 0 ] || exit 1
echo "ok: DNS slow, late and down: nothing lost, every bounce annotated; by the milter's clock none over max_classify_ms + dns.timeout_ms, by the client's 95 % within it + ${P95SLACK} ms"
exit 0
