-- virustotal: v3 responses in the vendor's documented shape (fixtures), the mock.
local t = require("testing")

return {
  ["fixture: ip malicious, unknown (404), rate limited"] = function()
    local vt = integration("virustotal", { fixture = "lookups" })
    local r = vt.ip{ ip = "185.220.101.4" }
    t.eq({ r.malicious, r.suspicious, r.score, r.verdict, r.country, r.asn },
         { 9, 2, 100, "malicious", "DE", 64500 })
    t.eq(r.tags, { "tor" })
    local none = vt.ip{ ip = "192.0.2.10" }
    t.eq({ none.found, none.verdict, none.score }, { false, "unknown", 0 })
    local _, err, detail = vt.ip{ ip = "198.51.100.7" }
    t.eq({ err, detail }, { "http", "HTTP 429" })
  end,

  ["fixture: domain, url (base64url id), file hash"] = function()
    local vt = integration("virustotal", { fixture = "lookups" })
    local d = vt.domain{ domain = "example.com" }
    t.eq({ d.verdict, d.registrar }, { "benign", "Example Registrar" })
    t.eq(d.categories, { "computersandsoftware", "information technology" })
    local u = vt.url{ url = "http://malware.example.com/payload.exe" }
    t.eq({ u.verdict, u.score, u.final_url }, { "suspicious", 25, "http://malware.example.com/payload.exe" })
    local f = vt.file{ hash = "44D88612FEA8A8F36DE82E1278ABB02F" }
    t.eq({ f.verdict, f.name, f.size, f.sha256:sub(1, 8) }, { "malicious", "eicar.com", 68, "275a021b" })
  end,

  ["a fixture whose shape changed names the field"] = function()
    local vt = integration("virustotal", { fixture = "moved" })
    t.raises(function() vt.ip{ ip = "185.220.101.4" } end,
      "no table at 'data.attributes.last_analysis_stats'")
  end,

  ["misuse raises before any request"] = function()
    local vt = integration("virustotal", { fixture = "lookups" })
    t.raises(function() vt.file{ hash = "xyz" } end, "hash must be an MD5, SHA%-1 or SHA%-256")
    t.raises(function() vt.ip{ ip = "not an ip" } end, "ip must be an IP address")
  end,

  ["mock: written for ip, generated from the outputs for the rest"] = function()
    local vt = integration("virustotal", { mock = true })
    t.eq(vt.ip{ ip = "203.0.113.5" }, vt.ip{ ip = "203.0.113.5" })
    local f = vt.file{ hash = "44d88612fea8a8f36de82e1278abb02f" }
    t.ok(f.score >= 0 and f.score <= 100)
    t.ok(type(f.tags) == "table")
  end,
}
