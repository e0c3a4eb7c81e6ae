#!/bin/sh
# t_causes - every cause id of causes.md, decoded from real bounce wrappers
#
# Runs bounce-decode --json --no-dns on the hand-written bounces in
# tests/fixtures/causes/ (each cause in at least two MTA wrappers, plus bounces
# that mix causes) and checks each recipient's cause, side, reason, status
# and inner_cause against tests/fixtures/causes/expected.tsv.
#
# With the shared corpus present it also checks the five corpus samples
# with status 5.4.1 get the cause causes.md gives them.  lhost-mfilter-04
# ("All recipient addresses rejected : Access denied") is Sisimai's
# "rejected", but the catalog calls it Directory Based Edge Blocking
# (recipient-not-in-directory, reason userunknown): the catalog wins.
. tests/lib/common.sh
DIR=tests/fixtures/causes
BIN="$BUILD/bounce-decode"
need_built "$BIN"
need_cmd python3
out=$(mktemp) || exit 1
trap 'rm -f "$out" "$out.c" "$out.e"' EXIT
"$BIN" --json --no-dns --rules rules "$DIR"/*.eml >"$out"
rc=$?
[ $rc -eq 0 ] || { echo "bounce-decode exited $rc"; exit 1; }

# A broken rule file stops bounce-decode with exit 78 and FILE:LINE.
bad=$(mktemp -d) || exit 1
cp -R rules/. "$bad/"
printf '[lhost t-causes]\nuserunknown ~ (unclosed\n' >>"$bad/reasons.rules"
line=$(wc -l <"$bad/reasons.rules" | tr -d ' ')
"$BIN" --json --no-dns --rules "$bad" "$DIR/mixed-exo.eml" >/dev/null 2>"$out.e"
rc=$?
rm -rf "$bad"
if [ $rc -ne 78 ] || ! grep -q "reasons.rules:$line: bad pattern" "$out.e"; then
	echo "broken reasons.rules: exit $rc, stderr: $(cat "$out.e")"
	exit 1
fi

# The corpus samples: file, cause, side, reason.
if [ -n "$SHARED" ] && [ -d "$SHARED/corpus/bsd" ]; then
	C="$SHARED/corpus/bsd"
	"$BIN" --json --no-dns --rules rules "$C/lhost-mfilter-04.eml" \
	    "$C/lhost-mimecast-01.eml" "$C/lhost-postfix-30.eml" \
	    "$C/rhost-microsoft-02.eml" "$C/rhost-zoho-04.eml" >"$out.c"
else
	: >"$out.c"
	echo "note: no shared corpus; the five corpus 5.4.1 samples not checked"
fi

python3 tests/lib/expect_rcpts.py --hint-required "$DIR/expected.tsv" "$out"
rc1=$?
[ -s "$out.c" ] || exit $rc1

# The corpus 5.4.1 samples and the cause causes.md gives them.
python3 - "$out.c" <<'EOF'
import json, os, sys

corpus = [
    ("lhost-mfilter-04.eml", "recipient-not-in-directory", "address", "userunknown"),
    ("lhost-mimecast-01.eml", "recipient-not-in-directory", "address", "userunknown"),
    ("lhost-postfix-30.eml", "recipient-not-in-directory", "address", "userunknown"),
    ("rhost-microsoft-02.eml", "recipient-not-in-directory", "address", "userunknown"),
    ("rhost-zoho-04.eml", "destination-domain-rejected", "recipient", "rejected"),
]
cg = {}
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        if line.strip():
            o = json.loads(line)
            if o["recipients"]:
                cg[os.path.basename(o["file"])] = o["recipients"][0]
bad = 0
for name, cause, side, reason in corpus:
    r = cg.get(name)
    if r is None or (r["cause"], r["side"], r["reason"]) != (cause, side, reason):
        print("FAIL corpus %s: got %s, want %s" % (name,
              r and (r["cause"], r["side"], r["reason"]), (cause, side, reason)))
        bad += 1
    elif r["status"] != "5.4.1":
        print("FAIL corpus %s: status %r" % (name, r["status"]))
        bad += 1
print("%d corpus samples checked, %d problems" % (len(corpus), bad))
sys.exit(1 if bad else 0)
EOF
[ $? -eq 0 ] && [ $rc1 -eq 0 ]
