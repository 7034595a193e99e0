-- abuseipdb: recorded v2 responses and the mock, offline.
local t = require("testing")

return {
  ["fixture: malicious, benign, rate limited"] = function()
    local a = integration("abuseipdb", { fixture = "check" })
    local bad = a.check{ ip = "185.220.101.4" }
    t.eq(bad.score, 100)
    t.eq(bad.verdict, "malicious")
    t.eq(bad.tor, true)
    t.eq(bad.reports, 1234)
    t.eq(bad.country, "DE")
    local good = a.check{ ip = "192.0.2.10" }
    t.eq(good.verdict, "benign")
    t.eq(good.last_reported, nil)
    local none, err, detail = a.check{ ip = "198.51.100.7" }
    t.eq(none, nil)
    t.eq(err, "http")
    t.eq(detail, "HTTP 429")
  end,

  ["fixture whose shape changed: the test names the field"] = function()
    local a = integration("abuseipdb", { fixture = "check_changed" })
    t.raises(function() a.check{ ip = "185.220.101.4" } end,
      "abuseipdb.check: the response has no number at 'data.abuseConfidenceScore' %(found string%)")
  end,

  ["mock: seeded per ip"] = function()
    local a = integration("abuseipdb", { mock = true })
    t.eq(a.check{ ip = "203.0.113.5" }, a.check{ ip = "203.0.113.5" })
    local r = a.check{ ip = "203.0.113.6" }
    t.ok(r.score >= 0 and r.score <= 100)
    t.ok(r.verdict == "malicious" or r.verdict == "suspicious" or r.verdict == "benign")
    t.raises(function() a.check{} end, "argument ip is required")
  end,
}
