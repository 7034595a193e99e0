-- inbound_ip_reputation: the paths of the playbook, offline (mock integrations).
-- The daemon's part (pre-processing dedupe, triggers, GET /edl, SMTP) is in
-- tests/e2e/serve_ip_reputation.sh.
local t = require("testing")

local function run(alert, extra)
  local input = { alert = json.encode(alert), mock = true, owner = "owner@example.org",
    from = "soar@example.org" }
  for k, v in pairs(extra or {}) do input[k] = v end
  return playbook.call("inbound_ip_reputation", input)
end

return {
  ["an alert without a source IP ends gracefully"] = function()
    local r = run({ type = "connection", dst_port = 8333 })
    t.eq(r.action, "none")
    t.eq(r.reason, "the alert has no source IP")
  end,

  ["an empty source IP is no source IP"] = function()
    t.eq(run({ type = "connection", src_ip = "" }).action, "none")
  end,

  ["a verdict for an IP: closed when good, blocked (EDL) when bad"] = function()
    local seen = {}
    for i = 1, 12 do
      local ip = "203.0.113." .. i
      local r = run({ type = "connection", src_ip = ip }, { edl = "test_blocked" })
      t.eq(r.ip, ip)
      seen[r.action] = true
      if r.action == "blocked" then
        t.ok(r.score >= 75, "blocked only from the threshold")
        t.eq(edl.has("test_blocked", ip), true)
        t.ok(r.country ~= nil, "enriched with geo")
      else
        t.eq(r.action, "closed")
        t.ok(r.score < 75)
        t.eq(edl.has("test_blocked", ip), false)
      end
    end
    t.ok(seen.blocked or seen.closed)
  end,

  ["threshold 0 blocks every IP"] = function()
    local r = run({ type = "connection", src_ip = "198.51.100.7" }, { threshold = 0, edl = "all" })
    t.eq(r.action, "blocked")
    t.eq(edl.has("all", "198.51.100.7"), true)
  end,

  ["declares its trigger and its pre-processing dedupe"] = function()
    -- What the daemon reads: runs on connection alerts; one case per IP an hour.
    local ok = pcall(function() playbook.call("inbound_ip_reputation", {}) end)
    t.eq(ok, false, "without a case or an alert it refuses")
  end,

  ["the reputation source is chosen by configuration: virustotal, greynoise"] = function()
    for _, source in ipairs({ "virustotal", "greynoise" }) do
      local actions = {}
      for i = 1, 12 do
        local r = run({ type = "connection", src_ip = "203.0.113." .. i },
          { source = source, edl = "t_" .. source })
        t.ok(r.action == "closed" or r.action == "blocked", source .. ": " .. tostring(r.action))
        t.ok(r.score >= 0 and r.score <= 100)
        actions[r.action] = true
        if r.action == "blocked" then t.ok(r.score >= 75, source .. " blocks from the threshold") end
      end
      t.ok(actions.closed and actions.blocked, source .. ": both paths seen in 12 IPs")
    end
    t.raises(function() run({ type = "connection", src_ip = "203.0.113.1" }, { source = "shodan" }) end,
      "input source must be one of abuseipdb, virustotal, greynoise")
  end,
}
