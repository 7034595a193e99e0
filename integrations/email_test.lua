-- email: the integration's mock (the real send is tested in tests/e2e/email_smtp.sh).
local t = require("testing")

return {
  ["mock send"] = function()
    local r = integration("email", { mock = true }).send{ to = { "a@example.com", "b@example.com" },
      subject = "s", text = "t" }
    t.eq(r.recipients, 2)
    t.match(r.id, "^<%x+@mock%.invalid>$")
  end,
  ["email.send misuse raises"] = function()
    t.raises(function() email.send{ to = "x", text = "t" } end, "is not an email address")
    t.raises(function() email.send{ text = "t" } end, "no recipient")
    t.raises(function() email.send{ to = "a@example.com", colour = "red" } end, "unknown field colour")
  end,
}
