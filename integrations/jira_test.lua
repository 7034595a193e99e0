-- jira: REST v3 calls in the documented shapes (fixture), offline.
local t = require("testing")
local CFG = { base_url = "https://example.atlassian.net", email = "soar@example.org" }

return {
  ["fixture: create, comment, transition; an unknown transition; a bad project"] = function()
    local j = integration("jira", { fixture = "issues", config = CFG })
    local i = j.create_issue{ project = "SOC", summary = "Phishing: invoice.zip",
                              description = "line 1\nline 2" }
    t.eq(i, { id = "10042", key = "SOC-42", url = "https://example.atlassian.net/browse/SOC-42" })
    t.eq(j.comment{ issue = "SOC-42", text = "blocked the sender" },
      { id = "10100", created = "2026-12-03T10:05:00.000+0000" })
    t.eq(j.transition{ issue = "SOC-42", to = "done" },
      { issue = "SOC-42", transition_id = "31", status = "Done" })
    local none, err, detail = j.transition{ issue = "SOC-42", to = "Done" }
    t.eq({ none, err, detail }, { nil, "http", "no transition Done from here (available: To Do)" })
    local bad, berr = j.create_issue{ project = "NOPE", summary = "x" }
    t.eq({ bad, berr }, { nil, "http" })
  end,

  ["misuse raises: a bad key, no config"] = function()
    local j = integration("jira", { fixture = "issues", config = CFG })
    t.raises(function() j.comment{ issue = "soc 42", text = "x" } end, "issue must be a key like SOC%-12")
    local unset = integration("jira", { fixture = "issues" })
    t.raises(function() unset.comment{ issue = "SOC-1", text = "x" } end, "set base_url and email")
  end,

  ["mocks generated from the outputs"] = function()
    local j = integration("jira", { mock = true })
    t.ok(type(j.create_issue{ project = "SOC", summary = "x" }.key) == "string")
  end,
}
