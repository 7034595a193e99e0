-- prompt.ask, prompt.create, prompt.wait (docs/lua-api.md "prompt"): misuse
-- raises with the signature before anything is asked, every field type and
-- option is checked by the one form check, and asking outside a durable run
-- says so. (Parking and answering: tests/e2e/prompt_create.sh, prompt_reach.sh.)
local t = require("testing")

local every = {
  { name = "who", type = "string", label = "Requester", help = "full name" },
  { name = "why", type = "text", required = false },
  { name = "n", type = "integer", default = "3" },
  { name = "budget", type = "number" },
  { name = "ok", type = "boolean", default = true },
  { name = "env", type = "choice", options = { "dev", "prod" }, default = "dev" },
  { name = "tools", type = "choices", options = { "edr", "siem" }, default = { "edr" } },
  { name = "start", type = "date", default = "2026-12-24" },
}

-- prompt.ask{question = "Q", options = {"a"}} plus `extra`, expected to raise `pattern`.
local function refused(extra, pattern, fn)
  local spec = { question = "Q", options = { "a" } }
  for k, v in pairs(extra) do spec[k] = v end
  if spec.fields then spec.options = nil end
  t.raises(function() (fn or prompt.ask)(spec) end, pattern)
end

return {
  ["unknown options raise, as the docs say"] = function()
    refused({ timeot = 5 }, "unknown option 'timeot'")
    refused({ notfy = {} }, "unknown option 'notfy'", prompt.create)
    refused({ notify = { sms = {} } }, "unknown notify channel 'sms'")
    refused({ notify = { slack = { chanel = "#x" } } }, "unknown notify.slack key 'chanel'")
    refused({ escalate = { after = 60, to = "x", y = 1 } }, "unknown escalate key 'y'")
  end,

  ["the arguments are checked before anything is asked"] = function()
    t.raises(function() prompt.ask("Q") end, "prompt.ask{question=string")
    t.raises(function() prompt.ask{ options = { "a" } } end, "question must be a non%-empty string")
    t.raises(function() prompt.ask{ question = "Q" } end, "give either options")
    t.raises(function() prompt.ask{ question = "Q", options = { "a" }, fields = { n = "integer" } } end,
      "give either options")
    refused({ options = {} }, "options must be a list of 1 to 100 strings")
    refused({ options = { "a", "a" } }, "'a' is there twice")
    refused({ timeout = -1 }, "timeout must be a duration")
    refused({ remind = "soon" }, "remind must be a duration")
    refused({ remind = 60 }, "remind needs notify")
    refused({ escalate = { after = "1h" } }, "escalate.to must be a role or user name")
    refused({ notify = { email = { to = {} } } }, "notify.email.to must be")
    t.raises(function() prompt.wait(42) end, "prompt.wait%(id%)")
    t.raises(function() prompt.wait("short") end, "must be a prompt id")
  end,

  ["field types, labels, defaults: the one check"] = function()
    refused({ fields = { n = "float" } },
      "fields.n: type must be one of string, text, number, integer, boolean, choice, choices, date")
    refused({ fields = { n = { type = "integer", lable = "N" } } }, "fields.n: unknown key 'lable'")
    refused({ fields = { n = { type = "integer", default = "x" } } },
      'fields.n: the default must be a whole number, got "x"')
    refused({ fields = { d = { type = "date", default = "2026-02-30" } } }, "must be a date as YYYY%-MM%-DD")
    refused({ fields = { e = { type = "choice" } } }, "fields.e.options must be a list")
    refused({ fields = { e = { type = "choice", options = { "a" }, default = "b" } } },
      '"b" is not one of: a')
    refused({ fields = { { type = "string" } } }, "needs name")
    refused({ fields = { choice = "string" } }, "a field name is")
    -- Every type, every option, well formed: only the missing durable run stops it.
    refused({ fields = every, to = "approver", timeout = "1h", default = {},
      notify = { slack = { channel = "#soc" }, email = { to = { "ana", "x@example.org" } } },
      remind = "30m", escalate = { after = "2h", to = "managers" } }, "needs a durable run")
    refused({ fields = every }, "prompt.create needs a durable run", prompt.create)
    t.raises(function() prompt.wait("01a23c32-3e34-7860-8513-2d369ef462e7") end,
      "prompt.wait needs a durable run")
  end,
}
