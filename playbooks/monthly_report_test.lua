-- monthly_report: offline, what can be checked without a daemon and a mail
-- server (tests/e2e/monthly_report.sh mails a real report).
local t = require("testing")

return {
  ["without its secret it fails and says how to set it up"] = function()
    t.raises(function()
      playbook.call("monthly_report", { token_secret = "monthly_report.absent" })
    end, "soarctl secret set monthly_report.absent")
  end,
}
