# tests/lib/mta.sh - what the tests behind a real MTA share: the sinks,
# what arrived there, the milter killed while mail flows
#
# SYNOPSIS
#	. tests/lib/mta.sh
#	sinks_start ADDR_A:PORT ADDR_B:PORT
#	sink_count
#	sink_has N
#	show_headers FILE
#	kill_midstream ADDR:PORT N [SMTP-SOURCE-OPTION...]
#
# DESCRIPTION
#	Sources tests/lib/bmconf.sh (and so common.sh and rules.sh).  The
#	functions use T (the test's temporary directory) and need
#	Postfix's smtp-sink and smtp-source and root (the sinks run as
#	postfix).
#
#	sinks_start starts two smtp-sink next hops: A on ADDR_A:PORT takes
#	every message and writes it to a file in $T/sinka; B on ADDR_B:PORT
#	rejects every RCPT with "550 5.4.1 Recipient address rejected:
#	Access denied".  It sets apid and bpid; the caller ends both (its
#	EXIT trap).
#
#	sink_count prints how many messages A has, sink_has is true when it
#	has N or more (for wait_for).  show_headers prints the X-Bounce-*
#	headers of a message at A, with their continuation lines, indented.
#
#	kill_midstream has smtp-source send N messages with a null sender to
#	sender@origin.example through the MTA on ADDR:PORT (in the
#	background, spid, output in $T/source.out) and SIGKILLs the milter
#	($pid of bm_start, which logs to $T/milter.log) once it logged ten
#	of them as "null sender but not a delivery report"; it clears pid
#	and sets k to how many of the N the milter had seen.  It returns 1
#	when the milter saw no ten within 20 s.  The caller then waits for
#	spid and checks that all N arrive.
. tests/lib/bmconf.sh

sinks_start() {
	mkdir -p "$T/sinka"
	chown postfix "$T/sinka"
	smtp-sink -u postfix -d "$T/sinka/%H%M%S." "$1" 64 &
	apid=$!
	smtp-sink -u postfix -f RCPT \
	    -B "550 5.4.1 Recipient address rejected: Access denied" \
	    "$2" 64 &
	bpid=$!
}

sink_count() {
	ls "$T/sinka" | wc -l
}

sink_has() {
	[ "$(sink_count)" -ge "$1" ]
}

show_headers() {
	awk '/^\r?$/ { exit } /^X-Bounce-/ { p = 1; print "    " $0; next }
	    /^[ \t]/ { if (p) print "    " $0; next } { p = 0 }' "$1"
}

_mta_seen() {
	grep -c 'null sender but not a delivery report' "$T/milter.log"
}

_mta_seen_ten() {
	[ "$(_mta_seen)" -ge $((_mta_s0 + 10)) ]
}

kill_midstream() {
	_mta_to=$1 _mta_n=$2
	shift 2
	_mta_s0=$(_mta_seen)
	smtp-source -l 2000 -m "$_mta_n" "$@" -f "" -t sender@origin.example \
	    "$_mta_to" >"$T/source.out" 2>&1 &
	spid=$!
	wait_for 20 _mta_seen_ten || return 1
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	pid=""
	k=$(( $(_mta_seen) - _mta_s0 ))
	return 0
}
