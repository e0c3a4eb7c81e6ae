#!/bin/sh
# t_evidence_milter.sh - outbound_relay and max_classify_ms in the milter,
# against bounce-decode -c on the same inputs and the same configuration
#
# Runs $BUILD/bounce-milter (foreground, private unix socket, DNS off)
# three times, each with its own configuration, and feeds it bounces with
# miltertest (tests/milter/lib.lua):
#	1. outbound_relay = "[contoso-com.mail.protection.outlook.com]:25": a
#	   "550 5.4.1 Relay Access Denied" from that host gets
#	   cause=relay-access-denied-outbound-connector side=sender and a
#	   hint naming the relay;
#	2. outbound_relay = "smtp.ours.test" (not Exchange Online): the same
#	   bounce stays relay-access-denied side=recipient;
#	3. max_classify_ms = 1: a 3000-recipient bounce passes unchanged (no
#	   X-Bounce-* header) with the "passed unchanged" and time-limit
#	   log lines; bounce-decode -c gives error and exit 1.
# bounce-decode --json -c with each configuration must give the same cause
# and side as the milter's X-Bounce-Class.
#
# Exit 0 pass, 77 skip (miltertest or python3 missing), 1 fail.
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
. tests/lib/bmconf.sh
need_cmd miltertest miltertest
need_cmd python3
M="$BUILD/bounce-milter"
D="$BUILD/bounce-decode"
need_built "$M" "$D"
test_tmpdir t_evm
pid=""
at_exit() { bm_kill; }

# --- inputs --------------------------------------------------------------
sed -e 's/host mx\.remote\.test said/host contoso-com.mail.protection.outlook.com[52.101.1.1] said/' \
    -e 's/^Remote-MTA: dns; mx\.remote\.test/Remote-MTA: dns; contoso-com.mail.protection.outlook.com/' \
    tests/fixtures/evidence/mx-eop.eml > "$T/relay.eml"
python3 - "$T/big.eml" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    f.write("From: MAILER-DAEMON@mx.ours.test\nTo: alice@ours.test\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; "
        "boundary=\"BB\"\n\n--BB\nContent-Type: text/plain\n\nbounced\n\n"
        "--BB\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.ours.test\n")
    for i in range(3000):
        f.write("\nFinal-Recipient: rfc822; user%d@example.net\n"
            "Action: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n" % i)
    f.write("\n--BB--\n")
EOF

# one.lua: send $MT_FILE as $MT_QID, print the added X-Bounce-Class/Hint
cat > "$T/one.lua" <<'EOF'
local T = dofile(os.getenv("MT_LIB"))
local conn = T.connect()
local r = T.send(conn, T.msg(os.getenv("MT_FILE")), "<>", os.getenv("MT_QID"))
T.ok(r == SMFIR_CONTINUE, "reply at eom is not continue")
local c = T.hdr(conn, "X-Bounce-Class", 0)
local h = T.hdr(conn, "X-Bounce-Hint", 0)
print("CLASS: " .. (c and c:gsub("\n\t", " ") or "none"))
print("HINT: " .. (h and h:gsub("\n\t", " ") or "none"))
mt.disconnect(conn)
EOF

start() {	# start CONF-EXTRA: a milter with that configuration
	{ bm_conf_head "unix:$T/sock" "$ROOT/rules"; echo "$1"; } >"$T/bm.conf"
	rm -f "$T/sock"
	bm_start "$T/log" "$T/bm.conf" ||
		{ bad "milter did not start"; cat "$T/log"; exit 1; }
}
stop() {
	bm_stop
	expect "milter exit on SIGTERM" "$?" 0
}
send() {	# send FILE QID -> $T/QID.out
	MT_SOCK="unix:$T/sock" MT_MSGS="$T" MT_LIB="tests/milter/lib.lua" \
	    MT_FILE="$1" MT_QID="$2" miltertest -s "$T/one.lua" > "$T/$2.out" 2>&1 ||
	    { bad "miltertest $1: $(cat "$T/$2.out")"; }
}
milter_cause() {	# milter_cause QID -> "cause side"
	sed -n 's/^CLASS: .*; cause=\([^;]*\); side=\([^;]*\);.*/\1 \2/p' "$T/$1.out"
}
decode_cause() {	# decode_cause FILE -> "cause side" with $T/bm.conf
	"$D" --json -c "$T/bm.conf" "$T/$1" | python3 -c '
import json, sys
r = json.loads(sys.stdin.readline())["recipients"][0]
print(r["cause"], r["side"])'
}

# --- 1. our relay is Exchange Online --------------------------------------
start 'outbound_relay = "[contoso-com.mail.protection.outlook.com]:25";'
send relay.eml EVM1Q
expect "milter, EOP relay" "$(milter_cause EVM1Q)" \
    "relay-access-denied-outbound-connector sender"
if grep -q '^HINT: .*outbound_relay contoso-com.mail.protection.outlook.com is Exchange Online' "$T/EVM1Q.out"
then ok; else bad "milter hint does not name the relay: $(grep HINT "$T/EVM1Q.out")"; fi
expect "bounce-decode -c = milter, EOP relay" "$(decode_cause relay.eml)" \
    "$(milter_cause EVM1Q)"
stop

# --- 2. our relay is not Exchange Online ----------------------------------
start 'outbound_relay = "smtp.ours.test";'
send relay.eml EVM2Q
expect "milter, non-EOP relay" "$(milter_cause EVM2Q)" "relay-access-denied recipient"
expect "bounce-decode -c = milter, non-EOP relay" "$(decode_cause relay.eml)" \
    "$(milter_cause EVM2Q)"
stop

# --- 3. max_classify_ms = 1 ------------------------------------------------
start 'max_classify_ms = 1;'
send big.eml EVM3Q
expect "milter, 3000 recipients in 1 ms: headers" \
    "$(grep '^CLASS: ' "$T/EVM3Q.out")" "CLASS: none"
sleep 0.2
if grep -q 'EVM3Q: classification took [0-9]* ms (limit 1 ms); message passed unchanged' "$T/log"
then ok; else bad "no 'passed unchanged' log line for EVM3Q"; fi
if grep -q 'EVM3Q: decode: time limit (max_classify_ms) reached' "$T/log"
then ok; else bad "no time-limit log line for EVM3Q"; fi
"$D" --json -c "$T/bm.conf" "$T/big.eml" > "$T/big.jsonl"
expect "bounce-decode -c, 3000 recipients in 1 ms: exit" "$?" 1
expect "bounce-decode -c, 3000 recipients in 1 ms: error" "$(python3 -c '
import json, sys
print("max_classify_ms" in json.loads(open(sys.argv[1]).readline())["error"])' "$T/big.jsonl")" True
stop

if grep -q -e 'ERROR: AddressSanitizer' -e 'ERROR: LeakSanitizer' -e 'runtime error:' "$T/log"; then
	bad "sanitizer report in the milter log"
fi
echo "--- milter log"; cat "$T/log"
if [ $fails -ne 0 ]; then
	echo "t_evidence_milter: $fails of $checks checks failed"
	exit 1
fi
echo "t_evidence_milter: all $checks checks passed"
exit 0
