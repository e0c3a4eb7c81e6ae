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
# obj LAYER/NAME CALLS: $W/obj/LAYER/NAME.o, whose function NAME() calls
# CALLS()
obj() {
	printf 'int %s(void);\nint %s(void);\nint %s(void){return %s();}\n' \
	    "$2" "${1#*/}" "${1#*/}" "$2" >"$W/${1#*/}.c"
	$CC -c -o "$W/obj/$1.o" "$W/${1#*/}.c" || exit 1
}
# planted WHAT PATTERN: layers.py must fail on $W/obj with a PATTERN line
planted() {
	if python3 tests/lib/layers.py "$W/obj" > "$W/out"; then
		echo "FAIL: $1 passed"; cat "$W/out"; exit 1
	fi
	grep -q "$2" "$W/out" || { cat "$W/out"; exit 1; }
}
# util/a uses decode/b: upward
obj util/a b
printf 'int b(void);\nint b(void){return 1;}\n' > "$W/b.c"
$CC -c -o "$W/obj/decode/b.o" "$W/b.c" || exit 1
planted "an upward reference" '^upward: util/a uses decode/b (b)'
# decode/b and decode/c use each other: a cycle
rm -f "$W/obj/util/a.o"
obj decode/b c
obj decode/c b
planted "a cycle" '^cycle: '
echo "ok: the checker finds a planted upward reference and a cycle"
[ -d "$BUILD/obj/util" ] || { echo "no $BUILD/obj/util: build first"; exit 1; }
python3 tests/lib/layers.py "$BUILD/obj"
