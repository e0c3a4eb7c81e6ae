/*
 * test_format_small.c - the small bounce-format families of rules/formats/
 *
 *	Table-driven on small hand-written messages, one or more in the
 *	style of each family (activehunter apachejames biglobe domino
 *	einsundeins fml gmx imailserver kddi mailfoundry mailmarshal
 *	mfilter mimecast mxlogic notes powermta trendmicro verizon x1 x3 x4
 *	x5 x6 googleworkspace, and mcafee amavis among those that mostly
 *	send RFC 3464 reports): the family detected, recipients in bounce
 *	order, status, reply code, command, a piece of the diagnostic and
 *	the family's reason hint; then messages that only look like them
 *	(ordinary mail quoting a marker, a Google report with DSN fields)
 *	and must not be taken for a report of that family.
 *	Uses the real rules/formats/ data and C hooks; runs from the
 *	project root (tests/run does), where rules/ is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fmt.h"
#include "format.h"
#include "mime.h"
#include "report.h"
#include "rules.h"

#include "format_fixture.h"


struct want {
	const char	*addr;
	const char	*status;
	const char	*reply;
	const char	*cmd;	/* "" for none */
	const char	*diag;	/* substring of the diagnostic, or NULL */
	const char	*hint;	/* reason_hint, or NULL for none */
};

struct tcase {
	const char	*name;
	const char	*format;
	const char	*msg;
	size_t		 nrcpt;
	struct want	 rc[3];
};

