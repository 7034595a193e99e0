-- major_incident_update: major incident communications (docs/cookbook.md).
-- Every 30 minutes, while any case of the given severity (critical) is open, it
-- emails a distribution list a fixed-format update: the open cases, their owners,
-- status, SLA and latest entry, with a report attached (CSV, or a self-contained
-- HTML page) for management. With no such case open, nothing is sent.
-- Set `to` (and `from`, else the email config's) as the input defaults, or run it
-- by hand: soarctl run playbooks/major_incident_update.lua --input dry=true
return {
  name = "major_incident_update",
  description = "Every 30 minutes while a critical case is open: emails management the open "
    .. "critical cases with their owners and status, and a report attached",
  version = "1.0.0",
  minutes_saved = 20,
  schedule = "*/30 * * * *",
  tz = "UTC",
  overlap = "skip",
  inputs = {
    to = { type = "string", default = "management@example.org",
           description = "the distribution list, comma separated" },
    from = { type = "string", description = "sender (default: the email config's from)" },
    severity = { type = "string", default = "critical", description = "which cases count" },
    format = { type = "string", default = "csv", description = "the report: csv or html" },
    dry = { type = "boolean", default = false,
            description = "compose the update and return it without sending" },
  },
  run = function(_, input)
    if input.format ~= "csv" and input.format ~= "html" then
      error("format: csv or html, not " .. tostring(input.format), 0)
    end
    local cases = assert(case.search{ status = "open", severity = input.severity, limit = 500,
      sort = "created", ascending = true })
    if #cases == 0 then
      return { sent = false, open = 0, reason = "no open " .. input.severity .. " case" }
    end
    local now = time.now()
    local function at(t) return t and os.date("!%Y-%m-%d %H:%M", math.floor(t)) or "-" end
    local function ago(t)
      local m = math.max(0, math.floor((now - t) / 60))
      return m >= 60 and string.format("%dh%02dm", math.floor(m / 60), m % 60) or (m .. "m")
    end

    local rows = {}
    for _, c in ipairs(cases) do
      local last = c.entries and c.entries > 0
        and (case.timeline(c.number, { from = c.entries }) or {})[1] or nil
      rows[#rows + 1] = {
        number = c.number, title = c.title, status = c.status, owner = c.owner or "-",
        role = c.role or "-", created = c.created, updated = c.updated,
        sla_due = c.sla and c.sla.due or nil, breached = c.sla and c.sla.breached or false,
        last = last and string.format("%s %s: %s", at(last.at), last.kind, last.text) or "-",
      }
    end

    local text = { string.format("MAJOR INCIDENT UPDATE, %s UTC", at(now)),
      string.format("%d %s case%s open.", #rows, input.severity, #rows == 1 and "" or "s"), "" }
    for _, r in ipairs(rows) do
      text[#text + 1] = string.format("#%d  %s  [%s]  owner %s, role %s", r.number, r.title,
        r.status, r.owner, r.role)
      text[#text + 1] = string.format("     opened %s (%s ago)%s", at(r.created), ago(r.created),
        r.sla_due and string.format(", SLA due %s%s", at(r.sla_due), r.breached and " BREACHED" or "")
        or "")
      text[#text + 1] = "     latest: " .. r.last:gsub("\n", " "):sub(1, 200)
    end
    local stamp = os.date("!%Y%m%d-%H%M", math.floor(now))
    local name = "critical-cases-" .. stamp .. "." .. input.format
    text[#text + 1] = ""
    text[#text + 1] = "The attached report (" .. name .. ") lists them."

    local report
    if input.format == "csv" then
      local function field(v)
        v = tostring(v == nil and "" or v)
        if v:find('[,"\r\n]') then v = '"' .. v:gsub('"', '""') .. '"' end
        return v
      end
      local out = { "number,title,status,owner,role,opened_utc,updated_utc,sla_due_utc,sla_breached,latest" }
      for _, r in ipairs(rows) do
        out[#out + 1] = table.concat({ field(r.number), field(r.title), field(r.status),
          field(r.owner), field(r.role), field(at(r.created)), field(at(r.updated)),
          field(r.sla_due and at(r.sla_due) or ""), field(r.breached), field(r.last) }, ",")
      end
      report = table.concat(out, "\r\n") .. "\r\n"
    else
      local function esc(v)
        return (tostring(v):gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;",
          ['"'] = "&quot;", ["'"] = "&#39;" }))
      end
      local out = { "<!doctype html><html><head><meta charset=\"utf-8\"><title>Major incident update "
        .. esc(at(now)) .. "</title><style>body{font-family:sans-serif}table{border-collapse:collapse}"
        .. "td,th{border:1px solid #999;padding:4px 8px;text-align:left}.b{color:#b00}</style></head><body>",
        "<h1>Major incident update</h1><p>" .. esc(at(now)) .. " UTC: " .. #rows .. " open "
        .. esc(input.severity) .. " case(s).</p>",
        "<table><tr><th>#</th><th>Title</th><th>Status</th><th>Owner</th><th>Role</th>"
        .. "<th>Opened (UTC)</th><th>SLA due</th><th>Latest</th></tr>" }
      for _, r in ipairs(rows) do
        out[#out + 1] = string.format("<tr><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
          .. "<td>%s</td><td%s>%s</td><td>%s</td></tr>", r.number, esc(r.title), esc(r.status),
          esc(r.owner), esc(r.role), esc(at(r.created)), r.breached and ' class="b"' or "",
          r.sla_due and esc(at(r.sla_due) .. (r.breached and " (breached)" or "")) or "-", esc(r.last))
      end
      out[#out + 1] = "</table></body></html>\n"
      report = table.concat(out, "\n")
    end

    local msg = {
      from = input.from, to = {},
      subject = string.format("[Major incident] %d %s case%s open (%s UTC)", #rows, input.severity,
        #rows == 1 and "" or "s", at(now)),
      text = table.concat(text, "\n") .. "\n",
      attachments = { { name = name, content = report,
                        type = input.format == "csv" and "text/csv" or "text/html" } },
    }
    for addr in input.to:gmatch("[^,%s]+") do msg.to[#msg.to + 1] = addr end
    if #msg.to == 0 then error("to: no address to send the update to", 0) end
    if input.dry then
      return { sent = false, dry = true, open = #rows, subject = msg.subject, text = msg.text,
               report_name = name, report = report }
    end
    local sent, err = email.send(msg)
    if not sent then
      -- A comms run that could not send must be seen: the run fails, saying why.
      error("the update was not sent: " .. tostring(err), 0)
    end
    local numbers = {}
    for i, r in ipairs(rows) do numbers[i] = r.number end
    return { sent = true, open = #rows, to = msg.to, subject = msg.subject, report_name = name,
             cases = numbers }
  end,
}
