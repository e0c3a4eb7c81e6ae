#!/bin/sh
# t_history_faults - the history store under trouble: callers never wait,
# the log says what happened, the database opens clean afterwards
#
# Uses test_history as a writer tool (see tests/unit/test_history.c):
#  1. locked by another process (the sqlite3 CLI holding a write lock);
#  2. killed with SIGKILL while writing, three times;
#  3. read-only: a read-only mount as root, else a read-only directory;
#  4. disk full: a small tmpfs (root only; skipped otherwise).
# After each: PRAGMA integrity_check is ok and the store opens again.
# Each put must return within MAX_PUT_US, default 250 ms: far less than
# the tool's lock wait (3 x 500 ms), so a put that waited on SQLite fails;
# the slack is for loaded CI machines (a put itself takes microseconds).
BUILD=${BUILD:-build}
T="$BUILD/tests/test_history"
MAX_PUT_US=${MAX_PUT_US:-250000}
[ -x "$T" ] || { echo "skipped: $T not built"; exit 77; }
command -v sqlite3 >/dev/null 2>&1 || { echo "skipped: no sqlite3 CLI"; exit 77; }
dir=$(mktemp -d) || exit 1
mnt=""
cleanup() {
	[ -n "$mnt" ] && umount "$mnt" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

# the tool's last line: queued=Q written=W dropped_full=F dropped_db=D max_put_us=M
field() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" "$2" | tail -n 1; }

integrity() {	# integrity DB: ok, and the store opens and counts
	r=$(sqlite3 "$1" "PRAGMA integrity_check" 2>&1)
	[ "$r" = ok ] || bad "$1: integrity_check: $r"
	n=$("$T" count "$1" 2>/dev/null)
	case "$n" in [0-9]*) ;; *) bad "$1: does not open again: $n" ;; esac
}

putfast() {	# putfast OUT: no put took longer than MAX_PUT_US
	m=$(field max_put_us "$1")
	[ -n "$m" ] && [ "$m" -lt "$MAX_PUT_US" ] ||
	    bad "slowest put ${m:-?} us (limit $MAX_PUT_US)"
}

# ---- 1. locked by another process ----------------------------------------
db="$dir/locked.db"
"$T" count "$db" >/dev/null 2>&1 || bad "cannot create $db"
# hold a write lock for 4 s (the tool waits 3 x 500 ms, then drops)
(echo "BEGIN IMMEDIATE;"; echo "INSERT INTO outgoing (sent) VALUES (0);";
 sleep 4; echo "COMMIT;") | sqlite3 "$db" &
lk=$!
sleep 0.5
# 3000 records 2 ms apart: before, during and after the lock
"$T" write "$db" 3000 2000 >"$dir/locked.out" 2>"$dir/locked.err" ||
    bad "locked: tool exited $?"
wait $lk
cat "$dir/locked.out" "$dir/locked.err" | sed 's/^/    locked: /'
grep -q 'log: history: .*: locked (' "$dir/locked.err" ||
    bad "locked: no log line says the database was locked"
grep -q 'log: history: .*writing again after locked' "$dir/locked.err" ||
    bad "locked: no log line says writing resumed"
[ "$(field written "$dir/locked.out")" -gt 0 ] 2>/dev/null ||
    bad "locked: nothing written after the lock went"
putfast "$dir/locked.out"
integrity "$db"
rows=$(sqlite3 "$db" "SELECT count(*) FROM outgoing WHERE message_id LIKE '%@tool'")
[ "$rows" = "$(field written "$dir/locked.out")" ] ||
    bad "locked: $rows rows but the store counted $(field written "$dir/locked.out") written"

# ---- 2. SIGKILL while writing ------------------------------------------------
db="$dir/killed.db"
for round in 1 2 3; do
	"$T" loop "$db" >"$dir/loop.out" 2>"$dir/loop.err" &
	pid=$!
	# wait until it has written some thousands, then kill it mid-stream
	i=0
	while :; do
		got=$(tail -n 1 "$dir/loop.out" 2>/dev/null)
		[ "${got:-0}" -ge $((round * 2000)) ] && break
		i=$((i + 1))
		[ $i -gt 300 ] && break
		sleep 0.05
	done
	sleep 0.0$round
	kill -9 $pid
	wait $pid 2>/dev/null
	integrity "$db"
	echo "    killed: round $round: $(sqlite3 "$db" 'SELECT count(*) FROM outgoing') rows, integrity $(sqlite3 "$db" 'PRAGMA integrity_check')"
