#!/bin/sh
# t_sendmail - bounce-milter behind a real, private Sendmail
#
# As root only (CI runs as root).  Sendmail is not installed (the package
# would replace Postfix): the test fetches Debian's sendmail-bin and
# sendmail-cf (and libwrap0, and m4 when there is none) with
# `apt-get download` into $BUILD/sendmail/, unpacks them there with
# `dpkg -x` (never installed; cached for the next run) and skips when apt
# cannot fetch them.  Then it builds a sendmail.cf with m4 from
# tests/mta/sendmail/private.mc plus the lines of conf/sendmail.mc, the
# documented milter line with only its port changed, and runs Sendmail
# as a daemon on 127.0.0.1 in private UTS, mount and PID namespaces (a
# host name with a dot, /dev/log going to a file here, and every
# Sendmail process gone with the namespace).  The smart host is an
# smtp-sink on 127.0.0.1 that keeps every message; reject.example goes
# (mailertable) to a sink on 127.0.0.2 that rejects every recipient with
# "550 5.4.1 ... Access denied".  Then:
#   a. a bounce (null sender, 5.4.1 DSN) arrives annotated with
#      X-Bounce-Class and X-Bounce-Hint; the milter's log line carries
#      Sendmail's queue id (macro i), the one in Sendmail's Received
#      header and log;
#   b. an ordinary message arrives unchanged;
#   c. forged X-Bounce-* headers are gone, from an ordinary message and
#      from a bounce (which keeps exactly our own);
#   d. a bounce Sendmail generates itself (its DSN for reject.example)
#      arrives; it does not pass the milter (reported; see README), but
#      bounce-decode classifies it, and passed back in over SMTP (as a
#      next hop gets it) the milter annotates it and ties it to the
#      message sent (history store: X-Bounce-Original);
#   e. the milter hangs (SIGSTOP): Sendmail gives up on it after the
#      T=R:10s of the documented line and accepts and delivers the
#      message unannotated;
#   f. the milter is killed (SIGKILL) while smtp-source sends messages
#      through Sendmail: every message arrives (no F= flag), the queue is
#      empty, Sendmail logs the unreachable milter; restarted, it
#      annotates again;
#   g. SIGTERM stops the milter cleanly (exit 0; no sanitizer report
#      when built with SANITIZE=1);
#   h. the unix socket line of conf/sendmail.mc works (the socket in a
#      directory under $BUILD owned by the milter's user, mode 750), and
#      a socket below a world-writable directory stops Sendmail from
#      starting at all.
# Uses random free ports and a temporary directory, removed on exit
# (BM_KEEP=1 keeps it).
. tests/lib/mta.sh
if [ "$(id -u)" != 0 ]; then
	echo "skipped: the Sendmail end-to-end test needs root (CI runs it as root)"
	exit 77
fi
for p in python3 smtp-sink smtp-source unshare ss apt-get dpkg; do
	command -v "$p" >/dev/null 2>&1 ||
		{ echo "skipped: $p not installed (apt-get install postfix python3 util-linux iproute2)"; exit 77; }
done
id postfix >/dev/null 2>&1 || { echo "skipped: no postfix user (for smtp-sink)"; exit 77; }
ROOT=$(pwd)
M="$ROOT/$BUILD/bounce-milter"
need_built "$M"

