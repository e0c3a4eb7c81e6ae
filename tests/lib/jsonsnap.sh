#!/bin/sh
# jsonsnap.sh - bounce-decode's JSON over the corpora and mutated inputs
#
# SYNOPSIS
#	sh tests/lib/jsonsnap.sh [-r RULES] [-n N] BUILD OUTDIR
#
# DESCRIPTION
#	The behaviour gate of a refactoring: writes, with BUILD/bounce-decode
#	--json --no-dns (and --rules RULES, default the repository's rules/),
#	OUTDIR/corpus.json (../shared/corpus, bsd/ and not/),
#	OUTDIR/corpus-ext.json (../shared/corpus-ext/msgs) and
#	OUTDIR/mutated.json (N, default 1000, mutated copies of samples of
#	both corpora, tests/lib/mutate.py with its fixed seed, generated in
#	OUTDIR/mut/), then prints one "md5  file" line a snapshot.  Files are
#	given by relative, sorted names, so snapshots of two trees or two
#	builds compare byte for byte: run it before and after a change and
#	cmp (or compare the md5 lines).  Exit statuses of bounce-decode go
#	to OUTDIR/NAME.rc (1 is normal for an unreadable input).
#	Environment: SHARED (default ../shared of the repository); a corpus
#	that is not there is left out with a message.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SHARED:-$ROOT/../shared}
RULES=$ROOT/rules
N=1000
while [ $# -gt 0 ]; do
	case $1 in
	-r) RULES=$2; shift 2 ;;
	-n) N=$2; shift 2 ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || { echo "usage: jsonsnap.sh [-r RULES] [-n N] BUILD OUTDIR" >&2; exit 2; }
BD=$(cd "$1" && pwd)/bounce-decode
RULES=$(cd "$RULES" && pwd)
mkdir -p "$2"
OUT=$(cd "$2" && pwd)
[ -x "$BD" ] || { echo "jsonsnap: no $BD" >&2; exit 2; }

snap() {	# snap NAME DIR SUBDIR...: decode DIR's files (sorted, relative)
	name=$1 dir=$2; shift 2
	if [ ! -d "$dir" ]; then
		echo "jsonsnap: no $dir, $name left out" >&2
		return
	fi
	(cd "$dir" && find "$@" -type f | LC_ALL=C sort |
	    xargs "$BD" --json --no-dns --rules "$RULES" >"$OUT/$name.json" \
	    2>"$OUT/$name.err"; echo $? >"$OUT/$name.rc")
}

snap corpus "$SHARED/corpus" bsd not
snap corpus-ext "$SHARED/corpus-ext" msgs
if [ "$N" -gt 0 ] && [ -d "$SHARED/corpus" ]; then
	rm -rf "$OUT/mut"
	# samples: every file of both corpora, in sorted order
	(cd "$SHARED" && find corpus/bsd corpus/not corpus-ext/msgs -type f \
	    2>/dev/null | LC_ALL=C sort) >"$OUT/samples"
	(cd "$SHARED" && xargs python3 "$ROOT/tests/lib/mutate.py" -n "$N" \
	    "$OUT/mut" <"$OUT/samples")
	snap mutated "$OUT/mut" .
fi
cd "$OUT" && md5sum *.json
