#!/bin/sh
# t_preflight.sh - the outgoing preflight end to end: miltertest against a
# real bounce-milter, the test DNS zone of tests/lib/dnsd.sh
#
# outbound_ips = [ "192.0.2.25" ]; every message comes from 127.0.0.1
# (internal, so ours).  tests/milter/preflight/outgoing.lua sends:
#	spf-pass.test, DKIM d= aligned	-> spf=pass dkim=signed, no warning
#	spf-mx.test ("mx -all"), unsigned -> spf=fail dkim=none + preflight
#	spf-none.test, d=esp.test	-> spf=none dkim=unaligned + preflight
#	(and a forged X-Bounce-Preflight, deleted)
#	one message aborted after its headers -> no line at all
#	spf-mx.test again		-> the same, from the cache (header
#					   run: exactly one lookup, logged at -vv)
# four times:
#	log	  outgoing_headers = false: the lines, no header
#	header	  outgoing_headers = true: X-Bounce-Preflight with the results
#	blackhole outgoing_headers = true, a resolver that never answers:
#		  the header says spf=skipped after at most dns.timeout_ms
#	nowait	  outgoing_headers = false, the same dead resolver: the
#		  messages pass at once (measured), the lines come later
# Then a burst: 30 connections at once, 50 messages each, every one from
# its own sender domain, against the dead resolver: no message waits, the
# queue fills (one "queue full" line, SPF skipped for the overflow), and
# every message still gets its one outgoing line and history record.
# Each run also keeps a history store: one record per message sent, with
# the spf and dkim words of its line and its size counting the body.
# Exit 0 pass, 77 skip (miltertest, dnsmasq or perl missing), 1 fail.
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
. tests/lib/bmconf.sh
need_cmd miltertest miltertest
M="$BUILD/bounce-milter"
need_built "$M"
test_tmpdir t_preflight
pid=""
at_exit() {
	bm_kill
	sh tests/lib/dnsd.sh stop "$T" >/dev/null 2>&1
}

dns_start "$T"
dns_blackhole "$T"

# stop_milter NAME: SIGTERM the milter ($pid); it must exit 0
stop_milter() {
	bm_stop || bad "$1: the milter exited $? on SIGTERM"
}

# run MODE RESOLVER TIMEOUT_MS HEADERS: one milter, one miltertest run;
# leaves the run's time in $T/MODE.ms, the log in $T/MODE.log
run() {
	mode=$1 resolver=$2 to=$3 hdrs=$4
	rm -f "$T/sock"
	{
		bm_conf_head "unix:$T/sock" "${BM_RULES:-$(pwd)/rules}" \
		    "{ resolver = \"$resolver\"; timeout_ms = $to; spf = true; dkim = false; mx = false; }"
		cat <<CONF
internal_networks = [ "127.0.0.0/8" ];
outbound_ips = [ "192.0.2.25" ];
outgoing_headers = $hdrs;
history = { path = "$T/$mode.db"; retention_days = 30; };
CONF
	} >"$T/$mode.conf"
	bm_start "$T/$mode.log" "$T/$mode.conf" -vv ||
		{ bad "$mode: milter did not start"; cat "$T/$mode.log"; return; }
	t0=$(now_ms)
	MT_SOCK="unix:$T/sock" MT_LIB="tests/milter/lib.lua" MT_MODE=$mode \
	    miltertest -s tests/milter/preflight/outgoing.lua > "$T/$mode.out" 2>&1 ||
		{ bad "$mode: miltertest exit $?"; sed 's/^/    /' "$T/$mode.out"; }
	t1=$(now_ms)
	echo $((t1 - t0)) > "$T/$mode.ms"
	# the worker logs what was still being looked up; wait for it
	n=$(grep -c -e '^EXPECT-LOG: ' -e '^ONCE-LOG: ' "$T/$mode.out")
	i=0
	while [ $i -lt 100 ]; do
		got=0
		grep -e '^EXPECT-LOG: ' -e '^ONCE-LOG: ' "$T/$mode.out" |
		    sed -e 's/^EXPECT-LOG: //' -e 's/^ONCE-LOG: //' > "$T/want"
		while IFS= read -r l; do
			grep -qF -- "$l" "$T/$mode.log" && got=$((got + 1))
		done < "$T/want"
		[ "$got" -ge "$n" ] && break
		sleep 0.1; i=$((i + 1))
	done
	stop_milter "$mode"
	grep '^EXPECT-LOG: ' "$T/$mode.out" | sed 's/^EXPECT-LOG: //' > "$T/want"
	while IFS= read -r l; do
		grep -qF -- "$l" "$T/$mode.log" || bad "$mode: not logged: $l"
	done < "$T/want"
	grep '^ONCE-LOG: ' "$T/$mode.out" | sed 's/^ONCE-LOG: //' > "$T/want"
	while IFS= read -r l; do
		c=$(grep -cF -- "$l" "$T/$mode.log")
		[ "$c" = 1 ] || bad "$mode: logged $c times, want once: $l"
	done < "$T/want"
	grep '^NO-LOG: ' "$T/$mode.out" | sed 's/^NO-LOG: //' > "$T/want"
	while IFS= read -r l; do
		grep -qF -- "$l" "$T/$mode.log" && bad "$mode: logged: $l"
	done < "$T/want"
	if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
	    -e 'runtime error:' "$T/$mode.log"; then
		bad "$mode: sanitizer report in the log"
	fi
	# one outgoing line per message sent (four), none for the abort
	c=$(grep -c ': outgoing from=' "$T/$mode.log")
	[ "$c" = 4 ] || bad "$mode: $c outgoing lines, want 4"
	hist_check "$mode"
	echo "$mode: $(grep -v -e '^EXPECT-LOG: ' -e '^NO-LOG: ' "$T/$mode.out" | tail -n 1) ($(cat "$T/$mode.ms") ms)"
}