done
[ "$(sqlite3 "$db" 'SELECT count(*) FROM outgoing')" -gt 0 ] ||
    bad "killed: no rows survived"

# ---- 3. read-only ----------------------------------------------------------
if [ "$(id -u)" = 0 ] && mkdir "$dir/ro" && mount -t tmpfs -o size=4m tmpfs "$dir/ro" 2>/dev/null; then
	mnt="$dir/ro"
	db="$mnt/h.db"
	"$T" write "$db" 10 >/dev/null 2>&1 || bad "read-only: cannot create"
	mount -o remount,ro "$mnt" || bad "read-only: cannot remount"
	how="read-only mount"
else
	mkdir -p "$dir/ro"
	db="$dir/ro/h.db"
	"$T" write "$db" 10 >/dev/null 2>&1 || bad "read-only: cannot create"
	chmod 0444 "$db"; chmod 0555 "$dir/ro"
	how="read-only directory"
fi
"$T" write "$db" 500 >"$dir/ro.out" 2>"$dir/ro.err" || bad "read-only: tool exited $?"
cat "$dir/ro.out" "$dir/ro.err" | sed "s/^/    $how: /"
grep -q 'log: history: .*read-only' "$dir/ro.err" ||
    bad "read-only: no log line says so"
[ "$(field dropped_db "$dir/ro.out")" = 500 ] || bad "read-only: 500 records should be dropped"
putfast "$dir/ro.out"
if [ -n "$mnt" ]; then
	mount -o remount,rw "$mnt"
else
	chmod 0755 "$dir/ro"; chmod 0644 "$db"
fi
"$T" write "$db" 20 >"$dir/ro2.out" 2>&1
[ "$(field written "$dir/ro2.out")" = 20 ] || bad "read-only: not writing once writable"
integrity "$db"
[ "$(sqlite3 "$db" 'SELECT count(*) FROM outgoing')" = 30 ] ||
    bad "read-only: want 30 rows"
if [ -n "$mnt" ]; then umount "$mnt"; mnt=""; fi

# ---- 4. disk full ----------------------------------------------------------
if [ "$(id -u)" = 0 ] && mkdir "$dir/full" && mount -t tmpfs -o size=1m tmpfs "$dir/full" 2>/dev/null; then
	mnt="$dir/full"
	db="$mnt/h.db"
	"$T" write "$db" 10 >/dev/null 2>&1 || bad "full: cannot create"
	# fill the file system but for a few pages
	dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null
	rm -f "$mnt/filler"
	dd if=/dev/zero of="$mnt/filler" bs=4k count=$(( $(df -k --output=avail "$mnt" | tail -n 1) / 4 - 4 )) 2>/dev/null
	"$T" write "$db" 5000 >"$dir/full.out" 2>"$dir/full.err" || bad "full: tool exited $?"
	cat "$dir/full.out" "$dir/full.err" | sed 's/^/    disk full: /' | head -n 8
	grep -q 'log: history: .*: full (' "$dir/full.err" ||
	    bad "full: no log line says the disk is full"
	[ "$(field dropped_db "$dir/full.out")" -gt 0 ] 2>/dev/null ||
	    bad "full: nothing dropped on a full disk?"
	putfast "$dir/full.out"
	rm -f "$mnt/filler"
	"$T" write "$db" 100 >"$dir/full2.out" 2>&1
	[ "$(field written "$dir/full2.out")" = 100 ] ||
	    bad "full: not writing once there is room"
	integrity "$db"
	umount "$mnt"; mnt=""
else
	echo "    disk full: skipped (needs root for a small tmpfs); test_history covers a size-limited file"
fi

[ $fail -eq 0 ] && echo "history faults: locked, killed, read-only, full: callers never waited, logs said so, databases intact"
exit $fail
