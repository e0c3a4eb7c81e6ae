#!/bin/sh
# t_evidence.sh - SPF, DKIM and MX evidence end to end, against a local DNS
#
# Starts tests/lib/dnsd.sh (dnsmasq on 127.0.0.1, random port, test zone;
# nothing here touches the real DNS), runs bounce-decode --json on the
# bounces of tests/fixtures/evidence/ and checks, per recipient, the evidence
# words and the cause with and without the evidence
# (tests/fixtures/evidence/expected.tsv; "*" = cause not checked).  Then:
# the same run twice gives the same output; outbound_ips wins over the
# Received trace; dns.spf = false skips only SPF; a DNS server that
# refuses gives quick errors; a server that never answers (black hole)
# makes every check "skipped" within dns.timeout_ms per message, measured;
# IDN domains (bücher.test) are looked up as A-labels; outbound_relay
# decides relay-access-denied-outbound-connector both ways; and
# max_classify_ms = 1 through -c stops a 3000-recipient bounce with an
# error; and (10) whose domains get evidence: a forged bounce naming a
# stranger's domain makes no query for it (dnsmasq's query log) and keeps
# its wording's cause, with our_domains set or taken from the history, a
# subdomain of ours gets evidence, and the stranger's domain does once
# listed (the control that the log sees queries); -v says why, once.
#
# Exit 0 pass, 77 skip (dnsmasq or python3 missing), 1 fail.
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$ROOT" || exit 1
. tests/lib/common.sh
dec="$BUILD/bounce-decode"
msgs=tests/fixtures/evidence
need_built "$dec"
need_cmd python3

tmp=$(mktemp -d)
trap 'sh tests/lib/dnsd.sh stop "$tmp" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
dns_start "$tmp"
port=$DNS_PORT

# the sender domains of the test bounces are ours (section 10 tests a
# stranger's)
ours='our_domains = [ "spf-pass.test", "spf-soft.test", "spf-neutral.test",
    "spf-perm.test", "spf-mx.test", "spf-ptr.test", "spf-none.test",
    "dkim.test", "bücher.test" ];'
conf() {	# conf FILE RESOLVER TIMEOUT [extra settings]
	f=$1 res=$2 to=$3
	shift 3
	# max_classify_ms raised: with -c bounce-decode applies it, and a
	# loaded machine (sanitizers) must not cut these small bounces
	cat > "$f" <<EOF
dns = { resolver = "$res"; timeout_ms = $to; spf = true; dkim = true; mx = true; };
max_classify_ms = 60000;
$ours
$*
EOF
}

# rows FILE.jsonl: "file rcpt spf dkim mx cause" lines
rows() {
	python3 -c '
import json, sys, os
for l in open(sys.argv[1]):
    j = json.loads(l)
    for r in j["recipients"]:
        e = r["evidence"]
        print("\t".join([os.path.basename(j["file"]), r["recipient"],
            e["spf"], e["dkim"], e["mx"], r["cause"]]))
' "$1"
}

# --- 1. every expected row, with DNS and without ------------------------
conf "$tmp/dns.conf" "127.0.0.1:$port" 2000
t0=$(now_ms)
"$dec" --json -c "$tmp/dns.conf" "$msgs" > "$tmp/a.jsonl" || bad "bounce-decode exit $? with DNS"
t1=$(now_ms)
"$dec" --json --no-dns "$msgs" > "$tmp/b.jsonl" || bad "bounce-decode exit $? without DNS"
rows "$tmp/a.jsonl" > "$tmp/a.rows"
rows "$tmp/b.jsonl" > "$tmp/b.rows"
nmsg=$(wc -l < "$tmp/a.jsonl")
echo "evidence run: $nmsg bounces in $((t1 - t0)) ms with the local DNS"

