#!/usr/bin/env bash
# Integrations against a live stand-in on 127.0.0.1: config file, credentials,
# egress, idempotency keys, a command step replayed (not re-sent) when a run
# resumes, recording a fixture with the secret scrubbed, and raw http denied to a
# playbook that declares no hosts.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"

standin_start
trap 'kill $STANDIN_PID 2>/dev/null' EXIT

"$S" init --data "$SOARCTL_DATA" >/dev/null 2>&1 || true
cat > "$SOARCTL_DATA/integrations.json" <<JSON
{ "bonusly": { "base_url": "$base", "api_token": "test-bonusly-token" } }
JSON

# ---- a give, then a wait; answering resumes the run without giving again ----
cat > "$pb/spend.lua" <<'LUA'
return {
  name = "spend",
  run = function(ctx)
    local b = integration("bonusly")
    local bal = b.balance()
    local g = b.give{ to = "alice", amount = 10, text = "for the review" }
    local a = prompt.ask{ question = "again?", options = { "yes", "no" } }
    return { balance = bal.giving_balance, reason = g.reason, id = g.id, answer = a.value }
  end,
}
LUA
expect_exit 3 -- "$S" run "$pb/spend.lua" --json
run_id=$(json_field "$out" 'j["run_id"]')
p1=$(json_field "$out" 'j["waiting"]["prompt_id"]')
stats=$(curl -s "$base/stats")
[ "$(json_field "$stats" 'len(j["bonuses"])')" = 1 ] || fail "one bonus given: $stats"
[ "$(json_field "$stats" 'j["bonuses"][0]["reason"]')" = "+10 @alice #thanks for the review" ] || fail "reason: $stats"
[ "$(json_field "$stats" 'j["bonuses"][0]["idempotency_key"]')" = "$run_id-2.1" ] \
	|| fail "idempotency key is <run>-<step>.<n>: $stats"
expect_exit 0 -- "$S" prompt answer "$p1" --choice yes --json
[ "$(json_field "$out" 'j["result"]["balance"]')" = 40 ] || fail "balance: $out"
[ "$(json_field "$out" 'j["result"]["answer"]')" = yes ] || fail "answer: $out"
stats=$(curl -s "$base/stats")
[ "$(json_field "$stats" 'len(j["bonuses"])')" = 1 ] || fail "the resumed run replayed the give: $stats"
expect_exit 0 -- "$S" runs show "$run_id" --json
[ "$(json_field "$out" '[s["name"] for s in j["steps"]]')" = "['bonusly.balance', 'bonusly.give', 'prompt.ask']" ] \
	|| fail "steps: $out"
lacks "$out" "test-bonusly-token" "the journal"

# ---- the API moved (recorded v7 fixture): the failure names the field ----
expect_exit 0 -- "$S" integration test bonusly --filter "API moved"
contains "$out" "1 passed, 0 failed"

# ---- a playbook without hosts may not make raw requests ----
cat > "$pb/raw.lua" <<LUA
return { name = "raw", run = function()
  local r, err, detail = http.get("$base/json")
  return { r = r, err = err, detail = detail }
end }
LUA
expect_exit 0 -- "$S" run "$pb/raw.lua" --json
[ "$(json_field "$out" 'j["result"]["err"]')" = denied ] || fail "raw http without hosts: $out"
contains "$err" "egress denied: playbook raw may not reach 127.0.0.1"

# ---- an integration reaches only its hosts and its base URL's host ----
mkdir -p "$SOAR_TMP/own"
cat > "$SOAR_TMP/own/sneaky.lua" <<LUA
return { name = "sneaky", version = "0.1", api_version = "1", hosts = {},
  config = { base_url = { type = "url", default = "$base" } },
  commands = {
    ok = { run = function(ctx) local r = ctx.http.get(ctx.url("/json")); return r.json end },
    out = { run = function(ctx)
      local _, err = ctx.http.get("http://localhost:$port/json"); return { err = err } end },
    redirect = { run = function(ctx)
      local _, err = ctx.http.get(ctx.url("/redirect?to=http://localhost:$port/json"), { follow = true })
      return { err = err } end },
  } }
LUA
cat > "$pb/sneaky.lua" <<'LUA'
return { name = "sneaky-user", run = function()
  local s = integration("sneaky")
  return { ok = s.ok(), out = s.out(), redirect = s.redirect() }
end }
LUA
SOARCTL_INTEGRATIONS_DIR="$SOAR_TMP/own" expect_exit 0 -- "$S" run "$pb/sneaky.lua" --json
[ "$(json_field "$out" 'j["result"]["ok"]["hello"]')" = world ] || fail "own base URL: $out"
[ "$(json_field "$out" 'j["result"]["out"]["err"]')" = denied ] || fail "other host: $out"
[ "$(json_field "$out" 'j["result"]["redirect"]["err"]')" = denied ] || fail "redirect to another host: $out"

# ---- recording a fixture: the credential is scrubbed ----
cat > "$SOARCTL_DATA/integrations.json" <<JSON
{ "bonusly": { "base_url": "$base", "api_token": "test-bonusly-token", "record": "e2e-recorded" } }
JSON
cat > "$pb/rec.lua" <<'LUA'
return { name = "rec", run = function() return integration("bonusly").users{ limit = 2 } end }
LUA
# (a copy of the integration, so the fixture lands in this test's scratch directory)
mkdir -p "$SOAR_TMP/rec" && cp "$SOAR_SRC/integrations/bonusly.lua" "$SOAR_TMP/rec/"
fx="$SOAR_TMP/rec/fixtures/bonusly/e2e-recorded.json"
SOARCTL_INTEGRATIONS_DIR="$SOAR_TMP/rec" expect_exit 0 -- "$S" run "$pb/rec.lua" --json
[ -f "$fx" ] || fail "no fixture written at $fx"
rec=$(cat "$fx" 2>/dev/null)
contains "$rec" '"path": "/api/v1/users?limit=2"' "the fixture"
contains "$rec" '"username": "alice"' "the fixture"
lacks "$rec" "test-bonusly-token" "the fixture"
# ipinfo sends its token in the query: the recorded path holds the placeholder
cp "$SOAR_SRC/integrations/ipinfo.lua" "$SOAR_TMP/rec/"
cat > "$SOARCTL_DATA/integrations.json" <<JSON
{ "ipinfo": { "base_url": "$base", "token": "test-ipinfo-token", "record": "e2e" } }
JSON
cat > "$pb/geo.lua" <<'LUA'
return { name = "geo", run = function() return integration("ipinfo").lookup{ ip = "185.220.101.4" } end }
LUA
SOARCTL_INTEGRATIONS_DIR="$SOAR_TMP/rec" expect_exit 0 -- "$S" run "$pb/geo.lua" --json
[ "$(json_field "$out" 'j["result"]["asn"]')" = 64500 ] || fail "ipinfo live: $out"
rec=$(cat "$SOAR_TMP/rec/fixtures/ipinfo/e2e.json" 2>/dev/null)
contains "$rec" '"path": "/185.220.101.4/json?token=[secret:ipinfo.token]"' "the ipinfo fixture"
lacks "$rec" "test-ipinfo-token" "the ipinfo fixture"

finish
