-- hello: the smallest useful playbook. Greets someone, shows inputs, logging,
-- the primitives and a result. Try:
--   soarctl run playbooks/hello.lua --input name=Ada --input times=2
return {
  name = "hello",
  description = "Greets someone and shows what a run returns",
  version = "1.0.0",
  minutes_saved = 0,
  inputs = {
    name  = { type = "string",  default = "world", description = "who to greet" },
    times = { type = "integer", default = 1, description = "how many greetings" },
  },
  run = function(ctx, input)
    local greetings = {}
    for i = 1, input.times do
      greetings[i] = string.format("Hello, %s! (%d)", input.name, i)
    end
    log.info("greeted", { name = input.name, times = input.times })
    return {
      greetings = greetings,
      run_id = ctx.run_id,
      digest = crypto.sha256(input.name),
      at = time.iso(time.now()),
    }
  end,
}
