#!/usr/bin/env bash
# soarctl debug: at a terminal (tests/e2e/debug_pty.py through a pseudo-terminal)
# against the stand-in; piped commands; --dry asking for a step's result; and a
# run that failed inside `soarctl serve`, replayed with `debug --run` to its
# failing line without one request reaching the stand-in.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
standin_start
trap 'kill "$STANDIN_PID" 2>/dev/null; [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || fail "init"
secret='hunter2-dbg-secret'
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
cat > "$SOAR_TMP/loop.lua" <<'LUA'
return { name = "loop",
  run = function()
    local n = 7
    while n > 0 do n = n + 1 end
  end }
LUA

has_line() { checks=$((checks + 1)); printf '%s\n' "$1" | grep -qE "$2" || fail "$3: no line matches /$2/ in: $1"; }

checks=$((checks + 1))
"$PY" "$SOAR_SRC/tests/e2e/debug_pty.py" "$S" "$SOAR_TMP/demo.lua" "$SOAR_TMP/loop.lua" "$secret" \
	|| fail "the terminal session (debug_pty.py)"
checks=$((checks + 1))
grep -q 'override' "$SOARCTL_DATA/debug_history" 2>/dev/null || fail "history kept in the data directory"

# Piped: --dry asks for the http step's result (nothing sent), override answers.
before=$(curl -s "$base/stats")
expect_exit 0 -- sh -c "printf 'run\noverride {\"status\":200,\"json\":{\"n\":1}}\ncontinue\nsteps\nquit\n' | '$S' debug --dry '$SOAR_TMP/demo.lua'"
contains "$out" "step 2 http.request would touch the world, and this run is dry" "--dry asks"
contains "$out" '"score":4' "--dry took the override"
contains "$out" "(dry: nothing recorded)" "--dry records nothing"
lacks "$out$err" "$secret" "a secret's value"
# A run's past changed (override of a replayed step): the recorded run keeps
# its journal and result, the session goes on in memory. watch and hit counts.
cat > "$SOAR_TMP/three.lua" <<LUA
return { name = "three", hosts = { "127.0.0.1" },
  run = function()
    local a = time.now()
    local r = http.get("$base/json")
    local c = 0
    for i = 1, 5 do c = c + i end
    return { n = r.json.n, c = c }
  end }
LUA
expect_exit 0 -- sh -c "printf 'run\ngoto 2\noverride {\"status\":200,\"json\":{\"n\":7}}\nbreak 6 hits 4\nc\np i\nwatch c\nc\nc\nc\nc\nsteps\nquit\n' | '$S' debug '$SOAR_TMP/three.lua'"
contains "$out" '"c":15,"n":42' "the first execution"
contains "$out" "history changed at step 2" "history changed"
contains "$out" '"c":15,"n":7' "the other history"
contains "$out" "(not recorded: its history was changed)" "not recorded"
has_line "$out" '^4$' "hits 4 stopped on the 4th hit"
has_line "$out" '^watch 1: c = 6$' "watch shown"
first=$(printf '%s\n' "$out" | sed -n 's/^run \([0-9a-f-]*\) succeeded.*/\1/p' | head -1)
expect_exit 0 -- "$S" runs show "$first" --json
checks=$((checks + 1))
[ "$(json_field "$out" 'j["run"]["result"]["n"]')" = 42 ] || fail "the recorded run kept its result: $out"
# Printed code takes no steps (the journal would change).
expect_exit 0 -- sh -c "printf 'break 6\nrun\noverride {\"status\":200,\"json\":{\"n\":1}}\nc\np http.get(\"$base/ok\")\np c + 1\nquit\n' | '$S' debug --dry '$SOAR_TMP/three.lua'"
contains "$out" "http.request: print, watch and conditions take no steps" "print takes no steps"
has_line "$out" '^1$' "print after a refused step"

# A task's name as a breakpoint; list around the stop; frame N moves the
# view to the caller; rcontinue travels back to the previous stop.
cat > "$SOAR_TMP/tasks.lua" <<'LUA'
local function double(x)
  local y = x * 2
  return y
end

return { name = "tasks",
  run = function()
    local total = 0
    task("enrich", function() total = total + 1 end)
    task("contain", function() total = total + 10 end)
    local d = double(total)
    return { total = total, d = d }
  end }
