-- inbound_ip_reputation: block bad IPs hitting an exposed service (docs/cookbook.md).
-- Each inbound connection log posted to POST /api/v1/alerts as
--   {"type": "connection", "src_ip": "185.220.101.4", "dst_port": 8333, ...}
-- becomes a case; the same source IP within an hour is dropped by pre-processing
-- (counted on the first case) before any run starts, so a burst costs nothing.
-- Good reputation: the case is closed. Bad: enriched with geo/ASN, the IP goes on
-- an EDL the firewall fetches (GET /edl/blocked_ips), the owner gets an email,
-- and the case stays open for a person to look at.
-- Try it: soarctl serve --mock, then post an alert (docs/daemon.md).
-- The reputation sources this playbook can use (input `source`) and the
-- command of each that looks up an IP.
local REPUTATION = { abuseipdb = "check", virustotal = "ip", greynoise = "ip" }

return {
  name = "inbound_ip_reputation",
  description = "Looks up the reputation of inbound connections' source IPs; blocks bad "
    .. "ones through an EDL and emails the owner; closes the case for good ones",
  version = "1.0.0",
  minutes_saved = 5,
  triggers = { { type = "connection" } },
  preprocess = {
    -- The cheap part, in C, before any run: one case per source IP an hour.
    { match = { type = "connection" }, dedupe = { key = "src_ip", window = 3600 } },
  },
  inputs = {
    edl = { type = "string", default = "blocked_ips", description = "the EDL bad IPs go on" },
    owner = { type = "string", default = "owner@example.org", description = "who is emailed" },
    from = { type = "string", description = "sender (default: the email config's from)" },
    threshold = { type = "integer", default = 75,
                  description = "abuse confidence score (0-100) from which an IP is bad" },
    ttl_days = { type = "integer", default = 30, description = "days an IP stays on the EDL" },
    alert = { type = "string", description = "the alert as JSON, when not run on a case" },
    mock = { type = "boolean", default = false, description = "integrations answer with mock data" },
    source = { type = "string", default = "abuseipdb",
               description = "the IP reputation source: abuseipdb, virustotal or greynoise" },
  },
  run = function(ctx, input)
    local alert
    if input.alert then
      alert = json.decode(input.alert)
    elseif ctx.case then
      local c = assert(case.get(ctx.case))
      alert = type(c.source) == "string" and json.decode(c.source) or c.source or {}
    else
      error("run it on a case (the daemon does) or give --input alert=JSON", 0)
    end
    local function close(reason)
      if ctx.case then case.close(ctx.case, reason) end
    end
    local ip = type(alert.src_ip) == "string" and alert.src_ip or nil
    if not ip or ip == "" then
      close("no source IP in the alert")
      return { action = "none", reason = "the alert has no source IP" }
    end

    local iopts = input.mock and { mock = true } or nil
    -- Each source's command answers with a score 0-100 and a verdict (their
    -- typed outputs say so), so the rest of the playbook is the same for all.
    local command = REPUTATION[input.source]
    if not command then
      error(string.format("input source must be one of abuseipdb, virustotal, greynoise (not %s)",
        input.source), 0)
    end
    local abuse = integration(input.source, iopts)
    local rep, err = abuse[command]{ ip = ip }
    if not rep then
      -- Leave the case open: a person decides (or a later run retries).
      if ctx.case then case.note(ctx.case, "reputation lookup failed: " .. tostring(err)) end
      return { ip = ip, action = "none", reason = "reputation lookup failed: " .. tostring(err) }
    end
    local summary = input.source == "abuseipdb"
      and string.format("%s: abuse confidence %d%% (%s), %d reports", ip, rep.score, rep.verdict, rep.reports)
      or string.format("%s: %s score %d (%s)", ip, input.source, rep.score, rep.verdict)
    if ctx.case then case.note(ctx.case, summary, { kind = "result", data = rep }) end
    if rep.score < input.threshold then
      close("good reputation (score " .. rep.score .. ")")
      return { ip = ip, verdict = rep.verdict, score = rep.score, action = "closed" }
    end

    local geo = integration("ipinfo", iopts).lookup{ ip = ip } or {}
    if ctx.case then
      case.update(ctx.case, { severity = "high", custom = {
        ip = ip, score = rep.score, verdict = rep.verdict, country = geo.country,
        city = geo.city, org = geo.org, asn = geo.asn } })
    end
    local added, eerr = edl.add(input.edl, ip, { ttl = input.ttl_days * 86400,
      comment = string.format("%s %d, %s", input.source, rep.score, geo.org or "?") })
    local where = string.format("%s, %s (%s)", geo.city or "?", geo.country or "?", geo.org or "?")
    -- The block matters more than the email: a mail set-up problem (even a
    -- missing smtp_url, which raises) is recorded on the case, not fatal.
    local ok, sent, merr = pcall(email.send, {
      -- In mock mode (the demo) a sender is made up when none is configured.
      from = input.from or (abuse.mode == "mock" and "soarctl@example.org" or nil), to = input.owner,
      subject = string.format("Blocked %s (%s, score %d)", ip, rep.verdict, rep.score),
      text = summary .. "\nLocation: " .. where .. "\nAdded to EDL " .. input.edl
        .. (ctx.case and ("\nCase: " .. ctx.case) or "") .. "\n",
    })
    if not ok then sent, merr = nil, sent end
    if not sent and ctx.case then case.note(ctx.case, "email not sent: " .. tostring(merr)) end
    return { ip = ip, verdict = rep.verdict, score = rep.score, action = "blocked",
             edl = added ~= nil and input.edl or nil, edl_error = eerr,
             emailed = sent ~= nil, email_error = merr, country = geo.country, org = geo.org }
  end,
}
