#!/bin/sh
# t_sanitize - the unit programs and the corpus under ASan+UBSan
#
# Builds everything with SANITIZE=1 into $BUILD-asan (make SANITIZE=1
# BUILD=$BUILD-asan tests) and runs, through tests/run with that build:
# every cmocka unit program and the shell tests named in SANITIZE_TESTS
# (default: t_corpus and the milter tests t_milter*), so the
# corpus and the daemon run under the sanitizers too.  It never runs
# itself, t_fuzz_smoke, t_badinput (already sanitized), t_valgrind or the
# bench.  Any sanitizer report fails the program that printed it: the
# build uses -fno-sanitize-recover=all, and leaks make ASan exit non-zero.
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
case $BUILD in *-asan) echo "skipped: already an ASan build ($BUILD)"; exit 77 ;; esac
ABUILD=$BUILD-asan
make --no-print-directory -s SANITIZE=1 BUILD="$ABUILD" tests ||
	{ echo "FAIL: make SANITIZE=1 BUILD=$ABUILD tests"; exit 1; }
export LSAN_OPTIONS="suppressions=$ROOT/fuzz/lsan.supp"
export ASAN_OPTIONS="detect_leaks=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
names=""
for t in "$ABUILD"/tests/test_*; do
	[ -x "$t" ] && names="$names $(basename "$t")"
done
for t in ${SANITIZE_TESTS:-t_corpus t_milter*}; do
	for f in tests/*/$t.sh; do
		[ -f "$f" ] || continue
		case $(basename "$f" .sh) in
		t_sanitize|t_fuzz_smoke|t_badinput|t_valgrind) continue ;;
		esac
		names="$names $(basename "$f" .sh)"
	done
done
[ -n "$names" ] || { echo "skipped: nothing to run under ASan yet"; exit 77; }
echo "under ASan+UBSan:$names"
# tests/run's TESTS filter cannot be relied on to exclude, so run them here
mkdir -p "$ABUILD/test-logs"
pass=0 fail=0 skip=0
for n in $names; do
	log="$ABUILD/test-logs/$n.log"
	case $n in
	test_*) BUILD=$ABUILD "$ABUILD/tests/$n" >"$log" 2>&1 ;;
	*) BUILD=$ABUILD sh "$(ls tests/*/"$n".sh | head -n 1)" >"$log" 2>&1 ;;
	esac
	rc=$?
	if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' \
	    -e 'runtime error:' "$log"; then
		rc=1
		echo "sanitizer report:"
	fi
	case $rc in
	0) pass=$((pass + 1)); echo "PASS: $n (asan)" ;;
	77) skip=$((skip + 1)); echo "SKIP: $n (asan): $(tail -n 1 "$log")" ;;
	*) fail=$((fail + 1)); echo "FAIL: $n (asan, exit $rc):"
	   tail -n 25 "$log" | sed 's/^/    /' ;;
	esac
done
echo "asan: $pass passed, $fail failed, $skip skipped"
[ "$pass" -gt 0 ] || { echo "FAIL: nothing passed under ASan"; exit 1; }
[ "$fail" -eq 0 ]
