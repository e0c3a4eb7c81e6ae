#!/bin/sh
# gen.sh - bounces written by real MTAs around a deferral
#
# usage: sh tests/mta/gen.sh [-o DIR] [-t SECONDS] [MTA...]
#	MTA: postfix exim opensmtpd sendmail (default: all four)
#
# As root.  Runs each MTA as a private instance on 127.0.0.1 (Debian 12's
# Postfix as installed; Exim 4 (exim4-daemon-light), OpenSMTPD and
# Sendmail fetched with `apt-get download` into $CACHE (default
# build/mta) and unpacked with `dpkg -x`, never installed; their users
# exist only in a private mount namespace, where a copy of /etc/passwd
# and /etc/group with them added is mounted).  Every MTA sends to
# tests/mta/fake.py: 127.0.0.1:PORT is the remote (the reply to each RCPT
# chosen by the local part: rej541 550 5.4.1, tss04 421 4.7.0 [TSS04] and
# the connection closed, grey450 450 4.2.0), 127.0.0.3:PORT refuses the
# connection, and 127.0.0.2:PORT is the sink that takes the bounces sent
# back to sender@origin.example.  The queue lifetimes are seconds (Postfix
# maximal_queue_lifetime, Exim's retry rule, OpenSMTPD's queue ttl,
# Sendmail's Timeout.queuereturn), and delay warnings are on, so every
# deferral ends in an expiry bounce within a minute.
#
# The bounces land in DIR (default tests/fixtures/mta) as MTA-SCENARIO.eml
# (MTA-SCENARIO-delayed.eml for a delay warning); the sink's envelope
# lines are dropped.  tests/fixtures/mta/expected.tsv says what each must
# decode to (tests/cli/t_shapes.sh); review a new bounce before keeping it.
# Not in `make check` (about a minute per MTA).
ROOT=$(pwd)
OUT=tests/fixtures/mta
WAIT=75
while getopts o:t: opt; do
	case $opt in
	o) OUT=$OPTARG ;;
	t) WAIT=$OPTARG ;;
	*) echo "usage: $0 [-o DIR] [-t SECONDS] [MTA...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- postfix exim opensmtpd sendmail
