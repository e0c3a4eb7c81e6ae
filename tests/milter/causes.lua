-- causes.lua - one returned bounce per 5.4.1 cause family (and a plain
-- user unknown, and a delayed notice) gets the right X-Bounce-Class and
-- X-Bounce-Hint, and one log line each (checked by t_milter.sh through
-- the EXPECT-LOG lines printed here).
local T = dofile(os.getenv("MT_LIB"))

local cases = {
	-- file, rcpt, status, reply, reason, cause, side, hard, hint words
	{ "dbeb.eml", "user@contoso.example.com", "5.4.1", "550", "userunknown",
	  "recipient-not-in-directory", "address", "yes", "Microsoft 365 directory" },
	{ "relay.eml", "user@fabrikam.example.net", "5.4.1", "550", "norelaying",
	  "relay-access-denied", "recipient", nil, "fabrikam.example.net" },
	{ "connector.eml", "user@fabrikam.example.net", "5.4.1", "550", "norelaying",
	  "relay-access-denied-outbound-connector", "sender", nil, "connector" },
	{ "noanswer.eml", "user@tailspin.example.net", "5.4.1", "550", "networkerror",
	  "no-answer-from-host", "recipient", nil, "did not answer" },
	{ "domain.eml", "user@zoho.example.net", "5.4.1", "541", "rejected",
	  "destination-domain-rejected", "recipient", nil, "recipient domain" },
	{ "blocked.eml", "user@blocky.example.net", "5.4.1", "550", "blocked",
	  "sender-blocked", "sender", nil, "blocklists" },
	{ "noptr.eml", "user@strict.example.net", "5.4.1", "550", "requireptr",
	  "sender-no-ptr", "sender", nil, "PTR" },
	{ "auth.eml", "user@verify.example.net", "5.4.1", "550", "authfailure",
	  "sender-auth-failed", "sender", nil, "SPF" },
	{ "policy.eml", "user@gateway.example.net", "5.4.1", "550", "policyviolation",
	  "recipient-policy-rejected", "recipient", nil, "listed senders" },
	{ "unclass.eml", "user@other.example.net", "5.4.1", "550", "networkerror",
	  "unclassified-5.4.1", "unknown", nil, "RFC 3463" },
	{ "userunknown.eml", "nobody@example.com", "5.1.1", "550", "userunknown",
	  "userunknown", "address", "yes", "does not exist" },
	{ "delayed.eml", "user@slow.example.net", "4.4.1", "451", "networkerror",
	  "no-answer-from-host", "transient", "no", "did not answer" },
}

-- unfold a header value the way a reader does
local function unfold(v)
	return (v:gsub("\n\t", " "))
end

for i, c in ipairs(cases) do
	local conn = T.connect()
	local qid = string.format("CAUSE%02dQ", i)
	local r = T.send(conn, T.msg(c[1]), "<>", qid)
	T.ok(r == SMFIR_CONTINUE, c[1] .. ": reply at eom is not continue")
	local cls = T.hdr(conn, "X-Bounce-Class", 0)
	local hint = T.hdr(conn, "X-Bounce-Hint", 0)
	T.ok(cls ~= nil, c[1] .. ": no X-Bounce-Class added")
	T.ok(hint ~= nil, c[1] .. ": no X-Bounce-Hint added")
	cls = unfold(cls)
	local want = "mx.test.example; rcpt=" .. c[2] .. "; status=" .. c[3] ..
	    "; reply=" .. c[4] .. "; reason=" .. c[5] .. "; cause=" .. c[6] ..
	    "; side=" .. c[7] .. "; hard="
	T.has(cls, want, c[1])
	if c[8] then T.has(cls, "hard=" .. c[8], c[1]) end
	T.ok(T.hdr(conn, "X-Bounce-Class", 1) == nil, c[1] .. ": two X-Bounce-Class")
	T.has(unfold(hint), c[2] .. ": ", c[1] .. " hint")
	T.has(unfold(hint), c[9], c[1] .. " hint")
	print("EXPECT-LOG: " .. qid .. ": bounce rcpt=" .. c[2] .. " status=" ..
	    c[3] .. " reply=" .. c[4] .. " reason=" .. c[5] .. " cause=" .. c[6] ..
	    " side=" .. c[7] .. " hard=")
	mt.disconnect(conn)
end
print("causes: " .. #cases .. " bounces annotated")
