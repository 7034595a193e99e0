-- The sandbox prelude: the Lua halves of primitives that call back into playbook
-- code. They are Lua, not C, so that a step inside the callback may make the run
-- wait (a C function in between would stop the coroutine from yielding).
-- Loaded once per interpreter by runtime/prims/prims.c with the raw C helpers; what it
-- returns becomes globals of every run.
local raw = ...
local M = {}

local function pack(...) return { n = select("#", ...), ... } end

-- An option a function does not know is a usage error (a typo such as `atempts`
-- would otherwise be silently ignored).
local function known_opts(opts, allowed, sig)
  if type(opts) ~= "table" then return end
  for k in pairs(opts) do
    if not allowed[k] then
      local names = {}
      for n in pairs(allowed) do names[#names + 1] = n end
      table.sort(names)
      error(("%s: unknown option '%s' (known: %s)"):format(sig, tostring(k),
        table.concat(names, ", ")), 3)
    end
  end
end

local TASK_OPTS = { owner = true, role = true, sla = true, on_breach = true, minutes_saved = true }
local RETRY_OPTS = { attempts = true, backoff = true, on = true }

--- task(name, fn [, {owner=, role=, sla=seconds, on_breach=, minutes_saved=}]): runs fn(info)
-- as a named task. minutes_saved: what the task saves each time it completes (ROI).
function M.task(name, fn, opts)
  if type(fn) ~= "function" then
    error("task(name: string, fn: function [, opts: table]): fn is a " .. type(fn), 2)
  end
  known_opts(opts, TASK_OPTS, "task(name, fn [, {owner=, role=, sla=, on_breach=, minutes_saved=}])")
  local info = raw.task_enter(name, opts)
  local r = pack(pcall(fn, info))
  raw.task_leave(info, r[1])
  if not r[1] then error(r[2], 0) end
  return unpack(r, 2, r.n)
end

local function matches(err, on)
  if not on then return true end
  local text = tostring(err)
  for _, pattern in ipairs(on) do
    if text:find(pattern, 1, true) then return true end
  end
  return false
end

--- retry(fn [, {attempts=3, backoff=1, on={"timeout", ...}}]): calls fn(attempt)
-- until it succeeds. A raised error, or a `nil, err` return, is retried (only
-- when err contains one of `on`, if given), after backoff * 2^(attempt-1)
-- seconds (a durable sleep). The last failure is raised or returned as it came.
function M.retry(fn, opts)
  if type(fn) ~= "function" then
    error("retry(fn: function [, opts: table]): fn is a " .. type(fn), 2)
  end
  known_opts(opts, RETRY_OPTS, "retry(fn [, {attempts=, backoff=, on=}])")
  opts = opts or {}
  local attempts, backoff = opts.attempts or 3, opts.backoff or 1
  if type(attempts) ~= "number" or attempts < 1 then
    error("retry: attempts must be a number >= 1", 2)
  end
  local r
  for attempt = 1, attempts do
    r = pack(pcall(fn, attempt))
    local failed, err
    if not r[1] then
      failed, err = true, r[2]
    elseif r[2] == nil and r[3] ~= nil then
      failed, err = true, r[3]
    end
    if not failed then return unpack(r, 2, r.n) end
    if attempt == attempts or not matches(err, opts.on) then break end
    if backoff > 0 then raw.sleep(backoff * 2 ^ (attempt - 1)) end
  end
  if not r[1] then error(r[2], 0) end
  return unpack(r, 2, r.n)
end

--- playbook.call(name [, input]): runs another playbook inside this run; its
-- steps are part of this run's journal. playbook.start(name [, input [, opts]])
-- starts a separate child run (see docs/lua-api.md).
M.playbook = {
  call = function(name, input)
    local pb = raw.playbook_load(name)
    local ctx, checked = raw.playbook_inputs(pb, input)
    return pb.run(ctx, checked)
  end,
  start = raw.playbook_start,
}

return M
