-- hostile.lua - an oversized bounce, garbage with a null sender and a
-- header-injection attempt all pass (continue), with a log line, and
-- anything added is sanitized: no CR, no control byte, every line break
-- a fold ("\n\t"), lines under 998 octets.
local T = dofile(os.getenv("MT_LIB"))

local function clean(v, what)
	T.ok(v ~= nil, what .. ": missing")
	T.ok(not v:find("\r", 1, true), what .. ": CR in value")
	for nl in v:gmatch("\n(.?)") do
		T.ok(nl == "\t", what .. ": line break that is not a fold")
	end
	T.ok(not v:find("[%z\1-\8\11-\31\127]"), what .. ": control byte")
	T.ok(not v:find("[\128-\255]"), what .. ": non-ASCII byte")
	for line in (v .. "\n"):gmatch("([^\n]*)\n") do
		T.ok(#line < 998, what .. ": line of " .. #line .. " octets")
	end
end

-- 1. oversized: the DSN part comes first, 300 KB of attachment after it;
-- the milter's cap in the test configuration is 100000 octets.
local conn = T.connect()
local m = T.msg("oversize-head.eml")
local line = string.rep("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=", 2) .. "\r\n"
m.body = m.body .. string.rep(line, 300000 // #line) .. "\r\n--B-big--\r\n"
local r = T.send(conn, m, "<>", "BIG1Q")
T.ok(r == SMFIR_CONTINUE, "big: reply not continue")
T.has(T.hdr(conn, "X-Bounce-Class", 0), "cause=recipient-not-in-directory", "big")
print("EXPECT-LOG: BIG1Q: message larger than max_message_size=100000")
print("EXPECT-LOG: BIG1Q: bounce rcpt=user@contoso.example.com")
mt.disconnect(conn)

-- 2. garbage with a null sender: binary headers and body
conn = T.connect()
local g = { headers = {
	{ "From", "\1\2\3 <>" }, { "Content-Type", "multipart/report; boundary=" },
	{ "Subject", string.rep("\255", 100) } }, body = "" }
for i = 0, 4000 do g.body = g.body .. string.char((i * 37 + 11) % 256) end
r = T.send(conn, g, "<>", "JUNK1Q")
T.ok(r == SMFIR_CONTINUE, "garbage: reply not continue")
T.ok(not mt.eom_check(conn, MT_HDRADD), "garbage: header added")
print("EXPECT-LOG: JUNK1Q: null sender but not a delivery report")
mt.disconnect(conn)

-- 3. empty message with a null sender
conn = T.connect()
r = T.send(conn, { headers = {}, body = "" }, "<>", "JUNK2Q")
T.ok(r == SMFIR_CONTINUE, "empty: reply not continue")
T.ok(not mt.eom_check(conn, MT_HDRADD), "empty: header added")
print("EXPECT-LOG: JUNK2Q: null sender but not a delivery report")
mt.disconnect(conn)

-- 4. header injection through the diagnostic text
conn = T.connect()
r = T.send(conn, T.msg("inject.eml"), "<>", "INJ1Q")
T.ok(r == SMFIR_CONTINUE, "inject: reply not continue")
local cls = T.hdr(conn, "X-Bounce-Class", 0)
local hint = T.hdr(conn, "X-Bounce-Hint", 0)
clean(cls, "inject Class")
clean(hint, "inject Hint")
T.has(cls, "rcpt=victim@other.example.net", "inject Class")
T.ok(hint:find("^victim@other%.example%.net:%s+=%?UTF%-8%?[QB]%?") ~= nil,
    "inject Hint: not RFC 2047 encoded: " .. hint)
T.hasnt(hint, "\nX-Injected", "inject Hint")
T.ok(mt.getheader(conn, "X-Injected", 0) == nil, "inject: X-Injected added")
T.ok(mt.getheader(conn, "X-Forged", 0) == nil, "inject: X-Forged added")
print("EXPECT-LOG: INJ1Q: bounce rcpt=victim@other.example.net")
mt.disconnect(conn)

-- 5. every annotated header of the cause suite is clean too
for _, f in ipairs({ "dbeb.eml", "connector.eml", "unclass.eml" }) do
	conn = T.connect()
	T.send(conn, T.msg(f), "<>", nil)
	clean(T.hdr(conn, "X-Bounce-Class", 0), f .. " Class")
	clean(T.hdr(conn, "X-Bounce-Hint", 0), f .. " Hint")
	mt.disconnect(conn)
end
print("hostile: ok")
