#!/bin/sh
# t_cli - bounce-decode's command-line contract (interfaces.md)
#
# Exit codes, input kinds (file, directory, maildir, mbox, stdin), names
# in the JSON "file" key, the human output for non-bounces, and that every
# key of the JSON contract is present.
BD="$BUILD/bounce-decode"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok()  { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }
check() {	# check NAME WANT GOT
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: want [$2] got [$3]"; fi
}

# A Postfix-style RFC 3464 bounce with two recipients.
cat >"$T/dsn.eml" <<'MSG'
From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: sender@example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.example.org.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; one@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <one@example.net>: Recipient address rejected: User unknown

Final-Recipient: rfc822; two@example.net
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 <two@example.net>: Mailbox full

--B
Content-Type: text/rfc822-headers

From: sender@example.org
To: one@example.net
Subject: hello
Message-ID: <abc@example.org>

--B--
MSG
printf 'From: a@example.org\nTo: b@example.org\nSubject: hi\n\nhello\n' >"$T/plain.eml"

out=$("$BD" --json --no-dns --rules rules "$T/dsn.eml"); rc=$?
check "exit 0 on a bounce" 0 $rc
check "two recipients in order" "one@example.net two@example.net" \
    "$(printf '%s' "$out" | python3 -c 'import json,sys; print(" ".join(r["recipient"] for r in json.load(sys.stdin)["recipients"]))')"
check "every contract key present" ok "$(printf '%s' "$out" | python3 -c '
import json,sys
o=json.load(sys.stdin)
top={"file","bounce","kind","format","reporting_mta","original","recipients","error"}
rk={"recipient","action","status","reply_code","reason","hard","cause","side","hint","inner_cause","remote_mta","diagnostic","evidence"}
ok=top<=set(o) and {"message_id","from","to","subject"}<=set(o["original"])
ok=ok and all(rk<=set(r) and {"spf","dkim","mx"}<=set(r["evidence"]) for r in o["recipients"])
ok=ok and o["original"]["message_id"]=="<abc@example.org>" and o["kind"]=="dsn"
print("ok" if ok else "missing")')"

out=$("$BD" --no-dns --rules rules "$T/plain.eml"); rc=$?
check "non-bounce human line" "$T/plain.eml: not a bounce" "$out"
check "exit 0 on a non-bounce" 0 $rc

"$BD" --json --no-dns --rules rules "$T/missing.eml" >"$T/o" 2>"$T/e"; rc=$?
check "exit 1 on a missing file" 1 $rc
grep -q '"error":"No such file' "$T/o" && ok "missing file gets a JSON line with error" ||
    bad "missing file JSON line: $(cat "$T/o")"
grep -q 'missing.eml' "$T/e" && ok "missing file named on stderr" || bad "stderr: $(cat "$T/e")"

"$BD" --json >/dev/null 2>&1; check "exit 2 without a path" 2 $?
"$BD" --bogus x >/dev/null 2>&1; check "exit 2 on an unknown flag" 2 $?
mkdir "$T/badrules"
"$BD" --rules "$T/badrules" "$T/plain.eml" >/dev/null 2>"$T/e"; rc=$?
check "exit 78 on a broken rules dir" 78 $rc
grep -q ':[0-9]*: ' "$T/e" && ok "rules error is FILE:LINE: message" || bad "rules error: $(cat "$T/e")"

# Directory: regular files in byte order, dotfiles and subdirectories skipped.
mkdir -p "$T/dir/sub"
cp "$T/plain.eml" "$T/dir/b.eml"; cp "$T/dsn.eml" "$T/dir/A.eml"
cp "$T/plain.eml" "$T/dir/.hidden"; cp "$T/plain.eml" "$T/dir/sub/x.eml"
check "directory order, skips" "$T/dir/A.eml $T/dir/b.eml" \
    "$("$BD" --json --no-dns --rules rules "$T/dir" | python3 -c 'import json,sys; print(" ".join(json.loads(l)["file"] for l in sys.stdin))')"

