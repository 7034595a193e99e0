#!/usr/bin/env bash
# Reminders and escalation of a prompt, fired by the daemon from the due times
# stored with the prompt, across a daemon restart: the first message and email,
# a reminder (a thread reply, the email again), the daemon stopped past the
# escalation time and started again: the escalation fires once (Slack mention,
# an email with the escalated person's own link), the first message is not sent
# twice, and the person escalated to (refused before) answers.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
H="$SOAR_SRC/tests/e2e/prompt_reach.py"
DPID=
mail="$SOAR_TMP/mail"
coproc SMTP { exec "$PY" "$SOAR_SRC/tools/standins/smtp.py" "$mail" --stdin-eof; }
read -r _ sport <&"${SMTP[0]}"
standin_start
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; kill $SMTP_PID $STANDIN_PID 2>/dev/null' EXIT

"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
"$S" user add ana --role approver >/dev/null
"$S" user set ana --slack-id UANA01 --email ana@example.org >/dev/null
"$S" user add meg --role approver >/dev/null
"$S" user set meg --slack-id UMEG01 --email meg@example.org >/dev/null
export SOARCTL_INTEGRATIONS_CONFIG="$SOAR_TMP/integrations.json"
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "slack": { "base_url": "$base" },
  "email": { "smtp_url": "smtp://127.0.0.1:$sport", "from": "soar@example.org" } }
JSON
printf 'test-slack-token' | "$S" secret set slack.bot_token >/dev/null 2>&1 || fail "secret set"
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/review.lua" <<'LUA'
return { name = "review", triggers = { { type = "review" } },
  run = function()
    local a = prompt.ask{ question = "Review the firewall rule?", options = { "approve", "reject" }, to = "ana",
      notify = { slack = { channel = "#arch" }, email = { to = "ana" } },
      remind = "2s", escalate = { after = 10, to = "meg" } }
    return { value = a.value, by = a.by }
  end }
LUA
HA=(-H "Authorization: Bearer $TOK")
start() { SOARCTL_SLACK_SIGNING_SECRET=slacksecret serve_start --playbooks "$pb"; }
posts() { "$PY" "$H" calls "$base" chat.postMessage; }
press() { # press SLACK_USER OPTION
	"$PY" "$H" slack "$A" slacksecret "{\"type\":\"block_actions\",\"user\":{\"id\":\"$1\"},
	  \"actions\":[{\"type\":\"button\",\"action_id\":\"soarctl_answer_1\",\"value\":\"$pid:$2\"}]}"
}

start
curl -s "${HA[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"review"}' >/dev/null
first=$("$PY" "$H" wait-call "$base" chat.postMessage 1)
pid=$(json_field "$first" 'j["body"]["blocks"][2]["block_id"].split(":")[1]')
# meg may not answer before the escalation
out=$(press UMEG01 approve)
contains "$out" "403"; contains "$out" "is for ana"
m1=$("$PY" "$H" mail "$mail" 1)
contains "$m1" "Your answer is needed: Review the firewall rule?"
r1=$("$PY" "$H" wait-call "$base" chat.postMessage 2 6)
[ "$(json_field "$r1" 'j["body"]["thread_ts"]')" = "1700000000.000100" ] || fail "a reminder in the thread: $r1"
contains "$r1" "Reminder: this prompt still needs an answer"
m2=$("$PY" "$H" mail "$mail" 2 6)
contains "$m2" "Reminder: Review the firewall rule?"
state=$("$S" prompt show "$pid" --json)
[ "$(json_field "$state" 'j["escalated_to"]')" = None ] || fail "escalated too early (a loaded machine?): $state"
contains "$state" '"remind":2'
serve_stop || fail "stop"
t_stop=$(date +%s)
# past the escalation (10 s after the prompt) while the daemon is down
created=$(json_field "$state" 'j["created_ms"]')
"$PY" -c 'import sys,time; time.sleep(max(0, int(sys.argv[1]) / 1000 + 11 - time.time()))' "$created"
n_before=$(posts | json_field "$(cat)" 'len(j)')
[ "$(posts | "$PY" -c 'import json,sys; print(len([c for c in json.load(sys.stdin) if "thread_ts" not in c["body"]]))')" = 1 ] ||
	fail "one first message"
start
esc=""
for _ in $(seq 60); do
	esc=$(posts | "$PY" -c 'import json,sys; c=[x for x in json.load(sys.stdin) if "Escalated" in x["body"].get("text","")]; print(json.dumps(c[0]) if c else "")')
	[ -n "$esc" ] && break; sleep 0.1
done
[ -n "$esc" ] || fail "no escalation after the restart: $(posts) $(cat "$SOAR_TMP/serve.log")"
contains "$esc" "Escalated to meg"
contains "$esc" "<@UMEG01>"
[ "$(json_field "$esc" 'j["body"]["thread_ts"]')" = "1700000000.000100" ] || fail "escalation in the thread"
# meg's own email, with her own link
mm=""
for n in 3 4 5 6; do
	m=$("$PY" "$H" mail "$mail" $n 4)
	case "$m" in *meg@example.org*) mm=$m; break ;; esac
done
contains "$mm" "Escalated to you: Review the firewall rule?"
sleep 1.5
[ "$(posts | "$PY" -c 'import json,sys; print(len([c for c in json.load(sys.stdin) if "Escalated" in c["body"].get("text","")]))')" = 1 ] ||
	fail "escalated once"
[ "$(posts | "$PY" -c 'import json,sys; print(len([c for c in json.load(sys.stdin) if "thread_ts" not in c["body"]]))')" = 1 ] ||
	fail "the first message not sent again after the restart"
out=$(press UMEG01 approve)
contains "$out" "200"
for _ in $(seq 50); do
	r=$(curl -s "${HA[@]}" "$A/api/v1/runs?status=succeeded")
	contains_run=$(json_field "$r" 'len(j["runs"])')
	[ "$contains_run" -ge 1 ] && break; sleep 0.1
done
contains "$r" '"playbook":"review"'
rid=$(json_field "$r" 'j["runs"][0]["id"]')
res=$(curl -s "${HA[@]}" "$A/api/v1/runs/$rid")
[ "$(json_field "$res" 'j["result"]["by"]')" = meg ] || fail "answered by meg: $res"
contains "$("$PY" "$H" calls "$base" chat.update)" "Answered by meg: approve"
# no reminders once answered
sleep 2.5
n1=$(posts | json_field "$(cat)" 'len(j)')
sleep 2.5
[ "$(posts | json_field "$(cat)" 'len(j)')" = "$n1" ] || fail "reminders after the answer"
: "$state" "$t_stop" "$n_before"
serve_stop || fail "stop"
finish
