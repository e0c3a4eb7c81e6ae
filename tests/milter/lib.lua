-- lib.lua - helpers shared by the bounce-milter miltertest scripts
--
-- Environment: MT_SOCK (the milter's socket), MT_MSGS (message directory).
-- msg(name) reads a message file and splits it into headers and body;
-- send(conn, m, sender, qid[, client, rcpts]) runs one transaction to eom;
-- hdr(conn, name, n) returns the n-th added header (0 = first added).
-- Every protocol call is checked: a failure stops the script (exit 1).

local M = {}
M.sock = os.getenv("MT_SOCK")
M.msgs = os.getenv("MT_MSGS")

function M.fail(why)
	io.stderr:write("FAIL: " .. why .. "\n")
	os.exit(1)
end

function M.ok(v, why)
	if not v then M.fail(why) end
end

-- call a miltertest function; nil means success
function M.call(what, f, ...)
	local ok, err = pcall(f, ...)
	if not ok then M.fail(what .. " raised: " .. tostring(err)) end
	if err ~= nil then M.fail(what .. ": " .. tostring(err)) end
end

function M.connect()
	local conn = mt.connect(M.sock, 40, 0.25)
	M.ok(conn ~= nil, "cannot connect to " .. tostring(M.sock))
	M.call("negotiate", mt.negotiate, conn, nil, nil, nil)
	return conn
end

-- split raw text (LF or CRLF) into { headers = {{name, value}...}, body }
function M.parse(raw)
	raw = raw:gsub("\r\n", "\n")
	local sep = raw:find("\n\n", 1, true)
	local head, body
	if sep then
		head = raw:sub(1, sep)
		body = raw:sub(sep + 2)
	else
		head = raw .. "\n"
		body = ""
	end
	local m = { headers = {}, body = body:gsub("\n", "\r\n") }
	for line in head:gmatch("([^\n]*)\n") do
		if line:match("^[ \t]") and #m.headers > 0 then
			local h = m.headers[#m.headers]
			h[2] = h[2] .. "\n" .. line
		else
			local n, v = line:match("^([^:]+):[ \t]?(.*)$")
			if n then table.insert(m.headers, { n, v }) end
		end
	end
	return m
end

function M.msg(name)
	local f = io.open(M.msgs .. "/" .. name, "rb")
	M.ok(f ~= nil, "cannot read message " .. name)
	local raw = f:read("a")
	f:close()
	return M.parse(raw)
end

-- one transaction through end of headers; the client is a remote
-- address unless told (client "127.0.0.1" makes the message ours)
function M.head(conn, m, sender, qid, client, rcpts)
	M.call("macro", mt.macro, conn, SMFIC_MAIL, "i", qid or "",
	    "{client_addr}", client or "198.51.100.25")
	M.call("mailfrom", mt.mailfrom, conn, sender)
	for _, r in ipairs(rcpts or {}) do
		M.call("rcptto " .. r, mt.rcptto, conn, r)
	end
	for _, h in ipairs(m.headers) do
		M.call("header " .. h[1], mt.header, conn, h[1], h[2])
	end
	M.call("eoh", mt.eoh, conn)
end

-- the rest: body in chunks, then eom
function M.tail(conn, m)
	local b, i = m.body, 1
	while i <= #b do
		M.call("body", mt.bodystring, conn, b:sub(i, i + 16383))
		i = i + 16384
	end
	M.call("eom", mt.eom, conn)
end

-- a whole message; returns the reply to the last step sent
function M.send(conn, m, sender, qid, client, rcpts)
	M.head(conn, m, sender, qid, client, rcpts)
	if mt.getreply(conn) == SMFIR_ACCEPT then return SMFIR_ACCEPT end
	M.tail(conn, m)
	return mt.getreply(conn)
end

function M.hdr(conn, name, n)
	return mt.getheader(conn, name, n)
end

-- assert that a plain substring is (or is not) in s
function M.has(s, sub, what)
	M.ok(s ~= nil and s:find(sub, 1, true) ~= nil,
	    what .. ": expected '" .. sub .. "' in '" .. tostring(s) .. "'")
end

function M.hasnt(s, sub, what)
	M.ok(s == nil or s:find(sub, 1, true) == nil,
	    what .. ": did not expect '" .. sub .. "' in '" .. tostring(s) .. "'")
end

return M
