#!/bin/sh
# tests/lib/dnsd.sh - hermetic DNS server for the evidence tests
#
# Usage:
#	sh tests/lib/dnsd.sh start DIR	  start dnsmasq on 127.0.0.1 and a
#					  random high port with the test zone;
#					  writes DIR/port, DIR/pid, DIR/dnsmasq.conf;
#					  every query is logged in DIR/dnsmasq.log
#					  ("query[TXT] NAME from 127.0.0.1")
#	sh tests/lib/dnsd.sh blackhole DIR  a UDP port on 127.0.0.1 that takes
#					  queries and never answers (60 s at
#					  most); writes DIR/bh_port, DIR/bh_pid
#	sh tests/lib/dnsd.sh stop DIR	  stop both
#
# Exit 77 with a reason on the last line when dnsmasq is missing, 1 on
# other trouble.  Nothing here talks to any address but 127.0.0.1: dnsmasq
# runs with --no-resolv --no-hosts and answers the names under .test from
# its own records only (--local=/test/), NXDOMAIN for the rest of .test.
#
# The zone (see zone() below) is the contract with tests/cli/t_evidence.sh and
# tests/unit/test_evidence.c:
#	spf-pass.test	v=spf1 ip4:192.0.2.0/24 -all	(192.0.2.25 passes)
#	spf-soft.test	v=spf1 ip4:192.0.2.0/24 ~all
#	spf-neutral.test v=spf1 ?all
#	spf-perm.test	v=spf1 ip4:192.0.2.0/24 bogus:x -all
#	spf-mx.test	v=spf1 mx -all, MX mail.spf-mx.test = 198.51.100.7
#	spf-ptr.test	v=spf1 ptr -all; 192.0.2.99 PTR out.spf-ptr.test,
#			out.spf-ptr.test A 192.0.2.99
#	spf-none.test	A only, no TXT
#	dkim.test	sel1._domainkey key from tests/fixtures/evidence/sel1.txt,
#			v=spf1 ip4:192.0.2.0/24 -all
#	eop.test	MX eop-test.mail.protection.outlook.com
#	eopdane.test	MX eopdane-test.a1b2c3d4.mx.microsoft
#	mixed.test	MX eop + mx1.other.test
#	other.test	MX mx1.other.test
#	nomx.test	A only (MX: NODATA); gone.test does not exist
#	stranger.test	v=spf1 -all, MX mx1.other.test: a domain that is not
#			ours (t_evidence checks it is never asked for)
#	xn--bcher-kva.test (bücher.test, an IDN in its A-label form):
#			v=spf1 ip4:192.0.2.0/24 -all, MX
#			xn--bcher-kva-test.mail.protection.outlook.com,
#			sel1._domainkey key as dkim.test

cmd=$1
dir=$2
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: dnsd.sh start|blackhole|stop DIR" >&2; exit 2; }
mkdir -p "$dir" || exit 1

dkim_txt() {
	# the quoted strings of opendkim-genkey's zone stub, joined
	sed -n 's/[^"]*"\([^"]*\)"[^"]*/\1/gp' "$root/tests/fixtures/evidence/sel1.txt" | tr -d '\n'
}

zone() {
	cat <<EOF
no-resolv
no-hosts
no-poll
log-queries
local-ttl=300
bind-interfaces
listen-address=127.0.0.1
local=/test/
local=/in-addr.arpa/
local=/outlook.com/
local=/microsoft/
txt-record=spf-pass.test,"v=spf1 ip4:192.0.2.0/24 -all"
txt-record=spf-soft.test,"v=spf1 ip4:192.0.2.0/24 ~all"
txt-record=spf-neutral.test,"v=spf1 ?all"
txt-record=spf-perm.test,"v=spf1 ip4:192.0.2.0/24 bogus:x -all"
txt-record=spf-mx.test,"v=spf1 mx -all"
mx-host=spf-mx.test,mail.spf-mx.test,10
host-record=mail.spf-mx.test,198.51.100.7
txt-record=spf-ptr.test,"v=spf1 ptr -all"
ptr-record=99.2.0.192.in-addr.arpa,out.spf-ptr.test
host-record=out.spf-ptr.test,192.0.2.99
host-record=spf-none.test,192.0.2.1
txt-record=dkim.test,"v=spf1 ip4:192.0.2.0/24 -all"
txt-record=sel1._domainkey.dkim.test,"$(dkim_txt)"
mx-host=eop.test,eop-test.mail.protection.outlook.com,0
mx-host=eopdane.test,eopdane-test.a1b2c3d4.mx.microsoft,0
mx-host=mixed.test,mixed-test.mail.protection.outlook.com,0
mx-host=mixed.test,mx1.other.test,10
mx-host=other.test,mx1.other.test,10
host-record=mx1.other.test,198.51.100.20
host-record=nomx.test,198.51.100.30
txt-record=stranger.test,"v=spf1 -all"
mx-host=stranger.test,mx1.other.test,10
txt-record=xn--bcher-kva.test,"v=spf1 ip4:192.0.2.0/24 -all"
mx-host=xn--bcher-kva.test,xn--bcher-kva-test.mail.protection.outlook.com,0
txt-record=sel1._domainkey.xn--bcher-kva.test,"$(dkim_txt)"
EOF
}

