-- The Lua half of `integration(name [, opts])` (the C half: runtime/prims/prim_integration.c).
-- Loaded once per interpreter with the raw C helpers; returns the `integration`
-- function. It is Lua, not C, so that a command's code may yield once requests
-- are asynchronous. See docs/integrations.md.
local raw = ...
local schema = raw.schema

local TYPES = { string = true, number = true, integer = true, boolean = true, table = true, any = true }
-- Config entries of type "url" add their host to the integration's egress hosts,
-- so they may be set only by the operator's config file, never by a playbook.
local CONFIG_TYPES = { string = true, number = true, integer = true, boolean = true, table = true,
                       url = true }

local function fail(fmt, ...)
  error(string.format(fmt, ...), 3)
end

local function is_integer(v)
  return type(v) == "number" and v == math.floor(v) and v > -2^53 and v < 2^53
end

local function type_ok(v, t)
  if t == "any" then return true end
  if t == "integer" then return is_integer(v) end
  if t == "url" then return type(v) == "string" and (v:match("^https?://[^/]") ~= nil) end
  return type(v) == t
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

-- ---- the manifest ----

local function check_manifest(m, name, path)
  local where = path
  if type(m) ~= "table" then
    error(string.format("%s: an integration must return a table (its manifest)", where), 0)
  end
  local function bad(fmt, ...) error(where .. ": " .. string.format(fmt, ...), 0) end
  if m.name ~= name then bad("name must be %q (the file's name), not %s", name, tostring(m.name)) end
  for _, f in ipairs({ "version", "api_version" }) do
    if type(m[f]) ~= "string" then bad("%s must be a string", f) end
  end
  if type(m.hosts) ~= "table" then bad("hosts must be a list of host names (may be empty)") end
  if m.secrets ~= nil and type(m.secrets) ~= "table" then bad("secrets must be a list of names") end
  for i, s in ipairs(m.secrets or {}) do
    if type(s) ~= "string" or not s:match("^[A-Za-z0-9_.-]+$") then bad("secrets[%d] is not a name", i) end
  end
  m.config = m.config or {}
  if type(m.config) ~= "table" then bad("config must be a table of name = {type=..., default=...}") end
  for k, spec in pairs(m.config) do
    if type(spec) ~= "table" or not CONFIG_TYPES[spec.type] then
      bad("config.%s needs type = string|number|integer|boolean|table|url", tostring(k))
    end
    if spec.default ~= nil and not type_ok(spec.default, spec.type) then
      bad("config.%s: the default is not a %s", k, spec.type)
    end
  end
  if type(m.commands) ~= "table" or next(m.commands) == nil then
    bad("commands must be a table of commands")
  end
  for cname, c in pairs(m.commands) do
    if type(cname) ~= "string" or not cname:match("^[a-z][a-z0-9_]*$") then
      bad("command name %s must be lowercase letters, digits and _", tostring(cname))
    end
    if type(c) ~= "table" or type(c.run) ~= "function" then
      bad("commands.%s needs run = function(ctx, args) ... end", cname)
    end
    c.args = c.args or {}
    for aname, spec in pairs(c.args) do
      if type(spec) ~= "table" or not TYPES[spec.type] then
        bad("commands.%s.args.%s needs type = string|number|integer|boolean|table|any", cname,
          tostring(aname))
      end
    end
    -- Typed outputs (lua/_integration_schema.lua): parsed once; every result is checked against them.
    if c.outputs ~= nil then
      local ok, node = pcall(schema.parse_outputs, c.outputs, "commands." .. cname .. ".outputs")
      if not ok then bad("%s", node) end
      c.output_schema = node
    end
    if m.mock ~= nil and m.mock[cname] ~= nil and type(m.mock[cname]) ~= "function" then
      bad("mock.%s must be a function(ctx, args)", cname)
    end
  end
  if m.mock ~= nil and type(m.mock) ~= "table" then bad("mock must be a table of command = function") end
  for cname in pairs(m.mock or {}) do
    if not m.commands[cname] then bad("mock.%s has no command of that name", tostring(cname)) end
  end
end

-- ---- configuration ----

