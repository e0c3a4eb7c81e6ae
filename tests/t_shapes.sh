#!/bin/sh
# t_shapes - bounces off the beaten path, and bounces real MTAs wrote
#
# Runs bounce-decode --json --no-dns on tests/msgs/dsn/ (hand-written:
# delivery-status parts without a recipient group or malformed, a DSN
# forwarded inside message/rfc822, files that start with a blank line,
# recipient fields that hold no usable address: source routes, X.400,
# "system;<>", folded values, "SMTP:" prefixes) and tests/msgs/mta/ (the
# bounces Postfix, Exim, OpenSMTPD and Sendmail wrote around a deferral,
# made by tests/mta/gen.sh) and checks each against the expected.tsv
# beside them: recipient, action, cause, side, reason, status and
# inner_cause per recipient, and recipient counts.
BUILD=${BUILD:-build}
BIN="$BUILD/bounce-decode"
[ -x "$BIN" ] || { echo "no $BIN (build first)"; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "skipped: python3 missing"; exit 77; }
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
fails=0
for d in tests/msgs/dsn tests/msgs/mta; do
	"$BIN" --json --no-dns --rules rules "$d"/*.eml >"$out"
	rc=$?
	[ $rc -eq 0 ] || { echo "FAIL: bounce-decode exited $rc on $d"; fails=$((fails + 1)); continue; }
	python3 - "$d/expected.tsv" "$out" <<'PY' || fails=$((fails + 1))
import json, os, sys

got, count, seen = {}, {}, set()
with open(sys.argv[2], encoding="utf-8") as fh:
    for line in fh:
        o = json.loads(line)
        name = os.path.basename(o["file"])
        seen.add(name)
        rs = [r for r in o["recipients"]]
        count[name] = len(rs)
        for i, r in enumerate(rs, 1):
            got[(name, i)] = r
keys = ["recipient", "action", "cause", "side", "reason", "status",
        "inner_cause"]
bad = ok = 0
checked = set()
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        f += [""] * (9 - len(f))
        name, idx = f[0], f[1]
        checked.add(name)
        if idx == "n":
            if count.get(name) != int(f[2]):
                print("FAIL: %s: %s recipients, want %s" %
                      (name, count.get(name), f[2]))
                bad += 1
            else:
                ok += 1
            continue
        r = got.get((name, int(idx)))
        if r is None:
            print("FAIL: %s #%s: no such recipient (bounce: %s)" %
                  (name, idx, name in seen and count.get(name)))
            bad += 1
            continue
        for k, want in zip(keys, f[2:9]):
            have = r.get(k, "")
            if want == "" or (want == "+" and have) or \
               (want == "-" and not have) or want == have:
                continue
            print("FAIL: %s #%s %s: want %s, got %s" % (name, idx, k,
                  want, have))
            bad += 1
            break
        else:
            ok += 1
missing = sorted(seen - checked)
if missing:
    print("FAIL: no expectation for " + " ".join(missing))
    bad += 1
print("%s: %d ok, %d failed" % (os.path.dirname(sys.argv[1]), ok, bad))
sys.exit(1 if bad else 0)
PY
done
exit $((fails > 0))
