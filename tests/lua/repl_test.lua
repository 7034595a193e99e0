-- The REPL's Lua half (lua/_repl.lua): war-room lines parsed and typed by a
-- command's declared arguments, values shown as people read them.
local t = require("testing")
local R = require("_repl")

local spec = {
  ip = { type = "string", required = true },
  days = { type = "integer", default = 90 },
  verbose = { type = "boolean" },
  ratio = { type = "number" },
  tags = { type = "table" },
}

return {
  ["parse splits name, command and quoted values"] = function()
    local name, cmd, args, order = R.parse([[!abuseipdb.check ip=1.2.3.4 note="two words" x='{"a":1}']])
    t.eq(name, "abuseipdb")
    t.eq(cmd, "check")
    t.eq(args.ip.text, "1.2.3.4")
    t.eq(args.note.text, "two words")
    t.eq(args.x.text, '{"a":1}')
    t.eq(order, { "ip", "note", "x" })
  end,
  ["parse refuses what is not a command"] = function()
    t.raises(function() R.parse("abuseipdb.check") end, "starts with '!'")
    t.raises(function() R.parse("!abuseipdb") end, "expected !integration.command")
    t.raises(function() R.parse("!a.b ip") end, "expected arg=value")
    t.raises(function() R.parse([[!a.b ip="open]]) end, "no closing")
    t.raises(function() R.parse("!a.b ip=1 ip=2") end, "given twice")
  end,
  ["typed converts by the declared type"] = function()
    local _, _, args = R.parse([[!a.b ip=1.2.3.4 days=7 verbose=yes ratio=0.5 tags='["x","y"]']])
    local v = R.typed("a.b", spec, args)
    t.eq(v, { ip = "1.2.3.4", days = 7, verbose = true, ratio = 0.5, tags = { "x", "y" } })
  end,
  ["typed names the unknown, the missing and the mistyped argument"] = function()
    local _, _, args = R.parse("!a.b ipp=1.2.3.4")
    t.raises(function() R.typed("a.b", spec, args) end, "unknown argument 'ipp' %(did you mean 'ip'%?%)")
    _, _, args = R.parse("!a.b days=3")
    t.raises(function() R.typed("a.b", spec, args) end, "missing argument 'ip'")
    _, _, args = R.parse("!a.b ip=x days=3.5")
    t.raises(function() R.typed("a.b", spec, args) end, "days must be an integer, not '3.5'")
    _, _, args = R.parse("!a.b ip=x verbose=maybe")
    t.raises(function() R.typed("a.b", spec, args) end, "verbose must be true or false")
  end,
  ["show aligns keys, nests tables and cuts long lists"] = function()
    t.eq(R.show({ score = 88, country = "RU" }), "country  RU\nscore    88")
    t.eq(R.show({ a = { b = 1 } }), "a\n  b  1")
    local long = {}
    for i = 1, 30 do long[i] = i end
    local text = R.show(long)
    t.match(text, "%[20%]  20")
    t.match(text, "%.%.%. %(10 more%)")
    t.eq(R.show("x"), '"x"')
    t.eq(R.show(3), "3")
    t.eq(R.show({}), "{}")
  end,
  ["show prints a list of records as columns"] = function()
    local text = R.show({ { ip = "1.2.3.4", score = 90 }, { ip = "5.6.7.8", score = 1 } })
    t.eq(text, "#  ip       score\n1  1.2.3.4  90\n2  5.6.7.8  1")
  end,
  ["show survives cycles"] = function()
    local a = {}
    a.self = a
    t.match(R.show(a), "%(cycle%)")
  end,
}
