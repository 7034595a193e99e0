#!/usr/bin/env bash
# Prompts reaching people under `soarctl serve`: posted to Slack (the Slack Web
# API stand-in records each call) and answered with Slack's own payload shapes,
# signed as Slack signs them (block_actions buttons; a form's modal through
# views.open and view_submission, with Slack's errors shape for a bad integer);
# the message updated with who answered; Slack users mapped to soarctl users and
# role-checked. Emailed links (read back from the SMTP sink): the form opens,
# a bad integer is refused with the same message as the JSON API and the CLI,
# the answer resumes the run; the same link replayed, another prompt's link,
# an altered one, an expired one and an API token in a URL are all refused.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
H="$SOAR_SRC/tests/e2e/prompt_reach.py"
DPID=
mail="$SOAR_TMP/mail"
coproc SMTP { exec "$PY" "$SOAR_SRC/tools/standins/smtp.py" "$mail" --stdin-eof; }
read -r _ sport <&"${SMTP[0]}"
standin_start
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; kill $SMTP_PID $STANDIN_PID 2>/dev/null' EXIT
[ -n "$sport" ] || { echo "SMTP sink did not start"; exit 1; }

"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
"$S" user role "$(id -un)" admin,approver >/dev/null
"$S" user add ana --role approver >/dev/null
"$S" user set ana --slack-id UANA01 --email ana@example.org >/dev/null || fail "user set ana"
"$S" user add bob --role viewer >/dev/null
"$S" user set bob --slack-id UBOB01 >/dev/null
expect_exit 1 -- "$S" user set bob --slack-id UANA01
contains "$err" "Slack user UANA01 is already user 'ana'"
expect_exit 1 -- "$S" user set bob --email "not an address"
export SOARCTL_INTEGRATIONS_CONFIG="$SOAR_TMP/integrations.json"
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "slack": { "base_url": "$base" },
  "email": { "smtp_url": "smtp://127.0.0.1:$sport", "from": "soar@example.org" } }
JSON
printf 'test-slack-token' | "$S" secret set slack.bot_token >/dev/null 2>&1 || fail "secret set"

pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/choose.lua" <<'LUA'
return { name = "choose", triggers = { { type = "choose" } },
  run = function()
    local a = prompt.ask{ question = "Block 203.0.113.9?", options = { "block", "ignore" }, to = "approver",
      notify = { slack = { channel = "#soc" } } }
    return { answer = a.value, by = a.by }
  end }
LUA
cat > "$pb/form.lua" <<'LUA'
return { name = "form", triggers = { { type = "form" } },
  run = function()
    local p = prompt.create{ question = "Provision the PoC?", to = "approver",
      notify = { slack = { channel = "#soc" } },
      fields = {
        { name = "who", type = "string", label = "Requester" },
        { name = "why", type = "text", required = false },
        { name = "count", type = "integer", label = "Accounts", help = "1 to 10" },
        { name = "budget", type = "number", default = 12.5 },
        { name = "urgent", type = "boolean" },
        { name = "env", type = "choice", options = { "dev", "prod" } },
        { name = "tools", type = "choices", options = { "edr", "siem" } },
        { name = "start", type = "date" },
      } }
    case.create{ title = "prompt " .. p.id, labels = { "prompt-id" } }  -- the id before the run parks
    local a = prompt.wait(p.id)
    return { value = a.value, by = a.by, id = p.id, url = p.url ~= nil }
  end }
LUA
cat > "$pb/mailform.lua" <<'LUA'
return { name = "mailform", triggers = { { type = "mailform" } },
  run = function()
    local a = prompt.ask{ question = "Approve access 1?", to = "approver",
      fields = { days = { type = "integer", label = "Days" } },
      notify = { email = { to = { "ana", "ext@example.net" } } } }
    return { value = a.value, by = a.by }
  end }
LUA
cat > "$pb/short.lua" <<'LUA'
return { name = "short", triggers = { { type = "short" } },
  run = function()
    local a = prompt.ask{ question = "Quick?", options = { "y", "n" }, timeout = 2, default = "n",
      notify = { email = { to = "ana" } } }
    return { value = a.value }
  end }
LUA

