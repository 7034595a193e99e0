-- delegate_architect_review: what runs without a person. The delegated task
-- itself (the architects' prompt, its SLA, the escalation to the leads, the
-- answer by an emailed link) runs under the daemon: tests/e2e/serve_people.sh.
local t = require("testing")

return {
  ["without a case it needs the change to review"] = function()
    t.raises(function() playbook.call("delegate_architect_review", {}) end,
      "run it on a case %(the daemon does%) or give %-%-input change=TEXT")
  end,

  ["an SLA that is not a number is refused before anything is asked"] = function()
    t.raises(function()
      playbook.call("delegate_architect_review", { change = "open 8333/tcp", sla = "two days" })
    end, "sla")
  end,
}