static const struct tcase cases[] = {
	{ "mfilter: address, server message, SMTP command", "mfilter",
	  "From: POSTMASTER <postmaster@mf.example.jp>\n"
	  "To: taro@example.jp\n"
	  "Subject: failure notice\n"
	  "X-Mailer: m-FILTER\n"
	  "Content-Type: text/plain; charset=UTF-8\n"
	  "\n"
	  "\xe4\xbb\xa5\xe4\xb8\x8b\xe3\x81\xae\xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab\n"
	  "hanako@dest.example.net\n"
	  "\n"
	  "-------server message\n"
	  "550 5.1.1 <hanako@dest.example.net>... Unknown mailbox\n"
	  "\n"
	  "-------SMTP command\n"
	  "RCPT\n"
	  "\n"
	  "-------original message\n"
	  "From: taro@example.jp\n"
	  "To: hanako@dest.example.net\n"
	  "\n"
	  "hi\n",
	  1, { { "hanako@dest.example.net", "5.1.1", "550", "RCPT",
	    "Unknown mailbox", NULL } } },
	{ "imailserver: two reasons, two recipients", "imailserver",
	  "From: \"Postmaster\" <postmaster@mail.example.org>\n"
	  "To: <writer@example.com>\n"
	  "Subject: Undeliverable Mail\n"
	  "X-Mailer: <SMTP32 v8.15>\n"
	  "\n"
	  "Unknown user: ghost@mail.example.org\n"
	  "User mailbox exceeds allowed size: fat@mail.example.org\n"
	  "\n"
	  "Original message follows.\n"
	  "\n"
	  "From: writer@example.com\n"
	  "Subject: x\n",
	  2, { { "ghost@mail.example.org", "", "", "", "Unknown user",
	    "userunknown" },
	    { "fat@mail.example.org", "", "", "", "exceeds allowed size",
	    "mailboxfull" } } },
	{ "imailserver: undeliverable to, DATA response", "imailserver",
	  "From: \"Postmaster\" <postmaster@mail.example.org>\n"
	  "Subject: Undeliverable Mail\n"
	  "X-Mailer: <SMTP32 v10.05>\n"
	  "\n"
	  "undeliverable to zz@far.example.net\n"
	  "DATA command generated response:\n"
	  "554 5.7.1 Message refused\n"
	  "\n"
	  "Original message follows.\n",
	  1, { { "zz@far.example.net", "5.7.1", "554", "DATA",
	    "Message refused", NULL } } },
	{ "x3: framed notice, SMTP:RCPT line", "x3",
	  "From: Mail Delivery System <Mail.Delivery.System@gw.example.com>\n"
	  "Subject: Delivery status notification\n"
	  "\n"
	  "=====================================\n"
	  "      This is an automatically generated Delivery Status Notification.\n"
	  "\n"
	  "Delivery to the following recipients failed permanently:\n"
	  "\n"
	  "   * nobody@dest.example.org\n"
	  "\n"
	  "=====================================\n"
	  "      Technical details:\n"
	  "\n"
	  "SMTP:RCPT host 198.51.100.9: 550 5.1.1 <nobody@dest.example.org>... No such user\n"
	  "=====================================\n",
	  1, { { "nobody@dest.example.org", "5.1.1", "550", "RCPT",
	    "No such user", NULL } } },
	{ "x1: one line per recipient", "x1",
	  "From: \"Mail Deliver System\" <MAILER-DAEMON@relay.example.jp>\n"
	  "Subject: Returned Mail: User unknown\n"
	  "\n"
	  "The original message was received at Mon, 2 Nov 2026 10:00:00 +0900\n"
	  "from sender@example.jp\n"
	  "\n"
	  "---The following addresses had delivery errors---\n"
	  "\n"
	  "one@dest.example.jp [User unknown]\n"
	  "two@dest.example.jp [Mailbox full]\n",
	  2, { { "one@dest.example.jp", "", "", "", "User unknown", NULL },
	    { "two@dest.example.jp", "", "", "", "Mailbox full", NULL } } },
	{ "gmx: quoted address, command, host, reply", "gmx",
	  "From: MAILER-DAEMON@mail.gmx.example\n"
	  "Subject: Mail delivery failed: returning message to sender\n"
	  "X-GMX-Antispam: 0\n"
	  "\n"
	  "This message was created automatically by mail delivery software.\n"
	  "\n"
	  "A message that you sent could not be delivered to one or more of\n"
	  "its recipients. This is a permanent error. The following address\n"
	  "failed:\n"
	  "\n"
	  "\"lost@dest.example.de\":\n"
	  "SMTP error from remote server after RCPT command:\n"
	  "host: mx.dest.example.de\n"
	  "550 5.1.1 <lost@dest.example.de>... unknown\n"
	  "\n"
	  "<late@dest.example.de>\n"
	  "\n"
	  "Reason:\n"
	  "delivery retry timeout exceeded\n"
	  "\n"
	  "--- The header of the original message is following. ---\n"
	  "From: a@gmx.example\n",
	  2, { { "lost@dest.example.de", "5.1.1", "550", "RCPT",
	    "unknown", NULL },
	    { "late@dest.example.de", "", "", "", "retry timeout",
	    "expired" } } },
	{ "kddi: mailbox full", "kddi",
	  "From: no-reply@a1b2c3.dion.ne.jp\n"
	  "Subject: Mail\n"
	  "\n"
	  "Your mail sent on: Mon, 2 Nov 2026 10:00:00 +0900\n"
	  "     Could not be delivered to: <full@a1b2c3.dion.ne.jp>\n"
	  "     As their mailbox is full.\n",
	  1, { { "full@a1b2c3.dion.ne.jp", "", "", "", "mailbox is full",
	    "mailboxfull" } } },
	{ "mxlogic: <addr>: reply, continued", "mxlogic",
	  "From: Mail Delivery System <MAILER-DAEMON@relay.mxl.example>\n"
	  "Subject: Mail delivery failed\n"
	  "X-MX-Bounce: mta/src/queue/bounce\n"
	  "\n"
	  "This message was created automatically by mail delivery software.\n"
	  "\n"
	  "A message that you have sent could not be delivered to one or more\n"
	  "recipients.  This is a permanent error.  The following address failed:\n"
	  "\n"
	  "  <gone@dest.example.com>: 550 5.1.1 user\n"
	  "unknown here\n"
	  "\n"
	  "Included is a copy of the message header:\n"
	  "-----------------------------------------\n"
	  "From: a@example.org\n",
	  1, { { "gone@dest.example.com", "5.1.1", "550", "",
	    "user unknown here", NULL } } },
	{ "notes: reason before the addresses", "notes",
	  "From: postmaster@notes.example.co.jp\n"
	  "Subject: Undeliverable message\n"
	  "\n"
	  "------- Failure Reasons  --------\n"
	  "\n"
	  "User not listed in public Name & Address Book\n"
	  "absent@notes.example.co.jp\n"
	  "\n"
	  "------- Returned Message --------\n"
	  "From: a@example.org\n",
	  1, { { "absent@notes.example.co.jp", "", "", "",
	    "not listed", "userunknown" } } },
	{ "trendmicro: SMTP exchange", "trendmicro",
	  "From: \"InterScan MSS\" <postmaster@gw.example.co.jp>\n"
	  "Subject: Mail could not be delivered\n"
	  "MIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=\"------------InterScan_NT_MIME_Boundary\"\n"
	  "\n"
	  "--------------InterScan_NT_MIME_Boundary\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "Sent <<< RCPT TO:<who@dest.example.com>\n"
	  "Received >>> 550 5.1.1 <who@dest.example.com>... user unknown\n"
	  "\n"
	  "--------------InterScan_NT_MIME_Boundary--\n",
	  1, { { "who@dest.example.com", "5.1.1", "550", "RCPT",
	    "user unknown", NULL } } },
	{ "trendmicro: unable to deliver", "trendmicro",
	  "From: postmaster@gw.example.jp (\"InterScan Notification\")\n"
	  "Subject: Mail could not be delivered\n"
	  "\n"
	  "****** Message from InterScan Messaging Security Suite ******\n"
	  "Reason:  Unable to deliver message to <who@dest.example.jp> (and other recipients in the same domain).\n",
	  1, { { "who@dest.example.jp", "", "", "", "Unable to deliver",
	    "userunknown" } } },
	{ "activehunter: sendmail-like text", "activehunter",
	  "From: \"MAILER-DAEMON\" <MAILER-DAEMON@ah.example.org>\n"
	  "Subject: FAILURE NOTICE : hello\n"
	  "X-AHMailID: 20261102T100000+0900-0001-0001\n"
	  "\n"
	  "  ----- The following addresses had permanent fatal errors -----\n"
	  "\n"
	  ">>> who@ah.example.org <who@ah.example.org>\n"
	  "\n"
	  "  ----- Transcript of session follows -----\n"
	  "550 5.1.1 sorry, no mailbox here by that name\n",
	  1, { { "who@ah.example.org", "5.1.1", "550", "",
	    "no mailbox here", NULL } } },
	{ "apachejames: error message, then details", "apachejames",
	  "From: postmaster@james.example.com\n"
	  "Subject: [BOUNCE]\n"
	  "Message-ID: <1.2.JavaMail.root@james.example.com>\n"
	  "\n"
	  "Error message below:\n"
	  "550 - Requested action not taken: no such user here\n"
	  "\n"
	  "Message details:\n"
	  "  Subject: hello\n"
	  "  MAIL FROM: a@example.org\n"
	  "  RCPT TO: nouser@james.example.com\n",
	  1, { { "nouser@james.example.com", "", "550", "",
	    "no such user here", NULL } } },
	{ "biglobe: mailbox limit", "biglobe",
	  "From: postmaster@biglobe.ne.jp\n"
	  "Subject: Returned mail: Service unavailable\n"
	  "\n"
	  "   ----- The following addresses had delivery problems -----\n"
	  "full@biglobe.example.jp\n"
	  "\n"
	  "   ----- Non-delivered information -----\n"
	  "The number of messages in recipient's mailbox exceeded the local limit.\n",
	  1, { { "full@biglobe.example.jp", "", "", "", "local limit",
	    "mailboxfull" } } },
	{ "domino: not listed in Domino Directory", "domino",
	  "From: Postmaster@domino.example.com\n"
	  "Subject: DELIVERY FAILURE: User Someone (someone@domino.example.com) not listed\n"
	  "\n"
	  "Your message\n"
	  "\n"
	  "  Subject: hello\n"
	  "\n"
	  "was not delivered to:\n"
	  "\n"
	  "  someone@domino.example.com\n"
	  "\n"
	  "because:\n"
	  "\n"
	  "  User Someone (someone@domino.example.com) not listed in Domino Directory\n",
	  1, { { "someone@domino.example.com", "", "", "", "Domino Directory",
	    "userunknown" } } },
	{ "fml: not a member", "fml",
	  "From: list-admin@ml.example.org\n"
	  "Subject: You a@example.com are not member (list ML)\n"
	  "Message-ID: <202611021000.FMLAAAA0001.list@ml.example.org>\n"
	  "X-MLServer: fml [fml 4.0.3 release]\n"
	  "\n"
	  "You are not a member of this mailing list <list@ml.example.org>.\n",
	  1, { { "list@ml.example.org", "", "", "", "not a member",
	    "rejected" } } },
	{ "einsundeins: size limit", "einsundeins",
	  "From: \"Mail Delivery System\" <mailer-daemon@kundenserver.example>\n"
	  "Subject: Mail delivery failed: returning message to sender\n"
	  "\n"
	  "This message was created automatically by mail delivery software.\n"
	  "\n"
	  "The following address failed:\n"
	  "\n"
	  "big@dest.example.org\n"
	  "\n"
	  "For the following reason:\n"
	  "\n"
	  "Mail size limit exceeded. For explanation visit\n"
	  "\n"
	  "--- The header of the original message is following. ---\n",
	  1, { { "big@dest.example.org", "", "", "", "size limit",
	    "mesgtoobig" } } },
	{ "mailfoundry: server failed with", "mailfoundry",
	  "From: MAILER-DAEMON@mf.example.org\n"
	  "Subject: Message delivery has failed\n"
	  "Received: from localhost (127.0.0.1) by mx.mf.example.org (MAILFOUNDRY) id 1234\n"
	  "\n"
	  "Unable to deliver message to: <who@dest.example.org>\n"
	  "Delivery failed for the following reason:\n"
	  "Server mx.dest.example.org[192.0.2.5] failed with: 550 5.1.1 No such user here\n"
	  "\n"
	  "This has been a permanent failure.\n",
	  1, { { "who@dest.example.org", "5.1.1", "550", "",
	    "No such user", NULL } } },
	{ "mailmarshal: reason before two recipients", "mailmarshal",
	  "From: postmaster@mm.example.com\n"
	  "Subject: Undeliverable Mail: \"hello\"\n"
	  "\n"
	  "Your message:\n"
	  "   From:    a@example.com\n"
	  "   Subject: hello\n"
	  "\n"
	  "Could not be delivered because of\n"
	  "\n"
	  "550 5.1.1 User unknown\n"
	  "\n"
	  "The following recipients were affected: \n"
	  "    one@mm.example.com\n"
	  "    two@mm.example.com\n"
	  "\n"
	  "Additional Information\n"
	  "======================\n"
	  "Original Sender:    <a@example.com>\n",
	  2, { { "one@mm.example.com", "5.1.1", "550", "", "User unknown",
	    NULL },
	    { "two@mm.example.com", "5.1.1", "550", "", "User unknown",
	    NULL } } },
	{ "verizon: vtext James text", "verizon",
	  "From: post_master@vtext.com\n"
	  "Subject: Re: hello\n"
	  "Received: from relay1.vtext.com (relay1.vtext.com [192.0.2.1])\n"
	  "\n"
	  "Error: Invalid user address\n"
	  "\n"
	  "Error message below:\n"
	  "550 - Requested action not taken: no such user here\n"
	  "\n"
	  "Message details:\n"
	  "  RCPT TO: 5555550100@vtext.com\n",
	  1, { { "5555550100@vtext.com", "", "550", "", "no such user",
	    "userunknown" } } },
	{ "mimecast: dashes", "mimecast",
	  "From: \"postmaster\" <postmaster@mc.example.org>\n"
	  "Subject: [Postmaster] Email Delivery Failure\n"
	  "Message-Id: <1-2@eu-mta-1.eu.mimecast.lan>\n"
	  "X-Mimecast-Originator: <>\n"
	  "\n"
	  "An email that you attempted to send to the following address could not be delivered:\n"
	  "\n"
	  "-- nobody@mc.example.org\n"
	  "\n"
	  "The problem appears to be :\n"
	  "\n"
	  "-- Recipient email address is possibly incorrect\n"
	  "\n"
	  "Additional information follows :\n"
	  "\n"
	  "-- 550 5.1.1 User unknown\n",
	  1, { { "nobody@mc.example.org", "5.1.1", "550", "",
	    "possibly incorrect", NULL } } },
	{ "x4: qmail variant", "x4",
	  "From: MAILER-DAEMON@mx.example.net\n"
	  "Subject: failure notice\n"
	  "\n"
	  "Your mail message to the following address(es) could not be delivered.\n"
	  "\n"
	  "<quota@example.net>:\n"
	  "disk quota exceeded\n"
	  "\n"
	  "--- Below this line is a copy of the message.\n"
	  "\n"
	  "From: a@example.org\n",
	  1, { { "quota@example.net", "", "", "", "quota",
	    "mailboxfull" } } },
	{ "x5: DSN inside the attached message", "x5",
	  "From: \"=?utf-8?B?TWFpbCBEZWxpdmVyeSBTdWJzeXN0ZW0=?=\" <MAILER-DAEMON@gw.example.jp>\n"
	  "To: \"NotificationRecipients\" <NotificationRecipients@gw.example.jp>\n"
	  "Subject: Returned mail\n"
	  "MIME-Version: 1.0\n"
	  "Content-Type: multipart/mixed; boundary=\"OUT\"\n"
	  "\n"
	  "--OUT\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "----- The following addresses had permanent delivery errors -----\n"
	  "\n"
	  "--OUT\n"
	  "Content-Type: message/rfc822\n"
	  "\n"
	  "From: MAILER-DAEMON@inner.example.jp\n"
	  "Subject: Returned mail: User unknown\n"
	  "MIME-Version: 1.0\n"
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=\"IN\"\n"
	  "\n"
	  "--IN\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "failed\n"
	  "\n"
	  "--IN\n"
	  "Content-Type: message/delivery-status\n"
	  "\n"
	  "Reporting-MTA: dns; inner.example.jp\n"
	  "\n"
	  "Final-Recipient: rfc822; gone@dest.example.jp\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n"
	  "Diagnostic-Code: smtp; 550 5.1.1 User unknown\n"
	  "\n"
	  "--IN--\n"
	  "\n"
	  "--OUT--\n",
	  1, { { "gone@dest.example.jp", "5.1.1", "550", "", "User unknown",
	    NULL } } },
	{ "x6: rejected recipient after RCPT", "x6",
	  "From: mailer-daemon\n"
	  "Subject: There was an error sending your mail\n"
	  "\n"
	  "We had trouble delivering your message. Full details follow:\n"
	  "\n"
	  "1 error(s):\n"
	  "\n"
	  "SMTP Server <mx.dest.example.org> rejected recipient <who@dest.example.org> (Error following RCPT command). It responded as follows: [550 5.1.1 User unknown]\n"
	  "\n"
	  "The attachment contains the original mail headers.\n",
	  1, { { "who@dest.example.org", "5.1.1", "550", "RCPT",
	    "User unknown", NULL } } },
	{ "powermta: category and status comment", "powermta",
	  "From: postmaster@pmta.example.net\n"
	  "Subject: Delivery report\n"
	  "MIME-Version: 1.0\n"
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=\"PM\"\n"
	  "\n"
	  "--PM\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "Hello, this is the mail server on pmta.example.net.\n"
	  "\n"
	  "  <off@dest.example.com>  delivery failed; will not continue trying\n"
	  "  <nohost@bad.example>  delivery failed; will not continue trying\n"
	  "\n"
	  "--PM\n"
	  "Content-Type: message/delivery-status\n"
	  "\n"
	  "Reporting-MTA: dns;pmta.example.net\n"
	  "\n"
	  "Final-Recipient: rfc822;off@dest.example.com\n"
	  "Action: failed\n"
	  "Status: 5.2.1 (mailbox disabled, not accepting messages)\n"
	  "Diagnostic-Code: smtp;550 5.2.1 <off@dest.example.com>... Account off\n"
	  "X-PowerMTA-BounceCategory: bad-mailbox\n"
	  "\n"
	  "Final-Recipient: rfc822;nohost@bad.example\n"
	  "Action: failed\n"
	  "Status: 5.1.2\n"
	  "Diagnostic-Code: smtp;550 5.1.2 host not found\n"
	  "X-PowerMTA-BounceCategory: bad-domain\n"
	  "\n"
	  "--PM--\n",
	  2, { { "off@dest.example.com", "5.2.1", "550", "", "Account off",
	    "suspend" },
	    { "nohost@bad.example", "5.1.2", "550", "", "host not found",
	    "hostunknown" } } },
	{ "googleworkspace: notice without delivery-status fields",
	  "googleworkspace",
	  "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
	  "Subject: Delivery Status Notification (Failure)\n"
	  "X-Failed-Recipients: list@groups.example.com\n"
	  "\n"
	  "** Message not delivered **\n"
	  "\n"
	  "Your 'Send mail as' settings are out of date.\n"
	  "\n"
	  "The response was:\n"
	  "\n"
	  "Smtp server does not advertise AUTH capability\n",
	  1, { { "list@groups.example.com", "", "", "",
	    "does not advertise AUTH", NULL } } },
	{ "mcafee: text without a delivery-status part", "mcafee",
	  "From: <MAILER-DAEMON@gw.example.jp>\n"
	  "Subject: Delivery Status\n"
	  "X-NAI-Header: Modified by McAfee Email and Web Security Appliance\n"
	  "\n"
	  "    --- The following addresses had delivery problems ---\n"
	  "\n"
	  "<nouser@dest.example.jp>   (550 5.1.1 <nouser@dest.example.jp>... User unknown)\n",
	  1, { { "nouser@dest.example.jp", "5.1.1", "550", "",
	    "User unknown", NULL } } },
	{ "amavis: DSN with the filter's verdict", "amavis",
	  "From: \"Content-filter at av.example.com\" <postmaster@av.example.com>\n"
	  "Subject: Undeliverable mail, MTA-BLOCKED\n"
	  "MIME-Version: 1.0\n"
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=\"AV\"\n"
	  "\n"
	  "--AV\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "A message from <a@example.org> to:\n"
	  "-> target@av.example.com\n"
	  "\n"
	  "was considered unsolicited bulk e-mail (UBE).\n"
	  "\n"
	  "--AV\n"
	  "Content-Type: message/delivery-status\n"
	  "\n"
	  "Reporting-MTA: dns; av.example.com\n"
	  "\n"
	  "Final-Recipient: rfc822;target@av.example.com\n"
	  "Action: failed\n"
	  "Status: 5.7.0\n"
	  "Diagnostic-Code: smtp; 554 5.7.0 Reject, id=123-45 - SPAM\n"
	  "\n"
	  "--AV--\n",
	  1, { { "target@av.example.com", "5.7.0", "554", "", "- SPAM",
	    "spamdetected" } } },
};

