-- A generic webhook: POST a JSON document to a URL the operator configures
-- (config url, set only in the config file: its host is the one host this
-- integration may reach). An optional shared secret signs the body
-- (X-Signature: sha256=<hex HMAC>), as GitHub-style receivers expect.
return {
  name = "webhook",
  version = "1.0.0",
  api_version = "1",
  description = "POST JSON to a configured URL, optionally HMAC-signed",
  hosts = {},
  secrets = { "signing_key" },
  config = {
    url = { type = "url", description = "where to POST (required for live use)" },
    sign = { type = "boolean", default = false, description = "sign with secret webhook.signing_key" },
  },
  commands = {
    send = {
      description = "POST a JSON document",
      args = { data = { type = "table", required = true }, event = { type = "string", default = "soarctl" } },
      outputs = { status = "integer", body = "string" },
      run = function(ctx, args)
        if not ctx.config.url then error("webhook.send: set config url in the config file", 0) end
        local body = json.encode(args.data, { sort_keys = true })
        local headers = { ["Content-Type"] = "application/json", ["X-Event"] = args.event }
        if ctx.config.sign then
          headers["X-Signature"] = "sha256=" .. crypto.hmac_sha256(ctx.secret("signing_key"), body)
        end
        local r, err, detail = ctx.http.post(ctx.config.url, { body = body, headers = headers })
        if not r then return nil, err, detail end
        if r.status >= 300 then return nil, "http", "HTTP " .. r.status end
        return { status = r.status, body = r.body }
      end,
    },
  },
  mock = {
    send = function() return { status = 200, body = '{"ok":true}' } end,
  },
}
