#!/usr/bin/env bash
# The bundled playbooks of the use cases, end to end under `soarctl serve`,
# against the stand-in (tools/standins/standin.py):
# - continuous_validation (use case 6), copied and pointed at the stand-in as a
#   team would adapt it: a download that comes through opens a critical case, a
#   refused connection passes, the test event posted to a "sensor" comes back as
#   an alert (this script plays the SIEM relay) and passes; fired by its job;
#   a second failure notes the same case.
# - deputise_tune_signature (use case 4): an IDS alert, the analyst's prompt
#   answered yes, a child case for the IDS team; the analyst closes the parent;
#   the child's close is told on the parent's timeline.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
standin_start
trap 'kill "$STANDIN_PID" 2>/dev/null; [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || fail "init"
TOK=$("$S" user token --label e2e 2>/dev/null)
H=(-H "Authorization: Bearer $TOK")
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cp "$SOAR_SRC/playbooks/deputise_tune_signature.lua" "$pb/"
# The team's copy: its controls' addresses as the inputs' defaults.
sed -e "s|download_url = { type = \"string\", default = \"\"|download_url = { type = \"string\", default = \"$base/ok\"|" \
    -e "s|forbidden_url = { type = \"string\", default = \"\"|forbidden_url = { type = \"string\", default = \"http://127.0.0.1:1/\"|" \
    -e "s|event_url = { type = \"string\", default = \"\"|event_url = { type = \"string\", default = \"$base/webhook/sensor\"|" \
    -e "s|alert_within = { type = \"integer\", default = 600|alert_within = { type = \"integer\", default = 30|" \
    -e "s|poll = { type = \"integer\", default = 30|poll = { type = \"integer\", default = 1|" \
    "$SOAR_SRC/playbooks/continuous_validation.lua" > "$pb/continuous_validation.lua"
checks=$((checks + 1))
grep -q "$base/webhook/sensor" "$pb/continuous_validation.lua" || fail "the copy was not pointed at the stand-in"

serve_start --playbooks "$pb"
expect_exit 0 -- "$S" job list --json
contains "$out" '"continuous_validation"' "the hourly job"
contains "$out" '"0 * * * *"' "its schedule"

# The SIEM relay: each test event the sensor receives becomes an alert.
relay() {
	local seen=0
	for _ in $(seq 300); do
		local n
		n=$(curl -s "$base/stats" | "$PY" -c '
import json, sys
hooks = [h for h in json.load(sys.stdin)["webhooks"] if h["path"] == "/webhook/sensor"]
print(len(hooks))
for h in hooks: print(json.loads(h["body"])["marker"])' | sed -n '1p')
		if [ "${n:-0}" -gt "$seen" ]; then
			curl -s "$base/stats" | "$PY" -c '
import json, sys
hooks = [h for h in json.load(sys.stdin)["webhooks"] if h["path"] == "/webhook/sensor"]
for h in hooks[int(sys.argv[1]):]: print(json.loads(h["body"])["marker"])' "$seen" |
			while read -r m; do
				curl -s "${H[@]}" -X POST "$A/api/v1/alerts" \
					-d "[{\"type\":\"validation_event\",\"title\":\"test event\",\"marker\":\"$m\"}]" >/dev/null
			done
			seen=$n
		fi
		sleep 0.2
	done
}
relay & RELAY=$!
trap 'kill "$STANDIN_PID" $RELAY 2>/dev/null; [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT

expect_exit 0 -- "$S" job run continuous_validation
run=
for _ in $(seq 150); do
	run=$("$S" runs list --json --limit 100 | "$PY" -c '
import json, sys
print(" ".join(r["id"] for r in json.load(sys.stdin)
      if r["playbook"] == "continuous_validation" and r["status"] in ("succeeded", "failed")))')
	[ -n "$run" ] && break; sleep 0.2
done
checks=$((checks + 1))
[ -n "$run" ] || fail "the job's run did not finish: $("$S" runs list 2>&1)"
expect_exit 0 -- "$S" runs show "$run" --json
res=$out
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2 (${res:0:400})"; }
is "$(json_field "$res" 'j["run"]["status"]')" succeeded "the validation run"
is "$(json_field "$res" 'j["run"]["result"]["checked"]')" 3 "controls checked"
is "$(json_field "$res" 'j["run"]["result"]["failed"]')" 1 "controls failing"
is "$(json_field "$res" '[r["ok"] for r in j["run"]["result"]["results"]]')" "[False, True, True]" "download through, connection refused, alert arrived"
contains "$(json_field "$res" 'j["run"]["result"]["results"][0]["why"]')" "the web filter let it through"
contains "$(json_field "$res" 'j["run"]["result"]["results"][2]["why"]')" "alert case #"
expect_exit 0 -- "$S" case list --type validation_failure --status open --json
is "$(json_field "$out" 'len(j["cases"])')" 1 "one critical case"
is "$(json_field "$out" 'j["cases"][0]["severity"]')" critical "its severity"
is "$(json_field "$out" 'j["cases"][0]["title"]')" "Control failed: download blocked" "its title"
vcase=$(json_field "$out" 'j["cases"][0]["number"]')
expect_exit 0 -- "$S" case list --type validation_event --status closed --json
is "$(json_field "$out" 'len(j["cases"])')" 1 "the test event's alert, closed by the check"

# An hour later, still failing: the same case gets a note.
expect_exit 0 -- "$S" job run continuous_validation
for _ in $(seq 150); do
	n=$("$S" case show "$vcase" --json | "$PY" -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin)["timeline"] if e["text"].startswith("still failing")))')
	[ "$n" = 1 ] && break; sleep 0.2
