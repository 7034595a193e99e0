-- The cookbook of docs/integrations.md, run: each example there is here, as
-- written, with what it gives.
local t = require("testing")
local kit = require("integration_kit")

-- A vendor answer of the usual kind: nested, with nulls, numbers as strings.
local answer = {
  data = { id = "185.220.101.4", attributes = {
    tags = { "tor", 7, "scanner" }, country = json.null, reputation = -12, url_count = "10",
    vulns = { ["CVE-2024-3400"] = {}, ["CVE-2023-48795"] = {} },
  } },
}

return {
  ["safe extraction with defaults"] = function()
    t.eq(kit.get(answer, "data.attributes.reputation", 0), -12)
    t.eq(kit.get(answer, "data.attributes.missing.deeper", "none"), "none")
    t.eq(kit.get(answer, "data.attributes.country", "??", "string"), "??")   -- null -> default
    t.eq(kit.get(answer, "data.attributes.tags.[1]", nil), "tor")
    t.eq(kit.str(answer.data.attributes.country), nil)
    t.eq(kit.int(answer.data.attributes.url_count, 0), 10)                      -- "10" -> 10
    t.eq(kit.int("ten", 0), 0)
    t.eq(kit.int(0 / 0, -1), -1)
  end,

  ["validation: misuse raises before any request"] = function()
    t.eq(kit.valid("ipv4", "192.0.2.1"), true)
    t.eq(kit.valid("ipv4", "192.0.2.300"), false)
    t.eq(kit.valid("ip", "2001:db8::1"), true)
    t.eq(kit.valid("domain", "evil.example.com"), true)
    t.eq(kit.valid("domain", "-bad..example"), false)
    t.eq(kit.valid("hash", "44d88612fea8a8f36de82e1278abb02f"), true)
    t.eq(kit.valid("email", "soc@example.org"), true)
    t.eq(kit.valid("url", "https://example.org/x"), true)
    t.eq(kit.valid("ip", 42), false)
    t.raises(function() kit.check("vt.ip", "ip", "ip", "not-an-ip") end,
      'vt.ip: ip must be an ip, not "not%-an%-ip"')
    t.raises(function() kit.check("x", "hash", "hash", nil) end, "x: hash must be a hash, not nil")
    t.raises(function() kit.valid("colour", "red") end, "unknown kind colour")
  end,

  ["lists and maps"] = function()
    t.eq(kit.strings(answer.data.attributes.tags), { "tor", "scanner" })
    t.eq(kit.strings(json.null), {})
    t.eq(kit.keys(answer.data.attributes.vulns), { "CVE-2023-48795", "CVE-2024-3400" })
    local users = { { id = 1, email = "a@example.org" }, { id = 2, email = "b@example.org" },
                    { id = 1, email = "a@example.org" } }
    t.eq(kit.map(users, function(u) return u.id > 1 and u.email or nil end), { "b@example.org" })
    t.eq(#kit.unique(users, function(u) return u.id end), 2)
    t.eq(kit.index(users, function(u) return u.email end)["b@example.org"].id, 2)
  end,

  ["pagination: cursor pages, caps, a failing page"] = function()
    local pages = { [""] = { { 1, 2 }, "p2" }, p2 = { { 3, 4 }, "p3" }, p3 = { { 5 }, nil } }
    local function fetch(cursor)
      local p = pages[cursor or ""]
      return p[1], p[2]
    end
    local all, truncated = kit.paginate(fetch)
    t.eq({ all, truncated }, { { 1, 2, 3, 4, 5 }, false })
    all, truncated = kit.paginate(fetch, { max_pages = 2 })
    t.eq({ all, truncated }, { { 1, 2, 3, 4 }, true })
    all, truncated = kit.paginate(fetch, { max_items = 3 })
    t.eq({ all, truncated }, { { 1, 2, 3 }, true })
    local none, err, detail = kit.paginate(function(c)
      if c then return nil, "http", "HTTP 500" end
      return { 1 }, "next"
    end)
    t.eq({ none, err, detail }, { nil, "http", "HTTP 500" })
  end,

  ["rate limits and Retry-After"] = function()
    local now = time.parse("2026-12-03T10:00:00Z")
    t.eq(kit.retry_after({ status = 429, headers = { ["retry-after"] = "120" } }, now), 120)
    t.eq(kit.retry_after({ status = 429, headers = { ["retry-after"] = "Thu, 03 Dec 2026 10:01:30 GMT" } },
      now), 90)
    t.eq(kit.retry_after({ status = 429, headers = { ["x-ratelimit-reset"] = tostring(now + 5) } }, now), 5)
    t.eq(kit.retry_after({ status = 200, headers = {} }, now), nil)
    t.eq(kit.http_date("Thu, 03 Dec 2026 10:00:00 GMT"), now)
    t.eq(kit.http_date("yesterday"), nil)
    local slow = { status = 429, headers = { ["retry-after"] = "3600" } }
    local limited, err, detail = kit.rate_limited(slow, 30)
    t.eq({ limited, err, detail }, { true, "rate_limited", "retry after 3600 s" })
    t.eq(kit.rate_limited({ status = 200, headers = {} }, 30), nil)
  end,

  ["auth styles"] = function()
    t.eq(kit.auth.bearer("T"), { bearer = "T" })
    t.eq(kit.auth.basic("soc@example.org", "P"), { basic = { user = "soc@example.org", password = "P" } })
    t.eq(kit.request(kit.auth.header("x-apikey", "K"), { headers = { Accept = "application/json" },
                                                         timeout = 10 }),
      { headers = { ["x-apikey"] = "K", Accept = "application/json" }, timeout = 10 })
    t.eq(kit.request(kit.auth.query("token", "K"), { query = { ip = "192.0.2.1" } }),
      { query = { token = "K", ip = "192.0.2.1" } })
    local signed = kit.auth.hmac("X-Signature", "s3cret", '{"a":1}', "sha256=")
    t.eq(signed.headers["X-Signature"], "sha256=" .. crypto.hmac_sha256("s3cret", '{"a":1}'))
  end,
}