/* Ordinary mail that quotes a family's marker: not that family's report. */
static const struct {
	const char	*name;
	const char	*msg;
	const char	*family;	/* must not be reported as this */
} lookalikes[] = {
	{ "a person writing about a failure notice",
	  "From: Taro <taro@example.jp>\n"
	  "To: hanako@example.jp\n"
	  "Subject: failure notice\n"
	  "\n"
	  "I got a notice saying\n"
	  "-------server message\n"
	  "but nothing else.  hanako@example.jp\n",
	  "mfilter" },
	{ "undeliverable message as a subject only",
	  "From: Boss <boss@example.com>\n"
	  "To: staff@example.com\n"
	  "Subject: Undeliverable message\n"
	  "\n"
	  "Why was this undeliverable?\n"
	  "someone@example.com\n",
	  "notes" },
	{ "a thread about delivery reports",
	  "From: ops@example.com\n"
	  "To: team@example.com\n"
	  "Subject: Re: Delivery report for October\n"
	  "\n"
	  "  <team@example.com>  numbers attached\n",
	  "powermta" },
	{ "an error(s) list in a build mail",
	  "From: ci@example.com\n"
	  "To: dev@example.com\n"
	  "Subject: Build failed\n"
	  "\n"
	  "2 error(s):\n"
	  "see <dev@example.com> for details\n",
	  "x6" },
	{ "a Google report with delivery-status fields",
	  "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
	  "Subject: Delivery Status Notification (Failure)\n"
	  "MIME-Version: 1.0\n"
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=\"G\"\n"
	  "\n"
	  "--G\n"
	  "Content-Type: text/plain\n"
	  "\n"
	  "** Address not found **\n"
	  "\n"
	  "--G\n"
	  "Content-Type: message/delivery-status\n"
	  "\n"
	  "Final-Recipient: rfc822; nobody@example.org\n"
	  "Action: failed\n"
	  "Status: 5.1.1\n"
	  "\n"
	  "--G--\n",
	  "googleworkspace" },
};

