#!/usr/bin/env python3
# maillog_cases.py - the log-line test of bounce-decode --maillog and --line
#
# SYNOPSIS
#	python3 tests/lib/maillog_cases.py BOUNCE-DECODE WORKDIR
#
# DESCRIPTION
#	For every cause family, one remote reply (or local error) is written
#	four ways: as a Postfix delivery line, a Sendmail one, an Exim one
#	(each in the exact shape that MTA logs, behind syslog, journald
#	short-iso, RFC 5424 or Exim's own timestamps), as a pasted reply for
#	--line, and inside a bounce message (a Postfix-style multipart/report
#	with the same recipient, Remote-MTA, Action and Status).  Checks that
#	each log form names the expected cause and side, and the same cause,
#	side, reason, status and hint as the bounce (--line: the same cause,
#	side and reason; it has no recipient to name in the hint), that each
#	result carries queue_id, time, mta and relay, and that lines that are
#	no failure (status=sent, stat=Sent, Exim's => and Completed, other
#	programs) give nothing.  Prints "ok: N checks" or the failures; exit 1
#	on any.
import json
import os
import subprocess
import sys

BD, W = sys.argv[1], sys.argv[2]

# (name, rcpt, remote host, ip, dsn, action, reply, command, cause, side)
# command: the SMTP command the reply answered ("" for a local error).
CASES = [
    ("dbeb", "kim@contoso.example", "contoso-example.mail.protection.outlook.com",
     "52.101.10.1", "5.4.1", "failed",
     "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) "
     "[DM6NAM12FT034.eop-nam12.prod.protection.outlook.com]", "RCPT",
     "recipient-not-in-directory", "address"),
    ("relay", "ann@fabrikam.example", "fabrikam-example.mail.protection.outlook.com",
     "52.101.10.2", "5.4.1", "failed",
     "550 5.4.1 Relay Access Denied [BN8NAM12FT022.eop-nam12.prod.protection.outlook.com]",
     "RCPT", "relay-access-denied", "recipient"),
    ("zoho", "li@zoho-customer.example", "mx.zoho.com", "204.141.33.44", "5.4.1",
     "failed", "541 5.4.1 Mail rejected by destination domain", "DATA",
     "destination-domain-rejected", "recipient"),
    ("blocked", "bo@blocky.example", "mx.blocky.example", "192.0.2.30", "5.4.1",
     "failed", "550 5.4.1 Access denied: 198.51.100.7 is listed at zen.spamhaus.org",
     "RCPT", "sender-blocked", "sender"),
    ("ptr", "cy@strict.example", "mx.strict.example", "192.0.2.31", "4.7.1",
     "delayed", "450 4.7.1 Client host rejected: cannot find your hostname, [198.51.100.7]",
     "RCPT", "sender-no-ptr", "sender"),
    ("auth", "dee@gmail.com", "gmail-smtp-in.l.google.com", "142.250.102.26",
     "5.7.26", "failed",
     "550-5.7.26 This mail has been blocked because the sender is unauthenticated. "
     "550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. "
     "550 5.7.26 Authentication results: dmarc=none spf=none dkim=none",
     "DATA", None, "sender"),
    ("policy", "ed@gateway-customer.example", "mx1.gateway.example", "192.0.2.32",
     "5.4.1", "failed", "550 5.4.1 Access denied: sender not allowed by policy",
     "RCPT", "recipient-policy-rejected", "recipient"),
    ("timeout", "fay@slow.example", "", "", "4.4.1", "delayed",
     "connect to mx.slow.example[192.0.2.33]:25: Connection timed out", "",
     "no-answer-from-host", "transient"),
    ("suspended", "gus@slow.example", "", "", "4.4.1", "delayed",
     "delivery temporarily suspended: connect to mx.slow.example[192.0.2.33]:25: "
     "Connection timed out", "", "no-answer-from-host", "transient"),
    ("unclassified", "hal@odd.example", "mx.odd.example", "192.0.2.34", "5.4.1",
     "failed", "550 5.4.1 Something odd happened", "RCPT",
     "unclassified-5.4.1", "unknown"),
    ("tenant", "ivy@tailspin.example", "tailspin-example.mail.protection.outlook.com",
     "52.101.10.3", "5.7.64", "failed",
     "550 5.7.64 TenantAttribution; Relay Access Denied "
     "[SN1NAM02FT0123.eop-nam02.prod.protection.outlook.com]", "RCPT",
     "connector-tenant-attribution", "sender"),
    ("region", "jo@woodgrove.example", "woodgrove-example.mail.protection.outlook.com",
     "52.101.10.4", "4.4.62", "delayed",
     "451 4.4.62 Mail sent to the wrong Office 365 region. ATTR35. For more "
     "information please go to https://go.microsoft.com/fwlink/?LinkId=526653",
     "RCPT", "wrong-region", "sender"),
    ("loop", "kai@loop.example", "loop-example.mail.protection.outlook.com",
     "52.101.10.5", "5.4.14", "failed",
     "554 5.4.14 Hop count exceeded - possible mail loop ATTR34 "
     "[BY2NAM03FT011.eop-NAM03.prod.protection.outlook.com]", "DATA",
     "routing-loop", "recipient"),
    ("nxdomain", "lu@nx.example", "", "", "5.4.4", "failed",
     "Host or domain name not found. Name service error for name=nx.example "
     "type=MX: Host not found", "", "dns-domain-not-found", "address"),
    ("refused", "mo@closed.example", "", "", "4.4.1", "delayed",
     "connect to mx.closed.example[192.0.2.35]:25: Connection refused", "",
     None, None),
    ("unknown", "ned@example.org", "mx.example.org", "192.0.2.36", "5.1.1",
     "failed", "550 5.1.1 <ned@example.org>: Recipient address rejected: User "
     "unknown in virtual mailbox table", "RCPT", "userunknown", "address"),
    ("full", "ola@example.org", "mx.example.org", "192.0.2.36", "4.2.2",
     "delayed", "452 4.2.2 <ola@example.org>: Recipient address rejected: "
     "Mailbox full", "RCPT", "mailboxfull", "address"),
    ("yahoo-policy", "pat@yahoo.com", "mta6.am0.yahoodns.net", "67.195.204.72",
     "5.7.9", "failed", "554 5.7.9 Message not accepted for policy reasons.  "
     "See https://senders.yahooinc.com/error-codes", "DATA",
     None, None),
    ("yahoo-volume", "quin@yahoo.com", "mta7.am0.yahoodns.net", "67.195.204.73",
     "4.7.0", "delayed", "421 4.7.0 [TSS04] Messages from 198.51.100.7 "
     "temporarily deferred due to unexpected volume or user complaints - "
     "4.16.55.1; see https://postmaster.yahooinc.com/error-codes", "MAIL",
     None, "sender"),
    ("gmail-ptr", "ray@gmail.com", "gmail-smtp-in.l.google.com", "142.250.102.27",
     "4.7.23", "delayed", "421-4.7.23 The sending IP does not match the IP "
     "address of the hostname specified in the pointer (PTR) record. "
     "421 4.7.23 For more information, go to https://support.google.com/mail/answer/81126",
     "DATA", None, None),
    ("greylist", "sue@grey.example", "mx.grey.example", "192.0.2.37", "4.2.0",
     "delayed", "450 4.2.0 <sue@grey.example>: Recipient address rejected: "
     "Greylisted, see http://postgrey.schweikert.ch/help/grey.example.html",
     "RCPT", None, None),
    ("expired", "tom@slow.example", "", "", "4.4.7", "failed",
     "delivery temporarily suspended: connect to mx.slow.example[192.0.2.33]:25: "
     "Connection timed out", "", "message-expired", None),
]

