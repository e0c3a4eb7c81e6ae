#!/bin/sh
# t_synopsis - each module's header comment lists exactly its exported
# functions
#
# Runs tests/lib/synopsis.py on milter/ and the objects of $BUILD/obj:
# for every milter/LAYER/NAME.c, the functions NAME.o exports (nm, T)
# against the prototypes in the SYNOPSIS of the file's first comment
# (or of NAME.h when the .c has none).  First shows that the checker
# fails on a planted module whose SYNOPSIS names a function it does not
# export and leaves out one it does.
BUILD=${BUILD:-build}
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
CC=${CC:-cc}
mkdir -p "$W/src/util" "$W/obj/util"
cat > "$W/src/util/p.c" <<'EOC'
/*
 * p.c - a planted module
 *
 * SYNOPSIS
 *	int	p_one(void);
 *	int	p_gone(int x);
 *
 * DESCRIPTION
 *	p_two() is not in the SYNOPSIS, p_gone() does not exist.
 */
int p_one(void);
int p_two(void);
int p_one(void) { return 1; }
int p_two(void) { return 2; }
EOC
$CC -c -o "$W/obj/util/p.o" "$W/src/util/p.c" || exit 1
if python3 tests/lib/synopsis.py "$W/src" "$W/obj" > "$W/out"; then
	echo "FAIL: a wrong SYNOPSIS passed"; cat "$W/out"; exit 1
fi
grep -q 'util/p.c: p_two exported, not in the SYNOPSIS' "$W/out" &&
grep -q 'util/p.c: p_gone in the SYNOPSIS of p.c, not exported' "$W/out" ||
    { cat "$W/out"; exit 1; }
echo "ok: the checker finds a function left out and one that is not there"
[ -d "$BUILD/obj/util" ] || { echo "no $BUILD/obj/util: build first"; exit 1; }
python3 tests/lib/synopsis.py milter "$BUILD/obj"
