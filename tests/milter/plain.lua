-- plain.lua - ordinary mail passes untouched: accepted at end of headers
-- (nothing more is sent to the milter), no header added or deleted, no
-- log line.  Our own mail is followed to the end (milter_pre.c).
local T = dofile(os.getenv("MT_LIB"))
local conn = T.connect()
local m = T.msg("plain.eml")
T.head(conn, m, "<alice@example.org>", "PLAIN1Q")
T.ok(mt.getreply(conn) == SMFIR_ACCEPT, "plain mail not accepted at eoh")
-- a null sender is never accepted early (next message, same connection)
T.head(conn, m, "<>", "PLAIN0Q")
T.ok(mt.getreply(conn) == SMFIR_CONTINUE, "null sender accepted at eoh")
T.tail(conn, m)
T.ok(not mt.eom_check(conn, MT_HDRADD), "null-sender plain text: header added")
mt.disconnect(conn)

-- report-like headers (a notification) make it a candidate; the
-- classifier says it is no bounce: it passes unchanged, no log line
local n = T.msg("plain.eml")
table.insert(n.headers, { "Auto-Submitted", "auto-generated" })
table.insert(n.headers, { "X-Failed-Recipients", "nobody@example.net" })
conn = T.connect()
local r = T.send(conn, n, "<alice@example.org>", "PLAIN2Q")
T.ok(r == SMFIR_CONTINUE, "notification: reply not continue")
T.ok(not mt.eom_check(conn, MT_HDRADD), "notification: header added")
for _, h in ipairs({ "X-Bounce-Class", "X-Bounce-Hint", "X-Failed-Recipients" }) do
	T.ok(not mt.eom_check(conn, MT_HDRDELETE, h), "notification: " .. h .. " deleted")
end
mt.disconnect(conn)

-- our own mail (from 127.0.0.1): followed to end of message (its size
-- counts the body), one "outgoing" line, nothing added (no SPF without
-- outbound_ips; outgoing_headers is off)
conn = T.connect()
T.head(conn, m, "<alice@example.org>", "OUT1Q", "127.0.0.1",
    { "<bob@example.net>", "<carol@example.net>" })
T.ok(mt.getreply(conn) == SMFIR_CONTINUE, "outgoing mail not followed past eoh")
T.tail(conn, m)
T.ok(mt.getreply(conn) == SMFIR_CONTINUE, "outgoing mail: reply not continue")
T.ok(not mt.eom_check(conn, MT_HDRADD), "outgoing mail: header added")
mt.disconnect(conn)
print("EXPECT-LOG: OUT1Q: outgoing from=<alice@example.org> msgid=<lunch.1@example.org> rcpts=2 spf=skipped dkim=none")

print("NO-LOG: PLAIN1Q")
print("NO-LOG: PLAIN2Q")
print("plain: ok")
