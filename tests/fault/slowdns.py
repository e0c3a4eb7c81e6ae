#!/usr/bin/env python3
# tests/fault/slowdns.py - a DNS server that is slow, or never answers
#
# SYNOPSIS
#	slowdns.py PORTFILE DELAY_MS UPSTREAM_PORT [LIFETIME_S]
#	slowdns.py PORTFILE blackhole - [LIFETIME_S]
#
# DESCRIPTION
#	Binds a UDP socket on 127.0.0.1 (a free port, written to PORTFILE)
#	and, per query, waits DELAY_MS then relays it to 127.0.0.1:
#	UPSTREAM_PORT (the test's dnsmasq) and the answer back; or, with
#	"blackhole", reads every query and never answers.  Exits after
#	LIFETIME_S seconds (default 300) so a dead test leaves nothing
#	behind.  Talks to 127.0.0.1 only.  With SLOWDNS_LOG=FILE in the
#	environment, a line "query N" is appended to FILE as each query
#	arrives (before its delay): a test can wait for the first one.
import os, socket, sys, threading, time

portfile, delay, up = sys.argv[1], sys.argv[2], sys.argv[3]
life = float(sys.argv[4]) if len(sys.argv) > 4 else 300.0
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(portfile + ".tmp", portfile)
end = time.monotonic() + life

def relay(q, addr):
    time.sleep(int(delay) / 1000.0)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    try:
        u.sendto(q, ("127.0.0.1", int(up)))
        a, _ = u.recvfrom(65535)
        s.sendto(a, addr)
    except OSError:
        pass
    finally:
        u.close()

logf = os.environ.get("SLOWDNS_LOG")
nq = 0
s.settimeout(1)
while time.monotonic() < end:
    try:
        q, addr = s.recvfrom(65535)
    except socket.timeout:
        continue
    nq += 1
    if logf:
        with open(logf, "a") as f:
            f.write("query %d\n" % nq)
    if delay != "blackhole":
        threading.Thread(target=relay, args=(q, addr), daemon=True).start()
