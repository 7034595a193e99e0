#!/usr/bin/env bash
# Durable runs: prompts, waits, resume by replay, SIGKILL at any time, a playbook
# edited under a waiting run, cancel, tasks with a role.
. "$(dirname "$0")/lib.bash"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
S="$SOARCTL"

first_open_prompt() {
	"$S" prompt list --json | python3 -c 'import json,sys; p=json.load(sys.stdin); print(p[0]["id"] if p else "")'
}

# ---- a prompt: run waits (exit 3), answer resumes it to the end ----
cat > "$pb/approve.lua" <<'LUA'
return {
  name = "approve",
  inputs = { who = { type = "string", default = "bob" } },
  run = function(ctx, input)
    local n = random(1, 1000000)
    local a = task("review", function()
      return prompt.ask{ question = "Approve " .. input.who .. "?", options = { "yes", "no" } }
    end, { role = "approver", sla = 600 })
    local form = prompt.ask{ question = "Details?", fields = { region = "string", count = "integer" } }
    return { n = n, answer = a.value, by = a.by, region = form.value.region, count = form.value.count }
  end,
}
LUA
expect_exit 3 -- "$S" run "$pb/approve.lua" --json --input who=carol
[ "$(json_field "$out" 'j["status"]')" = waiting ] || fail "status: $out"
run_id=$(json_field "$out" 'j["run_id"]')
p1=$(json_field "$out" 'j["waiting"]["prompt_id"]')
[ "$(first_open_prompt)" = "$p1" ] || fail "prompt list does not show $p1"
expect_exit 0 -- "$S" prompt show "$p1" --json
[ "$(json_field "$out" 'j["to"]')" = approver ] || fail "a prompt inside a task with a role goes to that role: $out"
[ "$(json_field "$out" 'j["question"]')" = "Approve carol?" ] || fail "question: $out"
# Only the role the prompt is for may answer; the refusal is audited.
me=$("$S" user whoami --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])')
expect_exit 1 -- "$S" prompt answer "$p1" --choice yes
contains "$err" "is for approver; $me is not a member"
expect_exit 0 -- "$S" audit list --json
contains "$out" "prompt.denied"
expect_exit 0 -- "$S" user define-role ids-team prompt.answer,case.read,case.write
expect_exit 0 -- "$S" user role "$me" admin,approver,ids-team
expect_exit 2 -- "$S" prompt answer "$p1" --choice maybe
contains "$err" "is not one of: yes, no"
expect_exit 3 -- "$S" prompt answer "$p1" --choice yes --json
p2=$(json_field "$out" 'j["waiting"]["prompt_id"]')
[ "$p2" != "$p1" ] || fail "second prompt expected"
expect_exit 2 -- "$S" prompt answer "$p1" --choice no
contains "$err" "already answered"
expect_exit 2 -- "$S" prompt answer "$p2" --field region=eu --field count=many
contains "$err" "count: must be a whole number, got \"many\""
expect_exit 0 -- "$S" prompt answer "$p2" --field region=eu --field count=3 --json
[ "$(json_field "$out" 'j["result"]["answer"]')" = yes ] || fail "answer: $out"
[ "$(json_field "$out" 'j["result"]["region"]')" = eu ] || fail "region: $out"
[ "$(json_field "$out" 'j["result"]["count"]')" = 3 ] || fail "count: $out"
expect_exit 0 -- "$S" runs show "$run_id" --json
[ "$(json_field "$out" 'j["run"]["status"]')" = succeeded ] || fail "run status: $out"
[ "$(json_field "$out" '[s["name"] for s in j["steps"]]')" = "['random', 'task', 'prompt.ask', 'task.end', 'prompt.ask']" ] \
	|| fail "steps: $out"
[ "$(json_field "$out" 'j["steps"][2]["task"]')" = review ] || fail "task of the prompt: $out"
[ "$(json_field "$out" 'j["steps"][1]["result"][0]["role"]')" = approver ] || fail "task role: $out"
expect_exit 0 -- "$S" runs show "$run_id"
contains "$out" "steps (the path taken)"
contains "$out" "in task review"
expect_exit 0 -- "$S" runs list --status succeeded
contains "$out" "$run_id"

