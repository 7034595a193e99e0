#!/usr/bin/env bash
# prompt.create + prompt.wait under `soarctl run`: the playbook gets the id and
# the link before the run parks, posts its own message with them; the run waits
# at prompt.wait; the answer (CLI) resumes it, and the replay gives the same id
# and link (journaled: the id, never the link's token); a prompt answered before
# prompt.wait is reached is taken at once; waiting on another run's prompt is
# refused.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
"$S" init >/dev/null 2>&1 || true
"$S" user role "$(id -un)" admin,approver >/dev/null
export SOARCTL_PUBLIC_URL=https://soar.example.org/
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
cat > "$pb/own.lua" <<'LUA'
return { name = "own", run = function()
  local p = prompt.create{ question = "Contain host-7?", options = { "contain", "wait" }, to = "approver" }
  local c = case.create{ title = "own message", labels = { "own" } }
  case.note(c.id, "posted: " .. p.id .. " " .. tostring(p.url))
  local a = prompt.wait(p.id)
  return { id = p.id, url = p.url, expires = p.expires, value = a.value, by = a.by }
end }
LUA
expect_exit 3 -- "$S" run "$pb/own.lua" --json
pid=$(json_field "$out" 'j["waiting"]["prompt_id"]')
rid=$(json_field "$out" 'j["run_id"]')
note=$("$S" case list --label own --json)
ref=$(json_field "$note" '(j["cases"] if isinstance(j, dict) else j)[0]["number"]')
tl=$("$S" case timeline "$ref" --json 2>/dev/null || "$S" case show "$ref" --json)
contains "$tl" "posted: $pid https://soar.example.org/prompts/$pid?t=v1."
expect_exit 0 -- "$S" prompt answer "$pid" --choice contain --json
[ "$(json_field "$out" 'j["result"]["id"]')" = "$pid" ] || fail "same id after the replay: $out"
url=$(json_field "$out" 'j["result"]["url"]')
contains "$tl" "posted: $pid $url" "the same link after the replay"
[ "$(json_field "$out" 'j["result"]["value"]')" = contain ] || fail "answer: $out"
steps=$(json_field "$("$S" runs show "$rid" --json)" 'json.dumps(j["steps"])')   # the journal
contains "$steps" '"prompt.create"'
contains "$steps" '"prompt.wait"'
lacks "$steps" "?t=v1."
lacks "$steps" "${url#*\?t=}"

# answered before the run reaches prompt.wait: taken at once
cat > "$pb/early.lua" <<'LUA'
return { name = "early", run = function()
  local p = prompt.create{ question = "How many?", fields = { n = { type = "integer", label = "Count" } } }
  local v = time.now()   -- a step between: the run goes on
  local c = case.create{ title = "early " .. p.id, labels = { "early" } }
  sleep(2)
  local a = prompt.wait(p.id)
  return { n = a.value.n, t = v ~= nil, c = c.number }
end }
LUA
"$S" run "$pb/early.lua" --json > "$SOAR_TMP/early.json" 2>&1 &
rpid=$!
for _ in $(seq 50); do
	pid2=$("$S" prompt list --json | "$PY" -c 'import json,sys; p=[x for x in json.load(sys.stdin) if x["question"] == "How many?"]; print(p[0]["id"] if p else "")')
	[ -n "$pid2" ] && break; sleep 0.1
done
expect_exit 2 -- "$S" prompt answer "$pid2" --field n=many --no-resume
contains "$err" 'Count: must be a whole number, got "many"'
expect_exit 0 -- "$S" prompt answer "$pid2" --field n=4 --no-resume
wait "$rpid"
contains "$(cat "$SOAR_TMP/early.json")" '"n":4'

# another run's prompt
cat > "$pb/thief.lua" <<LUA
return { name = "thief", run = function() return prompt.wait("$pid2") end }
LUA
expect_exit 1 -- "$S" run "$pb/thief.lua" --json
contains "$out$err" "belongs to another run"
finish
