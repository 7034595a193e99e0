-- The `case` and `indicator` namespaces, inside the real binary: results as
-- tables, misuse raising with the signature, the world saying no as nil, err.
-- Tests run in name order against one scratch data directory.
local t = require("testing")

return {
  ["1 create, get and dedupe"] = function()
    local c, deduped = case.create{
      title = "Phishing from lures.example", type = "phishing", severity = "high",
      owner = "alice", labels = { "mail", "user" }, custom = { reporter = "bob", n = 3 },
      source = { alert = { id = 7 } }, dedupe_key = "mail:lures.example",
      sla_due = os.time() + 3600, sla_pause_pending = true,
    }
    t.eq(deduped, false)
    t.eq(c.number, 1)
    t.eq(c.status, "new")
    t.eq(c.severity, "high")
    t.eq(c.labels, { "mail", "user" })
    t.eq(c.custom.reporter, "bob")
    t.eq(c.source.alert.id, 7)
    t.eq(c.sla.breached, false)
    t.ok(#c.id == 36)
    local again, d2 = case.create{ title = "same lure", dedupe_key = "mail:lures.example" }
    t.eq(d2, true)
    t.eq(again.number, 1)
    t.eq(case.get(1).title, "Phishing from lures.example")
    t.eq(case.get(c.id).number, 1)
    local none, err = case.get(99)
    t.eq(none, nil)
    t.match(err, "not found")
  end,

  ["2 misuse raises and names the API"] = function()
    t.raises(function() case.create{ title = "x", colour = "red" } end, "unknown case field 'colour'")
    t.raises(function() case.create{ title = "x", severity = "urgent" } end, "case.create")
    t.raises(function() case.create("x") end, "expected a table")
    -- JSON text is read by the one reader: a key twice or a number no double
    -- holds is refused, so what is stored always reads back.
    t.raises(function() case.create{ title = "x", source = '{"severity":"low","severity":"critical"}' } end,
      'source is not valid JSON: duplicate key "severity" in %$ %(keys must be unique%) at offset 18')
    t.raises(function() case.create{ title = "x", source = '{"score":1e999999}' } end,
      "source is not valid JSON: number out of range %(not finite as a double%) in %$%.score at offset 9")
    t.raises(function() case.create{ title = "x", custom = '{"a":{"b":1,"b":2}}' } end,
      'custom is not valid JSON: duplicate key "b" in %$%.a')
    t.raises(function() case.get({}) end, "ref must be")
    t.raises(function() case.note(1) end, "case.note")
    t.raises(function() case.search{ colour = "red" } end, "unknown filter")
    t.raises(function() indicator.get("ip", "1.2.3.4") end, "unknown type")
    t.raises(function() indicator.set("ipv4", "1.2.3.4", { score = 200 }) end, "score")
    t.eq(case.search{ title = nil }[1].number, 1)
  end,

  ["3 update, transitions, notes, close"] = function()
    local c = assert(case.update(1, { status = "pending", labels = "+urgent,-user", owner = "carol" }))
    t.eq(c.status, "pending")
    t.eq(c.owner, "carol")
    t.eq(c.sla.paused, true)
    local bad, err = case.update(1, { status = "new" })
    t.eq(bad, nil)
    t.match(err, "cannot go from pending to new")
    t.ok(case.note(1, "checked the headers") > 1)
    t.ok(case.note(1, "vt says clean", { kind = "result", data = { score = 0 } }))
    local sha = assert(case.attach(1, "headers.txt", "Received: from x\n"))
    t.eq(#sha, 64)
    local child = assert(case.create{ title = "Tune the filter", parent = 1, role = "mail-team" })
    t.eq(child.parent, 1)
    t.ok(case.link(child.number, 1, "related"))
    local closed = assert(case.close(1, "false positive"))
    t.eq(closed.status, "closed")
    t.eq(closed.close_reason, "false positive")
  end,

  ["4 search with filters and cursor"] = function()
    for i = 1, 7 do
      case.create{ title = "scan " .. i, type = "scan", severity = i % 2 == 0 and "critical" or "low" }
    end
    local page, cursor = case.search{ type = "scan", limit = 3 }
    t.eq(#page, 3)
    t.eq(page[1].title, "scan 7")
    t.ok(cursor)
    local rest = case.search{ type = "scan", limit = 10, cursor = cursor }
    t.eq(#rest, 4)
    local crit = case.search{ status = "open", severity = "critical" }
    t.eq(#crit, 3)
    local children = case.search{ parent = 1 }
    t.eq(#children, 1)
    t.eq(#case.search{ created_after = os.time() + 3600 }, 0)
  end,

  ["5 indicators"] = function()
    local ind = assert(indicator.set("ipv4", " 203.0.113.9 ", {
      verdict = "malicious", score = 90, sources = { "abuseipdb" }, tags = "scanner", case = 2,
    }))
    t.eq(ind.value, "203.0.113.9")
    t.eq(ind.cases, { 2 })
    t.eq(indicator.get("ipv4", "203.0.113.9").verdict, "malicious")
    local bad, err = indicator.set("ipv4", "203.0.113.999", { verdict = "malicious" })
    t.eq(bad, nil)
    t.match(err, "invalid ipv4")
    local idn
    idn = assert(indicator.set("domain", "Bücher.de", { verdict = "suspicious" }))
    t.eq(idn.value, "xn--bcher-kva.de")
    idn, err = indicator.set("domain", "b\xfccher.de")
    t.eq(idn, nil)
    t.match(err, "not valid UTF%-8")
    t.eq(indicator.get("domain", "Example.COM."), nil)
    assert(indicator.set("domain", "Example.COM.", { verdict = "benign" }))
    t.eq(indicator.get("domain", "example.com").verdict, "benign")
    local list = indicator.search{ verdict = "malicious" }
    t.eq(#list, 1)
    t.eq(list[1].type, "ipv4")
  end,

  ["9 stored JSON reads back, never a silent nil"] = function()
    local c = case.create{ title = "as text", source = '{"score":1e300,"n":[1,2]}' }
    local got = case.get(c.number)
    t.eq(got.source.score, 1e300)
    t.eq(got.source.n, { 1, 2 })
    t.eq(got.source_error, nil)
  end,

  ["timeline reads entries oldest first, with from and limit; misuse raises"] = function()
    local c = case.create{ title = "timeline" }
    case.note(c.number, "hello", { kind = "result", data = { a = 1 } })
    local tl = assert(case.timeline(c.number))
    t.eq(#tl, 2)
    t.eq(tl[1].kind, "created")
    t.eq(tl[2].no, 2)
    t.eq(tl[2].text, "hello")
    t.eq(tl[2].kind, "result")
    t.eq(tl[2].data, { a = 1 })
    t.ok(tl[2].at > 0 and tl[2].actor ~= nil)
    t.eq(assert(case.timeline(c.number, { from = 2 }))[1].text, "hello")
    t.eq(#assert(case.timeline(c.number, { limit = 1 })), 1)
    t.raises(function() case.timeline(c.number, { bogus = 1 }) end, "unknown option bogus")
    t.raises(function() case.timeline(c.number, { from = 0 }) end, "from must be a number")
    local none, err = case.timeline(999999)
    t.eq(none, nil)
    t.ok(err ~= nil)
  end,
}
