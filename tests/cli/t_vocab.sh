#!/bin/sh
# t_vocab - a reason that exists only in rules/ works end to end
#
# The reason vocabulary is data (rules/reason-vocabulary).  In a copy of
# rules/, a made-up reason "frozen" (hard, implies X.2.1) gets a line
# there, its wording in reasons.rules, a place in reason-order and a
# "reason frozen" block in causes.rules, and nothing else: no program
# change.  tests/fixtures/vocab/frozen.eml (a 550 with no status that
# says "account is frozen") must then come out, in bounce-decode's
# JSON, as reason frozen, hard, status 5.2.1, and the side and hint of
# that block; through the [status] order, through the [text] order and
# through an [lhost *] row of reasons.rules.  With the repository's
# rules it is onhold, and a copy that uses the reason without its
# vocabulary line does not load (reasons.rules:LINE: unknown reason).
. tests/lib/common.sh
BD="$BUILD/bounce-decode"
need_built "$BD"
test_tmpdir t_vocab
M=tests/fixtures/vocab/frozen.eml

# field RULES KEY...: the first recipient's fields KEY, one a line
field() {
	"$BD" --json --no-dns --rules "$1" "$M" >"$T/out" 2>"$T/err" ||
	    { echo "exit $?: $(cat "$T/err")"; return; }
	shift
	python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))["recipients"][0]
print(" ".join(str(r[k]).lower() for k in sys.argv[2:]))' "$T/out" "$@"
}

# copy: a fresh copy of rules/ in $T/r with the vocabulary line added
copy() {
	rm -rf "$T/r"
	cp -R rules "$T/r"
	printf '# a made-up reason: the account is frozen\nfrozen\thard\timplies 2.1\n' \
	    >>"$T/r/reason-vocabulary"
	printf '\nreason frozen\n\tmeaning\tThe account is frozen.\n\tside\trecipient\n\thint\tThe account at {domain} is frozen.\n' \
	    >>"$T/r/causes.rules"
}

expect "repository rules" "$(field rules reason hard)" "onhold false"

# [status]: tried first
copy
printf '\n[frozen]\naccount is frozen\n' >>"$T/r/reasons.rules"
sed -i '0,/^\[status\]$/s//[status]\nfrozen/' "$T/r/reason-order"
expect "[status] order" "$(field "$T/r" reason hard status cause side hint)" \
    "frozen true 5.2.1 frozen recipient the account at tailspin.example.org is frozen."

# [text]: the wording alone, the bounce stating no status
copy
printf '\n[frozen]\naccount is frozen\n' >>"$T/r/reasons.rules"
sed -i '0,/^\[text\]$/s//[text]\nfrozen/' "$T/r/reason-order"
expect "[text] order" "$(field "$T/r" reason hard status)" "frozen true 5.2.1"

# an [lhost *] row: no [frozen] set, no place in reason-order
copy
printf '\n[lhost *]\nfrozen @550 ~ (?i)account is frozen\n' >>"$T/r/reasons.rules"
expect "[lhost *] row" "$(field "$T/r" reason hard status)" "frozen true 5.2.1"

# without the vocabulary line, reasons.rules does not load
copy
cp rules/reason-vocabulary "$T/r/reason-vocabulary"
printf '\n[frozen]\naccount is frozen\n' >>"$T/r/reasons.rules"
n=$(wc -l <"$T/r/reasons.rules" | tr -d ' ')
n=$((n - 1))
"$BD" --json --no-dns --rules "$T/r" "$M" >/dev/null 2>"$T/err"
expect "exit without the vocabulary line" "$?" 78
grep -q "^$T/r/reasons.rules:$n: unknown reason \"frozen\"" "$T/err" && ok ||
    bad "want reasons.rules:$n: unknown reason, got: $(cat "$T/err")"

[ $fails -eq 0 ] && echo "ok: a reason of the data alone: $checks checks"
exit $((fails > 0))
