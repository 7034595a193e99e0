-- AbuseIPDB: reputation of an IP address (API v2 "check"): abuse confidence
-- score, reports, country, usage type. Key in the "Key" header (secret
-- abuseipdb.api_key). https://docs.abuseipdb.com/#check-endpoint
return {
  name = "abuseipdb",
  version = "1.0.0",
  api_version = "v2",
  description = "AbuseIPDB IP reputation (v2 check)",
  hosts = { "api.abuseipdb.com" },
  secrets = { "api_key" },
  config = {
    base_url = { type = "url", default = "https://api.abuseipdb.com", description = "API root" },
    max_age_days = { type = "integer", default = 90, description = "reports this recent count" },
  },
  commands = {
    check = {
      description = "Reputation of one IP address",
      args = { ip = { type = "string", required = true, description = "IPv4 or IPv6 address" } },
      outputs = {
        score = { type = "integer", min = 0, max = 100, description = "abuseConfidenceScore" },
        reports = { type = "integer", min = 0, description = "totalReports" },
        users = { type = "integer", min = 0, description = "numDistinctUsers" },
        country = "string", usage = "string", isp = "string",
        tor = "boolean", whitelisted = "boolean",
        last_reported = { type = "string", optional = true, description = "lastReportedAt" },
        verdict = { type = "string", enum = { "malicious", "suspicious", "benign" },
                    description = "malicious (score >= 75), suspicious (>= 25), benign" },
      },
      run = function(ctx, args)
        local body, err, detail = ctx.expect(ctx.http.get(ctx.url("/api/v2/check"), {
          headers = { Key = ctx.secret("api_key"), Accept = "application/json" },
          query = { ipAddress = args.ip, maxAgeInDays = ctx.config.max_age_days } }))
        if not body then return nil, err, detail end
        local score = ctx.need(body, "data.abuseConfidenceScore", "number")
        local last = body.data.lastReportedAt
        return {
          score = score,
          reports = ctx.need(body, "data.totalReports", "number"),
          users = ctx.need(body, "data.numDistinctUsers", "number"),
          country = type(body.data.countryCode) == "string" and body.data.countryCode or "",
          usage = type(body.data.usageType) == "string" and body.data.usageType or "",
          isp = type(body.data.isp) == "string" and body.data.isp or "",
          tor = body.data.isTor == true,
          whitelisted = body.data.isWhitelisted == true,
          last_reported = type(last) == "string" and last or nil,
          verdict = score >= 75 and "malicious" or score >= 25 and "suspicious" or "benign",
        }
      end,
    },
  },
  mock = {
    check = function(ctx, args)
      local score = ctx.fake.pick({ 0, 0, 0, 12, 37, 88, 100 })
      return {
        score = score, reports = score > 0 and ctx.fake.int(1, 2000) or 0,
        users = score > 0 and ctx.fake.int(1, 300) or 0,
        country = ctx.fake.place(args.ip)[3],   -- the same country as ipinfo's mock
        usage = ctx.fake.pick({ "Data Center/Web Hosting/Transit", "Fixed Line ISP", "Mobile ISP" }),
        isp = ctx.fake.pick({ "Example Hosting", "Example Telecom", "Example Cloud" }),
        tor = score == 100, whitelisted = false,
        last_reported = score > 0 and "2026-11-27T21:30:07+00:00" or nil,
        verdict = score >= 75 and "malicious" or score >= 25 and "suspicious" or "benign",
      }
    end,
  },
}
