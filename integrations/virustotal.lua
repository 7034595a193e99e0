-- VirusTotal API v3: reputation of an IP address, a domain, a URL or a file
-- hash (the last analysis of each engine, counted). Key in the x-apikey header
-- (secret virustotal.api_key). https://docs.virustotal.com/reference/overview
--   GET /api/v3/ip_addresses/{ip}   GET /api/v3/domains/{domain}
--   GET /api/v3/urls/{id}  (id: the URL in unpadded base64url)   GET /api/v3/files/{hash}
-- A 404 (NotFoundError) is not an error: found = false.

-- Outputs every object kind shares; the kinds add their own below.
local function common(extra)
  local out = {
    found = "boolean",
    id = "string",
    malicious = { type = "integer", min = 0, description = "engines that say malicious" },
    suspicious = { type = "integer", min = 0 },
    harmless = { type = "integer", min = 0 },
    undetected = { type = "integer", min = 0 },
    reputation = { type = "integer", description = "community score (negative: bad)" },
    score = { type = "integer", min = 0, max = 100,
              description = "0-100: malicious engines x 10 + suspicious x 5, capped" },
    verdict = { type = "string", enum = { "malicious", "suspicious", "benign", "unknown" },
                description = "malicious (3+ engines), suspicious (1+), benign, unknown (not found)" },
    tags = "list of string",
    last_analysis = { type = "integer", optional = true, description = "Unix time of the last analysis" },
  }
  for k, v in pairs(extra or {}) do out[k] = v end
  return out
end

local function int_or_zero(v) return type(v) == "number" and math.floor(v) or 0 end

local function summarise(ctx, id, body, resp)
  if resp == "not found" then
    return { found = false, id = id, malicious = 0, suspicious = 0, harmless = 0, undetected = 0,
             reputation = 0, score = 0, verdict = "unknown", tags = {} }
  end
  local a = ctx.need(body, "data.attributes", "table")
  local stats = ctx.need(body, "data.attributes.last_analysis_stats", "table")
  local mal, sus = int_or_zero(stats.malicious), int_or_zero(stats.suspicious)
  local tags = {}
  for _, t in ipairs(type(a.tags) == "table" and a.tags or {}) do
    if type(t) == "string" then tags[#tags + 1] = t end
  end
  return {
    found = true, id = ctx.need(body, "data.id", "string"),
    malicious = mal, suspicious = sus, harmless = int_or_zero(stats.harmless),
    undetected = int_or_zero(stats.undetected), reputation = int_or_zero(a.reputation),
    score = math.min(100, mal * 10 + sus * 5),
    verdict = mal >= 3 and "malicious" or (mal + sus) >= 1 and "suspicious" or "benign",
    tags = tags,
    last_analysis = type(a.last_analysis_date) == "number" and math.floor(a.last_analysis_date) or nil,
  }, a
end

-- GET one object; nil, err, detail on failure, "not found" on a 404.
local function fetch(ctx, path)
  local r, err, detail = ctx.http.get(ctx.url("/api/v3/" .. path), {
    headers = { ["x-apikey"] = ctx.secret("api_key"), Accept = "application/json" } })
  if r and r.status == 404 then return nil, "not found" end
  local body, e2, d2 = ctx.expect(r, err, detail)
  if not body then return nil, e2, d2 end
  return body
end

local function lookup(ctx, id, path, extra)
  local body, err, detail = fetch(ctx, path)
  if not body and err ~= "not found" then return nil, err, detail end
  local out, a = summarise(ctx, id, body, err)
  if a and extra then extra(out, a) end
  return out
end

local function str(v) return type(v) == "string" and v or nil end

return {
  name = "virustotal",
  version = "1.0.0",
  api_version = "v3",
  description = "VirusTotal v3 reputation: IP addresses, domains, URLs, file hashes",
  hosts = { "www.virustotal.com" },
  secrets = { "api_key" },
  config = {
    base_url = { type = "url", default = "https://www.virustotal.com", description = "API root" },
  },
  commands = {
    ip = {
      description = "Reputation of an IP address",
      args = { ip = { type = "string", required = true } },
      outputs = common({ country = "string?", as_owner = "string?", asn = "integer?" }),
      run = function(ctx, args)
        if not args.ip:match("^[%x:.]+$") then error("virustotal.ip: ip must be an IP address", 0) end
        return lookup(ctx, args.ip, "ip_addresses/" .. args.ip, function(out, a)
          out.country, out.as_owner = str(a.country), str(a.as_owner)
          out.asn = type(a.asn) == "number" and math.floor(a.asn) or nil
        end)
      end,
    },
    domain = {
      description = "Reputation of a domain",
      args = { domain = { type = "string", required = true } },
      outputs = common({ registrar = "string?", categories = "list of string" }),
      run = function(ctx, args)
        if not args.domain:match("^[%w.-]+$") then error("virustotal.domain: not a domain name", 0) end
        local r, err, detail = lookup(ctx, args.domain, "domains/" .. args.domain, function(out, a)
          out.registrar, out.categories = str(a.registrar), {}
          for _, c in pairs(type(a.categories) == "table" and a.categories or {}) do
            if type(c) == "string" then out.categories[#out.categories + 1] = c end
          end
          table.sort(out.categories)
        end)
        if r and not r.categories then r.categories = {} end
        return r, err, detail
      end,
    },
    url = {
      description = "Reputation of a URL (as last analysed; nothing is submitted)",
      args = { url = { type = "string", required = true } },
      outputs = common({ final_url = "string?", title = "string?" }),
      run = function(ctx, args)
        local id = base64.encode(args.url, { url = true })
        return lookup(ctx, id, "urls/" .. id, function(out, a)
          out.final_url, out.title = str(a.last_final_url), str(a.title)
        end)
      end,
    },
    file = {
      description = "Reputation of a file by its MD5, SHA-1 or SHA-256",
      args = { hash = { type = "string", required = true } },
      outputs = common({ sha256 = "string?", md5 = "string?", name = "string?", size = "integer?",
                         type_description = "string?" }),
      run = function(ctx, args)
        local h = args.hash:lower()
        if not (h:match("^%x+$") and (#h == 32 or #h == 40 or #h == 64)) then
          error("virustotal.file: hash must be an MD5, SHA-1 or SHA-256 in hex", 0)
        end
        return lookup(ctx, h, "files/" .. h, function(out, a)
          out.sha256, out.md5, out.name = str(a.sha256), str(a.md5), str(a.meaningful_name)
          out.size = type(a.size) == "number" and math.floor(a.size) or nil
          out.type_description = str(a.type_description)
        end)
      end,
    },
  },
  mock = {
    ip = function(ctx, args)
      local mal = ctx.fake.pick({ 0, 0, 0, 1, 4, 12 })
      return { found = true, id = args.ip, malicious = mal, suspicious = mal > 0 and 1 or 0,
               harmless = 60, undetected = 20, reputation = -mal,
               score = math.min(100, mal * 10 + (mal > 0 and 5 or 0)),
               verdict = mal >= 3 and "malicious" or mal >= 1 and "suspicious" or "benign", tags = {},
               country = ctx.fake.pick({ "US", "DE", "NL" }), as_owner = "Example Hosting", asn = 64500 }
    end,
  },
}