while IFS="$(printf '\t')" read -r file rcpt spf dkim mx cdns cno; do
	case $file in '#'*|'') continue ;; esac
	got=$(awk -F'\t' -v f="$file" -v r="$rcpt" '$1 == f && $2 == r' "$tmp/a.rows")
	nod=$(awk -F'\t' -v f="$file" -v r="$rcpt" '$1 == f && $2 == r' "$tmp/b.rows")
	if [ -z "$got" ]; then bad "$file $rcpt: not in the output"; continue; fi
	set -- $(echo "$got" | tr '\t' ' ')
	expect "$file $rcpt: evidence spf dkim mx" "$3 $4 $5" "$spf $dkim $mx"
	[ "$cdns" = "*" ] || expect "$file $rcpt: cause with DNS" "$6" "$cdns"
	set -- $(echo "$nod" | tr '\t' ' ')
	expect "$file $rcpt: --no-dns evidence" "$3 $4 $5" "skipped skipped skipped"
	[ "$cno" = "*" ] || expect "$file $rcpt: cause with --no-dns" "$6" "$cno"
done < "$msgs/expected.tsv"

# --- 2. same inputs, same answers ----------------------------------------
"$dec" --json -c "$tmp/dns.conf" "$msgs" > "$tmp/a2.jsonl"
if cmp -s "$tmp/a.jsonl" "$tmp/a2.jsonl"; then ok; else
	bad "two runs on the same inputs differ"; diff "$tmp/a.jsonl" "$tmp/a2.jsonl" | head -5
fi
"$dec" -c "$tmp/dns.conf" "$msgs" > "$tmp/h1.txt"
"$dec" -c "$tmp/dns.conf" "$msgs" > "$tmp/h2.txt"
if cmp -s "$tmp/h1.txt" "$tmp/h2.txt"; then ok; else bad "two human-format runs differ"; fi

# --- 3. outbound_ips wins over the Received trace -------------------------
one() {	# one CONF FILE RCPT -> "spf dkim mx cause"
	"$dec" --json -c "$1" "$msgs/$2" > "$tmp/one.jsonl"
	rows "$tmp/one.jsonl" | awk -F'\t' -v r="$3" '$2 == r { print $3, $4, $5, $6 }'
}
conf "$tmp/ob1.conf" "127.0.0.1:$port" 2000 'outbound_ips = [ "192.0.2.25" ];'
conf "$tmp/ob2.conf" "127.0.0.1:$port" 2000 'outbound_ips = [ "203.0.113.5" ];'
expect "outbound_ips 192.0.2.25, no public hop" \
    "$(one "$tmp/ob1.conf" spf-noip.eml bob@other.test | cut -d' ' -f1)" pass
expect "outbound_ips 192.0.2.25 over a failing hop" \
    "$(one "$tmp/ob1.conf" spf-fail.eml bob@other.test | cut -d' ' -f1)" pass
expect "outbound_ips 203.0.113.5 over a passing hop" \
    "$(one "$tmp/ob2.conf" spf-pass.eml bob@other.test | cut -d' ' -f1)" fail
conf "$tmp/in.conf" "127.0.0.1:$port" 2000 'internal_networks = [ "203.0.113.0/24" ];'
expect "a hop inside internal_networks is not the handover" \
    "$(one "$tmp/in.conf" spf-fail.eml bob@other.test | cut -d' ' -f1)" skipped

# --- 4. switches ------------------------------------------------------------
cat > "$tmp/nospf.conf" <<EOF
dns = { resolver = "127.0.0.1:$port"; timeout_ms = 2000; spf = false; dkim = true; mx = true; };
$ours
EOF
expect "dns.spf = false" "$(one "$tmp/nospf.conf" dkim-pass.eml bob@other.test | cut -d' ' -f1-3)" \
    "skipped pass other"

# --- 5. a server that refuses: DNS errors, fast ------------------------------
conf "$tmp/ref.conf" "127.0.0.1:1" 2000
t0=$(now_ms)
"$dec" --json -c "$tmp/ref.conf" "$msgs/spf-fail.eml" > "$tmp/ref.jsonl"
t1=$(now_ms)
got=$(rows "$tmp/ref.jsonl" | awk -F'\t' '{ print $3, $4, $5 }')
expect "refusing server" "$got" "temperror none skipped"
[ $((t1 - t0)) -lt 1500 ] && ok || bad "refusing server took $((t1 - t0)) ms"

# --- 6. a server that never answers: bounded by dns.timeout_ms ---------------
sh tests/lib/dnsd.sh blackhole "$tmp" > "$tmp/bh.out" 2>&1 || {
	cat "$tmp/bh.out"; bad "could not start the black hole"; }
