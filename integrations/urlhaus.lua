-- URLhaus (abuse.ch): is a URL, or a host, known to distribute malware? Key in
-- the Auth-Key header (secret urlhaus.auth_key). https://urlhaus-api.abuse.ch/
--   POST /v1/url/  form url=...  -> {query_status, id, url_status, threat, tags, date_added, ...}
--   POST /v1/host/ form host=... -> {query_status, url_count, urls: [{url, url_status, threat, tags}]}
-- query_status "no_results" is an answer (found = false), not an error.
local function strings(v)
  local out = {}
  for _, s in ipairs(type(v) == "table" and v or {}) do
    if type(s) == "string" then out[#out + 1] = s end
  end
  return out
end

local function query(ctx, path, form)
  local body, err, detail = ctx.expect(ctx.http.post(ctx.url(path), {
    headers = { ["Auth-Key"] = ctx.secret("auth_key") }, form = form }))
  if not body then return nil, err, detail end
  local status = ctx.need(body, "query_status", "string")
  if status ~= "ok" and status ~= "no_results" then
    return nil, status == "unknown_auth_key" and "denied" or "http", "URLhaus: " .. status
  end
  return body, status
end

return {
  name = "urlhaus",
  version = "1.0.0",
  api_version = "v1",
  description = "URLhaus (abuse.ch): malware URLs and hosts",
  hosts = { "urlhaus-api.abuse.ch" },
  secrets = { "auth_key" },
  config = {
    base_url = { type = "url", default = "https://urlhaus-api.abuse.ch", description = "API root" },
  },
  commands = {
    url = {
      description = "Is this URL a known malware distribution URL?",
      args = { url = { type = "string", required = true } },
      outputs = {
        found = "boolean", url = "string",
        status = { type = "string", optional = true, enum = { "online", "offline", "unknown" } },
        threat = "string?", tags = "list of string", date_added = "string?", reference = "string?",
      },
      run = function(ctx, args)
        local body, status, detail = query(ctx, "/v1/url/", { url = args.url })
        if not body then return nil, status, detail end
        if status == "no_results" then return { found = false, url = args.url, tags = {} } end
        local st = body.url_status
        return {
          found = true, url = ctx.need(body, "url", "string"),
          status = (st == "online" or st == "offline") and st or "unknown",
          threat = type(body.threat) == "string" and body.threat or nil,
          tags = strings(body.tags),
          date_added = type(body.date_added) == "string" and body.date_added or nil,
          reference = type(body.urlhaus_reference) == "string" and body.urlhaus_reference or nil,
        }
      end,
    },
    host = {
      description = "Malware URLs URLhaus knows on a host (domain or IP)",
      args = { host = { type = "string", required = true } },
      outputs = {
        found = "boolean", host = "string",
        url_count = { type = "integer", min = 0 },
        online = { type = "integer", min = 0, description = "URLs still online" },
        urls = { type = "list", of = { url = "string", status = "string", threat = "string?",
                                       tags = "list of string" } },
      },
      run = function(ctx, args)
        local body, status, detail = query(ctx, "/v1/host/", { host = args.host })
        if not body then return nil, status, detail end
        if status == "no_results" then
          return { found = false, host = args.host, url_count = 0, online = 0, urls = {} }
        end
        local urls, online = {}, 0
        for _, u in ipairs(type(body.urls) == "table" and body.urls or {}) do
          local st = type(u.url_status) == "string" and u.url_status or "unknown"
          if st == "online" then online = online + 1 end
          urls[#urls + 1] = { url = ctx.need(u, "url", "string"), status = st,
                              threat = type(u.threat) == "string" and u.threat or nil,
                              tags = strings(u.tags) }
        end
        -- url_count is a string in the API's answer ("10")
        local count = tonumber(body.url_count) or #urls
        return { found = true, host = ctx.need(body, "host", "string"), url_count = math.floor(count),
                 online = online, urls = urls }
      end,
    },
  },
  -- mocks: generated from the outputs
}