CMD_PF = {"RCPT": "RCPT TO", "MAIL": "MAIL FROM", "DATA": "end of DATA",
          "HELO": "EHLO"}


def status_of(action):
    return {"failed": "bounced", "delayed": "deferred"}[action]


def pf_line(i, c, stamp):
    name, rcpt, host, ip, dsn, action, reply, cmd = c[:8]
    st = "expired" if name == "expired" else status_of(action)
    if host:
        text = "host %s[%s] said: %s (in reply to %s command)" % (
            host, ip, reply, CMD_PF[cmd])
        relay = "%s[%s]:25" % (host, ip)
    else:
        text, relay = reply, "none"
    return ("%s mail postfix/smtp[%d]: 4T%04dAbCdEf: to=<%s>, relay=%s, "
            "delay=1.4, delays=0.1/0.01/0.6/0.7, dsn=%s, status=%s (%s)"
            % (stamp, 2000 + i, i, rcpt, relay, dsn, st, text))


def exim_line(i, c, stamp):
    name, rcpt, host, ip, dsn, action, reply, cmd = c[:8]
    mark = "**" if action == "failed" else "=="
    defer = "" if action == "failed" else " defer (-44)"
    if host:
        after = {"RCPT": "RCPT TO:<%s>" % rcpt, "MAIL": "MAIL FROM:<s@ours.example>",
                 "DATA": "end of data", "HELO": "EHLO mail.ours.example"}[cmd]
        return ("%s 1tX%03d-000Abc-%02d %s %s R=dnslookup T=remote_smtp%s "
                "H=%s [%s] X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes: "
                "SMTP error from remote mail server after %s: %s"
                % (stamp, i, i, mark, rcpt, defer, host, ip, after, reply))
    # Exim's own words for the local errors
    text = EXIM_LOCAL.get(name)
    if text is None:
        return None
    if name in ("timeout", "refused"):
        defer = " defer (%d)" % (110 if name == "timeout" else 111)
    return ("%s 1tX%03d-000Abc-%02d %s %s R=dnslookup T=remote_smtp%s: %s"
            % (stamp, i, i, mark, rcpt, defer, text))