SOARCTL_SLACK_SIGNING_SECRET=slacksecret serve_start --playbooks "$pb"
HA=(-H "Authorization: Bearer $TOK")
code() { curl -s -o "$SOAR_TMP/body" -w '%{http_code}' "$@"; }
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2 ($(head -c 300 "$SOAR_TMP/body"))"; }
run_of() { # run_of PLAYBOOK: waits until one run of it succeeded; prints its result JSON
	for _ in $(seq 100); do
		r=$(curl -s "${HA[@]}" "$A/api/v1/runs?status=succeeded")
		x=$(json_field "$r" "[x for x in j['runs'] if x['playbook'] == '$1'][0]['id'] if [x for x in j['runs'] if x['playbook'] == '$1'] else ''")
		[ -n "$x" ] && { curl -s "${HA[@]}" "$A/api/v1/runs/$x"; return; }
		sleep 0.1
	done
}
slack() { "$PY" "$H" slack "$A" slacksecret "$1"; }

# ---- options on Slack: buttons, mapped users, the message updated ----
curl -s "${HA[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"choose"}' >/dev/null
msg=$("$PY" "$H" wait-call "$base" chat.postMessage 1)
[ -n "$msg" ] || fail "no Slack message: $(cat "$SOAR_TMP/serve.log")"
pid=$(json_field "$msg" 'j["body"]["blocks"][2]["block_id"].split(":")[1]')
[ "$(json_field "$msg" 'j["body"]["channel"]')" = "#soc" ] || fail "channel: $msg"
[ "$(json_field "$msg" '[e["value"] for e in j["body"]["blocks"][2]["elements"]]')" = "['$pid:block', '$pid:ignore']" ] ||
	fail "buttons: $msg"
contains "$msg" "Block 203.0.113.9?"
press() { # press SLACK_USER OPTION
	slack "{\"type\":\"block_actions\",\"user\":{\"id\":\"$1\",\"username\":\"x\"},\"trigger_id\":\"1.2.abc\",
	  \"channel\":{\"id\":\"C1\"},\"message\":{\"ts\":\"1700000000.000100\"},
	  \"actions\":[{\"type\":\"button\",\"action_id\":\"soarctl_answer_1\",\"block_id\":\"soarctl_prompt:$pid\",\"value\":\"$pid:$2\"}]}"
}
out=$(press UZZZ99 block)
contains "$out" "403" ; contains "$out" "Slack user UZZZ99 is not a soarctl user"
contains "$out" "soarctl user set NAME --slack-id UZZZ99"
out=$(press UBOB01 block)
contains "$out" "403"; contains "$out" "may not answer prompts"
out=$(press UANA01 maybe)
contains "$out" "400"; contains "$out" '\"maybe\" is not one of: block, ignore'
out=$(press UANA01 block)
contains "$out" "200"
r=$(run_of choose)
[ "$(json_field "$r" 'j["result"]["answer"]')" = block ] || fail "choose: $r"
[ "$(json_field "$r" 'j["result"]["by"]')" = ana ] || fail "by the mapped user: $r"
up=$("$PY" "$H" wait-call "$base" chat.update 1)
contains "$up" "Answered by ana: block"
[ "$(json_field "$up" 'j["body"]["ts"]')" = "1700000000.000100" ] || fail "updated the prompt's message: $up"
out=$(press UANA01 ignore)
contains "$out" "409"; contains "$out" "already answered by ana"
# answered from the CLI: the message says so too
curl -s "${HA[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"choose"}' >/dev/null
msg=$("$PY" "$H" wait-call "$base" chat.postMessage 2)
pid=$(json_field "$msg" 'j["body"]["blocks"][2]["block_id"].split(":")[1]')
for _ in $(seq 200); do
	"$S" prompt show "$pid" --json | grep -q '"ts"' && break; sleep 0.1
done
expect_exit 0 -- "$S" prompt answer "$pid" --choice ignore --no-resume
up=$("$PY" "$H" wait-call "$base" chat.update 2)
contains "$up" "Answered by $(id -un): ignore"
[ "$(json_field "$up" 'j["body"]["ts"]')" != "1700000000.000100" ] || fail "the second prompt's message updated: $up"

