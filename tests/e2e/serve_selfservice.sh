#!/usr/bin/env bash
# Self-service against the real daemon, with curl: a playbook declaring
# `form = { title, roles }` is listed at GET /forms (only to members of its
# roles), served at GET /forms/NAME, and started as the submitting user from
# the form (a token sign-in, a session cookie, CSRF and Origin checked) or
# from POST /api/v1/playbooks/NAME/runs (inputs checked against the
# declaration: a wrong type is a 400 naming the input). Both need playbook.run
# and the form's roles; each start is audited with user, playbook and run id.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2"; }
"$S" init >/dev/null 2>&1 || true
ADMIN=$("$S" user token --label e2e 2>/dev/null)
"$S" user define-role requester playbook.run >/dev/null
"$S" user add alice --role requester >/dev/null
"$S" user add bob --role analyst >/dev/null
"$S" user add vic --role viewer >/dev/null
AL=$("$S" user token alice 2>/dev/null); BO=$("$S" user token bob 2>/dev/null); VI=$("$S" user token vic 2>/dev/null)

pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/poc.lua" <<'LUA'
return { name = "poc", description = "A proof-of-concept environment",
  form = { title = "Request a PoC environment", description = "Accounts for a customer trial.",
           roles = { "requester" } },
  inputs = {
    customer = { type = "string", required = true, label = "Customer", description = "Who the PoC is for" },
    seats = { type = "integer", default = 5, description = "Accounts to create" },
    budget = { type = "number", default = 0 },
    tier = { type = "string", options = { "small", "large" }, default = "small" },
    trial = { type = "boolean", default = false },
    tags = { type = "table" },
  },
  run = function(_, input)
    return { customer = input.customer, seats = input.seats, budget = input.budget, tier = input.tier,
             trial = input.trial, tags = input.tags }
  end }
LUA
cat > "$pb/plain.lua" <<'LUA'
return { name = "plain", inputs = { n = { type = "integer", required = true } },
  run = function(_, input) return { n = input.n } end }
LUA
serve_start --playbooks "$pb"
api() { curl -s -o "$SOAR_TMP/body" -w '%{http_code}' "$@"; }
body() { cat "$SOAR_TMP/body"; }
run_result() { # run id -> its result once finished
	for _ in $(seq 50); do
		r=$(curl -s -H "Authorization: Bearer $ADMIN" "$A/api/v1/runs/$1")
		case "$r" in *'"status":"succeeded"'*|*'"status":"failed"'*) echo "$r"; return;; esac
		sleep 0.1
	done
	echo "$r"
}

