#!/usr/bin/env python3
# layers.py - check the layering of milter/ from the objects' symbols
#
# SYNOPSIS
#	python3 tests/lib/layers.py OBJDIR
#
# DESCRIPTION
#	OBJDIR holds one folder a layer (OBJDIR/util/*.o, OBJDIR/decode/*.o,
#	...), as the Makefile builds them.  Reads every object's defined and
#	undefined symbols with nm(1), makes the graph "module A uses a
#	symbol module B defines", and fails (exit 1, one line a fault) when
#	  - a module uses a module of a later layer (LAYERS below: a lower
#	    layer never refers to a higher one), or
#	  - the graph has a cycle between modules, of any length.
#	Prints the number of modules, edges and layers checked.
import collections
import os
import subprocess
import sys

LAYERS = ["util", "decode", "classify", "evidence", "history", "daemon",
          "cli"]


def symbols(path):
    out = subprocess.run(["nm", path], capture_output=True, text=True,
                         check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[1] in "TDBRCV":
            defined.add(f[2])
        elif len(f) == 2 and f[0] == "U":
            used.add(f[1])
    return defined, used


def main():
    top = sys.argv[1]
    layer, owner, uses = {}, {}, {}
    for l in LAYERS:
        d = os.path.join(top, l)
        if not os.path.isdir(d):
            continue
        for n in sorted(os.listdir(d)):
            if not n.endswith(".o"):
                continue
            m = l + "/" + n[:-2]
            layer[m] = l
            defined, used = symbols(os.path.join(d, n))
            for s in defined - {"main"}:
                if s in owner:
                    print(f"symbol {s} defined in {owner[s]} and {m}")
                owner[s] = m
            uses[m] = used
    if not layer:
        print(f"no objects under {top}")
        return 1
    g = collections.defaultdict(set)
    why = {}
    for m, used in uses.items():
        for s in used:
            o = owner.get(s)
            if o is not None and o != m:
                g[m].add(o)
                why.setdefault((m, o), s)
    bad = 0
    for a in sorted(g):
        for b in sorted(g[a]):
            if LAYERS.index(layer[b]) > LAYERS.index(layer[a]):
                print(f"upward: {a} uses {b} ({why[(a, b)]})")
                bad += 1
    # cycles: Tarjan's strongly connected components
    index, low, stack, on, comps = {}, {}, [], set(), []
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            c = []
            while True:
                w = stack.pop()
                on.discard(w)
                c.append(w)
                if w == v:
                    break
            if len(c) > 1:
                comps.append(sorted(c))

    for v in sorted(layer):
        if v not in index:
            visit(v)
    for c in comps:
        edges = [f"{a} -> {b} ({why[(a, b)]})" for a in c for b in
                 sorted(g[a]) if b in c]
        print("cycle: " + "; ".join(edges))
        bad += 1
    nedges = sum(len(v) for v in g.values())
    print(f"{len(layer)} modules, {nedges} edges, "
          f"{len(set(layer.values()))} layers: {bad} faults")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
