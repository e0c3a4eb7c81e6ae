#!/usr/bin/env python3
# expect_rcpts.py - bounce-decode's recipients against an expected.tsv
#
# SYNOPSIS
#	python3 tests/lib/expect_rcpts.py [--hint-required] EXPECTED JSONL
#
# DESCRIPTION
#	JSONL is bounce-decode --json output (one object a message).
#	EXPECTED has one line a recipient, tab-separated: file (base name),
#	index (1 the first recipient; 0: the message must be no bounce, with
#	no recipient), cause, side, reason, status, inner_cause and a phrase
#	of the hint; an empty or missing field is not checked.  Lines
#	starting with '#' are comments.  With --hint-required every
#	recipient checked must have a hint.  Prints a line a problem
#	("FAIL file#index: ...") and "N checked, M problems"; exits 1 when
#	there is a problem.  Used by t_causes and t_providers.
import json
import os
import sys

FIELDS = ("cause", "side", "reason", "status", "inner_cause")


def load(path):
    """(name, index) -> recipient, and name -> bounce, of a JSONL file."""
    got, bounce = {}, {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            o = json.loads(line)
            name = os.path.basename(o["file"])
            bounce[name] = o.get("bounce", False)
            for i, r in enumerate(o["recipients"], 1):
                got[(name, i)] = r
    return got, bounce


def check(f, got, bounce, hint_required):
    """The problems of one expected line f (a list of 8 fields)."""
    name, idx = f[0], int(f[1])
    if idx == 0:
        if name not in bounce:
            return ["FAIL %s: not in the output" % name]
        if bounce[name] or any(k[0] == name for k in got):
            return ["FAIL %s: read as a bounce, but it is none" % name]
        return []
    r = got.get((name, idx))
    if r is None:
        return ["FAIL %s#%d: no such recipient in the output" % (name, idx)]
    out = []
    for field, w in zip(FIELDS, f[2:7]):
        if w and r.get(field) != w:
            out.append("FAIL %s#%d: %s is %r, want %r" % (name, idx, field,
                       r.get(field), w))
    if f[7] and f[7] not in (r.get("hint") or ""):
        out.append("FAIL %s#%d: hint lacks %r: %r" % (name, idx, f[7],
                   r.get("hint")))
    if hint_required and not r.get("hint"):
        out.append("FAIL %s#%d: empty hint" % (name, idx))
    return out


def main():
    args = sys.argv[1:]
    hint_required = bool(args) and args[0] == "--hint-required"
    if hint_required:
        args = args[1:]
    if len(args) != 2:
        print("usage: expect_rcpts.py [--hint-required] EXPECTED JSONL",
              file=sys.stderr)
        return 2
    got, bounce = load(args[1])
    bad = n = 0
    with open(args[0], encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            f = line.rstrip("\n").split("\t")
            f += [""] * (8 - len(f))
            n += 1
            for p in check(f, got, bounce, hint_required):
                print(p)
                bad += 1
    print("%d checked, %d problems" % (n, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
