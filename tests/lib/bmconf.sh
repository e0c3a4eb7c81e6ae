# tests/lib/bmconf.sh - the milter in the tests: its configuration, start
# and stop
#
# SYNOPSIS
#	. tests/lib/bmconf.sh
#	bm_conf_head SOCKET RULES [DNS]
#	bm_conf DIR PORT RULES
#	bm_start LOG CONF [OPTION...]
#	bm_stop
#	bm_kill
#
# DESCRIPTION
#	Sources tests/lib/common.sh and tests/lib/rules.sh (rules_public).
#
#	bm_conf_head prints the settings every test configuration starts
#	with: socket SOCKET (a milter socket, "unix:PATH" or
#	"inet:PORT@ADDR"), rules RULES, authserv-id mx.test.example and
#	dns DNS, by default no DNS evidence ("{ spf = false; dkim = false;
#	mx = false; }").  The test adds its own settings after them.
#
#	bm_conf writes DIR/bm.conf for a milter listening on
#	127.0.0.1:PORT with the rules RULES (an absolute path, as
#	rules_public of tests/lib/rules.sh prints it), no DNS evidence, and
#	its history in DIR/hist/history.db; it makes DIR/hist, owned by
#	nobody (the milter runs with -u nobody).  Used by t_postfix and
#	t_sendmail.
#
#	bm_start starts $M (the bounce-milter to test) in the background
#	with -f -e, the OPTIONs and -c CONF, its standard error appended
#	to LOG, prefixed by $BM_WRAP when set (valgrind); sets pid, and
#	waits until the milter logs "listening on" in LOG (a line after
#	those LOG had), for at most $BM_WAIT seconds (default 5).  It
#	returns 1 when that line never came.
#
#	bm_stop sends SIGTERM to the milter of bm_start, waits for it,
#	clears pid and returns its exit status (0 for a clean stop).
#	bm_kill (for the EXIT trap) ends it, if it still runs.
. tests/lib/common.sh
. tests/lib/rules.sh

bm_conf_head() {
	_bm_dns=${3:-'{ spf = false; dkim = false; mx = false; }'}
	cat <<EOC
socket = "$1";
rules = "$2";
authserv_id = "mx.test.example";
dns = $_bm_dns;
EOC
}

bm_conf() {
	{
		bm_conf_head "inet:$2@127.0.0.1" "$3"
		echo "history = { path = \"$1/hist/history.db\"; };"
	} >"$1/bm.conf"
	mkdir -p "$1/hist" && chown nobody "$1/hist"
}

bm_start() {
	_bm_log=$1 _bm_conf=$2
	shift 2
	_bm_had=$(cat "$_bm_log" 2>/dev/null | wc -l)
	$BM_WRAP "$M" -f -e "$@" -c "$_bm_conf" 2>>"$_bm_log" &
	pid=$!
	wait_for "${BM_WAIT:-5}" _bm_listening
}

_bm_listening() {
	tail -n "+$((_bm_had + 1))" "$_bm_log" | grep -q "listening on"
}

bm_stop() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	_bm_rc=$?
	pid=""
	return $_bm_rc
}

bm_kill() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	return 0
}
