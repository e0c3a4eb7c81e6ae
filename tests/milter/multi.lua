-- multi.lua - several messages on one connection, with an abort in the
-- middle of a bounce: every message gets exactly its own annotation and
-- the aborted one gets nothing and no log line.
local T = dofile(os.getenv("MT_LIB"))
local conn = T.connect()

local r = T.send(conn, T.msg("relay.eml"), "<>", "MULTI1Q")
T.ok(r == SMFIR_CONTINUE, "1: reply")
T.has(T.hdr(conn, "X-Bounce-Class", 0), "cause=relay-access-denied", "1")

-- ordinary mail in between: accepted at eoh
r = T.send(conn, T.msg("plain.eml"), "<alice@example.org>", "MULTI2Q")
T.ok(r == SMFIR_ACCEPT, "2: plain not accepted early")

-- abort mid-body
local m = T.msg("noptr.eml")
T.head(conn, m, "<>", "MULTI3Q")
T.call("body", mt.bodystring, conn, m.body:sub(1, 200))
T.call("abort", mt.abort, conn)

-- abort right after MAIL FROM
T.call("macro", mt.macro, conn, SMFIC_MAIL, "i", "MULTI4Q")
T.call("mailfrom", mt.mailfrom, conn, "<>")
T.call("abort", mt.abort, conn)

r = T.send(conn, T.msg("blocked.eml"), "<>", "MULTI5Q")
T.ok(r == SMFIR_CONTINUE, "5: reply")
local cls = T.hdr(conn, "X-Bounce-Class", 0)
T.has(cls, "cause=sender-blocked", "5")
T.hasnt(cls, "sender-no-ptr", "5")
T.ok(T.hdr(conn, "X-Bounce-Class", 1) == nil, "5: more than one Class")

r = T.send(conn, T.msg("userunknown.eml"), "<>", "MULTI6Q")
T.has(T.hdr(conn, "X-Bounce-Class", 0), "rcpt=nobody@example.com", "6")
mt.disconnect(conn)

print("EXPECT-LOG: MULTI1Q: bounce rcpt=user@fabrikam.example.net")
print("NO-LOG: MULTI2Q")
print("NO-LOG: MULTI3Q")
print("NO-LOG: MULTI4Q")
print("EXPECT-LOG: MULTI5Q: bounce rcpt=user@blocky.example.net")
print("EXPECT-LOG: MULTI6Q: bounce rcpt=nobody@example.com")
print("multi: ok")
