#!/bin/sh
# t_docs - the project documents itself: bounce-milter-causes(7) covers the
# rules, and no user document or comment points outside the repository
#
# 1. mk/causes-man makes the page from rules/causes.rules; every "cause"
#    and "reason" id there has an entry with its meaning, side and hint,
#    and the built page (BUILD/man) is the one the rules make today.
# 2. The check of 1 fails on a page with an entry taken out, and the
#    generator fails on rules with a meaning taken out.
# 3. README.md, both programs' --help and the other man pages point to
#    the page; it renders without groff warnings (when groff is there).
# 4. No "../shared" path, and no name of the specification files kept
#    beside the repository (causes.md, interfaces.md, field-notes.md), in
#    README.md, man/, conf/, rules/, milter/, systemd/ or debian/: a
#    user's clone has none of them.  (Tests may read corpora from there.)
#    The check itself is shown to fail on a planted reference.
. tests/lib/common.sh
need_cmd python3 python3
test_tmpdir t_docs

RULES=rules/causes.rules
python3 mk/causes-man -V test "$RULES" >"$T/page.7" || { echo "FAIL: causes-man"; exit 1; }

# covers PAGE RULES: every id of RULES has an entry in PAGE: ".B id",
# then a meaning line, then Side: and Remediation: lines, all non-empty
covers() {
	awk '
	FNR == NR { if ($0 ~ /^(cause|reason)[ \t]/) ids[$2] = 1; next }
	/^\.B / { id = substr($0, 4); gsub(/\\-/, "-", id); cur = id; st = 1; next }
	st == 1 && cur != "" { if ($0 !~ /^\./ && $0 != "") mean[cur] = 1; st = 2; next }
	/^Side: ./ && cur != "" { side[cur] = 1 }
	/^Remediation: ./ && cur != "" { hint[cur] = 1 }
	END {
		for (i in ids) {
			if (!mean[i]) { print "no meaning for " i; bad = 1 }
			if (!side[i]) { print "no side for " i; bad = 1 }
			if (!hint[i]) { print "no remediation for " i; bad = 1 }
		}
		exit bad
	}' "$2" "$1"
}
n=$(grep -Ec '^(cause|reason)[[:space:]]' "$RULES")
ids=$(awk '/^(cause|reason)[ \t]/ { print $2 }' "$RULES" | sort -u | wc -l)
covers "$T/page.7" "$RULES" || bad "the page misses ids of $RULES"
echo "ok: bounce-milter-causes(7) documents all $ids ids of $RULES ($n blocks)"

if [ -f "$BUILD/man/bounce-milter-causes.7" ]; then
	# the entries (the header has the version, FILES the install path)
	sed -n '/^\.SH SIDES/,/^\.SH FILES/p' "$BUILD/man/bounce-milter-causes.7" >"$T/built"
	sed -n '/^\.SH SIDES/,/^\.SH FILES/p' "$T/page.7" >"$T/fresh"
	cmp -s "$T/built" "$T/fresh" ||
	    bad "$BUILD/man/bounce-milter-causes.7 is older than $RULES (make man)"
	[ -s "$T/built" ] && echo "ok: the built page matches the rules"
fi

# 2. the check and the generator catch what is missing
first=$(awk '/^cause[ \t]/ { print $2; exit }' "$RULES")
awk -v id="$first" '
	/^\.B / { x = substr($0, 4); gsub(/\\-/, "-", x); skip = (x == id) }
	/^\.TP/ { tp = $0; next }
	!skip { if (tp != "") print tp; print } { tp = "" }' "$T/page.7" >"$T/cut.7"
grep -q "^\.B $(echo "$first" | sed 's/-/\\\\-/g')\$" "$T/cut.7" && bad "could not cut $first"
covers "$T/cut.7" "$RULES" >"$T/out" && bad "a page without $first passes"
grep -q "no meaning for $first" "$T/out" || bad "the check does not name $first"
awk -v id="$first" '/^(cause|reason)[ \t]/ { cur = $2 }
	!(cur == id && $1 == "meaning")' "$RULES" >"$T/nomeaning.rules"
python3 mk/causes-man "$T/nomeaning.rules" >/dev/null 2>"$T/err" &&
    bad "causes-man accepts $first without a meaning"
grep -q "$first has no meaning" "$T/err" || bad "causes-man does not name $first"
echo "ok: a missing entry or meaning fails ($first)"

# 3. pointers to the page
grep -q 'bounce-milter-causes(7)' README.md || bad "README.md does not point to bounce-milter-causes(7)"
for p in man/bounce-milter.8 man/bounce-decode.1 man/bounce-milter.conf.5; do
	grep -q 'bounce\\-milter\\-causes (7)' "$p" || bad "$p: no SEE ALSO bounce-milter-causes(7)"
done
for prog in bounce-milter bounce-decode; do
	[ -x "$BUILD/$prog" ] || { bad "$BUILD/$prog missing"; continue; }
	"$BUILD/$prog" --help >"$T/help" 2>&1; rc=$?
	[ $rc = 0 ] || bad "$prog --help exits $rc"
	grep -q 'bounce-milter-causes(7)' "$T/help" || bad "$prog --help does not name bounce-milter-causes(7)"
done
echo "ok: README.md, three man pages and both --help point to the page"
if command -v groff >/dev/null 2>&1; then
	groff -man -Tutf8 -ww -z "$T/page.7" 2>"$T/groff"
	[ -s "$T/groff" ] && { bad "groff warnings:"; cat "$T/groff"; }
	echo "ok: groff renders it without warnings"
fi

# 4. nothing points outside the repository
PAT='\.\./shared|(^|[^a-z-])(causes|interfaces|field-notes)\.md'
DIRS="README.md man conf rules milter systemd debian"
standalone() {	# standalone ROOT: prints offending lines, fails on any
	(cd "$1" && for d in $DIRS; do [ -e "$d" ] && echo "$d"; done |
	    xargs grep -rnE "$PAT") && return 1
	return 0
}
standalone . || bad "references outside the repository (above)"
mkdir -p "$T/plant/milter" && echo '/* see ../shared/spec/causes.md */' >"$T/plant/milter/x.c"
standalone "$T/plant" >/dev/null && bad "the check misses a planted ../shared reference"
echo "ok: no ../shared or spec-file reference in $DIRS"

[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
exit 0
