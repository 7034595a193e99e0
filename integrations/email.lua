-- Email: the `email.send` primitive as an integration command, so that a
-- playbook can treat mail like any other vendor (mock mode, `integration show`).
-- The SMTP server and credentials are the "email" entry of the integrations
-- config and the secret email.password (see docs/integrations.md).
return {
  name = "email",
  version = "1.0.0",
  api_version = "smtp",
  description = "Send mail over SMTP (STARTTLS unless a local relay)",
  hosts = {},
  secrets = { "password" },
  config = {
    smtp_url = { type = "string", description = "smtp://host:587 or smtps://host:465" },
    from = { type = "string", description = "default sender" },
    username = { type = "string" },
    ca_file = { type = "string" },
  },
  commands = {
    send = {
      description = "Send one message (text and/or html, attachments)",
      args = {
        to = { type = "any", required = true, description = "address or list" },
        cc = { type = "any" }, bcc = { type = "any" }, from = { type = "string" },
        reply_to = { type = "string" }, subject = { type = "string", default = "" },
        text = { type = "string" }, html = { type = "string" },
        attachments = { type = "table", description = "{{name=, content=, type=}}" },
      },
      outputs = { id = { type = "string", description = "Message-ID" }, recipients = "integer",
                  mock = { type = "boolean", optional = true, description = "true in mock mode" } },
      run = function(_, args) return email.send(args) end,
    },
  },
  mock = {
    send = function(ctx, args)
      local n = type(args.to) == "table" and #args.to or 1
      return { id = "<" .. ctx.fake.hex(32) .. "@mock.invalid>", recipients = n, mock = true }
    end,
  },
}
