# tests/lib/bmconf.sh - the milter's configuration in the MTA tests
#
# SYNOPSIS
#	. tests/lib/bmconf.sh
#	bm_conf DIR PORT RULES
#
# DESCRIPTION
#	bm_conf writes DIR/bm.conf for a milter listening on
#	127.0.0.1:PORT with the rules RULES (an absolute path, as
#	rules_public of tests/lib/rules.sh prints it), authserv-id
#	mx.test.example, no DNS evidence, and its history in
#	DIR/hist/history.db; it makes DIR/hist, owned by nobody (the milter
#	runs with -u nobody).  Used by t_postfix and t_sendmail.
bm_conf() {
	cat >"$1/bm.conf" <<EOC
socket = "inet:$2@127.0.0.1";
rules = "$3";
authserv_id = "mx.test.example";
dns = { spf = false; dkim = false; mx = false; };
history = { path = "$1/hist/history.db"; };
EOC
	mkdir -p "$1/hist" && chown nobody "$1/hist"
}
