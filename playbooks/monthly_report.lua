-- monthly_report: mails the soarctl report (cases, SLA, runs, minutes saved)
-- as a self-contained HTML attachment, at 07:00 UTC on the first of every
-- month. It fetches the report from the daemon's own API
-- (GET /api/v1/report?format=html, the same page as `soarctl report --html`)
-- with an API token kept as a secret, and sends it with email.send's
-- attachments. Set up once:
--   soarctl user add reporter --role viewer
--   soarctl user token reporter --label monthly | soarctl secret set monthly_report.api_token
--   soarctl secret grant monthly_report.api_token --playbook monthly_report
-- and the email integration's smtp_url/from (docs/integrations.md). The input
-- `api` is the daemon's address as given to `soarctl serve --listen`.
return {
  name = "monthly_report",
  description = "Mails the monthly soarctl report (cases, SLA, runs, minutes saved) as an "
    .. "HTML attachment on the first of the month",
  version = "1.0.0",
  minutes_saved = 45,
  minutes_to_build = 60,
  schedule = "0 7 1 * *",
  tz = "UTC",
  overlap = "skip",
  missed = "run_once",
  hosts = { "127.0.0.1", "localhost" },
  inputs = {
    to = { type = "string", default = "soc-leads@example.org", description = "who gets it" },
    api = { type = "string", default = "http://127.0.0.1:8080",
            description = "the daemon's own URL (soarctl serve --listen)" },
    since = { type = "string", default = "31d", description = "the period the report covers" },
    token_secret = { type = "string", default = "monthly_report.api_token",
                     description = "the secret holding an API token with case.read" },
  },
  run = function(_, input)
    local token, serr = secret.get(input.token_secret)
    if not token then
      error("no API token: secret " .. input.token_secret .. " is " .. tostring(serr)
        .. " (soarctl secret set " .. input.token_secret .. "; soarctl secret grant "
        .. input.token_secret .. " --playbook monthly_report)", 0)
    end
    local url = input.api .. "/api/v1/report?since=" .. input.since
    local sum, err = http.get(url .. "&format=json", { bearer = token, timeout = 60 })
    if not sum or sum.status ~= 200 or not sum.json then
      error("report from " .. input.api .. ": " .. tostring(err or (sum and sum.status)), 0)
    end
    local page = http.get(url .. "&format=html", { bearer = token, timeout = 60 })
    if not page or page.status ~= 200 then
      error("HTML report from " .. input.api .. ": " .. tostring(page and page.status), 0)
    end
    local j = sum.json
    local month = time.iso():sub(1, 7)
    local subject = string.format("soarctl report %s: %d cases, %d runs, %d minutes saved",
      month, j.cases.created, j.runs.total, math.floor(j.minutes_saved.total + 0.5))
    local sent, eerr, detail = email.send{
      to = input.to,
      subject = subject,
      text = subject .. "\n\nThe report is attached (open it in a browser; it needs no network).\n"
        .. string.format("Period: %s .. %s\nSLA breached: %d of the %d newest open cases\n",
          j.since, j["until"], j.cases.sla_breached, j.cases.sla_sample),
      attachments = {
        { name = "soarctl-report-" .. month .. ".html", content = page.body, type = "text/html" },
      },
    }
    if not sent then error("email: " .. tostring(eerr) .. " " .. tostring(detail or ""), 0) end
    return { sent = true, to = input.to, subject = subject, bytes = #page.body }
  end,
}
