#!/bin/sh
# t_mta_postfix - the deferral bounces of a real Postfix, made afresh
#
# As root with Postfix installed (else skipped): tests/mta/gen.sh runs a
# private Postfix on loopback against tests/mta/fake.py (a 550 5.4.1, a
# 421 [TSS04], a 450 greylisting, a refused connection; queue lifetime
# 12 s, delay warnings after 4 s) and collects the 7 bounces it writes;
# each must decode as tests/fixtures/mta/expected.tsv says for the kept
# postfix-*.eml.  About 25 s.  The other three MTAs: tests/mta/gen.sh by
# hand (they are fetched with apt-get download).
BUILD=${BUILD:-build}
BIN="$BUILD/bounce-decode"
[ -x "$BIN" ] || { echo "no $BIN (build first)"; exit 1; }
if [ "$(id -u)" != 0 ]; then
	echo "skipped: a private Postfix needs root (CI runs as root)"
	exit 77
fi
for p in postfix python3 ss script; do
	command -v "$p" >/dev/null 2>&1 ||
		{ echo "skipped: $p not installed (apt-get install postfix python3 iproute2 bsdutils)"; exit 77; }
done
id postfix >/dev/null 2>&1 || { echo "skipped: no postfix user"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/t_mta.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
sh tests/mta/gen.sh -o "$T/out" -t 50 postfix >"$T/gen.log" 2>&1 ||
	{ cat "$T/gen.log"; echo "FAIL: gen.sh"; exit 1; }
n=$(ls "$T/out" | wc -l)
if [ "$n" -ne 7 ]; then
	cat "$T/gen.log"
	echo "FAIL: $n bounces from Postfix, want 7 (4 bounces, 3 delay warnings)"
	exit 1
fi
"$BIN" --json --no-dns --rules rules "$T/out"/*.eml >"$T/out.jsonl" ||
	{ echo "FAIL: bounce-decode"; exit 1; }
python3 tests/lib/shapes_check.py tests/fixtures/mta/expected.tsv "$T/out.jsonl" postfix-
