-- PAN-OS XML API: address objects and tags on a firewall or Panorama, for
-- teams without EDLs (a tag on an address feeds a dynamic address group).
-- Key in the X-PAN-KEY header (secret panos.api_key). Changes are candidate
-- configuration: commit them on the firewall (or a later `commit` command).
-- https://docs.paloaltonetworks.com/pan-os/11-1/pan-os-panorama-api
--   GET /api/?type=config&action=set|delete&xpath=...&element=<...>
--   -> <response status="success" code="20"><msg>command succeeded</msg></response>
--   -> <response status="error" code="12"><msg><line>...</line></msg></response>
local NAME = "^[%w][%w._ -]*$"

local function xml_escape(s)
  return (tostring(s):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
    ['"'] = "&quot;", ["'"] = "&apos;" }))
end

local function check_name(ctx, what, v)
  if #v > 63 or not v:match(NAME) then
    error(string.format("%s: %s must be 1-63 letters, digits, . _ - or spaces", ctx.command, what), 0)
  end
end

local function base_xpath(ctx)
  return string.format("/config/devices/entry[@name='localhost.localdomain']/vsys/entry[@name='%s']",
    ctx.config.vsys)
end

-- One config call; {ok, code, message} or nil, err, detail.
local function config_call(ctx, action, xpath, element)
  local r, err, detail = ctx.http.get(ctx.url("/api/"), {
    headers = { ["X-PAN-KEY"] = ctx.secret("api_key") },
    query = { type = "config", action = action, xpath = xpath, element = element } })
  if not r then return nil, err, detail end
  if r.status == 403 then return nil, "denied", "HTTP 403 from the firewall (check the API key)" end
  local body = type(r.body) == "string" and r.body or ""
  local status = body:match("<response[^>]-status=\"(%a+)\"")
  if not status then
    if r.status >= 300 then return nil, "http", "HTTP " .. r.status end
    error(ctx.command .. ": the answer is not a PAN-OS XML API response (no <response status=...>); "
      .. "the vendor's API may have changed", 0)
  end
  local code = body:match("<response[^>]-code=\"(%d+)\"")
  local msg = body:match("<line>(.-)</line>") or body:match("<msg>(.-)</msg>") or status
  msg = msg:gsub("^%s*<!%[CDATA%[%s*(.-)%s*%]%]>%s*$", "%1")
  if status ~= "success" then
    return nil, code == "403" and "denied" or "http",
      "PAN-OS: " .. msg .. (code and (" (code " .. code .. ")") or "")
  end
  return { ok = true, code = tonumber(code), message = msg }
end

local function MOCK_OK(args)
  return { ok = true, name = args.name, code = 20, message = "command succeeded" }
end

local RESULT = { ok = "boolean", name = "string", code = "integer?", message = "string" }

return {
  name = "panos",
  version = "1.0.0",
  api_version = "xml",
  description = "PAN-OS XML API: address objects and tags",
  hosts = {},
  secrets = { "api_key" },
  config = {
    base_url = { type = "url", description = "the firewall or Panorama: https://fw.example.org (required)" },
    vsys = { type = "string", default = "vsys1", description = "the virtual system" },
  },
  commands = {
    address_add = {
      description = "Create or update an address object (ip-netmask), with tags",
      args = {
        name = { type = "string", required = true },
        ip = { type = "string", required = true, description = "address or CIDR" },
        description = { type = "string" },
        tags = { type = "table", default = {} },
      },
      outputs = RESULT,
      run = function(ctx, args)
        check_name(ctx, "name", args.name)
        if not args.ip:match("^[%x:.]+/?%d*$") then
          error("panos.address_add: ip must be an address or CIDR", 0)
        end
        local el = { "<ip-netmask>" .. xml_escape(args.ip) .. "</ip-netmask>" }
        if args.description then
          el[#el + 1] = "<description>" .. xml_escape(args.description) .. "</description>"
        end
        if #args.tags > 0 then
          el[#el + 1] = "<tag>"
          for _, t in ipairs(args.tags) do
            check_name(ctx, "a tag", tostring(t))
            el[#el + 1] = "<member>" .. xml_escape(t) .. "</member>"
          end
          el[#el + 1] = "</tag>"
        end
        local r, err, detail = config_call(ctx, "set",
          base_xpath(ctx) .. "/address/entry[@name='" .. args.name .. "']", table.concat(el))
        if not r then return nil, err, detail end
        r.name = args.name
        return r
      end,
    },
    address_delete = {
      description = "Delete an address object",
      args = { name = { type = "string", required = true } },
      outputs = RESULT,
      run = function(ctx, args)
        check_name(ctx, "name", args.name)
        local r, err, detail = config_call(ctx, "delete", base_xpath(ctx) .. "/address/entry[@name='"
          .. args.name .. "']")
        if not r then return nil, err, detail end
        r.name = args.name
        return r
      end,
    },
    tag_add = {
      description = "Create a tag (to put on address objects; dynamic address groups match tags)",
      args = {
        name = { type = "string", required = true },
        color = { type = "string", description = "color1 .. color42" },
        comments = { type = "string" },
      },
      outputs = RESULT,
      run = function(ctx, args)
        check_name(ctx, "name", args.name)
        if args.color and not args.color:match("^color%d%d?$") then
          error("panos.tag_add: color is color1 .. color42", 0)
        end
        local el = (args.color and ("<color>" .. args.color .. "</color>") or "")
          .. (args.comments and ("<comments>" .. xml_escape(args.comments) .. "</comments>") or "")
        local r, err, detail = config_call(ctx, "set",
          base_xpath(ctx) .. "/tag/entry[@name='" .. args.name .. "']", el)
        if not r then return nil, err, detail end
        r.name = args.name
        return r
      end,
    },
  },
  mock = {
    address_add = function(_, args) return MOCK_OK(args) end,
    address_delete = function(_, args) return MOCK_OK(args) end,
    tag_add = function(_, args) return MOCK_OK(args) end,
  },
}
