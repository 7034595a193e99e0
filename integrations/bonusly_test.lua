-- bonusly: recorded responses (fixtures/bonusly/*.json) and the mock, offline.
local t = require("testing")

return {
  ["fixture: balance, users, give"] = function()
    local b = integration("bonusly", { fixture = "v1" })
    t.eq(b.mode, "replay")
    t.eq(b.balance(), { giving_balance = 40, username = "me" })
    local u = b.users{ email = "alice@example.com" }
    t.eq(u.users[1].username, "alice")
    local g = b:give{ to = "alice" }
    t.eq(g.amount, 10)
    t.eq(g.reason, "+10 @alice #thanks for your help")
  end,

  ["fixture: the API moved (v7): the failure names the field"] = function()
    local ok, err = pcall(function() return integration("bonusly", { fixture = "v7" }).balance() end)
    t.eq(ok, false)
    t.ok(err:find("bonusly.balance: the response has no number at 'result.giving_balance' (found nothing)",
      1, true), err)
    t.ok(err:find("the vendor's API may have changed (bonusly 1.0.0 speaks API v1)", 1, true), err)
  end,

  ["fixture: a refused token is nil, denied"] = function()
    local b = integration("bonusly", { fixture = "unauthorized" })
    local r, err = b.balance()
    t.eq(r, nil)
    t.eq(err, "denied")
  end,

  ["fixture: a request the fixture lacks is a clear error"] = function()
    local b = integration("bonusly", { fixture = "v7" })
    t.raises(function() b.give{ to = "bob" } end, "no %(unused%) recorded exchange for POST /api/v1/bonuses")
  end,

  ["arguments are checked against the manifest"] = function()
    local b = integration("bonusly", { mock = true })
    t.raises(function() b.give{} end, "bonusly.give: argument to is required")
    t.raises(function() b.give{ to = "x", amount = 1.5 } end, "amount must be an integer")
    t.raises(function() b.give{ to = "x", points = 3 } end, "unknown argument points") -- soarctl-lint: ignore
    t.raises(function() return b.gift end, -- soarctl-lint: ignore
      "has no command gift %(commands: balance, give, users%)")
    t.raises(function() b.balance = 1 end, "read%-only")
  end,

  ["mock: realistic and seeded"] = function()
    local b = integration("bonusly", { mock = true })
    t.eq(b.mode, "mock")
    local one, two = b.balance(), b.balance()
    t.eq(one, two)
    t.ok(one.giving_balance % 10 == 0)
    local u = b.users{ limit = 3 }
    t.eq(#u.users, 3)
    t.eq(u.users[1].username, "alice")
    t.eq(#u.users[1].id, 24)
    local fresh = integration("bonusly", { mock = true })
    t.eq(fresh.give{ to = "bob", amount = 20 }.reason, "+20 @bob #thanks for your help")
  end,

  ["mock: the balance goes down with each give, and a give over it is refused"] = function()
    local b = integration("bonusly", { mock = true })
    local start = b.balance().giving_balance
    local given = 0
    while b.balance().giving_balance >= 10 do
      t.ok(b.give{ to = "bob", amount = 10 } ~= nil)
      given = given + 10
      t.eq(b.balance().giving_balance, start - given)
    end
    t.eq(given, start - start % 10)
    local r, err, detail = b.give{ to = "bob", amount = 10 }
    t.eq(r, nil)
    t.eq(err, "refused")
    t.match(detail, "under 10")
    -- another object (another run) starts again from the seeded balance
    t.eq(integration("bonusly", { mock = true }).balance().giving_balance, start)
  end,

  ["a playbook may not point the integration elsewhere"] = function()
    t.raises(function() integration("bonusly", { config = { base_url = "https://evil.example" } }) end,
      "may not set base_url")
    t.raises(function() integration("nope") end, "no integration 'nope'")
    t.raises(function() integration("../etc/passwd") end, "not an integration name")
  end,
}
