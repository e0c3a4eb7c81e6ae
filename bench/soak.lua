-- bench/soak.lua - keep a milter busy with real bounces for a while
--
-- SYNOPSIS
--	BM_SOCK=unix:/path BM_LIST=files BM_SECS=600 BM_SEED=1 \
--	    miltertest -s bench/soak.lua
--
-- DESCRIPTION
--	Sends the messages named in BM_LIST (one path a line) to the milter,
--	over and over until BM_SECS seconds have passed: five messages per
--	connection, every seventh one aborted after its body (the MTA's
--	abort), bounces with a null sender and the rest with a normal one.
--	Header fields over 900 octets are cut (miltertest itself crashes on
--	longer ones).  Prints "soak-client: msgs=N aborted=A conns=C errors=E".
local sock = os.getenv("BM_SOCK")
local secs = tonumber(os.getenv("BM_SECS") or "600")
local seed = tonumber(os.getenv("BM_SEED") or "1")

-- miltertest names the chunk by its path, without Lua's "@"
local msg = dofile((debug.getinfo(1, "S").source:match("^@?(.*/)") or "./") ..
    "msg.lua")
local msgs = {}
for path in io.lines(os.getenv("BM_LIST")) do
	local f = io.open(path, "rb")
	if f then
		local raw = f:read("a")
		f:close()
		local hdrs, body = msg.parse(raw)
		for _, h in ipairs(hdrs) do
			if #h[1] + #h[2] > 900 then h[2] = h[2]:sub(1, 900 - #h[1]) end
		end
		local bounce = raw:match("^Return%-Path: <>") or
		    path:match("lhost") or path:match("arf") or path:match("rhost")
		msgs[#msgs + 1] = { hdrs = hdrs, body = body, bounce = bounce }
	end
end
assert(#msgs > 0, "no messages")

local start = os.time()
local n, aborted, conns, errors = 0, 0, 0, 0
local i = seed % #msgs
while os.time() - start < secs do
	local c = mt.connect(sock, 40, 0.05)
	if c == nil then error("cannot connect to " .. sock) end
	conns = conns + 1
	pcall(mt.conninfo, c, "mx.example.net", "192.0.2.1")
	pcall(mt.helo, c, "mx.example.net")
	for k = 1, 5 do
		i = i % #msgs + 1
		local m = msgs[i]
		-- stop sending a message once the milter has decided on it
		local live = true
		local function step(fn, ...)
			if not live then return end
			local ok = pcall(fn, c, ...)
			if ok then
				local r = mt.getreply(c)
				if r == SMFIR_ACCEPT or r == SMFIR_REJECT or
				    r == SMFIR_DISCARD or r == SMFIR_TEMPFAIL then
					live = false
				end
			end
		end
		pcall(mt.macro, c, SMFIC_MAIL, "i", string.format("S%d%05d", seed, n % 100000))
		step(mt.mailfrom, m.bounce and "<>" or "<someone@example.org>")
		step(mt.rcptto, "<user@example.com>")
		for _, h in ipairs(m.hdrs) do step(mt.header, h[1], h[2]) end
		step(mt.eoh)
		local pos = 1
		while live and pos <= #m.body do
			step(mt.bodystring, m.body:sub(pos, pos + 63999))
			pos = pos + 64000
		end
		n = n + 1
		if not live then
			-- decided early; nothing more to send for this message
		elseif n % 7 == 0 then
			pcall(mt.abort, c)
			aborted = aborted + 1
		else
			local ok = pcall(mt.eom, c)
			if not ok then errors = errors + 1 end
		end
	end
	pcall(mt.disconnect, c)
end
print(string.format("soak-client: msgs=%d aborted=%d conns=%d errors=%d",
    n, aborted, conns, errors))
