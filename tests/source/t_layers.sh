#!/bin/sh
# t_layers - the source layers of milter/ depend one way only, no cycles
#
# Runs tests/lib/layers.py on the objects of $BUILD/obj (one folder a
# layer), after showing that the checker itself fails on a planted
# upward reference and on a planted two-module cycle.
BUILD=${BUILD:-build}
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
CC=${CC:-cc}
mkdir -p "$W/obj/util" "$W/obj/decode"
# util/a uses decode/b: upward
printf 'int b(void);\nint a(void){return b();}\n' > "$W/a.c"
printf 'int b(void);\nint b(void){return 1;}\n' > "$W/b.c"
$CC -c -o "$W/obj/util/a.o" "$W/a.c" && $CC -c -o "$W/obj/decode/b.o" "$W/b.c" || exit 1
if python3 tests/lib/layers.py "$W/obj" > "$W/out"; then
	echo "FAIL: an upward reference passed"; cat "$W/out"; exit 1
fi
grep -q '^upward: util/a uses decode/b (b)' "$W/out" || { cat "$W/out"; exit 1; }
# decode/b and decode/c use each other: a cycle
rm -f "$W/obj/util/a.o"
printf 'int c(void);\nint b(void);\nint b(void){return c();}\n' > "$W/b.c"
printf 'int b(void);\nint c(void);\nint c(void){return b();}\n' > "$W/c.c"
$CC -c -o "$W/obj/decode/b.o" "$W/b.c" && $CC -c -o "$W/obj/decode/c.o" "$W/c.c" || exit 1
if python3 tests/lib/layers.py "$W/obj" > "$W/out"; then
	echo "FAIL: a cycle passed"; cat "$W/out"; exit 1
fi
grep -q '^cycle: ' "$W/out" || { cat "$W/out"; exit 1; }
echo "ok: the checker finds a planted upward reference and a cycle"
[ -d "$BUILD/obj/util" ] || { echo "no $BUILD/obj/util: build first"; exit 1; }
python3 tests/lib/layers.py "$BUILD/obj"