done
is "$n" 1 "the second failure notes the open case"
expect_exit 0 -- "$S" case list --type validation_failure --json
is "$(json_field "$out" 'len(j["cases"])')" 1 "no second case"

# ---- deputise ----
curl -s "${H[@]}" -X POST "$A/api/v1/alerts" -d '[{"type":"ids_alert","title":"IDS: id check returned root","sid":2100498,"signature":"GPL ATTACK_RESPONSE id check returned root","src_ip":"203.0.113.9"}]' >/dev/null
pid=
for _ in $(seq 150); do
	pid=$("$S" prompt list --json | "$PY" -c '
import json, sys
print(" ".join(p["id"] for p in json.load(sys.stdin) if "2100498" in p["question"]))')
	[ -n "$pid" ] && break; sleep 0.2
done
checks=$((checks + 1))
[ -n "$pid" ] || fail "no prompt for the analyst: $("$S" prompt list 2>&1)"
# The question is for the analysts: this user joins them to answer.
expect_exit 0 -- "$S" user role "$(id -un)" admin,analyst
expect_exit 0 -- "$S" prompt answer "$pid" --choice yes --no-resume
child=
for _ in $(seq 150); do
	child=$("$S" case list --type ids_tuning --json | "$PY" -c '
import json, sys
print(" ".join(str(c["number"]) for c in json.load(sys.stdin)["cases"]))')
	[ -n "$child" ] && break; sleep 0.2
done
checks=$((checks + 1))
[ -n "$child" ] || fail "no child case for the IDS team"
expect_exit 0 -- "$S" case show "$child" --json
is "$(json_field "$out" 'j["case"]["role"]')" ids "the child's team"
parent=$(json_field "$out" 'j["case"]["parent"]')
checks=$((checks + 1))
[ -n "$parent" ] && [ "$parent" != None ] && [ "$parent" != 0 ] || fail "the child has no parent: $out"
expect_exit 0 -- "$S" case close "$parent" --reason "deputised to the IDS team"
expect_exit 0 -- "$S" case update "$child" --status active
expect_exit 0 -- "$S" case close "$child" --reason "threshold raised"
expect_exit 0 -- "$S" case show "$parent" --json
contains "$out" "child #$child: Tune the IDS signature 2100498" "the parent told of the child"
contains "$out" "child #$child active -> closed: threshold raised" "the parent told of its close"
contains "$out" "deputised to ids: case #$child" "the playbook's note"

kill "$RELAY" 2>/dev/null
serve_stop || fail "serve exit status"
finish
