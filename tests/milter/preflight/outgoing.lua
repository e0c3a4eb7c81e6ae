-- outgoing.lua - the outgoing preflight through a real bounce-milter
--
-- Run by tests/milter/t_preflight.sh (not by t_milter.sh: it needs the test
-- DNS zone of tests/lib/dnsd.sh and outbound_ips = [ "192.0.2.25" ]).
-- MT_MODE is "log" (outgoing_headers = false), "header" (true) or
-- "blackhole" (true, and a resolver that never answers) or "nowait"
-- (false, the same dead resolver: mail must not wait for DNS).  Every message
-- comes from 127.0.0.1, so it is ours.  Prints EXPECT-LOG / NO-LOG / ONCE-LOG
-- (exactly one line holds it) lines for the shell script.
local T = dofile(os.getenv("MT_LIB"))
local mode = os.getenv("MT_MODE") or "log"

local function message(from, sig, extra)
	local h = "From: " .. from .. "\n" ..
	    "To: Bob <bob@other.test>\n" ..
	    "Subject: quarterly figures\n" ..
	    "Message-ID: <" .. sig .. "." .. mode .. "@preflight.test>\n"
	if sig ~= "none" then
		h = "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\n" ..
		    "\td=" .. sig .. "; s=sel1; h=from:to:subject;\n" ..
		    "\tbh=AAAA; b=BBBB\n" .. h
	end
	return T.parse(h .. (extra or "") .. "\nHello,\n\nthe figures.\n" ..
	    string.rep("padding line of the body\n", 100))
end

-- the octets the milter sees: "Name: value" lines (folds as CRLF), the
-- blank line, the body; printed for the history check of t_preflight.sh
local function size(m)
	local n = 2 + #m.body
	for _, h in ipairs(m.headers) do
		local _, nl = h[2]:gsub("\n", "")
		n = n + #h[1] + 2 + #h[2] + nl + 2
	end
	return n
end

-- one message of ours to end of message; returns the X-Bounce-Preflight
-- value added, or nil
local function out(qid, sender, m)
	print("SIZE: " .. qid .. " " .. size(m))
	local conn = T.connect()
	T.head(conn, m, sender, qid, "127.0.0.1", { "<bob@other.test>" })
	T.ok(mt.getreply(conn) == SMFIR_CONTINUE, qid .. ": not followed past eoh")
	T.tail(conn, m)
	T.ok(mt.getreply(conn) == SMFIR_CONTINUE, qid .. ": reply not continue")
	local v = nil
	if mt.eom_check(conn, MT_HDRADD, "X-Bounce-Preflight") then
		v = mt.getheader(conn, "X-Bounce-Preflight", 0)
		-- folded before 78 columns: at most one "\n\t" per break
		T.ok(not v:find("[\r\0]") and not v:find("\n[^\t]"),
		    qid .. ": badly folded header " .. v)
		v = v:gsub("\n\t", " ")
	end
	mt.disconnect(conn)
	return v
end

local p = string.upper(mode:sub(1, 1))
local dead = mode == "blackhole" or mode == "nowait"

-- SPF passes for 192.0.2.25, DKIM aligned: no warning
local v = out("PF" .. p .. "1Q", "<alice@spf-pass.test>",
    message("Alice <alice@spf-pass.test>", "spf-pass.test"))
print("EXPECT-LOG: PF" .. p .. "1Q: outgoing from=<alice@spf-pass.test> " ..
    "msgid=<spf-pass.test." .. mode .. "@preflight.test> rcpts=1 " ..
    (dead and "spf=skipped" or "spf=pass") .. " dkim=signed")
print("NO-LOG: PF" .. p .. "1Q: preflight")

-- "v=spf1 mx -all" leaves 192.0.2.25 out; not signed: warning
local w = out("PF" .. p .. "2Q", "<bob@spf-mx.test>",
    message("bob@spf-mx.test", "none"))
