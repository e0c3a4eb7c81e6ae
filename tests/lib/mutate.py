#!/usr/bin/env python3
# mutate.py - write mutated copies of sample messages, reproducibly
#
# SYNOPSIS
#	python3 tests/lib/mutate.py [-s SEED] [-n N] OUTDIR FILE...
#
# DESCRIPTION
#	Writes N (default 1000) files OUTDIR/mut-NNNN.eml, each a copy of
#	one of the FILEs (picked at random) with one to four mutations:
#	bytes flipped, a cut, a chunk repeated or moved, a hostile piece
#	inserted (control bytes, a NUL, a very long line, a broken MIME
#	boundary or encoded word, an 8-bit run, a truncated base64 line),
#	line ends rewritten (CRLF, bare CR, none), letters' case changed,
#	or two samples spliced.  The same SEED (default 17) and the same
#	FILEs in the same order give the same files byte for byte, so two
#	builds can be compared on them (tests/lib/jsonsnap.sh).  Nothing is
#	committed: the files are generated when needed.
import os
import random
import sys

HOSTILE = [
    b"\x00", b"\r", b"\x1b$B", b"\x1b(B", b"\xff\xfe\xfd", b"\xe3\x81",
    b"=?utf-8?B?", b"=?iso-2022-jp?B?GyRCJCIbKEI=?=", b"=?x?Q?=ZZ?=",
    b"\r\n--", b"\r\n\r\n", b"Content-Type: multipart/mixed; boundary=\"\"\r\n",
    b"Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\n", b"=\r\n", b"=4",
    b"Status: 5.9.999\r\n", b"Diagnostic-Code: smtp; 550\r\n",
    b"Final-Recipient: rfc822;\r\n", b"<@>", b"\t \t", b"\xc0\x80",
    b"Action: failed\r\n\r\n", b"charset=\"unknown-8bit\"",
]


def mutate(rng, data, other):
    n = len(data)
    k = rng.randrange(12)
    if n == 0:
        return rng.choice(HOSTILE)
    at = rng.randrange(n + 1)
    if k == 0:      # flip a few bytes
        b = bytearray(data)
        for _ in range(rng.randrange(1, 16)):
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if k == 1:      # cut the tail
        return data[:at]
    if k == 2:      # cut a piece out of the middle
        return data[:at] + data[min(n, at + rng.randrange(1, 4096)):]
    if k == 3:      # repeat a chunk
        ln = rng.randrange(1, 2048)
        return data[:at] + data[at:at + ln] * rng.randrange(2, 20) + data[at:]
    if k == 4:      # insert a hostile piece
        return data[:at] + rng.choice(HOSTILE) + data[at:]
    if k == 5:      # a very long line
        return data[:at] + bytes([rng.randrange(33, 127)]) * rng.randrange(
            1000, 70000) + data[at:]
    if k == 6:      # line ends
        return rng.choice([data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"),
                           data.replace(b"\r\n", b"\n").replace(b"\n", b"\r"),
                           data.replace(b"\r\n", b"\n")])
    if k == 7:      # case of a region
        ln = rng.randrange(1, 4096)
        piece = data[at:at + ln]
        piece = piece.upper() if rng.randrange(2) else piece.lower()
        return data[:at] + piece + data[at + ln:]
    if k == 8:      # splice another sample
        o = rng.randrange(len(other) + 1)
        return data[:at] + other[o:]
    if k == 9:      # move a chunk
        ln = rng.randrange(1, 1024)
        piece, rest = data[at:at + ln], data[:at] + data[at + ln:]
        to = rng.randrange(len(rest) + 1)
        return rest[:to] + piece + rest[to:]
    if k == 10:     # 8-bit run
        return data[:at] + bytes(rng.randrange(128, 256)
                                 for _ in range(rng.randrange(1, 200))) + data[at:]
    # drop the header/body separator or double it
    i = data.find(b"\n\n") if b"\n\n" in data else data.find(b"\r\n\r\n")
    if i < 0:
        return data + b"\r\n\r\n"
    return data[:i] + (b"" if rng.randrange(2) else b"\n\n\n") + data[i:]


def main(argv):
    seed, n = 17, 1000
    args = argv[1:]
    while args and args[0] in ("-s", "-n"):
        if args[0] == "-s":
            seed = int(args[1])
        else:
            n = int(args[1])
        args = args[2:]
    if len(args) < 2:
        sys.stderr.write("usage: mutate.py [-s SEED] [-n N] OUTDIR FILE...\n")
        return 2
    out, files = args[0], args[1:]
    os.makedirs(out, exist_ok=True)
    rng = random.Random(seed)
    for i in range(n):
        with open(files[rng.randrange(len(files))], "rb") as f:
            data = f.read()
        with open(files[rng.randrange(len(files))], "rb") as f:
            other = f.read()
        for _ in range(rng.randrange(1, 5)):
            data = mutate(rng, data, other)
        with open(os.path.join(out, "mut-%04d.eml" % i), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
