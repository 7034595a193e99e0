-- Microsoft Graph mail: read a shared (phishing report) mailbox and move a
-- message, as an app with application permission Mail.ReadWrite (client
-- credentials: config tenant_id and client_id, secret msgraph_mail.client_secret).
-- https://learn.microsoft.com/graph/api/user-list-messages
-- https://learn.microsoft.com/graph/api/message-move
--   POST {login}/{tenant}/oauth2/v2.0/token (form, grant_type=client_credentials)
--        -> {access_token, expires_in}
--   GET  /v1.0/users/{mailbox}/mailFolders/{folder}/messages?$top&$select&$filter
--        -> {value: [...], @odata.nextLink}
--   POST /v1.0/users/{mailbox}/messages/{id}/move {destinationId} -> 201 the moved message
local function token(ctx)
  local cfg = ctx.config
  if not cfg.tenant_id or not cfg.client_id then
    error(ctx.command .. ": set tenant_id and client_id in the config file", 0)
  end
  local login = cfg.login_url:gsub("/+$", "")
  local body, err, detail = ctx.expect(ctx.http.post(login .. "/" .. cfg.tenant_id .. "/oauth2/v2.0/token", {
    form = { client_id = cfg.client_id, client_secret = ctx.secret("client_secret"),
             scope = "https://graph.microsoft.com/.default", grant_type = "client_credentials" } }))
  if not body then return nil, err, detail end
  -- scrubbed from the run's output and from recorded fixtures, like a secret
  return ctx.sensitive("access_token", ctx.need(body, "access_token", "string"))
end

local function mailbox_ok(ctx, m)
  if not m:match("^[%w._%%+-]+@[%w.-]+$") then error(ctx.command .. ": mailbox must be an address", 0) end
end

local function str(v) return type(v) == "string" and v or nil end

return {
  name = "msgraph_mail",
  version = "1.0.0",
  api_version = "v1.0",
  description = "Microsoft Graph mail: read a shared mailbox, move a message",
  hosts = { "graph.microsoft.com", "login.microsoftonline.com" },
  secrets = { "client_secret" },
  config = {
    base_url = { type = "url", default = "https://graph.microsoft.com", description = "Graph API root" },
    login_url = { type = "url", default = "https://login.microsoftonline.com",
                  description = "token endpoint root" },
    tenant_id = { type = "string", description = "the Entra ID tenant (required)" },
    client_id = { type = "string", description = "the app registration's client id (required)" },
  },
  commands = {
    list_messages = {
      description = "Messages of a mailbox folder, newest first",
      args = {
        mailbox = { type = "string", required = true, description = "phishing@example.org" },
        folder = { type = "string", default = "inbox", description = "well-known name or folder id" },
        top = { type = "integer", default = 25 },
        unread_only = { type = "boolean", default = false },
      },
      outputs = {
        messages = { type = "list", of = {
          id = "string", subject = "string", from_address = "string?", from_name = "string?",
          received = "string", preview = "string", has_attachments = "boolean", is_read = "boolean",
          internet_message_id = "string?",
        } },
        more = { type = "boolean", description = "Graph has a next page" },
      },
      run = function(ctx, args)
        mailbox_ok(ctx, args.mailbox)
        if not args.folder:match("^[%w=_-]+$") then error("msgraph_mail.list_messages: bad folder", 0) end
        if args.top < 1 or args.top > 1000 then error("msgraph_mail.list_messages: top is 1 to 1000", 0) end
        local tok, err, detail = token(ctx)
        if not tok then return nil, err, detail end
        local body, e2, d2 = ctx.expect(ctx.http.get(
          ctx.url("/v1.0/users/" .. args.mailbox .. "/mailFolders/" .. args.folder .. "/messages"), {
            bearer = tok,
            query = { ["$top"] = args.top, ["$orderby"] = "receivedDateTime desc",
                      ["$filter"] = args.unread_only and "isRead eq false" or nil,
                      ["$select"] = "id,subject,from,receivedDateTime,bodyPreview,hasAttachments,isRead,"
                        .. "internetMessageId" } }))
        if not body then return nil, e2, d2 end
        local out = {}
        for i, m in ipairs(ctx.need(body, "value", "table")) do
          local from = type(m.from) == "table" and type(m.from.emailAddress) == "table"
            and m.from.emailAddress or {}
          out[i] = {
            id = ctx.need(m, "id", "string"), subject = str(m.subject) or "",
            from_address = str(from.address), from_name = str(from.name),
            received = ctx.need(m, "receivedDateTime", "string"), preview = str(m.bodyPreview) or "",
            has_attachments = m.hasAttachments == true, is_read = m.isRead == true,
            internet_message_id = str(m.internetMessageId),
          }
        end
        return { messages = out, more = type(body["@odata.nextLink"]) == "string" }
      end,
    },
    move_message = {
      description = "Move a message to another folder (deleteditems, archive, junkemail or a folder id)",
      args = {
        mailbox = { type = "string", required = true },
        id = { type = "string", required = true },
        destination = { type = "string", required = true },
      },
      outputs = { id = { type = "string", description = "the message's id in its new folder" },
                  folder = "string" },
      run = function(ctx, args)
        mailbox_ok(ctx, args.mailbox)
        if not args.id:match("^[%w=_-]+$") then error("msgraph_mail.move_message: bad message id", 0) end
        local tok, err, detail = token(ctx)
        if not tok then return nil, err, detail end
        local body, e2, d2 = ctx.expect(ctx.http.post(
          ctx.url("/v1.0/users/" .. args.mailbox .. "/messages/" .. args.id .. "/move"), {
            bearer = tok, json = { destinationId = args.destination } }))
        if not body then return nil, e2, d2 end
        return { id = ctx.need(body, "id", "string"), folder = ctx.need(body, "parentFolderId", "string") }
      end,
    },
  },
  -- mocks: generated from the outputs
}
