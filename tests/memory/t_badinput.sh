#!/bin/sh
# t_badinput - hostile inputs through bounce-decode built with ASan+UBSan
#
# Generates (tests/lib/badinput_gen.py, into a temporary directory, nothing
# committed) truncated bounces, binary garbage, NUL bytes, a 50 MB line,
# 10,000 recipients, 1,000 nested multiparts, broken base64/QP, unknown
# charsets, missing boundaries and more, plus every file in tests/regress/
# (inputs that once crashed a fuzz target), and runs each through
# `bounce-decode --json --no-dns` built with SANITIZE=1 in $BUILD-asan.
# Each must: exit 0, or 1 with "error" set in its JSON line (a limit
# stopped the parse); print the expected number of JSON lines, every key
# present; recognise the inputs that are still readable DSNs as bounces
# with all their failed recipients; finish within BADINPUT_SECS (default 60) seconds; stay below
# BADINPUT_RSS_MIB (default 1200) MiB of resident memory (measured with
# /usr/bin/time, since ASan's shadow memory defeats ulimit -v); print no
# sanitizer report.  A table of the outcomes goes to the log.
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
SHARED=${SHARED:-$ROOT/../shared}
ABUILD=${ASAN_BUILD:-$BUILD-asan}
SECS=${BADINPUT_SECS:-60}
RSS=${BADINPUT_RSS_MIB:-1200}
command -v python3 >/dev/null 2>&1 || { echo "skipped: no python3"; exit 77; }
[ -x /usr/bin/time ] || { echo "skipped: no /usr/bin/time (package time)"; exit 77; }
make --no-print-directory -s SANITIZE=1 BUILD="$ABUILD" "$ABUILD/bounce-decode" ||
	{ echo "FAIL: could not build $ABUILD/bounce-decode"; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/t_badinput.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM
sample=""
[ -f "$SHARED/corpus/bsd/lhost-postfix-30.eml" ] &&
	sample="$SHARED/corpus/bsd/lhost-postfix-30.eml"
python3 tests/lib/badinput_gen.py "$T/in" $sample >"$T/list" || exit 1
for f in tests/regress/fuzz_mime/* tests/regress/fuzz_decode/*; do
	[ -f "$f" ] || continue
	n="regress-$(basename "$(dirname "$f")")-$(basename "$f")"
	cp "$f" "$T/in/$n"
	printf '%s\t%s\t%s\t%s\t%s\n' "$n" 1 -1 0 "fuzz regression $f" >>"$T/list"
done
# an unreadable path: exit 1 with error set, the others still reported
printf '%s\t%s\t%s\t%s\t%s\n' "missing" 1 -1 0 "a path that does not exist" >>"$T/list"

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=99"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98"
mkdir -p "$T/res"
# two at a time (2 cores); each input in its own process, timed alone
cut -f1 "$T/list" | xargs -P "${BADINPUT_JOBS:-2}" -I NAME sh -c '
	/usr/bin/time -f "%M %e" -o "$1/res/$2.time" \
	    timeout -k 5 "$3" "$4/bounce-decode" --json --no-dns \
	    --rules rules "$1/in/$2" >"$1/res/$2.out" 2>"$1/res/$2.err"
	echo $? >"$1/res/$2.rc"' sh "$T" NAME "$SECS" "$ABUILD"
python3 - "$T/list" "$T/res" "$SECS" "$RSS" <<'PY'
import json, sys
lst, res, secs, rsslim = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
KEYS = ["file", "bounce", "kind", "format", "reporting_mta", "original",
        "recipients", "error"]
RKEYS = ["recipient", "action", "status", "reply_code", "reason", "hard",
         "cause", "side", "hint", "diagnostic", "evidence"]
bad = 0
print("%-24s %4s %6s %8s %5s %6s  %s" % ("input", "exit", "secs", "rss_mib",
      "lines", "rcpts", "outcome"))
for line in open(lst):
    name, nlines, minr, must, what = line.rstrip("\n").split("\t", 4)
    nlines, minr, must = int(nlines), int(minr), int(must)
    p = res + "/" + name
    rc = int(open(p + ".rc").read())
    err = open(p + ".err", errors="replace").read()
    try:
        t = open(p + ".time").read().split()
        # /usr/bin/time prints "Command exited with non-zero status N" first
        rss, el = int(t[-2]) // 1024, float(t[-1])
    except (OSError, ValueError, IndexError):
        rss, el = -1, -1.0
    out = open(p + ".out", "rb").read().decode("utf-8", "replace").splitlines()
    why = []
    if rc == 124 or rc == 137 or el > secs:
        why.append("timed out")
    elif rc not in (0, 1):
        why.append("exit %d" % rc)
    if "Sanitizer" in err or "runtime error" in err or "LeakSanitizer" in err:
        why.append("sanitizer report")
    if rss > rsslim:
        why.append("rss %d MiB > %d" % (rss, rsslim))
    if len(out) != nlines:
        why.append("%d JSON lines, want %d" % (len(out), nlines))
    nr = 0
    anyerr = False
    for o in out:
        try:
            j = json.loads(o)
        except ValueError as e:
            why.append("bad JSON: %s" % e)
            break
        miss = [k for k in KEYS if k not in j]
        if miss:
            why.append("missing keys %s" % miss)
        if j.get("error"):
            anyerr = True
        for r in j.get("recipients", []):
            m = [k for k in RKEYS if k not in r]
            if m:
                why.append("recipient missing %s" % m)
                break
        nr += len(j.get("recipients", []))
        if must and not j.get("bounce"):
            why.append("a readable DSN not recognised as a bounce")
        if len(j.get("recipients", [])) > 20000:
            why.append("more recipients than REPORT_MAX_RCPT")
        if (minr >= 0 and j.get("bounce") and not j.get("error") and
                sum(1 for r in j["recipients"] if r.get("action") == "failed") < minr):
            why.append("bounce with %d failed recipients, want %d" %
                       (len(j["recipients"]), minr))
    if rc == 1 and not anyerr:
        why.append("exit 1 but no error in the JSON")
    if rc == 0 and anyerr:
        why.append("error set but exit 0")
    print("%-24s %4d %6.2f %8d %5d %6d  %s" % (name[:24], rc, el, rss, len(out),
          nr, "; ".join(why) if why else "ok (" + what + ")"))
    if why:
        bad += 1
        for l in err.splitlines()[:15]:
            print("    " + l)
print("%d inputs failed" % bad)
sys.exit(1 if bad else 0)
PY
