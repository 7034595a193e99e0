-- _repl.lua - how `soarctl repl` shows values, and how a war-room line
-- (`!integration.command arg=value ...`) becomes a typed integration call.
-- Plain Lua over the sandbox's own globals: the C side (runtime/cmd_repl.c,
-- runtime/warroom.c) calls these and prints the strings they return.
local M = {}
local SCHEMA = require("_integration_schema")   -- typed outputs, for :help

local LIST_MAX = 20      -- list items shown before "... (N more)"
local DEPTH_MAX = 6      -- nesting shown before "{...}"
local CELL_MAX = 60      -- a table cell longer than this is cut
-- Fields that hold Unix seconds (cases, EDL entries, indicators) read as UTC times.
local TIME_KEYS = { created = true, updated = true, closed = true, expires = true, added = true,
                    due = true, time = true, seen = true, first_seen = true, last_seen = true }

local function is_list(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for k in pairs(t) do
    if type(k) ~= "number" or k < 1 or k > n or k % 1 ~= 0 then return false end
    count = count + 1
  end
  return count == n
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  return keys
end

local function scalar(v)
  if type(v) == "string" then return v end
  if type(v) == "number" then
    if v == math.floor(v) and v > -2^53 and v < 2^53 then return string.format("%d", v) end
    return string.format("%.14g", v)
  end
  if type(v) == "table" then return next(v) == nil and "{}" or "{...}" end
  return tostring(v)
end

local function cut(s, width)
  s = s:gsub("[\r\n\t]", " ")
  if #s > width then return s:sub(1, width - 3) .. "..." end
  return s
end

-- A list of records that share their keys reads best as columns.
local function record_columns(t)
  if not is_list(t) then return nil end
  local cols, seen = {}, {}
  for _, row in ipairs(t) do
    if type(row) ~= "table" or is_list(row) or next(row) == nil then return nil end
    for k, v in pairs(row) do
      if type(k) ~= "string" or (type(v) == "table" and next(v) ~= nil) then return nil end
      if not seen[k] then seen[k] = true; cols[#cols + 1] = k end
    end
  end
  if #cols > 8 then return nil end
  table.sort(cols)
  return cols
end

local render

local function render_columns(out, t, cols, indent)
  local widths = { #tostring(#t) }
  for i, c in ipairs(cols) do widths[i + 1] = #c end
  local shown = math.min(#t, LIST_MAX)
  local rows = {}
  for r = 1, shown do
    local cells = { tostring(r) }
    for i, c in ipairs(cols) do
      local v = t[r][c]
      if TIME_KEYS[c] and type(v) == "number" and v > 1e9 and v < 1e11 then
        v = os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(v))
      end
      cells[i + 1] = v == nil and "" or cut(scalar(v), CELL_MAX)
      if #cells[i + 1] > widths[i + 1] then widths[i + 1] = #cells[i + 1] end
    end
    rows[r] = cells
  end
  local function line(cells)
    local parts = {}
    for i, s in ipairs(cells) do
      parts[i] = i == #cells and s or s .. string.rep(" ", widths[i] - #s)
    end
    out[#out + 1] = indent .. table.concat(parts, "  ")
  end
  local head = { "#" }
  for i, c in ipairs(cols) do head[i + 1] = c end
  line(head)
  for _, cells in ipairs(rows) do line(cells) end
  if #t > shown then out[#out + 1] = indent .. string.format("... (%d more)", #t - shown) end
end

render = function(out, t, indent, depth, seen)
  if seen[t] then out[#out + 1] = indent .. "(cycle)"; return end
  if depth > DEPTH_MAX then out[#out + 1] = indent .. "{...}"; return end
  seen[t] = true
  local cols = record_columns(t)
  if cols then
    render_columns(out, t, cols, indent)
    seen[t] = nil
    return
  end
  local keys = sorted_keys(t)
  local list = is_list(t)
  local width = 0
  for _, k in ipairs(keys) do
    local label = list and "[" .. tostring(k) .. "]" or tostring(k)
    if #label > width then width = #label end
  end
  local shown = 0
  for _, k in ipairs(keys) do
    if list and shown >= LIST_MAX then
      out[#out + 1] = indent .. string.format("... (%d more)", #keys - shown)
      break
    end
    shown = shown + 1
    local label = list and "[" .. tostring(k) .. "]" or tostring(k)
    local v = t[k]
    if type(v) == "table" and next(v) ~= nil then
      out[#out + 1] = indent .. label
      render(out, v, indent .. "  ", depth + 1, seen)
    else
      local text = scalar(v)
      if TIME_KEYS[k] and type(v) == "number" and v > 1e9 and v < 1e11 then
        text = os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(v))
      end
      if text:find("\n", 1, true) then
        out[#out + 1] = indent .. label
        for l in (text .. "\n"):gmatch("(.-)\r?\n") do out[#out + 1] = indent .. "  " .. l end
      else
        out[#out + 1] = indent .. label .. string.rep(" ", width - #label + 2) .. text
      end
    end
  end
  seen[t] = nil
end

-- The text the REPL prints for one value: scalars as they are, tables as
-- aligned key/value lines, nested tables as indented trees, lists of records
-- as columns, long lists cut with a count.
function M.show(v)
  if type(v) ~= "table" then
    if type(v) == "string" then return string.format("%q", v):gsub("\\\n", "\\n") end
    return scalar(v)
  end
  if next(v) == nil then return "{}" end
  local out = {}
  render(out, v, "", 1, {})
  return table.concat(out, "\n")
end

-- ---- war-room lines ----

local function fail(fmt, ...) error(string.format(fmt, ...), 0) end

-- Splits `!name.command a=1 b="x y" c='{"k":1}'` into its parts. Values keep
-- their text; typing them needs the manifest (M.typed).
function M.parse(line)
  local body = line:match("^%s*!(.*)$")
  if not body then fail("a war-room command starts with '!': !integration.command arg=value ...") end
  local pos = 1
  local function skip() pos = body:find("[^%s]", pos) or #body + 1 end
  skip()
  local qname = body:match("^[%w_%-]+%.[%w_]+", pos)
  if not qname then
    fail("expected !integration.command, e.g. !abuseipdb.check ip=203.0.113.7 (see :integrations)")
  end
  pos = pos + #qname
  local name, cmd = qname:match("^([^.]+)%.(.+)$")
  local args, order = {}, {}
  while true do
    skip()
    if pos > #body then break end
    local key = body:match("^([%a_][%w_]*)=", pos)
    if not key then
      fail("expected arg=value at '%s' (quote values with spaces: arg=\"two words\")",
        body:sub(pos, pos + 20))
    end
    pos = pos + #key + 1
    local value
    local q = body:sub(pos, pos)
    if q == '"' or q == "'" then
      local buf, i = {}, pos + 1
      while true do
        local c = body:sub(i, i)
        if c == "" then fail("argument %s: the quoted value has no closing %s", key, q) end
        if c == q then break end
        if c == "\\" and q == '"' and i < #body then
          i = i + 1
          c = body:sub(i, i)
          c = c == "n" and "\n" or c == "t" and "\t" or c
        end
        buf[#buf + 1] = c
        i = i + 1
      end
      value = { text = table.concat(buf), quoted = true }
      pos = i + 1
      if pos <= #body and not body:sub(pos, pos):match("%s") then
        fail("argument %s: expected a space after the closing quote", key)
      end
    else
      local e = body:find("%s", pos) or #body + 1
      value = { text = body:sub(pos, e - 1), quoted = false }
      pos = e
    end
    if args[key] then fail("argument %s is given twice", key) end
    args[key] = value
    order[#order + 1] = key
  end
  return name, cmd, args, order
end

local function nearest(word, candidates)
  local best, best_d
  for _, c in ipairs(candidates) do
    -- Levenshtein distance, small strings only
    local a, b = word, c
    local prev = {}
    for j = 0, #b do prev[j] = j end
    for i = 1, #a do
      local cur = { [0] = i }
      for j = 1, #b do
        local cost = a:sub(i, i) == b:sub(j, j) and 0 or 1
        cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      end
      prev = cur
    end
    local d = prev[#b]
    if d <= math.max(2, math.floor(#c / 3)) and (not best_d or d < best_d) then best, best_d = c, d end
  end
  return best
end
M.nearest = nearest

local function signature(qname, spec)
  local parts = {}
  for _, k in ipairs(sorted_keys(spec)) do
    parts[#parts + 1] = k .. "=" .. spec[k].type .. (spec[k].required and "" or "?")
  end
  return qname .. " " .. table.concat(parts, " ")
end

-- Types the parsed values by the command's declared args: numbers, integers,
-- booleans, tables as JSON; unknown and missing arguments named clearly.
function M.typed(qname, spec, args)
  local out, names = {}, sorted_keys(spec)
  for k, v in pairs(args) do
    local s = spec[k]
    if not s then
      local guess = nearest(k, names)
      fail("%s: unknown argument '%s'%s; expected %s", qname, k,
        guess and (" (did you mean '" .. guess .. "'?)") or "", signature(qname, spec))
    end
    local text, t = v.text, s.type
    if t == "string" or (t == "any" and v.quoted) then
      out[k] = text
    elseif t == "integer" or t == "number" then
      local n = tonumber(text)
      if not n or (t == "integer" and n % 1 ~= 0) then
        fail("%s: argument %s must be a%s %s, not '%s'", qname, k, t == "integer" and "n" or "", t, text)
      end
      out[k] = n
    elseif t == "boolean" then
      local l = text:lower()
      if l == "true" or l == "yes" or l == "1" then out[k] = true
      elseif l == "false" or l == "no" or l == "0" then out[k] = false
      else fail("%s: argument %s must be true or false, not '%s'", qname, k, text) end
    else -- table or unquoted any: JSON
      local ok, val = pcall(json.decode, text)
      if ok then
        out[k] = val
      elseif t == "any" then
        out[k] = text
      else
        fail("%s: argument %s must be JSON (a table), e.g. %s='{\"k\":1}'", qname, k, k)
      end
    end
  end
  for _, k in ipairs(names) do
    if out[k] == nil and spec[k].required and spec[k].default == nil then
      fail("%s: missing argument '%s'; expected %s", qname, k, signature(qname, spec))
    end
  end
  return out
end

-- Makes one war-room line ready to run: returns the command's qualified
-- name, its typed arguments and a function that runs it. Raises, naming the
-- problem, when the line is not a command that can run (syntax, unknown
-- integration, command or argument, a missing argument, a value of the wrong type).
function M.prepare(line, mock)
  local name, cmd, raw_args = M.parse(line)
  local ok, obj = pcall(integration, name, mock and { mock = true } or nil)
  if not ok then
    fail("%s", (tostring(obj):gsub("^[^:]*:%d+: ", "")))
  end
  local specs = obj.commands
  local spec = specs[cmd]
  if not spec then
    local names = sorted_keys(specs)
    local guess = nearest(cmd, names)
    fail("integration %s has no command '%s'%s (commands: %s)", name, cmd,
      guess and (" (did you mean '" .. guess .. "'?)") or "", table.concat(names, ", "))
  end
  local qname = name .. "." .. cmd
  local args = M.typed(qname, spec.args, raw_args)
  return qname, args, function() return obj[cmd](args) end
end

-- Help text for :help NAME or :help NAME.COMMAND.
function M.help(what, mock)
  local name, cmd = what:match("^([%w_%-]+)%.?([%w_]*)$")
  if not name then fail(":help takes an integration or integration.command, e.g. :help abuseipdb.check") end
  local ok, obj = pcall(integration, name, mock and { mock = true } or nil)
  if not ok then fail("%s", (tostring(obj):gsub("^[^:]*:%d+: ", ""))) end
  local out = {}
  local names = cmd ~= "" and { cmd } or sorted_keys(obj.commands)
  for _, c in ipairs(names) do
    local spec = obj.commands[c]
    if not spec then fail("integration %s has no command '%s'", name, c) end
    out[#out + 1] = string.format("!%s.%s  %s", name, c, spec.description or "")
    for _, a in ipairs(sorted_keys(spec.args)) do
      local s = spec.args[a]
      out[#out + 1] = string.format("    %s=%s%s%s  %s", a, s.type, s.required and " (required)" or "",
        s.default ~= nil and (" default " .. tostring(s.default)) or "", s.description or "")
    end
    if cmd ~= "" and spec.outputs then
      out[#out + 1] = "  returns:"
      for _, o in ipairs(sorted_keys(spec.outputs)) do
        out[#out + 1] = string.format("    %s  %s", o, SCHEMA.text(spec.outputs[o]))
      end
    end
  end
  return table.concat(out, "\n")
end

-- "name.command arg arg ..." lines for completion, from a comma-separated
-- list of integration names; integrations that fail to load are left out.
function M.catalog(csv)
  local out = {}
  for name in tostring(csv):gmatch("[^,]+") do
    local ok, obj = pcall(integration, name, { mock = true })
    if ok then
      for cname, spec in pairs(obj.commands) do
        out[#out + 1] = name .. "." .. cname .. " " .. table.concat(sorted_keys(spec.args), " ")
      end
    end
  end
  table.sort(out)
  return table.concat(out, "\n")
end

-- :integrations - every command with its description, from the catalog lines.
function M.describe(catalog, mock)
  local out, objs = {}, {}
  for line in tostring(catalog):gmatch("[^\n]+") do
    local name, cmd, args = line:match("^([^.]+)%.(%S+)%s?(.*)$")
    if name then
      if objs[name] == nil then
        local ok, obj = pcall(integration, name, mock and { mock = true } or { mock = true })
        objs[name] = ok and obj or false
      end
      local obj = objs[name]
      local spec = obj and obj.commands[cmd]
      local width = 28
      local head = "!" .. name .. "." .. cmd
      out[#out + 1] = head .. string.rep(" ", math.max(2, width - #head)) ..
        ((spec and spec.description) or "") .. (args ~= "" and ("  (" .. args .. ")") or "")
    end
  end
  if #out == 0 then return "(no integrations)" end
  return table.concat(out, "\n")
end

-- :run NAME k=v ... - runs a loaded playbook's run(ctx, input) on the
-- session's case, its inputs typed by the playbook's declared inputs.
function M.run_playbook(playbooks, ctx, line)
  local name, rest = tostring(line):match("^%s*([%w_%-%.]+)%s*(.*)$")
  if not name then fail(":run takes a loaded playbook's name, then k=v inputs") end
  local pb = playbooks and playbooks[name]
  if not pb then fail("no playbook %s is loaded (:load FILE.lua first)", name) end
  if type(pb.run) ~= "function" then fail("playbook %s has no run function", name) end
  local _, _, raw = M.parse("!x.y " .. rest)
  local spec = {}
  for k, s in pairs(pb.inputs or {}) do
    spec[k] = { type = (s.type == "table" or s.type == "any") and s.type or s.type or "string",
                required = s.required, default = s.default }
  end
  local input = M.typed(name, spec, raw)
  for k, s in pairs(spec) do
    if input[k] == nil and s.default ~= nil then input[k] = s.default end
  end
  return pb.run(ctx, input)
end

return M
