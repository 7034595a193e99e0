-- task() and retry() refuse options they do not know (docs/lua-api.md: misuse
-- raises), naming the option and the known ones; known options still work.
local t = require("testing")

return {
  ["task: an unknown option raises"] = function()
    t.raises(function() task("x", function() end, { owner = "a", deadline = 5 }) end,
      "unknown option 'deadline' %(known: minutes_saved, on_breach, owner, role, sla%)")
    t.eq(task("y", function() return 7 end, { owner = "a", role = "r", sla = 60 }), 7)
    t.eq(task("z", function() return 8 end, { minutes_saved = 2.5 }), 8)
  end,

  ["task: minutes_saved is a number >= 0"] = function()
    t.raises(function() task("x", function() end, { minutes_saved = -1 }) end,
      "minutes_saved is a number of minutes >= 0")
    t.raises(function() task("x", function() end, { minutes_saved = "3" }) end,
      "minutes_saved is a number of minutes >= 0")
    t.raises(function() task("x", function() end, { minutes_saved = 0 / 0 }) end,
      "minutes_saved is a number of minutes >= 0")
  end,

  ["retry: an unknown option raises"] = function()
    t.raises(function() retry(function() return 1 end, { atempts = 2 }) end,
      "retry.*unknown option 'atempts' %(known: attempts, backoff, on%)")
    local n = 0
    t.eq(retry(function(a) n = a; if a < 2 then error("timeout") end; return "ok" end,
      { attempts = 3, backoff = 0, on = { "timeout" } }), "ok")
    t.eq(n, 2)
  end,
}