# ---- the API ----
is "$(api -H "Authorization: Bearer $AL" -d '{"customer":"Acme","seats":3,"tags":["eu"],"trial":true}' "$A/api/v1/playbooks/poc/runs")" 201 "alice starts poc"
id=$(json_field "$(body)" 'j["run"]')
contains "$(body)" '"status":"queued"'
r=$(run_result "$id")
contains "$r" '"result":{"budget":0,"customer":"Acme","seats":3,"tags":["eu"],"tier":"small","trial":true}' "the run's inputs"
is "$(api -H "Authorization: Bearer $AL" -d '{"customer":"Acme","seats":"x"}' "$A/api/v1/playbooks/poc/runs")" 400 "a wrong type"
contains "$(body)" "input 'seats' must be an integer, got the string \\\"x\\\""
is "$(api -H "Authorization: Bearer $AL" -d '{"customer":"Acme","seats":2.5}' "$A/api/v1/playbooks/poc/runs")" 400 "not whole"
contains "$(body)" "input 'seats' must be an integer"
is "$(api -H "Authorization: Bearer $AL" -d '{"customer":"Acme","tier":"huge"}' "$A/api/v1/playbooks/poc/runs")" 400 "not an option"
contains "$(body)" "input 'tier' must be one of small, large"
is "$(api -H "Authorization: Bearer $AL" -d '{"customer":"Acme","colour":"red"}' "$A/api/v1/playbooks/poc/runs")" 400 "unknown input"
contains "$(body)" "unknown input 'colour' (poc takes: budget, customer, seats, tags, tier, trial)"
is "$(api -H "Authorization: Bearer $AL" -d '{"seats":1}' "$A/api/v1/playbooks/poc/runs")" 400 "missing required"
contains "$(body)" "missing required input 'customer'"
is "$(api -H "Authorization: Bearer $AL" -d '{"customer":' "$A/api/v1/playbooks/poc/runs")" 400 "bad JSON"
is "$(api -H "Authorization: Bearer $AL" -d '[1]' "$A/api/v1/playbooks/poc/runs")" 400 "not an object"
is "$(api -H "Authorization: Bearer $BO" -d '{"customer":"Acme"}' "$A/api/v1/playbooks/poc/runs")" 403 "bob is not a requester"
contains "$(body)" "poc may be started by members of requester; bob is not one"
is "$(api -H "Authorization: Bearer $BO" -d '{"n":4}' "$A/api/v1/playbooks/plain/runs")" 201 "a playbook without a form: playbook.run"
is "$(api -H "Authorization: Bearer $VI" -d '{"n":4}' "$A/api/v1/playbooks/plain/runs")" 403 "a viewer lacks playbook.run"
is "$(api -d '{"n":4}' "$A/api/v1/playbooks/plain/runs")" 401 "no token"
is "$(api -H "Authorization: Bearer $AL" -d '{}' "$A/api/v1/playbooks/nope/runs")" 404 "no such playbook"
is "$(api -X GET -H "Authorization: Bearer $AL" "$A/api/v1/playbooks/poc/runs")" 404 "GET is not a route"

# ---- GET /forms ----
is "$(api -H "Authorization: Bearer $AL" "$A/forms?format=json")" 200 "alice's forms"
is "$(body)" '{"forms":[{"name":"poc","title":"Request a PoC environment","url":"/forms/poc"}]}' "alice sees poc"
is "$(api -H "Authorization: Bearer $BO" -H "Accept: application/json" "$A/forms")" 200 "bob's forms"
is "$(body)" '{"forms":[]}' "bob sees none"
is "$(api "$A/forms/poc")" 200 "the sign-in page"
contains "$(body)" '<form method=post action="/forms/login">'
contains "$(body)" '<input type=hidden name=next value="/forms/poc">'
is "$(api -H "Authorization: Bearer $BO" "$A/forms/poc")" 403 "bob may not open poc's form"
is "$(api -H "Authorization: Bearer $VI" "$A/forms")" 403 "a viewer lacks playbook.run"

# ---- the form with a browser's session ----
jar="$SOAR_TMP/jar"
is "$(api -c "$jar" -D "$SOAR_TMP/h" --data-urlencode "token=$AL" -d next=/forms/poc "$A/forms/login")" 303 "sign in"
h=$(tr -d '\r' < "$SOAR_TMP/h")
contains "$h" "Location: /forms/poc"
contains "$h" "HttpOnly; SameSite=Strict"
lacks "$h" "$AL" "the token never comes back"
is "$(api -b "$jar" "$A/forms/poc")" 200 "the form"
page=$(body)
for want in '<label for="in-customer">Customer (required)</label>' \
	'<input type=text id="in-customer" name="customer" required aria-describedby="help-customer" value="">' \
	'<p class=help id="help-customer">Who the PoC is for</p>' \
	'<input type=number step=1 id="in-seats" name="seats" aria-describedby="help-seats" value="5">' \
	'<input type=number step=any id="in-budget" name="budget" value="0">' \
	'<select id="in-tier" name="tier"><option selected>small</option><option>large</option></select>' \
	'<input type=checkbox value=true id="in-trial" name="trial"' \
	'<textarea rows=4 id="in-tags" name="tags"' '<button type=submit>Start</button>'; do
	contains "$page" "$want" "the form page"