# Maildir: cur/ and new/ are read.
mkdir -p "$T/md/cur" "$T/md/new" "$T/md/tmp"
cp "$T/dsn.eml" "$T/md/cur/1"; cp "$T/plain.eml" "$T/md/new/2"
check "maildir cur and new" "$T/md/cur/1 $T/md/new/2" \
    "$("$BD" --json --no-dns --rules rules "$T/md" | python3 -c 'import json,sys; print(" ".join(json.loads(l)["file"] for l in sys.stdin))')"

# mbox: several messages are FILE#N; one message keeps the file's name.
{ echo "From MAILER-DAEMON Mon Nov 23 07:00:00 2026"; cat "$T/dsn.eml"; echo
  echo "From a@example.org Mon Nov 23 07:00:01 2026"; cat "$T/plain.eml"; } >"$T/box"
check "mbox of two" "$T/box#1 true $T/box#2 false" \
    "$("$BD" --json --no-dns --rules rules "$T/box" | python3 -c 'import json,sys; print(" ".join("%s %s" % (json.loads(l)["file"], str(json.loads(l)["bounce"]).lower()) for l in sys.stdin))')"
{ echo "From MAILER-DAEMON Mon Nov 23 07:00:00 2026"; cat "$T/dsn.eml"; } >"$T/one"
check "mbox of one keeps its name" "$T/one" \
    "$("$BD" --json --no-dns --rules rules "$T/one" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["file"])')"

# Standard input.
check "stdin is -" "- true" \
    "$("$BD" --json --no-dns --rules rules - <"$T/dsn.eml" | python3 -c 'import json,sys; o=json.load(sys.stdin); print(o["file"], str(o["bounce"]).lower())')"

# Empty and binary input: not a bounce, exit 0.
: >"$T/empty"; head -c 4096 /dev/urandom >"$T/bin"
"$BD" --json --no-dns --rules rules "$T/empty" "$T/bin" >"$T/o"; rc=$?
check "empty and binary: exit 0" 0 $rc
check "empty and binary: bounce false" "false false" \
    "$(python3 -c 'import json,sys; print(" ".join(str(json.loads(l)["bounce"]).lower() for l in open(sys.argv[1])))' "$T/o")"

# A directory is read a batch of files at a time through io_uring where
# the kernel has it: the output must be the same, byte for byte, as when
# each file is read on its own (BOUNCE_DECODE_NO_URING), across batch
# edges (70 files), a file longer than one read (100 KiB), an mbox, an
# empty file and a subdirectory among them.
mkdir -p "$T/many/sub"
i=0; while [ $i -lt 70 ]; do
	case $((i % 3)) in 0) f=dsn.eml ;; 1) f=plain.eml ;; *) f=box ;; esac
	cp "$T/$f" "$T/many/m$i"; i=$((i + 1))
done
: >"$T/many/m70-empty"
{ cat "$T/dsn.eml"; i=0; while [ $i -lt 1700 ]; do
	echo "padding line $i of a long bounce, to pass one read of 64 KiB"
	i=$((i + 1)); done; } >"$T/many/m71-long"
cp "$T/dsn.eml" "$T/many/sub/x"
"$BD" --json --no-dns --rules rules "$T/many" >"$T/ring.out" 2>&1
BOUNCE_DECODE_NO_URING=1 "$BD" --json --no-dns --rules rules "$T/many" \
    >"$T/plain.out" 2>&1
check "directory: batched reads give the same output" 0 \
    "$(cmp -s "$T/ring.out" "$T/plain.out"; echo $?)"
# 24 DSNs, 23 plain, 23 mboxes of two, the empty and the long one; the
# subdirectory is not read (only a maildir's cur/ and new/ are)
check "directory: every file read" 95 "$(wc -l <"$T/ring.out" | tr -d ' ')"

echo "$fails failure(s)"
[ $fails -eq 0 ]
