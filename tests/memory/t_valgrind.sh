#!/bin/sh
# t_valgrind - memcheck on the milter under the miltertest suite, and on
# bounce-decode over the corpus
#
# Runs $BUILD/bounce-milter (the normal build, -O2 -g) under valgrind
# memcheck (max_classify_ms raised: memcheck is slow), drives it with
# every tests/milter/*.lua script (each must pass, as in t_milter) and 15 seconds of bench/soak.lua (the corpus, five messages a
# connection, aborts), stops it with SIGTERM, and requires zero memcheck
# errors and zero definitely lost bytes (--errors-for-leak-kinds=definite,
# --error-exitcode).  Then bounce-decode --json --no-dns over the shared
# corpus (skipped without it) under the same rules.  Skips without
# valgrind or miltertest.  Suppressions (code not ours): tests/lib/valgrind.supp.
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
. tests/lib/bmconf.sh
need_cmd valgrind valgrind
need_cmd miltertest miltertest
SHARED=${SHARED:-$ROOT/../shared}
case $BUILD in *-asan) echo "skipped: valgrind does not run ASan builds"; exit 77 ;; esac
M="$BUILD/bounce-milter"
need_built "$M"
test_tmpdir t_valgrind
pid=""
at_exit() { bm_kill; }
VG="valgrind --tool=memcheck --error-exitcode=97 --leak-check=full
    --errors-for-leak-kinds=definite --show-leak-kinds=definite
    --track-origins=no --num-callers=20 --suppressions=$ROOT/tests/lib/valgrind.supp"
{
	bm_conf_head "unix:$T/sock" "$ROOT/rules"
	echo "max_classify_ms = 60000;	# memcheck is ~30x slower; the 200 ms cap would pass all"
} >"$T/bm.conf"
BM_WRAP="$VG --log-file=$T/vg-milter.log" BM_WAIT=30
bm_start "$T/log" "$T/bm.conf" ||
	{ echo "FAIL: milter did not start under valgrind:"; cat "$T/log"; exit 1; }
export MT_SOCK="unix:$T/sock" MT_MSGS="tests/fixtures/milter" MT_LIB="tests/milter/lib.lua"
n=0
for s in tests/milter/*.lua; do
	case "$s" in */lib.lua|*/reload.lua) continue ;; esac
	o="$T/$(basename "$s" .lua).out"
	if ! miltertest -s "$s" >"$o" 2>&1; then
		bad "$(basename "$s") under valgrind: $(grep -v -e '^EXPECT-LOG' -e '^NO-LOG' "$o" | tail -n 1)"
	fi
	n=$((n + 1))
done
if [ -d "$SHARED/corpus/bsd" ]; then
	ls "$SHARED"/corpus/bsd/* "$SHARED"/corpus/not/* >"$T/files"
	BM_SOCK="unix:$T/sock" BM_LIST="$T/files" BM_SECS=15 BM_SEED=1 \
	    miltertest -s bench/soak.lua >"$T/soak.out" 2>&1
	echo "soak under valgrind: $(tail -n 1 "$T/soak.out")"
fi
bm_stop
rc=$?
echo "bounce-milter under memcheck ($n miltertest scripts): exit $rc; $(grep -E 'ERROR SUMMARY' "$T/vg-milter.log" | tail -n 1 | sed 's/^==[0-9]*== //')"
grep -E 'definitely lost:' "$T/vg-milter.log" | sed 's/^==[0-9]*== /    /'
if [ $rc -ne 0 ]; then
	bad "bounce-milter under valgrind exited $rc"
	grep -A 25 -E 'Invalid|uninitialised|definitely lost in' "$T/vg-milter.log" | head -n 60
fi
if [ -d "$SHARED/corpus/bsd" ]; then
	$VG --log-file="$T/vg-decode.log" "$BUILD/bounce-decode" --json --no-dns \
	    --rules rules "$SHARED/corpus/bsd" "$SHARED/corpus/not" >/dev/null 2>&1
	rc=$?
	echo "bounce-decode on the corpus under memcheck: exit $rc; $(grep -E 'ERROR SUMMARY' "$T/vg-decode.log" | tail -n 1 | sed 's/^==[0-9]*== //')"
	if [ $rc -eq 97 ]; then
		bad "memcheck errors in bounce-decode"
		grep -A 25 -E 'Invalid|uninitialised|definitely lost in' "$T/vg-decode.log" | head -n 60
	fi
fi
exit $((fails > 0))
