#!/usr/bin/env python3
# wrap_reply.py - wrap published SMTP refusals in real MTAs' bounces
#
# SYNOPSIS
#	python3 tests/lib/wrap_reply.py REPLIES OUTDIR
#
# DESCRIPTION
#	Reads REPLIES (tests/fixtures/providers/replies.tsv: id, remote
#	host, recipient, wanted cause and side, reply) and writes, for each
#	reply, OUTDIR/ID--WRAPPER.eml in the wrappers a sender meets: a
#	Postfix DSN and an Exim bounce (for a 4xx reply: Postfix's delay
#	notice and Exim's delay warning), and for a 5xx reply also a
#	Sendmail DSN, a qmail notice and an Exchange Online NDR.  Each
#	wrapper writes the reply as that MTA does: Postfix folds it into
#	its notice and the Diagnostic-Code, Exim repeats the reply and
#	enhanced codes on every line ("550-5.7.1 ..."), Sendmail and qmail
#	keep one line, Exchange Online quotes it after "Remote Server
#	returned".  Prints the number of bounces written.  Nothing is
#	committed: the files are generated when the test runs.
import os
import re
import sys
import textwrap

ORIG = """Return-Path: <bob@contoso.example.com>
From: Bob Sender <bob@contoso.example.com>
To: {rcpt}
Subject: Newsletter, November
Date: Mon, 23 Nov 2026 07:00:00 +0000
Message-ID: <20261123.7@contoso.example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii
"""


def postfix(c):
    delayed = c['code'].startswith('4')
    status = c['enh'] or (c['code'][0] + '.0.0')
    notice = wrap(c['text'], '    ')
    diag = textwrap.fill(c['text'], 72, subsequent_indent='    ')
    if delayed:
        subj = "Delayed Mail (still being retried)"
        head = ("Your message could not be delivered for more than 4 "
                "hour(s).\nIt will be retried until it is 5 day(s) old.\n")
    else:
        subj = "Undelivered Mail Returned to Sender"
        head = ("I'm sorry to have to inform you that your message could "
                "not\nbe delivered to one or more recipients. It's attached "
                "below.\n")
    b = "B1.1700000000/mail.contoso.example.com"
    return f"""Return-Path: <>
Date: Mon, 23 Nov 2026 11:00:00 +0000 (UTC)
From: MAILER-DAEMON@mail.contoso.example.com (Mail Delivery System)
Subject: {subj}
To: bob@contoso.example.com
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="{b}"
Message-Id: <20261123110000.5AbCdEfGh1@mail.contoso.example.com>

This is a MIME-encapsulated message.

--{b}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.contoso.example.com.

{head}
                   The mail system

<{c['rcpt']}>: host {c['host']}[192.0.2.99] said:
{notice} (in reply to end of DATA command)

--{b}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.contoso.example.com
X-Postfix-Queue-ID: 4XyZ1p2q3r
Arrival-Date: Mon, 23 Nov 2026 07:00:00 +0000 (UTC)

Final-Recipient: rfc822; {c['rcpt']}
Original-Recipient: rfc822;{c['rcpt']}
Action: {'delayed' if delayed else 'failed'}
Status: {status}
Remote-MTA: dns; {c['host']}
Diagnostic-Code: smtp; {diag}

--{b}
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

{ORIG.format(rcpt=c['rcpt'])}
--{b}--
"""


def wrap(text, indent):
    return textwrap.fill(text, 72, initial_indent=indent,
                         subsequent_indent=indent)


def exim_lines(c):
    code, enh = c['code'], c['enh']
    t = c['text'][len(code) + 1:]
    if enh and t.startswith(enh):
        t = t[len(enh) + 1:]
    pre = code + (" " + enh if enh else "")
    cont = code + "-" + (enh + " " if enh else "")
    lines = textwrap.wrap(t, 62)
    out = [f"    {cont}{x}" for x in lines[:-1]]
    out.append(f"    {pre} {lines[-1]}")
    return "\n".join(out)


def exim(c):
    body = exim_lines(c)
    if c['code'].startswith('4'):
        subj = "Warning: message 1tAbCd-000124-AB delayed 24 hours"
        text = f"""This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on mx.contoso.example.com.

The message identifier is:     1tAbCd-000124-AB
The subject of the message is: Newsletter, November
The date of the message is:    Mon, 23 Nov 2026 07:00:00 +0000

The address to which the message has not yet been delivered is:

  {c['rcpt']}
    host {c['host']} [192.0.2.99]
    SMTP error from remote mail server after end of data:
{body}

No action is required on your part. Delivery attempts will continue for
some time, and this warning may be repeated at intervals if the message
remains undelivered. Eventually the mail delivery software will give up,
and when that happens, the message will be returned to you.
"""
    else:
        subj = "Mail delivery failed: returning message to sender"
        text = f"""This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  {c['rcpt']}
    host {c['host']} [192.0.2.99]
    SMTP error from remote mail server after end of data:
{body}

------ This is a copy of the message, including all the headers. ------

{ORIG.format(rcpt=c['rcpt'])}
Hello.
"""
    return f"""Return-path: <>
Received: from Debian-exim by mx.contoso.example.com with local (Exim 4.96)
	id 1tAbCd-000124-AB for bob@contoso.example.com; Mon, 23 Nov 2026 08:00:00 +0000
X-Failed-Recipients: {c['rcpt']}
Auto-Submitted: auto-replied
From: Mail Delivery System <Mailer-Daemon@mx.contoso.example.com>
To: bob@contoso.example.com
Subject: {subj}
Message-Id: <E1tAbCd-000124-AB@mx.contoso.example.com>
Date: Mon, 23 Nov 2026 08:00:00 +0000

{text}"""


