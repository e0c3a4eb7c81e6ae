#!/usr/bin/env python3
# tests/fault/inject.py - mail load with per-message accounting, and the check
#
# SYNOPSIS
#	inject.py send PORT OUT.jsonl [--conc N] [--seconds S | --count N]
#	    [--per-conn K] [--mix KIND=WEIGHT,...] [--bounce FILE]...
#	inject.py check OUT.jsonl SINKDIR
#	inject.py stats OUT.jsonl
#
# DESCRIPTION
#	send runs N SMTP clients (threads) against 127.0.0.1:PORT for S
#	seconds (or until N messages were accepted in all), K messages per
#	connection.  Every message carries a unique tag (header X-Flt-Tag
#	and, for the original of a Postfix bounce, the Subject) and is one
#	of three kinds:
#	    remote	a bounce from outside: null sender, the body of a
#			--bounce FILE (round robin), to sender@origin.example
#	    plain	ordinary mail to rcpt@dest.example
#	    reject	mail to user@reject.example (the test's Postfix routes
#			that domain to a sink that refuses it, so Postfix
#			itself sends a bounce to sender@origin.example)
#	A message counts as injected only when the server answered 250 to
#	its DATA; a refused connection, a dropped session or a 4xx is
#	recorded as a failure and the client reconnects after 0.2 s (with
#	a new tag).  One JSON line per attempt goes to OUT.jsonl: tag, kind,
#	ok, ms (DATA end to the reply, i.e. the time the milter held it,
#	plus Postfix's own), err.
#
#	check looks for every injected tag in the files below SINKDIR (as
#	smtp-sink -d writes them) and prints "injected=N arrived=N lost=N
#	bounces=N annotated=N unannotated=N"; a remote or reject message
#	counts as annotated when the message that arrived has an
#	X-Bounce-Class header.  Exit 1 when something is lost or a bounce
#	arrived without X-Bounce-Class.
#
#	stats prints per kind: injected, failed attempts, and the p50, p95,
#	p99 and max of ms over the injected messages.
import json, os, random, smtplib, socket, sys, threading, time

def mkmsg(kind, tag, bounces, i):
    if kind == "remote":
        body = bounces[i % len(bounces)]
        return "", ["sender@origin.example"], b"X-Flt-Tag: " + tag.encode() + b"\r\n" + body
    to = "rcpt@dest.example" if kind == "plain" else "user@reject.example"
    msg = ("From: sender@origin.example\r\nTo: %s\r\nSubject: load %s\r\n"
           "Message-ID: <%s@origin.example>\r\nX-Flt-Tag: %s\r\n\r\n"
           "message %s\r\n" % (to, tag, tag, tag, tag))
    return "sender@origin.example", [to], msg.encode()

