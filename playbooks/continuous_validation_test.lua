-- continuous_validation offline: nothing configured checks nothing; a request
-- that soarctl's egress refuses is reported as a failing control (it tested
-- nothing); a control that fails opens one critical case, and failing again
-- notes the same case. Against a stand-in (a download that comes
-- through, the test event coming back as an alert) under the daemon:
-- tests/e2e/serve_bundled.sh.
local t = require("testing")

local closed = "http://127.0.0.1:1/"   -- nothing listens on port 1: refused

return {
  ["nothing configured checks nothing and opens nothing"] = function()
    local r = playbook.call("continuous_validation", {})
    t.eq(r.checked, 0)
    t.eq(r.failed, 0)
  end,

  ["soarctl's own egress refusal is a failure that says to declare the host"] = function()
    -- A test runs with no hosts of its own: every request is refused by egress.
    local r = playbook.call("continuous_validation", { download_url = closed .. "eicar.com",
      forbidden_url = closed, timeout = 2 })
    t.eq(r.checked, 2)
    t.eq(r.failed, 2)
    t.eq(r.results[1].control, "download blocked")
    t.match(r.results[1].why, "add its host to this playbook's hosts")
    t.eq(r.results[2].control, "forbidden connection refused")
    for i = 1, 2 do
      t.eq(assert(case.get(r.results[i].case)).severity, "critical")
    end
  end,

  ["a failing control opens one critical case; failing again notes it"] = function()
    local r = playbook.call("continuous_validation", { event_url = closed .. "event", timeout = 2 })
    t.eq(r.failed, 1)
    t.eq(r.results[1].control, "test event becomes an alert")
    t.match(r.results[1].why, "egress")
    local c = assert(case.get(r.results[1].case))
    t.eq(c.severity, "critical")
    t.eq(c.title, "Control failed: test event becomes an alert")
    local again = playbook.call("continuous_validation", { event_url = closed .. "event", timeout = 2 })
    t.eq(again.results[1].case, c.number, "the same open case")
    local notes = 0
    for _, e in ipairs(assert(case.timeline(c.number))) do
      if e.text:find("^still failing") then notes = notes + 1 end
    end
    t.eq(notes, 1)
  end,
}
