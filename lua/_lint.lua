-- The Lua half of `soarctl lint` (runtime/cli/cmd_lint.c): checks a playbook,
-- an integration or a test file without running it (an integration's mocks
-- are run, which reach no network). The C half compiles and evaluates the
-- file and hands over:
--   { path, source, value (what the file returned) | nil, load_error | nil,
--     grants = { [secret] = true } | nil (no store given: not checked) }
-- run(opts) -> list of "LINE: message" (LINE 0: the whole file).
local M = {}

-- The source with comments blanked (newlines kept, so positions keep their
-- lines); strings stay, since integration names, URLs and secrets live there.
local function blank_comments(src, strings_too)
  local out, i, n = {}, 1, #src
  local function blank(s) return (s:gsub("[^\n]", " ")) end
  while i <= n do
    local c = src:sub(i, i)
    if c == "-" and src:sub(i + 1, i + 1) == "-" then
      local eq = src:match("^%[(=*)%[", i + 2)
      local j
      if eq then
        local _, e = src:find("]" .. eq .. "]", i + 2, true)
        j = e or n
      else
        j = (src:find("\n", i, true) or n + 1) - 1
      end
      out[#out + 1] = blank(src:sub(i, j))
      i = j + 1
    elseif c == '"' or c == "'" then
      local j = i + 1
      while j <= n do
        local d = src:sub(j, j)
        if d == "\\" then j = j + 1 elseif d == c or d == "\n" then break end
        j = j + 1
      end
      local s = src:sub(i, j)
      out[#out + 1] = strings_too and c .. blank(s:sub(2, -2)) .. s:sub(-1) or s
      i = j + 1
    elseif c == "[" and src:match("^%[=*%[", i) then
      local eq = src:match("^%[(=*)%[", i)
      local _, e = src:find("]" .. eq .. "]", i, true)
      e = e or n
      out[#out + 1] = strings_too and blank(src:sub(i, e)) or src:sub(i, e)
      i = e + 1
    else
      out[#out + 1] = c
      i = i + 1
    end
  end
  return table.concat(out)
end

local function line_at(src, pos)
  local _, nl = src:sub(1, pos):gsub("\n", "")
  return nl + 1
end

local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

local function suggest(word, names)
  local best, bd
  for _, n in ipairs(names) do
    local d = distance(word, n)
    if d <= 2 and (not bd or d < bd) then best, bd = n, d end
  end
  return best and string.format(" (did you mean %s?)", best) or ""
end

local function keys(t)
  local out = {}
  for k in pairs(t or {}) do out[#out + 1] = tostring(k) end
  table.sort(out)
  return out
end

-- The contents of the balanced braces/parentheses starting at `pos`.
local function balanced(src, pos)
  local open = src:sub(pos, pos)
  local close = open == "{" and "}" or ")"
  local depth, i = 0, pos
  while i <= #src do
    local c = src:sub(i, i)
    if c == open then depth = depth + 1 elseif c == close then
      depth = depth - 1
      if depth == 0 then return src:sub(pos + 1, i - 1) end
    end
    i = i + 1
  end
  return nil
end

-- Names given as `name =` at the top level of a table constructor's body.
local function top_keys(body)
  local flat = body:gsub("%b{}", "{}"):gsub("%b()", "()"):gsub('"[^"]*"', '""'):gsub("'[^']*'", "''")
  local out = {}
  for k in (flat .. ","):gmatch("[,;{%s]*([%a_][%w_]*)%s*=[^=]") do out[#out + 1] = k end
  -- the first key has nothing before it
  local first = flat:match("^%s*([%a_][%w_]*)%s*=[^=]")
  if first and out[1] ~= first then table.insert(out, 1, first) end
  return out
end

local INFO = { name = true, version = true, api_version = true, mode = true, description = true,
               commands = true }

local function check_integration_use(src, add)
  local loaded = {}
  local function info_of(name)
    if loaded[name] == nil then
      local ok, obj = pcall(integration, name, { mock = true })
      loaded[name] = ok and { obj = obj } or { err = tostring(obj) }
    end
    return loaded[name]
  end
  local function check_call(pos, iname, cmd, rest_pos)
    local obj = info_of(iname)
    if obj.err then
      if not obj.reported then add(pos, string.format("integration %q does not load: %s", iname, obj.err)) end
      obj.reported = true
      return
    end
    if INFO[cmd] then return end
    local commands = obj.obj.commands
    local spec = commands[cmd]
    if not spec then
      add(pos, string.format("integration %s has no command %s%s (commands: %s)", iname, cmd,
        suggest(cmd, keys(commands)), table.concat(keys(commands), ", ")))
      return
    end
    local open = src:match("^%s*([{(])", rest_pos)
    if not open then return end
    local at = src:find("[{(]", rest_pos)
    local body = balanced(src, at)
    if not body then return end
    if open == "(" then
      local inner = body:match("^%s*{")
      if not inner then return end
      body = balanced(body, body:find("{")) or ""
    end
    local names = keys(spec.args)
    for _, k in ipairs(top_keys(body)) do
      if not spec.args[k] then
        add(pos, string.format("%s.%s: unknown argument %s%s (arguments: %s)", iname, cmd, k,
          suggest(k, names), table.concat(names, ", ")))
      end
    end
  end
  -- local x = integration("name" ...)
  local vars = {}
  for pos, var, call, iname in src:gmatch("()([%a_][%w_]*)%s*=%s*integration%s*()%(%s*[\"']([%w_-]+)[\"']") do
    -- only the object itself, not integration(...).cmd{...}
    local args = balanced(src, call) or ""
    local after = src:sub(call + #args + 2):match("^%s*(.)")
    if after ~= "." and after ~= ":" then vars[var] = iname end
    info_of(iname)
    if loaded[iname].err and not loaded[iname].reported then
      add(pos, string.format("integration %q does not load: %s", iname, loaded[iname].err))
      loaded[iname].reported = true
    end
  end
  for var, iname in pairs(vars) do
    for pos, cmd, after in src:gmatch("()%f[%w_]" .. var .. "%s*[.:]%s*([%a_][%w_]*)()") do
      check_call(pos, iname, cmd, after)
    end
  end
  -- integration("name", ...).cmd{...}
  for pos, iname, cmd, after in src:gmatch("()integration%s*%(%s*[\"']([%w_-]+)[\"'][^()]*%)%s*[.:]%s*"
    .. "([%a_][%w_]*)()") do
    check_call(pos, iname, cmd, after)
  end
end

-- Namespaces of primitives: an unknown member is an unknown primitive.
local NAMESPACES = { log = log, json = json, base64 = base64, hex = hex, crypto = crypto, uuid = uuid,
  time = time, re = re, case = case, indicator = indicator, prompt = prompt, secret = secret,
  http = http, edl = edl, slack = slack, email = email, playbook = playbook }

local function check_primitives(src, add, locals)
  for _, ns in ipairs(keys(NAMESPACES)) do
    local t = NAMESPACES[ns]
    if type(t) == "table" and not locals[ns] then
      for pos, member in src:gmatch("()%f[%w_.:]" .. ns .. "%.([%a_][%w_]*)") do
        local ok, v = pcall(function() return t[member] end)
        if not ok or v == nil then
          add(pos, string.format("unknown primitive %s.%s%s", ns, member, suggest(member, keys(t))))
        end
      end
    end
  end
end

local function host_declared(host, hosts)
  for _, h in ipairs(hosts) do
    if h == host then return true end
    local suffix = type(h) == "string" and h:match("^%*(%..+)$")
    if suffix and host:sub(-#suffix) == suffix and #host > #suffix then return true end
  end
  return false
end

local function check_playbook(src, pb, grants, add)
  local hosts = type(pb.hosts) == "table" and pb.hosts or {}
  for pos, host in src:gmatch("()http%.[%a_]+%s*%(%s*[\"']https?://([^/:\"']+)") do
    if not host_declared(host:lower(), hosts) then
      add(pos, string.format("host %s is not declared in the playbook's hosts (add hosts = { %q })",
        host, host))
    end
  end
  for pos, name in src:gmatch("()secret%.get%s*%(%s*[\"']([^\"']+)[\"']") do
    if grants and not grants[name] then
      add(pos, string.format("secret %s is not granted to playbook %s (soarctl secret grant %s "
        .. "--playbook %s)", name, tostring(pb.name), name, tostring(pb.name)))
    end
  end
end

-- An integration file: the manifest loads (with its typed outputs), every
-- command has outputs, and each mock (written or generated) fits them.
local function check_integration_file(m, add)
  local ok, obj = pcall(integration, m.name, { mock = true })
  if not ok then
    add(0, tostring(obj))
    return
  end
  for _, cname in ipairs(keys(m.commands)) do
    local c = m.commands[cname]
    if c.outputs == nil then
      add(0, string.format("commands.%s has no outputs (declare their types: docs/integrations.md)", cname))
    else
      local args = {}
      for aname, spec in pairs(c.args or {}) do
        if spec.required then
          local samples = { string = "192.0.2.1", integer = 1, number = 1, boolean = true,
                            table = {}, any = "x" }
          args[aname] = spec.enum and spec.enum[1] or spec.default or samples[spec.type]
        end
      end
      local cok, err = pcall(obj[cname], args)
      if not cok and tostring(err):find("does not match the manifest's outputs", 1, true) then
        add(0, "mock." .. cname .. ": " .. tostring(err))
      end
    end
  end
end

function M.run(opts)
  local problems = {}
  local src = blank_comments(opts.source or "")
  local lines = {}
  for l in ((opts.source or "") .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = l end
  local function add(pos, msg)
    local line = pos > 0 and line_at(src, pos) or 0
    -- a deliberate mistake (a test of the error) says so on its line
    if line > 0 and (lines[line] or ""):find("soarctl-lint: ignore", 1, true) then return end
    problems[#problems + 1] = { line = line, msg = msg }
  end
  if opts.load_error then
    add(0, opts.load_error)
  else
    local v = opts.value
    local locals = {}
    for name in src:gmatch("local%s+([%a_][%w_]*)") do locals[name] = true end
    for name in src:gmatch("function%s*%(([^)]*)%)") do
      for p in name:gmatch("[%a_][%w_]*") do locals[p] = true end
    end
    check_primitives(blank_comments(opts.source or "", true), add, locals)
    check_integration_use(src, add)
    if type(v) == "table" and type(v.commands) == "table" and type(v.name) == "string" then
      check_integration_file(v, add)
    elseif type(v) == "table" and type(v.run) == "function" then
      check_playbook(src, v, opts.grants, add)
    end
  end
  table.sort(problems, function(a, b)
    if a.line ~= b.line then return a.line < b.line end
    return a.msg < b.msg
  end)
  local out, seen = {}, {}
  for _, p in ipairs(problems) do
    local s = p.line .. ": " .. p.msg
    if not seen[s] then out[#out + 1] = s; seen[s] = true end
  end
  return out
end

return M
