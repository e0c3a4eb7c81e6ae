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
BUILD=${BUILD:-build}
DIR=tests/fixtures/providers
BIN="$BUILD/bounce-decode"
if [ ! -x "$BIN" ]; then
	echo "no $BIN (build first)"
	exit 1
fi
command -v python3 >/dev/null 2>&1 || { echo "skipped: python3 missing"; exit 77; }
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
"$BIN" --json --no-dns --rules rules "$DIR"/*.eml >"$out"
rc=$?
[ $rc -le 1 ] || { echo "bounce-decode exited $rc"; exit 1; }

exec python3 - "$DIR/expected.tsv" "$out" <<'PY'
import json, os, sys

got, bounce = {}, {}
with open(sys.argv[2], encoding="utf-8") as fh:
    for line in fh:
        if not line.strip():
            continue
        o = json.loads(line)
        name = os.path.basename(o["file"])
        bounce[name] = o.get("bounce", False)
        for i, r in enumerate(o["recipients"], 1):
            got[(name, i)] = r
bad = n = 0
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        f += [""] * (8 - len(f))
        name, idx = f[0], int(f[1])
        n += 1
        if idx == 0:
            if name not in bounce:
                print("FAIL %s: not in the output" % name)
                bad += 1
            elif bounce[name] or any(k[0] == name for k in got):
                print("FAIL %s: read as a bounce, but it is none" % name)
                bad += 1
            continue
        r = got.get((name, idx))
        if r is None:
            print("FAIL %s#%d: no such recipient in the output" % (name, idx))
            bad += 1
            continue
        for field, w in (("cause", f[2]), ("side", f[3]), ("reason", f[4]),
                         ("status", f[5]), ("inner_cause", f[6])):
            if w and r.get(field) != w:
                print("FAIL %s#%d: %s is %r, want %r" % (name, idx, field,
                      r.get(field), w))
                bad += 1
        if f[7] and f[7] not in (r.get("hint") or ""):
            print("FAIL %s#%d: hint lacks %r: %r" % (name, idx, f[7],
                  r.get("hint")))
            bad += 1
print("%d checked, %d problems" % (n, bad))
sys.exit(1 if bad else 0)
PY
