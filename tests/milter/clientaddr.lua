-- clientaddr.lua - a message without {client_addr} is inbound (issue 14):
-- an MTA that does not send the macro must not make a stranger's mail
-- count as ours (no outgoing line, no history record, no preflight); it
-- is said once per process.  With 127.0.0.1 the same message is ours.
local T = dofile(os.getenv("MT_LIB"))
local conn = T.connect()
local m = T.msg("plain.eml")
for i = 1, 3 do
	T.head(conn, m, "<alice@example.org>", "NOCLI" .. i .. "Q", "")
	T.ok(mt.getreply(conn) == SMFIR_ACCEPT,
	    "no client_addr: not accepted at eoh (counted as ours?)")
end
mt.disconnect(conn)
print("EXPECT-LOG: NOQUEUE: the MTA sent no {client_addr} macro; messages without it are treated as inbound")
print("NO-LOG: NOCLI1Q: outgoing")
print("NO-LOG: NOCLI2Q: outgoing")
print("clientaddr: no {client_addr}: inbound, accepted at end of headers")