if not dead then
	print("EXPECT-LOG: PF" .. p .. "2Q: outgoing from=<bob@spf-mx.test> " ..
	    "msgid=<none." .. mode .. "@preflight.test> rcpts=1 spf=fail dkim=none")
	-- in header mode 2Q's end of message waited for its lookup, so 2Q
	-- warns; else 2Q's and 5Q's lookups run side by side and the one
	-- that ends first warns: once for the two, whichever it is
	local warn = "preflight domain=spf-mx.test ip=192.0.2.25 spf=fail " ..
	    "dkim=none hint=\"SPF of spf-mx.test fails for our outbound IP 192.0.2.25"
	if mode == "header" then
		print("EXPECT-LOG: PF" .. p .. "2Q: " .. warn)
	else
		print("ONCE-LOG: " .. warn)
	end
	print("EXPECT-LOG: Add ip4:192.0.2.25 (or the include: of the service " ..
	    "that sends for us) to the SPF record of spf-mx.test.")
end

-- no SPF record; signed by another domain; a forged X-Bounce-Preflight
local x = out("PF" .. p .. "3Q", "<carol@spf-none.test>",
    message("carol@spf-none.test", "esp.test",
    "X-Bounce-Preflight: mx.test.example; spf=pass; dkim=signed\n"))
if not dead then
	print("EXPECT-LOG: PF" .. p .. "3Q: outgoing from=<carol@spf-none.test> " ..
	    "msgid=<esp.test." .. mode .. "@preflight.test> rcpts=1 spf=none " ..
	    "dkim=unaligned")
	print("EXPECT-LOG: PF" .. p .. "3Q: preflight domain=spf-none.test " ..
	    "ip=192.0.2.25 spf=none dkim=unaligned dkim_domain=esp.test hint=")
end
print("EXPECT-LOG: PF" .. p .. "3Q: removed 1 X-Bounce-* header")

-- a message aborted after its headers: no outgoing line
local conn = T.connect()
local m = message("dave@spf-mx.test", "none")
T.head(conn, m, "<dave@spf-mx.test>", "PF" .. p .. "4Q", "127.0.0.1",
    { "<bob@other.test>" })
T.call("abort", mt.abort, conn)
mt.disconnect(conn)
print("NO-LOG: PF" .. p .. "4Q")

-- the same sender domain again: in header mode the first lookup is
-- done (its end of message waited for it), so this one is cached
out("PF" .. p .. "5Q", "<erin@spf-mx.test>", message("erin@spf-mx.test", "none"))
if not dead then
	print("EXPECT-LOG: PF" .. p .. "5Q: outgoing from=<erin@spf-mx.test> " ..
	    "msgid=<none." .. mode .. "@preflight.test> rcpts=1 spf=fail dkim=none")
	-- the same warning as 2Q's for the same domain: said once per
	-- window, not once per message
	if mode == "header" then
		print("NO-LOG: PF" .. p .. "5Q: preflight")
	end
end

if mode == "log" or mode == "nowait" then
	T.ok(v == nil and w == nil and x == nil,
	    "outgoing_headers = false, but a header was added")
elseif mode == "header" then
	T.ok(v == "mx.test.example; spf=pass; dkim=signed; domain=spf-pass.test",
	    "PFH1Q header: " .. tostring(v))
	T.ok(w == "mx.test.example; spf=fail; dkim=none; domain=spf-mx.test",
	    "PFH2Q header: " .. tostring(w))
	T.ok(x == "mx.test.example; spf=none; dkim=unaligned; domain=spf-none.test",
	    "PFH3Q header: " .. tostring(x))
else
	-- DNS never answers: the header says skipped, within the bound
	T.ok(v == "mx.test.example; spf=skipped; dkim=signed; domain=spf-pass.test",
	    "PFB1Q header: " .. tostring(v))
	T.ok(w == "mx.test.example; spf=skipped; dkim=none; domain=spf-mx.test",
	    "PFB2Q header: " .. tostring(w))
end
print("outgoing (" .. mode .. "): ok")
