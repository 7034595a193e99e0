-- GreyNoise Community API: is an IP internet background noise (a scanner),
-- a known benign service (RIOT), or malicious? Key in the "key" header
-- (secret greynoise.api_key). https://docs.greynoise.io/reference/get_v3-community-ip
--   GET /v3/community/{ip} -> {ip, noise, riot, classification, name, link, last_seen, message}
-- A 404 means "not observed": seen = false, not an error.
return {
  name = "greynoise",
  version = "1.0.0",
  api_version = "v3-community",
  description = "GreyNoise Community: noise / RIOT / classification of an IP",
  hosts = { "api.greynoise.io" },
  secrets = { "api_key" },
  config = {
    base_url = { type = "url", default = "https://api.greynoise.io", description = "API root" },
  },
  commands = {
    ip = {
      description = "What GreyNoise knows of one IP address",
      args = { ip = { type = "string", required = true, description = "IPv4 address" } },
      outputs = {
        ip = "string",
        seen = { type = "boolean", description = "observed scanning or in RIOT" },
        noise = "boolean",
        riot = { type = "boolean", description = "a known benign business service" },
        classification = { type = "string", enum = { "malicious", "benign", "unknown" } },
        name = "string?", link = "string?", last_seen = "string?",
        score = { type = "integer", min = 0, max = 100,
                  description = "malicious 100, unknown noise 50, otherwise 0" },
        verdict = { type = "string", enum = { "malicious", "suspicious", "benign" } },
      },
      run = function(ctx, args)
        if not args.ip:match("^%d+%.%d+%.%d+%.%d+$") then
          error("greynoise.ip: ip must be an IPv4 address (the community API has no IPv6)", 0)
        end
        local r, err, detail = ctx.http.get(ctx.url("/v3/community/" .. args.ip), {
          headers = { key = ctx.secret("api_key"), Accept = "application/json" } })
        if r and r.status == 404 then
          return { ip = args.ip, seen = false, noise = false, riot = false, classification = "unknown",
                   score = 0, verdict = "benign" }
        end
        local body, e2, d2 = ctx.expect(r, err, detail)
        if not body then return nil, e2, d2 end
        local class = body.classification
        if class ~= "malicious" and class ~= "benign" then class = "unknown" end
        local noise = ctx.need(body, "noise", "boolean")
        local riot = ctx.need(body, "riot", "boolean")
        local score = class == "malicious" and 100 or (noise and class == "unknown") and 50 or 0
        return {
          ip = ctx.need(body, "ip", "string"), seen = true, noise = noise, riot = riot,
          classification = class,
          name = type(body.name) == "string" and body.name or nil,
          link = type(body.link) == "string" and body.link or nil,
          last_seen = type(body.last_seen) == "string" and body.last_seen or nil,
          score = score,
          verdict = score >= 75 and "malicious" or score >= 25 and "suspicious" or "benign",
        }
      end,
    },
  },
  mock = {
    ip = function(ctx, args)
      local class = ctx.fake.pick({ "malicious", "benign", "unknown", "unknown" })
      local score = class == "malicious" and 100 or class == "unknown" and 50 or 0
      return { ip = args.ip, seen = true, noise = class ~= "benign", riot = class == "benign",
               classification = class, name = class == "benign" and "Example CDN" or "unknown",
               last_seen = "2026-12-01", score = score,
               verdict = score >= 75 and "malicious" or score >= 25 and "suspicious" or "benign" }
    end,
  },
}
