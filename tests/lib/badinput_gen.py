#!/usr/bin/env python3
# badinput_gen.py - write hostile test messages for t_badinput.sh
#
# SYNOPSIS
#	python3 tests/lib/badinput_gen.py OUTDIR [SAMPLE]
#
# DESCRIPTION
#	Writes one file per hostile input into OUTDIR and prints, per file,
#	one line "NAME<TAB>LINES<TAB>MINRCPT<TAB>MUST<TAB>WHAT": LINES is the number of
#	JSON lines bounce-decode must print for it (an mbox: one a message),
#	MINRCPT is the number of failed
#	recipients a working decoder must report when it calls the file a
#	bounce and no limit was hit (-1: no such claim); MUST is 1 when the
#	file is still a readable DSN that a working decoder must recognise
#	(bounce true), whatever else is wrong with it.  Nothing here is
#	committed: the files (up to 50 MB) are generated at test time.
#	SAMPLE, when given, is a real bounce (from the shared corpus) that
#	is cut into truncated copies; else a built-in DSN is used.
import base64
import os
import random
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = random.Random(20261123)
listing = []


def dsn(rcpts=1, diag=b"550 5.1.1 <user@example.com>: Recipient address "
        b"rejected: User unknown", charset=b"us-ascii", status=b"5.1.1",
        extra_hdr=b"", boundary=b"BOUNDARY.1", body_cte=b"7bit",
        notice=None, close=True):
    """A plain RFC 3464 report with rcpts failed recipients."""
    b = boundary
    m = [b"From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\r\n",
         b"To: sender@example.org\r\n",
         b"Subject: Undelivered Mail Returned to Sender\r\n",
         b"Date: Mon, 23 Nov 2026 07:00:00 +0000\r\n",
         b"Message-Id: <bad.1@mx.example.net>\r\n",
         b"Auto-Submitted: auto-replied\r\n", extra_hdr,
         b"MIME-Version: 1.0\r\n",
         b"Content-Type: multipart/report; report-type=delivery-status;\r\n"
         b"\tboundary=\"" + b + b"\"\r\n\r\n",
         b"--" + b + b"\r\n",
         b"Content-Type: text/plain; charset=" + charset + b"\r\n",
         b"Content-Transfer-Encoding: " + body_cte + b"\r\n\r\n",
         notice if notice is not None else
         b"I'm sorry to have to inform you that your message could not\r\n"
         b"be delivered to one or more recipients.\r\n",
         b"\r\n--" + b + b"\r\n",
         b"Content-Type: message/delivery-status\r\n\r\n",
         b"Reporting-MTA: dns; mx.example.net\r\n",
         b"Arrival-Date: Mon, 23 Nov 2026 06:59:00 +0000\r\n"]
    for i in range(rcpts):
        m += [b"\r\nFinal-Recipient: rfc822; user%d@example.com\r\n" % i,
              b"Action: failed\r\n",
              b"Status: " + status + b"\r\n",
              b"Remote-MTA: dns; mx.example.com\r\n",
              b"Diagnostic-Code: smtp; " + diag + b"\r\n"]
    m += [b"\r\n--" + b + b"\r\n",
          b"Content-Type: message/rfc822\r\n\r\n",
          b"From: sender@example.org\r\nTo: user0@example.com\r\n"
          b"Subject: hello\r\nMessage-Id: <orig.1@example.org>\r\n\r\nhi\r\n"]
    if close:
        m.append(b"\r\n--" + b + b"--\r\n")
    return b"".join(m)


def put(name, data, minrcpt=-1, what="", lines=1, must=False):
    with open(os.path.join(out, name), "wb") as f:
        if isinstance(data, (list, tuple)):
            for chunk in data:
                f.write(chunk)
        else:
            f.write(data)
    listing.append("%s\t%d\t%d\t%d\t%s" % (name, lines, minrcpt, must, what))


base = dsn()
sample = base
if len(sys.argv) > 2:
    with open(sys.argv[2], "rb") as f:
        sample = f.read()

# sanity: the unmodified DSN, so a broken decoder cannot pass quietly
put("ok-dsn.eml", base, 1, "well-formed RFC 3464 report (control)", must=True)

