-- urlhaus: URL and host lookups in the API's documented shape (fixture), offline.
local t = require("testing")

return {
  ["fixture: a malware URL, an unknown URL, a host, a bad key"] = function()
    local u = integration("urlhaus", { fixture = "lookups" })
    local r = u.url{ url = "http://198.51.100.9/bins/mozi.m" }
    t.eq({ r.found, r.status, r.threat }, { true, "online", "malware_download" })
    t.eq(r.tags, { "elf", "Mozi" })
    t.eq(u.url{ url = "https://example.org/" }, { found = false, url = "https://example.org/", tags = {} })
    local h = u.host{ host = "malware.example.com" }
    t.eq({ h.url_count, h.online, #h.urls, h.urls[2].status }, { 2, 1, 2, "offline" })
    t.eq(h.urls[2].tags, {})
    local none, err, detail = u.host{ host = "x.example" }
    t.eq({ none, err, detail }, { nil, "denied", "URLhaus: unknown_auth_key" })
  end,

  ["mocks generated from the outputs fit them"] = function()
    local u = integration("urlhaus", { mock = true })
    t.ok(type(u.url{ url = "http://x.example/" }.found) == "boolean")
    t.ok(type(u.host{ host = "x.example" }.urls) == "table")
  end,
}
