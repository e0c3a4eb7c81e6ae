-- bench/rss.lua - hold N milter connections open, each with a 1 MiB bounce
--
-- SYNOPSIS
--	BM_SOCK=unix:/path BM_N=200 BM_FILE=bounce.eml BM_PID=1234 \
--	    miltertest -s bench/rss.lua
--
-- DESCRIPTION
--	Opens BM_N connections to the milter at BM_SOCK, and on each sends
--	a null-sender message whose headers and body are BM_FILE (a bounce
--	padded to about 1 MiB), in 64000-byte body chunks, all before any
--	end of message: every connection's message is in the milter at
--	once.  Then reads BM_PID's /proc status (VmRSS, VmHWM), sends end
--	of message on every connection, checks that each bounce got an
--	X-Bounce-Class header, and prints
--	    rss: conns=N annotated=A peak_kib=K held_kib=H rss_kib=R
local sock = os.getenv("BM_SOCK")
local n = tonumber(os.getenv("BM_N") or "200")
local file = os.getenv("BM_FILE")
local pid = os.getenv("BM_PID")

-- miltertest names the chunk by its path, without Lua's "@"
local msg = dofile((debug.getinfo(1, "S").source:match("^@?(.*/)") or "./") ..
    "msg.lua")
local f = assert(io.open(file, "rb"))
local raw = f:read("a")
f:close()
local hdrs, body = msg.parse(raw)

local function status(key)
	local p = io.open("/proc/" .. pid .. "/status")
	if not p then return -1 end
	local s = p:read("a")
	p:close()
	return tonumber(s:match(key .. ":%s*(%d+)")) or -1
end

local conns = {}
for i = 1, n do
	local c = mt.connect(sock, 40, 0.05)
	if c == nil then error("cannot connect to " .. sock) end
	conns[i] = c
	-- a step the milter negotiated away raises an error: skip it
	pcall(mt.conninfo, c, "mx.example.net", "192.0.2.1")
	pcall(mt.macro, c, SMFIC_MAIL, "i", string.format("Q%05d", i))
	pcall(mt.mailfrom, c, "<>")
	pcall(mt.rcptto, c, "<sender@example.org>")
	for _, h in ipairs(hdrs) do
		if #h[1] + #h[2] < 900 then pcall(mt.header, c, h[1], h[2]) end
	end
	pcall(mt.eoh, c)
	local pos = 1
	while pos <= #body do
		local ok, err = pcall(mt.bodystring, c, body:sub(pos, pos + 63999))
		if not ok then
			io.stderr:write("conn " .. i .. ": " .. tostring(err) .. "\n")
			break
		end
		pos = pos + 64000
	end
end
local held = status("VmRSS")
local annotated = 0
for i = 1, n do
	local ok = pcall(mt.eom, conns[i])
	if ok and mt.eom_check(conns[i], MT_HDRADD, "X-Bounce-Class") then
		annotated = annotated + 1
	end
	pcall(mt.disconnect, conns[i])
end
-- VmHWM only grows: read after the last end of message, it covers the
-- collecting and the parsing of every message
local peak, rss = status("VmHWM"), status("VmRSS")
print(string.format("rss: conns=%d annotated=%d peak_kib=%d held_kib=%d rss_kib=%d",
    n, annotated, peak, held, rss))
