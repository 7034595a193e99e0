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

return {
  ["unknown options raise, as the docs say"] = function()
    t.raises(function() prompt.ask{ question = "Q", options = { "a" }, timeot = 5 } end, "unknown option 'timeot'")
    t.raises(function() prompt.create{ question = "Q", options = { "a" }, notfy = {} } end, "unknown option 'notfy'")
    t.raises(function() prompt.ask{ question = "Q", options = { "a" }, notify = { sms = {} } } end,
      "unknown notify channel 'sms'")
    t.raises(function() prompt.ask{ question = "Q", options = { "a" }, notify = { slack = { chanel = "#x" } } } end,
      "unknown notify.slack key 'chanel'")
    t.raises(function() prompt.ask{ question = "Q", options = { "a" }, escalate = { after = 60, to = "x", y = 1 } } end,
      "unknown escalate key 'y'")
  end,

  ["the arguments are checked before anything is asked"] = function()
    t.raises(function() prompt.ask("Q") end, "prompt.ask{question=string")
    t.raises(function() prompt.ask{ options = { "a" } } end, "question must be a non%-empty string")
    t.raises(function() prompt.ask{ question = "Q" } end, "give either options")
    t.raises(function() prompt.ask{ question = "Q", options = { "a" }, fields = { n = "integer" } } end, "give either options")
    t.raises(function() prompt.ask{ question = "Q", options = {} } end, "options must be a list of 1 to 100 strings")
    t.raises(function() prompt.ask{ question = "Q", options = { "a", "a" } } end, "'a' is there twice")
    t.raises(function() prompt.ask{ question = "Q", options = { "a" }, timeout = -1 } end, "timeout must be a duration")
    t.raises(function() prompt.ask{ question = "Q", options = { "a" }, remind = "soon" } end, "remind must be a duration")
    t.raises(function() prompt.ask{ question = "Q", options = { "a" }, remind = 60 } end, "remind needs notify")
    t.raises(function() prompt.ask{ question = "Q", options = { "a" }, escalate = { after = "1h" } } end,
      "escalate.to must be a role or user name")
    t.raises(function() prompt.ask{ question = "Q", options = { "a" }, notify = { email = { to = {} } } } end,
      "notify.email.to must be")
    t.raises(function() prompt.wait(42) end, "prompt.wait%(id%)")
    t.raises(function() prompt.wait("short") end, "must be a prompt id")
  end,

  ["field types, labels, defaults: the one check"] = function()
    t.raises(function() prompt.ask{ question = "Q", fields = { n = "float" } } end,
      "fields.n: type must be one of string, text, number, integer, boolean, choice, choices, date")
    t.raises(function() prompt.ask{ question = "Q", fields = { n = { type = "integer", lable = "N" } } } end,
      "fields.n: unknown key 'lable'")
    t.raises(function() prompt.ask{ question = "Q", fields = { n = { type = "integer", default = "x" } } } end,
      'fields.n: the default must be a whole number, got "x"')
    t.raises(function() prompt.ask{ question = "Q", fields = { d = { type = "date", default = "2026-02-30" } } } end,
      "must be a date as YYYY%-MM%-DD")
    t.raises(function() prompt.ask{ question = "Q", fields = { e = { type = "choice" } } } end,
      "fields.e.options must be a list")
    t.raises(function() prompt.ask{ question = "Q", fields = { e = { type = "choice", options = { "a" }, default = "b" } } } end,
      '"b" is not one of: a')
    t.raises(function() prompt.ask{ question = "Q", fields = { { type = "string" } } } end, "needs name")
    t.raises(function() prompt.ask{ question = "Q", fields = { choice = "string" } } end, "a field name is")
    -- Every type, well formed: only the missing durable run stops it.
    t.raises(function() prompt.ask{ question = "Q", fields = every, to = "approver", timeout = "1h", default = {},
      notify = { slack = { channel = "#soc" }, email = { to = { "ana", "x@example.org" } } },
      remind = "30m", escalate = { after = "2h", to = "managers" } } end, "needs a durable run")
    t.raises(function() prompt.create{ question = "Q", fields = every } end, "prompt.create needs a durable run")
    t.raises(function() prompt.wait("01a23c32-3e34-7860-8513-2d369ef462e7") end, "prompt.wait needs a durable run")
  end,
}
