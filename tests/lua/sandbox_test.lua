-- The escape suite: everything here must be unreachable or refused, with an
-- error that says so. Tests run in name order, each in a fresh run on the same
-- interpreter, so the "1 ..." tests try to leave traces that "2 ..." look for.
local t = require("testing")

local function undefined(name)
  t.raises(function() return _G[name] end, "undefined global '" .. name .. "'")
end

return {
  ["forbidden globals are undefined, and the error names them"] = function()
    for _, name in ipairs({ "io", "debug", "ffi", "jit", "package", "dofile", "loadfile",
                            "getfenv", "setfenv", "newproxy", "module", "gcinfo" }) do
      undefined(name)
    end
    local err = t.raises(function() return some_typo_variable end, "undefined global")
    t.match(err, "sandbox_test.lua:%d+: undefined global 'some_typo_variable'")
  end,

  ["os offers only time, clock, date and difftime"] = function()
    t.ok(os.time() > 0)
    t.ok(os.date("!%Y") ~= nil)
    t.eq(os.execute, nil)
    t.eq(os.exit, nil)
    t.eq(os.getenv, nil)
    t.eq(os.remove, nil)
    t.eq(os.rename, nil)
    t.eq(os.tmpname, nil)
  end,

  ["require finds only the project's Lua modules"] = function()
    t.raises(function() require("ffi") end, "not found")
    t.raises(function() require("io") end, "not found")
    t.raises(function() require("../../etc/passwd") end, "not a module name")
    t.raises(function() require("/etc/passwd") end, "not a module name")
    t.ok(require("testing") == t, "modules are cached within a run")
  end,

  ["no bytecode: string.dump is gone and load refuses binary chunks"] = function()
    t.eq(string.dump, nil)
    t.eq(("").dump, nil)
    local f, err = load("\27LJ\2\0junk")
    t.eq(f, nil)
    t.match(err, "binary")
    local pieces = { "\27", "LJ" }
    local i = 0
    f, err = load(function() i = i + 1 return pieces[i] end)
    t.eq(f, nil)
    t.match(err, "binary")
    -- Source is fine, and runs in the caller's environment.
    local g = assert(load("return string.upper('ok')"))
    t.eq(g(), "OK")
  end,

  ["library tables are read-only"] = function()
    t.raises(function() string.upper = nil end, "read%-only")
    t.raises(function() table.insert = print end, "read%-only")
    t.raises(function() math.pi = 3 end, "read%-only")
    t.raises(function() json.encode = nil end, "read%-only")
    t.raises(function() rawset(string, "upper", nil) end, "read%-only")
    t.raises(function() setmetatable(string, {}) end, "protected")
    t.eq(getmetatable(string), false)
  end,

  ["the string metatable cannot be reached or changed"] = function()
    t.eq(getmetatable(""), false)
    t.raises(function() setmetatable("", {}) end)
    t.raises(function() local s = "x"; s.__index = nil end)
  end,

  ["the environment's metatable is protected"] = function()
    t.eq(getmetatable(_G), false)
    t.raises(function() setmetatable(_G, {}) end, "protected")
  end,

  ["collectgarbage allows only count"] = function()
    t.ok(type(collectgarbage("count")) == "number")
    t.raises(function() collectgarbage("collect") end, "not allowed")
    t.raises(function() collectgarbage("stop") end, "not allowed")
  end,

  ["math.randomseed is not offered"] = function()
    t.eq(math.randomseed, nil)
  end,

  ["1 a run leaves traces"] = function()
    leaked_global = "from an earlier run"
    string_like = string
    pcall(function() string.leak = true end)
  end,

  ["2 the next run sees none of them"] = function()
    undefined("leaked_global")
    undefined("string_like")
    t.eq(string.leak, nil)
    t.eq(rawget(_G, "leaked_global"), nil)
  end,

  ["json survives hostile input"] = function()
    local nested = string.rep("[", 100000) .. string.rep("]", 100000)
    local ok, v, err = pcall(json.decode, nested)
    t.ok(not ok or v == nil, "deep nesting must be refused")
    t.ok(err ~= nil or not ok)
    local self = {}
    self.self = self
    t.raises(function() json.encode(self) end)
  end,

  ["coroutines work inside a run"] = function()
    local co = coroutine.wrap(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
    t.eq(co(1), 2)
    t.eq(co(5), 10)
  end,

  ["errors raised by primitives name the function and the arguments"] = function()
    t.raises(function() json.decode() end, "json.decode")
    t.raises(function() crypto.sha256({}) end, "crypto.sha256")
  end,
}
