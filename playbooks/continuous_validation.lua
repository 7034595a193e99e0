-- continuous_validation: test every hour that the defences still work
-- (docs/cookbook.md). Three kinds of control, each given by an input (an empty
-- one is skipped):
--   download_url   a known test file (EICAR) fetched through the web filter:
--                  it must NOT come back (refused, reset, or a 4xx block page);
--   forbidden_url  a connection the firewall policy forbids: it must not connect;
--   event_url      a test event is posted there (a sensor, a syslog-to-HTTP
--                  relay ...) with a unique marker; an alert carrying that marker
--                  (`marker` field) must arrive in soarctl's case store as a case
--                  of type `alert_type` within `alert_within` seconds.
-- A control that does not behave opens a critical case saying which and why; a
-- control still failing an hour later adds a note to the same open case (one
-- case per control: its dedupe key). All passing: nothing is opened.
-- Point it at your controls: set the inputs' defaults below and add the hosts
-- to `hosts` (a playbook reaches only the hosts it declares).
return {
  name = "continuous_validation",
  description = "Hourly: checks that a known-bad download is blocked, a forbidden "
    .. "connection is refused and a test event becomes an alert; a failing control "
    .. "opens a critical case",
  version = "1.0.0",
  minutes_saved = 15,
  schedule = "0 * * * *",
  tz = "UTC",
  overlap = "skip",
  hosts = { "127.0.0.1", "localhost" },
  inputs = {
    download_url = { type = "string", default = "",
                     description = "a known test file that the web filter must block" },
    forbidden_url = { type = "string", default = "",
                      description = "a connection that the firewall policy must refuse" },
    event_url = { type = "string", default = "",
                  description = "where a test event is posted; it must come back as an alert" },
    alert_type = { type = "string", default = "validation_event",
                   description = "the case type the test event's alert arrives as" },
    alert_within = { type = "integer", default = 600,
                     description = "seconds the alert may take to arrive" },
    poll = { type = "integer", default = 30, description = "seconds between looks for the alert" },
    timeout = { type = "integer", default = 10, description = "seconds per request" },
  },
  run = function(ctx, input)
    local results, failed = {}, 0

    -- soarctl's own egress refusing a request tests nothing: that is a
    -- configuration to fix, reported like a failing control.
    local function not_ours(err)
      return err == "denied" and "soarctl refused the request itself (egress): add its host to "
        .. "this playbook's hosts" or nil
    end

    local function record(control, ok, why)
      results[#results + 1] = { control = control, ok = ok, why = why }
      if ok then return end
      failed = failed + 1
      local c, dup = case.create{
        title = "Control failed: " .. control, type = "validation_failure", severity = "critical",
        dedupe_key = "validation:" .. control, labels = { "validation" },
        custom = { control = control, why = why, run = ctx.run_id },
      }
      case.note(c.number, (dup and "still failing: " or "failed: ") .. why,
        { kind = "result", data = { control = control, run = ctx.run_id } })
      results[#results].case = c.number
    end

    -- The filter blocks: no connection, or a 4xx block page, never the file.
    if input.download_url ~= "" then
      local r, err = http.get(input.download_url, { timeout = input.timeout, retries = 0 })
      if not_ours(err) then
        record("download blocked", false, not_ours(err))
      elseif not r then
        record("download blocked", true, "the download failed: " .. tostring(err))
      elseif r.status >= 400 and r.status < 500 then
        record("download blocked", true, "blocked with status " .. r.status)
      else
        record("download blocked", false, string.format(
          "%s came back with status %d (%d bytes): the web filter let it through",
          input.download_url, r.status, #(r.body or "")))
      end
    end

    if input.forbidden_url ~= "" then
      local r, err = http.get(input.forbidden_url,
        { timeout = input.timeout, connect_timeout = input.timeout, retries = 0 })
      if not_ours(err) then
        record("forbidden connection refused", false, not_ours(err))
      elseif not r then
        record("forbidden connection refused", true, "no connection: " .. tostring(err))
      else
        record("forbidden connection refused", false, string.format(
          "%s answered with status %d: the policy did not stop the connection",
          input.forbidden_url, r.status))
      end
    end

    if input.event_url ~= "" then
      local marker = "soarctl-validation-" .. uuid.v4()
      local started = time.now()
      local r, err = http.post(input.event_url, { json = { test = "continuous_validation",
        marker = marker, at = started }, timeout = input.timeout, retries = 1 })
      if not r or r.status >= 300 then
        record("test event becomes an alert", false, not_ours(err) or ("the test event could not "
          .. "be sent: " .. (r and ("status " .. r.status) or tostring(err))))
      else
        local found
        local deadline = started + input.alert_within
        repeat
          for _, c in ipairs(case.search{ type = input.alert_type,
                                          created_after = started - 1, limit = 200 } or {}) do
            local src = c.source
            if type(src) == "string" then
              local ok, v = pcall(json.decode, src)
              src = ok and v or nil
            end
            if type(src) == "table" and src.marker == marker then found = c break end
          end
          if not found and time.now() < deadline then sleep(input.poll) end
        until found or time.now() >= deadline
        if found then
          record("test event becomes an alert", true, string.format("alert case #%d after %.0f s",
            found.number, found.created - started))
          case.close(found.number, "continuous validation test event")
        else
          record("test event becomes an alert", false, string.format(
            "no %s case with marker %s within %d s of the test event", input.alert_type, marker,
            input.alert_within))
        end
      end
    end

    return { checked = #results, failed = failed, results = results }
  end,
}
