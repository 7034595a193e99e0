-- case.attachment (reading an attachment back) and the on_breach declarations
-- of case.create/update and task(), inside the real binary.
local t = require("testing")

return {
  ["case.attachment: the latest bytes of a name, its media type"] = function()
    local c = case.create{ title = "with files" }
    case.attach(c.number, "report.csv", "a,b\n1,2\n")
    case.attach(c.number, "report.csv", "a,b\n3,4\n")
    case.attach(c.number, "blob", "\0\1\2")
    local data, ctype = case.attachment(c.number, "report.csv")
    t.eq(data, "a,b\n3,4\n")
    t.eq(ctype, "text/csv; charset=utf-8")
    local bin, btype = case.attachment(c.id, "blob")
    t.eq(bin, "\0\1\2")
    t.eq(btype, "application/octet-stream")
    local none, err = case.attachment(c.number, "nope.pdf")
    t.eq(none, nil)
    t.match(err, "attachment 'nope.pdf' not found on case " .. c.number
      .. " %(its attachments: blob, report.csv")
    local none2, err2 = case.attachment(9999, "x")
    t.eq(none2, nil)
    t.match(err2, "not found")
    t.raises(function() case.attachment(c.number) end, "case.attachment%(ref, name: string%)")
  end,

  ["on_breach: declared on a case, checked"] = function()
    local c = case.create{ title = "sla", sla_due = os.time() + 60,
      on_breach = { severity = "raise", reassign = "bob", notify = { email = { "a@example.com" } } } }
    t.eq(c.title, "sla")
    t.ok(case.update(c.number, { on_breach = { playbook = "escalate" } }) ~= nil)
    t.raises(function() case.create{ title = "x", on_breach = {} } end,
      "on_breach needs notify, reassign, severity and/or playbook")
    t.raises(function() case.create{ title = "x", on_breach = { severity = "urgent" } } end,
      "on_breach.severity")
    t.raises(function() case.create{ title = "x", on_breach = { notify = { text = "hi" } } } end,
      "on_breach.notify needs email and/or slack")
    t.raises(function() case.create{ title = "x", on_breach = { reassign = { team = "x" } } } end,
      "on_breach.reassign: unknown field team")
    t.raises(function() case.create{ title = "x", on_breach = "page someone" } end,
      "on_breach must be a table")
  end,

  ["on_breach: on a task, checked"] = function()
    t.eq(task("t", function() return 3 end, { sla = 60, on_breach = { severity = "high" } }), 3)
    t.raises(function() task("t", function() end, { sla = 60, on_breach = { page = 1 } }) end,
      "on_breach: unknown field page")
  end,
}
