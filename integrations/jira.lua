-- Jira Cloud REST API v3: create an issue, comment on it, move it through a
-- transition. Basic auth with an account email and an API token (config email,
-- secret jira.api_token). Text is sent as Atlassian Document Format (ADF).
-- https://developer.atlassian.com/cloud/jira/platform/rest/v3/
--   POST /rest/api/3/issue {fields: {project: {key}, summary, issuetype: {name}, description, labels}}
--        -> 201 {id, key, self}
--   POST /rest/api/3/issue/{key}/comment {body} -> 201 {id, created, ...}
--   GET  /rest/api/3/issue/{key}/transitions -> {transitions: [{id, name, to: {name}}]}
--   POST /rest/api/3/issue/{key}/transitions {transition: {id}} -> 204

-- Plain text as an ADF document: one paragraph a line.
local function adf(text)
  local content = {}
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    content[#content + 1] = line == "" and { type = "paragraph", content = {} }
      or { type = "paragraph", content = { { type = "text", text = line } } }
  end
  return { type = "doc", version = 1, content = content }
end

local function auth(ctx)
  if not ctx.config.base_url or not ctx.config.email then
    error(ctx.command .. ": set base_url and email in the config file", 0)
  end
  return { user = ctx.config.email, password = ctx.secret("api_token") }
end

local function key_ok(key)
  if not key:match("^%u[%u%d_]*%-%d+$") then
    error("jira: issue must be a key like SOC-12, not " .. key, 0)
  end
end

return {
  name = "jira",
  version = "1.0.0",
  api_version = "3",
  description = "Jira Cloud issues: create, comment, transition",
  hosts = { "*.atlassian.net" },
  secrets = { "api_token" },
  config = {
    base_url = { type = "url", description = "https://YOURSITE.atlassian.net (required)" },
    email = { type = "string", description = "the account the API token belongs to (required)" },
  },
  commands = {
    create_issue = {
      description = "Create an issue in a project",
      args = {
        project = { type = "string", required = true, description = "project key, e.g. SOC" },
        summary = { type = "string", required = true },
        description = { type = "string", default = "" },
        issue_type = { type = "string", default = "Task" },
        labels = { type = "table", default = {} },
      },
      outputs = { id = "string", key = "string", url = "string" },
      run = function(ctx, args)
        local basic = auth(ctx)
        local body, err, detail = ctx.expect(ctx.http.post(ctx.url("/rest/api/3/issue"), {
          basic = basic, json = { fields = {
            project = { key = args.project }, summary = args.summary, issuetype = { name = args.issue_type },
            description = adf(args.description), labels = args.labels } } }))
        if not body then return nil, err, detail end
        local key = ctx.need(body, "key", "string")
        return { id = ctx.need(body, "id", "string"), key = key,
                 url = ctx.url("/browse/" .. key) }
      end,
    },
    comment = {
      description = "Add a comment to an issue",
      args = { issue = { type = "string", required = true }, text = { type = "string", required = true } },
      outputs = { id = "string", created = "string?" },
      run = function(ctx, args)
        key_ok(args.issue)
        local body, err, detail = ctx.expect(ctx.http.post(
          ctx.url("/rest/api/3/issue/" .. args.issue .. "/comment"),
          { basic = auth(ctx), json = { body = adf(args.text) } }))
        if not body then return nil, err, detail end
        return { id = ctx.need(body, "id", "string"),
                 created = type(body.created) == "string" and body.created or nil }
      end,
    },
    transition = {
      description = "Move an issue through the transition of that name (Done, In Progress, ...)",
      args = { issue = { type = "string", required = true }, to = { type = "string", required = true } },
      outputs = { issue = "string", transition_id = "string", status = "string" },
      run = function(ctx, args)
        key_ok(args.issue)
        local basic = auth(ctx)
        local path = "/rest/api/3/issue/" .. args.issue .. "/transitions"
        local body, err, detail = ctx.expect(ctx.http.get(ctx.url(path), { basic = basic }))
        if not body then return nil, err, detail end
        local names, pick = {}, nil
        for _, tr in ipairs(ctx.need(body, "transitions", "table")) do
          local name = ctx.need(tr, "name", "string")
          local to = type(tr.to) == "table" and tr.to.name or name
          names[#names + 1] = name
          if name:lower() == args.to:lower() or tostring(to):lower() == args.to:lower() then
            pick = { id = ctx.need(tr, "id", "string"), status = tostring(to) }
          end
        end
        if not pick then
          return nil, "http", string.format("no transition %s from here (available: %s)", args.to,
            table.concat(names, ", "))
        end
        local ok, e2, d2 = ctx.expect(ctx.http.post(ctx.url(path), {
          basic = basic, json = { transition = { id = pick.id } } }))
        if not ok then return nil, e2, d2 end
        return { issue = args.issue, transition_id = pick.id, status = pick.status }
      end,
    },
  },
  -- mocks: generated from the outputs
}
