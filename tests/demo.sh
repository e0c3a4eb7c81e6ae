#!/bin/sh
# demo.sh - `make demo`: bounce-milter at work, without a mail server
#
# Called as `sh tests/demo.sh BUILD`.  As root: starts a private Postfix
# on loopback (its own directories, removed afterwards) with the milter
# wired in as conf/postfix-main.cf says, sends one real-looking bounce per
# 5.4.1 cause family through it, makes Postfix itself bounce a message
# (the next hop answers "550 5.4.1 Recipient address rejected: Access
# denied"), and prints the X-Bounce-* headers each bounce arrived with
# and the milter's log lines.  Without root (Postfix needs it) it shows
# the same classification with bounce-decode instead.
BUILD=${1:-build}
M="$(pwd)/$BUILD/bounce-milter"
D="$(pwd)/$BUILD/bounce-decode"
MSGS=tests/fixtures/milter
FAMILIES="dbeb relay connector noanswer domain blocked noptr auth policy unclass"
[ -x "$M" ] || { echo "demo: $M is missing; run make first" >&2; exit 1; }

if [ "$(id -u)" != 0 ] || ! command -v smtp-sink >/dev/null 2>&1; then
	echo "demo: a private Postfix needs root; showing bounce-decode on the"
	echo "same bounces instead (sudo make demo for the full run)."
	echo
	for f in $FAMILIES; do "$D" --no-dns "$MSGS/$f.eml"; done
	exit 0
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/bm-demo.XXXXXX") || exit 1
chmod 755 "$T"
pid=""
fail() { echo "demo: $*" >&2; tail -n 20 "$T/milter.log" "$T/maillog" >&2; exit 1; }
. tests/lib/postfix.sh
cleanup() {
	pf_stop
	bm_kill
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE
pf_ports

cat >"$T/bm.conf" <<CONF
socket = "inet:$PMILTER@127.0.0.1";
authserv_id = "mx.demo.example";
dns = { spf = false; dkim = false; mx = false; };
CONF
bm_start "$T/milter.log" "$T/bm.conf" || fail "the milter did not start"
echo "demo: bounce-milter on 127.0.0.1:$PMILTER, private Postfix on 127.0.0.1:$PSMTPD"
pf_start

n=0
for f in $FAMILIES; do
	sed "s/^Message-ID: <\(.*\)>/Message-ID: <demo.\1>/" "$MSGS/$f.eml" >"$T/$f.eml"
	smtp_send "" "sender@origin.example" "$T/$f.eml"
	n=$((n + 1))
done
printf 'From: sender@origin.example\nTo: someone@reject.example\nSubject: hello\nMessage-ID: <demo.own@origin.example>\n\nhello\n' >"$T/own.eml"
smtp_send "sender@origin.example" "someone@reject.example" "$T/own.eml"
n=$((n + 1))
wait_for 30 sink_has $n || fail "only $(sink_count) of $n bounces arrived"

for f in "$T"/sinka/*; do
	subj=$(grep -m1 '^Subject:' "$f")
	rcpt=$(grep -m1 '^Final-Recipient:' "$f" | sed 's/.*; *//')
	echo
	echo "=== bounce for $rcpt ($subj)"
	awk '/^$/ { exit } /^X-Bounce-/ { p = 1; print; next }
	    /^[ \t]/ { if (p) print; next } { p = 0 }' "$f"
done
echo
echo "=== the milter's log lines (syslog, mirrored to stderr with -e):"
grep ': bounce ' "$T/milter.log"
