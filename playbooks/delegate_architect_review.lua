-- delegate_architect_review: delegate one task to another team (docs/cookbook.md,
-- "delegate"). A change request arrives as a case owned by the team that runs the
-- process; one task of it, the architecture review, is the architects' alone:
-- only their role can answer it, it has its own SLA (two days by default), the
-- architects are emailed a link, reminded every day, and if nobody answers in
-- time the review escalates to the architecture leads (who may answer too) and
-- the task's SLA breach raises the case's severity and tells the lead. The case,
-- its reports and dashboards stay the original owner's throughout.
-- Try it: post {"type": "change_request", "title": "Open 8333/tcp on the DMZ",
--   "requester": "alice", "change": "allow inbound 8333/tcp to node01"}.
return {
  name = "delegate_architect_review",
  description = "Delegates the architecture review of a change request to the architects' "
    .. "role with its own SLA, a daily reminder and an escalation; the case stays its owner's",
  version = "1.0.0",
  minutes_saved = 30,
  triggers = { { type = "change_request" } },
  inputs = {
    architects = { type = "string", default = "architects", description = "the role that reviews" },
    architects_email = { type = "string", default = "architects@example.org",
                         description = "where the review's link is emailed" },
    sla = { type = "integer", default = 172800, description = "seconds the review may take" },
    remind = { type = "string", default = "1d", description = "remind the architects this often" },
    escalate_to = { type = "string", default = "architecture-leads",
                    description = "who may answer too once the SLA has passed" },
    lead_email = { type = "string", default = "architecture-lead@example.org",
                   description = "told when the review's SLA is breached" },
    change = { type = "string", description = "the change, when not run on a case" },
  },
  run = function(ctx, input)
    local change, requester, title
    if ctx.case then
      local c = assert(case.get(ctx.case))
      local src = type(c.source) == "string" and json.decode(c.source) or c.source or {}
      change, requester, title = src.change or c.title, src.requester, c.title
    else
      change = input.change or error("run it on a case (the daemon does) or give --input change=TEXT", 0)
      title = change
    end
    if ctx.case then
      case.note(ctx.case, "architecture review delegated to " .. input.architects)
    end
    local review = task("architecture review", function()
      return prompt.ask{
        question = string.format("Architecture review: %s\n\nChange: %s\nRequested by: %s",
          title, change, requester or "?"),
        fields = {
          { name = "decision", type = "choice", label = "Decision",
            options = { "approve", "approve with changes", "reject" } },
          { name = "comments", type = "text", label = "Comments", required = false,
            help = "conditions, risks, what to change" },
        },
        -- `to` is the task's role: only the architects (and, later, the leads).
        notify = { email = { to = input.architects_email } },
        remind = input.remind,
        escalate = { after = input.sla, to = input.escalate_to },
      }
    end, { role = input.architects, sla = input.sla,
           on_breach = { severity = "raise", notify = { email = input.lead_email,
             text = "The architecture review of '" .. title .. "' is past its SLA." } } })
    local d = review.value
    if ctx.case then
      case.note(ctx.case, string.format("architecture review: %s by %s%s", d.decision, review.by,
        d.comments and d.comments ~= "" and (": " .. d.comments) or ""),
        { kind = "result", data = { decision = d.decision, by = review.by, at = review.at } })
    end
    return { decision = d.decision, by = review.by, comments = d.comments }
  end,
}
