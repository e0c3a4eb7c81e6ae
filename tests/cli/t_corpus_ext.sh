#!/bin/sh
# t_corpus_ext - score bounce-decode on the external labelled bounce set
#
# Real bounces from other projects' test suites (../shared/corpus-ext,
# scored by ../shared/tools/score-ext).  Fails when a figure of the
# summary line drops below tests/corpus-ext.min (bounce-acc, rcpt-recall,
# status: at least; max-fp: at most).  Raise the file as the decoder
# improves, never lower it.  Skips when the set is absent (a user's clone).
C="$SHARED/corpus-ext"
if [ ! -f "$C/labels.tsv" ] || [ ! -d "$C/msgs" ] ||
    [ ! -x "$SHARED/tools/score-ext" ]; then
	echo "skipped: no external bounce set at $C (needs ../shared beside the checkout)"
	exit 77
fi
out="$BUILD/corpus-ext.jsonl"
"$BUILD/bounce-decode" --json --no-dns --rules rules "$C/msgs" >"$out"
rc=$?
[ $rc -le 1 ] || { echo "bounce-decode exited $rc"; exit 1; }
line=$(python3 "$SHARED/tools/score-ext" "$C/labels.tsv" "$out" | tail -1)
echo "$line"
grep -v '^#' tests/corpus-ext.min | awk -v line="$line" '
BEGIN {
	n = split(line, w, " ")
	for (i = 1; i < n; i++) {
		v = w[i + 1]
		sub(/%$/, "", v)
		got[w[i]] = v
	}
	bad = 0
}
NF == 2 {
	key = $1
	if (key == "max-fp") {
		if (!("fp" in got) || got["fp"] + 0 > $2 + 0) {
			printf "fp %s above %s\n", got["fp"], $2
			bad = 1
		}
		next
	}
	if (!(key in got) || got[key] + 0 < $2 + 0) {
		printf "%s %s below %s\n", key, got[key], $2
		bad = 1
	}
}
END { exit bad }'
