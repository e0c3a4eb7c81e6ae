#!/bin/sh
# t_providers - the large mailbox providers' refusals for their sender
# requirements, read by their words (causes.md, "Provider sender
# requirements"), and the smaller 5.4.1-side classes next to them
#
# Runs bounce-decode --json --no-dns on the hand-made bounces in
# tests/fixtures/providers/ (each provider code in a real MTA's wrapper:
# Postfix, Exim, Sendmail, qmail, Exchange Online, Gmail's own bounce)
# and checks each recipient's cause, side, reason, status, inner_cause
# and a phrase of its hint against tests/fixtures/providers/expected.tsv.
# Index 0 in that file says the message is no bounce at all.
#
# Then the providers' published replies (tests/fixtures/providers/
# replies.tsv, 157 texts), each wrapped by tests/lib/wrap_reply.py in
# up to five MTAs' bounces: prints every one whose cause or side is not
# what the file wants, and fails when the share right drops below
# tests/fixtures/providers/replies.min (a ratchet: raise it, never lower
# it).
. tests/lib/common.sh
DIR=tests/fixtures/providers
BIN="$BUILD/bounce-decode"
need_built "$BIN"
need_cmd python3
out=$(mktemp) || exit 1
wdir=$(mktemp -d) || exit 1
trap 'rm -f "$out"; rm -rf "$wdir"' EXIT
"$BIN" --json --no-dns --rules rules "$DIR"/*.eml >"$out"
rc=$?
[ $rc -le 1 ] || { echo "bounce-decode exited $rc"; exit 1; }

python3 tests/lib/expect_rcpts.py "$DIR/expected.tsv" "$out"
rc1=$?

n=$(python3 tests/lib/wrap_reply.py "$DIR/replies.tsv" "$wdir") || exit 1
"$BIN" --json --no-dns --rules rules "$wdir"/*.eml >"$out"
rc=$?
[ $rc -le 1 ] || { echo "bounce-decode exited $rc"; exit 1; }
python3 - "$DIR/replies.tsv" "$out" "$n" "$(grep -v '^#' "$DIR/replies.min")" <<'PY'
import json, os, sys

want = {}
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t", 4)
        causes, side = f[3].split(":")
        want[f[0]] = (causes.split("/"), side)
ok = tot = 0
seen = set()
with open(sys.argv[2], encoding="utf-8") as fh:
    for line in fh:
        if not line.strip():
            continue
        o = json.loads(line)
        cid, w = os.path.basename(o["file"])[:-4].split("--")
        seen.add(os.path.basename(o["file"]))
        causes, side = want[cid]
        r = o["recipients"][0] if o["recipients"] else {}
        tot += 1
        if r.get("cause") in causes and r.get("side") == side:
            ok += 1
        else:
            print("miss %s [%s]: %s:%s, want %s:%s" % (cid, w,
                  r.get("cause"), r.get("side"), "/".join(causes), side))
share = 100.0 * ok / max(tot, 1)
print("published replies: %d bounces of %d texts, cause and side right "
      "on %d (%.1f%%), at least %s%% wanted" % (tot, len(want), ok, share,
      sys.argv[4].strip()))
if tot != int(sys.argv[3]):
    print("FAIL: %s bounces written, %d read" % (sys.argv[3], tot))
    sys.exit(1)
sys.exit(1 if share < float(sys.argv[4]) else 0)
PY
rc2=$?
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]
