-- major_incident_update offline (dry: composed, not sent). Sending through an
-- SMTP server under the daemon: tests/e2e/serve_bundled.sh.
local t = require("testing")

-- The tests share one store: each starts with no open critical case.
local function none_open()
  for _, c in ipairs(assert(case.search{ status = "open", severity = "critical", limit = 1000 })) do
    case.close(c.number, "test reset")
  end
end

local function dry(extra)
  local input = { dry = true }
  for k, v in pairs(extra or {}) do input[k] = v end
  return playbook.call("major_incident_update", input)
end

return {
  ["with no open critical case nothing is sent"] = function()
    none_open()
    case.create{ title = "only a medium one", severity = "medium" }
    local r = dry()
    t.eq(r.sent, false)
    t.eq(r.open, 0)
    t.eq(r.dry, nil, "not even composed")
  end,

  ["open critical cases are listed with owner, status and the latest entry"] = function()
    none_open()
    local a = case.create{ title = "Ransomware on FS01", severity = "critical", owner = "alice" }
    case.note(a.number, "host isolated from the network")
    local b = case.create{ title = "Data exfil, \"finance\", share", severity = "critical",
      role = "ir" }
    local closed = case.create{ title = "closed one", severity = "critical" }
    case.close(closed.number, "done")
    local r = dry()
    t.eq(r.open, 2)
    t.match(r.subject, "^%[Major incident%] 2 critical cases open")
    t.match(r.text, "#" .. a.number .. "  Ransomware on FS01  %[new%]  owner alice")
    t.match(r.text, "latest: [%d%- :]+ note: host isolated from the network")
    t.ok(not r.text:find("closed one", 1, true), "closed cases are left out")
    t.match(r.report_name, "^critical%-cases%-%d+%-%d+%.csv$")
    -- CSV: a header and one row a case; a field with quotes and commas is quoted.
    local lines = {}
    for l in r.report:gmatch("([^\r\n]+)") do lines[#lines + 1] = l end
    t.eq(#lines, 3)
    t.match(lines[1], "^number,title,status,owner")
    t.ok(r.report:find('"Data exfil, ""finance"", share"', 1, true), "CSV quoting")
    t.ok(r.report:find(tostring(b.number) .. ",", 1, true))
  end,

  ["the HTML report escapes what cases say"] = function()
    none_open()
    case.create{ title = "<script>alert(1)</script>", severity = "critical" }
    local r = dry{ format = "html" }
    t.match(r.report_name, "%.html$")
    t.ok(not r.report:find("<script>alert", 1, true), "escaped")
    t.ok(r.report:find("&lt;script&gt;alert(1)&lt;/script&gt;", 1, true))
  end,

  ["a bad format or an empty list is refused"] = function()
    case.create{ title = "x", severity = "critical" }
    t.raises(function() dry{ format = "pdf" } end, "format: csv or html")
    t.raises(function() dry{ to = " , " } end, "no address")
  end,
}
