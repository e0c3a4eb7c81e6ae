#!/bin/sh
# t_milter_daemon - bounce-milter as a process: sockets, signals, pid file
#
# unix socket mode from umask; a stale socket is replaced, a live one or a
# regular file is refused; pid file written and removed; SIGTERM and
# SIGINT stop cleanly (exit 0, socket removed), SIGINT owned by one
# thread; SIGUSR1 in a loop during shutdown never installs a set after
# the stop (refused once stopping began); SIGUSR1 swaps the set
# while a message in flight finishes on the old one (miltertest); a bad
# reload changes nothing; daemon mode (no -f); the user switch (as root)
# or its "ignored" log line (not root); the parse gate keyed on size,
# with the spill failing ($TMPDIR missing; as root a full spool
# directory, full before or during the message); inet TCP_NODELAY and
# inet6.
BUILD=${BUILD:-build}
M="$(pwd)/$BUILD/bounce-milter"
[ -x "$M" ] || { echo "no $M; run make first"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/t_daemon.XXXXXX") || exit 1
chmod 755 "$T"
pid=""
trap '[ -n "$pid" ] && kill -9 $pid 2>/dev/null; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP PIPE
fail=0
bad() { echo "FAIL: $*"; fail=1; }
. tests/lib/rules.sh
RULES=$(rules_public "$T") || exit 1	# readable by nobody (-u nobody below)
conf() {	# FILE AUTHSERV [UMASK]
	cat >"$1" <<CONF
socket = "unix:$T/sock";
umask = "${3:-007}";
rules = "$RULES";
authserv_id = "$2";
dns = { spf = false; dkim = false; mx = false; };
CONF
}
start() {	# LOG ARGS...
	log=$1; shift
	"$M" -f -e "$@" 2>>"$log" &
	pid=$!
	i=0
	while ! grep -q "listening on" "$log" 2>/dev/null && [ $i -lt 50 ]; do
		kill -0 $pid 2>/dev/null || break; sleep 0.1; i=$((i + 1)); done
	grep -q "listening on" "$log" 2>/dev/null
}
stop() {	# SIGNAL: stop, return the exit status
	kill -"$1" $pid; wait $pid; rc=$?; pid=""; return $rc
}
# where a clean stop is not what is tested: libmilter takes ~5 s to notice
quick_stop() {
	kill -9 $pid; wait $pid 2>/dev/null; pid=""; rm -f "$T/sock"
}

# 1. umask decides the socket mode
conf "$T/a.conf" old.example 007
start "$T/1.log" -c "$T/a.conf" -P "$T/pid" || bad "did not start: $(cat "$T/1.log")"
mode=$(stat -c %A "$T/sock")
[ "$mode" = "srwxrwx---" ] || bad "umask 007 gave $mode"
[ "$(cat "$T/pid" 2>/dev/null)" = "$pid" ] || bad "pid file does not hold $pid"
# 2. a second instance on the live socket is refused
"$M" -f -c "$T/a.conf" >"$T/2.out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "already running" "$T/2.out" || bad "second instance: exit $rc: $(cat "$T/2.out")"
[ -S "$T/sock" ] || bad "second instance removed the live socket"
# 3. SIGTERM: exit 0, socket and pid file removed
stop TERM || bad "SIGTERM: exit $?"
[ -e "$T/sock" ] && bad "socket left after SIGTERM"
[ -e "$T/pid" ] && bad "pid file left after SIGTERM"
grep -q "NOQUEUE: bounce-milter stopped" "$T/1.log" || bad "no 'stopped' line"
echo "ok: socket mode $mode, pid file, live socket refused, SIGTERM clean"

# 4. umask 077; SIGKILL leaves a stale socket, which the next start replaces
conf "$T/a.conf" old.example 077
start "$T/4.log" -c "$T/a.conf" || bad "did not start (umask 077)"
mode=$(stat -c %A "$T/sock")
[ "$mode" = "srwx------" ] || bad "umask 077 gave $mode"
kill -9 $pid; wait $pid 2>/dev/null; pid=""
[ -S "$T/sock" ] || bad "no stale socket after SIGKILL"
start "$T/5.log" -c "$T/a.conf" || bad "stale socket not replaced: $(cat "$T/5.log")"
# 5. SIGINT stops too, every time the same way: libmilter's signal thread
# is its one owner (ours waits for SIGUSR1 only); before, both waited for
# it and took it at random (our clean stop or libmilter's abort).
stop INT || bad "SIGINT: exit $?"
[ -e "$T/sock" ] && bad "socket left after SIGINT"
for n in 1 2 3 4 5; do
	start "$T/5-$n.log" -c "$T/a.conf" || { bad "did not start ($n)"; break; }
	stop INT || bad "SIGINT $n: exit $?"
	grep -q "signal 2: stopping" "$T/5-$n.log" && bad "SIGINT $n: taken by our signal thread too"
	grep -q "bounce-milter stopped" "$T/5-$n.log" || bad "SIGINT $n: no 'stopped' line"
done
echo "ok: umask 077 gives $mode, stale socket replaced, SIGINT stops (6 times, one owner)"

# 6. a regular file where the socket should be is never removed
echo precious >"$T/sock"
"$M" -f -c "$T/a.conf" >"$T/6.out" 2>&1 && bad "started over a regular file"
grep -q precious "$T/sock" 2>/dev/null || bad "the regular file was removed"
grep -q "not a socket" "$T/6.out" || bad "no reason given: $(cat "$T/6.out")"
rm -f "$T/sock"
echo "ok: a regular file at the socket path is refused and kept"

# 7. SIGUSR1: in-flight message on the old set, next on the new; bad reload
if command -v miltertest >/dev/null 2>&1; then
	conf "$T/a.conf" old.example
	conf "$T/new.conf" new.example
	start "$T/7.log" -c "$T/a.conf" || bad "did not start (reload)"
	MT_SOCK="unix:$T/sock" MT_MSGS=tests/fixtures/milter MT_LIB=tests/milter/lib.lua \
	    MT_PID=$pid MT_CONF="$T/a.conf" MT_NEWCONF="$T/new.conf" MT_LOG="$T/7.log" \
	    miltertest -s tests/milter/reload.lua >"$T/7.out" 2>&1 ||
		bad "reload.lua: $(cat "$T/7.out")"
	grep -q "reloaded configuration" "$T/7.log" || bad "no 'reloaded' line"
	printf 'authserv_id = "x y";\n' >"$T/a.conf"
	kill -USR1 $pid
	i=0; while [ $i -lt 300 ] && ! grep -q "reload failed" "$T/7.log"; do sleep 0.1; i=$((i + 1)); done
	grep -q "reload failed.*a.conf:1: authserv_id" "$T/7.log" || bad "bad reload not logged"
	kill -0 $pid || bad "died on a bad reload"
	quick_stop
	echo "ok: $(tail -n 1 "$T/7.out"); bad reload logged, nothing changed"
else
	echo "(miltertest missing: reload under load not checked)"
fi

# 8. daemon mode: detaches, pid file names the daemon, SIGTERM stops it
conf "$T/a.conf" old.example
"$M" -c "$T/a.conf" -P "$T/dpid" || bad "daemon mode: exit $?"
i=0; while [ ! -s "$T/dpid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
d=$(cat "$T/dpid" 2>/dev/null)
[ -n "$d" ] && kill -0 "$d" 2>/dev/null || bad "daemon not running"
[ -S "$T/sock" ] || bad "daemon: no socket"
kill -TERM "$d" 2>/dev/null
i=0; while kill -0 "$d" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -0 "$d" 2>/dev/null && { bad "daemon did not stop"; kill -9 "$d"; }
[ -e "$T/dpid" ] && bad "daemon left its pid file"
echo "ok: daemon mode"

# 9. the user switch
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	start "$T/9.log" -c "$T/a.conf" -u nobody || bad "did not start with -u nobody: $(cat "$T/9.log")"
	uid=$(awk '/^Uid:/ { print $3 }' /proc/$pid/status)
	[ "$uid" = "$(id -u nobody)" ] || bad "running as uid $uid, not nobody"
	[ "$(stat -c %U "$T/sock")" = nobody ] || bad "socket not given to nobody"
	quick_stop
	echo "ok: -u nobody: runs as uid $uid, socket owned by nobody"
	# 9b. checked at start as the run user: a pid file the user could
	# not remove at exit, a configuration only root can read (it would
	# load now and fail every reload): exit 78 with a clear message
	mkdir -p "$T/rootonly"; chmod 755 "$T/rootonly"
	"$M" -f -c "$T/a.conf" -u nobody -P "$T/rootonly/pid" >"$T/9b.out" 2>&1
	rc=$?
	[ $rc -eq 78 ] || bad "pid file in a directory nobody cannot write: exit $rc, not 78"
	grep -q 'pid file.*as user "nobody".*directory that user can write' "$T/9b.out" ||
		bad "pid file: no clear message: $(cat "$T/9b.out")"
	[ -e "$T/rootonly/pid" ] && bad "a pid file was left behind"
	rm -f "$T/sock"
	chmod 777 "$T/rootonly"
	start "$T/9c.log" -c "$T/a.conf" -u nobody -P "$T/rootonly/pid" ||
		bad "did not start with a pid file nobody can write: $(cat "$T/9c.log")"
	[ "$(stat -c %U "$T/rootonly/pid" 2>/dev/null)" = nobody ] || bad "pid file not written by nobody"
	stop TERM || bad "SIGTERM with -u nobody: exit $?"
	[ -e "$T/rootonly/pid" ] && bad "pid file left after the stop (stale)"
	cp "$T/a.conf" "$T/secret.conf"; chmod 600 "$T/secret.conf"
	"$M" -f -c "$T/secret.conf" -u nobody >"$T/9d.out" 2>&1
	rc=$?
	[ $rc -eq 78 ] || bad "configuration only root can read: exit $rc, not 78"
	grep -q 'as user "nobody" the configuration and rules would not load at reload' "$T/9d.out" ||
		bad "root-only configuration: no clear message: $(cat "$T/9d.out")"
	rm -f "$T/sock"
	echo "ok: as the run user at start: pid file written and removed by nobody, unwritable pid directory and root-only configuration exit 78"
else
	start "$T/9.log" -c "$T/a.conf" -u nobody || bad "did not start with -u nobody"
	grep -q 'not started as root; user "nobody" ignored' "$T/9.log" || bad "no 'user ignored' line"
	quick_stop
	echo "ok: -u ignored with a log line when not root"
fi

# 12. the parse gate is keyed on size, not on "spooled to a file": with
# $TMPDIR unusable the spill fails and a large bounce stays in memory; it
# still takes the gate (-vv says so) and is classified, whole
octets() {	# octets LOG: what LARGE1Q's "classified N octets" says
	sed -n 's/.*LARGE1Q: classified \([0-9]*\) octets.*/\1/p' "$1" | head -n 1
}
if command -v miltertest >/dev/null 2>&1; then
	conf "$T/g.conf" gate.example
	TMPDIR="$T/no-such-dir" start "$T/g.log" -c "$T/g.conf" -vv || bad "did not start (gate)"
	MT_SOCK="unix:$T/sock" MT_MSGS=tests/fixtures/milter MT_LIB=tests/milter/lib.lua \
	    timeout 120 miltertest -s tests/milter/large.lua >"$T/g.out" 2>&1 || bad "large.lua: $(cat "$T/g.out")"
	sleep 0.3
	grep -q "LARGE1Q: spool:.*kept in memory\|spool: .*kept in memory" "$T/g.log" ||
		bad "gate: the spill did not fail as arranged: $(grep -i spool "$T/g.log")"
	grep -q "LARGE1Q: large message ([0-9]* octets, in memory): parse gate taken" "$T/g.log" ||
		bad "gate: a large message kept in memory did not take the gate"
	grep -q "LARGE1Q: .*bounce\|LARGE1Q: .*rcpt=" "$T/g.log" || bad "gate: the large bounce was not classified"
	whole=$(octets "$T/g.log")
	[ "${whole:-0}" -gt 65536 ] || bad "gate: LARGE1Q classified ${whole:-no} octets, not the whole large message"
	quick_stop
	echo "ok: a large bounce whose spill failed (in memory) takes the parse gate and is classified ($whole octets)"
fi

# 12b. a full spool directory (root: a private tmpfs in a mount namespace,
# $TMPDIR there): "full", filled before the message (the spill file's
# first write fails), and "midway", 96 KiB free of 160 (the spill of the
# first 64 KiB works,
# a later write fails and what the file held is brought back to memory).
# Either way the message is kept in memory, takes the gate and is
# classified whole: as many octets as in 12.
if [ "$(id -u)" = 0 ] && command -v miltertest >/dev/null 2>&1 &&
    command -v unshare >/dev/null 2>&1 && unshare -m true 2>/dev/null; then
	for how in full midway; do
		case $how in
		full)	size=64k fill=1024 ;;
		midway)	size=160k fill=64 ;;
		esac
		mkdir -p "$T/spool-$how"
		log="$T/gf-$how.log"
		SP_DIR="$T/spool-$how" SP_SIZE=$size SP_FILL=$fill unshare -m sh -c '
			mount -t tmpfs -o size="$SP_SIZE",mode=1777 tmpfs "$SP_DIR" || exit 1
			dd if=/dev/zero of="$SP_DIR/fill" bs=1k count="$SP_FILL" 2>/dev/null
			TMPDIR=$SP_DIR exec "$@"' sh "$M" -f -e -c "$T/g.conf" -vv 2>>"$log" &
		pid=$!
		i=0
		while ! grep -q "listening on" "$log" 2>/dev/null && [ $i -lt 100 ]; do
			kill -0 $pid 2>/dev/null || break; sleep 0.1; i=$((i + 1)); done
		grep -q "listening on" "$log" || { bad "$how spool: did not start: $(cat "$log")"; pid=""; continue; }
		MT_SOCK="unix:$T/sock" MT_MSGS=tests/fixtures/milter MT_LIB=tests/milter/lib.lua \
		    timeout 120 miltertest -s tests/milter/large.lua >"$T/gf-$how.out" 2>&1 ||
			bad "$how spool: large.lua: $(cat "$T/gf-$how.out")"
		sleep 0.3
		grep -q "spool: cannot write a spool file in $T/spool-$how: No space left on device; kept in memory" "$log" ||
			bad "$how spool: no 'No space left on device; kept in memory' line: $(grep -i spool "$log")"
		grep -q "LARGE1Q: large message ([0-9]* octets, in memory): parse gate taken" "$log" ||
			bad "$how spool: the large message kept in memory did not take the gate"
		grep -q "LARGE1Q: bounce rcpt=" "$log" || bad "$how spool: the large bounce was not classified"
		got=$(octets "$log")
		[ -n "$whole" ] && [ "$got" != "$whole" ] &&
			bad "$how spool: $got octets classified, $whole with no spool at all (octets lost)"
		quick_stop
		echo "ok: $how spool directory: kept in memory, gate taken, classified (${got:-?} octets)"
	done
