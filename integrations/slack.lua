-- Slack: messages through chat.postMessage (bot token, secret slack.bot_token)
-- or an incoming webhook (config webhook_url), and prompts as Block Kit buttons
-- whose values carry the prompt's id (the daemon's callback answers the prompt).
-- The global `slack.post{...}` is this integration's `post` command.
local MAX_BUTTONS = 25   -- Slack's limit for one actions block

local function prompt_blocks(id, question, options)
  local buttons = {}
  for i, opt in ipairs(options) do
    buttons[i] = {
      type = "button",
      text = { type = "plain_text", text = opt },
      action_id = "soarctl_answer_" .. i,
      value = id .. ":" .. opt,
    }
  end
  return {
    { type = "section", text = { type = "mrkdwn", text = question } },
    { type = "actions", block_id = "soarctl_prompt:" .. id, elements = buttons },
  }
end

local DENIED = { invalid_auth = true, not_authed = true, account_inactive = true, token_revoked = true,
                 missing_scope = true }

return {
  name = "slack",
  version = "1.0.0",
  api_version = "web-api",
  description = "Slack messages (chat.postMessage or an incoming webhook) and prompt buttons",
  hosts = { "slack.com", "hooks.slack.com" },
  secrets = { "bot_token" },
  config = {
    base_url = { type = "url", default = "https://slack.com", description = "Web API root" },
    webhook_url = { type = "url", description = "post through this incoming webhook instead" },
    channel = { type = "string", description = "default channel (#name or id)" },
  },
  commands = {
    post = {
      description = "Post a message (text and/or Block Kit blocks)",
      args = {
        channel = { type = "string", description = "#channel or id (default: config channel)" },
        text = { type = "string", description = "the text (also the notification fallback)" },
        blocks = { type = "table", description = "Block Kit blocks" },
        thread_ts = { type = "string", description = "reply in this thread" },
      },
      outputs = { ok = "boolean", channel = "string?",
                  ts = { type = "string", optional = true, description = "message id (not by webhook)" } },
      run = function(ctx, args)
        if not args.text and not args.blocks then error("slack.post: give text or blocks", 0) end
        local msg = { text = args.text, blocks = args.blocks, thread_ts = args.thread_ts }
        if ctx.config.webhook_url then
          local r, err, detail = ctx.http.post(ctx.config.webhook_url, { json = msg })
          if not r then return nil, err, detail end
          if r.status ~= 200 then return nil, r.status == 403 and "denied" or "http", r.body end
          return { ok = true }
        end
        msg.channel = args.channel or ctx.config.channel
        if not msg.channel then error("slack.post: no channel (give one, or set config channel)", 0) end
        local body, err, detail = ctx.expect(ctx.http.post(ctx.url("/api/chat.postMessage"), {
          bearer = ctx.secret("bot_token"), json = msg }))
        if not body then return nil, err, detail end
        if ctx.need(body, "ok", "boolean") ~= true then
          local e = tostring(body.error)
          return nil, DENIED[e] and "denied" or "http", e
        end
        return { ok = true, channel = ctx.need(body, "channel", "string"),
                 ts = ctx.need(body, "ts", "string") }
      end,
    },
    prompt = {
      description = "Post a prompt as buttons; each button's value is '<prompt id>:<option>'",
      args = {
        channel = { type = "string" },
        prompt_id = { type = "string", required = true },
        question = { type = "string", required = true },
        options = { type = "table", required = true, description = "list of option labels" },
      },
      outputs = { ok = "boolean", channel = "string?", ts = "string?" },
      run = function(ctx, args)
        if #args.options == 0 or #args.options > MAX_BUTTONS then
          error("slack.prompt: options must be a list of 1 to 25 labels", 0)
        end
        local impl = ctx.config.webhook_url and "webhook" or "api"
        local blocks = prompt_blocks(args.prompt_id, args.question, args.options)
        local msg = { text = args.question, blocks = blocks, channel = args.channel or ctx.config.channel }
        if impl == "webhook" then
          local r, err, detail = ctx.http.post(ctx.config.webhook_url, { json = msg })
          if not r then return nil, err, detail end
          return { ok = r.status == 200 }
        end
        local body, err, detail = ctx.expect(ctx.http.post(ctx.url("/api/chat.postMessage"), {
          bearer = ctx.secret("bot_token"), json = msg }))
        if not body then return nil, err, detail end
        if body.ok ~= true then
          return nil, DENIED[tostring(body.error)] and "denied" or "http", body.error
        end
        return { ok = true, channel = ctx.need(body, "channel", "string"),
                 ts = ctx.need(body, "ts", "string") }
      end,
    },
  },
  mock = {
    post = function(ctx, args)
      if not args.text and not args.blocks then error("slack.post: give text or blocks", 0) end
      return { ok = true, channel = args.channel or ctx.config.channel or "C0MOCK",
               ts = string.format("17000%05d.%06d", ctx.fake.int(0, 99999), ctx.fake.int(0, 999999)) }
    end,
    prompt = function(ctx, args)
      return { ok = true, channel = args.channel or "C0MOCK",
               ts = "1700000000." .. ctx.fake.int(100000, 999999) }
    end,
  },
}
