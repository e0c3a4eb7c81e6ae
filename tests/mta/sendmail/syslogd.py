# syslogd.py - the smallest syslog daemon: one unix datagram socket, one file
#
# usage: python3 syslogd.py SOCKET FILE
# Binds SOCKET (mode 0666), then appends every datagram received to FILE
# as one line, as written by syslog(3): "<PRI>Mon dd hh:mm:ss tag[pid]: text".
# tests/mta/sendmail/t_sendmail.sh mounts SOCKET on /dev/log in Sendmail's private mount
# namespace, so Sendmail's log lands in FILE and nowhere else.
import os
import socket
import sys

path, out = sys.argv[1:3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
if os.path.exists(path):
    os.unlink(path)
s.bind(path)
os.chmod(path, 0o666)
with open(out, "ab", 0) as f:
    while True:
        d = s.recv(65536)
        f.write(d.rstrip(b"\0\n").replace(b"\n", b" ") + b"\n")
