-- kinds.lua - the classifier's verdict on mail with a real sender: an
-- ARF feedback report and an auto-reply each get one X-Bounce-Class
-- (kind=arf; reason=feedback / kind=autoreply; reason=vacation), no
-- X-Bounce-Hint, and one log line; a DSN with 25 failed recipients gets
-- 20 pairs and "truncated=5" (max_header_recipients), and 25 log lines.
local T = dofile(os.getenv("MT_LIB"))
local function unfold(v) return (v:gsub("\n\t", " ")) end

local conn = T.connect()
local r = T.send(conn, T.msg("arf.eml"), "<feedback@isp.example.net>", "ARF1Q")
T.ok(r == SMFIR_CONTINUE, "arf: reply")
local cls = T.hdr(conn, "X-Bounce-Class", 0)
T.ok(cls ~= nil, "arf: no X-Bounce-Class")
T.has(unfold(cls), "mx.test.example; rcpt=user@isp.example.net; reason=feedback;", "arf")
T.has(unfold(cls), "kind=arf", "arf")
T.ok(T.hdr(conn, "X-Bounce-Class", 1) == nil, "arf: more than one Class")
T.ok(T.hdr(conn, "X-Bounce-Hint", 0) == nil, "arf: a Hint was added")
print("EXPECT-LOG: ARF1Q: bounce rcpt=user@isp.example.net reason=feedback")
mt.disconnect(conn)

conn = T.connect()
r = T.send(conn, T.msg("vacation.eml"), "<bob@example.net>", "OOO1Q")
cls = T.hdr(conn, "X-Bounce-Class", 0)
T.ok(cls ~= nil, "vacation: no X-Bounce-Class")
T.has(unfold(cls), "reason=vacation", "vacation")
T.has(unfold(cls), "kind=autoreply", "vacation")
print("EXPECT-LOG: OOO1Q: bounce rcpt=bob@example.net reason=vacation")
mt.disconnect(conn)

-- 25 failed recipients in one DSN
local parts = {}
for i = 1, 25 do
	table.insert(parts, string.format(
	    "Final-Recipient: rfc822; u%02d@example.com\nAction: failed\n" ..
	    "Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n", i))
end
local raw = "From: MAILER-DAEMON@mx.example.org\nTo: sender@example.org\n" ..
    "Subject: Undelivered Mail\nMIME-Version: 1.0\n" ..
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B25\"\n\n" ..
    "--B25\nContent-Type: text/plain\n\nMany failed.\n\n" ..
    "--B25\nContent-Type: message/delivery-status\n\n" ..
    "Reporting-MTA: dns; mx.example.org\n\n" .. table.concat(parts, "\n") ..
    "\n--B25--\n"
conn = T.connect()
r = T.send(conn, T.parse(raw), "<>", "MANY1Q")
for i = 0, 19 do
	T.ok(T.hdr(conn, "X-Bounce-Hint", i) ~= nil, "many: Hint " .. i .. " missing")
end
T.ok(T.hdr(conn, "X-Bounce-Hint", 20) == nil, "many: more than 20 Hints")
local found = false
for i = 0, 20 do
	local v = T.hdr(conn, "X-Bounce-Class", i)
	if v == "mx.test.example; truncated=5" then found = true end
end
T.ok(found, "many: no 'truncated=5' X-Bounce-Class")
T.ok(T.hdr(conn, "X-Bounce-Class", 21) == nil, "many: more than 21 Class headers")
print("EXPECT-LOG: MANY1Q: bounce rcpt=u01@example.com status=5.1.1")
print("EXPECT-LOG: MANY1Q: bounce rcpt=u25@example.com status=5.1.1")
mt.disconnect(conn)
print("kinds: arf, autoreply, 25 recipients truncated at 20")
