-- relay.lua - the relay's side: PG_N messages of ours (from 127.0.0.1),
-- each with Message-ID <PG_TAG.I@origin.example> and queue id PG_TAGQI,
-- to one recipient at reject.example.  Prints "MAXMS: N" (the slowest
-- transaction, connect to end of message, in milliseconds) and
-- "SENT: N".  PG_GAP_MS: a pause between messages.
local T = dofile(os.getenv("MT_LIB"))
local n = tonumber(os.getenv("PG_N") or "5")
local tag = os.getenv("PG_TAG") or "pg"
local gap = tonumber(os.getenv("PG_GAP_MS") or "0")

local function now_ms()
	local p = io.popen("date +%s%3N")
	local s = p:read("*l")
	p:close()
	return tonumber(s)
end

local max, sent = 0, 0
for i = 1, n do
	local m = T.msg("plain.eml")
	for _, h in ipairs(m.headers) do
		if h[1] == "Message-ID" then
			h[2] = "<" .. tag .. "." .. i .. "@origin.example>"
		end
	end
	local t0 = now_ms()
	local conn = T.connect()
	local r = T.send(conn, m, "<sender@origin.example>",
	    tag .. "Q" .. i, "127.0.0.1", { "<u" .. i .. "@reject.example>" })
	T.ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT,
	    "relay message " .. i .. ": reply " .. tostring(r))
	mt.disconnect(conn)
	local dt = now_ms() - t0
	if dt > max then max = dt end
	sent = sent + 1
	if gap > 0 then mt.sleep(gap / 1000) end
end
print("MAXMS: " .. max)
print("SENT: " .. sent)