# ---- a form on Slack: the modal, Slack's errors for a bad integer ----
curl -s "${HA[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"form"}' >/dev/null
msg=$("$PY" "$H" wait-call "$base" chat.postMessage 3)
pid=$(json_field "$msg" 'j["body"]["blocks"][2]["block_id"].split(":")[1]')
[ "$(json_field "$msg" 'j["body"]["blocks"][2]["elements"][0]["action_id"]')" = soarctl_form ] || fail "form button: $msg"
out=$(slack "{\"type\":\"block_actions\",\"user\":{\"id\":\"UANA01\"},\"trigger_id\":\"12345.98765.abcd\",
  \"actions\":[{\"type\":\"button\",\"action_id\":\"soarctl_form\",\"block_id\":\"soarctl_prompt:$pid\",\"value\":\"$pid:\"}]}")
contains "$out" "200"
view=$("$PY" "$H" wait-call "$base" views.open 1)
[ "$(json_field "$view" 'j["body"]["trigger_id"]')" = 12345.98765.abcd ] || fail "views.open trigger: $view"
[ "$(json_field "$view" 'j["body"]["view"]["private_metadata"]')" = "$pid" ] || fail "modal names the prompt"
[ "$(json_field "$view" '[(b.get("block_id"), b.get("element", {}).get("type")) for b in j["body"]["view"]["blocks"][1:]]')" = \
  "[('who', 'plain_text_input'), ('why', 'plain_text_input'), ('count', 'plain_text_input'), ('budget', 'plain_text_input'), ('urgent', 'checkboxes'), ('env', 'static_select'), ('tools', 'multi_static_select'), ('start', 'datepicker')]" ] ||
	fail "modal blocks: $view"
[ "$(json_field "$view" '[b for b in j["body"]["view"]["blocks"] if b.get("block_id") == "why"][0]["element"]["multiline"]')" = True ] || fail "text is multiline"
[ "$(json_field "$view" '[b for b in j["body"]["view"]["blocks"] if b.get("block_id") == "count"][0]["hint"]["text"]')" = "1 to 10" ] || fail "help as hint"
submit() { # submit COUNT
	slack "{\"type\":\"view_submission\",\"user\":{\"id\":\"UANA01\"},\"view\":{\"id\":\"V1\",\"callback_id\":\"soarctl_prompt\",
	  \"private_metadata\":\"$pid\",\"state\":{\"values\":{
	  \"who\":{\"v\":{\"type\":\"plain_text_input\",\"value\":\"Ada\"}},
	  \"why\":{\"v\":{\"type\":\"plain_text_input\",\"value\":\"line one\\nline two\"}},
	  \"count\":{\"v\":{\"type\":\"plain_text_input\",\"value\":\"$1\"}},
	  \"budget\":{\"v\":{\"type\":\"plain_text_input\",\"value\":\"99.5\"}},
	  \"urgent\":{\"v\":{\"type\":\"checkboxes\",\"selected_options\":[{\"value\":\"true\"}]}},
	  \"env\":{\"v\":{\"type\":\"static_select\",\"selected_option\":{\"value\":\"prod\"}}},
	  \"tools\":{\"v\":{\"type\":\"multi_static_select\",\"selected_options\":[{\"value\":\"edr\"},{\"value\":\"siem\"}]}},
	  \"start\":{\"v\":{\"type\":\"datepicker\",\"selected_date\":\"2026-12-24\"}}}}}}"
}
out=$(submit x)
contains "$out" '200 {"response_action":"errors","errors":{"count":"must be a whole number, got \"x\""}}'
out=$(submit 3)
contains "$out" '200 {"response_action":"clear"}'
r=$(run_of form)
[ "$(json_field "$r" 'j["result"]["value"] == {"who": "Ada", "why": "line one\nline two", "count": 3, "budget": 99.5, "urgent": True, "env": "prod", "tools": ["edr", "siem"], "start": "2026-12-24"}')" = True ] ||
	fail "typed form answer: $r"
[ "$(json_field "$r" 'j["result"]["url"]')" = True ] || fail "prompt.create gave a url: $r"
[ "$(json_field "$r" 'j["result"]["id"]')" = "$pid" ] || fail "prompt.create's id is the prompt's"
contains "$("$S" case list --label prompt-id --json)" "prompt $pid"

