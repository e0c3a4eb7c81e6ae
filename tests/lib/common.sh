# tests/lib/common.sh - the head most shell tests share
#
# SYNOPSIS
#	. tests/lib/common.sh
#	need_cmd CMD [PACKAGE]
#	need_built FILE...
#	ok
#	bad MESSAGE...
#	expect WHAT GOT WANT
#	test_tmpdir NAME
#	wait_for SECONDS CMD...
#	now_ms
#	free_ports N
#	listening ADDR:PORT
#	dns_start DIR
#	dns_blackhole DIR
#
# DESCRIPTION
#	Sourced from the repository root, where tests/run starts every
#	test; sets BUILD to build when it is not set.
#
#	ok counts a check that passed in checks; bad prints "FAIL: MESSAGE"
#	and counts a check that failed in checks and in fails (both 0 at
#	first): a test goes on after a failed check and ends with exit
#	$((fails > 0)).  expect is ok when GOT is WANT, else bad "WHAT: got
#	'GOT', want 'WANT'".
#
#	need_cmd exits 77 ("skipped: CMD is not installed (apt-get install
#	PACKAGE)") unless CMD is on the PATH.  need_built exits 1 ("no FILE;
#	run make first") unless every FILE is an executable.
#
#	test_tmpdir sets T to a new directory ${TMPDIR:-/tmp}/NAME.XXXXXX
#	(or exits 1) and sets the traps: at exit the test's function
#	at_exit runs, when it defines one (to stop what it started), and T
#	is removed (kept, and named, with BM_KEEP=1); INT, TERM, HUP and
#	PIPE end the test with exit 1, and so the same way.  A test that
#	sets its own EXIT trap replaces this one.
#
#	wait_for runs CMD every 0.1 s until it succeeds, for at most
#	SECONDS (a whole number); it returns 1 when CMD never succeeded.
#	now_ms prints the wall clock in milliseconds.
#
#	free_ports prints N TCP ports of 127.0.0.1 that were free a moment
#	ago, on one line (with $PY, when set, for python3).  listening is true when a TCP socket listens on
#	ADDR:PORT (ss).
#
#	dns_start runs `tests/lib/dnsd.sh start DIR` (the test zone, its port
#	in DIR/port, also set in DNS_PORT) and dns_blackhole `tests/lib/dnsd.sh
#	blackhole DIR` (DIR/bh_port, BH_PORT); either exits 77 with dnsd.sh's
#	reason when dnsmasq (or perl) is missing, and 1 when the server does
#	not start.  The caller stops both with `sh tests/lib/dnsd.sh stop
#	DIR` (in its EXIT trap).
BUILD=${BUILD:-build}
fails=${fails:-0} checks=${checks:-0}

ok() {
	checks=$((checks + 1))
}

bad() {
	echo "FAIL: $*"
	checks=$((checks + 1)) fails=$((fails + 1))
}

expect() {
	if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi
}

need_cmd() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "skipped: $1 is not installed${2:+ (apt-get install $2)}"
	exit 77
}

need_built() {
	for _f in "$@"; do
		[ -x "$_f" ] || { echo "no $_f; run make first"; exit 1; }
	done
}

test_tmpdir() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 1
	trap _test_exit EXIT
	trap 'exit 1' INT TERM HUP PIPE
}

_test_exit() {
	type at_exit >/dev/null 2>&1 && at_exit
	if [ "${BM_KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}

wait_for() {
	_w=$(( $1 * 10 )); shift
	while [ $_w -gt 0 ]; do "$@" && return 0; sleep 0.1; _w=$((_w - 1)); done
	return 1
}

now_ms() {
	echo $(( $(date +%s%N) / 1000000 ))
}

free_ports() {
	${PY:-python3} -c '
import socket, sys
ss = []
for i in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))' "$1"
}

listening() {
	ss -Hltn "src $1" | grep -q .
}

# _dnsd WHAT DIR NAME: tests/lib/dnsd.sh WHAT DIR, its output in
# DIR/WHAT.out; exit 77 or 1 as it says
_dnsd() {
	mkdir -p "$2" || exit 1
	sh tests/lib/dnsd.sh "$1" "$2" >"$2/$1.out" 2>&1
	_rc=$?
	[ $_rc -eq 77 ] && { echo "skipped: $(tail -n 1 "$2/$1.out")"; exit 77; }
	[ $_rc -eq 0 ] ||
		{ cat "$2/$1.out"; echo "FAIL: the $3 did not start"; exit 1; }
}

dns_start() {
	_dnsd start "$1" "DNS server (dnsmasq)"
	DNS_PORT=$(cat "$1/port")
}

dns_blackhole() {
	_dnsd blackhole "$1" "black-hole DNS port"
	BH_PORT=$(cat "$1/bh_port")
}