# --- Sendmail, fetched and unpacked once into $BUILD/sendmail
SMC="$ROOT/$BUILD/sendmail"
SMR="$SMC/root"
SMBIN="$SMR/usr/libexec/sendmail/sendmail"
CFDIR="$SMR/usr/share/sendmail/cf"
M4=$(command -v m4 || echo "$SMR/usr/bin/m4")
if [ ! -x "$SMBIN" ] || [ ! -f "$CFDIR/m4/cf.m4" ] || [ ! -x "$M4" ]; then
	rm -rf "$SMC"
	mkdir -p "$SMC/debs"
	pkgs="sendmail-bin sendmail-cf libwrap0"
	command -v m4 >/dev/null 2>&1 || pkgs="$pkgs m4"
	# _apt cannot write into a root-owned build tree; fetch as root
	if ! (cd "$SMC/debs" && apt-get -q -o APT::Sandbox::User=root \
	    download $pkgs) >"$SMC/fetch.log" 2>&1; then
		tail -n 5 "$SMC/fetch.log"
		rm -rf "$SMC"
		echo "skipped: apt-get download $pkgs failed (no network or no package lists?)"
		exit 77
	fi
	for d in "$SMC"/debs/*.deb; do
		dpkg -x "$d" "$SMR" || { echo "dpkg -x $d failed"; exit 1; }
	done
	# it is setgid mail, which would make ld.so ignore LD_LIBRARY_PATH
	# (the unpacked libwrap)
	chmod g-s "$SMBIN"
	M4=$(command -v m4 || echo "$SMR/usr/bin/m4")
fi
# the unpacked libraries (libwrap) for Sendmail and makemap only
SMLIB=$(find "$SMR" -name 'libwrap.so.0' | head -n 1)
SMLIB=${SMLIB%/*}
if env LD_LIBRARY_PATH="$SMLIB" ldd "$SMBIN" | grep -q 'not found'; then
	env LD_LIBRARY_PATH="$SMLIB" ldd "$SMBIN" | grep 'not found'
	echo "skipped: the unpacked sendmail misses shared libraries (see above)"
	exit 77
fi
SMVER=$(ls "$SMC"/debs/sendmail-bin_*.deb | sed 's/.*sendmail-bin_\([^_]*\)_.*/\1/')
unshare --fork --pid --kill-child --mount --uts true 2>/dev/null ||
	{ echo "skipped: unshare (pid, mount and uts namespaces) not permitted here"; exit 77; }

