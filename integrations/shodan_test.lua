-- shodan: host API responses (fixture) and the generated mock, offline.
local t = require("testing")

return {
  ["fixture: a host with vulnerabilities, then one Shodan never saw"] = function()
    local s = integration("shodan", { fixture = "host" })
    local h = s.host{ ip = "198.51.100.20" }
    t.eq(h.ports, { 22, 443, 8080 })
    t.eq(h.vulns, { "CVE-2023-48795", "CVE-2024-3400" })
    t.eq({ h.org, h.asn, h.country, h.os }, { "Example Org", "AS64500", "NL", nil })
    local none = s.host{ ip = "192.0.2.10" }
    t.eq({ none.found, none.ports }, { false, {} })
  end,

  ["mock generated from the typed outputs"] = function()
    local s = integration("shodan", { mock = true })
    local h = s.host{ ip = "203.0.113.1" }
    t.eq(h, s.host{ ip = "203.0.113.1" })
    for _, p in ipairs(h.ports) do t.ok(p == math.floor(p)) end
  end,
}