local function build_config(m, name, file_cfg, opts_cfg, replay)
  local cfg = {}
  for k, spec in pairs(m.config) do cfg[k] = spec.default end
  local function apply(src, from)
    for k, v in pairs(src) do
      if k ~= "mock" and k ~= "record" then
        local spec = m.config[k]
        local secret_key = false
        for _, s in ipairs(m.secrets or {}) do if s == k then secret_key = true end end
        if not spec and not secret_key then
          error(string.format("integration %s: %s sets unknown config %s", name, from, tostring(k)), 0)
        end
        -- (replaying a fixture reaches no network: there a test may set any URL)
        if spec and spec.type == "url" and from ~= "the config file" and not replay then
          error(string.format("integration %s: %s may not set %s (a URL decides where the integration's "
            .. "credentials go; set it in the config file)", name, from, k), 0)
        end
        if spec and not type_ok(v, spec.type) then
          error(string.format("integration %s: config %s must be a %s", name, k, spec.type), 0)
        end
        cfg[k] = v
      end
    end
  end
  if file_cfg then apply(file_cfg, "the config file") end
  if opts_cfg then apply(opts_cfg, "the playbook") end
  for k, spec in pairs(m.config) do
    if spec.required and cfg[k] == nil then
      error(string.format("integration %s: config %s is required (set it in the config file)", name, k), 0)
    end
  end
  return cfg
end

-- ---- seeded fake data for mocks ----

local function hash32(s)
  local h = 2166136261
  for i = 1, #s do
    h = bit.bxor(h, s:byte(i))
    h = bit.tobit(h * 16777619 % 2^32)
  end
  return h
end

-- { city, region, country, loc } for fake.place
local FAKE_PLACES = {
  { "Amsterdam", "North Holland", "NL", "52.3740,4.8897" },
  { "Frankfurt am Main", "Hesse", "DE", "50.1155,8.6842" },
  { "Ashburn", "Virginia", "US", "39.0437,-77.4875" },
  { "Moscow", "Moscow", "RU", "55.7558,37.6173" },
  { "Beijing", "Beijing", "CN", "39.9042,116.4074" },
  { "Sao Paulo", "Sao Paulo", "BR", "-23.5505,-46.6333" },
}

