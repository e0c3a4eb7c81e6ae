#!/bin/sh
# t_postfix - bounce-milter behind a real, private Postfix instance
#
# As root only (Postfix needs it; CI runs as root).  Builds a throw-away
# Postfix on 127.0.0.1 (own config, queue and data directories, chroot
# off, maillog_file) with the milter wired exactly as documented:
#	smtpd_milters, non_smtpd_milters, internal_mail_filter_classes =
#	bounce, milter_default_action = accept
# and two smtp-sink next hops: A accepts and dumps every message, B
# rejects every recipient with "550 5.4.1 Recipient address rejected:
# Access denied".  Then:
#   1. a remote bounce (null sender, with forged X-Bounce-* copies) sent
#      through smtpd arrives at A with exactly our headers;
#   2. mail to a domain routed to B makes Postfix itself generate a
#      bounce, which arrives at A annotated (non_smtpd_milters);
#   3. SIGUSR1 with a broken rules file: logged, old rules keep working;
#   4. SIGKILL the milter while smtp-source sends 40 messages through
#      it: every message still arrives at A (milter_default_action).
# Uses random free ports and a temporary directory, removed on exit.
BUILD=${BUILD:-build}
if [ "$(id -u)" != 0 ]; then
	echo "skipped: the Postfix end-to-end test needs root (CI runs it as root)"
	exit 77
fi
for p in /usr/sbin/postfix /usr/sbin/smtp-sink /usr/sbin/smtp-source \
    /usr/lib/postfix/sbin/master python3; do
	command -v "$p" >/dev/null 2>&1 ||
		{ echo "skipped: $p not installed (apt-get install postfix python3)"; exit 77; }
