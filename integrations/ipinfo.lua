-- ipinfo.io: where an IP address is (city, region, country, coordinates) and who
-- announces it (org "AS<number> <name>"). Token in the query (secret
-- ipinfo.token; scrubbed from recorded fixtures). https://ipinfo.io/developers
return {
  name = "ipinfo",
  version = "1.0.0",
  api_version = "2024",
  description = "ipinfo.io geolocation and ASN of an IP address",
  hosts = { "ipinfo.io" },
  secrets = { "token" },
  config = { base_url = { type = "url", default = "https://ipinfo.io", description = "API root" } },
  commands = {
    lookup = {
      description = "Geolocation, organisation and ASN of one IP",
      args = { ip = { type = "string", required = true } },
      outputs = { ip = "string", city = "string", region = "string", country = "string",
                  loc = { type = "string", description = "lat,lon" }, org = "string",
                  asn = "integer?", hostname = "string" },
      run = function(ctx, args)
        if not args.ip:match("^[%x:.]+$") then error("ipinfo.lookup: ip must be an IP address", 0) end
        local body, err, detail = ctx.expect(ctx.http.get(ctx.url("/" .. args.ip .. "/json"), {
          query = { token = ctx.secret("token") } }))
        if not body then return nil, err, detail end
        local org = type(body.org) == "string" and body.org or ""
        return {
          ip = ctx.need(body, "ip", "string"),
          city = body.city or "", region = body.region or "",
          country = ctx.need(body, "country", "string"),
          loc = body.loc or "", org = org, hostname = body.hostname or "",
          asn = tonumber(org:match("^AS(%d+)")),
        }
      end,
    },
  },
  mock = {
    lookup = function(ctx, args)
      local place = ctx.fake.place(args.ip)   -- the same country as abuseipdb's mock
      local asn = ctx.fake.int(1000, 65000)
      return { ip = args.ip, city = place[1], region = place[2], country = place[3], loc = place[4],
               org = "AS" .. asn .. " Example Networks", asn = asn, hostname = "host.example.net" }
    end,
  },
}