def send(argv):
    port, out = int(argv[0]), argv[1]
    conc, secs, count, per, mix, bfiles = 4, 20.0, 0, 5, "plain=1", []
    a = argv[2:]
    while a:
        k, v = a[0], a[1]; a = a[2:]
        if k == "--conc": conc = int(v)
        elif k == "--seconds": secs = float(v)
        elif k == "--count": count = int(v)
        elif k == "--per-conn": per = int(v)
        elif k == "--mix": mix = v
        elif k == "--bounce": bfiles.append(v)
        else: sys.exit("inject.py: unknown option " + k)
    bounces = []
    for f in bfiles:
        with open(f, "rb") as fh:
            bounces.append(fh.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))
    kinds = []
    for part in mix.split(","):
        k, w = part.split("=")
        kinds += [k] * int(w)
    lock = threading.Lock()
    res = open(out, "w")
    state = {"n": 0, "ok": 0}
    stop = time.monotonic() + secs
    def done():
        return (count and state["ok"] >= count) or (not count and time.monotonic() >= stop)
    def record(d):
        with lock:
            res.write(json.dumps(d) + "\n")
            if d["ok"]:
                state["ok"] += 1
    def nexttag():
        with lock:
            state["n"] += 1
            return state["n"]
    def worker(w):
        rnd = random.Random(w)
        while not done():
            try:
                s = smtplib.SMTP("127.0.0.1", port, timeout=30)
            except (OSError, smtplib.SMTPException) as e:
                record({"tag": "", "kind": "connect", "ok": False, "ms": 0, "err": str(e)[:80]})
                time.sleep(0.2)
                continue
            try:
                for _ in range(per):
                    if done():
                        break
                    n = nexttag()
                    kind = rnd.choice(kinds)
                    tag = "flt%06d" % n
                    frm, to, msg = mkmsg(kind, tag, bounces, n)
                    t0 = time.monotonic()
                    try:
                        s.mail(frm)
                        s.rcpt(to[0])
                        code, resp = s.data(msg)
                    except smtplib.SMTPResponseException as e:
                        code, resp = e.smtp_code, e.smtp_error
                    except (OSError, smtplib.SMTPException) as e:
                        record({"tag": tag, "kind": kind, "ok": False, "ms": 0, "err": str(e)[:80]})
                        raise
                    ms = (time.monotonic() - t0) * 1000
                    ok = code == 250
                    record({"tag": tag, "kind": kind, "ok": ok, "ms": round(ms, 1),
                            "err": "" if ok else "%d %s" % (code, resp[:60])})
                    if not ok:
                        try: s.rset()
                        except (OSError, smtplib.SMTPException): raise
                try: s.quit()
                except (OSError, smtplib.SMTPException): pass
            except (OSError, smtplib.SMTPException):
                try: s.close()
                except OSError: pass
                time.sleep(0.2)
    ts = [threading.Thread(target=worker, args=(w,)) for w in range(conc)]
    for t in ts: t.start()
    for t in ts: t.join()
    res.close()
    return 0

def load(out):
    with open(out) as f:
        return [json.loads(l) for l in f if l.strip()]

def check(argv):
    rows = [r for r in load(argv[0]) if r["ok"]]
    found = {}
    for d, _, fs in os.walk(argv[1]):
        for fn in fs:
            with open(os.path.join(d, fn), "rb") as fh:
                data = fh.read()
            hdr = data.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
            annotated = b"\nX-Bounce-Class:" in b"\n" + hdr
            i = 0
            while True:
                i = data.find(b"flt", i)
                if i < 0: break
                t = data[i:i + 9].decode("ascii", "replace")
                i += 9
                if len(t) == 9 and t[3:].isdigit():
                    found[t] = found.get(t, False) or annotated
    lost = [r["tag"] for r in rows if r["tag"] not in found]
    bounces = [r for r in rows if r["kind"] in ("remote", "reject")]
    unann = [r["tag"] for r in bounces if r["tag"] in found and not found[r["tag"]]]
    print("injected=%d arrived=%d lost=%d bounces=%d annotated=%d unannotated=%d"
          % (len(rows), len(rows) - len(lost), len(lost), len(bounces),
             len(bounces) - len(unann) - len([r for r in bounces if r["tag"] in lost]),
             len(unann)))
    if lost: print("lost: " + " ".join(lost[:20]))
    if unann: print("unannotated: " + " ".join(unann[:20]))
    return 1 if lost or unann else 0

def pct(v, p):
    return v[min(len(v) - 1, int(len(v) * p))] if v else 0

def stats(argv):
    rows = load(argv[0])
    for k in sorted(set(r["kind"] for r in rows)):
        ok = sorted(r["ms"] for r in rows if r["kind"] == k and r["ok"])
        bad = [r for r in rows if r["kind"] == k and not r["ok"]]
        print("%s: injected=%d failed=%d p50=%.0f p95=%.0f p99=%.0f max=%.0f ms"
              % (k, len(ok), len(bad), pct(ok, .5), pct(ok, .95), pct(ok, .99),
                 ok[-1] if ok else 0))
    return 0

if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    f = {"send": send, "check": check, "stats": stats}.get(cmd)
    if f is None:
        sys.exit("usage: inject.py send|check|stats ...")
    sys.exit(f(sys.argv[2:]))