if [ -s "$tmp/bh_port" ]; then
	limit=400
	conf "$tmp/bh.conf" "127.0.0.1:$(cat "$tmp/bh_port")" $limit
	# start-up cost without DNS, to subtract
	t0=$(now_ms)
	"$dec" --json --no-dns "$msgs/multi.eml" > /dev/null
	t1=$(now_ms)
	base=$((t1 - t0))
	t0=$(now_ms)
	"$dec" --json -c "$tmp/bh.conf" "$msgs/multi.eml" > "$tmp/bh1.jsonl"
	t1=$(now_ms)
	one_ms=$((t1 - t0))
	rows "$tmp/bh1.jsonl" > "$tmp/bh1.rows"
	n=$(awk -F'\t' '$3 != "skipped" || $5 != "skipped"' "$tmp/bh1.rows" | wc -l)
	expect "black hole: values other than skipped" "$n" 0
	# one message: the deadline plus start-up plus slack for a busy machine
	if [ $one_ms -lt $((base + limit + 500)) ]; then ok; else
		bad "black hole: one message took $one_ms ms (dns.timeout_ms $limit)"
	fi
	t0=$(now_ms)
	"$dec" --json -c "$tmp/bh.conf" "$msgs/mx-eop.eml" "$msgs/dkim-pass.eml" \
	    "$msgs/spf-fail.eml" > "$tmp/bh3.jsonl"
	t1=$(now_ms)
	three_ms=$((t1 - t0))
	if [ $three_ms -lt $((base + 3 * limit + 800)) ]; then ok; else
		bad "black hole: three messages took $three_ms ms (dns.timeout_ms $limit each)"
	fi
	echo "timeout case: dns.timeout_ms=$limit, start-up $base ms, one message $one_ms ms, three messages $three_ms ms"
fi

# --- 7. IDN: U-label domains are looked up in their A-label form -----------
# bücher.test is in the zone only as xn--bcher-kva.test (tests/lib/dnsd.sh)
sed -e 's/spf-pass\.test/bücher.test/g' -e 's/bob@eop\.test/bob@bücher.test/g' \
    "$msgs/mx-eop.eml" > "$tmp/idn.eml"
idn() {	# idn CONF-OPTION... -> "spf dkim mx cause" of bob@bücher.test
	"$dec" --json "$@" "$tmp/idn.eml" > "$tmp/idn.jsonl"
	rows "$tmp/idn.jsonl" | awk -F'\t' '$2 == "bob@bücher.test" { print $3, $4, $5, $6 }'
}
expect "IDN sender and recipient domains, with DNS" \
    "$(idn -c "$tmp/dns.conf")" "pass none eop relay-access-denied"
expect "IDN, --no-dns" "$(idn --no-dns)" \
    "skipped skipped skipped relay-access-denied"

# --- 8. outbound_relay: our relay is Exchange Online, or not ---------------
# relay.eml: contoso's EOP host refuses bob@eop.test; relay2.eml: a
# generic EOP front end refuses (eop.test's MX is EOP in the test zone).
sed -e 's/host mx\.remote\.test said/host contoso-com.mail.protection.outlook.com[52.101.1.1] said/' \
    -e 's/^Remote-MTA: dns; mx\.remote\.test/Remote-MTA: dns; contoso-com.mail.protection.outlook.com/' \
    "$msgs/mx-eop.eml" > "$tmp/relay.eml"
sed -e 's/contoso-com\.mail/bn8nam11ft066.mail/g' "$tmp/relay.eml" > "$tmp/relay2.eml"
relay() {	# relay FILE CONF-OPTION... -> "cause side" [+ "named"]
	"$dec" --json "$@" > "$tmp/relay.jsonl" 2>&1
	python3 -c '
import json, sys
j = json.loads(open(sys.argv[1]).readline())
r = j["recipients"][0]
named = " named" if "outbound_relay contoso-com.mail.protection.outlook.com is Exchange Online" in r["hint"] else ""
print(r["cause"], r["side"] + named)
' "$tmp/relay.jsonl"
}
printf 'outbound_relay = "[contoso-com.mail.protection.outlook.com]:25";\n' > "$tmp/r-eop.conf"
printf 'outbound_relay = "smtp.ours.test";\n' > "$tmp/r-other.conf"
: > "$tmp/r-none.conf"
conf "$tmp/r-eop-dns.conf" "127.0.0.1:$port" 2000 \
    'outbound_relay = "contoso-com.mail.protection.outlook.com";'
