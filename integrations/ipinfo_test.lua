-- ipinfo: a recorded lookup (token scrubbed in the fixture) and the mock.
local t = require("testing")

return {
  ["fixture: geo, org and ASN"] = function()
    local r = integration("ipinfo", { fixture = "lookup" }).lookup{ ip = "185.220.101.4" }
    t.eq(r.country, "DE")
    t.eq(r.city, "Frankfurt am Main")
    t.eq(r.asn, 64500)
    t.eq(r.org, "AS64500 Example Hosting GmbH")
  end,
  ["mock and misuse"] = function()
    local i = integration("ipinfo", { mock = true })
    local r = i.lookup{ ip = "203.0.113.9" }
    t.eq(r.ip, "203.0.113.9")
    t.ok(r.asn >= 1000)
    t.raises(function() integration("ipinfo", { fixture = "lookup" }).lookup{ ip = "../etc" } end,
      "must be an IP address")
  end,
}
