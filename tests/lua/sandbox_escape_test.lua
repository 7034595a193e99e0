-- Hostile probes of the sandbox boundary (issue 12, item 1): every path by which C
-- calls back into Lua must hand `load`d code the run's own environment, never the
-- interpreter's real globals (os.execute, io, debug, getfenv, ...).
-- luacheck: globals marker (a deliberate global of each test's run)
local t = require("testing")

-- The code every probe loads: it reports what its environment holds.
local CODE = "return os, _G, marker"
-- Each test sets this global; a chunk loaded in the run's environment sees it.
local function mark()
  marker = {}
  return marker
end

-- Names that exist only in the interpreter's real globals.
local REAL_ONLY = { "getfenv", "setfenv", "newproxy", "gcinfo", "module", "jit", "debug", "io",
  "package", "dofile", "loadfile", "print_real" }

-- Fails if f (a function from load) runs in anything but this run's environment.
local function assert_confined(f, how)
  t.ok(type(f) == "function", how .. ": load gave " .. tostring(f))
  local ok, os_, g, m = pcall(f)
  t.ok(ok, how .. ": the loaded chunk failed: " .. tostring(os_))
  t.ok(os_ == nil or os_.execute == nil, how .. ": os.execute is reachable")
  t.ok(os_ == nil or os_.exit == nil and os_.getenv == nil and os_.remove == nil,
    how .. ": the real os library is reachable")
  if type(g) == "table" then
    for _, k in ipairs(REAL_ONLY) do
      t.ok(rawget(g, k) == nil, how .. ": _G." .. k .. " is reachable")
    end
  end
  t.ok(m ~= nil and m == marker, how .. ": the chunk did not run in the run's environment")
end

local function wrap_handler(e) return e end

return {
  ["load called directly gets the run's environment"] = function()
    mark()
    assert_confined(load(CODE), "load")
    assert_confined(loadstring(CODE), "loadstring")
  end,

  ["pcall(load) gets the run's environment"] = function()
    mark()
    local ok, f = pcall(load, CODE)
    t.ok(ok)
    assert_confined(f, "pcall(load)")
    ok, f = pcall(loadstring, CODE)
    t.ok(ok)
    assert_confined(f, "pcall(loadstring)")
  end,

  ["xpcall(load) and load as the error handler"] = function()
    mark()
    local ok, f = xpcall(load, wrap_handler, CODE)
    t.ok(ok)
    assert_confined(f, "xpcall(load)")
    ok, f = xpcall(function() error(CODE, 0) end, load)
    t.ok(not ok)
    assert_confined(f, "xpcall(..., load)")
  end,

  ["pcall nested in pcall"] = function()
    mark()
    local ok1, ok2, f = pcall(pcall, load, CODE)
    t.ok(ok1 and ok2)
    assert_confined(f, "pcall(pcall, load)")
  end,

  ["coroutines: wrap, resume and create"] = function()
    mark()
    assert_confined(coroutine.wrap(load)(CODE), "coroutine.wrap(load)")
    local ok, f = coroutine.resume(coroutine.create(load), CODE)
    t.ok(ok)
    assert_confined(f, "coroutine.resume(load)")
    local co = coroutine.wrap(function() return pcall(load, CODE) end)
    local _, g = co()
    assert_confined(g, "pcall(load) inside a coroutine")
    -- A coroutine started inside a coroutine.
    local h = coroutine.wrap(function() return coroutine.wrap(load)(CODE) end)()
    assert_confined(h, "nested coroutine.wrap(load)")
  end,

  ["table.sort comparator, string.gsub replacement"] = function()
    mark()
    local got = {}
    table.sort({ 3, 1, 2 }, function(a, b)
      got[#got + 1] = select(2, pcall(load, CODE))
      return a < b
    end)
    t.ok(#got > 0)
    for _, f in ipairs(got) do assert_confined(f, "pcall(load) in a sort comparator") end
    -- load itself as the comparator and as the replacement: whatever it returns,
    -- nothing escapes and the run goes on.
    pcall(table.sort, { CODE, CODE, CODE }, load)
    pcall(string.gsub, CODE, ".+", load)
    got = {}
    string.gsub("ab", "%a", function() got[#got + 1] = select(2, pcall(load, CODE)) end)
    for _, f in ipairs(got) do assert_confined(f, "pcall(load) in a gsub replacement") end
  end,

  ["metamethods called from C"] = function()
    mark()
    local got = {}
    local function take() got[#got + 1] = select(2, pcall(load, CODE)) return "x" end
    local mt = {
      __index = take, __newindex = take, __call = take, __tostring = take,
      __concat = take, __eq = take, __lt = take, __le = take, __len = take,
      __unm = take, __add = take,
    }
    local a, b = setmetatable({}, mt), setmetatable({}, mt)
    local _ = a.x
    a.y = 1
    a()
    tostring(a)
    _ = a .. "s"
    _ = a == b
    _ = a < b
    _ = a <= b
    _ = #a
    _ = -a
    _ = a + 1
    -- The same metamethods reached through C functions that trigger them.
    pcall(tostring, a)
    pcall(rawequal, a, b)
    table.concat({ "a" }, "", 1, 1)
    pcall(table.insert, a, 1)
    t.ok(#got >= 11, "only " .. #got .. " metamethods ran")
    for _, f in ipairs(got) do assert_confined(f, "load in a metamethod") end
    -- load as the metamethod itself (called with the object first: refused).
    local lm = setmetatable({}, { __index = load, __call = load, __tostring = load, __concat = load })
    pcall(function() return lm.x end)
    pcall(lm, CODE)
    pcall(tostring, lm)
    pcall(function() return lm .. CODE end)
  end,

  ["select, unpack, and a reader function"] = function()
    mark()
    local f = select(1, load(CODE))
    assert_confined(f, "select(load)")
    assert_confined(load(unpack({ CODE })), "load(unpack(...))")
    local _, g = pcall(unpack({ load, CODE }))
    assert_confined(g, "pcall(unpack{load, code})")
    local parts, i = { "return os, ", "_G, marker" }, 0
    assert_confined(load(function() i = i + 1 return parts[i] end), "load(reader)")
    -- The reader itself a C function (a coroutine wrapper).
    local reader = coroutine.wrap(function() coroutine.yield(CODE) end)
    assert_confined(load(reader), "load(coroutine reader)")
  end,

  ["a required module's load"] = function()
    mark()
    local testing = require("testing")
    local ok, f = pcall(require, "testing")
    t.ok(ok and f == testing, "pcall(require) must give the run's cached module")
  end,

  ["what must not exist"] = function()
    for _, k in ipairs(REAL_ONLY) do
      t.raises(function() return _G[k] end, "undefined global")
    end
    t.eq(string.dump, nil)
    t.eq(("").dump, nil)
    t.eq(getmetatable(""), false)
    t.eq(os.execute, nil)
    t.eq(os.exit, nil)
    t.eq(getmetatable(_G), false)
    t.eq(getmetatable(string), false)
    t.raises(function() collectgarbage("collect") end, "not allowed")
    t.raises(function() rawset(string, "x", 1) end, "read%-only")
    t.raises(function() setmetatable(string, {}) end, "protected metatable")
    t.eq(select(2, load("\027LJ\2")), "load: binary (bytecode) chunks are not allowed in the sandbox")
    -- The run's coroutine is the only thread it sees; the main thread is not.
    local co = coroutine.running()
    t.ok(co == nil or type(co) == "thread")
    t.eq(coroutine.resume(co or coroutine.create(function() end)), co == nil)
  end,

  ["a coroutine.wrap that raises, many times, does not crash the process"] = function()
    -- Raising from C right after lua_resume left LuaJIT's current thread wrong:
    -- the next collection crashed (segfault) within a few thousand rounds.
    for i = 1, 5000 do
      local f = coroutine.wrap(function() error("x" .. i) end)
      local ok, e = pcall(f)
      t.ok(not ok and e:find("x" .. i, 1, true), e)
      local g = coroutine.wrap(type)
      t.eq(select(2, pcall(g)):match("bad argument") ~= nil, true)
      t.eq(select(2, pcall(g, 1)), "cannot resume dead coroutine")
      local junk = {}
      for k = 1, 50 do junk[k] = { k } end
      t.eq(#junk, 50)   -- garbage, so that collections run meanwhile
    end
  end,

  ["error objects and handlers hand out no functions"] = function()
    local ok, e = pcall(error)
    t.eq({ ok, e }, { false, nil })
    local _, msg = xpcall(function() local x = nil; return x.y end, function(m) return m end)
    t.eq(type(msg), "string")
    local _, tb = xpcall(function() error({}) end, function(m) return m end)
    t.eq(type(tb), "table")
    t.eq(next(tb), nil)
  end,
}
