#!/usr/bin/env python3
"""histgen.py DB - add a week of made-up history to a bounce-milter SQLite
history (one the milter or test_history created, so the schema is its own):
400 bounce rows over 7 causes (and none), 6 sides, 8 domains, two MX hosts,
7 in 10 tied to an original sent a log-normal time before; 900 outgoing rows
from two relays.  Seeded: the same rows each run, relative to now."""
import random
import sqlite3
import sys
import time

db = sqlite3.connect(sys.argv[1])
rnd = random.Random(7)
now = int(time.time())
causes = [("recipient-not-in-directory", "address", "userunknown", 30),
          ("sender-blocked", "sender", "blocked", 12),
          ("mailbox-full", "address", "mailboxfull", 8),
          ("recipient-policy-rejected", "recipient", "policyviolation", 6),
          ("sender-auth-failed", "sender", "authfailure", 5),
          ("greylisted", "transient", "greylisting", 4),
          ("", "unknown", "undefined", 3)]
doms = ["contoso.com", "fabrikam.com", "northwind.example", "example.net",
        "adatum.com", "tailspin.example", "wingtip.example", "litware.example"]
for i in range(400):
    c = rnd.choices(causes, weights=[x[3] for x in causes])[0]
    d = rnd.choice(doms[:3]) if rnd.random() < 0.6 else rnd.choice(doms)
    rec = now - 60 - rnd.randint(0, 7 * 86400 - 120)
    sent = rec - int(rnd.lognormvariate(6.5, 2.0)) if rnd.random() < 0.7 else 0
    db.execute("INSERT INTO bounce (received, queue_id, rcpt, domain, status,"
               " reason, cause, side, hard, kind, hint, orig_msgid, orig_sent,"
               " host) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
               (rec, "Q%d" % i, "u%d@%s" % (rnd.randint(1, 60), d), d, "5.0.0",
                c[2], c[0], c[1], 1, "dsn", "hint <%d> & more" % (i % 5),
                "m%d@origin.example" % i, max(sent, 1) if sent else 0,
                rnd.choice(["mx1", "mx2"])))
for i in range(900):
    db.execute("INSERT INTO outgoing (sent, queue_id, message_id, sender, host)"
               " VALUES (?,?,?,?,?)",
               (now - 60 - rnd.randint(0, 7 * 86400 - 120), "R%d" % i,
                "o%d@origin.example" % i, "s@origin.example",
                rnd.choice(["relay1", "relay2"])))
db.commit()
