# shapes_check.py - check bounce-decode --json results against an
# expected.tsv of tests/fixtures/dsn or tests/fixtures/mta
#
# usage: python3 shapes_check.py EXPECTED.tsv RESULTS.jsonl [PREFIX]
# Columns of EXPECTED.tsv: file, index (1-based recipient; "n" checks the
# count in the recipient column), recipient, action, cause, side, reason,
# status, inner_cause; empty: not checked, "+": not empty, "-": empty.
# Only the rows whose file starts with PREFIX when given.  Every result
# file must have a row.  Exit 1 on any difference.
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
only = sys.argv[3] if len(sys.argv) > 3 else ""
with open(sys.argv[1], encoding="utf-8") as fh:
    for line in fh:
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        f += [""] * (9 - len(f))
        name, idx = f[0], f[1]
        if not name.startswith(only):
            continue
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
missing = sorted(x for x in seen - checked if x.startswith(only))
if missing:
    print("FAIL: no expectation for " + " ".join(missing))
    bad += 1
print("%s: %d ok, %d failed" % (os.path.dirname(sys.argv[1]), ok, bad))
sys.exit(1 if bad else 0)
