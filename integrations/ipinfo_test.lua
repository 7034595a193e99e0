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
  ["mocks agree: abuseipdb's country is ipinfo's"] = function()
    local geo = integration("ipinfo", { mock = true })
    local rep = integration("abuseipdb", { mock = true })
    local seen = {}
    for _, ip in ipairs({ "203.0.113.9", "198.51.100.7", "185.220.101.4", "192.0.2.1", "45.155.205.233",
                          "2001:db8::1", "10.1.2.3", "172.16.5.4" }) do
      local c = geo.lookup{ ip = ip }.country
      t.eq(rep.check{ ip = ip }.country, c, ip)
      seen[c] = true
    end
    t.ok(next(seen, next(seen)) ~= nil, "more than one country among the addresses")
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
