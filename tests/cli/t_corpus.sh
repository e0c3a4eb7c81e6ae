#!/bin/sh
# t_corpus - score bounce-decode on the shared Sisimai corpus
#
# Fails when any figure drops below the level reached so far, kept in
# tests/corpus.min (raise it as the classifier improves, never lower it).
# Skips when ../shared/corpus is absent (a user's clone).
C="$SHARED/corpus"
if [ ! -d "$C/bsd" ] || [ ! -x "$SHARED/tools/score-corpus" ]; then
	echo "skipped: no corpus at $C (needs ../shared beside the checkout)"
	exit 77
fi
out="$BUILD/corpus.jsonl"
"$BUILD/bounce-decode" --json --no-dns --rules rules "$C/bsd" "$C/not" >"$out"
rc=$?
[ $rc -le 1 ] || { echo "bounce-decode exited $rc"; exit 1; }
# shellcheck disable=SC2046
exec python3 "$SHARED/tools/score-corpus" "$C/expected.tsv" "$out" \
	--not-dir "$C/not" $(grep -v '^#' tests/corpus.min)
