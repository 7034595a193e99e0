-- MISP: search attributes, add a sighting, add an event. The key in the
-- Authorization header (secret misp.api_key); JSON in and out.
-- https://www.misp-project.org/openapi/
--   POST /attributes/restSearch {returnFormat, value, type, limit} -> {response: {Attribute: [...]}}
--   POST /sightings/add {value, type} -> {Sighting: {id, attribute_id, event_id, date_sighting}}
--   POST /events/add {Event: {info, distribution, threat_level_id, analysis, Attribute}} -> {Event: {...}}
local function headers(ctx)
  return { Authorization = ctx.secret("api_key"), Accept = "application/json" }
end

local function str(v) return v ~= nil and tostring(v) or nil end

return {
  name = "misp",
  version = "1.0.0",
  api_version = "2.4",
  description = "MISP threat sharing: search attributes, sightings, events",
  hosts = {},
  secrets = { "api_key" },
  config = {
    base_url = { type = "url", description = "the MISP instance, https://misp.example.org (required)" },
  },
  commands = {
    search = {
      description = "Attributes whose value matches (exact, or % wildcards)",
      args = {
        value = { type = "string", required = true },
        type = { type = "string", description = "MISP attribute type: ip-dst, domain, sha256, ..." },
        limit = { type = "integer", default = 50 },
      },
      outputs = {
        count = { type = "integer", min = 0 },
        -- (a field named type: the long form of an object)
        attributes = { type = "list", of = { type = "object", fields = {
          id = "string", event_id = "string", type = "string", category = "string", value = "string",
          to_ids = "boolean", event_info = "string?", timestamp = "integer?",
        } } },
      },
      run = function(ctx, args)
        if not ctx.config.base_url then error("misp.search: set base_url in the config file", 0) end
        local body, err, detail = ctx.expect(ctx.http.post(ctx.url("/attributes/restSearch"), {
          headers = headers(ctx),
          json = { returnFormat = "json", value = args.value, type = args.type, limit = args.limit } }))
        if not body then return nil, err, detail end
        local list = ctx.need(body, "response.Attribute", "table")
        local out = {}
        for i, a in ipairs(list) do
          out[i] = {
            id = str(ctx.need(a, "id")), event_id = str(ctx.need(a, "event_id")),
            type = ctx.need(a, "type", "string"), category = ctx.need(a, "category", "string"),
            value = ctx.need(a, "value", "string"), to_ids = a.to_ids == true,
            event_info = type(a.Event) == "table" and type(a.Event.info) == "string" and a.Event.info or nil,
            timestamp = tonumber(a.timestamp) and math.floor(tonumber(a.timestamp)) or nil,
          }
        end
        return { count = #out, attributes = out }
      end,
    },
    sighting = {
      description = "Record that a value was seen (sighting type 0) or is a false positive (1)",
      args = {
        value = { type = "string", required = true },
        false_positive = { type = "boolean", default = false },
        source = { type = "string", default = "soarctl" },
      },
      outputs = { id = "string", attribute_id = "string?", event_id = "string?", date = "string?" },
      run = function(ctx, args)
        if not ctx.config.base_url then error("misp.sighting: set base_url in the config file", 0) end
        local body, err, detail = ctx.expect(ctx.http.post(ctx.url("/sightings/add"), {
          headers = headers(ctx),
          json = { value = args.value, type = args.false_positive and "1" or "0", source = args.source } }))
        if not body then return nil, err, detail end
        local s = ctx.need(body, "Sighting", "table")
        return { id = str(ctx.need(s, "id")), attribute_id = str(s.attribute_id), event_id = str(s.event_id),
                 date = str(s.date_sighting) }
      end,
    },
    event = {
      description = "Create an event with attributes",
      args = {
        info = { type = "string", required = true, description = "the event's title" },
        attributes = { type = "table", default = {},
                       description = "list of {type=, value=, category=?, to_ids=?}" },
        threat_level = { type = "integer", default = 2,
                         description = "1 high, 2 medium, 3 low, 4 undefined" },
        distribution = { type = "integer", default = 0, description = "0 your organisation only" },
      },
      outputs = { id = "string", uuid = "string", info = "string",
                  attribute_count = { type = "integer", min = 0 } },
      run = function(ctx, args)
        if not ctx.config.base_url then error("misp.event: set base_url in the config file", 0) end
        local attrs = {}
        for i, a in ipairs(args.attributes) do
          if type(a) ~= "table" or type(a.type) ~= "string" or type(a.value) ~= "string" then
            error(string.format("misp.event: attributes[%d] needs type and value strings", i), 0)
          end
          attrs[i] = { type = a.type, value = a.value, category = a.category, to_ids = a.to_ids == true }
        end
        local body, err, detail = ctx.expect(ctx.http.post(ctx.url("/events/add"), {
          headers = headers(ctx),
          json = { Event = { info = args.info, distribution = args.distribution,
                             threat_level_id = args.threat_level, analysis = 0, Attribute = attrs } } }))
        if not body then return nil, err, detail end
        local e = ctx.need(body, "Event", "table")
        return { id = str(ctx.need(e, "id")), uuid = ctx.need(e, "uuid", "string"),
                 info = ctx.need(e, "info", "string"),
                 attribute_count = tonumber(e.attribute_count) or #attrs }
      end,
    },
  },
  -- mocks: generated from the outputs
}
