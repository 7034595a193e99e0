-- webhook: offline through a fixture; the URL cannot come from a playbook.
local t = require("testing")

return {
  ["fixture: delivered, then a server error is nil, http"] = function()
    t.raises(function() integration("webhook", { config = { url = "https://example.org/x" } }) end,
      "may not set url")
    t.raises(function() integration("webhook", { mock = false }).send{ data = {} } end, "set config url")
    -- replaying reaches no network, so a test may give the URL
    local w = integration("webhook", { fixture = "send",
      config = { url = "https://hooks.example.org/webhook/soc" } })
    local r = w.send{ data = { ip = "185.220.101.4" } }
    t.eq(r.status, 200)
    t.eq(json.decode(r.body), { ok = true, received = 27 })
    local none, err, detail = w.send{ data = { ip = "185.220.101.4" } }
    t.eq(none, nil)
    t.eq(err, "http")
    t.eq(detail, "HTTP 500")
  end,
  ["mock"] = function()
    t.eq(integration("webhook", { mock = true }).send{ data = { a = 1 } }.status, 200)
  end,
}