# hist_check MODE: the history rows match the log lines and the sizes
hist_check() {
	command -v sqlite3 >/dev/null 2>&1 || { echo "$1: sqlite3 missing, history not checked"; return; }
	n=$(sqlite3 "$T/$1.db" "SELECT count(*) FROM outgoing" 2>&1)
	[ "$n" = 4 ] || bad "$1: $n history records, want 4"
	grep '^SIZE: ' "$T/$1.out" | while read -r _ q sz; do
		row=$(sqlite3 -separator ' ' "$T/$1.db" \
		    "SELECT size, spf, dkim FROM outgoing WHERE queue_id = '$q'")
		line=$(grep -F "$q: outgoing " "$T/$1.log" |
		    sed 's/.* spf=\([a-z]*\) dkim=\([a-z]*\).*/\1 \2/')
		case $q in *4Q) [ -z "$row" ] || { echo "FAIL: $1: aborted $q recorded"; echo x >> "$T/bad"; }
			continue ;;
		esac
		[ "$row" = "$sz $line" ] ||
			{ echo "FAIL: $1: $q history '$row', want '$sz $line'"; echo x >> "$T/bad"; }
	done
	[ -f "$T/bad" ] && { bad "$1: history, above"; rm -f "$T/bad"; }
}

dns="127.0.0.1:$DNS_PORT"
bh="127.0.0.1:$BH_PORT"
run log "$dns" 2000 false
run header "$dns" 2000 true
run blackhole "$bh" 400 true
run nowait "$bh" 3000 false

# the cache: one lookup for spf-mx.test, the later messages from the cache
n=$(grep -c 'preflight: spf spf-mx.test 192.0.2.25: fail (looked up' "$T/header.log")
[ "$n" = 1 ] || bad "header: spf-mx.test looked up $n times, want 1 (then cached)"
n=$(grep -c 'preflight: spf spf-mx.test 192.0.2.25: fail (cached)' "$T/header.log")
[ "$n" -ge 1 ] || bad "header: spf-mx.test never taken from the cache"

# bounds: four EOMs waiting at most 400 ms each; no wait at all
ms=$(cat "$T/blackhole.ms" 2>/dev/null || echo 99999)
[ "$ms" -lt 3000 ] || bad "blackhole: the run took $ms ms (4 x 400 ms allowed, plus start-up)"
ms=$(cat "$T/nowait.ms" 2>/dev/null || echo 99999)
[ "$ms" -lt 1500 ] || bad "nowait: the run took $ms ms with a dead resolver (timeout 3000 ms): mail waited for DNS"

# --- the burst ----------------------------------------------------------
burst() {
	rm -f "$T/sock"
	sed -e "s|$T/nowait.db|$T/burst.db|" "$T/nowait.conf" > "$T/burst.conf"
	bm_start "$T/burst.log" "$T/burst.conf" ||
		{ bad "burst: milter did not start"; return; }
	t0=$(now_ms)
	k=1
	while [ $k -le 30 ]; do
		MT_SOCK="unix:$T/sock" MT_LIB="tests/milter/lib.lua" MT_TAG=$k MT_N=50 \
		    miltertest -s tests/milter/preflight/burst.lua > "$T/burst.$k.out" 2>&1 &
		k=$((k + 1))
	done
	wait_ok=0
	for j in $(jobs -p); do
		[ "$j" = "$pid" ] && continue
		wait "$j" || wait_ok=1
	done
	t1=$(now_ms)
	[ $wait_ok -eq 0 ] || { bad "burst: a miltertest run failed"; cat "$T"/burst.*.out | grep -v '^burst' | head -5; }
	echo "burst: 1500 messages from 30 connections in $((t1 - t0)) ms"
	[ $((t1 - t0)) -lt 20000 ] || bad "burst: took $((t1 - t0)) ms: mail waited"
	# the lines: every message, once, within the lookups' deadline (3 s)
	i=0
	while [ $i -lt 100 ]; do
		c=$(grep -c ': outgoing from=' "$T/burst.log")
		[ "$c" -ge 1500 ] && break
		sleep 0.1; i=$((i + 1))
	done
	stop_milter burst
	c=$(grep -c ': outgoing from=' "$T/burst.log")
	u=$(grep ': outgoing from=' "$T/burst.log" | sed 's/.*: outgoing //' | sort -u | wc -l)
	[ "$c" = 1500 ] && [ "$u" = 1500 ] || bad "burst: $c outgoing lines ($u distinct), want 1500"
	grep -q 'preflight: queue full' "$T/burst.log" ||
		bad "burst: 1500 messages with a dead resolver did not fill the queue (no 'queue full' line)"
	grep 'preflight: queue full' "$T/burst.log" | head -n 1 | sed 's/^/    /'
	if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
	    -e 'runtime error:' "$T/burst.log"; then
		bad "burst: sanitizer report in the log"
	fi
	if command -v sqlite3 >/dev/null 2>&1; then
		n=$(sqlite3 "$T/burst.db" "SELECT count(*) FROM outgoing" 2>&1)
		[ "$n" = 1500 ] || bad "burst: $n history records, want 1500"
	fi
}
burst

if [ $fails -ne 0 ]; then
	for f in "$T"/*.log; do echo "--- $f"; cat "$f"; done
	exit 1
fi
echo "--- header run log"; cat "$T/header.log"
echo "t_preflight: ok"
exit 0
