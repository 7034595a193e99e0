-- TheHive 5: create and update a case, add an observable to it. API key as a
-- Bearer token (secret thehive.api_key). https://docs.strangebee.com/thehive/api-docs/
--   POST  /api/v1/case {title, description, severity, tags, tlp, pap}  -> 201 the case {_id, number, ...}
--   PATCH /api/v1/case/{id} {status?, severity?, tags?, ...}           -> 204
--   POST  /api/v1/case/{id}/observable {dataType, data, message, tlp, ioc} -> 201 [observable, ...]
local SEVERITY = { low = 1, medium = 2, high = 3, critical = 4 }

local function case_of(ctx, c)
  local tags = {}
  for _, t in ipairs(type(c.tags) == "table" and c.tags or {}) do
    if type(t) == "string" then tags[#tags + 1] = t end
  end
  return {
    id = ctx.need(c, "_id", "string"), number = math.floor(ctx.need(c, "number", "number")),
    title = ctx.need(c, "title", "string"), status = ctx.need(c, "status", "string"),
    severity = math.floor(ctx.need(c, "severity", "number")), tags = tags,
  }
end

return {
  name = "thehive",
  version = "1.0.0",
  api_version = "v1",
  description = "TheHive 5 cases and observables",
  hosts = {},
  secrets = { "api_key" },
  config = {
    base_url = { type = "url", description = "the TheHive instance, https://thehive.example.org (required)" },
  },
  commands = {
    create_case = {
      description = "Open a case",
      args = {
        title = { type = "string", required = true },
        description = { type = "string", required = true },
        severity = { type = "string", default = "medium", enum = { "low", "medium", "high", "critical" } },
        tags = { type = "table", default = {} },
        tlp = { type = "integer", default = 2, description = "0 white/clear .. 4 red" },
      },
      outputs = { id = "string", number = "integer", title = "string", status = "string",
                  severity = { type = "integer", min = 1, max = 4 }, tags = "list of string" },
      run = function(ctx, args)
        if not ctx.config.base_url then error("thehive.create_case: set base_url in the config file", 0) end
        local body, err, detail = ctx.expect(ctx.http.post(ctx.url("/api/v1/case"), {
          bearer = ctx.secret("api_key"),
          json = { title = args.title, description = args.description, severity = SEVERITY[args.severity],
                   tags = args.tags, tlp = args.tlp, pap = 2 } }))
        if not body then return nil, err, detail end
        return case_of(ctx, body)
      end,
    },
    update_case = {
      description = "Change a case's status, severity or tags",
      args = {
        id = { type = "string", required = true, description = "the case's _id (~123)" },
        status = { type = "string",
                   description = "New, InProgress, Indeterminate, FalsePositive, TruePositive, ..." },
        severity = { type = "string", enum = { "low", "medium", "high", "critical" } },
        tags = { type = "table" },
        summary = { type = "string", description = "closing summary" },
      },
      outputs = { id = "string", updated = "boolean" },
      run = function(ctx, args)
        if not ctx.config.base_url then error("thehive.update_case: set base_url in the config file", 0) end
        local patch = { status = args.status, severity = args.severity and SEVERITY[args.severity],
                        tags = args.tags, summary = args.summary }
        if next(patch) == nil then error("thehive.update_case: give status, severity, tags or summary", 0) end
        local r, err, detail = ctx.http.request{ method = "PATCH", url = ctx.url("/api/v1/case/" .. args.id),
                                                 bearer = ctx.secret("api_key"), json = patch }
        local ok, e2, d2 = ctx.expect(r, err, detail)
        if not ok then return nil, e2, d2 end
        return { id = args.id, updated = true }
      end,
    },
    add_observable = {
      description = "Add an observable (ip, domain, url, hash, mail, ...) to a case",
      args = {
        case_id = { type = "string", required = true },
        data_type = { type = "string", required = true, description = "ip, domain, url, hash, mail, ..." },
        data = { type = "string", required = true },
        message = { type = "string" },
        ioc = { type = "boolean", default = false },
        tlp = { type = "integer", default = 2 },
      },
      outputs = { id = "string", data_type = "string", data = "string", ioc = "boolean" },
      run = function(ctx, args)
        if not ctx.config.base_url then
          error("thehive.add_observable: set base_url in the config file", 0)
        end
        local body, err, detail = ctx.expect(ctx.http.post(
          ctx.url("/api/v1/case/" .. args.case_id .. "/observable"), {
            bearer = ctx.secret("api_key"),
            json = { dataType = args.data_type, data = args.data, message = args.message, ioc = args.ioc,
                     tlp = args.tlp } }))
        if not body then return nil, err, detail end
        -- TheHive answers a list (one observable a value given)
        local o = ctx.need(body, "[1]", "table")
        return { id = ctx.need(o, "_id", "string"), data_type = ctx.need(o, "dataType", "string"),
                 data = ctx.need(o, "data", "string"), ioc = o.ioc == true }
      end,
    },
  },
  -- mocks: generated from the outputs
}
