-- slack: the integration offline (fixtures, mock), prompt buttons, signatures.
local t = require("testing")

return {
  ["fixture: a post, then a revoked token is nil, denied"] = function()
    local s = integration("slack", { fixture = "post", config = { channel = "#soc" } })
    local r = s.post{ text = "Blocked 185.220.101.4" }
    t.eq(r, { ok = true, channel = "C024BE91L", ts = "1700000000.000100" })
    local none, err, detail = s.post{ text = "again" }
    t.eq(none, nil)
    t.eq(err, "denied")
    t.eq(detail, "invalid_auth")
  end,

  ["mock: slack.post is a step with realistic output"] = function()
    local s = integration("slack", { mock = true })
    local r = s.post{ channel = "#soc", text = "hi" }
    t.eq(r.ok, true)
    t.eq(r.channel, "#soc")
    t.match(r.ts, "^17000%d+%.%d+$")
    t.raises(function() s.post{ channel = "#soc" } end, "give text or blocks")
  end,

  ["buttons carry the prompt id"] = function()
    local b = slack.buttons("0190-prompt", "Block 185.220.101.4?", { "yes", "no" })
    t.eq(b[1].text.text, "Block 185.220.101.4?")
    t.eq(b[2].block_id, "soarctl_prompt:0190-prompt")
    t.eq(b[2].elements[2].value, "0190-prompt:no")
    t.eq(b[2].elements[1].type, "button")
    t.ok(json.encode(b))
  end,

  ["verify: a fresh signature over the body"] = function()
    local secret, ts, body = "s3cret", tostring(os.time()), "payload=%7B%7D"
    local sig = "v0=" .. crypto.hmac_sha256(secret, "v0:" .. ts .. ":" .. body)
    t.eq(slack.verify{ secret = secret, timestamp = ts, body = body, signature = sig }, true)
    local ok, why = slack.verify{ secret = secret, timestamp = ts, body = body .. "x", signature = sig }
    t.eq(ok, false)
    t.eq(why, "bad signature")
    local old = tostring(os.time() - 600)
    sig = "v0=" .. crypto.hmac_sha256(secret, "v0:" .. old .. ":" .. body)
    t.eq(select(2, slack.verify{ secret = secret, timestamp = old, body = body, signature = sig }),
      "stale timestamp")
    t.raises(function() slack.verify{ secret = secret } end, "timestamp is nil, not a string")
  end,
}
