-- Shodan: what the internet sees of a host (open ports, services, known
-- vulnerabilities). Key in the query (secret shodan.api_key: the recorded
-- fixture scrubs it). https://developer.shodan.io/api
--   GET /shodan/host/{ip}?key=KEY&minify=true -> {ip_str, ports, hostnames, org, isp, asn,
--   country_code, os, vulns, tags, last_update, data}; 404 {"error": "No information ..."}
local function strings(v)
  local out = {}
  for _, s in ipairs(type(v) == "table" and v or {}) do
    if type(s) == "string" then out[#out + 1] = s end
  end
  return out
end

return {
  name = "shodan",
  version = "1.0.0",
  api_version = "v1",
  description = "Shodan host lookup: open ports, hostnames, vulnerabilities",
  hosts = { "api.shodan.io" },
  secrets = { "api_key" },
  config = {
    base_url = { type = "url", default = "https://api.shodan.io", description = "API root" },
  },
  commands = {
    host = {
      description = "Open ports, services and vulnerabilities Shodan saw on an IP",
      args = { ip = { type = "string", required = true } },
      outputs = {
        ip = "string",
        found = "boolean",
        ports = "list of integer",
        hostnames = "list of string",
        org = "string?", isp = "string?", asn = "string?", country = "string?", os = "string?",
        vulns = { type = "list", of = "string", description = "CVE ids" },
        tags = "list of string",
        last_update = "string?",
      },
      run = function(ctx, args)
        if not args.ip:match("^[%x:.]+$") then error("shodan.host: ip must be an IP address", 0) end
        local r, err, detail = ctx.http.get(ctx.url("/shodan/host/" .. args.ip), {
          query = { key = ctx.secret("api_key"), minify = "true" } })
        if r and r.status == 404 then
          return { ip = args.ip, found = false, ports = {}, hostnames = {}, vulns = {}, tags = {} }
        end
        local body, e2, d2 = ctx.expect(r, err, detail)
        if not body then return nil, e2, d2 end
        local ports = {}
        for _, p in ipairs(ctx.need(body, "ports", "table")) do
          if type(p) == "number" then ports[#ports + 1] = math.floor(p) end
        end
        table.sort(ports)
        -- vulns: a list in the host API, an object keyed by CVE in older answers
        local vulns = {}
        if type(body.vulns) == "table" then
          if #body.vulns > 0 then vulns = strings(body.vulns)
          else for k in pairs(body.vulns) do vulns[#vulns + 1] = tostring(k) end end
        end
        table.sort(vulns)
        local function s(v) return type(v) == "string" and v or nil end
        return {
          ip = ctx.need(body, "ip_str", "string"), found = true, ports = ports,
          hostnames = strings(body.hostnames), org = s(body.org), isp = s(body.isp), asn = s(body.asn),
          country = s(body.country_code), os = s(body.os), vulns = vulns, tags = strings(body.tags),
          last_update = s(body.last_update),
        }
      end,
    },
  },
  -- mock: generated from the outputs (soarctl's typed outputs)
}