# ---- tasks: owner, role and SLA, breached or not by the clock ----
cat > "$pb/tasks.lua" <<'LUA'
return { name = "tasks", run = function()
  task("triage", function()
    task("slow lookup", function() sleep(0.05) end, { owner = "bob", sla = 0.01 })
  end, { role = "analyst", sla = 3600 })
  return pcall(task, "broken", function() error("boom") end, { sla = 60 })
end }
LUA
expect_exit 0 -- "$S" run "$pb/tasks.lua" --json
rid=$(json_field "$out" 'j["run_id"]')
expect_exit 0 -- "$S" runs show "$rid"
contains "$out" "triage/slow lookup"
contains "$(echo "$out" | grep 'slow lookup' | tail -1)" "SLA BREACHED"
contains "$(echo "$out" | grep '  triage ' | tail -1)" "role analyst"
contains "$(echo "$out" | grep '  triage ' | tail -1)" "within SLA"
contains "$(echo "$out" | grep '  broken ' | tail -1)" "failed"

# ---- replay returns recorded values: the random number survives the waits ----
expect_exit 3 -- "$S" run "$pb/approve.lua" --json
rid=$(json_field "$out" 'j["run_id"]')
n1=$("$S" runs show "$rid" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["steps"][0]["result"][0])')
"$S" prompt answer "$(first_open_prompt)" --choice no >/dev/null 2>&1
expect_exit 0 -- "$S" prompt answer "$(first_open_prompt)" --field region=us --field count=1 --json
[ "$(json_field "$out" 'j["result"]["n"]')" = "$n1" ] || fail "random was not replayed: $n1 vs $out"

# ---- a playbook edited under a waiting run fails clearly on resume ----
cp "$pb/approve.lua" "$pb/edited.lua"
expect_exit 3 -- "$S" run "$pb/edited.lua" --json
rid=$(json_field "$out" 'j["run_id"]')
pe=$(json_field "$out" 'j["waiting"]["prompt_id"]')
sed -i 's/local n = random(1, 1000000)/local n = time.now()/' "$pb/edited.lua"
expect_exit 1 -- "$S" prompt answer "$pe" --choice yes --json
contains "$(json_field "$out" 'j["error"]["message"]')" "playbook changed under a waiting run: step 1 was 'random' when it was recorded, and is now 'time.now'"
[ "$(json_field "$out" 'j["error"]["line"]')" = 5 ] || fail "mismatch line: $out"
expect_exit 0 -- "$S" runs show "$rid" --json
[ "$(json_field "$out" 'j["run"]["status"]')" = failed ] || fail "edited run should be failed: $out"

# ---- cancel a waiting run ----
expect_exit 3 -- "$S" run "$pb/approve.lua" --json
rid=$(json_field "$out" 'j["run_id"]')
pc=$(json_field "$out" 'j["waiting"]["prompt_id"]')
expect_exit 0 -- "$S" runs cancel "$rid"
expect_exit 1 -- "$S" runs cancel "$rid"
contains "$err" "already cancelled"
expect_exit 1 -- "$S" prompt answer "$pc" --choice yes
contains "$err" "did not resume"
# not found: 1 (as case and job); a malformed id: 2, a bad argument (docs/cli.md)
expect_exit 1 -- "$S" runs show 01a00000-0000-7000-8000-000000000000
contains "$err" "no run"
expect_exit 2 -- "$S" runs show not-an-id
contains "$err" "is not a run ID"

# ---- SIGKILL during a sleep: resume waits only what is left ----
cat > "$pb/sleepy.lua" <<'LUA'
return {
  name = "sleepy",
  run = function()
    local t0 = time.now()
    sleep(2)
    local made = case.create{ title = "after the sleep", type = "test", severity = "low" }
    return { slept = time.now() - t0, case = made.id }
  end,
}
LUA
"$S" run "$pb/sleepy.lua" --json > "$SOAR_TMP/sleepy.out" 2>/dev/null &
pid=$!
sleep 0.8
kill -9 "$pid"; wait "$pid" 2>/dev/null
rid=$("$S" runs list --status running --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
[ -n "$rid" ] || fail "the killed run should be on record as running"
t0=$(date +%s.%N)
expect_exit 0 -- "$S" runs resume "$rid" --json
t1=$(date +%s.%N)
python3 -c "import sys; d=$t1-$t0; sys.exit(0 if d < 1.9 else 1)" || fail "resume slept the whole sleep again"
slept=$(json_field "$out" 'j["result"]["slept"]')
python3 -c "import sys; sys.exit(0 if 1.9 <= $slept < 4 else 1)" || fail "slept $slept s in all (want about 2)"

# ---- SIGKILL between steps, many times: every case is created exactly once ----
cat > "$pb/many.lua" <<'LUA'
return {
  name = "many",
  inputs = { n = { type = "integer", default = 40 }, tag = { type = "string", required = true } },
  run = function(ctx, input)
    for i = 1, input.n do
      case.create{ title = "item " .. i, type = "kill-test", severity = "low", labels = input.tag }
      sleep(0.05)   -- time between steps, so that kills land in the middle (and many do, even on a loaded machine)
    end
    return { done = input.n }
  end,
}
LUA
tag="k$RANDOM"
"$S" run "$pb/many.lua" --input tag=$tag >/dev/null 2>&1 &
pid=$!
# Kill it as soon as it is on record (its first step), then again and again.
rid=""
for i in $(seq 1 500); do
	rid=$("$S" runs list --json --limit 1 | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["id"] if r and r[0]["playbook"] == "many" else "")')
	[ -n "$rid" ] && break
	sleep 0.01
done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
kills=1
for i in $(seq 1 40); do
	[ -n "$rid" ] || break
	"$S" runs resume "$rid" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 9 + 1))"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