done
lacks "$page" "<script" "no script"
lacks "$page" "http://" "no external asset"
csrf=$(sed -n 's/.*name=_csrf value="\([0-9a-f]*\)".*/\1/p' <<<"$page")
[ ${#csrf} = 64 ] || fail "a CSRF token in the form: $csrf"
checks=$((checks + 1))
is "$(api -b "$jar" -d "_csrf=$csrf" -d customer=Initech -d seats=2 -d tier=large -d trial=true --data-urlencode 'tags={"region":"eu"}' "$A/forms/poc")" 201 "submitted"
contains "$(body)" "<p role=status>Started: run <code id=run>"
fid=$(sed -n 's/.*<code id=run>\([0-9a-f-]*\)<.*/\1/p' "$SOAR_TMP/body")
r=$(run_result "$fid")
contains "$r" '"result":{"budget":0,"customer":"Initech","seats":2,"tags":{"region":"eu"},"tier":"large","trial":true}' "the form's run"
is "$(api -b "$jar" -d "_csrf=$csrf" -d customer=Initech -d seats=x "$A/forms/poc")" 400 "a wrong type in the form"
contains "$(body)" "<p role=alert id=problem>input &#39;seats&#39; must be an integer, got &quot;x&quot;</p>"
contains "$(body)" 'name="customer" required aria-describedby="help-customer" value="Initech"' "the values are kept"
is "$(api -b "$jar" -d customer=Initech "$A/forms/poc")" 403 "no CSRF token"
is "$(api -b "$jar" -d "_csrf=${csrf%?}0" -d customer=Initech "$A/forms/poc")" 403 "a wrong CSRF token"
is "$(api -b "$jar" -H "Origin: http://evil.example" -d "_csrf=$csrf" -d customer=Initech "$A/forms/poc")" 403 "another site"
is "$(api -b "$jar" -d "_csrf=$csrf" -d customer=Initech -d colour=red "$A/forms/poc")" 400 "an unknown field"
is "$(api -d customer=Initech "$A/forms/poc")" 401 "no session, no token"
is "$(api -b "soarctl_form=$(printf '%064d' 0)" -d customer=Initech "$A/forms/poc")" 401 "a made-up session"
is "$(api --data-urlencode "token=nope" -d next=/forms/poc "$A/forms/login")" 401 "a wrong token"
contains "$(body)" "That token was not accepted"
is "$(api -D "$SOAR_TMP/h" --data-urlencode "token=$AL" -d next=//evil.example/x "$A/forms/login")" 303 "sign in, hostile next"
contains "$(tr -d '\r' < "$SOAR_TMP/h")" "Location: /forms"$'\n' "no open redirect"

# ---- bodies before authentication: only the sign-in's, and small ----
head -c 1048576 /dev/zero | tr '\0' a > "$SOAR_TMP/big"
is "$(api --data-binary @"$SOAR_TMP/big" "$A/forms/login")" 413 "a big sign-in body refused at its head"
is "$(api --data-binary @"$SOAR_TMP/big" "$A/forms/poc")" 401 "a form post without a session: 401 at the head"
is "$(api --data-binary @"$SOAR_TMP/big" "$A/api/v1/playbooks/poc/runs")" 401 "the API without a token: 401 at the head"

# ---- audit: who started what ----
sleep 0.3
aud=$("$S" audit list --last 200)
contains "$aud" "http:alice"
grep -q "http:alice .*playbook.start .*poc .*\"run\":\"$id\",\"via\":\"api\",\"inputs\":\[\"customer\",\"seats\",\"tags\",\"trial\"\]" <<<"$aud" || fail "audit of the API start: $aud"
grep -q "http:alice .*playbook.start .*poc .*\"run\":\"$fid\",\"via\":\"form\"" <<<"$aud" || fail "audit of the form start"
grep -q "http:alice .*run.start .*run $fid" <<<"$aud" || fail "the run is alice's"
grep -q "http:bob .*access.denied .*poc" <<<"$aud" || fail "bob's refusal audited"
lacks "$aud" "Initech" "input values stay out of the audit"
checks=$((checks + 4))
serve_stop; rc=$?   # under ASan the exit runs LeakSanitizer: a leak fails it
checks=$((checks + 1)); [ "$rc" = 0 ] || fail "the daemon exited $rc (LeakSanitizer?): $(tail -30 "$SOAR_TMP/serve.log")"
finish
