#!/usr/bin/env python3
# maillog_writer.py - write a Postfix log while rotating it, for t_maillog_follow
#
# SYNOPSIS
#	python3 tests/lib/maillog_writer.py LOG N
#
# DESCRIPTION
#	Appends N status=bounced lines (recipient rNNNNNN@example.org, one a
#	line) to LOG through an O_APPEND descriptor, in bursts of 1 to 2,000
#	lines with short pauses, and rotates LOG every 3,000 to 9,000 lines,
#	the two logrotate ways in turn, keeping numbered copies as logrotate
#	does (LOG.1 -> LOG.2 first, LOG.2 dropped):
#	  move-and-create: rename LOG to LOG.1, create a new LOG, write 1 to
#	    50 more lines to the old descriptor (a daemon writes on until its
#	    HUP), then reopen LOG;
#	  copytruncate: copy LOG to LOG.1, cut LOG to 0 bytes, keep writing
#	    through the same descriptor.
#	Nothing is written between a copy and its truncation, so no line is
#	lost by the rotation itself; after a rotation the writer pauses
#	0.3 s (a reader sees one rotation at a time, as in life).  Prints "N rotations (M moves, C copies)".
import os
import random
import shutil
import sys
import time

log, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(1818)
LINE = ("Dec  6 20:%02d:%02d mail postfix/smtp[%d]: 4TF%07d: to=<r%06d@example.org>, "
        "relay=mx.example.org[192.0.2.1]:25, delay=0.5, delays=0/0/0.2/0.3, "
        "dsn=5.1.1, status=bounced (host mx.example.org[192.0.2.1] said: 550 5.1.1 "
        "<r%06d@example.org>: Recipient address rejected: User unknown in "
        "virtual mailbox table (in reply to RCPT TO command))\n")


def opened():
    return os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def line(i):
    return (LINE % ((i // 60) % 60, i % 60, 1000 + i % 5000, i, i, i)).encode()


fd = opened()
i = 0
next_rot = rnd.randrange(3000, 9000)
moves = copies = 0
while i < n:
    burst = min(rnd.choice((1, 10, 100, 500, 2000)), n - i)
    os.write(fd, b"".join(line(k) for k in range(i, i + burst)))
    i += burst
    time.sleep(rnd.choice((0, 0.001, 0.005, 0.02)))
    if i >= next_rot and i < n:
        next_rot = i + rnd.randrange(3000, 9000)
        if os.path.exists(log + ".1"):
            os.replace(log + ".1", log + ".2")
        if (moves + copies) % 2 == 0:
            os.rename(log, log + ".1")
            open(log, "a").close()
            late = min(rnd.randrange(1, 50), n - i)
            os.write(fd, b"".join(line(k) for k in range(i, i + late)))
            i += late
            os.close(fd)
            fd = opened()
            moves += 1
        else:
            shutil.copyfile(log, log + ".1")
            os.truncate(log, 0)
            copies += 1
        time.sleep(0.3)	# logrotate runs daily, not twice a moment
os.close(fd)
print("%d rotations (%d moves, %d copies)" % (moves + copies, moves, copies))
