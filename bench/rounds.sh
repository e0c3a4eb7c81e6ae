# bench/rounds.sh - interleaved timing rounds, sourced by bench/run and bench/cmp
#
# SYNOPSIS
#	. bench/rounds.sh
#	dec_size BUILD RULES SECS DIR...	(prints passes for one round)
#	dec_round BUILD RULES PASSES DIR...	(prints: msgs wall cpu rss_kib)
#	sis_round SECS JSONL LIST		(prints: msgs wall cpu rss_kib)
#	next_reps REPS SECS CPU			(passes for the next round)
#	med_spread DIGITS VALUES...		(prints: median min max)
#
# DESCRIPTION
#	The machine's speed drifts (a shared VM: other load, CPU frequency),
#	so two programs timed one after the other for ten seconds each can
#	differ by a third between two runs.  These helpers time short rounds
#	(a few seconds each) that the callers interleave, A then B, then B
#	then A, and so on; a rate is messages per CPU second of the process
#	(user + system, start-up included), and the callers take the median
#	of the per-round ratios, with the min and max as the spread.  Noise
#	then falls on both sides of each ratio alike.
#
#	dec_round runs BUILD/bounce-decode --json --no-dns --rules RULES over
#	the DIRs given PASSES times on one command line (one process); the
#	messages are its output lines.  sis_round runs bench/sisimai.pl (Perl
#	Sisimai in one process, the file LIST repeated until the process has
#	used SECS CPU seconds); its first pass goes to JSONL.  dec_size sizes PASSES for a round of
#	about SECS CPU seconds from warm runs of one and of four passes (their
#	difference is three passes without the start-up).  next_reps scales a
#	round's PASSES by SECS / CPU of the last round, so rounds stay near
#	SECS when the machine's speed moves.  Work files go to $W.
calc() { python3 -c "import sys; print($1)"; }

_cpu_of() {	# _cpu_of TIMEFILE: user+system seconds of /usr/bin/time -f '%e %U %S %M'
	set -- $(tail -n 1 "$1")
	calc "$2 + $3"
}

dec_round() {	# dec_round BUILD RULES PASSES DIR...
	_b=$1 _r=$2 _n=$3
	shift 3
	_d="$*"
	set --
	_i=0
	while [ $_i -lt "$_n" ]; do
		for _x in $_d; do set -- "$@" "$_x"; done
		_i=$((_i + 1))
	done
	/usr/bin/time -f '%e %U %S %M' -o "$W/round.time" \
	    "$_b/bounce-decode" --json --no-dns --rules "$_r" "$@" 2>/dev/null |
	    wc -l >"$W/round.count"
	set -- $(tail -n 1 "$W/round.time")
	echo "$(cat "$W/round.count") $1 $(calc "$2 + $3") $4"
}

dec_size() {	# dec_size BUILD RULES SECS DIR...
	_b=$1 _r=$2 _s=$3
	shift 3
	dec_round "$_b" "$_r" 1 "$@" >/dev/null	# warm the page cache
	set -- $(dec_round "$_b" "$_r" 1 "$@") -- $(dec_round "$_b" "$_r" 4 "$@")
	_c1=$3 _c4=$8
	calc "max(1, min(100000, int($_s / max(($_c4 - $_c1) / 3, $_c4 / 4, 1e-3)) + 1))"
}

sis_round() {	# sis_round SECS JSONL LIST
	/usr/bin/time -f '%e %U %S %M' -o "$W/sround.time" \
	    perl bench/sisimai.pl "$1" "$2" <"$3" >"$W/sround.out" 2>"$W/sround.err"
	_m=$(tail -n 1 "$W/sround.out" | tr ' ' '\n' | sed -n 's/^msgs=//p')
	set -- $(tail -n 1 "$W/sround.time")
	echo "${_m:-0} $1 $(calc "$2 + $3") $4"
}

next_reps() {	# next_reps REPS SECS CPU
	calc "max(1, min(100000, int($1 * $2 / max($3, 0.05) + 0.5)))"
}

med_spread() {	# med_spread DIGITS VALUES...: median min max, DIGITS decimals
	_f="%.$1f"
	shift
	calc "(lambda v: ' '.join('$_f' % x for x in ((v[(len(v) - 1) // 2] + v[len(v) // 2]) / 2, v[0], v[-1])))(sorted([$(echo "$*" | sed 's/ /, /g')]))"
}