EXIM_LOCAL = {"timeout": "Connection timed out", "refused": "Connection refused",
              "nxdomain": "Unrouteable address", "expired": "retry timeout exceeded"}


def sm_line(i, c, stamp):
    name, rcpt, host, ip, dsn, action, reply, cmd = c[:8]
    relay = "%s. [%s]" % (host, ip) if host else "mx.%s." % rcpt.split("@")[1]
    stat = ("Deferred: " + reply) if action == "delayed" else reply
    return ("%s mail sm-mta[%d]: 5B6%05dQ0%05d: to=<%s>, delay=00:00:02, "
            "xdelay=00:00:01, mailer=esmtp, pri=120349, relay=%s, dsn=%s, "
            "stat=%s" % (stamp, 3000 + i, i, i, rcpt, relay, dsn, stat))


def bounce(c):
    name, rcpt, host, ip, dsn, action, reply, cmd = c[:8]
    if host:
        notice = "<%s>: host %s[%s] said: %s (in reply to %s command)" % (
            rcpt, host, ip, reply, CMD_PF[cmd])
        rmta = "Remote-MTA: dns; %s\n" % host
        diag = "smtp; " + reply
    else:
        notice, rmta, diag = "<%s>: %s" % (rcpt, reply), "", "X-Postfix; " + reply
    subj = ("Delayed Mail (still being retried)" if action == "delayed"
            else "Undelivered Mail Returned to Sender")
    return ("""From: MAILER-DAEMON@mail (Mail Delivery System)
To: sender@ours.example
Subject: %s
Date: Sun, 6 Dec 2026 20:00:00 +0000
Message-Id: <bounce-%s@mail>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B1"

--B1
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

%s

--B1
Content-Type: message/delivery-status

Reporting-MTA: dns; mail
X-Postfix-Queue-ID: 4T0000AbCdEf

Final-Recipient: rfc822; %s
Original-Recipient: rfc822;%s
Action: %s
Status: %s
%sDiagnostic-Code: %s

--B1--
""" % (subj, name, notice, rcpt, rcpt, action, dsn, rmta, diag))


