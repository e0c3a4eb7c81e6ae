#!/bin/sh
# t_config - bounce-milter's command line and configuration checks
#
# -n on the shipped configurations (they must load), -n on bad files
# (exit 78, "FILE:LINE: message" on stderr), conf/bounce-milter.conf
# equal to the built-in defaults, -V naming every linked library, usage
# errors (exit 2), and bounce-decode reading the same file.
. tests/lib/common.sh
M="$BUILD/bounce-milter"
need_built "$M"
test_tmpdir t_config

# 1. the shipped files load (rules from the checkout)
for c in conf/bounce-milter.conf conf/bounce-milter.packaged.conf; do
	sed 's|^rules = .*|rules = "'"$(pwd)"'/rules";|' "$c" >"$T/c.conf"
	out=$("$M" -n -c "$T/c.conf" 2>&1) || bad "$c does not load: $out"
done
echo "ok: shipped configurations load"

# 2. the commented file is the built-in defaults: same -n summary
"$M" -n -c conf/bounce-milter.conf >"$T/a" 2>&1
"$M" -n -c /dev/null >"$T/b" 2>&1
sed 's/^[^:]*: //' "$T/a" >"$T/a2"
sed 's/^[^:]*: //' "$T/b" >"$T/b2"
cmp -s "$T/a2" "$T/b2" || bad "conf/bounce-milter.conf differs from the defaults: $(cat "$T/a") / $(cat "$T/b")"
# every setting config.c knows appears in it (uncommented)
for k in socket umask user authserv_id syslog_facility rules headers \
    max_header_recipients internal_networks outbound_ips our_domains outbound_relay \
    dns resolver timeout_ms spf dkim mx history path retention_days \
    max_message_size max_classify_ms trends window dbeb_addresses \
    blocked_domains outgoing_headers; do
	grep -Eq "^[[:space:]]*$k = " conf/bounce-milter.conf || bad "conf/bounce-milter.conf lacks $k"
done
echo "ok: conf/bounce-milter.conf matches the built-in defaults"

# 3. bad files: exit 78 and FILE:LINE: message
check_bad() {	# TEXT LINE SUBSTRING
	printf '%b' "$1" >"$T/bad.conf"
	"$M" -n -c "$T/bad.conf" >"$T/out" 2>&1
	rc=$?
	[ $rc -eq 78 ] || bad "exit $rc, not 78, for: $1"
	grep -q "^$T/bad.conf:$2: .*$3" "$T/out" || bad "no '$T/bad.conf:$2: ...$3' for: $1 (got: $(cat "$T/out"))"
}
check_bad 'socket = "inet:8895@127.0.0.1";\nsokcet = "x";\n' 2 "unknown setting sokcet"
check_bad 'umask = 007;\n' 1 "string"
check_bad '\n\nmax_message_size = 1;\n' 3 "out of range"
check_bad 'dns = {\n  resolver = "nowhere";\n};\n' 2 "dns.resolver"
check_bad 'headers = yes;\n' 1 ""
check_bad '\nrules = "/nonexistent/rules";\n' 2 "not a directory"
"$M" -n -c "$T/missing.conf" >"$T/out" 2>&1
[ $? -eq 78 ] && grep -q "missing.conf:0: cannot read" "$T/out" || bad "missing -c file: $(cat "$T/out")"
echo "ok: bad configurations exit 78 with FILE:LINE"

# 4. a broken rules file is reported the same way
cp -R rules "$T/rules"
echo 'not a rule at all' >>"$T/rules/reasons.rules"
printf 'rules = "%s";\n' "$T/rules" >"$T/r.conf"
"$M" -n -c "$T/r.conf" >"$T/out" 2>&1
[ $? -eq 78 ] && grep -q "^$T/rules/reasons.rules:[0-9]*: " "$T/out" || bad "broken rules: $(cat "$T/out")"
echo "ok: broken rules exit 78 with FILE:LINE"

# 5. -V names the linked libraries
"$M" -V >"$T/v" 2>&1 || bad "-V failed"
for l in bounce-milter libmilter libconfig PCRE2 libspf2 libopendkim SQLite; do
	grep -q "^$l [0-9]" "$T/v" || bad "-V does not print $l"
done
echo "ok: -V: $(tr '\n' ',' <"$T/v" | sed 's/,$//; s/,/, /g')"

# 6. usage errors
"$M" -Z >/dev/null 2>&1; [ $? -eq 2 ] || bad "unknown flag: not exit 2"
"$M" extra >/dev/null 2>&1; [ $? -eq 2 ] || bad "extra argument: not exit 2"
echo "ok: usage errors exit 2"

# 7. bounce-decode reads the same configuration
if [ -x "$BUILD/bounce-decode" ]; then
	"$BUILD/bounce-decode" -c "$T/bad.conf" --no-dns /dev/null >/dev/null 2>&1
	[ $? -eq 78 ] || bad "bounce-decode accepts a bad configuration"
	echo "ok: bounce-decode -c checks the same file"
fi
exit $((fails > 0))
