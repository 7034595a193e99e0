-- deputise_tune_signature: hand a whole process to another team (docs/cookbook.md,
-- "deputise"). An IDS alert becomes a case; the analyst is asked whether the
-- signature that fired should be tuned. Yes: a new, separate case "Tune the IDS
-- signature ..." is opened for the IDS team (its role), linked to the alert's
-- case as its child. The analyst may close their own case at once: the parent's
-- timeline still tells when the child changes status or closes (the store writes
-- it there), and `soarctl case show PARENT` lists the children.
-- Try it: soarctl serve --playbooks playbooks, post
--   {"type": "ids_alert", "sid": 2100498, "src_ip": "203.0.113.9",
--    "signature": "GPL ATTACK_RESPONSE id check returned root"}
-- then `soarctl prompt list` and `soarctl prompt answer ID --choice yes`.
return {
  name = "deputise_tune_signature",
  description = "Asks the analyst whether an IDS signature should be tuned; yes opens a "
    .. "child case owned by the IDS team, followed from the alert's case",
  version = "1.0.0",
  minutes_saved = 10,
  triggers = { { type = "ids_alert" } },
  inputs = {
    analyst_role = { type = "string", default = "analyst", description = "who is asked" },
    ids_role = { type = "string", default = "ids", description = "the team that tunes signatures" },
    ask_timeout = { type = "integer", default = 86400,
                    description = "seconds to wait for the analyst; then the signature is kept" },
    tune = { type = "string", description = "yes or no: decided already (no question asked)" },
    alert = { type = "string", description = "the alert as JSON, when not run on a case" },
  },
  run = function(ctx, input)
    local alert, parent
    if ctx.case then
      parent = assert(case.get(ctx.case))
      alert = type(parent.source) == "string" and json.decode(parent.source) or parent.source or {}
    elseif input.alert then
      alert = json.decode(input.alert)
    else
      error("run it on a case (the daemon does) or give --input alert=JSON", 0)
    end
    local sid = tostring(alert.sid or "?")
    local name = type(alert.signature) == "string" and alert.signature or "unnamed signature"
    local answer = input.tune
    if answer == nil then
      local a = prompt.ask{
        question = string.format("IDS signature %s (%s) fired on %s. Tune it?", sid, name,
          tostring(alert.src_ip or "?")),
        options = { "yes", "no" }, to = input.analyst_role,
        timeout = input.ask_timeout, default = "no",
      }
      answer = a.value
    end
    if answer ~= "yes" and answer ~= "no" then
      error("tune: expected yes or no, got " .. tostring(answer), 0)
    end
    if answer == "no" then
      if ctx.case then case.note(ctx.case, "signature " .. sid .. " kept as it is") end
      return { deputised = false, sid = sid }
    end
    local child = case.create{
      title = string.format("Tune the IDS signature %s (%s)", sid, name),
      type = "ids_tuning", severity = "low", role = input.ids_role,
      parent = ctx.case, labels = { "ids", "tuning" },
      custom = { sid = sid, signature = name, src_ip = alert.src_ip,
                 from_case = parent and parent.number or nil },
    }
    if ctx.case then
      case.note(ctx.case, string.format("deputised to %s: case #%d", input.ids_role, child.number),
        { kind = "result", data = { child = child.number, role = input.ids_role } })
    end
    return { deputised = true, sid = sid, child = child.number, role = input.ids_role }
  end,
}
