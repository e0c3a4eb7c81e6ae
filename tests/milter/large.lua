-- large.lua - a bounce larger than the in-memory spool (64 KiB), for
-- t_milter_daemon's gate check: sent with a null sender from a remote
-- client; whatever happens to the spill file, it must be classified.
-- (Not run by t_milter: large.lua is a helper like reload.lua.)
local T = dofile(os.getenv("MT_LIB"))
local conn = T.connect()
local m = T.msg("dbeb.eml")
m.body = m.body .. string.rep("padding line of a large returned original\r\n", 3000)
local r = T.send(conn, m, "<>", "LARGE1Q")
T.ok(r == SMFIR_CONTINUE or r == SMFIR_ACCEPT, "large bounce: reply " .. tostring(r))
mt.disconnect(conn)
print("large: sent")
