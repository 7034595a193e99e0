-- poc_provisioning: a self-service process behind a form (docs/cookbook.md). A
-- person fills the form (GET /forms/poc_provisioning: owner, region, company,
-- accounts); the owner's manager approves by the emailed link (or Slack); then
-- the long provisioning runs across several systems with the platform's
-- secrets (the requester never holds a credential): a cloud project, the
-- accounts in it, a CRM record. The requester is emailed the outcome. The
-- process owners (role `devops`) step in only when something fails: the
-- request's case is raised to them with what failed.
-- The systems' base URL and secrets: `api` (default the stand-in used by the
-- tests), secrets poc.cloud_token and poc.crm_token granted to this playbook
-- (soarctl secret set ...; soarctl secret grant NAME --playbook poc_provisioning).
return {
  name = "poc_provisioning",
  description = "Self-service: provisions a proof-of-concept environment (cloud project, "
    .. "accounts, CRM record) after the requester's manager approves",
  version = "1.0.0",
  minutes_saved = 90,
  form = { title = "Proof-of-concept environment",
           description = "Asks your manager, then provisions the environment and emails you.",
           roles = { "requester", "admin" } },
  hosts = { "127.0.0.1", "localhost" },
  inputs = {
    owner = { type = "string", label = "Owner's email", description = "who gets the accounts" },
    company = { type = "string", label = "Company", description = "the prospect's name" },
    region = { type = "string", label = "Region", default = "eu-west",
               options = { "eu-west", "eu-central", "us-east", "us-west" } },
    accounts = { type = "integer", label = "Accounts", default = 3,
                 description = "user accounts in the environment (1-50)" },
    manager_email = { type = "string", label = "Manager's email",
                      description = "who approves the request" },
    approvers = { type = "string", default = "approver", description = "the role that approves" },
    api = { type = "string", default = "http://127.0.0.1:8089",
            description = "base URL of the provisioning APIs" },
  },
  run = function(ctx, input)
    -- The form and the API check these already; playbook.call and `soarctl run`
    -- come here too.
    for _, k in ipairs({ "owner", "company", "manager_email" }) do
      if type(input[k]) ~= "string" or input[k] == "" then error(k .. " is required", 0) end
    end
    local offered = {}
    for _, r in ipairs({ "eu-west", "eu-central", "us-east", "us-west" }) do offered[r] = true end
    if not offered[input.region] then
      error("region: eu-west, eu-central, us-east or us-west, not " .. tostring(input.region), 0)
    end
    if input.accounts < 1 or input.accounts > 50 then
      error("accounts: 1 to 50, not " .. input.accounts, 0)
    end
    local req = case.create{ title = string.format("PoC for %s (%s)", input.company, input.region),
      type = "poc_request", severity = "low", labels = { "self-service", "poc" },
      custom = { owner = input.owner, company = input.company, region = input.region,
                 accounts = input.accounts, run = ctx.run_id } }

    local approval = task("manager approval", function()
      return prompt.ask{
        question = string.format("%s asks for a proof-of-concept environment for %s in %s "
          .. "(%d accounts). Approve?", input.owner, input.company, input.region, input.accounts),
        options = { "approve", "deny" }, to = input.approvers,
        notify = { email = { to = input.manager_email } },
        timeout = "2d", default = "deny", remind = "1d",
      }
    end, { role = input.approvers })
    case.note(req.number, string.format("manager: %s (%s)", approval.value, approval.by or "timeout"))

    local function tell(subject, text)
      local ok, sent, err = pcall(email.send, { to = input.owner, subject = subject, text = text })
      if not ok or not sent then
        case.note(req.number, "email to the requester not sent: " .. tostring(ok and err or sent))
      end
    end

    if approval.value ~= "approve" then
      case.close(req.number, approval.timed_out and "not approved in time" or "denied by the manager")
      tell("Your PoC request for " .. input.company .. " was not approved",
        approval.timed_out and "Your manager did not answer within two days.\n"
          or ("Denied by " .. tostring(approval.by) .. ".\n"))
      return { provisioned = false, approval = approval.value }
    end

    -- The long part: each call retried on timeouts and 5xx; the platform holds
    -- the credentials.
    local cloud = assert(secret.get("poc.cloud_token"))
    local crm = assert(secret.get("poc.crm_token"))
    local function call(what, path, token, body)
      local r, err = retry(function()
        local resp, e = http.post(input.api .. path, { json = body, bearer = token, timeout = 15 })
        if resp and resp.status >= 500 then return nil, "status " .. resp.status end
        return resp, e
      end, { attempts = 3, backoff = 2 })
      if not r or r.status >= 300 then
        error(string.format("%s failed: %s", what, r and ("status " .. r.status) or tostring(err)), 0)
      end
      return r.json or {}
    end
    local ok, result = pcall(function()
      local project = task("cloud project", function()
        return call("creating the cloud project", "/webhook/cloud/projects", cloud,
          { name = "poc-" .. input.company:lower():gsub("[^%w]+", "-"), region = input.region })
      end)
      local users = task("accounts", function()
        local made = {}
        for i = 1, input.accounts do
          made[i] = call("creating account " .. i, "/webhook/cloud/users", cloud,
            { project = project.id or project.name, n = i, owner = input.owner })
        end
        return made
      end)
      task("CRM record", function()
        return call("recording the PoC in the CRM", "/webhook/crm/pocs", crm,
          { company = input.company, owner = input.owner, region = input.region })
      end)
      return { accounts = #users }
    end)
    if not ok then
      -- The process owners step in: the request is theirs now, with the reason.
      case.update(req.number, { severity = "high", role = "devops", status = "active" })
      case.note(req.number, "provisioning failed: " .. tostring(result))
      tell("Your PoC for " .. input.company .. " needs a hand",
        "Provisioning stopped: " .. tostring(result) .. "\nThe DevOps team has been asked to finish it.\n")
      return { provisioned = false, error = tostring(result), case = req.number }
    end
    case.close(req.number, "provisioned")
    tell("Your PoC for " .. input.company .. " is ready",
      string.format("Region %s, %d accounts. Case #%d has the details.\n", input.region,
        result.accounts, req.number))
    return { provisioned = true, accounts = result.accounts, case = req.number }
  end,
}
