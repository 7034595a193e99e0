-- Typed outputs of integration commands (docs/integrations.md, "Typed outputs").
-- Loaded by the C half of `integration()` and handed to _runtime.lua (raw.schema):
-- the manifest's `outputs` are parsed once, every result of a command (live,
-- replayed from a fixture, recorded, or from its mock) is checked against them,
-- and a command without a mock gets one generated from them, so the mock, the
-- fixtures and the real shape cannot disagree.
--
-- A type is
--   "string" "integer" "number" "boolean" "table" "any"   (a trailing ? = optional)
--   "list of T"                                           (T a type string)
--   { type = "string", enum = {...}, optional = true, description = "...", example = v }
--   { type = "integer" | "number", min = n, max = n, ... }
--   { type = "list", of = T, ... }
--   { type = "object", fields = { name = T, ... }, ... }
--   { name = T, ... }   (a table without a string `type`: an object's fields)
local M = {}

local BASIC = { string = true, integer = true, number = true, boolean = true, table = true, any = true }
local SPEC_KEYS = { type = true, optional = true, description = true, example = true, enum = true,
                    min = true, max = true, of = true, fields = true }

local function is_integer(v)
  return type(v) == "number" and v == math.floor(v) and v > -2^53 and v < 2^53
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local HELP = "string, integer, number, boolean, table, any, \"list of T\" (a trailing ? is "
  .. "optional), {type=..., fields=..., of=..., enum=..., optional=...}, or a table of fields"

local parse

local function parse_fields(fields, where)
  if type(fields) ~= "table" then
    error(string.format("%s: fields must be a table of name = type", where), 0)
  end
  local out = {}
  for k, v in pairs(fields) do
    if type(k) ~= "string" or not k:match("^[%a_][%w_]*$") then
      error(string.format("%s: field name %s must be letters, digits and _", where, tostring(k)), 0)
    end
    out[k] = parse(v, where .. "." .. k)
  end
  return out
end

-- spec -> node { kind, optional, of, fields, enum, min, max, example, description }
parse = function(spec, where)
  if type(spec) == "string" then
    local s, opt = spec, false
    if s:sub(-1) == "?" then s, opt = s:sub(1, -2), true end
    local elem = s:match("^list of (.+)$")
    if elem then return { kind = "list", of = parse(elem, where .. "[]"), optional = opt } end
    if s == "object" then return { kind = "object", fields = {}, optional = opt, open = true } end
    if BASIC[s] then return { kind = s, optional = opt } end
    error(string.format("%s: %q is not a type (%s)", where, spec, HELP), 0)
  end
  if type(spec) ~= "table" then
    error(string.format("%s: a type is a string or a table, not a %s (%s)", where, type(spec), HELP), 0)
  end
  if type(spec.type) ~= "string" then
    return { kind = "object", fields = parse_fields(spec, where) }
  end
  for k in pairs(spec) do
    if not SPEC_KEYS[k] then
      error(string.format("%s: unknown key %s in a type (type, optional, description, example, "
        .. "enum, min, max, of, fields; an object with a field named type is written "
        .. "{ type = \"object\", fields = {...} })", where, tostring(k)), 0)
    end
  end
  local node
  if spec.type == "list" then
    if spec.of == nil then error(where .. ": a list needs of = T", 0) end
    node = { kind = "list", of = parse(spec.of, where .. "[]") }
  elseif spec.type == "object" then
    node = { kind = "object", fields = parse_fields(spec.fields or {}, where), open = spec.fields == nil }
  else
    node = parse(spec.type, where)
    if node.optional and spec.optional == false then node.optional = false end
  end
  node.optional = node.optional or spec.optional == true
  node.description = spec.description
  if spec.enum ~= nil then
    if type(spec.enum) ~= "table" or #spec.enum == 0 then error(where .. ": enum must be a list", 0) end
    node.enum = spec.enum
  end
  for _, b in ipairs({ "min", "max" }) do
    if spec[b] ~= nil then
      if type(spec[b]) ~= "number" then error(string.format("%s: %s must be a number", where, b), 0) end
      node[b] = spec[b]
    end
  end
  node.example = spec.example
  if node.example ~= nil then
    local msg = M.check(node, node.example, where .. ".example")
    if msg then error(msg, 0) end
  end
  return node
end

-- The manifest's `outputs` of a command -> the root node (an object). An
-- empty table declares no field: the result is any table (an action whose
-- answer is not described yet, an XSOAR command without outputs).
function M.parse_outputs(outputs, where)
  return { kind = "object", fields = parse_fields(outputs, where), open = type(outputs) == "table"
           and next(outputs) == nil or nil }
end

function M.describe(node)
  local d
  if node.kind == "list" then d = "list of " .. M.describe(node.of)
  elseif node.kind == "object" then d = "object"
  else d = node.kind end
  return d
end

local function actual(v)
  if type(v) == "number" and not is_integer(v) then return "number " .. tostring(v) end
  if v == nil then return "nothing" end
  return type(v)
end

local function is_list(v)
  local n = 0
  for _ in pairs(v) do n = n + 1 end
  for i = 1, n do if v[i] == nil then return false end end
  return true
end

-- nil when `v` fits `node`, else "PATH: expected T, got U".
function M.check(node, v, path)
  if v == nil then
    if node.optional then return nil end
    return string.format("%s: expected %s, got nothing", path, M.describe(node))
  end
  local k = node.kind
  local ok
  if k == "any" then ok = true
  elseif k == "integer" then ok = is_integer(v)
  elseif k == "list" or k == "object" then ok = type(v) == "table"
  else ok = type(v) == k end
  if not ok then
    return string.format("%s: expected %s, got %s", path, M.describe(node), actual(v))
  end
  if node.enum then
    local hit = false
    for _, e in ipairs(node.enum) do if e == v then hit = true end end
    if not hit then
      local names = {}
      for i, e in ipairs(node.enum) do names[i] = tostring(e) end
      return string.format("%s: expected one of %s, got %q", path, table.concat(names, ", "), tostring(v))
    end
  end
  if (node.min and v < node.min) or (node.max and v > node.max) then
    return string.format("%s: expected %s from %s to %s, got %s", path, k, tostring(node.min or "-inf"),
      tostring(node.max or "inf"), tostring(v))
  end
  if k == "list" then
    if not is_list(v) then return string.format("%s: expected a list, got a table with keys", path) end
    for i = 1, #v do
      local msg = M.check(node.of, v[i], string.format("%s[%d]", path, i))
      if msg then return msg end
    end
  elseif k == "object" then
    for _, f in ipairs(sorted_keys(node.fields)) do
      local msg = M.check(node.fields[f], v[f], path .. "." .. f)
      if msg then return msg end
    end
    if not node.open then
      for _, f in ipairs(sorted_keys(v)) do
        if node.fields[f] == nil then
          return string.format("%s.%s: not declared in the outputs (got %s)", path, tostring(f), type(v[f]))
        end
      end
    end
  end
  return nil
end

-- One line for people (the REPL's :help): "integer 0..100", "list of {id, name}",
-- "string? (malicious|benign)", then the description.
function M.text(spec)
  local ok, node = pcall(parse, spec, "output")
  if not ok then return tostring(spec) end
  local function fmt(n)
    local s
    if n.kind == "list" then s = "list of " .. fmt(n.of)
    elseif n.kind == "object" then s = "{" .. table.concat(sorted_keys(n.fields), ", ") .. "}"
    else s = n.kind end
    if n.optional then s = s .. "?" end
    if n.enum then
      local names = {}
      for i, e in ipairs(n.enum) do names[i] = tostring(e) end
      s = s .. " (" .. table.concat(names, "|") .. ")"
    end
    if n.min or n.max then s = s .. " " .. tostring(n.min or "") .. ".." .. tostring(n.max or "") end
    return s
  end
  return fmt(node) .. (node.description and ("  " .. node.description) or "")
end

-- Seeded fake data of the node's shape (`fake`: the ctx.fake of mock mode).
function M.generate(node, fake, name)
  if node.example ~= nil then return node.example end
  if node.optional and fake.int(0, 3) == 0 then return nil end
  local k = node.kind
  if node.enum then return fake.pick(node.enum) end
  if k == "string" then
    name = name or "value"
    if name:match("ip$") or name:match("^ip") then return fake.ipv4() end
    return "mock-" .. name .. "-" .. fake.hex(6)
  elseif k == "integer" then
    return fake.int(node.min and math.ceil(node.min) or 0, node.max and math.floor(node.max) or 100)
  elseif k == "number" then
    local lo, hi = node.min or 0, node.max or 100
    return lo + fake.float() * (hi - lo)
  elseif k == "boolean" then
    return fake.int(0, 1) == 1
  elseif k == "list" then
    local out = {}
    for i = 1, fake.int(0, 3) do out[i] = M.generate(node.of, fake, name) end
    return out
  elseif k == "object" then
    local out = {}
    for _, f in ipairs(sorted_keys(node.fields)) do out[f] = M.generate(node.fields[f], fake, f) end
    return out
  end
  return {}
end

return M