LUA
expect_exit 0 -- sh -c "printf 'break contain\nrun\np total\nlist\nbreak 2\nc\nbt\nframe 1\np total\nlist\nrcontinue\np total\nrc\nc\nc\nc\nquit\n' | '$S' debug '$SOAR_TMP/tasks.lua'"
has_line "$out" '^breakpoint 1, step [0-9]+ task' "a task name as a breakpoint"
has_line "$out" '^1$' "print at the task breakpoint (enrich ran, contain not yet)"
has_line "$out" '^>  +10  +task\("contain"' "list marks the current line"
has_line "$out" '^    9  +task\("enrich"' "list shows the lines around"
has_line "$out" '^breakpoint 2, tasks.lua:2$' "a line breakpoint in a function"
has_line "$out" '^ #1  tasks.lua:11' "backtrace shows the caller"
has_line "$out" '^tasks.lua:11 +local d = double\(total\)$' "frame 1 shows the caller's line"
has_line "$out" '^11$' "print in frame 1 sees the caller's local"
has_line "$out" '^>  +11  +local d = double' "list follows the frame"
has_line "$out" '^breakpoint 1, step [0-9]+ task.*travelled back' "rcontinue went back to the task breakpoint"
has_line "$out" '^at the start|^no stop before' "rcontinue with no earlier stop goes to the start"
contains "$out" '"d":22' "the run finished after travelling"

expect_exit 2 -- "$S" debug
expect_exit 2 -- "$S" debug --bogus x.lua
expect_exit 1 -- "$S" debug --run 01a00000-0000-7000-8000-000000000000
contains "$err" "01a00000-0000-7000-8000-000000000000" "an unknown run is named"

# A run that fails inside the daemon, then replayed to its failing line.
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
cat > "$pb/fail.lua" <<LUA
return {
  name = "dbg-fail", triggers = { { type = "dbgfail" } }, hosts = { "127.0.0.1" },
  run = function(ctx)
    local told = http.post("$base/webhook/dbg", { body = "looked" })
    local r = http.get("$base/status/500")
    if r.status ~= 200 then
      error("lookup failed with status " .. r.status)
    end
    return { ok = true }
  end,
}
LUA
TOK=$("$S" user token --label e2e 2>/dev/null)
serve_start --playbooks "$pb"
curl -s -H "Authorization: Bearer $TOK" -X POST "$A/api/v1/alerts" -d '[{"type":"dbgfail"}]' >/dev/null
run=
for _ in $(seq 100); do
	run=$("$S" runs list --json --limit 1000 | "$PY" -c '
import json, sys
print(" ".join(r["id"] for r in json.load(sys.stdin) if r["playbook"] == "dbg-fail" and r["status"] == "failed"))')
	[ -n "$run" ] && break; sleep 0.05
done
checks=$((checks + 1))
[ -n "$run" ] || fail "the daemon's run did not fail: $("$S" runs list 2>&1)"
hooks() { json_field "$(curl -s "$base/stats")" 'len([h for h in j["webhooks"] if h["path"] == "/webhook/dbg"])'; }
n_before=$(hooks)
checks=$((checks + 1))
[ "$n_before" = 1 ] || fail "the daemon's run posted $n_before times"
expect_exit 0 -- sh -c "printf 'continue\np r.status\nbt\nsteps\nquit\n' | '$S' debug --run $run"
contains "$out" "replaying to where it failed" "stops where it failed"
contains "$out" "the run failed at this line" "the failing line"
has_line "$out" '^fail.lua:7 +error\("lookup failed with status " \.\. r\.status\)$' "the failing line's text"
has_line "$out" '^500$' "print in the failing frame"
has_line "$out" '^ +2  http.request' "the journaled steps"
checks=$((checks + 1))
[ "$(hooks)" = "$n_before" ] || fail "the replay reached the stand-in: $(hooks) posts, $n_before before"
expect_exit 0 -- "$S" runs show "$run" --json
checks=$((checks + 1))
[ "$(json_field "$out" 'j["run"]["status"]')" = failed ] || fail "the recorded run is untouched: $out"
serve_stop || fail "serve exit status"

finish
