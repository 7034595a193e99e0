-- misp: restSearch, sightings/add, events/add in MISP's documented shapes, offline.
local t = require("testing")
local CFG = { base_url = "https://misp.example.org" }

return {
  ["fixture: search, sighting, event, then a bad key"] = function()
    local m = integration("misp", { fixture = "misp", config = CFG })
    local r = m.search{ value = "185.220.101.4", type = "ip-dst" }
    t.eq(r.count, 1)
    t.eq(r.attributes[1], { id = "1207", event_id = "42", type = "ip-dst", category = "Network activity",
      value = "185.220.101.4", to_ids = true, event_info = "Tor exit scanning campaign",
      timestamp = 1764700000 })
    t.eq(m.sighting{ value = "185.220.101.4" },
      { id = "77", attribute_id = "1207", event_id = "42", date = "1764750000" })
    local e = m.event{ info = "Phishing wave 2026-12-03",
      attributes = { { type = "domain", value = "evil.example" }, { type = "ip-dst", value = "192.0.2.1" } } }
    t.eq({ e.id, e.attribute_count }, { "43", 2 })
    local none, err = m.search{ value = "x" }
    t.eq({ none, err }, { nil, "denied" })
  end,

  ["misuse raises: attributes without type/value, no base_url"] = function()
    local m = integration("misp", { fixture = "misp", config = CFG })
    t.raises(function() m.event{ info = "x", attributes = { { value = "y" } } } end,
      "attributes%[1%] needs type and value")
    t.raises(function() integration("misp", { fixture = "misp" }).search{ value = "x" } end, "set base_url")
  end,

  ["mocks generated from the outputs"] = function()
    local m = integration("misp", { mock = true })
    t.ok(type(m.search{ value = "x" }.attributes) == "table")
    t.ok(type(m.event{ info = "x" }.uuid) == "string")
  end,
}