static struct report *
decode(const char *msg, int *ret)
{
	return (fixture_decode(msg, strlen(msg), ret));
}

static void
test_families(void **state)
{
	const struct tcase *t;
	const struct want *w;
	struct report *r;
	size_t i, k;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = &cases[i];
		print_message("case: %s\n", t->name);
		r = decode(t->msg, &ret);
		assert_int_equal(ret, 1);
		assert_int_equal(r->bounce, 1);
		assert_string_equal(r->kind, "dsn");
		assert_string_equal(r->format, t->format);
		assert_int_equal(r->nrcpt, t->nrcpt);
		for (k = 0; k < t->nrcpt; k++) {
			w = &t->rc[k];
			fixture_check_rcpt(&r->rcpt[k], &(struct fixture_want){
			    .addr = w->addr, .status = w->status,
			    .reply = w->reply, .cmd = w->cmd, .diag = w->diag,
			    .hint = w->hint });
		}
		report_free(r);
	}
}

static void
test_lookalikes(void **state)
{
	struct report *r;
	size_t i;
	int ret;

	(void)state;
	for (i = 0; i < sizeof(lookalikes) / sizeof(lookalikes[0]); i++) {
		print_message("lookalike: %s\n", lookalikes[i].name);
		r = decode(lookalikes[i].msg, &ret);
		assert_int_not_equal(ret, -1);
		if (ret == 1 && r->format != NULL &&
		    strcmp(r->format, lookalikes[i].family) == 0)
			fail_msg("taken for a %s report", r->format);
		report_free(r);
	}
}

