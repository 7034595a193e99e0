-- thehive: case and observable calls in TheHive 5's documented shapes, offline.
local t = require("testing")
local CFG = { base_url = "https://thehive.example.org" }

return {
  ["fixture: create a case, update it, add an observable, a missing case"] = function()
    local h = integration("thehive", { fixture = "cases", config = CFG })
    local c = h.create_case{ title = "Phishing: invoice.zip", description = "Reported by a user",
                             severity = "high", tags = { "phishing", "soarctl" } }
    t.eq(c, { id = "~40964304", number = 42, title = "Phishing: invoice.zip", status = "New", severity = 3,
              tags = { "phishing", "soarctl" } })
    t.eq(h.update_case{ id = c.id, status = "InProgress" }, { id = "~40964304", updated = true })
    local o = h.add_observable{ case_id = c.id, data_type = "ip", data = "185.220.101.4", ioc = true }
    t.eq(o, { id = "~8200", data_type = "ip", data = "185.220.101.4", ioc = true })
    local none, err, detail = h.update_case{ id = "~nope", status = "Closed" }
    t.eq({ none, err, detail }, { nil, "http", "HTTP 404" })
  end,

  ["misuse raises"] = function()
    local h = integration("thehive", { fixture = "cases", config = CFG })
    t.raises(function() h.update_case{ id = "~1" } end, "give status, severity, tags or summary")
    t.raises(function() h.create_case{ title = "x", description = "y", severity = "urgent" } end,
      "severity must be one of")
  end,

  ["mocks generated from the outputs"] = function()
    local h = integration("thehive", { mock = true })
    t.ok(type(h.create_case{ title = "x", description = "y" }.number) == "number")
  end,
}