test_tmpdir t_sendmail
chmod 755 "$T"
pid="" smpid="" logpid="" apid="" bpid="" spid="" RUN=""
cleanup() {
	# unshare ignores SIGTERM; SIGKILL takes the namespace with it.  The
	# milter may be stopped (step e): SIGKILL too.
	for p in $smpid $pid; do kill -KILL "$p" 2>/dev/null; done
	for p in $spid $apid $bpid $logpid; do kill "$p" 2>/dev/null; done
	for p in $smpid $pid $spid $apid $bpid $logpid; do wait "$p" 2>/dev/null; done
	[ -n "$RUN" ] && rm -rf "$RUN"
	[ "${BM_KEEP:-0}" = 1 ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

fail() { echo "FAIL: $*"; echo "--- milter log"; tail -n 30 "$T/milter.log"
	echo "--- sendmail log"; tail -n 30 "$T/maillog" 2>/dev/null; exit 1; }
# after_received FILE: the message as Sendmail got it: what follows
# Sendmail's own Received header (its "by mx.test.example" line)
after_received() {
	tr -d '\r' <"$1" | awk 'found { print; next }
	    /^[ \t]+by mx\.test\.example / { r = 1; next }
	    r && /^[ \t]/ { next } r { found = 1; print }' |
	    sed -e '$ { /^$/ d; }'	# smtp-sink ends its file with an empty line
}
# sink_file PATTERN: the message at sink A that contains PATTERN, once
# smtp-sink has finished writing it (it writes a file as DATA comes in:
# a file can be there before its content is; wait up to 5 s for the
# pattern, then for the size to hold still)
sink_file() {
	_i=50 _f=""
	while [ $_i -gt 0 ]; do
		_f=$(grep -l -e "$1" "$T"/sinka/* 2>/dev/null | head -n 1)
		[ -n "$_f" ] && break
		sleep 0.1; _i=$((_i - 1))
	done
	[ -n "$_f" ] || return 0
	_s=-1
	while [ $_i -gt 0 ] && [ "$_s" != "$(wc -c <"$_f")" ]; do
		_s=$(wc -c <"$_f"); sleep 0.2; _i=$((_i - 1))
	done
	echo "$_f"
}
# smtp_send FROM TO FILE: one message through Sendmail; prints its queue id
smtp_send() {
	$PY - "$PSM" "$1" "$2" "$3" <<'PY'
import smtplib, sys
port, frm, to, path = sys.argv[1:5]
with open(path, "rb") as f:
    msg = f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
s = smtplib.SMTP("127.0.0.1", int(port), "client.test.example", timeout=30)
s.ehlo()
s.mail(frm)
code, _ = s.rcpt(to)
if code != 250:
    sys.exit("RCPT %s: %d" % (to, code))
code, text = s.data(msg)
if code != 250:
    sys.exit("DATA: %d %s" % (code, text))
print(text.decode().split()[1])
s.quit()
PY
}

# the interpreter itself, not a wrapper script (pyenv's costs seconds on a
# loaded machine)
PY=$(python3 -c 'import sys; print(sys.executable)')
set -- $(free_ports 3)
PSM=$1 PSINK=$2 PMILTER=$3

# --- the milter line(s) of conf/sendmail.mc, on a private port
grep -q "S=inet:8895@127.0.0.1" conf/sendmail.mc ||
	fail "conf/sendmail.mc no longer has the inet:8895@127.0.0.1 line this test rewrites"
sed "s/S=inet:8895@127\.0\.0\.1/S=inet:$PMILTER@127.0.0.1/" conf/sendmail.mc >"$T/milter.m4"
grep -q "^INPUT_MAIL_FILTER(\`bounce-milter', \`S=inet:$PMILTER@127.0.0.1," "$T/milter.m4" ||
	fail "no active INPUT_MAIL_FILTER line in conf/sendmail.mc"

# --- sendmail.cf, queue, maps
mkdir -p "$T/q" "$T/dev" "$T/sinka"
chmod 700 "$T/q"
printf 'hosts files\naliases files\n' >"$T/service.switch"
# mk_cf MILTER_M4 CF: a sendmail.cf with those milter lines
mk_cf() {
	"$M4" -DSM_DIR="$T" -DSM_PORT="$PSM" -DSM_SINK="$PSINK" \
	    -DSM_MILTER="$1" -D_CF_DIR_="$CFDIR/" \
	    "$CFDIR/m4/cf.m4" tests/mta/sendmail/private.mc >"$2" 2>"$T/m4.err" ||
		{ cat "$T/m4.err"; fail "m4 failed"; }
}
mk_cf "$T/milter.m4" "$T/sendmail.cf"
grep -q "^Xbounce-milter, S=inet:$PMILTER@127.0.0.1, T=S:10s;R:10s;E:5m" "$T/sendmail.cf" ||
	fail "sendmail.cf has no Xbounce-milter line"
printf 'reject.example\trelay:[127.0.0.2]\n' | env LD_LIBRARY_PATH="$SMLIB" "$SMR/usr/libexec/sendmail/makemap" -C "$T/sendmail.cf" hash "$T/mailertable" 2>"$T/makemap.err" ||
	fail "makemap failed"
echo "ok: Sendmail $SMVER, sendmail.cf from conf/sendmail.mc:"
grep '^Xbounce-milter\|^O InputMailFilters\|^O Milter\.macros' "$T/sendmail.cf" | sed 's/^/    /'

RULES=$(rules_public "$T") || exit 1
# --- the milter
bm_conf "$T" "$PMILTER" "$RULES"
start_milter() {
	# -v -v -v: the macros seen at MAIL go to the log
	bm_start "$T/milter.log" "$T/bm.conf" -v -v -v -u nobody ||
		fail "milter did not start"
}
start_milter

# --- the sinks
sinks_start 127.0.0.1:$PSINK 127.0.0.2:$PSINK

# --- Sendmail.  It logs only to syslog: a tiny one here gets /dev/log of
# its mount namespace.  A host name without a dot that no file or DNS
# server qualifies makes it sleep 60 s at start ("My unqualified host name
# (vm) unknown; sleeping for retry"): its UTS namespace names it
# mx.test.example.
$PY tests/mta/sendmail/syslogd.py "$T/log" "$T/maillog" &
logpid=$!
wait_for 5 test -S "$T/log" || fail "syslogd.py did not start"
# sm_start CF: Sendmail as a daemon in its own namespaces (SIGKILL to
# $smpid ends all of it); sm_stop
sm_start() {
	unshare --fork --pid --kill-child --mount --uts sh -c '
		T=$1; shift
		mount --make-rprivate / &&
		mount -t tmpfs -o mode=755 none "$T/dev" &&
		for d in null zero random urandom; do
			: >"$T/dev/$d" && mount --bind "/dev/$d" "$T/dev/$d" || exit 1
		done &&
		: >"$T/dev/log" && mount --bind "$T/log" "$T/dev/log" &&
		mount --rbind "$T/dev" /dev || { echo "private /dev failed"; exit 1; }
		hostname mx.test.example || exit 1
		exec "$@"' sh "$T" env LD_LIBRARY_PATH="$SMLIB" "$SMBIN" -C "$1" -bD -q5s \
	    >"$T/sendmail.out" 2>&1 &
	smpid=$!
}
sm_stop() {
	kill -KILL "$smpid"
	wait "$smpid" 2>/dev/null
	smpid=""
	wait_for 5 sh -c "! ss -Hltn 'src 127.0.0.1:$PSM' | grep -q ."
}
sm_start "$T/sendmail.cf"
wait_for 20 listening 127.0.0.1:$PSM ||
	{ cat "$T/sendmail.out"; fail "Sendmail is not listening on $PSM"; }
wait_for 5 listening 127.0.0.1:$PSINK && wait_for 5 listening 127.0.0.2:$PSINK ||
	fail "smtp-sink is not listening on $PSINK"

# --- a. a bounce with a null sender and a 5.4.1 DSN
A=tests/fixtures/causes/recipient-not-in-directory-postfix.eml
qa=$(smtp_send "" bob@contoso.example.com "$A") || fail "a: SMTP send failed"
wait_for 20 sink_has 1 || fail "the bounce did not arrive at the sink"
f=$(sink_file "5AbCdEfGh1@mail.contoso.example.com")
[ -n "$f" ] || fail "a: the bounce is not at the sink"
grep -q "^Received: from .*" "$f" && grep -q "by mx.test.example (8\.[0-9./A-Za-z+-]*) with ESMTP id $qa\$" "$f" ||
	{ cat "$f"; fail "a: no Sendmail Received header with id $qa"; }
[ "$(grep -c '^X-Bounce-Class:' "$f")" = 1 ] || { cat "$f"; fail "a: not exactly one X-Bounce-Class"; }
[ "$(grep -c '^X-Bounce-Hint:' "$f")" = 1 ] || { cat "$f"; fail "a: not exactly one X-Bounce-Hint"; }
grep -q '^X-Bounce-Class: mx.test.example; rcpt=nobody@fabrikam.example.net;' "$f" ||
	{ cat "$f"; fail "a: wrong X-Bounce-Class"; }
grep -A3 '^X-Bounce-Class:' "$f" | grep -q 'status=5.4.1;' ||
	{ show_headers "$f"; fail "a: X-Bounce-Class without status=5.4.1"; }
grep -A3 '^X-Bounce-Class:' "$f" | grep -q 'cause=recipient-not-in-directory' ||
	{ show_headers "$f"; fail "a: wrong cause"; }
grep -q '^X-Bounce-Hint: nobody@fabrikam.example.net: ' "$f" || fail "a: wrong X-Bounce-Hint"
echo "ok: a. the bounce arrived annotated (Sendmail queue id $qa):"
show_headers "$f"
grep -q "^bounce-milter\[[0-9]*\]: $qa: bounce rcpt=nobody@fabrikam.example.net status=5.4.1 reply=550 reason=userunknown cause=recipient-not-in-directory" "$T/milter.log" ||
	fail "a: no milter log line with Sendmail's queue id $qa"
echo "ok: a. the milter's log line carries Sendmail's queue id (macro i):"
grep ": $qa: " "$T/milter.log" | cut -c1-160 | sed 's/^/    /'
grep -q "$qa: mail from <> client=127.0.0.1 auth=- daemon=MTA\$" "$T/milter.log" ||
	fail "a: the macros i, {client_addr} and {daemon_name} did not reach the milter at MAIL"
echo "ok: a. Sendmail sent the macros the milter asked for (i at MAIL and at the end, {client_addr} {daemon_name} at MAIL), not in its Milter.macros lists"
if grep -q "sendmail\[[0-9]*\]: $qa: from=<>" "$T/maillog"; then
	echo "ok: a. the same id in Sendmail's log:"
	grep "$qa" "$T/maillog" | cut -c1-160 | sed 's/^/    /'
else
	fail "a: queue id $qa not in Sendmail's log"
fi

# --- b. an ordinary message passes unchanged
cat >"$T/plain.eml" <<'EOF'
From: Alice <alice@origin.example>
To: Bob <bob@contoso.example.com>
Subject: lunch on Friday?
Date: Mon, 23 Nov 2026 10:00:00 +0000
Message-ID: <plain.1@origin.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Shall we meet at noon?  The usual place.
-- 
Alice
EOF
n=$(sink_count)
qb=$(smtp_send alice@origin.example bob@contoso.example.com "$T/plain.eml") ||
	fail "b: SMTP send failed"
wait_for 20 sink_has $((n + 1)) || fail "b: the ordinary message did not arrive"
f=$(sink_file "plain.1@origin.example")
[ -n "$f" ] || fail "b: not found at the sink"
# what the sink got after Sendmail's Received header is what was sent
after_received "$f" >"$T/plain.got"
cmp -s "$T/plain.eml" "$T/plain.got" ||
	{ diff "$T/plain.eml" "$T/plain.got"; fail "b: the ordinary message was changed"; }
grep -q ": $qb: bounce" "$T/milter.log" &&
	fail "b: the milter took the ordinary message for a bounce"
echo "ok: b. the ordinary message arrived byte for byte as sent (queue id $qb)"

# --- c. forged headers: on an ordinary message and on a bounce
{
	printf 'X-Bounce-Class: forged.example; rcpt=a@b; cause=none\n'
	printf 'X-Bounce-Hint: a@b: trust me\n'
	printf 'x-bounce-class: forged.example; lower case\n'
	printf 'X-Bounce-Original: message-id=<forged@x>\n'
	sed 's/plain.1@/forged.1@/' "$T/plain.eml"
} >"$T/forged.eml"
{
	printf 'X-Bounce-Class: forged.example; rcpt=a@b; cause=none\n'
	printf 'X-Bounce-Hint: a@b: trust me\n'
	printf 'X-Bounce-Class: forged.example; second copy\n'
	sed 's/5AbCdEfGh1@/5AbCdEfGh2@/' "$A"
} >"$T/forged-bounce.eml"
n=$(sink_count)
smtp_send alice@origin.example bob@contoso.example.com "$T/forged.eml" >/dev/null ||
	fail "c: SMTP send failed"
smtp_send "" bob@contoso.example.com "$T/forged-bounce.eml" >/dev/null ||
	fail "c: SMTP send failed"
wait_for 20 sink_has $((n + 2)) || fail "c: the messages with forged headers did not arrive"
f=$(sink_file "forged.1@origin.example")
[ -n "$f" ] || fail "c: ordinary message not found at the sink"
grep -qi '^X-Bounce-' "$f" && { cat "$f"; fail "c: a forged header survived on an ordinary message"; }
sed '/^X-Bounce-\|^x-bounce-/d' "$T/forged.eml" >"$T/forged.want"
after_received "$f" >"$T/forged.got"
cmp -s "$T/forged.want" "$T/forged.got" ||
	{ diff "$T/forged.want" "$T/forged.got"; fail "c: more than the forged headers changed"; }
f=$(sink_file "5AbCdEfGh2@mail.contoso.example.com")
[ -n "$f" ] || fail "c: bounce not found at the sink"
grep -q 'forged.example\|trust me' "$f" && { cat "$f"; fail "c: a forged header survived on a bounce"; }
[ "$(grep -c '^X-Bounce-Class:' "$f")" = 1 ] || { show_headers "$f"; fail "c: not exactly one X-Bounce-Class on the bounce"; }
[ "$(grep -c '^X-Bounce-Hint:' "$f")" = 1 ] || { show_headers "$f"; fail "c: not exactly one X-Bounce-Hint on the bounce"; }
grep -A3 '^X-Bounce-Class:' "$f" | grep -q 'cause=recipient-not-in-directory' ||
	{ show_headers "$f"; fail "c: wrong cause on the bounce"; }
echo "ok: c. 4 forged headers removed from an ordinary message (nothing else changed), 3 from a bounce (ours kept)"

# --- d. a bounce Sendmail makes itself
printf 'From: sender@origin.example\nTo: user@reject.example\nSubject: hello\nDate: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <own.1@origin.example>\n\nhello\n' >"$T/own.eml"
n=$(sink_count)
qd=$(smtp_send sender@origin.example user@reject.example "$T/own.eml") ||
	fail "d: SMTP send failed"
wait_for 30 sink_has $((n + 1)) || fail "d: Sendmail's own bounce did not arrive at the sink"
f=$(sink_file "own.1@origin.example")
[ -n "$f" ] || fail "d: Sendmail's own bounce not found at the sink"
grep -q '^X-Rcpt-Args: <sender@origin.example>' "$f" || { cat "$f"; fail "d: not a bounce to the sender"; }
grep -q 'Access denied' "$f" || { cat "$f"; fail "d: the DSN does not quote the 550 5.4.1"; }
if grep -q '^X-Bounce-Class:' "$f"; then
	echo "ok: d. Sendmail's own DSN for $qd passed the milter and was annotated:"
	show_headers "$f"
	own=annotated
else
	qdsn=$(sed -n 's/.*by mx.test.example (8[^)]*) id \([A-Za-z0-9]*\);*$/\1/p' "$f" | head -n 1)
	grep -q "${qdsn:-NONE}" "$T/milter.log" && fail "d: the milter saw the DSN but did not annotate it"
	echo "ok: d. Sendmail's own DSN for $qd arrived (queue id ${qdsn:-?}), NOT through the milter (Sendmail runs milters only on SMTP input)"
	own=unfiltered
fi
# what a bounce-milter on the next hop (or bounce-decode) makes of it
sed '1,/^Received: from mx.test.example/d' "$f" | sed '1,2d' >"$T/own-dsn.eml"
"$ROOT/$BUILD/bounce-decode" "$T/own-dsn.eml" >"$T/own-dsn.out" 2>&1
grep -q 'user@reject.example 5.4.1 550 userunknown recipient-not-in-directory address' "$T/own-dsn.out" ||
	{ cat "$T/own-dsn.out"; fail "d: bounce-decode does not classify Sendmail's own DSN"; }
echo "ok: d. bounce-decode reads Sendmail's DSN: $(cut -d' ' -f2-7 "$T/own-dsn.out")"
# ... and the milter, when the DSN comes back in over SMTP (a next hop
# running bounce-milter gets it so): annotated and, by the history store,
# tied to the message Sendmail took from us in the first place
grep -q ": $qd: outgoing from=<sender@origin.example> msgid=<own.1@origin.example> rcpts=1" "$T/milter.log" ||
	fail "d: no outgoing line for the message sent ($qd)"
n=$(sink_count)
qr=$(smtp_send "" sender@origin.example "$T/own-dsn.eml") || fail "d: SMTP send of the DSN failed"
wait_for 20 sink_has $((n + 1)) || fail "d: the DSN passed back in did not arrive"
f=$(sink_file "with ESMTP id $qr\$")
[ -n "$f" ] || fail "d: the DSN passed back in ($qr) is not at the sink"
grep -q '^X-Bounce-Class: mx.test.example; rcpt=user@reject.example;' "$f" &&
    grep -A3 '^X-Bounce-Class:' "$f" | grep -q 'cause=recipient-not-in-directory' ||
	{ show_headers "$f"; fail "d: Sendmail's DSN passed back in: no or wrong X-Bounce-Class"; }
grep -q '^X-Bounce-Original: message-id=<own.1@origin.example>;' "$f" ||
	{ show_headers "$f"; fail "d: Sendmail's DSN not tied to the message sent (X-Bounce-Original)"; }
echo "ok: d. Sendmail's DSN passed back in over SMTP ($qr): annotated and tied to the message sent:"
show_headers "$f"

# --- e. a hung milter (SIGSTOP): Sendmail waits T=R:10s, then goes on
sed 's/5AbCdEfGh1@/5AbCdEfGh5@/' "$A" >"$T/hung.eml"
n=$(sink_count)
kill -STOP "$pid"
t0=$(date +%s)
smtp_send "" bob@contoso.example.com "$T/hung.eml" >/dev/null ||
	{ kill -CONT "$pid"; fail "e: Sendmail refused mail while the milter hung"; }
t1=$(date +%s)
wait_for 20 sink_has $((n + 1)) || { kill -CONT "$pid"; fail "e: mail sent while the milter hung did not arrive"; }
kill -CONT "$pid"
f=$(sink_file "5AbCdEfGh5@mail.contoso.example.com")
grep -q '^X-Bounce-' "$f" && fail "e: annotated by a stopped milter?"
[ $((t1 - t0)) -le 25 ] || fail "e: a hung milter held the SMTP session $((t1 - t0)) s (T=R:10s)"
echo "ok: e. milter stopped (SIGSTOP): the message was accepted after $((t1 - t0)) s and arrived unannotated"
grep 'Milter (bounce-milter): timeout' "$T/maillog" | sed 's/^<[0-9]*>/    /' | cut -c1-160 | head -n 2

# --- f. SIGKILL the milter while smtp-source sends through Sendmail
n=$(sink_count)
N=30	# 6 sessions, 1 s between messages: about 5 s, killed after 10
kill_midstream 127.0.0.1:$PSM $N -s 6 -w 1 ||
	fail "f: the milter saw no messages from smtp-source"
wait "$spid" || { spid=""; cat "$T/source.out"; fail "f: smtp-source failed: Sendmail refused mail"; }
spid=""
wait_for 40 sink_has $((n + N)) || fail "f: only $(( $(sink_count) - n )) of $N messages arrived after SIGKILL"
[ "$k" -lt $N ] || fail "f: the milter was killed too late to prove anything ($k of $N seen)"
wait_for 10 sh -c "! ls '$T/q' | grep -q '^qf'" || { ls -l "$T/q"; fail "f: messages left in Sendmail's queue"; }
echo "ok: f. SIGKILL after the milter had seen $k of $N messages: all $N arrived, queue empty (no F= flag)"
errs=$(grep -c 'Milter (bounce-milter): .*error' "$T/maillog")
[ "$errs" -ge 1 ] || fail "f: Sendmail did not log the unreachable milter"
echo "    Sendmail's log lines about the unreachable milter: $errs, e.g."
grep 'Milter (bounce-milter): .*error' "$T/maillog" | sed 's/^<[0-9]*>//' | sort -k5 | awk '
    { t = $0; sub(/^.*Milter \(bounce-milter\): /, "", t); if (!(t in s)) { s[t] = 1; print "    " $0 } }' |
    cut -c1-160 | head -n 4
# mail sent while no milter listens at all
n=$(sink_count)
sed 's/5AbCdEfGh1@/5AbCdEfGh3@/' "$A" >"$T/down.eml"
smtp_send "" bob@contoso.example.com "$T/down.eml" >/dev/null ||
	fail "f: SMTP send with the milter down failed"
wait_for 20 sink_has $((n + 1)) || fail "f: a bounce sent with the milter down did not arrive"
f=$(sink_file "5AbCdEfGh3@mail.contoso.example.com")
grep -q '^X-Bounce-' "$f" && fail "f: annotated with no milter running?"
echo "ok: f. a bounce sent while the milter is down arrives unannotated"
# restarted, it annotates again
start_milter
sed 's/5AbCdEfGh1@/5AbCdEfGh4@/' "$A" >"$T/again.eml"
n=$(sink_count)
smtp_send "" bob@contoso.example.com "$T/again.eml" >/dev/null ||
	fail "f: SMTP send after the restart failed"
wait_for 20 sink_has $((n + 1)) || fail "f: the bounce after the restart did not arrive"
f=$(sink_file "5AbCdEfGh4@mail.contoso.example.com")
grep -A3 '^X-Bounce-Class:' "$f" | grep -q 'cause=recipient-not-in-directory' ||
	{ cat "$f"; fail "f: not annotated after the milter restarted"; }
echo "ok: f. restarted, the milter annotates the next bounce again"
# --- g. SIGTERM: a clean stop (with SANITIZE=1: no sanitizer report)
bm_stop
rc=$?
[ $rc = 0 ] || fail "g: the milter exited $rc on SIGTERM"
grep -q 'bounce-milter stopped' "$T/milter.log" || fail "g: no 'stopped' line"
grep -q 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$T/milter.log" &&
	fail "g: sanitizer report in the milter's log"
echo "ok: g. SIGTERM: the milter stopped cleanly (exit 0, no sanitizer report)"
# --- h. the unix socket line of conf/sendmail.mc
sm_stop
# Sendmail refuses a socket with a world-writable directory anywhere on
# its path, such as /tmp (and a checkout may well live below /tmp): the
# socket lives in /run (root's, mode 755; we are root here), as
# /run/bounce-milter does when installed
RUN=/run/t_sendmail.$$
mkdir -p "$RUN"
chown nobody "$RUN"
chmod 750 "$RUN"
sed -n "s|^dnl \(INPUT_MAIL_FILTER(.bounce-milter', .S=unix:\)/run/bounce-milter/bounce-milter.sock,|\1$RUN/bounce-milter.sock,|p" \
    conf/sendmail.mc >"$T/milter-unix.m4"
grep -q "S=unix:$RUN/bounce-milter.sock, T=S:10s;R:10s;E:5m" "$T/milter-unix.m4" ||
	fail "h: conf/sendmail.mc has no unix:/run/bounce-milter/bounce-milter.sock line"
mk_cf "$T/milter-unix.m4" "$T/sendmail-unix.cf"
sed -e "s|^socket = .*|socket = \"unix:$RUN/bounce-milter.sock\"; umask = \"007\";|" \
    "$T/bm.conf" >"$T/bm-unix.conf"
bm_start "$T/milter.log" "$T/bm-unix.conf" -u nobody ||
	fail "h: milter did not start on the unix socket"
sm_start "$T/sendmail-unix.cf"
wait_for 20 listening 127.0.0.1:$PSM ||
	{ cat "$T/sendmail.out"; fail "h: Sendmail did not start with the unix socket line"; }
sed 's/5AbCdEfGh1@/5AbCdEfGh6@/' "$A" >"$T/unix.eml"
n=$(sink_count)
qh=$(smtp_send "" bob@contoso.example.com "$T/unix.eml") || fail "h: SMTP send failed"
wait_for 20 sink_has $((n + 1)) || fail "h: the bounce did not arrive"
f=$(sink_file "5AbCdEfGh6@mail.contoso.example.com")
grep -A3 '^X-Bounce-Class:' "$f" | grep -q 'cause=recipient-not-in-directory' ||
	{ cat "$f"; fail "h: not annotated through the unix socket"; }
echo "ok: h. the unix socket line (socket $(stat -c '%A %U:%G' "$RUN/bounce-milter.sock"), directory $(stat -c '%A %U' "$RUN")): annotated ($qh)"
# and below a world-writable directory Sendmail does not start at all
case $(stat -c %A "${T%/*}") in
????????w?)
	sm_stop
	sed "s|$RUN|$T|" "$T/milter-unix.m4" >"$T/milter-tmp.m4"
	mk_cf "$T/milter-tmp.m4" "$T/sendmail-tmp.cf"
	sm_start "$T/sendmail-tmp.cf"
	wait "$smpid"
	smpid=""
	grep -q 'Xbounce-milter: local socket name .* unsafe: World writable directory' "$T/sendmail.out" ||
		{ cat "$T/sendmail.out"; fail "h: no 'unsafe' error for a socket below ${T%/*}"; }
	echo "ok: h. a socket below ${T%/*} (world-writable): Sendmail does not start:"
	sed 's/^/    /' "$T/sendmail.out" ;;
esac

echo "summary: Sendmail $SMVER; a-c pass; own DSN $own; $N messages through a SIGKILL, none lost"
exit 0
