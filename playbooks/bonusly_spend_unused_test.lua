-- bonusly_spend_unused: offline, with the mock Bonusly (a random balance). The
-- daemon's part (schedule, overlap, a stand-in holding 100 points) is in
-- tests/e2e/serve_bonusly.sh.
local t = require("testing")

return {
  ["gives in steps of amount while the balance allows, one closed case each"] = function()
    for _ = 1, 5 do
      local r = playbook.call("bonusly_spend_unused", { mock = true, colleagues = "alice,bob" })
      t.ok(r.gives <= 10, "at most max_gives")
      t.eq(#r.given, r.gives)
      for _, g in ipairs(r.given) do
        t.eq(g.amount, 10)
        t.ok(g.to == "alice" or g.to == "bob", "a colleague from the list")
        local c = case.get(g.case)
        t.eq(c.type, "bonusly_give")
        t.eq(c.status, "closed")
        t.eq(c.custom.to, g.to)
      end
      if r.gives < 10 then t.ok(r.balance_left < 10, "stops only when under amount") end
    end
  end,

  ["the mock's balance goes down: a run stops on balance, not on max_gives"] = function()
    local r = playbook.call("bonusly_spend_unused", { mock = true, colleagues = "alice", max_gives = 50 })
    t.ok(r.gives < 50, "stopped before max_gives")
    t.ok(r.balance_left < 10, "stopped because the balance ran out")
  end,

  ["no colleagues: nothing given"] = function()
    local r = playbook.call("bonusly_spend_unused", { mock = true, colleagues = " , " })
    t.eq(r.gives, 0)
  end,

  ["max_gives bounds a run"] = function()
    local r = playbook.call("bonusly_spend_unused", { mock = true, max_gives = 1, amount = 1 })
    t.ok(r.gives <= 1)
  end,
}
