# tests/lib/postfix.sh - a private, throw-away Postfix for tests and the demo
#
# Sourced (not run) from the repository root by the tests of
# tests/mta/postfix/ and tests/fault/, by tests/demo.sh and
# tests/mta/gen.sh, after they set T (an empty temporary directory) and
# define fail().  Sources tests/lib/mta.sh, and with it bmconf.sh,
# rules.sh and common.sh: an MTA test sources this file only.
# Provides:
#	pf_ports	sets PSMTPD PSINKA PSINKB PMILTER (free loopback ports)
#	pf_start	starts sink A (accepts, dumps to $T/sinka), sink B
#			(rejects every RCPT with 550 5.4.1 ... Access denied)
#			(sinks_start of tests/lib/mta.sh)
#			and Postfix on 127.0.0.1:$PSMTPD with the milter wired
#			as documented (smtpd_milters, non_smtpd_milters,
#			internal_mail_filter_classes = bounce,
#			milter_default_action = accept) at inet:127.0.0.1:$PMILTER;
#			mail for reject.example goes to B, all else to A
#	pf_base_cf DIR	prints the main.cf settings of every private
#			Postfix: queue, data and log in DIR, loopback only,
#			no local delivery, no DNS, no TLS
#	pf_master_cf [PORT]	prints master.cf: smtpd on 127.0.0.1:PORT
#			(default $PSMTPD), chroot off
#	pf_stop		stops all of it (call from the EXIT trap)
#	pf_reload	postfix reload (smtpd processes finish their sessions)
#	pf_restart	postfix stop; postfix start (sessions are cut), the
#			sinks keep running
#	pf_drain SECONDS	postfix flush until the queue is empty; 1 when
#			it is not empty after SECONDS
#	pf_require [CMD...]	exits 77 with a reason unless root, Postfix,
#			smtp-sink, smtp-source, python3 (and CMD) are there
#	pf_init NAME	pf_require, then M (the built bounce-milter, or
#			exit 1) and T (a new temporary directory NAME.XXXXXX)
#	smtp_send FROM TO FILE	one message through smtpd
# Needs root, postfix, smtp-sink and python3 (pf_require checks).
. tests/lib/mta.sh
apid="" bpid="" started=""

pf_ports() {
	set -- $(free_ports 4)
	PSMTPD=$1 PSINKA=$2 PSINKB=$3 PMILTER=$4
}

pf_start() {
	mkdir -p "$T/etc" "$T/spool" "$T/data"
	chown postfix "$T/data"
	sinks_start 127.0.0.1:$PSINKA 127.0.0.1:$PSINKB
	pf_main_cf >"$T/etc/main.cf"
	pf_master_cf >"$T/etc/master.cf"
	script -qec "postfix -c $T/etc start" /dev/null >"$T/start.out" 2>&1 ||
		{ cat "$T/start.out"; fail "postfix did not start"; }
	started=1
	wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PSMTPD), 1)" 2>/dev/null ||
		fail "smtpd is not listening on $PSMTPD"
}

pf_base_cf() {
	cat <<EOF
compatibility_level = 3.6
queue_directory = $1/spool
data_directory = $1/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.test.example
mydomain = test.example
myorigin = \$mydomain
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtp_dns_support_level = disabled
smtp_tls_security_level = none
maillog_file = $1/maillog
maillog_file_prefixes = $1
biff = no
EOF
}

pf_main_cf() {
	pf_base_cf "$T"
	cat <<EOF
smtpd_recipient_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$PSINKA
transport_maps = inline:{reject.example=smtp:[127.0.0.1]:$PSINKB}
smtpd_tls_security_level = none
delay_warning_time = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
# the wiring documented in conf/postfix-main.cf
smtpd_milters = inet:127.0.0.1:$PMILTER
non_smtpd_milters = inet:127.0.0.1:$PMILTER
internal_mail_filter_classes = bounce
milter_default_action = accept
milter_connect_timeout = 5s
EOF
}

# chroot off ("n" in the fifth column) for every service
pf_master_cf() {
	cat <<EOF
127.0.0.1:${1:-$PSMTPD} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
}

pf_require() {
	if [ "$(id -u)" != 0 ]; then
		echo "skipped: the Postfix tests need root (CI runs them as root)"
		exit 77
	fi
	for _p in /usr/sbin/postfix /usr/sbin/smtp-sink /usr/sbin/smtp-source \
	    /usr/lib/postfix/sbin/master python3 "$@"; do
		command -v "$_p" >/dev/null 2>&1 ||
			{ echo "skipped: $_p not installed (apt-get install postfix python3)"; exit 77; }
	done
	id postfix >/dev/null 2>&1 || { echo "skipped: no postfix user"; exit 77; }
}

pf_init() {
	pf_require
	M="$ROOT/$BUILD/bounce-milter"
	need_built "$M"
	test_tmpdir "$1"
	chmod 755 "$T"
}

pf_reload() {
	postfix -c "$T/etc" reload >>"$T/start.out" 2>&1 || fail "postfix reload failed"
}

pf_restart() {
	postfix -c "$T/etc" stop >>"$T/start.out" 2>&1 || fail "postfix stop failed"
	_i=0
	while [ -f "$T/spool/pid/master.pid" ] && [ $_i -lt 100 ] &&
	    kill -0 "$(cat "$T/spool/pid/master.pid" 2>/dev/null)" 2>/dev/null; do
		sleep 0.1; _i=$((_i + 1))
	done
	# "postfix start" runs postsuper (as the mail owner), which logs a
	# file the stop cut short ("bogus file name: incoming/...") to
	# maillog_file, and fails the start when it cannot open it
	[ -f "$T/maillog" ] && chown postfix "$T/maillog"
	script -qec "postfix -c $T/etc start" /dev/null >>"$T/start.out" 2>&1 ||
		{ cat "$T/start.out"; fail "postfix did not start again"; }
}

pf_queue_empty() {
	postqueue -c "$T/etc" -p 2>/dev/null | grep -q 'Mail queue is empty'
}

pf_drain() {
	_w=$1
	while [ "$_w" -gt 0 ]; do
		pf_queue_empty && return 0
		postqueue -c "$T/etc" -f >/dev/null 2>&1
		sleep 1; _w=$((_w - 1))
	done
	pf_queue_empty
}

pf_stop() {
	[ -n "$started" ] && postfix -c "$T/etc" stop >/dev/null 2>&1
	for p in $apid $bpid; do kill "$p" 2>/dev/null; done
	for p in $apid $bpid; do wait "$p" 2>/dev/null; done
	# master may linger a moment after "stop"
	i=0
	while [ -f "$T/spool/pid/master.pid" ] && [ $i -lt 30 ]; do
		kill -0 "$(cat "$T/spool/pid/master.pid" 2>/dev/null)" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	started="" apid="" bpid=""
}

# smtp_send FROM TO FILE: one message through smtpd
smtp_send() {
	python3 - "$PSMTPD" "$1" "$2" "$3" <<'PY' || fail "SMTP send failed"
import smtplib, sys
port, frm, to, path = sys.argv[1:5]
with open(path, "rb") as f:
    msg = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
s = smtplib.SMTP("127.0.0.1", int(port), timeout=20)
s.sendmail(frm, [to], msg)
s.quit()
PY
}

