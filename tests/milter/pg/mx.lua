-- mx.lua - the MX's side: PG_N bounces from a remote client, each
-- returning <PG_TAG.I@origin.example> (a Postfix DSN, user unknown at
-- uI@reject.example).  Prints "MAXMS: N", "SENT: N" and "ORIG: N" (how
-- many got X-Bounce-Original naming their own original); with
-- PG_WANT_ORIG=1 each must have it.  PG_MSG, PG_ORIG, PG_ADDR (Lua
-- patterns of the returned Message-ID and the failed address in it),
-- PG_DOMAIN and PG_OFF send another bounce: recipient uI+OFF@DOMAIN.
local T = dofile(os.getenv("MT_LIB"))
local n = tonumber(os.getenv("PG_N") or "5")
local tag = os.getenv("PG_TAG") or "pg"
local want = os.getenv("PG_WANT_ORIG") == "1"
local gap = tonumber(os.getenv("PG_GAP_MS") or "0")
local file = os.getenv("PG_MSG") or "userunknown.eml"
local origpat = os.getenv("PG_ORIG") or "<orig%.userunknown@example%.org>"
local addrpat = os.getenv("PG_ADDR") or "nobody@example%.com"
local domain = os.getenv("PG_DOMAIN") or "reject.example"
local off = tonumber(os.getenv("PG_OFF") or "0")

local function now_ms()
	local p = io.popen("date +%s%3N")
	local s = p:read("*l")
	p:close()
	return tonumber(s)
end

local max, sent, orig = 0, 0, 0
for i = 1, n do
	local m = T.msg(file)
	local id = tag .. "." .. i .. "@origin.example"
	m.body = m.body:gsub(origpat, "<" .. id .. ">")
	m.body = m.body:gsub(addrpat, "u" .. (i + off) .. "@" .. domain)
	local t0 = now_ms()
	local conn = T.connect()
	local r = T.send(conn, m, "<>", tag .. "B" .. i, "198.51.100.25",
	    { "<sender@origin.example>" })
	T.ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT,
	    "bounce " .. i .. ": reply " .. tostring(r))
	local o = T.hdr(conn, "X-Bounce-Original", 0)
	mt.disconnect(conn)
	local dt = now_ms() - t0
	if dt > max then max = dt end
	if o ~= nil and o:find("message-id=<" .. id .. ">", 1, true) then
		orig = orig + 1
	elseif want then
		T.fail("bounce " .. i .. ": X-Bounce-Original " .. tostring(o))
	end
	sent = sent + 1
	if gap > 0 then mt.sleep(gap / 1000) end
end
print("MAXMS: " .. max)
print("SENT: " .. sent)
print("ORIG: " .. orig)
