#!/usr/bin/env bash
# soarctl run, init, help: exit codes, --json shape, errors that point at the file.
. "$(dirname "$0")/lib.bash"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"

expect_exit 0 -- "$SOARCTL" --version
contains "$out" "soarctl "
expect_exit 0 -- "$SOARCTL" --help
contains "$out" "run"
expect_exit 0 -- "$SOARCTL" help run
contains "$out" "--input-json"
expect_exit 0 -- "$SOARCTL" run --help
contains "$out" "Exit status"
expect_exit 2 -- "$SOARCTL" nosuchcommand
contains "$err" "no command 'nosuchcommand'"
expect_exit 2 -- "$SOARCTL"

# init: creates, then is harmless; 0700.
expect_exit 0 -- "$SOARCTL" init --data "$SOAR_TMP/d1" --json
[ "$(json_field "$out" 'j["created"]')" = True ] || fail "init --json created: $out"
[ "$(stat -c %a "$SOAR_TMP/d1")" = 700 ] || fail "data dir mode is $(stat -c %a "$SOAR_TMP/d1")"
expect_exit 0 -- "$SOARCTL" init --data "$SOAR_TMP/d1" --json
[ "$(json_field "$out" 'j["created"]')" = False ] || fail "second init: $out"
touch "$SOAR_TMP/afile"
expect_exit 1 -- "$SOARCTL" init --data "$SOAR_TMP/afile"
contains "$err" "not a directory"

# The bundled demo playbook, text and JSON.
expect_exit 0 -- "$SOARCTL" run "$SOAR_SRC/playbooks/hello.lua" --input name=Ada --input times=2
contains "$out" "Hello, Ada! (2)"
expect_exit 0 -- "$SOARCTL" run "$SOAR_SRC/playbooks/hello.lua" --json --input-json '{"name":"Bob","times":1}'
[ "$(json_field "$out" 'j["status"]')" = succeeded ] || fail "status: $out"
[ "$(json_field "$out" 'j["result"]["greetings"][0]')" = "Hello, Bob! (1)" ] || fail "result: $out"
[ "$(json_field "$out" 'j["error"]')" = None ] || fail "error should be null: $out"
[ "$(json_field "$out" 'sorted(j.keys())')" = "['duration_ms', 'error', 'playbook', 'result', 'run_id', 'status']" ] \
	|| fail "json keys: $out"
[ "$(json_field "$out" 'len(j["run_id"])')" = 36 ] || fail "run_id: $out"
[ "$(echo "$out" | wc -l)" = 1 ] || fail "--json must print exactly one line"

# A failing playbook: exit 1, file and line in the error.
cat > "$pb/fails.lua" <<'LUA'
return {
  name = "fails",
  run = function(ctx, input)
    local t = nil
    return t.field
  end,
}
LUA
expect_exit 1 -- "$SOARCTL" run "$pb/fails.lua" --json
[ "$(json_field "$out" 'j["status"]')" = failed ] || fail "status: $out"
[ "$(json_field "$out" 'j["error"]["line"]')" = 5 ] || fail "line: $out"
[ "$(json_field "$out" 'j["error"]["file"]')" = "$pb/fails.lua" ] || fail "file: $out"
contains "$(json_field "$out" 'j["error"]["message"]')" "attempt to index"
contains "$(json_field "$out" 'j["error"]["traceback"]')" "fails.lua:5"
expect_exit 1 -- "$SOARCTL" run "$pb/fails.lua"
contains "$err" "fails.lua:5"

# Invalid playbooks and inputs: exit 2 and a message that says which.
printf 'return {' > "$pb/syntax.lua"
expect_exit 2 -- "$SOARCTL" run "$pb/syntax.lua"
contains "$err" "not valid Lua"
echo 'return 42' > "$pb/notable.lua"
expect_exit 2 -- "$SOARCTL" run "$pb/notable.lua"
contains "$err" "must return a table"
echo 'return { name = "x" }' > "$pb/norun.lua"
expect_exit 2 -- "$SOARCTL" run "$pb/norun.lua" --json
contains "$(json_field "$out" 'j["error"]["message"]')" "run = function"
[ "$(json_field "$out" 'j["error"]["kind"]')" = invalid ] || fail "kind: $out"
expect_exit 2 -- "$SOARCTL" run "$SOAR_SRC/playbooks/hello.lua" --input times=many
contains "$err" "input 'times' must be an integer"
expect_exit 2 -- "$SOARCTL" run "$SOAR_SRC/playbooks/hello.lua" --input colour=red
contains "$err" "unknown input 'colour'"
expect_exit 2 -- "$SOARCTL" run "$SOAR_SRC/playbooks/hello.lua" --input-json '{"times": 1.5}'
contains "$err" "input 'times' must be an integer"
expect_exit 2 -- "$SOARCTL" run "$SOAR_SRC/playbooks/hello.lua" --input-json '{oops'
contains "$err" "not valid JSON"
expect_exit 2 -- "$SOARCTL" run "$pb/missing.lua"
contains "$err" "cannot open playbook"
expect_exit 2 -- "$SOARCTL" run
contains "$err" "which playbook"
expect_exit 2 -- "$SOARCTL" run "$SOAR_SRC/playbooks/hello.lua" --max-cpu -1
contains "$err" "--max-cpu takes a positive number"

cat > "$pb/required.lua" <<'LUA'
return {
  name = "required",
  inputs = { ip = { type = "string", required = true }, flag = { type = "boolean", default = false } },
  run = function(ctx, input) return { ip = input.ip, flag = input.flag } end,
}
LUA
expect_exit 2 -- "$SOARCTL" run "$pb/required.lua"
contains "$err" "missing required input 'ip'"
expect_exit 0 -- "$SOARCTL" run "$pb/required.lua" --input ip=192.0.2.1 --input flag=yes --json
[ "$(json_field "$out" 'j["result"]["flag"]')" = True ] || fail "boolean input: $out"

# Limits from the command line, with --json kinds.
echo 'return { name = "spin", run = function() while true do end end }' > "$pb/spin.lua"
expect_exit 1 -- "$SOARCTL" run "$pb/spin.lua" --max-cpu 0.2 --json
[ "$(json_field "$out" 'j["error"]["kind"]')" = cpu_limit ] || fail "cpu kind: $out"
echo 'return { name = "hog", run = function() return #string.rep("x", 2^28) end }' > "$pb/hog.lua"
expect_exit 1 -- "$SOARCTL" run "$pb/hog.lua" --max-memory 16 --json
[ "$(json_field "$out" 'j["error"]["kind"]')" = out_of_memory ] || fail "memory kind: $out"
echo 'return { name = "big", run = function() return string.rep("x", 100) end }' > "$pb/big.lua"
expect_exit 1 -- "$SOARCTL" run "$pb/big.lua" --max-result 50 --json
[ "$(json_field "$out" 'j["error"]["kind"]')" = result_too_large ] || fail "result kind: $out"

# Logs go to stderr, never into the --json stdout.
cat > "$pb/logs.lua" <<'LUA'
return { name = "logs", run = function() log.info("hello from the log", { n = 1 }); print("printed") return 1 end }
LUA
expect_exit 0 -- "$SOARCTL" run "$pb/logs.lua" --json
contains "$err" "hello from the log"
contains "$err" "printed"
lacks "$out" "hello from the log"
expect_exit 0 -- "$SOARCTL" run "$pb/logs.lua" --log-json
contains "$err" '"msg":"hello from the log"'
expect_exit 0 -- "$SOARCTL" run "$pb/logs.lua" --log-level warn
lacks "$err" "hello from the log"

finish
