-- Bonusly: peer recognition points. Reads the giving balance, lists users, and
-- gives points with a reason ("+10 @alice for #thanks ..."), as the use case
-- "spend unused Bonusly points" needs. API: https://bonusly.gelato.io (v1),
-- Bearer token (secret bonusly.api_token).
local function user_of(ctx, u, where)
  return {
    id = ctx.need(u, "id", "string"),
    username = ctx.need(u, "username", "string"),
    email = u.email,
    full_name = u.full_name,
  }, where
end

return {
  name = "bonusly",
  version = "1.0.0",
  api_version = "v1",
  description = "Bonusly recognition: giving balance, users, bonuses",
  hosts = { "bonus.ly" },
  secrets = { "api_token" },
  config = {
    base_url = { type = "url", default = "https://bonus.ly", description = "API root" },
    timeout = { type = "number", default = 15, description = "seconds per request" },
  },
  commands = {
    balance = {
      description = "Points the token's user can still give this month",
      args = {},
      outputs = { giving_balance = "integer", username = "string" },
      run = function(ctx)
        local body, err, detail = ctx.expect(ctx.http.get(ctx.url("/api/v1/users/me"), {
          bearer = ctx.secret("api_token"), timeout = ctx.config.timeout }))
        if not body then return nil, err, detail end
        return {
          giving_balance = ctx.need(body, "result.giving_balance", "number"),
          username = ctx.need(body, "result.username", "string"),
        }
      end,
    },
    users = {
      description = "Users of the company (optionally one, by email)",
      args = {
        email = { type = "string", description = "only this user" },
        limit = { type = "integer", default = 50, description = "at most this many (1-100)" },
      },
      outputs = { users = { type = "list", of = { id = "string", username = "string",
                                                  email = "string?", full_name = "string?" } } },
      run = function(ctx, args)
        local body, err, detail = ctx.expect(ctx.http.get(ctx.url("/api/v1/users"), {
          bearer = ctx.secret("api_token"), timeout = ctx.config.timeout,
          query = { limit = args.limit, email = args.email } }))
        if not body then return nil, err, detail end
        local list = ctx.need(body, "result", "table")
        local users = {}
        for i, u in ipairs(list) do users[i] = user_of(ctx, u) end
        return { users = users }
      end,
    },
    give = {
      description = "Give points to a colleague with a reason",
      args = {
        to = { type = "string", required = true, description = "username, without @" },
        amount = { type = "integer", default = 10, description = "points (1-100)" },
        hashtag = { type = "string", default = "#thanks", description = "a company value" },
        text = { type = "string", default = "for your help", description = "the rest of the reason" },
      },
      outputs = { id = "string", amount = "integer", reason = "string" },
      run = function(ctx, args)
        if args.amount < 1 or args.amount > 100 then
          error("bonusly.give: amount must be from 1 to 100", 0)
        end
        if not args.to:match("^[%w._-]+$") then
          error("bonusly.give: to must be a username (letters, digits, . _ -)", 0)
        end
        local hashtag = args.hashtag:sub(1, 1) == "#" and args.hashtag or "#" .. args.hashtag
        local reason = string.format("+%d @%s %s %s", args.amount, args.to, hashtag, args.text)
        local body, err, detail = ctx.expect(ctx.http.post(ctx.url("/api/v1/bonuses"), {
          bearer = ctx.secret("api_token"), timeout = ctx.config.timeout,
          json = { reason = reason } }))
        if not body then return nil, err, detail end
        return {
          id = ctx.need(body, "result.id", "string"),
          amount = args.amount,
          reason = ctx.need(body, "result.reason", "string"),
        }
      end,
    },
  },
  mock = {
    -- A balance drawn once per integration object (ctx.state), taken down by
    -- each give, so a run that spends it stops on balance as with the real API.
    balance = function(ctx)
      local st = ctx.state
      st.balance = st.balance or ctx.fake.pick({ 0, 10, 20, 30, 40, 50, 70, 100 })
      return { giving_balance = st.balance, username = "me" }
    end,
    users = function(ctx, args)
      local names = { "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi" }
      local users = {}
      for i = 1, math.min(args.limit, #names) do
        local n = names[i]
        users[i] = { id = ctx.fake.hex(24), username = n, email = n .. "@example.com",
                     full_name = n:sub(1, 1):upper() .. n:sub(2) .. " Example" }
      end
      if args.email then
        for _, u in ipairs(users) do if u.email == args.email then return { users = { u } } end end
        return { users = {} }
      end
      return { users = users }
    end,
    give = function(ctx, args)
      local st = ctx.state
      st.balance = st.balance or 100
      if args.amount > st.balance then
        return nil, "refused", string.format("giving balance %d is under %d", st.balance, args.amount)
      end
      st.balance = st.balance - args.amount
      local hashtag = args.hashtag:sub(1, 1) == "#" and args.hashtag or "#" .. args.hashtag
      return { id = ctx.fake.hex(24), amount = args.amount,
               reason = string.format("+%d @%s %s %s", args.amount, args.to, hashtag, args.text) }
    end,
  },
}
