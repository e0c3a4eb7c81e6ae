#!/bin/sh
# t_milter_systemd - the systemd unit passes `systemd-analyze verify`
#
# The unit names the installed program (/usr/local/sbin/bounce-milter),
# which a build tree does not have: a copy pointing at $BUILD is checked.
# Also prints the offline exposure score and fails above 3.0 ("OK" is
# below 4), and checks the sysusers.d and tmpfiles.d files' syntax.
. tests/lib/common.sh
need_cmd systemd-analyze systemd
need_built "$BUILD/bounce-milter"
test_tmpdir t_systemd
sed "s|/usr/local/sbin/bounce-milter|$(cd "$BUILD" && pwd)/bounce-milter|g" \
    systemd/bounce-milter.service >"$T/bounce-milter.service"
systemd-analyze verify --man=no "$T/bounce-milter.service" || { echo "FAIL: verify"; exit 1; }
echo "ok: systemd-analyze verify"
score=$(systemd-analyze security --offline=yes "$T/bounce-milter.service" 2>/dev/null |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [ -n "$score" ]; then
	echo "ok: exposure level $score"
	awk -v s="$score" 'BEGIN { exit !(s <= 3.0) }' || { echo "FAIL: exposure $score > 3.0"; exit 1; }
fi
# sysusers/tmpfiles: only their syntax can be checked without root changes
grep -Eq '^u bounce-milter ' systemd/bounce-milter.sysusers || { echo "FAIL: sysusers"; exit 1; }
if command -v systemd-tmpfiles >/dev/null 2>&1; then
	systemd-tmpfiles --dry-run --create systemd/bounce-milter.tmpfiles >/dev/null 2>"$T/err" ||
	    # older systemd has no --dry-run: fall back to a syntax check by hand
	    grep -q 'dry-run' "$T/err" || { cat "$T/err"; echo "FAIL: tmpfiles"; exit 1; }
fi
awk '!/^#/ && NF && $1 != "d" { bad = 1 } END { exit bad }' systemd/bounce-milter.tmpfiles ||
	{ echo "FAIL: tmpfiles line types"; exit 1; }
echo "ok: sysusers.d and tmpfiles.d files"
