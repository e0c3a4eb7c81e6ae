#!/bin/sh
# t_milter - the miltertest (Lua) suite against a real bounce-milter
#
# Starts $BUILD/bounce-milter in the foreground on a private unix socket
# with -e (log lines to stderr, captured), runs every tests/milter/*.lua
# script with miltertest, then checks the log: each script prints
# "EXPECT-LOG: TEXT" (TEXT must be in the log) and "NO-LOG: TEXT" (must
# not).  Skips when miltertest is not installed.
command -v miltertest >/dev/null 2>&1 ||
	{ echo "skipped: miltertest is not installed (apt-get install miltertest)"; exit 77; }
BUILD=${BUILD:-build}
M="$BUILD/bounce-milter"
[ -x "$M" ] || { echo "no $M; run make first"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/t_milter.XXXXXX") || exit 1
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
cat >"$T/bm.conf" <<CONF
socket = "unix:$T/sock";
rules = "${BM_RULES:-$(pwd)/rules}";
authserv_id = "mx.test.example";
max_message_size = 100000;
dns = { spf = false; dkim = false; mx = false; };
CONF
"$M" -f -e -v -c "$T/bm.conf" 2>"$T/log" &
pid=$!
i=0
while [ ! -S "$T/sock" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -S "$T/sock" ] || { echo "milter did not start:"; cat "$T/log"; exit 1; }

fail=0
export MT_SOCK="unix:$T/sock" MT_MSGS="tests/fixtures/milter" MT_LIB="tests/milter/lib.lua"
for s in tests/milter/*.lua; do
	case "$s" in */lib.lua|*/reload.lua|*/large.lua) continue ;; esac	# helpers, t_milter_daemon
	n=$(basename "$s" .lua)
	if miltertest -s "$s" >"$T/$n.out" 2>&1; then
		echo "ok: $n: $(grep -v -e '^EXPECT-LOG: ' -e '^NO-LOG: ' "$T/$n.out" | tail -n 1)"
	else
		echo "FAIL: $n (miltertest exit $?):"; sed 's/^/    /' "$T/$n.out"; fail=1
	fi
done
# let the last log lines arrive, then check them
sleep 0.2
kill -0 "$pid" 2>/dev/null || { echo "FAIL: the milter died"; fail=1; }
# a clean stop, so a sanitizer build reports leaks and errors now
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
pid=""
[ $rc -eq 0 ] || { echo "FAIL: the milter exited $rc on SIGTERM"; fail=1; }
if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$T/log"; then
	echo "FAIL: sanitizer report in the milter log"; fail=1
fi
for s in "$T"/*.out; do
	grep '^EXPECT-LOG: ' "$s" | sed 's/^EXPECT-LOG: //' | while IFS= read -r l; do
		grep -qF -- "$l" "$T/log" || { echo "FAIL: not logged: $l"; echo x >>"$T/bad"; }
	done
	grep '^NO-LOG: ' "$s" | sed 's/^NO-LOG: //' | while IFS= read -r l; do
		grep -qF -- "$l" "$T/log" && { echo "FAIL: logged: $l"; echo x >>"$T/bad"; }
	done
done
[ -f "$T/bad" ] && fail=1
# clientaddr.lua: three messages without {client_addr}, said once
n=$(grep -c 'the MTA sent no {client_addr} macro' "$T/log")
[ "$n" = 1 ] || { echo "FAIL: the missing {client_addr} was logged $n times, not once"; fail=1; }
# every line starts with a queue id (sanitizer reports aside)
if grep -v '^bounce-milter\[[0-9]*\]: [A-Za-z0-9]*: ' "$T/log" | grep -q '^bounce-milter'; then
	echo "FAIL: log lines without a queue id:"; grep -v '^bounce-milter\[[0-9]*\]: [A-Za-z0-9]*: ' "$T/log"
	fail=1
fi
echo "--- milter log"; cat "$T/log"
[ $fail -eq 0 ] && echo "t_milter: all scripts passed"
exit $fail