done
if [ -n "$rid" ]; then
	st=$("$S" runs show "$rid" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["status"])')
	[ "$st" = succeeded ] || expect_exit 0 -- "$S" runs resume "$rid"
	count=$("$S" case list --label "$tag" --json --limit 1000 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["cases"] if isinstance(d, dict) else d))')
	[ "$count" = 40 ] || fail "expected 40 cases after $kills kills, found $count"
	echo "killed $kills times; $count cases"
	[ "$kills" -ge 8 ] || fail "only $kills kills landed; the test did not exercise replay"
else
	fail "the run of many.lua was not recorded"
fi

# ---- playbook.call inline; playbook.start deputises to a child run on a child case ----
cat > "$pb/add.lua" <<'LUA'
return { name = "add", inputs = { a = { type = "number", required = true }, b = { type = "number", default = 0 } },
  run = function(ctx, input) return input.a + input.b end }
LUA
cat > "$pb/tune_signature.lua" <<'LUA'
return {
  name = "tune_signature",
  inputs = { signature = { type = "string", required = true } },
  run = function(ctx, input)
    local a = prompt.ask{ question = "Tuned " .. input.signature .. "?", options = { "done" }, to = "ids-team" }
    case.close(ctx.case, "tuned by " .. a.by)
    return { tuned = input.signature }
  end,
}
LUA
cat > "$pb/triage.lua" <<'LUA'
return {
  name = "triage",
  run = function(ctx)
    local sum = playbook.call("add", { a = 2, b = 3 })
    local ok, err = pcall(playbook.call, "add", { a = "two" })
    local child, child_case = playbook.start("tune_signature", { signature = "ET 2019284" },
      { case = { title = "Tune the IDS signature", type = "tuning", severity = "low", role = "ids-team" } })
    case.close(ctx.case, "deputised to the IDS team")
    return { sum = sum, bad = not ok and err or "accepted", child = child, child_case = child_case }
  end,
}
LUA
expect_exit 0 -- "$S" case new --title "Suspicious traffic" --type alert --severity high --json
parent_case=$(json_field "$out" 'j["id"]')
expect_exit 0 -- "$S" run "$pb/triage.lua" --case "$parent_case" --json
[ "$(json_field "$out" 'j["result"]["sum"]')" = 5 ] || fail "playbook.call: $out"
contains "$(json_field "$out" 'j["result"]["bad"]')" "input 'a' must be a number"
child=$(json_field "$out" 'j["result"]["child"]')
child_case=$(json_field "$out" 'j["result"]["child_case"]')
[ "$(json_field "$out" 'j["children"][0]["status"]')" = waiting ] || fail "child should wait on its prompt: $out"
expect_exit 0 -- "$S" case show "$parent_case" --json
contains "$out" "closed"
expect_exit 0 -- "$S" case children "$parent_case" --json
contains "$out" "$child_case"
contains "$out" "Tune the IDS signature"
expect_exit 0 -- "$S" runs show "$child" --json
[ "$(json_field "$out" 'j["run"]["parent"]')" != None ] || fail "child run has no parent: $out"
pchild=$(json_field "$out" 'j["run"]["waiting"]["prompt_id"]')
expect_exit 0 -- "$S" prompt show "$pchild" --json
[ "$(json_field "$out" 'j["to"]')" = ids-team ] || fail "child prompt to: $out"
expect_exit 0 -- "$S" prompt answer "$pchild" --choice done --json
[ "$(json_field "$out" 'j["result"]["tuned"]')" = "ET 2019284" ] || fail "child result: $out"
expect_exit 0 -- "$S" case children "$parent_case" --json
contains "$out" "closed"

finish