# empty and tiny
put("empty.eml", b"", -1, "empty file")
put("newline.eml", b"\n", -1, "a single LF")
put("crlf-only.eml", b"\r\n" * 100000, -1, "100,000 empty CRLF lines")
put("cr-only.eml", base.replace(b"\r\n", b"\r"), -1, "CR-only line ends")
put("colon.eml", b":\r\n:\r\n: :\r\n\r\n", -1, "headers with empty names")

# truncated copies of a real bounce
for frac in (1, 7, 23, 50, 77, 99):
    n = len(sample) * frac // 100
    put("trunc-%02d.eml" % frac, sample[:n], -1,
        "real bounce cut at %d%% (%d bytes)" % (frac, n))
i = base.find(b"--BOUNDARY.1\r\nContent-Type: message/delivery-status")
put("trunc-in-boundary.eml", base[:i + 5], -1, "cut inside a boundary line")
i = base.find(b"Diagnostic-Code")
put("trunc-in-field.eml", base[:i + 20], -1, "cut inside a DSN field")

# binary garbage and NUL bytes
put("garbage-1m.bin", bytes(rng.getrandbits(8) for _ in range(1 << 20)),
    -1, "1 MiB of random bytes")
put("nul-only.bin", b"\0" * (1 << 20), -1, "1 MiB of NUL bytes")
put("nul-in-headers.eml", base.replace(b"Subject: ", b"Sub\0ject: \0")
    .replace(b"Reporting-MTA: dns; ", b"Reporting-MTA: dns; \0\0"), -1,
    "NUL bytes inside header names and DSN fields")
put("nul-in-diag.eml", dsn(diag=b"550 5.1.1 user\0unknown\0\0\x01\x1b[31m"),
    1, "NUL and control bytes in the diagnostic", must=True)
put("nul-in-boundary.eml", dsn(boundary=b"BOUN\0DARY"), -1,
    "NUL byte in the boundary")

# one 50 MB line (bounce-decode reads up to 64 MiB)
big = b"x" * (50 * 1024 * 1024)
put("line-50mb.eml", [b"Subject: big\r\n\r\n", big, b"\r\n"], -1,
    "a 50 MB single body line")
put("header-50mb.eml", [b"Subject: ", big, b"\r\n\r\nbody\r\n"], -1,
    "a 50 MB single header line")
del big
put("folded-100k.eml", b"Subject: x\r\n" + b"\t folded\r\n" * 100000 +
    b"\r\nbody\r\n", -1, "one header folded over 100,000 lines")
put("headers-100k.eml", b"".join(b"X-H%d: v\r\n" % i for i in range(100000))
    + b"\r\nbody\r\n", -1, "100,000 header lines")

# 10,000 recipients
put("rcpt-10000.eml", dsn(rcpts=10000), 10000,
    "RFC 3464 report with 10,000 failed recipients", must=True)
put("rcpt-30000.eml", dsn(rcpts=30000), -1,
    "30,000 recipients (past REPORT_MAX_RCPT: must stop with error)")

# nesting
n = 1000
parts = [b"Subject: nest\r\nMIME-Version: 1.0\r\n"]
for d in range(n):
    parts.append(b"Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n"
                 b"--b%d\r\n" % (d, d))
parts.append(b"Content-Type: text/plain\r\n\r\ndeep\r\n")
for d in reversed(range(n)):
    parts.append(b"--b%d--\r\n" % d)
put("nest-multipart-1000.eml", b"".join(parts), -1,
    "1,000 nested multiparts")
parts = []
for d in range(n):
    parts.append(b"Content-Type: message/rfc822\r\n\r\n")
put("nest-rfc822-1000.eml", b"Subject: r\r\nMIME-Version: 1.0\r\n" +
    b"".join(parts) + b"Subject: inner\r\n\r\nhi\r\n", -1,
    "1,000 nested message/rfc822")
put("parts-100k.eml", b"Subject: p\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"z\"\r\n\r\n" +
    b"--z\r\n\r\nx\r\n" * 100000 + b"--z--\r\n", -1,
    "100,000 sibling parts")
put("same-boundary.eml", b"Subject: s\r\nMIME-Version: 1.0\r\n" +
    b"Content-Type: multipart/mixed; boundary=\"q\"\r\n\r\n--q\r\n" * 500 +
    b"\r\nx\r\n--q--\r\n", -1, "500 nested multiparts reusing one boundary")

