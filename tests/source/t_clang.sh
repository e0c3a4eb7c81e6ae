#!/bin/sh
# t_clang - the whole tree builds with clang as well as gcc, warnings fatal
#
# Builds the programs and the unit tests with CC=clang into $BUILD-clang
# (the Makefile's -Wall -Wextra -Werror and the rest): gcc's build is the
# default one, so a warning only clang gives would otherwise go unseen.
# Skips (77) where clang is missing.
BUILD=${BUILD:-build}
command -v clang >/dev/null 2>&1 || { echo "clang missing: clang build not checked"; exit 77; }
make --no-print-directory -s BUILD="$BUILD-clang" CC=clang -j2 all tests || {
	echo "FAIL: the clang build"; exit 1; }
echo "ok: clang $(clang -dumpversion) builds the programs and the unit tests without a warning"
