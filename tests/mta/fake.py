# fake.py - the remote side for tests/mta/gen.sh: a scripted SMTP server
# and a sink, both on loopback
#
# usage: python3 fake.py PORT SINKDIR
# Listens on 127.0.0.1:PORT as "the remote": it answers each RCPT by the
# recipient's local part (the table below; anything else gets 250) and
# accepts the data of what it accepted.  Listens on 127.0.0.2:PORT as the
# sink that takes everything (the bounces the MTAs send back to the
# sender) and writes each message to SINKDIR/NNN.eml with the envelope as
# X-Fake-Mail-From / X-Fake-Rcpt-To lines on top.  127.0.0.3:PORT is left
# unbound: a connection there is refused.
import os
import socket
import socketserver
import sys
import threading

REPLIES = {
    # local part prefix: (reply, close the connection after it)
    "rej541": ("550 5.4.1 Recipient address rejected: Access denied. "
               "AS(201806281) [AM0PR01MB1234.eurprd01.prod.exchangelabs.com]",
               False),
    "tss04": ("421 4.7.0 [TSS04] Messages from 127.0.0.1 temporarily "
              "deferred due to unexpected volume or user complaints - "
              "4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
              True),
    "grey450": ("450 4.2.0 <%s>: Recipient address rejected: Greylisted, "
                "see http://postgrey.schweikert.ch/help/remote.example.html",
                False),
    "full452": ("452 4.2.2 <%s>: Mailbox full, try again later", False),
    "unk550": ("550 5.1.1 <%s>: Recipient address rejected: User unknown "
               "in virtual mailbox table", False),
}

sinkdir = None
count = [0]
lock = threading.Lock()


class Handler(socketserver.StreamRequestHandler):
    sink = False

    def say(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        self.say("220 %s ESMTP fake" % ("sink.example" if self.sink
                                          else "mx.remote.example"))
        mail, rcpts = "", []
        while True:
            line = self.rfile.readline(4096)
            if not line:
                return
            cmd = line.decode("latin-1").rstrip("\r\n")
            verb = cmd[:4].upper()
            if verb in ("EHLO", "HELO"):
                if verb == "EHLO":
                    self.say("250-%s" % ("sink" if self.sink else "remote"))
                    self.say("250-8BITMIME")
                    self.say("250 SIZE 10000000")
                else:
                    self.say("250 hello")
            elif verb == "MAIL":
                mail, rcpts = cmd[10:].strip(), []
                self.say("250 2.1.0 Ok")
            elif verb == "RCPT":
                addr = cmd[8:].strip()
                a = addr.split(">")[0].lstrip("<")
                local = a.split("@")[0].lower()
                for k, (reply, close) in REPLIES.items():
                    if not self.sink and local.startswith(k):
                        self.say(reply % a if "%s" in reply else reply)
                        if close:
                            return
                        break
                else:
                    rcpts.append(a)
                    self.say("250 2.1.5 Ok")
            elif verb == "DATA":
                if not rcpts:
                    self.say("554 5.5.1 Error: no valid recipients")
                    continue
                self.say("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while True:
                    l = self.rfile.readline(65536)
                    if not l or l in (b".\r\n", b".\n"):
                        break
                    if l.startswith(b".."):
                        l = l[1:]
                    data.append(l.replace(b"\r\n", b"\n"))
                if self.sink:
                    with lock:
                        count[0] += 1
                        n = count[0]
                    tmp = os.path.join(sinkdir, ".%03d.tmp" % n)
                    with open(tmp, "wb") as f:
                        f.write(("X-Fake-Mail-From: %s\nX-Fake-Rcpt-To: %s\n"
                                 % (mail, ",".join(rcpts))).encode())
                        f.write(b"".join(data))
                    os.rename(tmp, os.path.join(sinkdir, "%03d.eml" % n))
                self.say("250 2.0.0 Ok: queued")
            elif verb == "RSET":
                mail, rcpts = "", []
                self.say("250 2.0.0 Ok")
            elif verb == "QUIT":
                self.say("221 2.0.0 Bye")
                return
            elif verb == "NOOP":
                self.say("250 2.0.0 Ok")
            else:
                self.say("502 5.5.2 Error: command not recognized")


class SinkHandler(Handler):
    sink = True


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    global sinkdir
    port, sinkdir = int(sys.argv[1]), sys.argv[2]
    remote = Server(("127.0.0.1", port), Handler)
    sink = Server(("127.0.0.2", port), SinkHandler)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    remote.serve_forever()


if __name__ == "__main__":
    main()
