#!/usr/bin/env bash
# soarctl debug --dap: a scripted DAP client (tests/e2e/dap_client.py) launches
# a playbook against the stand-in (breakpoints with a condition and a hit
# count, a function breakpoint on a step, stack, scopes, variables, evaluate,
# stepIn/Out, next, stepBack and reverseContinue to the previous breakpoint by
# replay, tables expanded in variables), attaches to a recorded run, and
# pauses a playbook spinning in a loop. A secret evaluates to [secret:NAME].
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
standin_start
trap 'kill "$STANDIN_PID" 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || fail "init"
secret='hunter2-dap-secret'
printf '%s' "$secret" | "$S" secret set dbg.token >/dev/null 2>&1 || fail "secret set"
"$S" secret grant dbg.token --playbook dbg-demo >/dev/null 2>&1 || fail "secret grant"
cat > "$SOAR_TMP/demo.lua" <<LUA
local threshold = 80
local function verdict(score)
  local label = "benign"
  if score > threshold then
    label = "malicious"
  end
  return label
end

return {
  name = "dbg-demo", hosts = { "127.0.0.1" },
  run = function(ctx, input)
    local token = secret.get("dbg.token")
    local t = time.now()
    local r = http.get("$base/json")
    local score = r.json.n
    for i = 1, 3 do
      score = score + 1
    end
    local v = verdict(score)
    return { verdict = v, score = score, t = t }
  end,
}
LUA
cat > "$SOAR_TMP/spin.lua" <<'LUA'
return { name = "spin", run = function()
  local n = 0
  while true do n = n + 1 end
end }
LUA
expect_exit 0 -- "$S" run "$SOAR_TMP/demo.lua" --json
run=$(json_field "$out" 'j["run_id"]')
checks=$((checks + 1))
"$PY" "$SOAR_SRC/tests/e2e/dap_client.py" "$S" "$SOAR_TMP/demo.lua" "$run" "$secret" "$SOAR_TMP/spin.lua" \
	|| fail "the DAP session (dap_client.py)"
finish