expect "outbound_relay EOP, our relay refused" \
    "$(relay --no-dns -c "$tmp/r-eop.conf" "$tmp/relay.eml")" \
    "relay-access-denied-outbound-connector sender named"
expect "outbound_relay not EOP" \
    "$(relay --no-dns -c "$tmp/r-other.conf" "$tmp/relay.eml")" \
    "relay-access-denied recipient"
expect "outbound_relay unset" \
    "$(relay --no-dns -c "$tmp/r-none.conf" "$tmp/relay.eml")" \
    "relay-access-denied recipient"
expect "outbound_relay EOP, our relay refused, with DNS (MX eop)" \
    "$(relay -c "$tmp/r-eop-dns.conf" "$tmp/relay.eml")" \
    "relay-access-denied-outbound-connector sender named"
expect "outbound_relay EOP, another EOP host refused, no DNS" \
    "$(relay --no-dns -c "$tmp/r-eop.conf" "$tmp/relay2.eml")" \
    "relay-access-denied-outbound-connector sender named"
expect "outbound_relay EOP, another EOP host refused, the MX is EOP" \
    "$(relay -c "$tmp/r-eop-dns.conf" "$tmp/relay2.eml")" \
    "relay-access-denied recipient"

# --- 9. max_classify_ms through bounce-decode -c ----------------------------
python3 - "$tmp/big.eml" <<'PYEOF'
import sys
n = 3000
with open(sys.argv[1], "w") as f:
    f.write("From: MAILER-DAEMON@mx.ours.test\nTo: alice@spf-pass.test\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        "Content-Type: multipart/report; report-type=delivery-status; "
        "boundary=\"BB\"\n\n--BB\nContent-Type: text/plain\n\nbounced\n\n"
        "--BB\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.ours.test\n")
    for i in range(n):
        f.write("\nFinal-Recipient: rfc822; user%d@example.net\n"
            "Action: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n" % i)
    f.write("\n--BB--\n")
PYEOF
printf 'max_classify_ms = 1;\ndns = { spf = false; dkim = false; mx = false; };\n' > "$tmp/t1.conf"
printf 'dns = { spf = false; dkim = false; mx = false; };\n' > "$tmp/t200.conf"
"$dec" --json -c "$tmp/t1.conf" "$tmp/big.eml" > "$tmp/t1.jsonl" 2> "$tmp/t1.err"
rc=$?
expect "max_classify_ms = 1: exit status" "$rc" 1
expect "max_classify_ms = 1: JSON error" "$(python3 -c '
import json, sys
print("max_classify_ms" in json.loads(open(sys.argv[1]).readline())["error"])' "$tmp/t1.jsonl")" True
"$dec" --json --no-dns "$tmp/big.eml" > "$tmp/t0.jsonl"
expect "no -c: no time limit" "$?" 0
expect "no -c: all classified" "$(python3 -c '
import json, sys
j = json.loads(open(sys.argv[1]).readline())
print(j["error"], sum(r["reason"] == "userunknown" for r in j["recipients"]))' "$tmp/t0.jsonl")" " 3000"

# --- 10. whose domains: a forged bounce naming a stranger's domain -------
# The stranger's SPF record (stranger.test: -all) would make it
# sender-auth-failed, side sender.  It must make no query for
# stranger.test or the recipient's victim.test, and keep the wording's
# cause; our own domains still get evidence (section 1), and so does the
# stranger's once it is listed (the control: the log does see queries).
sed -e 's/spf-pass\.test/stranger.test/g' -e 's/bob@other\.test/bob@victim.test/g' \
    "$msgs/spf-fail-541.eml" > "$tmp/forged.eml"
log="$tmp/dnsmasq.log"
queried() {	# queried NAME: did the DNS server see a query for NAME?
	grep -q "query\[[A-Z]*\] \(.*\.\)\{0,1\}$1 from" "$log"
}
forged() {	# forged CONF [-v] -> "spf dkim mx cause side"
	"$dec" --json "$@" "$tmp/forged.eml" > "$tmp/forged.jsonl" 2> "$tmp/forged.err"
	python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())["recipients"][0]
