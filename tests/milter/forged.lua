-- forged.lua - X-Bounce-Class/-Hint/-Original already in a message are
-- deleted, several copies of each, in a bounce and in ordinary mail; an
-- ordinary message with forgeries is kept past end of headers but gets
-- nothing added.
local T = dofile(os.getenv("MT_LIB"))

local function forge(m)
	for i = 1, 3 do
		table.insert(m.headers, 2, { "X-Bounce-Class",
		    "mx.test.example; rcpt=ceo@example.org; cause=forged" .. i })
		table.insert(m.headers, 4, { "X-Bounce-Hint", "forged hint " .. i })
	end
	table.insert(m.headers, { "x-bounce-original", "message-id=<x@y>" })
	table.insert(m.headers, { "X-BOUNCE-ORIGINAL", "message-id=<z@y>" })
	return m
end

-- a bounce with forgeries: all deleted, then the real pair added
local conn = T.connect()
local r = T.send(conn, forge(T.msg("dbeb.eml")), "<>", "FORGE1Q")
T.ok(r == SMFIR_CONTINUE, "bounce: reply not continue")
T.ok(mt.eom_check(conn, MT_HDRDELETE, "X-Bounce-Class"), "bounce: Class not deleted")
T.ok(mt.eom_check(conn, MT_HDRDELETE, "X-Bounce-Hint"), "bounce: Hint not deleted")
T.ok(mt.eom_check(conn, MT_HDRDELETE, "X-Bounce-Original"), "bounce: Original not deleted")
local cls = T.hdr(conn, "X-Bounce-Class", 0)
T.has(cls, "cause=recipient-not-in-directory", "bounce")
T.hasnt(cls, "forged", "bounce")
print("EXPECT-LOG: FORGE1Q: removed 8 X-Bounce-* headers")
print("EXPECT-LOG: FORGE1Q: bounce rcpt=user@contoso.example.com")
mt.disconnect(conn)

-- ordinary mail with forgeries: deleted, nothing added
conn = T.connect()
local m = forge(T.msg("plain.eml"))
T.head(conn, m, "<alice@example.org>", "FORGE2Q")
T.ok(mt.getreply(conn) == SMFIR_CONTINUE, "plain: accepted before eom despite forgeries")
T.tail(conn, m)
T.ok(mt.getreply(conn) == SMFIR_CONTINUE, "plain: reply not continue")
T.ok(mt.eom_check(conn, MT_HDRDELETE, "X-Bounce-Class"), "plain: Class not deleted")
T.ok(mt.eom_check(conn, MT_HDRDELETE, "X-Bounce-Hint"), "plain: Hint not deleted")
T.ok(mt.eom_check(conn, MT_HDRDELETE, "X-Bounce-Original"), "plain: Original not deleted")
T.ok(not mt.eom_check(conn, MT_HDRADD), "plain: a header was added")
print("EXPECT-LOG: FORGE2Q: removed 8 X-Bounce-* headers")
print("NO-LOG: FORGE2Q: bounce")
mt.disconnect(conn)
print("forged: ok")
