#!/bin/sh
# t_shapes - bounces off the beaten path, and bounces real MTAs wrote
#
# Runs bounce-decode --json --no-dns on tests/fixtures/dsn/ (hand-written:
# delivery-status parts without a recipient group or malformed, a DSN
# forwarded inside message/rfc822, files that start with a blank line,
# recipient fields that hold no usable address: source routes, X.400,
# "system;<>", folded values, "SMTP:" prefixes) and tests/fixtures/mta/ (the
# bounces Postfix, Exim, OpenSMTPD and Sendmail wrote around a deferral,
# made by tests/mta/gen.sh) and checks each against the expected.tsv
# beside them: recipient, action, cause, side, reason, status and
# inner_cause per recipient, and recipient counts.
. tests/lib/common.sh
BIN="$BUILD/bounce-decode"
need_built "$BIN"
need_cmd python3
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
fails=0
for d in tests/fixtures/dsn tests/fixtures/mta; do
	"$BIN" --json --no-dns --rules rules "$d"/*.eml >"$out"
	rc=$?
	[ $rc -eq 0 ] || { echo "FAIL: bounce-decode exited $rc on $d"; fails=$((fails + 1)); continue; }
	python3 tests/lib/shapes_check.py "$d/expected.tsv" "$out" ||
	    fails=$((fails + 1))
done
exit $((fails > 0))
