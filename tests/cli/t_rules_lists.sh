#!/bin/sh
# t_rules_lists - the tables kept as list files under rules/ load, and a
# broken one stops the load with FILE:LINE: message
#
# For each list file the decoder and the classifier read (autoreply,
# powermta, smtp-commands, reason-vocabulary, trends): a copy of rules/
# with one mistake planted makes bounce-decode exit 78 with "FILE:LINE:
# message" naming the file and the line of the mistake (0 for a section that is
# not there, or a reason the programs name that is left out).  The
# daemon reads the same set through the same rules_load(), so a broken
# file on reload keeps the old set (t_milter_daemon).
. tests/lib/common.sh
BD="$BUILD/bounce-decode"
need_built "$BD"
test_tmpdir t_rules_lists
printf 'From: a@b.example\nSubject: hi\n\nhello\n' >"$T/m.eml"

# broken FILE WANT SED: rules/FILE edited with SED must fail with WANT
# (a "FILE:LINE: message" fragment) on standard error
broken() {
	rm -rf "$T/r"
	cp -R rules "$T/r"
	sed "$3" "rules/$1" >"$T/r/$1"
	cmp -s "rules/$1" "$T/r/$1" && { bad "$1: '$3' changed nothing"; return; }
	"$BD" --json --no-dns --rules "$T/r" "$T/m.eml" >/dev/null 2>"$T/e"
	rc=$?
	[ $rc -eq 78 ] || bad "$1 ($3): exit $rc, not 78"
	grep -q "^$T/r/$1:$2" "$T/e" || bad "$1 ($3): want '$1:$2', got: $(cat "$T/e")"
}
# the line of the first line of rules/FILE matching RE
line() { grep -n -m 1 -e "$2" "rules/$1" | cut -d: -f1; }

"$BD" --json --no-dns --rules rules "$T/m.eml" >/dev/null ||
    bad "the repository's rules do not load"

# autoreply: a section missing; an entry before any section
broken autoreply "0: no \[gone\]" 's/^\[gone\]/[went]/'
broken autoreply "1: entry before the first" '1s/^.*/vacation/'

# powermta: a reason out of the vocabulary; an entry without one
n=$(line powermta '^quota-issues')
broken powermta "$n: unknown reason \"mailfull\"" 's/^quota-issues.*/quota-issues	mailfull/'
broken powermta "$n: \"mailboxfull\": want KEY REASON" 's/^quota-issues.*/mailboxfull/'

# smtp-commands: no "|"; a command in lower case; a lead-in with and
# without a rest; a lead-in of one character; a [diagnostic] lead-in
# without a letter
n=$(line smtp-commands '^after | data')
broken smtp-commands "$n: \"after data DATA\": want LEAD-IN" 's/^after | data.*/after data DATA/'
broken smtp-commands "$n: \"data\": the COMMAND" 's/^after | data.*/after | data data/'
n=$(line smtp-commands '^refused to talk')
broken smtp-commands "$n: \"after\" is a lead-in with and without" 's/^refused to talk to me |/after |/'
broken smtp-commands "$n: \">\": a lead-in starts" 's/^refused to talk to me |/> |/'
broken smtp-commands "0: no \[notice\]" 's/^\[notice\]/[notices]/'
n=$(line smtp-commands '^after | end of data')
broken smtp-commands "$n: \"x\": a lead-in starts" 's/^after | end of data/x | end of data/'
broken smtp-commands "$n: \">>>\": a lead-in without a letter" 's/^after | end of data/>>> | end of data/'

# reason-vocabulary: a name not of lower-case letters; a name twice; a
# word that is no property; a reason the programs name left out (line
# 0, naming it); no [reasons]
n=$(line reason-vocabulary '^speeding')
broken reason-vocabulary "$n: \"Speeding\": a reason is" 's/^speeding/Speeding/'
broken reason-vocabulary "$n: \"blocked\" twice" 's/^speeding/blocked/'
broken reason-vocabulary "$n: \"speeding\": want NAME" 's/^speeding/speeding soft/'
broken reason-vocabulary "$n: \"speeding\": want NAME" 's/^speeding/speeding implies 8.1/'
broken reason-vocabulary "0: \[reasons\]: no \"userunknown\"" '/^userunknown/d'
broken reason-vocabulary "0: no \[reasons\]" 's/^\[reasons\]/[reason]/'

# trends: a cause not in the catalog; a bad BY; no hint; an unknown
# setting; [rules] missing
n=$(line trends '^sender-blocked')
broken trends "$n: \"sender-blockd\" is not a cause" 's/^sender-blocked/sender-blockd/'
broken trends "$n: by \"domains\": want address or domain" 's/^\(sender-blocked[[:space:]]*\)domain/\1domains/'
broken trends "$n: want CAUSE BY THRESHOLD HINT" 's/^\(sender-blocked[[:space:]]*domain[[:space:]]*trends.blocked_domains\).*/\1/'
broken trends "$n: threshold \"trends.blocked\": not a setting" 's/trends.blocked_domains/trends.blocked/'
broken trends "0: no \[rules\]" 's/^\[rules\]/[rule]/'

[ $fails -eq 0 ] && echo "ok: list files load; each planted mistake is FILE:LINE: message, exit 78"
exit $((fails > 0))