/* Each family's file loads and names the hook it needs. */
static void
test_loaded(void **state)
{
	static const char *const fams[] = { "activehunter", "apachejames",
	    "biglobe", "domino", "einsundeins", "fml", "gmx", "imailserver",
	    "kddi", "mailfoundry", "mailmarshal", "mfilter", "mimecast",
	    "mxlogic", "notes", "powermta", "trendmicro", "verizon", "x1",
	    "x3", "x4", "x5", "x6", "googleworkspace", "courier", "mcafee",
	    "barracuda", "surfcontrol", "yandex", "bigfoot", "amavis",
	    "sendgrid", NULL };
	const struct fmt_family *f;
	size_t i;

	(void)state;
	for (i = 0; fams[i] != NULL; i++) {
		f = fmt_family_find(R, fams[i]);
		if (f == NULL)
			fail_msg("family %s not loaded", fams[i]);
	}
	f = fmt_family_find(R, "x5");
	assert_non_null(f->hook);
	assert_non_null(f->hook->parse);
	f = fmt_family_find(R, "powermta");
	assert_non_null(f->hook);
	assert_non_null(f->hook->fixup);
}

/*
 * A PowerMTA report with many recipients: every group's category reaches
 * its own recipient (in order), and the work stays linear.
 */
static void
test_powermta_many(void **state)
{
	static const char head[] =
	    "From: postmaster@pmta.example.net\n"
	    "Subject: Delivery report\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status; "
	    "boundary=\"PM\"\n"
	    "\n"
	    "--PM\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "Hello, this is the mail server on pmta.example.net.\n"
	    "\n"
	    "--PM\n"
	    "Content-Type: message/delivery-status\n"
	    "\n"
	    "Reporting-MTA: dns;pmta.example.net\n";
	enum { N = 3000 };
	struct report *r;
	char *msg, *o;
	size_t cap = sizeof(head) + (size_t)N * 160 + 16, i;
	int ret;

	(void)state;
	assert_non_null(msg = malloc(cap));
	o = msg + snprintf(msg, cap, "%s", head);
	for (i = 0; i < N; i++)
		o += snprintf(o, cap - (size_t)(o - msg),
		    "\nFinal-Recipient: rfc822;u%zu@dest.example.com\n"
		    "Action: failed\nStatus: 5.0.0\n"
		    "X-PowerMTA-BounceCategory: %s\n", i,
		    i % 2 ? "quota-issues" : "bad-domain");
	snprintf(o, cap - (size_t)(o - msg), "\n--PM--\n");
	r = decode(msg, &ret);
	assert_int_equal(ret, 1);
	assert_string_equal(r->format, "powermta");
	assert_int_equal(r->nrcpt, N);
	for (i = 0; i < N; i++)
		assert_string_equal(r->rcpt[i].reason_hint,
		    i % 2 ? "mailboxfull" : "hostunknown");
	report_free(r);
	free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_lookalikes),
		cmocka_unit_test(test_loaded),
		cmocka_unit_test(test_powermta_many),
	};

	return (cmocka_run_group_tests(tests, fixture_setup, fixture_teardown));
}
