--- testing: assertions for Lua tests run by `soarctl test`.
-- local t = require("testing")
-- t.eq(got, want [, msg])      deep equality, with a readable difference
-- t.raises(fn, pattern)        fn must raise an error whose message matches
-- t.ok(value [, msg])          value must be truthy
-- t.match(s, pattern [, msg])  string s must match the Lua pattern
local M = {}

local function show(v, depth)
  depth = depth or 0
  if type(v) == "string" then return string.format("%q", v) end
  if type(v) ~= "table" or depth > 3 then return tostring(v) end
  local keys = {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  local parts = {}
  for _, k in ipairs(keys) do
    parts[#parts + 1] = "[" .. show(k) .. "]=" .. show(v[k], depth + 1)
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end
M.show = show

-- Returns nil when equal, else the path of the first difference.
local function diff(a, b, path)
  if type(a) ~= type(b) then return path end
  if type(a) ~= "table" then
    if a ~= b and not (a ~= a and b ~= b) then return path end
    return nil
  end
  for k, v in pairs(a) do
    local d = diff(v, b[k], path .. "[" .. show(k) .. "]")
    if d then return d end
  end
  for k in pairs(b) do
    if a[k] == nil then return path .. "[" .. show(k) .. "]" end
  end
  return nil
end

function M.eq(got, want, msg)
  local d = diff(got, want, "")
  if d then
    error(string.format("%sexpected %s, got %s%s", msg and (msg .. ": ") or "",
      show(want), show(got), d ~= "" and (" (differs at " .. d .. ")") or ""), 2)
  end
end

function M.ok(v, msg)
  if not v then error(msg or "expected a true value", 2) end
  return v
end

function M.match(s, pattern, msg)
  if type(s) ~= "string" or not s:find(pattern) then
    error(string.format("%sexpected %s to match %q", msg and (msg .. ": ") or "",
      show(s), pattern), 2)
  end
end

function M.raises(fn, pattern, msg)
  local ok, err = pcall(fn)
  if ok then
    error((msg and (msg .. ": ") or "") .. "expected an error, none was raised", 2)
  end
  if pattern and not tostring(err):find(pattern) then
    error(string.format("%sexpected an error matching %q, got %s",
      msg and (msg .. ": ") or "", pattern, show(err)), 2)
  end
  return err
end

return M
