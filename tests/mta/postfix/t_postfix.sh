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
ROOT=$(pwd)
. tests/lib/postfix.sh
pf_init t_postfix

pid=""
at_exit() {
	pf_stop
	bm_kill
}

pf_ports

fail() { echo "FAIL: $*"; echo "--- milter log"; tail -n 40 "$T/milter.log";
	echo "--- maillog"; tail -n 40 "$T/maillog" 2>/dev/null; exit 1; }

# --- the milter: its own copy of the rules, so step 3 can break them
rules_public "$T" >/dev/null || exit 1
bm_conf "$T" "$PMILTER" "$T/rules"
bm_start "$T/milter.log" "$T/bm.conf" -u nobody || fail "milter did not start"

pf_start

# --- 1. a remote bounce, with forgeries, through smtpd
{
	printf 'X-Bounce-Class: forged.example; rcpt=a@b; cause=none\n'
	printf 'X-Bounce-Hint: a@b: trust me\n'
	printf 'X-Bounce-Class: forged.example; second copy\n'
	printf 'X-Bounce-Original: message-id=<forged@x>\n'
	cat tests/fixtures/milter/dbeb.eml
} >"$T/remote.eml"
smtp_send "" "sender@origin.example" "$T/remote.eml"
wait_for 20 sink_has 1 || fail "the remote bounce did not arrive at the sink"
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
wait_for 30 sink_has 2 || fail "Postfix's own bounce did not arrive at the sink"
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
grep -q '^X-Bounce-Original: message-id=<own.1@origin.example>;' "$f" && grep -A1 '^X-Bounce-Original:' "$f" | grep -q 'sent=2' ||
	{ show_headers "$f"; fail "own bounce: not tied to its original (X-Bounce-Original)"; }
grep -q ': bounce rcpt=user@reject.example .* orig_msgid=<own.1@origin.example> sent=[0-9TZ:-]* ttb=[0-9]' "$T/milter.log" ||
	fail "own bounce: log line without orig_msgid/sent/ttb"
grep -q ': outgoing from=<sender@origin.example> msgid=<own.1@origin.example> rcpts=1' "$T/milter.log" ||
	fail "no outgoing line for the message we sent"
echo "ok: the history store tied the bounce to the message we sent"
show_headers "$f"
grep ': bounce rcpt=user@reject.example' "$T/milter.log" | sed 's/^/    /'

# --- 3. SIGUSR1 with a broken rules file keeps the old rules
echo 'this line is not a rule' >>"$T/rules/reasons.rules"
kill -USR1 "$pid"
wait_for 5 grep -q 'reload failed' "$T/milter.log" || fail "no 'reload failed' line"
n=$(sink_count)
sed 's/dbeb.1@mx.example.org/dbeb.2@mx.example.org/' tests/fixtures/milter/dbeb.eml >"$T/remote2.eml"
smtp_send "" "sender@origin.example" "$T/remote2.eml"
wait_for 20 sink_has $((n + 1)) || fail "bounce after bad reload did not arrive"
f=$(grep -l 'dbeb.2@mx.example.org' "$T"/sinka/* | head -n 1)
grep -A3 '^X-Bounce-Class:' "$f" | grep -q 'cause=recipient-not-in-directory' ||
	fail "after a bad reload the old rules no longer work"
kill -0 "$pid" || fail "milter died on a bad reload"
echo "ok: bad reload logged, old rules still classify"
grep 'reload failed' "$T/milter.log" | sed 's/^/    /'

# --- 4. SIGKILL the milter mid-stream: nothing is lost
n=$(sink_count)
N=200
kill_midstream 127.0.0.1:$PSMTPD $N -s 4 ||
	fail "the milter saw no messages from smtp-source"
wait "$spid" || { cat "$T/source.out"; fail "smtp-source failed"; }
wait_for 40 sink_has $((n + N)) || fail "only $(( $(sink_count) - n )) of $N messages arrived after SIGKILL"
[ "$k" -lt $N ] || fail "the milter was killed too late to prove anything ($k of $N seen)"
echo "ok: SIGKILL after the milter had seen $k of $N messages: all $N arrived (milter_default_action = accept)"
echo "    Postfix warnings about the unreachable milter: $(grep -ci 'warning.*milter' "$T/maillog")"
exit 0
