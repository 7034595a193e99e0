-- deputise_tune_signature: the child case, its link, and the parent told of it.
-- The question through the daemon is in tests/e2e/serve_bundled.sh.
local t = require("testing")

local function alert_case()
  return case.create{ title = "IDS: ATTACK_RESPONSE id check returned root", type = "ids_alert",
    severity = "medium", source = { type = "ids_alert", sid = 2100498,
    signature = "GPL ATTACK_RESPONSE id check returned root", src_ip = "203.0.113.9" } }
end

local function entries(ref, pattern)
  local n = 0
  for _, e in ipairs(assert(case.timeline(ref))) do
    if tostring(e.text):find(pattern) then n = n + 1 end
  end
  return n
end

return {
  ["yes opens a child case for the IDS team, linked to the alert's case"] = function()
    local p = alert_case()
    local r = playbook.call("deputise_tune_signature", { tune = "yes",
      alert = json.encode({ sid = 2100498, signature = "GPL ATTACK_RESPONSE", src_ip = "203.0.113.9" }) })
    t.eq(r.deputised, true)
    local child = assert(case.get(r.child))
    t.eq(child.role, "ids")
    t.eq(child.type, "ids_tuning")
    t.match(child.title, "Tune the IDS signature 2100498")
    t.ok(p.number ~= child.number)
  end,

  ["no keeps the signature and opens nothing"] = function()
    local r = playbook.call("deputise_tune_signature", { tune = "no",
      alert = json.encode({ sid = 1, signature = "x" }) })
    t.eq(r.deputised, false)
    t.eq(r.child, nil)
  end,

  ["an answer other than yes or no is refused"] = function()
    t.raises(function()
      playbook.call("deputise_tune_signature", { tune = "maybe", alert = "{}" })
    end, "expected yes or no")
  end,

  ["the parent's timeline follows the child, even once the parent is closed"] = function()
    local p = alert_case()
    local child = case.create{ title = "Tune the IDS signature 1", type = "ids_tuning",
      role = "ids", parent = p.number }
    t.eq(entries(p.number, "child #" .. child.number .. ": Tune"), 1, "linked")
    case.close(p.number, "deputised")
    case.update(child.number, { status = "active" })
    case.close(child.number, "threshold raised to 5 a minute")
    t.eq(entries(p.number, "child #" .. child.number .. " new %-> active"), 1, "told of active")
    t.eq(entries(p.number, "child #" .. child.number .. " active %-> closed: threshold raised"), 1,
      "told of the close and its reason")
  end,
}
