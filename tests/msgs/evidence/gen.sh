#!/bin/sh
# gen.sh - (re)make the evidence test bounces in this directory
#
# Usage: sh tests/msgs/evidence/gen.sh
#
# Every *.eml here is made by this script; the DKIM-signed originals are
# signed with sel1.private (a 1024-bit test key made by opendkim-genkey,
# published by tests/dns/dnsd.sh as sel1._domainkey.dkim.test) through
# dkimsign.c (libopendkim, fixed signing time, so the output is stable).
# The bounces are RFC 3464 reports in Postfix's layout; the domains and
# what the test DNS says about them are listed in tests/dns/dnsd.sh.
set -e
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -o "$tmp/dkimsign" "$here/dkimsign.c" $(pkg-config --cflags --libs opendkim)

# original FROMDOMAIN RCPT IP NAME [BODY]: an unsigned original on stdout
original() {
	cat <<EOF
From: Alice <alice@$1>
To: $2
Subject: Quarterly report $4
Date: Mon, 23 Nov 2026 08:00:00 +0000
Message-ID: <$4@$1>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

Hello,

the quarterly report is attached in spirit.
${5:-Regards, Alice}
EOF
}

# trace ENVDOMAIN RCPT IP: what the MTAs add in front after signing
trace() {
	cat <<EOF
Return-Path: <alice@$1>
Received: from out.ours.test (out.ours.test [$3])
	by mx.remote.test (Postfix) with ESMTPS id 4AbC1x
	for <$2>; Mon, 23 Nov 2026 08:00:02 +0000 (UTC)
Received: from laptop.ours.test (unknown [10.1.2.3])
	by out.ours.test (Postfix) with ESMTPSA id 4Def2y
	for <$2>; Mon, 23 Nov 2026 08:00:01 +0000 (UTC)
EOF
}

# bounce NAME ENVDOMAIN PARTTYPE ORIGFILE RCPT STATUS DIAG [RCPT STATUS DIAG]...
bounce() {
	name=$1 env=$2 ptype=$3 orig=$4
	shift 4
	out="$here/$name.eml"
	{
	cat <<EOF
Return-Path: <>
Received: from mx.remote.test (mx.remote.test [198.51.100.50])
	by mx.ours.test (Postfix) with ESMTP id 4XyZ1p2q3r
	for <alice@$env>; Mon, 23 Nov 2026 08:05:00 +0000 (UTC)
From: MAILER-DAEMON@mx.remote.test (Mail Delivery System)
To: alice@$env
Subject: Undelivered Mail Returned to Sender
Date: Mon, 23 Nov 2026 08:05:00 +0000
Message-Id: <bounce-$name@mx.remote.test>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="B-$name"

This is a MIME-encapsulated message.

--B-$name
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.remote.test.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

EOF
	a="$*"
	set -- $a
	while [ $# -ge 3 ]; do
		printf '<%s>: host mx.remote.test said: %s\n\n' "$1" "$(echo "$3" | tr _ ' ')"
		shift 3
	done
	cat <<EOF
--B-$name
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.remote.test
X-Postfix-Queue-ID: 4XyZ1p2q3r
X-Postfix-Sender: rfc822; alice@$env
Arrival-Date: Mon, 23 Nov 2026 08:00:02 +0000 (UTC)
EOF
	set -- $a
	while [ $# -ge 3 ]; do
		printf '\nFinal-Recipient: rfc822; %s\nOriginal-Recipient: rfc822;%s\nAction: failed\nStatus: %s\nRemote-MTA: dns; mx.remote.test\nDiagnostic-Code: smtp; %s\n' \
		    "$1" "$1" "$2" "$(echo "$3" | tr _ ' ')"
		shift 3
	done
	cat <<EOF

--B-$name
Content-Description: Undelivered Message
Content-Type: $ptype

EOF
	cat "$orig"
	cat <<EOF

--B-$name--
EOF
	} > "$out"
}

# plain FROM/ENV IP NAME RCPT STATUS DIAG: unsigned original, full body
plain() {
	original "$1" "$4" "$2" "$3" > "$tmp/o"
	{ trace "$1" "$4" "$2"; cat "$tmp/o"; } > "$tmp/orig"
	bounce "$3" "$1" message/rfc822 "$tmp/orig" "$4" "$5" "$6"
}

# signed FROM IP NAME RCPT STATUS DIAG [TAMPER]: signed by dkim.test/sel1
signed() {
	original "$1" "$4" "$2" "$3" > "$tmp/o"
	"$tmp/dkimsign" "$here/sel1.private" sel1 dkim.test < "$tmp/o" > "$tmp/s"
	case "$7" in
	body)	sed -i 's/attached in spirit/attached in body/' "$tmp/s" ;;
	cut)	sed -i '/^Regards/d' "$tmp/s" ;;
	nokey)	sed -i 's/s=sel1;/s=gone;/' "$tmp/s" ;;
	esac
	{ trace "$1" "$4" "$2"; cat "$tmp/s"; } > "$tmp/orig"
	if [ "$7" = headers ]; then
		sed -n '1,/^$/p' "$tmp/orig" > "$tmp/h"
		bounce "$3" "$1" text/rfc822-headers "$tmp/h" "$4" "$5" "$6"
	else
		bounce "$3" "$1" message/rfc822 "$tmp/orig" "$4" "$5" "$6"
	fi
}