local function new_fake(seed_text)
  local state = hash32(seed_text)
  if state == 0 then state = 1 end
  local function next_u32()
    state = bit.bxor(state, bit.lshift(state, 13))
    state = bit.bxor(state, bit.rshift(state, 17))
    state = bit.bxor(state, bit.lshift(state, 5))
    return state % 2^32
  end
  local fake = {}
  function fake.int(lo, hi) return lo + next_u32() % (hi - lo + 1) end
  function fake.float() return next_u32() / 2^32 end
  function fake.pick(list) return list[fake.int(1, #list)] end
  function fake.ipv4() return string.format("%d.%d.%d.%d", fake.int(1, 223), fake.int(0, 255),
    fake.int(0, 255), fake.int(1, 254)) end
  -- Where an IP address is, from the address alone (not from the integration
  -- asking), so every mock agrees: abuseipdb's country is ipinfo's.
  function fake.place(ip)
    local p = new_fake("place:" .. tostring(ip))
    return p.pick(FAKE_PLACES)
  end
  function fake.hex(n)
    local t = {}
    for i = 1, n do t[i] = string.format("%x", fake.int(0, 15)) end
    return table.concat(t)
  end
  return fake
end

-- ---- arguments ----

local function signature(qname, spec)
  local parts = {}
  for _, k in ipairs(sorted_keys(spec)) do
    parts[#parts + 1] = k .. "=" .. spec[k].type .. (spec[k].required and "" or "?")
  end
  return qname .. "{" .. table.concat(parts, ", ") .. "}"
end

local function check_args(qname, spec, args)
  local sig = signature(qname, spec)
  if args == nil then args = {} end
  if type(args) ~= "table" then
    error(string.format("%s: arguments must be a table, not a %s; expected %s", qname, type(args), sig), 3)
  end
  local out = {}
  for k, v in pairs(args) do
    local s = spec[k]
    if not s then error(string.format("%s: unknown argument %s; expected %s", qname, tostring(k), sig), 3) end
    if not type_ok(v, s.type) then
      error(string.format("%s: argument %s must be a%s %s, not %s; expected %s", qname, k,
        s.type == "integer" and "n" or "", s.type, type(v), sig), 3)
    end
    if s.enum then
      local ok = false
      for _, e in ipairs(s.enum) do if e == v then ok = true end end
      if not ok then
        error(string.format("%s: argument %s must be one of %s", qname, k, table.concat(s.enum, ", ")), 3)
      end
    end
    out[k] = v
  end
  for k, s in pairs(spec) do
    if out[k] == nil then
      if s.default ~= nil then
        out[k] = s.default
      elseif s.required then
        error(string.format("%s: argument %s is required; expected %s", qname, k, sig), 3)
      end
    end
  end
  return out
end

local function summary(qname, args)
  local text = raw.encode(args) or "(arguments)"
  if #text > 300 then text = text:sub(1, 297) .. "..." end
  return qname .. " " .. text
end

local function deep_copy(v)
  if type(v) ~= "table" then return v end
  local out = {}
  for k, x in pairs(v) do out[k] = deep_copy(x) end
  return out
end

-- What the REPL and tools may know of the commands: descriptions and argument
-- specs, copied (a caller cannot change the manifest through them).
local function describe_commands(commands)
  local out = {}
  for cname, c in pairs(commands) do
    local args = {}
    for aname, spec in pairs(c.args) do
      args[aname] = { type = spec.type, required = spec.required == true, default = spec.default,
                      description = spec.description, enum = spec.enum }
    end
    local outputs
    if type(c.outputs) == "table" then outputs = deep_copy(c.outputs) end
    out[cname] = { description = c.description, args = args, outputs = outputs }
  end
  return out
end

-- ---- what a command's code gets ----

local function walk(value, path)
  local cur = value
  for part in path:gmatch("[^.]+") do
    local idx = tonumber(part:match("^%[(%d+)%]$"))
    if type(cur) ~= "table" then return nil end
    if idx then cur = cur[idx] else cur = cur[part] end
  end
  return cur
end

local function make_ctx(m, name, cfg, scope, http_ns, mode, qname)
  local ctx = { name = name, version = m.version, api_version = m.api_version, config = cfg,
                http = http_ns, mode = mode, command = qname }
  function ctx.secret(key)
    local declared = false
    for _, s in ipairs(m.secrets or {}) do if s == key then declared = true end end
    if not declared then
      error(string.format("%s: secret %s is not declared in the manifest's secrets", qname, key), 2)
    end
    if mode == "mock" or mode == "replay" then return "fixture-" .. key end
    local v, err = raw.secret(scope, name, key, cfg[key])
    if not v then
      error(string.format("%s: %s (set it with `soarctl secret set %s.%s`)", qname, err, name, key), 2)
    end
    return v
  end
  -- A credential got at run time (an OAuth access token): scrubbed from the
  -- run's output and from recorded fixtures like a secret, as [secret:NAME.LABEL].
  function ctx.sensitive(label, value)
    if type(label) ~= "string" or type(value) ~= "string" then
      error(qname .. ": ctx.sensitive(label: string, value: string)", 2)
    end
    -- (a mock's or a fixture's values are placeholders, as their secrets are)
    if mode == "mock" or mode == "replay" then return value end
    return raw.sensitive(scope, name, label, value)
  end
  -- The field the integration reads, of the type it needs; otherwise a clear
  -- failure naming the field: the vendor's API has moved under the integration.
  function ctx.need(value, path, want)
    local v = walk(value, path)
    if want and not type_ok(v, want) or (not want and v == nil) then
      error(string.format("%s: the response has no %s at '%s' (found %s); the vendor's API may have "
        .. "changed (%s %s speaks API %s)", qname, want or "value", path,
        v == nil and "nothing" or type(v), name, m.version, m.api_version), 2)
    end
    return v
  end
  -- resp, err of an http call -> the decoded JSON of a 2xx, or nil, err.
  function ctx.expect(resp, err, detail)
    if not resp then return nil, err, detail end
    if resp.status == 401 or resp.status == 403 then
      return nil, "denied", string.format("HTTP %d from the vendor (check the credentials)", resp.status)
    end
    if resp.status >= 300 then
      return nil, "http", string.format("HTTP %d", resp.status)
    end
    return resp.json or resp.body
  end
  function ctx.url(path)
    return (cfg.base_url or ""):gsub("/+$", "") .. path
  end
  return ctx
end

-- ---- integration(name [, opts]) ----

local function integration(name, opts)
  if type(name) ~= "string" then
    fail("integration(name: string [, {mock=boolean, fixture=string, config=table}]): name is a %s",
      type(name))
  end
  opts = opts or {}
  if type(opts) ~= "table" then fail("integration(%q, opts): opts must be a table", name) end
  for k in pairs(opts) do
    if k ~= "mock" and k ~= "fixture" and k ~= "config" then
      fail("integration(%q, opts): unknown option %s (mock, fixture, config)", name, tostring(k))
    end
  end
  local m, scope, path, http_ns = raw.load(name)
  check_manifest(m, name, path)
  local file_cfg = raw.config(name)
  if file_cfg ~= nil and type(file_cfg) ~= "table" then
    error(string.format("integration %s: its entry in the config file must be an object", name), 0)
  end
  local cfg = build_config(m, name, file_cfg, opts.config, opts.fixture ~= nil)

  local mode = "live"
  local fixture_doc
  -- `soarctl integration record` (the operator's command) or the config file
  local forced = raw.record_for(name)
  local record_as = forced or (file_cfg and file_cfg.record)
  if opts.fixture then
    mode = "replay"
    fixture_doc = raw.fixture(scope, path, name, opts.fixture, "replay")
  elseif forced then
    -- the operator asked for one real call: a "mock" setting does not hide it
    mode = "record"
    raw.fixture(scope, path, name, record_as, "record")
  elseif opts.mock or (opts.mock == nil and ((file_cfg and file_cfg.mock) or raw.mock_all())) then
    mode = "mock"
  elseif record_as then
    mode = "record"
    raw.fixture(scope, path, name, record_as, "record")
  end
  if fixture_doc and fixture_doc.api_version and fixture_doc.api_version ~= m.api_version then
    raw.warn(string.format("integration %s: fixture %s was recorded against API %s; the integration "
      .. "speaks %s", name, opts.fixture, tostring(fixture_doc.api_version), m.api_version))
  end

  local urls = {}
  for k, spec in pairs(m.config) do
    if spec.type == "url" and cfg[k] then urls[#urls + 1] = cfg[k] end
  end
  raw.allow(scope, "integration " .. name, m.hosts, nil)
  for _, u in ipairs(urls) do raw.allow(scope, "integration " .. name, {}, u) end

  local obj = {}
  -- A mock's memory (ctx.state), one per integration object, so per run: the mock
  -- Bonusly's balance goes down as it gives. Recorded results replayed after a
  -- resume do not pass through the mock, so its state restarts with the object.
  local mock_state = {}
  local info = { name = name, version = m.version, api_version = m.api_version, mode = mode,
                  description = m.description,
                  commands = describe_commands(m.commands) }
  local proxy = setmetatable({}, {
    __index = function(_, k)
      if obj[k] then return obj[k] end
      if info[k] ~= nil then return info[k] end
      error(string.format("integration %s has no command %s (commands: %s)", name, tostring(k),
        table.concat(sorted_keys(m.commands), ", ")), 2)
    end,
    __newindex = function() error("integration " .. name .. ": the object is read-only", 2) end,
    __metatable = false,
  })
  for cname, c in pairs(m.commands) do
    local qname = name .. "." .. cname
    local impl = c.run
    if mode == "mock" then
      impl = m.mock and m.mock[cname]
      if not impl and c.output_schema then
        -- No hand-written mock: one generated from the typed outputs.
        impl = function(ctx) return schema.generate(c.output_schema, ctx.fake) end
      end
      if not impl then
        impl = function() error(qname .. " has no mock; run it live or add mock." .. cname, 0) end
      end
    end
    obj[cname] = function(a, b)
      local args = a
      if a == proxy then args = b end        -- obj:cmd{...} as well as obj.cmd{...}
      args = check_args(qname, c.args, args)
      local sum = summary(qname, args)
      local rec = { raw.replay(qname) }
      if rec[1] then return unpack(rec, 2, table.maxn(rec)) end
      local ctx = make_ctx(m, name, cfg, scope, http_ns, mode, qname)
      if mode == "mock" then ctx.fake, ctx.state = new_fake(sum), mock_state end
      local token = raw.quiet_begin(scope)
      local r = { n = 0 }
      local function keep(...) r = { n = select("#", ...), ... } end
      keep(pcall(impl, ctx, args))
      raw.quiet_end(token)
      if mode == "record" then
        raw.save_fixture(scope, path, name, record_as, { integration = name, version = m.version,
          api_version = m.api_version, recorded = os.date("!%Y-%m-%dT%H:%M:%SZ") })
      end
      if not r[1] then raw.fail(qname, sum, tostring(r[2])) end
      -- A result (not nil, err) must be what the manifest's outputs promise,
      -- whatever gave it: the vendor (live, record), a fixture or the mock.
      if r[2] ~= nil and c.output_schema then
        local msg = schema.check(c.output_schema, r[2], "result")
        if msg then
          raw.fail(qname, sum, string.format("%s: %s (%s %s, %s mode: the result does not match the "
            .. "manifest's outputs)", qname, msg, name, m.version, mode))
        end
      end
      return raw.record(qname, sum, unpack(r, 2, r.n))
    end
  end
  return proxy
end

return integration