else
	echo "(not root or no mount namespace: the full spool directory is not tried)"
fi

# 11. SIGUSR1 sent in a loop while the daemon stops: reloads go on until
# stopping begins and are refused from then on; no set is installed after
# the stores closed (the history pointer of such a set would dangle), the
# process exits 0 (under ASan through t_sanitize: no use after free).
cat >"$T/h.conf" <<CONF
socket = "unix:$T/sock";
rules = "$RULES";
dns = { spf = false; dkim = false; mx = false; };
history = { path = "$T/h.db"; };
CONF
start "$T/u.log" -c "$T/h.conf" || bad "did not start (USR1 loop)"
(
	i=0
	while [ $i -lt 600 ] && kill -USR1 $pid 2>/dev/null; do
		sleep 0.01; i=$((i + 1))
	done
) &
loop=$!
sleep 0.5
kill -TERM $pid
wait $pid; rc=$?; pid=""
kill $loop 2>/dev/null; wait $loop 2>/dev/null
[ $rc -eq 0 ] || bad "USR1 loop during shutdown: exit $rc"
nre=$(grep -c "reloaded configuration" "$T/u.log")
[ "$nre" -ge 1 ] || bad "USR1 loop: no reload happened before the stop"
sed -n '/bounce-milter stopped/,$p' "$T/u.log" | grep -q "reloaded configuration" &&
	bad "a reload was installed after the daemon stopped"
grep -q "reload refused: stopping" "$T/u.log" ||
	echo "note: no SIGUSR1 arrived after stopping began (the refusal is not seen this run)"
echo "ok: SIGUSR1 in a loop during shutdown: $nre reloads, $(grep -c 'reload refused' "$T/u.log") refused, exit $rc"

# 10. inet: TCP_NODELAY set on the listener; inet6 when the host has ::1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start "$T/10.log" -c "$T/a.conf" -p "inet:$port@127.0.0.1" || bad "inet did not start"
grep -q "listening on inet:$port@127.0.0.1 (TCP_NODELAY)" "$T/10.log" || bad "TCP_NODELAY not set"
quick_stop
if python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null; then
	start "$T/11.log" -c "$T/a.conf" -p "inet6:$port@::1" || bad "inet6 did not start: $(cat "$T/11.log")"
	python3 -c "import socket; socket.create_connection(('::1', $port), 2)" || bad "inet6: cannot connect"
	quick_stop
	echo "ok: inet with TCP_NODELAY, inet6"
else
	echo "ok: inet with TCP_NODELAY (no IPv6 here)"
fi
if grep -l -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$T"/*.log 2>/dev/null; then
	bad "sanitizer reports in the logs above"
fi
exit $fail
