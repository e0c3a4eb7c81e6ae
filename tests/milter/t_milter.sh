#!/bin/sh
# t_milter - the miltertest (Lua) suite against a real bounce-milter
#
# Starts $BUILD/bounce-milter in the foreground on a private unix socket
# with -e (log lines to stderr, captured), runs every tests/milter/*.lua
# script with miltertest, then checks the log: each script prints
# "EXPECT-LOG: TEXT" (TEXT must be in the log) and "NO-LOG: TEXT" (must
# not).  Skips when miltertest is not installed.
. tests/lib/bmconf.sh
need_cmd miltertest miltertest
M="$BUILD/bounce-milter"
need_built "$M"
test_tmpdir t_milter
pid=""
at_exit() { bm_kill; }
{
	bm_conf_head "unix:$T/sock" "${BM_RULES:-$(pwd)/rules}"
	echo "max_message_size = 100000;"
} >"$T/bm.conf"
bm_start "$T/log" "$T/bm.conf" -v ||
	{ echo "milter did not start:"; cat "$T/log"; exit 1; }

export MT_SOCK="unix:$T/sock" MT_MSGS="tests/fixtures/milter" MT_LIB="tests/milter/lib.lua"
for s in tests/milter/*.lua; do
	case "$s" in */lib.lua|*/reload.lua|*/large.lua) continue ;; esac	# helpers, t_milter_daemon
	n=$(basename "$s" .lua)
	if miltertest -s "$s" >"$T/$n.out" 2>&1; then
		echo "ok: $n: $(grep -v -e '^EXPECT-LOG: ' -e '^NO-LOG: ' "$T/$n.out" | tail -n 1)"
	else
		bad "$n (miltertest exit $?):"; sed 's/^/    /' "$T/$n.out"
	fi
done
# let the last log lines arrive, then check them
sleep 0.2
kill -0 "$pid" 2>/dev/null || bad "the milter died"
# a clean stop, so a sanitizer build reports leaks and errors now
bm_stop || bad "the milter exited $? on SIGTERM"
if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$T/log"; then
	bad "sanitizer report in the milter log"
fi
for s in "$T"/*.out; do
	grep '^EXPECT-LOG: ' "$s" | sed 's/^EXPECT-LOG: //' | while IFS= read -r l; do
		grep -qF -- "$l" "$T/log" || { echo "FAIL: not logged: $l"; echo x >>"$T/bad"; }
	done
	grep '^NO-LOG: ' "$s" | sed 's/^NO-LOG: //' | while IFS= read -r l; do
		grep -qF -- "$l" "$T/log" && { echo "FAIL: logged: $l"; echo x >>"$T/bad"; }
	done
done
[ -f "$T/bad" ] && bad "EXPECT-LOG/NO-LOG, above"
# clientaddr.lua: three messages without {client_addr}, said once
n=$(grep -c 'the MTA sent no {client_addr} macro' "$T/log")
[ "$n" = 1 ] || bad "the missing {client_addr} was logged $n times, not once"
# every line starts with a queue id (sanitizer reports aside)
if grep -v '^bounce-milter\[[0-9]*\]: [A-Za-z0-9]*: ' "$T/log" | grep -q '^bounce-milter'; then
	bad "log lines without a queue id:"; grep -v '^bounce-milter\[[0-9]*\]: [A-Za-z0-9]*: ' "$T/log"
fi
echo "--- milter log"; cat "$T/log"
[ $fails -eq 0 ] && echo "t_milter: all scripts passed"
exit $((fails > 0))