randport() {
	echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
}

case $cmd in
start)
	bin=$(command -v dnsmasq || ls /usr/sbin/dnsmasq 2>/dev/null)
	if [ -z "$bin" ]; then
		echo "dnsmasq not installed (apt-get install dnsmasq-base)"
		exit 77
	fi
	zone > "$dir/dnsmasq.conf"
	user=""
	[ "$(id -u)" = 0 ] && user="--user=root"
	for try in 1 2 3 4 5 6 7 8; do
		port=$(randport)
		rm -f "$dir/pid" "$dir/dnsmasq.log"
		# in the foreground under timeout(1): a test that dies leaves
		# no server running for more than ten minutes
		timeout 600 "$bin" --keep-in-foreground \
		    --conf-file="$dir/dnsmasq.conf" --port="$port" \
		    --log-facility="$dir/dnsmasq.log" $user \
		    >"$dir/dnsmasq.out" 2>&1 &
		pid=$!
		i=0
		while [ $i -lt 50 ]; do
			kill -0 $pid 2>/dev/null || break
			grep -q started "$dir/dnsmasq.log" 2>/dev/null && break
			sleep 0.1; i=$((i + 1))
		done
		if kill -0 $pid 2>/dev/null &&
		    grep -q started "$dir/dnsmasq.log" 2>/dev/null; then
			echo "$pid" > "$dir/pid"
			echo "$port" > "$dir/port"
			exit 0
		fi
		kill $pid 2>/dev/null
		cat "$dir/dnsmasq.out" "$dir/dnsmasq.log" >> "$dir/dnsmasq.err" 2>/dev/null
	done
	echo "dnsmasq would not start:" >&2
	cat "$dir/dnsmasq.err" >&2
	echo "dnsmasq failed to start (see above)"
	exit 1
	;;
blackhole)
	command -v perl >/dev/null 2>&1 || { echo "perl missing"; exit 77; }
	for try in 1 2 3 4 5 6 7 8; do
		port=$(randport)
		perl -MIO::Socket::INET -e '
			my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
			    LocalPort => $ARGV[0], Proto => "udp") or exit 3;
			open(my $f, ">", $ARGV[1]) or exit 4;
			print $f "$$\n"; close($f);
			$SIG{ALRM} = sub { exit 0 }; alarm 60;
			my $buf; while (1) { $s->recv($buf, 4096); }
		' "$port" "$dir/bh_pid.tmp" &
		i=0
		while [ ! -s "$dir/bh_pid.tmp" ] && [ $i -lt 30 ]; do
			kill -0 $! 2>/dev/null || break
			sleep 0.1; i=$((i + 1))
		done
		if [ -s "$dir/bh_pid.tmp" ]; then
			mv "$dir/bh_pid.tmp" "$dir/bh_pid"
			echo "$port" > "$dir/bh_port"
			exit 0
		fi
	done
	echo "could not bind a black-hole port"
	exit 1
	;;
stop)
	for f in pid bh_pid; do
		[ -s "$dir/$f" ] || continue
		kill "$(cat "$dir/$f")" 2>/dev/null
		rm -f "$dir/$f"
	done
	exit 0
	;;
*)
	echo "usage: dnsd.sh start|blackhole|stop DIR" >&2
	exit 2
	;;
esac
