-- Typed outputs of integrations (lua/_integration_schema.lua): parsing, the
-- check naming the field path with the expected and actual type, generated
-- mocks, and the bundled integrations' results against their schema.
local t = require("testing")
local S = require("_integration_schema")

local OUT = {
  score = { type = "integer", min = 0, max = 100 },
  verdict = { type = "string", enum = { "malicious", "benign" } },
  seen = "string?",
  tags = "list of string",
  asn = { number = "integer", name = "string" },
  ports = { type = "list", of = { port = "integer", proto = "string?" } },
}

local function good()
  return { score = 12, verdict = "benign", tags = { "a", "b" }, asn = { number = 64500, name = "X" },
           ports = { { port = 22 }, { port = 443, proto = "tcp" } } }
end

local function check(v) return S.check(S.parse_outputs(OUT, "outputs"), v, "result") end

return {
  ["a result of the promised shape passes"] = function()
    t.eq(check(good()), nil)
  end,

  ["a mismatch names the field path, the expected and the actual type"] = function()
    local v = good(); v.score = "12"
    t.eq(check(v), "result.score: expected integer, got string")
    v = good(); v.score = 1.5
    t.eq(check(v), "result.score: expected integer, got number 1.5")
    v = good(); v.asn.number = "AS64500"
    t.eq(check(v), "result.asn.number: expected integer, got string")
    v = good(); v.ports[2].proto = 6
    t.eq(check(v), "result.ports[2].proto: expected string, got number")
    v = good(); v.tags = "a,b"
    t.eq(check(v), "result.tags: expected list of string, got string")
    v = good(); v.verdict = nil
    t.eq(check(v), "result.verdict: expected string, got nothing")
    v = good(); v.verdict = "evil"
    t.eq(check(v), 'result.verdict: expected one of malicious, benign, got "evil"')
    v = good(); v.score = 101
    t.eq(check(v), "result.score: expected integer from 0 to 100, got 101")
    v = good(); v.extra = true
    t.eq(check(v), "result.extra: not declared in the outputs (got boolean)")
    v = good(); v.tags = { x = "a" }
    t.eq(check(v), "result.tags: expected a list, got a table with keys")
  end,

  ["empty outputs declare no field: any table passes, a non-table does not"] = function()
    local open = S.parse_outputs({}, "o")
    t.eq(S.check(open, { anything = 1 }, "result"), nil)
    t.eq(S.check(open, "text", "result"), "result: expected object, got string")
  end,

  ["optional fields may be absent, not of another type"] = function()
    local v = good(); v.seen = nil
    t.eq(check(v), nil)
    v.seen = false
    t.eq(check(v), "result.seen: expected string, got boolean")
  end,

  ["prose outputs and bad specs are refused with what a type is"] = function()
    t.raises(function() S.parse_outputs({ score = "integer 0-100 (abuseConfidenceScore)" }, "o") end,
      'o.score: "integer 0%-100 %(abuseConfidenceScore%)" is not a type')
    t.raises(function() S.parse_outputs({ l = { type = "list" } }, "o") end, "o.l: a list needs of = T")
    t.raises(function() S.parse_outputs({ n = { type = "integer", mn = 1 } }, "o") end,
      "o.n: unknown key mn")
    t.raises(function() S.parse_outputs({ n = { type = "integer", example = "x" } }, "o") end,
      "o.n.example: expected integer, got string")
  end,

  ["one line a type for people (the REPL's :help)"] = function()
    t.eq(S.text({ type = "integer", min = 0, max = 100, description = "abuse score" }),
      "integer 0..100  abuse score")
    t.eq(S.text("list of string"), "list of string")
    t.eq(S.text({ type = "list", of = { id = "string", name = "string?" } }), "list of {id, name}")
    t.eq(S.text({ type = "string", enum = { "a", "b" }, optional = true }), "string? (a|b)")
    t.eq(S.text("prose, not a type"), "prose, not a type")
  end,

  ["generated data always fits its schema"] = function()
    local node = S.parse_outputs(OUT, "outputs")
    for seed = 1, 50 do
      local state = seed
      local fake = {}
      function fake.int(lo, hi)
        state = (state * 1103515245 + 12345) % 2^31
        return lo + state % (hi - lo + 1)
      end
      function fake.float() return fake.int(0, 1000) / 1000 end
      function fake.pick(l) return l[fake.int(1, #l)] end
      function fake.ipv4() return "192.0.2." .. fake.int(1, 254) end
      function fake.hex(n) return string.rep("a", n) end
      t.eq(S.check(node, S.generate(node, fake), "result"), nil)
    end
  end,

  ["every bundled integration's mock fits its outputs"] = function()
    local calls = {
      abuseipdb = { check = { ip = "203.0.113.9" } },
      ipinfo = { lookup = { ip = "203.0.113.9" } },
      bonusly = { balance = {}, users = {}, give = { to = "alice", text = "thanks" } },
      slack = { post = { channel = "#soc", text = "hi" },
                prompt = { prompt_id = "p1", question = "ok?", options = { "yes", "no" } } },
      webhook = { send = { data = { a = 1 } } },
    }
    for name, cmds in pairs(calls) do
      local i = integration(name, { mock = true })
      for cmd, args in pairs(cmds) do
        local r = i[cmd](args)
        t.ok(type(r) == "table", name .. "." .. cmd)
        t.eq(S.check(S.parse_outputs(i.commands[cmd].outputs, "o"), r, "result"), nil, name .. "." .. cmd)
      end
    end
  end,
}