e = r["evidence"]
print(e["spf"], e["dkim"], e["mx"], r["cause"], r["side"])' "$tmp/forged.jsonl"
}
sleep 0.2
queried stranger.test && bad "stranger.test was queried before the test"
expect "forged bounce, stranger's domain, our_domains set" \
    "$(forged -c "$tmp/dns.conf" -v)" "skipped skipped skipped unclassified-5.4.1 unknown"
sleep 0.3		# dnsmasq writes its log line after the answer
if queried stranger.test || queried victim.test; then
	bad "a forged bounce made DNS queries for a stranger's domain: $(grep -c 'stranger.test\|victim.test' "$log")"
else ok; fi
expect "debug line (-v) says why" \
    "$(grep -c 'evidence skipped: sender domain stranger.test is not in our_domains' "$tmp/forged.err")" 1
# our_domains unset, no history: nothing is ours
conf "$tmp/noours.conf" "127.0.0.1:$port" 2000
sed -i '/our_domains/,/];/d' "$tmp/noours.conf"
expect "our_domains unset, no history: our own domain gets nothing" \
    "$(one "$tmp/noours.conf" spf-fail-541.eml bob@other.test)" \
    "skipped skipped skipped unclassified-5.4.1"
# our_domains unset: the sender domains of the history's outgoing mail
python3 - "$tmp/hist.db" <<'PYEOF'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE outgoing (id INTEGER PRIMARY KEY, sent INTEGER NOT NULL,"
    " sender TEXT NOT NULL DEFAULT '')")
now = int(time.time())
db.execute("INSERT INTO outgoing (sent, sender) VALUES (?, ?)", (now - 3600, "<alice@Spf-Pass.test>"))
db.execute("INSERT INTO outgoing (sent, sender) VALUES (?, ?)", (now - 90 * 86400, "old@stranger.test"))
db.commit()
PYEOF
printf 'history = { path = "%s"; retention_days = 30; };
' "$tmp/hist.db" >> "$tmp/noours.conf"
expect "our_domains unset: a sender domain of our outgoing mail (history)" \
    "$(one "$tmp/noours.conf" spf-fail-541.eml bob@other.test)" \
    "fail none other sender-auth-failed"
expect "our_domains unset: a sender domain older than retention_days is not ours" \
    "$(forged -c "$tmp/noours.conf")" "skipped skipped skipped unclassified-5.4.1 unknown"
if queried stranger.test; then bad "history: stranger.test was queried"; else ok; fi
# a subdomain of ours is ours
sed -e 's/alice@spf-pass\.test/alice@mail.spf-pass.test/g' "$msgs/spf-fail-541.eml" > "$tmp/sub.eml"
"$dec" --json -c "$tmp/dns.conf" "$tmp/sub.eml" > "$tmp/sub.jsonl"
expect "a subdomain of one of our_domains gets evidence" \
    "$(rows "$tmp/sub.jsonl" | awk -F'\t' '{ print $3, $5 }')" "none other"
# an original returned as message/news is an original too (there were
# three lists of embedding types, two without message/news)
sed -e 's#^Content-Type: message/rfc822#Content-Type: message/news#' \
    "$msgs/spf-fail-541.eml" > "$tmp/news.eml"
"$dec" --json -c "$tmp/dns.conf" "$tmp/news.eml" > "$tmp/news.jsonl"
expect "message/news original: evidence and cause as message/rfc822" \
    "$(rows "$tmp/news.jsonl" | awk -F'\t' '{ print $3, $4, $5, $6 }')" \
    "fail none other sender-auth-failed"
# the control: listed, the stranger's domain is asked for and decides
ours='our_domains = [ "stranger.test" ];'
conf "$tmp/stranger.conf" "127.0.0.1:$port" 2000
expect "control: the stranger's domain listed in our_domains" \
    "$(forged -c "$tmp/stranger.conf")" "fail none none sender-auth-failed sender"
sleep 0.3
if queried stranger.test && queried victim.test; then ok; else
	bad "control: no query for stranger.test/victim.test seen in the log (is log-queries on?)"; fi

if [ $fails -ne 0 ]; then
	echo "t_evidence: $fails of $checks checks failed"
	exit 1
fi
echo "t_evidence: all $checks checks passed"
exit 0