# broken encodings and charsets
put("bad-base64.eml", dsn(body_cte=b"base64",
    notice=b"SGVsbG8=!!!\r\n=====\r\nQQ\r\n\xff\xfe\r\nA"), 1,
    "broken base64 body", must=True)
put("bad-qp.eml", dsn(body_cte=b"quoted-printable",
    notice=b"=ZZ=\r\n=4=\r\n=\r\n" + b"=3D" * 10000 + b"=\r\n=="), 1,
    "broken quoted-printable body", must=True)
put("base64-huge.eml", [b"Subject: b\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    base64.encodebytes(b"\0\xff" * (4 << 20))], -1,
    "8 MiB of base64-encoded binary")
put("unknown-charset.eml", dsn(charset=b"x-no-such-charset-\xff\xfe",
    diag=b"550 5.1.1 \xe3\x81\x82\xff\xfe unknown"), 1,
    "unknown charset name with 8-bit bytes, invalid UTF-8", must=True)
put("charset-utf7.eml", dsn(charset=b"utf-7", notice=b"+AGEAYgBj-+ZZZZ-\r\n"),
    1, "UTF-7 text with invalid sequences", must=True)
put("encoded-words.eml", b"Subject: " +
    b" ".join(b"=?utf-8?B?%s?=" % base64.b64encode(b"\xff\xfe") for _ in
              range(50000)) + b"\r\nFrom: =?x-bogus?Q?=ZZ?= <a@b>\r\n\r\nx\r\n",
    -1, "50,000 RFC 2047 words, bogus charset, bad Q")
put("rfc2231.eml", b"Subject: p\r\nMIME-Version: 1.0\r\nContent-Type: "
    b"multipart/report; report-type*0=delivery; report-type*1=-status; "
    b"boundary*=''%ff%fe%; boundary*0*=x\r\n\r\nbody\r\n", -1,
    "RFC 2231 continuations and bad percent-escapes in parameters")

# missing or wrong boundaries
put("no-boundary-param.eml", base.replace(b"\tboundary=\"BOUNDARY.1\"",
    b"\tx=y"), -1, "multipart without a boundary parameter")
put("no-final-boundary.eml", dsn(close=False), 1,
    "multipart whose final boundary never comes", must=True)
put("no-boundary-lines.eml", base.replace(b"--BOUNDARY.1", b"--OTHER"), -1,
    "boundary parameter never used in the body")
put("empty-boundary.eml", dsn(boundary=b""), -1, "empty boundary")
put("long-boundary.eml", dsn(boundary=b"b" * 5000), 1,
    "5000-character boundary (RFC limit 70)")

# hostile field values
put("status-long.eml", dsn(status=b"5." + b"1" * 5000 + b".1"), -1,
    "Status with a 5000-digit subject code")
put("status-junk.eml", dsn(status=b"\xff.\x00.-1"), -1, "Status of junk bytes")
put("diag-1mb.eml", dsn(diag=b"550 " + b"A" * (1 << 20)), 1,
    "a 1 MiB Diagnostic-Code", must=True)
put("diag-regex-bomb.eml", dsn(diag=b"550 " + b"a" * 30000 + b"!" +
    b" user unknown" * 2000), 1,
    "diagnostic meant to make patterns backtrack", must=True)
put("rcpt-long.eml", dsn(diag=b"550 x").replace(
    b"user0@example.com", b"u" * 100000 + b"@" + b"d" * 100000), 1,
    "a 200,000-character recipient address")
put("fields-only.eml", b"Content-Type: message/delivery-status\r\n\r\n" +
    b"Final-Recipient: rfc822; a@b\r\nAction: failed\r\n" * 2000, -1,
    "top-level delivery-status with 2000 unseparated recipients")

# mbox with many messages
put("mbox-1000", b"".join(b"From MAILER-DAEMON Mon Nov 23 07:00:00 2026\n" +
    base.replace(b"\r\n", b"\n") + b"\n" for _ in range(1000)), -1,
    "mbox of 1,000 bounces", lines=1000)

for line in listing:
    print(line)
