-- luacheck configuration: the sandbox's globals (see docs/lua-api.md).
std = "luajit"
max_line_length = 110
codes = true

-- What the sandbox gives playbooks, integrations and tests, besides the safe
-- subset of Lua's standard library.
read_globals = {
  "log", "json", "base64", "hex", "crypto", "uuid", "time", "re",
  "case", "indicator", "prompt", "secret",
  "http", "integration", "edl", "slack", "email",
  "random", "pick", "sleep", "wait_until", "task", "retry", "playbook",
}

-- Not in the sandbox: reading them fails at run time, so flag them here too.
not_globals = {
  "io", "debug", "ffi", "jit", "dofile", "loadfile", "getfenv", "setfenv",
  "newproxy", "module", "package",
}

-- LuaLS definitions declare globals and leave parameters unused by design.
files["lua/soarctl.meta.lua"] = { ignore = { "121", "122", "212" } }

files["tests/lua/sandbox_test.lua"] = {
  -- The escape suite touches forbidden globals on purpose.
  not_globals = {},
  allow_defined_top = true,
  -- (writes to read-only fields, new globals, unused mutations are the point)
  ignore = { "111", "113", "122", "142", "143", "241" },
}