# ---- an emailed link: one check everywhere; replay, other prompt, expiry ----
curl -s "${HA[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"mailform","n":1}' >/dev/null
m1=$("$PY" "$H" mail "$mail" 1); m2=$("$PY" "$H" mail "$mail" 2)
for m in "$m1" "$m2"; do contains "$m" "Approve access 1?"; done
pick() { "$PY" -c 'import json,sys; print([m["link"] for m in map(json.loads, sys.argv[2:]) if m.get("to") == sys.argv[1]][0])' "$@"; }
link=$(pick ana@example.org "$m1" "$m2")
elink=$(pick ext@example.net "$m1" "$m2")
[ -n "$link" ] && [ "$link" != "$elink" ] || fail "a link per addressee: $m1 $m2"
lacks "$m1$m2" "$TOK"
pid=$(printf '%s' "$link" | sed 's,.*/prompts/\([^?]*\)?.*,\1,')
is "$(code "$link")" 200 "the emailed link opens the form"
contains "$(cat "$SOAR_TMP/body")" '<label for="f-days">Days'
action=$(sed -n 's/.*<form method=post action="\([^"]*\)".*/\1/p' "$SOAR_TMP/body" | sed 's/&amp;/\&/g')
contains "$action" "/api/v1/prompts/$pid/answer?t="
# the same message from the JSON API, the CLI and the form
is "$(code "${HA[@]}" -X POST "$A/api/v1/prompts/$pid/answer" -d '{"fields":{"days":"x"}}')" 400 "API: bad integer"
contains "$(cat "$SOAR_TMP/body")" 'Days: must be a whole number, got \"x\"'
expect_exit 2 -- "$S" prompt answer "$pid" --field days=x --no-resume
contains "$err" 'Days: must be a whole number, got "x"'
is "$(code -X POST "$A$action" --data '_form=1&days=x')" 400 "form: bad integer"
contains "$(cat "$SOAR_TMP/body")" 'must be a whole number, got &quot;x&quot;'
contains "$(cat "$SOAR_TMP/body")" 'value="x"'
# tokens that must not work
t=${link#*\?t=}
is "$(code "$A/prompts/00000000-0000-7000-8000-000000000000?t=$t")" 403 "another prompt's token"
contains "$(cat "$SOAR_TMP/body")" "not valid for this prompt"
# another last character (one that decodes: 'A' and 'E' both end a 32-byte MAC);
# replacing it by itself would alter nothing (1 time in 16)
alt=A; [ "${t: -1}" = A ] && alt=E
is "$(code "$A/prompts/$pid?t=${t%?}$alt")" 403 "an altered token"
is "$(code "$A/prompts/$pid?token=$TOK")" 401 "an API token in a URL"
contains "$(cat "$SOAR_TMP/body")" "never accepted in a URL"
is "$(code -X POST "$A$action" --data '_form=1&days=14')" 200 "answered through the link"
contains "$(cat "$SOAR_TMP/body")" "Your answer was recorded"
r=$(run_of mailform)
[ "$(json_field "$r" 'j["result"]["value"]')" = "{'days': 14}" ] || fail "mailform: $r"
[ "$(json_field "$r" 'j["result"]["by"]')" = ana ] || fail "by the link's addressee: $r"
is "$(code -X POST "$A$action" --data '_form=1&days=15')" 409 "the link replayed"
is "$(code "$link")" 200 "the page, once answered"
contains "$(cat "$SOAR_TMP/body")" "already answered by ana"
eaction="$A/api/v1/prompts/$pid/answer?t=${elink#*\?t=}"
is "$(code -X POST "$eaction" --data '_form=1&days=1')" 409 "the other addressee's link, once answered"
audit=$("$S" audit list --last 500 --json 2>/dev/null | tr -d '\n')
contains "$audit" "link:ana"
lacks "$audit" "$t"

# ---- an expired link ----
curl -s "${HA[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"short"}' >/dev/null
m=$("$PY" "$H" mail "$mail" 3)
slink=$(json_field "$m" 'j["link"]')
[ -n "$slink" ] || fail "no link: $m"
sleep 3.5
is "$(code "$slink")" 403 "an expired link"
contains "$(cat "$SOAR_TMP/body")" "this link has expired"
lacks "$(cat "$SOAR_TMP/serve.log")" "?t="
serve_stop || fail "daemon stop"
finish
