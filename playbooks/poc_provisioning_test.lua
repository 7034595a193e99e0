-- poc_provisioning: what runs without a person. The manager's approval by the
-- emailed link, the provisioning calls with the platform's secrets and the
-- requester's email run under the daemon: tests/e2e/serve_people.sh.
local t = require("testing")

local function input(extra)
  local i = { owner = "rita@example.org", company = "Acme", manager_email = "max@example.org" }
  for k, v in pairs(extra or {}) do i[k] = v end
  return i
end

return {
  ["the number of accounts is checked before anything is asked"] = function()
    t.raises(function() playbook.call("poc_provisioning", input{ accounts = 0 }) end,
      "accounts: 1 to 50, not 0")
    t.raises(function() playbook.call("poc_provisioning", input{ accounts = 51 }) end,
      "accounts: 1 to 50, not 51")
  end,

  ["a region not offered is refused"] = function()
    t.raises(function() playbook.call("poc_provisioning", input{ region = "mars" }) end, "region")
  end,

  ["the owner and the manager are required"] = function()
    t.raises(function() playbook.call("poc_provisioning", { company = "Acme" }) end, "owner")
  end,
}
