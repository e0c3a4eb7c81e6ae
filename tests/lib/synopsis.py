#!/usr/bin/env python3
# synopsis.py - each module's SYNOPSIS names exactly its exported functions
#
# SYNOPSIS
#	python3 tests/lib/synopsis.py SRCDIR OBJDIR   (tests/source/t_synopsis.sh)
#
# DESCRIPTION
#	For every module SRCDIR/LAYER/NAME.c (objects OBJDIR/LAYER/NAME.o,
#	as the Makefile builds them): the functions the object exports
#	(nm(1): defined text symbols, T) against the functions its header
#	comment lists.  The header comment is the first comment of NAME.c;
#	its SYNOPSIS section (up to DESCRIPTION or the comment's end) names
#	a function as an identifier followed by "(".  A module whose
#	comment has no SYNOPSIS takes the SYNOPSIS of NAME.h.  main() and
#	the libFuzzer/miltertest entry points are not counted.  Fails
#	(exit 1, one line a fault) for a function exported and not listed,
#	or listed and not exported; prints the modules and functions
#	checked.
import os
import re
import subprocess
import sys

SKIP = {"main"}
IDENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")
# words before "(" in a SYNOPSIS that are not function names
NOT_FN = {"if", "for", "while", "return", "sizeof", "switch", "struct",
          "const", "int", "void", "char", "size_t", "unsigned", "long",
          "double", "bool", "enum", "e", "g", "i"}


def exported(obj):
    out = subprocess.run(["nm", "--defined-only", obj], capture_output=True,
                         text=True, check=True).stdout
    return {f[2] for f in (l.split() for l in out.splitlines())
            if len(f) == 3 and f[1] == "T"} - SKIP


def synopsis(path):
    """The names of the SYNOPSIS of path's first comment, or None."""
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return None
    m = re.search(r"/\*(.*?)\*/", text, re.S)
    if not m:
        return None
    body = m.group(1)
    s = re.search(r"^\s*\*?\s*SYNOPSIS\s*$(.*?)(^\s*\*?\s*[A-Z][A-Z ]+\s*$|\Z)",
                  body, re.S | re.M)
    if not s:
        return None
    names = set()
    for line in s.group(1).splitlines():
        line = re.sub(r"^\s*\*", "", line)
        if line.strip().startswith("#include"):
            continue
        # a prototype: the identifier right before the first "(" that is
        # not inside an argument list
        for mm in IDENT.finditer(line):
            if mm.group(1) not in NOT_FN:
                names.add(mm.group(1))
                break
    return names


def main():
    src, obj = sys.argv[1], sys.argv[2]
    faults, nmod, nfn = [], 0, 0
    for layer in sorted(os.listdir(src)):
        d = os.path.join(src, layer)
        if not os.path.isdir(d):
            continue
        for n in sorted(os.listdir(d)):
            if not n.endswith(".c"):
                continue
            o = os.path.join(obj, layer, n[:-2] + ".o")
            if not os.path.exists(o):
                continue
            ex = exported(o)
            listed = synopsis(os.path.join(d, n))
            where = n
            if listed is None:
                listed = synopsis(os.path.join(d, n[:-2] + ".h"))
                where = n[:-2] + ".h"
            m = layer + "/" + n
            nmod += 1
            nfn += len(ex)
            if listed is None:
                if ex:
                    faults.append("%s: no SYNOPSIS (exports %s)" %
                                  (m, " ".join(sorted(ex))))
                continue
            for f in sorted(ex - listed):
                faults.append("%s: %s exported, not in the SYNOPSIS of %s"
                              % (m, f, where))
            for f in sorted(listed - ex):
                faults.append("%s: %s in the SYNOPSIS of %s, not exported"
                              % (m, f, where))
    for f in faults:
        print(f)
    print("synopsis: %d modules, %d exported functions, %d faults" %
          (nmod, nfn, len(faults)))
    return 1 if faults else 0


if __name__ == "__main__":
    sys.exit(main())