def sendmail(c):
    status = c['enh'] or (c['code'][0] + '.0.0')
    b = "5ANB8fGh012399.1700000000/mail.contoso.example.com"
    return f"""Return-Path: <MAILER-DAEMON>
Received: from localhost (localhost)
	by mail.contoso.example.com (8.17.1.9/8.17.1.9) id 5ANB8fGh012399;
	Mon, 23 Nov 2026 08:00:00 GMT
Date: Mon, 23 Nov 2026 08:00:00 GMT
From: Mail Delivery Subsystem <MAILER-DAEMON@mail.contoso.example.com>
Message-Id: <202611230800.5ANB8fGh012399@mail.contoso.example.com>
To: <bob@contoso.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="{b}"
Subject: Returned mail: see transcript for details
Auto-Submitted: auto-generated (failure)

This is a MIME-encapsulated message

--{b}

The original message was received at Mon, 23 Nov 2026 07:00:00 GMT
from client.contoso.example.com [192.0.2.10]

   ----- The following addresses had permanent fatal errors -----
<{c['rcpt']}>
    (reason: {c['text']})

   ----- Transcript of session follows -----
... while talking to {c['host']}.:
>>> DATA
<<< {c['text']}
554 5.0.0 Service unavailable

--{b}
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.contoso.example.com
Received-From-MTA: DNS; client.contoso.example.com
Arrival-Date: Mon, 23 Nov 2026 07:00:00 GMT

Final-Recipient: RFC822; {c['rcpt']}
Action: failed
Status: {status}
Remote-MTA: DNS; {c['host']}
Diagnostic-Code: SMTP; {c['text']}
Last-Attempt-Date: Mon, 23 Nov 2026 08:00:00 GMT

--{b}
Content-Type: text/rfc822-headers

{ORIG.format(rcpt=c['rcpt'])}
--{b}--
"""


def qmail(c):
    return f"""Return-Path: <>
Received: (qmail 31399 invoked for bounce); 23 Nov 2026 08:00:00 -0000
Date: 23 Nov 2026 08:00:00 -0000
From: MAILER-DAEMON@mail.contoso.example.com
To: bob@contoso.example.com
Subject: failure notice

Hi. This is the qmail-send program at mail.contoso.example.com.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<{c['rcpt']}>:
192.0.2.99 failed after I sent the message.
Remote host said: {c['text']}

--- Below this line is a copy of the message.

{ORIG.format(rcpt=c['rcpt'])}
Hello.
"""


def exo(c):
    status = c['enh'] or (c['code'][0] + '.0.0')
    b = "_000_DM6PR11MB1234GEN_"
    return f"""Received: from DM6PR11MB1234.namprd11.prod.outlook.com (2603:10b6:5:1::1) by
 DM6PR11MB1234.namprd11.prod.outlook.com with Microsoft SMTP Server id 15.20.1; Mon, 23 Nov 2026 08:00:00 +0000
MIME-Version: 1.0
From: postmaster@contoso.example.com
To: bob@contoso.example.com
Date: Mon, 23 Nov 2026 08:00:00 +0000
Content-Type: multipart/report; report-type=delivery-status;
	boundary="{b}"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: en-US
Message-ID: <ndr-gen-{c['id']}@DM6PR11MB1234.namprd11.prod.outlook.com>
Subject: Undeliverable: Newsletter, November
Auto-Submitted: auto-replied

--{b}
Content-Type: text/plain; charset="us-ascii"

Delivery has failed to these recipients or groups:

{c['rcpt']}<mailto:{c['rcpt']}>
Your message couldn't be delivered. The recipient's email provider rejected it.


Diagnostic information for administrators:

Generating server: DM6PR11MB1234.namprd11.prod.outlook.com

{c['rcpt']}
{c['host']}
Remote Server returned '{c['text']}'

--{b}
Content-Type: message/delivery-status

Reporting-MTA: dns;DM6PR11MB1234.namprd11.prod.outlook.com
Received-From-MTA: dns;mail.contoso.example.com
Arrival-Date: Mon, 23 Nov 2026 07:00:00 +0000

Final-Recipient: rfc822;{c['rcpt']}
Action: failed
Status: {status}
Remote-MTA: dns;{c['host']}
Diagnostic-Code: smtp;{c['text']}

--{b}
Content-Type: text/rfc822-headers

{ORIG.format(rcpt=c['rcpt'])}
--{b}--
"""


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: wrap_reply.py REPLIES OUTDIR")
    os.makedirs(sys.argv[2], exist_ok=True)
    n = 0
    with open(sys.argv[1], encoding="utf-8") as fh:
        for line in fh:
            if not line.strip() or line.startswith('#'):
                continue
            cid, host, rcpt, _want, text = line.rstrip('\n').split('\t', 4)
            m = re.match(r'([245]\d\d)[ -](?:([245]\.\d{1,3}\.\d{1,3})\b)?',
                         text)
            if m is None:
                sys.exit("%s: the reply does not start with a code" % cid)
            c = dict(id=cid, host=host, rcpt=rcpt, text=text,
                     code=m.group(1), enh=m.group(2))
            wrappers = [('postfix', postfix), ('exim', exim)]
            if c['code'].startswith('5'):
                wrappers += [('sendmail', sendmail), ('qmail', qmail),
                             ('exo', exo)]
            for w, f in wrappers:
                with open(os.path.join(sys.argv[2], f"{cid}--{w}.eml"), 'w',
                          encoding="utf-8") as o:
                    o.write(f(c))
                n += 1
    print(n)


if __name__ == '__main__':
    main()
