-- bench/msg.lua - a message file split for miltertest (bench scripts)
--
-- SYNOPSIS
--	local msg = dofile(DIR .. "msg.lua")	(DIR: the calling script's)
--	local hdrs, body = msg.parse(raw)
--
-- DESCRIPTION
--	parse() takes a whole message (LF or CRLF line ends) and returns
--	its header fields as a list of { name, value } (a folded field
--	keeps its continuation lines, joined by CRLF) and its body with
--	CRLF line ends, as mt.header() and mt.bodystring() want them.
--	Without a blank line the whole text is the header.
local M = {}

function M.parse(raw)
	raw = raw:gsub("\r\n", "\n")
	local hend = raw:find("\n\n", 1, true) or #raw
	local head, body = raw:sub(1, hend), raw:sub(hend + 2)
	local hdrs = {}
	for line in head:gmatch("[^\n]*\n") do
		line = line:sub(1, -2)
		if line:match("^[ \t]") and #hdrs > 0 then
			hdrs[#hdrs][2] = hdrs[#hdrs][2] .. "\r\n" .. line
		else
			local k, v = line:match("^([^:]+):[ \t]*(.*)$")
			if k then hdrs[#hdrs + 1] = { k, v } end
		end
	end
	return hdrs, (body:gsub("\n", "\r\n"))
end

return M