done
id postfix >/dev/null 2>&1 || { echo "skipped: no postfix user"; exit 77; }
ROOT=$(pwd)
M="$ROOT/$BUILD/bounce-milter"
[ -x "$M" ] || { echo "no $M; run make first"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/t_postfix.XXXXXX") || exit 1
chmod 755 "$T"
mpid="" apid="" bpid="" started=""
cleanup() {
	[ -n "$started" ] && postfix -c "$T/etc" stop >/dev/null 2>&1
	for p in $mpid $apid $bpid; do kill "$p" 2>/dev/null; done
	for p in $mpid $apid $bpid; do wait "$p" 2>/dev/null; done
	# master may linger a moment after "stop"
	i=0
	while [ -f "$T/spool/pid/master.pid" ] && [ $i -lt 30 ]; do
		kill -0 "$(cat "$T/spool/pid/master.pid" 2>/dev/null)" 2>/dev/null || break
		sleep 0.1; i=$((i + 1))
	done
	[ "${BM_KEEP:-0}" = 1 ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ports=$(python3 -c '
import socket
ss = []
for i in range(4):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); ss.append(s)
print(" ".join(str(s.getsockname()[1]) for s in ss))')
set -- $ports
PSMTPD=$1 PSINKA=$2 PSINKB=$3 PMILTER=$4

fail() { echo "FAIL: $*"; echo "--- milter log"; tail -n 40 "$T/milter.log";
	echo "--- maillog"; tail -n 40 "$T/maillog" 2>/dev/null; exit 1; }
# wait_for SECONDS COMMAND...: poll until COMMAND succeeds
wait_for() {
	_w=$(( $1 * 10 )); shift
	while [ $_w -gt 0 ]; do "$@" && return 0; sleep 0.1; _w=$((_w - 1)); done
	return 1
}
# the X-Bounce-* headers of a delivered message, with continuation lines
show_headers() {
	awk '/^$/ { exit } /^X-Bounce-/ { p = 1; print "    " $0; next }
	    /^[ \t]/ { if (p) print "    " $0; next } { p = 0 }' "$1"
}
count_a() { ls "$T/sinka" | wc -l; }
has_n() { [ "$(count_a)" -ge "$1" ]; }

# --- the milter: its own copy of the rules, so step 3 can break them
cp -R "${BM_RULES:-rules}" "$T/rules"
chmod -R a+rX "$T/rules"
cat >"$T/bm.conf" <<EOF
socket = "inet:$PMILTER@127.0.0.1";
rules = "$T/rules";
authserv_id = "mx.test.example";
dns = { spf = false; dkim = false; mx = false; };
EOF
start_milter() {
	"$M" -f -e -u nobody -c "$T/bm.conf" 2>>"$T/milter.log" &
	mpid=$!
	wait_for 5 grep -q "listening on" "$T/milter.log" || fail "milter did not start"
}
start_milter

# --- the sinks
mkdir -p "$T/sinka" "$T/sinkb"
chown postfix "$T/sinka" "$T/sinkb"
smtp-sink -u postfix -d "$T/sinka/%H%M%S." 127.0.0.1:$PSINKA 64 &
apid=$!
smtp-sink -u postfix -f RCPT \
    -B "550 5.4.1 Recipient address rejected: Access denied" \
    127.0.0.1:$PSINKB 64 &
bpid=$!

# --- a private Postfix
mkdir -p "$T/etc" "$T/spool" "$T/data"
chown postfix "$T/data"
cat >"$T/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $T/spool
data_directory = $T/data
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
smtpd_recipient_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$PSINKA
transport_maps = inline:{reject.example=smtp:[127.0.0.1]:$PSINKB}
smtp_dns_support_level = disabled
smtp_tls_security_level = none
smtpd_tls_security_level = none
maillog_file = $T/maillog
maillog_file_prefixes = $T
biff = no
delay_warning_time = 0
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtpd_milters = inet:127.0.0.1:$PMILTER
non_smtpd_milters = inet:127.0.0.1:$PMILTER
internal_mail_filter_classes = bounce
milter_default_action = accept
milter_connect_timeout = 5s
EOF
cat >"$T/etc/master.cf" <<EOF
127.0.0.1:$PSMTPD inet n - n - - smtpd
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
script -qec "postfix -c $T/etc start" /dev/null >"$T/start.out" 2>&1 ||
	{ cat "$T/start.out"; fail "postfix did not start"; }
started=1
wait_for 10 python3 -c "import socket; socket.create_connection(('127.0.0.1', $PSMTPD), 1)" 2>/dev/null ||
	fail "smtpd is not listening on $PSMTPD"

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

# --- 1. a remote bounce, with forgeries, through smtpd
{
	printf 'X-Bounce-Class: forged.example; rcpt=a@b; cause=none\n'
	printf 'X-Bounce-Hint: a@b: trust me\n'
	printf 'X-Bounce-Class: forged.example; second copy\n'
	printf 'X-Bounce-Original: message-id=<forged@x>\n'
	cat tests/milter/msgs/dbeb.eml
} >"$T/remote.eml"
smtp_send "" "sender@origin.example" "$T/remote.eml"
wait_for 20 has_n 1 || fail "the remote bounce did not arrive at the sink"
f=$(ls "$T"/sinka/* | head -n 1)
[ "$(grep -c '^X-Bounce-Class:' "$f")" = 1 ] || { cat "$f"; fail "remote: not exactly one X-Bounce-Class"; }
[ "$(grep -c '^X-Bounce-Hint:' "$f")" = 1 ] || { cat "$f"; fail "remote: not exactly one X-Bounce-Hint"; }
grep -q '^X-Bounce-Original:' "$f" && fail "remote: forged X-Bounce-Original survived"
grep -q 'forged.example' "$f" && fail "remote: forged header survived"
grep -q '^X-Bounce-Class: mx.test.example; rcpt=user@contoso.example.com; status=5.4.1;' "$f" ||
	{ cat "$f"; fail "remote: wrong X-Bounce-Class"; }
grep -A3 '^X-Bounce-Class:' "$f" | grep -q 'cause=recipient-not-in-directory' ||
	fail "remote: wrong cause"
echo "ok: remote bounce annotated, 4 forged headers removed"
echo "--- headers of the remote bounce as delivered:"
show_headers "$f"
qid=$(grep 'bounce rcpt=user@contoso.example.com' "$T/milter.log" | head -n 1 |
    sed 's/^bounce-milter\[[0-9]*\]: \([^:]*\): .*/\1/')
[ -n "$qid" ] && [ "$qid" != NOQUEUE ] || fail "remote: no log line with a queue id"
grep -q "postfix.*$qid: " "$T/maillog" || fail "remote: queue id $qid not in the Postfix log"
echo "ok: log line carries Postfix queue id $qid"

# --- 2. Postfix generates the bounce itself (non_smtpd_milters)
printf 'From: sender@origin.example\nTo: user@reject.example\nSubject: hello\nMessage-ID: <own.1@origin.example>\n\nhello\n' >"$T/own.eml"
smtp_send "sender@origin.example" "user@reject.example" "$T/own.eml"
wait_for 30 has_n 2 || fail "Postfix's own bounce did not arrive at the sink"
f=$(grep -l 'own.1@origin.example' "$T"/sinka/* | head -n 1)
[ -n "$f" ] || fail "own bounce: not found at the sink"
grep -q '^X-Bounce-Class: mx.test.example; rcpt=user@reject.example; status=5.4.1;' "$f" ||
	{ cat "$f"; fail "own bounce: no or wrong X-Bounce-Class"; }
grep -A3 '^X-Bounce-Class:' "$f" | grep -q 'cause=recipient-not-in-directory' ||
	{ cat "$f"; fail "own bounce: wrong cause"; }
grep -q '^X-Bounce-Hint: user@reject.example: ' "$f" || fail "own bounce: no X-Bounce-Hint"
grep -q ': bounce rcpt=user@reject.example status=5.4.1 reply=550 reason=userunknown cause=recipient-not-in-directory side=address' "$T/milter.log" ||
	fail "own bounce: no log line"
echo "ok: Postfix's own bounce annotated (non_smtpd_milters)"
show_headers "$f"
grep ': bounce rcpt=user@reject.example' "$T/milter.log" | sed 's/^/    /'

# --- 3. SIGUSR1 with a broken rules file keeps the old rules
echo 'this line is not a rule' >>"$T/rules/reasons.rules"
kill -USR1 "$mpid"
wait_for 5 grep -q 'reload failed' "$T/milter.log" || fail "no 'reload failed' line"
n=$(count_a)
sed 's/dbeb.1@mx.example.org/dbeb.2@mx.example.org/' tests/milter/msgs/dbeb.eml >"$T/remote2.eml"
smtp_send "" "sender@origin.example" "$T/remote2.eml"
wait_for 20 has_n $((n + 1)) || fail "bounce after bad reload did not arrive"
f=$(grep -l 'dbeb.2@mx.example.org' "$T"/sinka/* | head -n 1)
grep -A3 '^X-Bounce-Class:' "$f" | grep -q 'cause=recipient-not-in-directory' ||
	fail "after a bad reload the old rules no longer work"
kill -0 "$mpid" || fail "milter died on a bad reload"
echo "ok: bad reload logged, old rules still classify"
grep 'reload failed' "$T/milter.log" | sed 's/^/    /'

# --- 4. SIGKILL the milter mid-stream: nothing is lost
n=$(count_a)
N=200
seen() { grep -c 'null sender but not a delivery report' "$T/milter.log"; }
s0=$(seen)
smtp-source -l 2000 -m $N -s 4 -f "" -t sender@origin.example \
    127.0.0.1:$PSMTPD >"$T/source.out" 2>&1 &
spid=$!
wait_for 20 sh -c "[ \$(grep -c 'null sender but not' '$T/milter.log') -ge $((s0 + 10)) ]" ||
	fail "the milter saw no messages from smtp-source"
kill -KILL "$mpid"
wait "$mpid" 2>/dev/null
mpid=""
k=$(( $(seen) - s0 ))
wait "$spid" || { cat "$T/source.out"; fail "smtp-source failed"; }
wait_for 40 has_n $((n + N)) || fail "only $(( $(count_a) - n )) of $N messages arrived after SIGKILL"
[ "$k" -lt $N ] || fail "the milter was killed too late to prove anything ($k of $N seen)"
echo "ok: SIGKILL after the milter had seen $k of $N messages: all $N arrived (milter_default_action = accept)"
echo "    Postfix warnings about the unreachable milter: $(grep -ci 'warning.*milter' "$T/maillog")"
exit 0
