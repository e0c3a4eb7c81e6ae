-- burst.lua - many messages of ours, each from its own sender domain, on
-- one connection: run by tests/milter/t_preflight.sh, several at once, against
-- a resolver that never answers, to fill the preflight queue.
-- MT_TAG names this run, MT_N is the number of messages.  Every reply
-- must come at once (outgoing_headers = false: mail never waits).
local T = dofile(os.getenv("MT_LIB"))
local tag = os.getenv("MT_TAG") or "0"
local n = tonumber(os.getenv("MT_N") or "50")
local conn = T.connect()
for i = 1, n do
	local d = "b" .. tag .. "-" .. i .. ".test"
	local m = T.parse("From: x@" .. d .. "\nMessage-ID: <" .. i .. "@" ..
	    d .. ">\nSubject: burst\n\nbody\n")
	T.head(conn, m, "<x@" .. d .. ">", "BU" .. tag .. "X" .. i .. "Q",
	    "127.0.0.1", { "<r@other.test>" })
	T.ok(mt.getreply(conn) == SMFIR_CONTINUE, "burst: not followed past eoh")
	T.tail(conn, m)
	T.ok(mt.getreply(conn) == SMFIR_CONTINUE, "burst: reply not continue")
end
mt.disconnect(conn)
print("burst " .. tag .. ": " .. n .. " messages")
