-- The `slack` namespace (runtime/prims/prim_slack.c loads it): post and prompt are the
-- slack integration's commands (so they are steps, and mock and fixtures apply);
-- buttons builds the Block Kit blocks of a prompt; verify is C.
local integration, verify = ...

local M = {}

--- slack.post{channel=, text=, blocks=, thread_ts=} -> {ok, channel, ts} | nil, err
function M.post(args) return integration("slack").post(args) end

--- slack.prompt{channel=, prompt_id=, question=, options={...}} -> {ok, channel, ts} | nil, err
function M.prompt(args) return integration("slack").prompt(args) end

--- slack.buttons(prompt_id, question, options) -> Block Kit blocks
function M.buttons(id, question, options)
  if type(id) ~= "string" or type(question) ~= "string" or type(options) ~= "table" then
    error("slack.buttons(prompt_id: string, question: string, options: {string...})", 2)
  end
  local buttons = {}
  for i, opt in ipairs(options) do
    buttons[i] = { type = "button", text = { type = "plain_text", text = opt },
                   action_id = "soarctl_answer_" .. i, value = id .. ":" .. opt }
  end
  return {
    { type = "section", text = { type = "mrkdwn", text = question } },
    { type = "actions", block_id = "soarctl_prompt:" .. id, elements = buttons },
  }
end

--- slack.verify{secret=, timestamp=, body=, signature=} -> true | false, reason
M.verify = verify

return M
