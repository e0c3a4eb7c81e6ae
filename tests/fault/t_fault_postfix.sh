#!/bin/sh
# t_fault_postfix - Postfix reloads and restarts while mail flows through
# bounce-milter: nothing lost, every bounce annotated, the milter lives
#
# As root only.  A private Postfix (tests/lib/postfix.sh) with the
# milter wired as documented; tests/fault/inject.py runs FAULT_CONC
# (default 8) SMTP clients for FAULT_SECONDS (default 16) seconds, 5
# messages per connection, a mix of remote bounces (null sender, the
# bounces of tests/fixtures/milter/), plain mail, and mail to a domain whose
# next hop refuses it (Postfix then sends its own bounce through the
# milter).  While they run:
#	at 1/4 of the time	postfix reload
#	at 2/4			postfix stop; postfix start (sessions cut,
#				milter connections aborted)
#	at 3/4			postfix reload
# Then the queue is flushed until empty and checked: every message that
# got a 250 to its DATA arrived at the sink (by its tag), every bounce
# that arrived (remote, and Postfix's own) has X-Bounce-Class, the
# milter is still running, and its log holds no error line.  Prints the
# counts, the client-side latencies and what the milter logged.
#
# FAULT_VALGRIND=FILE runs the milter under valgrind memcheck (log in
# FILE, tests/lib/valgrind.supp, max_classify_ms raised), stops it with
# SIGTERM at the end and fails on any memcheck error or definite leak
# (t_valgrind.sh does this as root).  PCRE2's JIT is turned off there by
# a preloaded pcre2_jit_compile_8() that fails (built into $T), so the
# patterns run in PCRE2's interpreter: memcheck cannot follow JIT code
# (no symbols, and its SIMD reads past the subject, inside the arena,
# are reported as "conditional jump depends on uninitialised value").
# FAULT_VG_JIT=1 leaves the JIT on.
ROOT=$(pwd)
. tests/lib/postfix.sh
pf_init t_fault_pf
SECS=${FAULT_SECONDS:-16}
CONC=${FAULT_CONC:-8}

pid="" ipid=""
cleanup() {
	[ -n "$ipid" ] && kill "$ipid" 2>/dev/null
	pf_stop
	bm_kill
	[ "${BM_KEEP:-0}" = 1 ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
fail() { echo "FAIL: $*"; echo "--- milter log"; tail -n 30 "$T/milter.log";
	echo "--- maillog"; tail -n 30 "$T/maillog" 2>/dev/null; exit 1; }

RULES=$(rules_public "$T") || exit 1
pf_ports
bm_conf_head "inet:$PMILTER@127.0.0.1" "$RULES" >"$T/bm.conf"
VG=""
if [ -n "$FAULT_VALGRIND" ]; then
	command -v valgrind >/dev/null 2>&1 || { echo "skipped: no valgrind"; exit 77; }
	VG="valgrind --tool=memcheck --error-exitcode=97 --leak-check=full
	    --errors-for-leak-kinds=definite --show-leak-kinds=definite
	    --num-callers=20 --suppressions=$ROOT/tests/lib/valgrind.supp $FAULT_VGOPTS
	    --log-file=$FAULT_VALGRIND"
	echo 'max_classify_ms = 60000;	# memcheck is ~30x slower' >>"$T/bm.conf"
	if [ -z "$FAULT_VG_JIT" ]; then
		printf '#include <stdint.h>\nint pcre2_jit_compile_8(void *, uint32_t);\nint pcre2_jit_compile_8(void *c, uint32_t o) { (void)c; (void)o; return -45; }\n' >"$T/nojit.c"
		${CC:-cc} -shared -fPIC -o "$T/nojit.so" "$T/nojit.c" || fail "cannot build the no-JIT shim"
		VG="env LD_PRELOAD=$T/nojit.so $VG"
	fi
fi
BM_WRAP=$VG BM_WAIT=30
bm_start "$T/milter.log" "$T/bm.conf" -u nobody || fail "milter did not start"
pf_start

set --
for f in dbeb userunknown blocked policy relay domain; do
	set -- "$@" --bounce "tests/fixtures/milter/$f.eml"
done
python3 tests/fault/inject.py send "$PSMTPD" "$T/inj.jsonl" --conc "$CONC" \
    --seconds "$SECS" --per-conn 5 --mix remote=2,plain=2,reject=1 "$@" \
    >"$T/inj.out" 2>&1 &
ipid=$!
q=$((SECS / 4))
sleep "$q"; pf_reload; echo "$(date +%T) postfix reload"
sleep "$q"; pf_restart; echo "$(date +%T) postfix stop; postfix start"
sleep "$q"; pf_reload; echo "$(date +%T) postfix reload"
wait "$ipid" || { cat "$T/inj.out"; fail "the injector failed"; }
ipid=""
pf_drain 90 || fail "the queue is not empty after 90 s: $(postqueue -c "$T/etc" -p | tail -n 1)"
kill -0 "$pid" 2>/dev/null || fail "the milter died"
python3 tests/fault/inject.py stats "$T/inj.jsonl" | sed 's/^/    /'
# Postfix's own bounces reach the sink after the queue drained
i=0
until python3 tests/fault/inject.py check "$T/inj.jsonl" "$T/sinka" >"$T/check.out"; do
	[ $i -lt 30 ] || { cut -c1-200 "$T/check.out"; fail "mail lost or a bounce not annotated"; }
	sleep 1; i=$((i + 1))
done
sed 's/^/    /' "$T/check.out" | cut -c1-200
echo "    milter still running (pid $pid); its log lines by kind:"
# "bounce-milter[PID]: QID: WORD ..." -> WORD (the last ':' free word)
sed -n 's/^bounce-milter\[[0-9]*\]: [^ ]*: \([a-z][a-z-]*\).*/\1/p' "$T/milter.log" |
    sort | uniq -c | sort -rn | awk '{ printf "      %6d %s\n", $1, $2 }'
# a session Postfix cut at end of message: smfi_addheader() fails, one
# line (the message goes on, unannotated only if Postfix had not kept it)
cut=$(grep -c 'could not add X-Bounce-[A-Za-z]* header' "$T/milter.log")
echo "    milter lines for sessions cut while it added headers: $cut"
bad='out of memory\|spool:\|could not delete\|Sanitizer\|runtime error\|Assertion\|fatal'
grep -q "$bad" "$T/milter.log" &&
	{ grep "$bad" "$T/milter.log" | head -n 5
	  fail "the milter logged an error"; }
echo "    Postfix: $(grep -c 'warning:.*milter' "$T/maillog") milter warnings"
if [ -n "$VG" ]; then
	pf_stop
	bm_stop
	rc=$?
	echo "    memcheck: exit $rc; $(grep 'ERROR SUMMARY' "$FAULT_VALGRIND" | tail -n 1 | sed 's/^==[0-9]*== //')"
	grep 'definitely lost:' "$FAULT_VALGRIND" | sed 's/^==[0-9]*== /    /'
	if [ $rc -ne 0 ]; then
		grep -A 25 -E 'Invalid|uninitialised|definitely lost in' "$FAULT_VALGRIND" | head -n 60
		fail "bounce-milter under valgrind exited $rc"
	fi
fi
echo "ok: Postfix reloaded twice and restarted once under load: nothing lost, every bounce annotated, milter alive"
exit 0
