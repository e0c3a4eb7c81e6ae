# tests/lib/rules.sh - the rules a milter started with -u USER can read
#
# SYNOPSIS
#	. tests/lib/rules.sh
#	RULES=$(rules_public DIR)
#
# DESCRIPTION
#	A milter started as root with -u nobody checks at start that its
#	configuration and rules stay readable by that user (a reload runs
#	as nobody) and exits 78 when they do not.  A checkout under a
#	directory nobody cannot enter (root's home, mode 0700, as in
#	`make fresh-check`) fails that check, so the tests that start the
#	milter as another user give it a copy: rules_public copies
#	${BM_RULES:-rules} (relative to the repository root, where tests/run
#	starts every test) to DIR/rules, makes it readable by all and prints
#	its absolute path.  DIR itself must be enterable by that user (the
#	tests chmod 755 their temporary directory).  Returns non-zero, with
#	a message on stderr, when the copy fails.
rules_public() {
	rm -rf "$1/rules" &&
	cp -R "${BM_RULES:-rules}" "$1/rules" &&
	chmod -R a+rX "$1/rules" &&
	(cd "$1/rules" && pwd) ||
	{ echo "rules_public: cannot copy ${BM_RULES:-rules} to $1/rules" >&2; return 1; }
}
