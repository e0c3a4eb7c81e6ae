#!/bin/sh
# t_monotonic - every timed wait in milter/ counts on CLOCK_MONOTONIC
#
# pthread_cond_timedwait() measures its deadline on the clock its
# condition variable was made with, CLOCK_REALTIME unless told, and
# pthread_mutex_timedlock() on CLOCK_REALTIME always: a step of the wall
# clock would cut such a wait short or stretch it.  So all timed waits go
# through milter/util/mclock.c (mclock.h).  In the C code of milter/
# (comments left out), outside mclock.[ch]:
#	1. no pthread_cond_timedwait, pthread_cond_clockwait,
#	   pthread_cond_init, pthread_condattr_setclock,
#	   pthread_mutex_timedlock, pthread_mutex_clocklock,
#	   pthread_rwlock_timed*, sem_timedwait, sem_clockwait, CLOCK_REALTIME;
#	2. every condition variable given to mcond_wait_until() is made by
#	   mcond_init() in the same file (the same expression).
# First shows that the check fails on planted files breaking 1 and 2.
# tests/unit/test_mclock.c checks the helper itself (a wait lasts its
# time by the monotonic clock).
command -v python3 >/dev/null 2>&1 ||
	{ echo "skipped: python3 not installed"; exit 77; }
W=$(mktemp -d "${TMPDIR:-/tmp}/t_mono.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT

check() {	# check DIR: print each breach, exit 1 when there is one
	python3 - "$1" <<'PY'
import os, re, sys
top = sys.argv[1]
banned = re.compile(r"\b(pthread_cond_timedwait|pthread_cond_clockwait|"
    r"pthread_cond_init|pthread_condattr_setclock|pthread_mutex_timedlock|"
    r"pthread_mutex_clocklock|pthread_rwlock_timed\w*|sem_timedwait|"
    r"sem_clockwait|CLOCK_REALTIME)\b")
wait = re.compile(r"\bmcond_wait_until\s*\(\s*([^,]+?)\s*,")
init = re.compile(r"\bmcond_init\s*\(\s*([^)]+?)\s*\)")
bad = n = 0
for d, _, files in sorted(os.walk(top)):
    for f in sorted(files):
        if not f.endswith((".c", ".h")) or f in ("mclock.c", "mclock.h"):
            continue
        p = os.path.join(d, f)
        src = open(p, encoding="utf-8", errors="replace").read()
        # comments out, line count kept
        src = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"),
            src, flags=re.S)
        src = re.sub(r"//[^\n]*", "", src)
        n += 1
        for i, line in enumerate(src.split("\n"), 1):
            for m in banned.finditer(line):
                print("%s:%d: %s outside mclock.c" % (p, i, m.group(1)))
                bad = 1
        made = set(x.replace(" ", "") for x in init.findall(src))
        for i, line in enumerate(src.split("\n"), 1):
            for m in wait.finditer(line):
                cv = m.group(1).replace(" ", "")
                if cv not in made:
                    print("%s:%d: mcond_wait_until(%s, ...) on a condition "
                        "variable not made by mcond_init() here" % (p, i, cv))
                    bad = 1
print("%d files checked" % n)
sys.exit(bad)
PY
}

# the check fails on planted breaches
mkdir -p "$W/a" "$W/b"
cat >"$W/a/p.c" <<'C'
/* a comment may say pthread_cond_timedwait and CLOCK_REALTIME */
static void f(void) { clock_gettime(CLOCK_REALTIME, &ts); }
C
cat >"$W/b/q.c" <<'C'
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ok;
static void g(void) { mcond_init(&ok); mcond_wait_until(&ok, &mu, &t); }
static void h(void) { mcond_wait_until(&cv, &mu, &t); }
C
check "$W/a" >"$W/a.out" && { echo "FAIL: a planted CLOCK_REALTIME passed"; exit 1; }
grep -q 'p.c:2: CLOCK_REALTIME outside' "$W/a.out" ||
	{ echo "FAIL: planted CLOCK_REALTIME:"; cat "$W/a.out"; exit 1; }
grep -q 'p.c:1:' "$W/a.out" && { echo "FAIL: a comment counted:"; cat "$W/a.out"; exit 1; }
check "$W/b" >"$W/b.out" && { echo "FAIL: a wait on a default condition variable passed"; exit 1; }
grep -q 'q.c:4: mcond_wait_until(&cv' "$W/b.out" && ! grep -q 'q.c:3:' "$W/b.out" ||
	{ echo "FAIL: planted wait:"; cat "$W/b.out"; exit 1; }
echo "ok: the check finds a planted CLOCK_REALTIME and a timed wait on a condition variable not made by mcond_init()"

[ -f milter/util/mclock.c ] || { echo "FAIL: no milter/util/mclock.c (run from the repository root)"; exit 1; }
if ! check milter >"$W/out"; then
	cat "$W/out"
	echo "FAIL: timed waits outside mclock.c, or not on CLOCK_MONOTONIC"
	exit 1
fi
echo "ok: $(tail -n 1 "$W/out"): every timed wait goes through mclock.c on CLOCK_MONOTONIC"
exit 0