AUTH=550_5.7.1_Message_rejected:_sender_not_authenticated
AUTH541=550_5.4.1_Recipient_rejected:_message_not_accepted
RELAY=550_5.4.1_Relay_Access_Denied

# SPF, for the IP of the handover hop in the Received trace
plain spf-pass.test 192.0.2.25 spf-pass bob@other.test 5.7.1 $AUTH
plain spf-pass.test 203.0.113.5 spf-fail bob@other.test 5.7.1 $AUTH
plain spf-soft.test 203.0.113.5 spf-softfail bob@other.test 5.7.1 $AUTH
plain spf-neutral.test 203.0.113.5 spf-neutral bob@other.test 5.7.1 $AUTH
plain spf-none.test 203.0.113.5 spf-none bob@other.test 5.7.1 $AUTH
plain spf-perm.test 203.0.113.5 spf-permerror bob@other.test 5.7.1 $AUTH
plain spf-mx.test 198.51.100.7 spf-mx-pass bob@other.test 5.7.1 $AUTH
plain spf-ptr.test 192.0.2.99 spf-ptr-pass bob@other.test 5.7.1 $AUTH
plain spf-pass.test 10.9.8.7 spf-noip bob@other.test 5.7.1 $AUTH
plain spf-pass.test 203.0.113.5 spf-fail-541 bob@other.test 5.4.1 $AUTH541

# causes that evidence can change, each with and without the evidence
BLOCK=550_5.4.1_Service_unavailable:_client_host_blocked_using_zen.spamhaus.org
POLICY=550_5.4.1_Sender_not_allowed_by_policy
DBEB=550_5.4.1_Recipient_address_rejected:_Access_denied
plain spf-pass.test 192.0.2.25 auth541-pass bob@other.test 5.4.1 $AUTH541
plain spf-pass.test 203.0.113.5 block541-spffail bob@other.test 5.4.1 $BLOCK
plain spf-pass.test 192.0.2.25 block541-spfpass bob@other.test 5.4.1 $BLOCK
plain spf-pass.test 203.0.113.5 policy541-spffail bob@other.test 5.4.1 $POLICY
plain spf-pass.test 192.0.2.25 policy541-spfpass bob@other.test 5.4.1 $POLICY
plain spf-pass.test 203.0.113.5 dbeb-spffail bob@other.test 5.4.1 $DBEB
signed dkim.test 192.0.2.25 auth541-dkimpass bob@other.test 5.4.1 $AUTH541
signed dkim.test 192.0.2.25 auth541-dkimfail bob@other.test 5.4.1 $AUTH541 body

# DKIM on the returned original (d=dkim.test, From alice@dkim.test)
signed dkim.test 192.0.2.25 dkim-pass bob@other.test 5.7.1 $AUTH
signed dkim.test 192.0.2.25 dkim-bodyfail bob@other.test 5.7.1 $AUTH body
signed dkim.test 192.0.2.25 dkim-headers bob@other.test 5.7.1 $AUTH headers
signed dkim.test 192.0.2.25 dkim-nokey bob@other.test 5.7.1 $AUTH nokey
plain dkim.test 192.0.2.25 dkim-none bob@other.test 5.7.1 $AUTH
# the body came back cut, and the bounce says so
signed dkim.test 192.0.2.25 dkim-cut bob@other.test 5.7.1 $AUTH cut
sed -i 's/^be delivered to one or more recipients\./&\nThe returned message below was truncated./' "$here/dkim-cut.eml"

# MX of the recipient domain
plain spf-pass.test 192.0.2.25 mx-eop bob@eop.test 5.4.1 $RELAY
plain spf-pass.test 192.0.2.25 mx-eopdane bob@eopdane.test 5.4.1 $RELAY
plain spf-pass.test 192.0.2.25 mx-mixed bob@mixed.test 5.4.1 $RELAY
plain spf-pass.test 192.0.2.25 mx-other bob@other.test 5.4.1 $RELAY
plain spf-pass.test 192.0.2.25 mx-none bob@nomx.test 5.4.1 $RELAY
plain spf-pass.test 192.0.2.25 mx-nxdomain bob@gone.test 5.4.1 $RELAY

# several recipients: one lookup per domain; a user-unknown gets no lookups
original spf-pass.test bob@eop.test 203.0.113.5 multi > "$tmp/o"
{ trace spf-pass.test bob@eop.test 203.0.113.5; cat "$tmp/o"; } > "$tmp/orig"
bounce multi spf-pass.test message/rfc822 "$tmp/orig" \
    bob@eop.test 5.4.1 $RELAY \
    carol@eop.test 5.4.1 $RELAY \
    dave@other.test 5.4.1 $RELAY \
    erin@other.test 5.1.1 550_5.1.1_User_unknown
echo "made $(ls "$here"/*.eml | wc -l) bounces in $here"