[ "$(id -u)" = 0 ] || { echo "$0: needs root"; exit 77; }
CACHE=${CACHE:-$ROOT/${BUILD:-build}/mta}
PY=$(python3 -c 'import sys; print(sys.executable)')
T=$(mktemp -d "${TMPDIR:-/tmp}/mta.XXXXXX") || exit 1
chmod 755 "$T"
fpid="" mpid=""
# stop_ns PID: end the namespace that in_ns started as PID (its first
# process takes every other with it; unshare's --kill-child alone does
# not reach an MTA that changed its user id)
stop_ns() {
	for _c in $(cat "/proc/$1/task/$1/children" 2>/dev/null); do
		kill -KILL "$_c" 2>/dev/null
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
cleanup() {
	[ -n "$mpid" ] && stop_ns "$mpid"
	[ -n "$fpid" ] && kill "$fpid" 2>/dev/null
	wait 2>/dev/null
	[ "${BM_KEEP:-0}" = 1 ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
mkdir -p "$OUT"

# wait_for, listening, free_ports (tests/lib/common.sh); pf_base_cf,
# pf_master_cf (the private Postfix of the tests)
. tests/lib/postfix.sh

# fetch PKG...: unpack Debian packages into $CACHE/root once
fetch() {
	mkdir -p "$CACHE/debs"
	_need=""
	for _p in "$@"; do
		ls "$CACHE/debs/${_p}_"*.deb >/dev/null 2>&1 || _need="$_need $_p"
	done
	if [ -n "$_need" ]; then
		(cd "$CACHE/debs" && apt-get -q -o APT::Sandbox::User=root \
		    download $_need) >"$CACHE/fetch.log" 2>&1 ||
			{ tail -n 5 "$CACHE/fetch.log"; echo "apt-get download$_need failed"; return 1; }
	fi
	for _p in "$@"; do
		dpkg -x "$CACHE/debs/${_p}_"*.deb "$CACHE/root" || return 1
	done
}

# users: a passwd and a group file with the MTAs' users, mounted in the
# namespace only
cp /etc/passwd "$T/passwd"; cp /etc/group "$T/group"
for u in Debian-exim:990 opensmtpd:991 opensmtpq:992; do
	n=${u%:*} i=${u#*:}
	grep -q "^$n:" "$T/passwd" ||
		echo "$n:x:$i:$i::/nonexistent:/usr/sbin/nologin" >>"$T/passwd"
	grep -q "^$n:" "$T/group" || echo "$n:x:$i:" >>"$T/group"
done

# in_ns CMD...: CMD in private mount, PID and UTS namespaces, host name
# mx.test.example, the MTAs' users known
in_ns() {
	exec unshare --fork --pid --kill-child --mount --uts sh -c '
		T=$1; shift
		mount --make-rprivate / &&
		mount --bind "$T/passwd" /etc/passwd &&
		mount --bind "$T/group" /etc/group &&
		hostname mx.test.example || exit 1
		exec "$@"' sh "$T" "$@"
}

set -- "$@"
PORTS=$(free_ports 1)
P=$PORTS
mkdir -p "$T/sink"
$PY tests/mta/fake.py "$P" "$T/sink" >"$T/fake.log" 2>&1 &
fpid=$!
wait_for 5 listening 127.0.0.1:$P && wait_for 5 listening 127.0.0.2:$P ||
	{ cat "$T/fake.log"; echo "fake.py did not start"; exit 1; }

# the scenarios: name and recipient
SCEN="rej541:rej541@remote.example tss04:tss04@remote.example grey450:grey450@remote.example refused:user@refused.example"

# send PORT: one message per scenario to the MTA on 127.0.0.1:PORT
send() {
	$PY - "$1" $SCEN <<'PY'
import smtplib, sys, time
port = int(sys.argv[1])
for sc in sys.argv[2:]:
    name, rcpt = sc.split(":")
    msg = ("From: Sender <sender@origin.example>\r\nTo: %s\r\n"
           "Subject: test %s\r\nMessage-ID: <%s.%d@origin.example>\r\n"
           "Date: %s\r\n\r\nA test message (%s).\r\n" % (rcpt, name, name,
           int(time.time()), time.strftime("%a, %d %b %Y %H:%M:%S +0000",
           time.gmtime()), name))
    s = smtplib.SMTP("127.0.0.1", port, "client.origin.example", timeout=30)
    s.sendmail("sender@origin.example", [rcpt], msg)
    s.quit()
PY
}

# is_warning FILE: a delay warning (OpenSMTPD 6 sends its expiry bounce
# as "Delivery status notification: delayed" too, with "Envelope expired")
is_warning() {
	grep -q -i -E '^Subject:.*(delay|warning)' "$1" &&
	    ! grep -q -i 'envelope expired' "$1"
}

# collect MTA: wait until every scenario has its final bounce (or $WAIT
# seconds), then file them
collect() {
	_mta=$1 _deadline=$(( $(date +%s) + WAIT ))
	while [ "$(date +%s)" -lt $_deadline ]; do
		_done=1
		for _s in $SCEN; do
			_r=${_s#*:}
			for _f in $(grep -l -i "$_r" "$T/sink"/*.eml 2>/dev/null); do
				is_warning "$_f" || continue 2
			done
			_done=0
		done
		[ $_done = 1 ] && break
		sleep 1
	done
	sleep 2
	_seen=""
	for f in "$T/sink"/*.eml; do
		[ -f "$f" ] || continue
		_name=other
		for _s in $SCEN; do
			grep -q -i "${_s#*:}" "$f" && { _name=${_s%%:*}; break; }
		done
		is_warning "$f" && _name=$_name-delayed
		_o="$OUT/$_mta-$_name.eml"
		# the first of each kind (delay warnings may repeat)
		case " $_seen " in *" $_name "*) mv "$f" "$f.dup"; continue ;; esac
		_seen="$_seen $_name"
		sed -e '1,2 { /^X-Fake-/d; }' "$f" >"$_o"
		echo "  $_o ($(grep -m1 '^Subject:' "$_o"))"
		mv "$f" "$f.done"
	done
}

# --- Postfix
run_postfix() {
	set -- $(free_ports 1); PM=$1
	D=$T/postfix
	mkdir -p "$D/etc" "$D/spool" "$D/data"
	chown postfix "$D/data"
	{
		pf_base_cf "$D"
		cat <<EOF
smtpd_relay_restrictions = permit_mynetworks, reject
transport_maps = inline:{remote.example=smtp:[127.0.0.1]:$P, refused.example=smtp:[127.0.0.3]:$P, origin.example=smtp:[127.0.0.2]:$P}
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
maximal_queue_lifetime = 12s
bounce_queue_lifetime = 12s
delay_warning_time = 4s
smtp_connect_timeout = 5s
EOF
	} >"$D/etc/main.cf"
	pf_master_cf "$PM" >"$D/etc/master.cf"
	script -qec "postfix -c $D/etc start" /dev/null >"$D/start.out" 2>&1 ||
		{ cat "$D/start.out"; return 1; }
	wait_for 10 listening 127.0.0.1:$PM || { echo "postfix not listening"; return 1; }
	send "$PM" || return 1
	collect postfix
	postfix -c "$D/etc" stop >/dev/null 2>&1
}

# --- Exim 4 (exim4-daemon-light, unpacked)
run_exim() {
	fetch exim4-base exim4-daemon-light libidn12 || return 1
	set -- $(free_ports 1); PM=$1
	D=$T/exim
	mkdir -p "$D/spool" "$D/log"
	chown 990:990 "$D/spool" "$D/log"
	cat >"$D/exim.conf" <<EOF
primary_hostname = mx.test.example
qualify_domain = test.example
spool_directory = $D/spool
log_file_path = $D/log/%slog
daemon_smtp_ports = $PM
local_interfaces = 127.0.0.1
acl_smtp_rcpt = acl_rcpt
host_lookup =
rfc1413_hosts =
never_users = root
delay_warning = 5s
timeout_frozen_after = 1m
keep_environment = LD_LIBRARY_PATH

begin acl
acl_rcpt:
  accept hosts = 127.0.0.0/8
  deny

begin routers
remote:
  driver = manualroute
  domains = remote.example
  route_list = * 127.0.0.1
  transport = remote_smtp
  self = send
refused:
  driver = manualroute
  domains = refused.example
  route_list = * 127.0.0.3
  transport = remote_smtp
  self = send
origin:
  driver = manualroute
  domains = origin.example
  route_list = * 127.0.0.2
  transport = remote_smtp
  self = send

begin transports
remote_smtp:
  driver = smtp
  port = $P
  hosts_avoid_tls = *
  connect_timeout = 5s

begin retry
*  *  F,15s,3s
EOF
	# it re-executes itself as /usr/sbin/exim4: the unpacked /usr/sbin
	# there; not setuid, so that ld.so heeds LD_LIBRARY_PATH (libidn)
	chmod u-s "$CACHE/root/usr/sbin/exim4"
	in_ns sh -c 'mount --bind "$1/usr/sbin" /usr/sbin && shift && exec "$@"' sh "$CACHE/root" \
	    env LD_LIBRARY_PATH="$CACHE/root/usr/lib/x86_64-linux-gnu" \
	    /usr/sbin/exim4 -C "$D/exim.conf" -bdf -q2s \
	    >"$D/exim.out" 2>&1 &
	mpid=$!
	wait_for 15 listening 127.0.0.1:$PM ||
		{ cat "$D/exim.out" "$D/log/"* 2>/dev/null | tail -n 20; echo "exim not listening"; return 1; }
	send "$PM" || { tail -n 20 "$D/log/mainlog"; return 1; }
	collect exim
	stop_ns "$mpid"; mpid=""
}

# --- OpenSMTPD (unpacked)
run_opensmtpd() {
	fetch opensmtpd || return 1
	set -- $(free_ports 1); PM=$1
	D=$T/opensmtpd
	mkdir -p "$D/spool"
	chmod 711 "$D/spool"
	cat >"$D/smtpd.conf" <<EOF
queue ttl 12s
bounce warn-interval 4s
listen on 127.0.0.1 port $PM hostname mx.test.example
action "remote" relay host smtp://127.0.0.1:$P helo mx.test.example
action "refused" relay host smtp://127.0.0.3:$P helo mx.test.example
action "origin" relay host smtp://127.0.0.2:$P helo mx.test.example
match from any for domain "remote.example" action "remote"
match from any for domain "refused.example" action "refused"
match from any for domain "origin.example" action "origin"
match from any mail-from "" for domain "origin.example" action "origin"
EOF
	chmod 644 "$D/smtpd.conf"
	# the queue lives under /var/spool/smtpd (compiled in),
	# its control socket is /run/smtpd.sock and it chroots into
	# /var/lib/opensmtpd/empty: tmpfs over /var/spool, /run and /var/lib
	# in its namespace, the directories made there
	in_ns sh -c 'mount -t tmpfs -o mode=755 none /var/spool &&
		mount -t tmpfs -o mode=755 none /run &&
		mount -t tmpfs -o mode=755 none /var/lib &&
		mkdir -m 711 /var/spool/smtpd && mkdir -p /var/lib/opensmtpd/empty &&
		exec "$@"' sh "$CACHE/root/usr/sbin/smtpd" -d -f "$D/smtpd.conf" \
	    >"$D/smtpd.out" 2>&1 &
	mpid=$!
	wait_for 15 listening 127.0.0.1:$PM ||
		{ tail -n 20 "$D/smtpd.out"; echo "smtpd not listening"; return 1; }
	send "$PM" || { tail -n 20 "$D/smtpd.out"; return 1; }
	collect opensmtpd
	stop_ns "$mpid"; mpid=""
}

# --- Sendmail (unpacked, as tests/mta/sendmail/t_sendmail.sh does)
run_sendmail() {
	fetch sendmail-bin sendmail-cf libwrap0 || return 1
	command -v m4 >/dev/null 2>&1 || fetch m4 || return 1
	M4=$(command -v m4 || echo "$CACHE/root/usr/bin/m4")
	SMBIN=$CACHE/root/usr/libexec/sendmail/sendmail
	CFDIR=$CACHE/root/usr/share/sendmail/cf
	SMLIB=$(find "$CACHE/root" -name 'libwrap.so.0' | head -n 1)
	SMLIB=${SMLIB%/*}
	chmod g-s "$SMBIN"
	set -- $(free_ports 1); PM=$1
	D=$T/sendmail
	mkdir -p "$D/q"
	chmod 700 "$D/q"
	printf 'hosts files\naliases files\n' >"$D/service.switch"
	"$M4" -DSM_DIR="$D" -DSM_PORT="$P" -DSM_LISTEN="$PM" -D_CF_DIR_="$CFDIR/" \
	    "$CFDIR/m4/cf.m4" tests/mta/sendmail.mc >"$D/sendmail.cf" 2>"$D/m4.err" ||
		{ cat "$D/m4.err"; return 1; }
	printf 'remote.example\trelay:[127.0.0.1]\nrefused.example\trelay:[127.0.0.3]\norigin.example\trelay:[127.0.0.2]\n' |
	    env LD_LIBRARY_PATH="$SMLIB" "$CACHE/root/usr/libexec/sendmail/makemap" \
	    -C "$D/sendmail.cf" hash "$D/mailertable" || return 1
	in_ns env LD_LIBRARY_PATH="$SMLIB" "$SMBIN" -C "$D/sendmail.cf" -bD -q3s \
	    >"$D/sendmail.out" 2>&1 &
	mpid=$!
	wait_for 20 listening 127.0.0.1:$PM ||
		{ tail -n 20 "$D/sendmail.out"; echo "sendmail not listening"; return 1; }
	send "$PM" || return 1
	collect sendmail
	stop_ns "$mpid"; mpid=""
}

for mta in "$@"; do
	echo "$mta:"
	run_$mta || echo "$mta: FAILED"
done
