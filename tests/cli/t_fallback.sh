#!/bin/sh
# t_fallback - notices no family knows, in other languages, delay warnings
#
# Runs bounce-decode --json --no-dns on the hand-written messages of
#   tests/fixtures/sender/     notices whose From is no daemon's (issue 13, 1)
#   tests/fixtures/freetext/   free-text notices read by the fallback (2)
#   tests/fixtures/lang/       notices in other languages and charsets (3)
#   tests/fixtures/delay/      delay warnings written as text (6)
#   tests/fixtures/lookalike/  messages that look like notices and are not
# and checks each against the folder's expected.tsv: file, bounce
# (yes, no, or autoreply: kind autoreply, no failed recipient), the
# failed recipients (comma-separated, any order), their
# action and reason ("-": not checked).
. tests/lib/common.sh
BIN="$BUILD/bounce-decode"
need_built "$BIN"
need_cmd python3
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
for d in sender freetext lang delay lookalike; do
	"$BIN" --json --no-dns --rules rules tests/fixtures/$d/*.eml >>"$out" ||
	    { echo "bounce-decode exited $? on $d"; exit 1; }
done
exec python3 - "$out" tests/fixtures/sender tests/fixtures/freetext tests/fixtures/lang \
    tests/fixtures/delay tests/fixtures/lookalike <<'PY'
import json, os, sys

got = {}
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    got[d["file"]] = d
bad = n = 0
for folder in sys.argv[2:]:
    for line in open(os.path.join(folder, "expected.tsv"), encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        name, bounce, rcpts, action, reason = line.rstrip("\n").split("\t")
        n += 1
        path = os.path.join(folder, name)
        d = got.get(path)
        if d is None:
            print("%s: no result" % path)
            bad += 1
            continue
        why = []
        if bounce == "autoreply":
            if d["kind"] != "autoreply":
                why.append("kind %r, want autoreply" % d["kind"])
        elif d["bounce"] != (bounce == "yes"):
            why.append("bounce %s, want %s" % (d["bounce"], bounce))
        failed = [r for r in d["recipients"]
                  if r["action"] in ("failed", "delayed")]
        if bounce != "yes" and [r for r in d["recipients"]
                                if r["action"] in ("failed", "delayed")]:
            why.append("failed recipients reported")
        if bounce == "yes":
            want = sorted(a for a in rcpts.split(",") if a)
            have = sorted(r["recipient"].lower() for r in failed)
            if have != want:
                why.append("recipients %s, want %s" % (have, want))
            for r in failed:
                if action != "-" and r["action"] != action:
                    why.append("%s action %s, want %s" %
                               (r["recipient"], r["action"], action))
                if reason != "-" and r["reason"] != reason:
                    why.append("%s reason %s, want %s" %
                               (r["recipient"], r["reason"], reason))
        if why:
            bad += 1
            print("%s: %s" % (path, "; ".join(why)))
print("%d messages, %d wrong" % (n, bad))
sys.exit(1 if bad else 0)
PY
