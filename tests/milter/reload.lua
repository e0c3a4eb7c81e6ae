-- reload.lua - (run by t_milter_daemon.sh, not t_milter.sh) a message
-- that began before a SIGUSR1 reload finishes with the old set; the next
-- one uses the new set.  MT_PID is the milter's pid, MT_CONF its
-- configuration file, MT_NEWCONF the file to reload, MT_LOG its log: the
-- next message waits (up to 30 s) until the log says the reload is done,
-- since a loaded or sanitizer-built milter may take seconds to load rules.
local T = dofile(os.getenv("MT_LIB"))
local pid, conf, new = os.getenv("MT_PID"), os.getenv("MT_CONF"), os.getenv("MT_NEWCONF")

local conn = T.connect()
local m = T.msg("dbeb.eml")
T.head(conn, m, "<>", "RELOAD1Q")
-- reload with a new authserv-id while the message is in flight
os.execute("cp " .. new .. " " .. conf .. " && kill -USR1 " .. pid)
os.execute("sleep 0.5")
T.tail(conn, m)
local logf = os.getenv("MT_LOG")
if logf ~= nil then
	os.execute("i=0; while [ $i -lt 300 ] && ! grep -q 'reloaded configuration' " ..
	    logf .. "; do sleep 0.1; i=$((i + 1)); done")
end
T.has(T.hdr(conn, "X-Bounce-Class", 0), "old.example; rcpt=", "in-flight message")
mt.disconnect(conn)

conn = T.connect()
T.send(conn, T.msg("dbeb.eml"), "<>", "RELOAD2Q")
T.has(T.hdr(conn, "X-Bounce-Class", 0), "new.example; rcpt=", "message after reload")
mt.disconnect(conn)
print("reload: in-flight message kept the old set, next one got the new")
