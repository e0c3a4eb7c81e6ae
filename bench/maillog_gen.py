#!/usr/bin/env python3
# maillog_gen.py - a realistic Postfix mail log for the --maillog benchmark
#
# SYNOPSIS
#	python3 bench/maillog_gen.py SIZE_MB OUT
#
# DESCRIPTION
#	Writes about SIZE_MB megabytes of syslog-format Postfix log to OUT:
#	for each message the lines a relay really writes (smtpd connect,
#	client=, cleanup message-id=, qmgr from=, one delivery line a
#	recipient, qmgr removed, smtpd disconnect), plus postscreen, anvil
#	and tlsmgr noise.  Deliveries are mostly status=sent; failures and
#	deferrals (a mix of the remote replies administrators meet: DBEB,
#	Gmail authentication, greylisting, timeouts, full mailboxes, Yahoo
#	volume deferrals, ...) make about 5 % of all lines.  Host names,
#	addresses, queue ids and the ids in replies vary, as they do.
#	Deterministic (seeded).  Prints the number of lines and of
#	failure/deferral lines.
import random
import sys

size = int(sys.argv[1]) * 1000 * 1000
out = open(sys.argv[2], "w", buffering=1 << 20)
rnd = random.Random(18)
ALNUM = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com",
           "contoso.example", "fabrikam.example", "example.org", "example.net",
           "mail.example.de", "corp.example.jp", "web.example.fr", "icloud.com"]
MX = {"gmail.com": "gmail-smtp-in.l.google.com", "yahoo.com": "mta6.am0.yahoodns.net",
      "outlook.com": "outlook-com.olc.protection.outlook.com",
      "hotmail.com": "hotmail-com.olc.protection.outlook.com",
      "icloud.com": "mx01.mail.icloud.com"}
