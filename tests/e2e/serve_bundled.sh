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
# - major_incident_update (use case 3), fired by its job through an SMTP sink:
#   nothing sent while no critical case is open; then one email to the list,
#   the case in its text and in the attached CSV (read back with Python's email).
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
standin_start
mail="$SOAR_TMP/mail"
coproc SMTP { exec "$PY" "$SOAR_SRC/tools/standins/smtp.py" "$mail" --stdin-eof; }
read -r _ smtp <&"${SMTP[0]}"
[ -n "$smtp" ] || { echo "SMTP sink did not start"; exit 1; }
trap 'kill "$STANDIN_PID" $SMTP_PID 2>/dev/null; [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
export SOARCTL_INTEGRATIONS_CONFIG="$SOAR_TMP/integrations.json"
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "email": { "smtp_url": "smtp://127.0.0.1:$smtp", "from": "soar@example.org" } }
JSON
"$S" init >/dev/null 2>&1 || fail "init"
TOK=$("$S" user token --label e2e 2>/dev/null)
H=(-H "Authorization: Bearer $TOK")
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cp "$SOAR_SRC/playbooks/deputise_tune_signature.lua" "$SOAR_SRC/playbooks/major_incident_update.lua" "$pb/"
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
trap 'kill "$STANDIN_PID" $SMTP_PID $RELAY 2>/dev/null; [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT

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

# ---- major incident communications ----
# The validation failure above is critical: close it, so none is open.
expect_exit 0 -- "$S" case close "$vcase" --reason "control fixed"
job_result() {   # job_result NAME N: the result of the job's Nth finished run
	local r=
	for _ in $(seq 150); do
		r=$("$S" runs list --json --limit 100 | "$PY" -c '
import json, sys
rs = sorted((r for r in json.load(sys.stdin) if r["playbook"] == sys.argv[1]
             and r["status"] in ("succeeded", "failed")), key=lambda r: r["created_ms"])
print(rs[int(sys.argv[2]) - 1]["id"] if len(rs) >= int(sys.argv[2]) else "")' "$1" "$2")
		[ -n "$r" ] && break; sleep 0.2
	done
	[ -n "$r" ] && "$S" runs show "$r" --json
}
expect_exit 0 -- "$S" job run major_incident_update
res=$(job_result major_incident_update 1)
is "$(json_field "$res" 'j["run"]["result"]["sent"]')" False "nothing sent with no critical case"
checks=$((checks + 1))
[ ! -e "$mail/1.eml" ] || fail "an email was sent with no critical case open"
expect_exit 0 -- "$S" case new --title "Ransomware on FS01" --severity critical --owner alice
crit=$(json_field "$("$S" case list --severity critical --status open --json)" 'j["cases"][0]["number"]')
expect_exit 0 -- "$S" case note "$crit" "FS01 isolated from the network"
expect_exit 0 -- "$S" job run major_incident_update
res=$(job_result major_incident_update 2)
is "$(json_field "$res" 'j["run"]["status"]')" succeeded "the update run"
is "$(json_field "$res" 'j["run"]["result"]["sent"]')" True "the update was sent"
for _ in $(seq 50); do [ -f "$mail/1.eml" ] && break; sleep 0.1; done
checks=$((checks + 1))
"$PY" - "$mail/1.eml" "$mail/1.env" "$crit" <<'PY' || fail "the update email"
import email, email.policy, json, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
env = json.load(open(sys.argv[2]))
crit = sys.argv[3]
assert m["Subject"].startswith("[Major incident] 1 critical case open"), m["Subject"]
assert env["rcpt_tos"] == ["management@example.org"], env
body = m.get_body(preferencelist=("plain",)).get_content()
assert "#%s  Ransomware on FS01  [new]  owner alice" % crit in body, body
assert "FS01 isolated from the network" in body, body
atts = [p for p in m.iter_attachments()]
assert len(atts) == 1 and atts[0].get_filename().endswith(".csv"), [p.get_filename() for p in atts]
csv = atts[0].get_content()
if isinstance(csv, bytes):
    csv = csv.decode()
rows = [l for l in csv.splitlines() if l]
assert rows[0].startswith("number,title,status,owner") and len(rows) == 2, rows
assert rows[1].startswith(crit + ",Ransomware on FS01,new,alice"), rows
PY

kill "$RELAY" 2>/dev/null
serve_stop || fail "serve exit status"
finish
