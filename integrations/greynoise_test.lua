-- greynoise: community API responses (fixtures) and the mock, offline.
local t = require("testing")

return {
  ["fixture: malicious noise, RIOT benign, not observed, bad key"] = function()
    local g = integration("greynoise", { fixture = "community" })
    local bad = g.ip{ ip = "185.220.101.4" }
    t.eq({ bad.noise, bad.classification, bad.score, bad.verdict }, { true, "malicious", 100, "malicious" })
    local dns = g.ip{ ip = "8.8.8.8" }
    t.eq({ dns.riot, dns.name, dns.verdict }, { true, "Google Public DNS", "benign" })
    local quiet = g.ip{ ip = "192.0.2.10" }
    t.eq({ quiet.seen, quiet.score }, { false, 0 })
    local none, err = g.ip{ ip = "198.51.100.7" }
    t.eq({ none, err }, { nil, "denied" })
  end,

  ["a fixture whose shape changed names the field"] = function()
    local g = integration("greynoise", { fixture = "changed" })
    t.raises(function() g.ip{ ip = "185.220.101.4" } end, "no boolean at 'noise' %(found string%)")
  end,

  ["IPv6 is refused before any request; the mock is seeded"] = function()
    t.raises(function() integration("greynoise", { fixture = "community" }).ip{ ip = "2001:db8::1" } end,
      "IPv4")
    local g = integration("greynoise", { mock = true })
    t.eq(g.ip{ ip = "203.0.113.5" }, g.ip{ ip = "203.0.113.5" })
  end,
}