def run(args):
    p = subprocess.run([BD, "--json", "--no-dns"] + args, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit("FAIL: %s exited %d: %s" % (args, p.returncode, p.stderr))
    return [json.loads(l) for l in p.stdout.splitlines() if l.strip()]


def main():
    fails, checks = [], 0
    os.makedirs(W + "/bounces", exist_ok=True)
    stamps = {
        "postfix": ["Dec  6 20:%02d:07", "2026-12-06T20:%02d:07+0000",
                    "<22>1 2026-12-06T20:%02d:07.123456+00:00 mail postfix/smtp 2001 - -"],
        "exim": ["2026-12-06 20:%02d:07", "2026-12-06 20:%02d:07.412 +0100"],
        "sendmail": ["Dec  6 20:%02d:07", "2026-12-06T20:%02d:07.003419+00:00"],
    }
    logs = {k: [] for k in stamps}
    for i, c in enumerate(CASES):
        with open("%s/bounces/%02d-%s.eml" % (W, i, c[0]), "w") as f:
            f.write(bounce(c))
        with open("%s/bounces/%02d-nostatus-%s.eml" % (W, i, c[0]), "w") as f:
            f.write(bounce(c).replace("Status: %s\n" % c[4], ""))
        for mta, fn in (("postfix", pf_line), ("exim", exim_line),
                        ("sendmail", sm_line)):
            s = stamps[mta][i % len(stamps[mta])] % (i % 60)
            if mta == "postfix" and s.startswith("<22>"):
                # RFC 5424: the header carries app-name and procid
                line = fn(i, c, "X").split(" ", 2)[2]
                line = s + " " + line.split(": ", 1)[1]
            else:
                line = fn(i, c, s)
            if line is None or (mta == "sendmail" and c[0] == "expired"):
                continue	# Sendmail logs no expiry per recipient
            logs[mta].append((c, line))
    # lines that are no failure: nothing comes of them
    noise = [
        "Dec  6 20:00:01 mail postfix/smtp[2]: 4TAAA: to=<a@b.example>, relay=mx.b.example[192.0.2.1]:25, delay=0.3, delays=0/0/0.1/0.2, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 4TBBB)",
        "Dec  6 20:00:01 mail postfix/qmgr[3]: 4TAAA: from=<s@ours.example>, size=1234, nrcpt=1 (queue active)",
        "Dec  6 20:00:01 mail postfix/qmgr[3]: 4TAAA: from=<s@ours.example>, status=expired, returned to sender",
        "Dec  6 20:00:01 mail postfix/smtpd[4]: connect from unknown[192.0.2.9]",
        "Dec  6 20:00:02 mail sm-mta[5]: 5B6AAAA: to=<a@b.example>, delay=00:00:01, xdelay=00:00:01, mailer=esmtp, pri=1, relay=mx.b.example. [192.0.2.1], dsn=2.0.0, stat=Sent (Ok: queued as 4TBBB)",
        "2026-12-06 20:00:03 1tXAAA-000Abc-00 => a@b.example R=dnslookup T=remote_smtp H=mx.b.example [192.0.2.1] C=\"250 2.0.0 Ok\"",
        "2026-12-06 20:00:03 1tXAAA-000Abc-00 Completed",
        "Dec  6 20:00:04 mail kernel: [ 12.3] ** status=bounced ** nothing here",
        "Dec  6 20:00:04 mail cron[9]: (root) CMD (stat=/usr/bin/true)",
    ]
    for mta, rows in logs.items():
        path = "%s/%s.log" % (W, mta)
        with open(path, "w") as f:
            for n, (c, line) in enumerate(rows):
                f.write(noise[n % len(noise)] + "\n" + line + "\n")
    ref = {}
    for o in run([W + "/bounces"]):
        name = os.path.basename(o["file"])[3:-4]
        if len(o["recipients"]) != 1:
            fails.append("bounce %s: %d recipients" % (name, len(o["recipients"])))
            continue
        ref[name] = o["recipients"][0]
    keys = ("cause", "side", "reason", "status", "hint")
    for mta, rows in logs.items():
        out = run(["--maillog", "%s/%s.log" % (W, mta)])
        checks += 1
        if len(out) != len(rows):
            fails.append("%s: %d results for %d lines" % (mta, len(out), len(rows)))
            continue
        for (c, line), o in zip(rows, out):
            name, cause, side = c[0], c[8], c[9]
            r = o["recipients"][0]
            for k in ("queue_id", "time", "mta", "relay"):
                checks += 1
                if k not in o:
                    fails.append("%s %s: no key %s" % (mta, name, k))
            checks += 3
            if o["mta"] != mta or not o["queue_id"] or not o["time"].startswith("2026-12-06T20:"):
                fails.append("%s %s: mta/queue_id/time %r %r %r" % (
                    mta, name, o["mta"], o["queue_id"], o["time"]))
            if c[2] and c[2] not in o["relay"]:
                fails.append("%s %s: relay %r" % (mta, name, o["relay"]))
            if r["recipient"] != c[1]:
                fails.append("%s %s: recipient %r" % (mta, name, r["recipient"]))
            if cause is not None:
                checks += 1
                if r["cause"] != cause:
                    fails.append("%s %s: cause %s, want %s" % (mta, name, r["cause"], cause))
            if side is not None:
                checks += 1
                if r["side"] != side:
                    fails.append("%s %s: side %s, want %s" % (mta, name, r["side"], side))
            b = ref.get(name)
            if mta == "exim":
                # Exim states no status: the same bounce without one
                b = ref.get("nostatus-" + name) if c[2] else None
            if b is None:
                continue
            for k in keys:
                checks += 1
                if r[k] != b[k]:
                    fails.append("%s %s: %s differs from the bounce's:\n  log:    %r\n  bounce: %r"
                                 % (mta, name, k, r[k], b[k]))
    # --line: the reply as pasted from a ticket, with its wrapper
    texts = []
    for c in CASES:
        name, rcpt, host, ip, dsn, action, reply, cmd = c[:8]
        if host:
            texts.append("<%s>: host %s[%s] said: %s (in reply to %s command)"
                         % (rcpt, host, ip, reply.replace(" 550-", "\n550-")
                            .replace(" 550 ", "\n550 ").replace(" 421 ", "\n421 "),
                            CMD_PF[cmd]))
        else:
            texts.append(reply)
    args = []
    for t in texts:
        args += ["--line", t]
    out = run(args)
    checks += 1
    if len(out) != len(CASES):
        fails.append("--line: %d results for %d texts" % (len(out), len(CASES)))
    for c, o in zip(CASES, out):
        name = c[0]
        r = o["recipients"][0]
        checks += 2
        if o["file"] != "line:%d" % (CASES.index(c) + 1) or "mta" in o:
            fails.append("--line %s: file %r, keys %s" % (name, o["file"], sorted(o)))
        if not c[2]:
            continue	# a local error pasted alone says no status
        b = ref.get(name)
        for k in ("cause", "side", "reason"):
            checks += 1
            if b is not None and r[k] != b[k]:
                fails.append("--line %s: %s %r, the bounce's %r" % (name, k, r[k], b[k]))
    for f in fails:
        print("FAIL:", f)
    print("%s: %d checks, %d cases x 3 MTAs, %d failures" % (
        "ok" if not fails else "FAIL", checks, len(CASES), len(fails)))
    return 1 if fails else 0


sys.exit(main())