FAIL = [  # (dsn, status, reply)
    ("5.4.1", "bounced", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [%s.eop-nam12.prod.protection.outlook.com 2026-12-06T20:00:00.000Z 08DC%s]"),
    ("5.1.1", "bounced", "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address for typos or 550-5.1.1 unnecessary spaces. For more information, go to 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser %s.%s - gsmtp"),
    ("5.7.26", "bounced", "550-5.7.26 This mail has been blocked because the sender is unauthenticated. 550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM. 550 5.7.26 Authentication results: dmarc=none spf=none dkim=none %s %s - gsmtp"),
    ("4.7.1", "deferred", "450 4.7.1 <%s>: Recipient address rejected: Greylisted for 300 seconds %s"),
    ("4.7.0", "deferred", "421 4.7.0 [TSS04] Messages from 198.51.100.7 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes %s%s"),
    ("4.2.2", "deferred", "452 4.2.2 The email account that you tried to reach is over quota. %s %s - gsmtp"),
    ("5.7.1", "bounced", "554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org; %s%s"),
]
TIMEOUT = "connect to %s[%s]:25: Connection timed out"
SUSP = "delivery temporarily suspended: connect to %s[%s]:25: Connection timed out"


def qid():
    return "4T" + "".join(rnd.choice(ALNUM) for _ in range(9))


def rid():
    return "".join(rnd.choice(ALNUM) for _ in range(12)).upper()


def ip():
    return "%d.%d.%d.%d" % (rnd.randrange(1, 224), rnd.randrange(256),
                            rnd.randrange(256), rnd.randrange(1, 255))


written = lines = fails = 0
t = 0
while written < size:
    t += rnd.randrange(0, 3)
    ts = "Dec %2d %02d:%02d:%02d" % (1 + (t // 86400) % 28, (t // 3600) % 24,
                                     (t // 60) % 60, t % 60)
    h = "relay1"
    q = qid()
    pid = rnd.randrange(1000, 60000)
    cip = ip()
    rcpts = rnd.choice((1, 1, 1, 2, 3))
    buf = []
    buf.append("%s %s postfix/smtpd[%d]: connect from unknown[%s]" % (ts, h, pid, cip))
    buf.append("%s %s postfix/smtpd[%d]: %s: client=unknown[%s], sasl_method=PLAIN, sasl_username=user%d" % (ts, h, pid, q, cip, rnd.randrange(500)))
    buf.append("%s %s postfix/cleanup[%d]: %s: message-id=<%s@mail.ours.example>" % (ts, h, pid + 1, q, rid()))
    buf.append("%s %s postfix/qmgr[812]: %s: from=<news%d@ours.example>, size=%d, nrcpt=%d (queue active)" % (ts, h, q, rnd.randrange(50), rnd.randrange(2000, 90000), rcpts))
    buf.append("%s %s postfix/smtpd[%d]: disconnect from unknown[%s] ehlo=2 starttls=1 auth=1 mail=1 rcpt=%d data=1 quit=1 commands=%d" % (ts, h, pid, cip, rcpts, 7 + rcpts))
    for _ in range(rcpts):
        dom = rnd.choice(DOMAINS)
        mx = MX.get(dom, "mx%d.%s" % (rnd.randrange(1, 3), dom))
        mip = ip()
        rcpt = "user%d@%s" % (rnd.randrange(100000), dom)
        p = rnd.random()
        if p < 0.74:
            buf.append("%s %s postfix/smtp[%d]: %s: to=<%s>, relay=%s[%s]:25, delay=%.1f, delays=0.1/0.01/0.2/%.1f, dsn=2.0.0, status=sent (250 2.0.0 OK  %d %s - gsmtp)" % (ts, h, pid + 2, q, rcpt, mx, mip, rnd.random() * 3, rnd.random(), rnd.randrange(10**9, 10**10), rid()))
            continue
        fails += 1
        if p < 0.83:
            st, dsn = rnd.choice((("deferred", TIMEOUT), ("deferred", SUSP)))
            buf.append("%s %s postfix/smtp[%d]: %s: to=<%s>, relay=none, delay=%d, delays=0.1/0/30/0, dsn=4.4.1, status=deferred (%s)" % (ts, h, pid + 2, q, rcpt, rnd.randrange(30, 9000), dsn % (mx, mip)))
            continue
        dsn, st, reply = rnd.choice(FAIL)
        reply = reply % ((rcpt, rid()) if "%s>" in reply else (rid(), rid()))
        buf.append("%s %s postfix/smtp[%d]: %s: to=<%s>, relay=%s[%s]:25, delay=%.1f, delays=0.1/0.01/0.2/0.3, dsn=%s, status=%s (host %s[%s] said: %s (in reply to RCPT TO command))" % (ts, h, pid + 2, q, rcpt, mx, mip, rnd.random() * 3, dsn, st, mx, mip, reply))
        if st == "bounced":
            buf.append("%s %s postfix/bounce[%d]: %s: sender non-delivery notification: %s" % (ts, h, pid + 3, q, qid()))
    buf.append("%s %s postfix/qmgr[812]: %s: removed" % (ts, h, q))
    if rnd.random() < 0.3:
        buf.append("%s %s postfix/postscreen[%d]: CONNECT from [%s]:%d to [192.0.2.10]:25" % (ts, h, pid + 4, ip(), rnd.randrange(1024, 65535)))
        buf.append("%s %s postfix/postscreen[%d]: PASS OLD [%s]:%d" % (ts, h, pid + 4, ip(), rnd.randrange(1024, 65535)))
    if rnd.random() < 0.02:
        buf.append("%s %s postfix/anvil[%d]: statistics: max connection rate 3/60s for (smtp:%s) at %s" % (ts, h, pid + 5, ip(), ts))
    s = "\n".join(buf) + "\n"
    out.write(s)
    written += len(s)
    lines += len(buf)
out.close()
print("%d lines, %d failure/deferral lines (%.1f%%), %d bytes" % (
    lines, fails, 100.0 * fails / lines, written))
