#!/bin/sh
# t_fuzz_smoke - a short libFuzzer run of every target, and the regressions
#
# Builds the fuzz targets (fuzz/build) into $BUILD-fuzz, replays every file
# in tests/regress/TARGET/ through its target (each is an input that once
# crashed or leaked: it must now run clean), then fuzzes all targets for
# about FUZZ_SMOKE_SECONDS (default 60) in all, seeded from the shared
# corpus and tests/ (fuzz/run).  Skips when clang cannot build libFuzzer
# programs (package libclang-rt-14-dev).  Long runs: make fuzz.
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
OUT=$BUILD-fuzz
TOTAL=${FUZZ_SMOKE_SECONDS:-60}
JOBS=2
command -v clang >/dev/null 2>&1 || { echo "skipped: no clang"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/t_fuzz_smoke.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' >"$T/f.c"
clang -fsanitize=fuzzer "$T/f.c" -o "$T/f" >/dev/null 2>&1 ||
	{ echo "skipped: clang cannot link -fsanitize=fuzzer (libclang-rt-14-dev)"; exit 77; }
targets=$(sh fuzz/build "$OUT") || { echo "FAIL: fuzz/build"; exit 1; }
n=$(echo $targets | wc -w)
[ "$n" -gt 0 ] || { echo "FAIL: no fuzz targets"; exit 1; }
export LSAN_OPTIONS="suppressions=$ROOT/fuzz/lsan.supp"
export UBSAN_OPTIONS="print_stacktrace=1"
status=0
for t in $targets; do
	set -- tests/regress/"$t"/*
	[ -f "$1" ] || continue
	if "$OUT/$t" -runs=1 "$@" >"$T/$t.replay" 2>&1; then
		echo "replay $t: $# regression inputs ok"
	else
		echo "FAIL: replay $t: a regression input crashes again:"
		tail -n 30 "$T/$t.replay"
		status=1
	fi
done
# seconds per target so that all of them take about TOTAL, JOBS at a time
rounds=$(( (n + JOBS - 1) / JOBS ))
per=$(( TOTAL / rounds ))
[ "$per" -ge 5 ] || per=5
FUZZ_BUILD=$OUT FUZZ_TARGETS="$targets" sh fuzz/run "$per" || status=1
exit $status
