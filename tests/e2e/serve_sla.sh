#!/usr/bin/env bash
# SLA escalation with short SLAs against the real daemon: a case whose SLA is
# breached has its declared on_breach done once (severity raised, reassigned,
# people emailed through the SMTP sink, a playbook started, a timeline note, an
# audit entry); a task past its SLA (its run waiting on a prompt) likewise;
# closed cases, tasks done in time and SLAs not yet due are left alone; once
# means once across daemon restarts, and a breach while the daemon was down is
# escalated when it starts. `case list --breached` and ?breached=1; task SLAs
# on their case in `case show` (text and JSON) and GET /api/v1/cases/REF.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
smtp_start
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; kill $SMTP_PID 2>/dev/null' EXIT
texts() { "$S" case show "$1" --json | "$PY" -c 'import json,sys; print("\n".join(e["text"] for e in json.load(sys.stdin)["timeline"]))'; }
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2"; }
"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
H=(-H "Authorization: Bearer $TOK")
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/on_breach_pb.lua" <<'LUA'
return { name = "on_breach_pb", inputs = { case = { type = "string" } },
  run = function(_, input) case.note(input.case, "on_breach_pb ran for case " .. input.case) end }
LUA
tools="$SOAR_TMP/tools"; mkdir -p "$tools"
cat > "$tools/mk_cases.lua" <<'LUA'
return { name = "mk_cases", run = function()
  local soon = os.time() + 2
  local c1 = case.create{ title = "Breach me", severity = "high", sla_due = soon,
    on_breach = { severity = "raise", reassign = { owner = "bob", role = "tier2" },
                  notify = { email = "boss@example.com", text = "Case 1 breached its SLA" },
                  playbook = "on_breach_pb" } }
  local c2 = case.create{ title = "Closed in time", sla_due = soon, on_breach = { severity = "critical" } }
  case.close(c2.number, "fixed")
  local c3 = case.create{ title = "Not due", sla_due = os.time() + 3600, on_breach = { severity = "critical" } }
  local c4 = case.create{ title = "Breached, nothing declared", sla_due = soon }
  local c5 = case.create{ title = "Delegated review", severity = "medium" }
  return { c1.number, c2.number, c3.number, c4.number, c5.number }
end }
LUA
cat > "$tools/delegate.lua" <<'LUA'
return { name = "delegate", run = function()
  task("triage", function() return 1 end, { role = "soc", sla = 60 })
  return task("architect review", function()
    return prompt.ask{ question = "Approve the design?", options = { "yes", "no" } }
  end, { role = "architects", sla = 2,
         on_breach = { reassign = { role = "lead-architects" },
                       notify = { email = { "arch-lead@example.com" } } } })
end }
LUA
expect_exit 0 -- "$S" run "$tools/mk_cases.lua" --json
is "$(json_field "$out" 'j["result"]')" "[1, 2, 3, 4, 5]" "cases made"
expect_exit 3 -- "$S" run "$tools/delegate.lua" --case 5 --json
contains "$out" '"status":"waiting"'
echo 'return { name = "bad", run = function() case.create{ title = "x", on_breach = { severity = "urgent" } } end }' > "$tools/bad1.lua"
expect_exit 1 -- "$S" run "$tools/bad1.lua"
contains "$err" 'on_breach.severity is "raise" or low, medium, high, critical'
echo 'return { name = "bad", run = function() task("t", function() end, { sla = 5, on_breach = { page = "x" } }) end }' > "$tools/bad2.lua"
expect_exit 1 -- "$S" run "$tools/bad2.lua"
contains "$err" "on_breach: unknown field page"

serve_start --playbooks "$pb"
log="$SOAR_TMP/serve.log"
for _ in $(seq 80); do
	[ "$(grep -c 'SLA breached' "$log")" -ge 2 ] && [ -f "$mail/2.eml" ] && break; sleep 0.1
done
note1=$(texts 1)
contains "$note1" "SLA breached (case #1): escalated: severity high -> critical; owner -> bob; role -> tier2; notified (run "
contains "$note1" "started on_breach_pb (run "
c1=$(curl -s "${H[@]}" "$A/api/v1/cases/1")
is "$(json_field "$c1" '(j["severity"], j["owner"], j["role"])')" "('critical', 'bob', 'tier2')" "case 1 escalated"
is "$(json_field "$c1" 'j["sla_escalation"]["fired"] > 0')" True "its marker"
for _ in $(seq 50); do texts 1 | grep -q "on_breach_pb ran for case 1" && break; sleep 0.1; done
contains "$(texts 1)" "on_breach_pb ran for case 1" "the playbook started with the case"
for _ in $(seq 50); do texts 1 | grep -q 'SLA escalation notified: {"email":"sent"}' && break; sleep 0.1; done
contains "$(texts 1)" 'SLA escalation notified: {"email":"sent"}'
c5=$(curl -s "${H[@]}" "$A/api/v1/cases/5")
is "$(json_field "$c5" 'j["role"]')" "lead-architects" "the task's case reassigned"
is "$(json_field "$c5" '[(t["task"], t["role"], t["breached"], t["escalated"], t["done"] is not None) for t in j["task_slas"]]')" \
	"[('architect review', 'architects', True, True, False), ('triage', 'soc', False, False, True)]" "task SLAs on the case (HTTP)"
expect_exit 0 -- "$S" case show 5 --json
is "$(json_field "$out" '[t["task"] for t in j["case"]["task_slas"]]')" "['architect review', 'triage']" "task SLAs (case show --json)"
expect_exit 0 -- "$S" case show 5
contains "$out" "task SLA architect review (run "
contains "$out" "BREACHED"
contains "$out" "task SLA triage"
contains "$out" "done in time"
contains "$(texts 5)" "SLA breached (task architect review of run "
for c in 2 3 4; do lacks "$(texts $c)" "escalated:" "case $c left alone"; done
is "$(curl -s "${H[@]}" "$A/api/v1/cases/2" | json_field "$(cat)" 'j["severity"]')" "medium" "closed in time: untouched"
# the emails, read back from the sink
checks=$((checks + 1))
"$PY" - "$mail" <<'PY' || fail "escalation emails"
import email, email.policy, glob, json, sys
got = {}
for f in sorted(glob.glob(sys.argv[1] + "/*.eml")):
    m = email.message_from_bytes(open(f, "rb").read(), policy=email.policy.default)
    got[m["To"]] = m["Subject"]
assert got.get("boss@example.com") == "Case 1 breached its SLA", got
assert got.get("arch-lead@example.com", "").startswith("SLA breached: task architect review of run "), got
assert len(got) == 2, got
PY
# --breached: the CLI and the API
expect_exit 0 -- "$S" case list --breached --json
is "$(json_field "$out" 'sorted(c["number"] for c in (j["cases"] if isinstance(j, dict) else j))')" "[1, 4]" "case list --breached"
is "$(curl -s "${H[@]}" "$A/api/v1/cases?breached=1" | json_field "$(cat)" 'sorted(c["number"] for c in j["cases"])')" "[1, 4]" "?breached=1"
is "$(curl -s "${H[@]}" "$A/api/v1/cases?breached=1&status=closed" | json_field "$(cat)" 'j["cases"]')" "[]" "?breached=1&status=closed"

# ---- once, across restarts ----
serve_stop; rc=$?   # under ASan the exit runs LeakSanitizer: a leak fails it
checks=$((checks + 1)); [ "$rc" = 0 ] || fail "the daemon exited $rc (LeakSanitizer?): $(tail -30 "$SOAR_TMP/serve.log")"
cat > "$tools/late.lua" <<'LUA'
return { name = "late", run = function()
  return case.create{ title = "Breached while down", severity = "low", sla_due = os.time() + 1,
    on_breach = { severity = "raise" } }.number
end }
LUA
expect_exit 0 -- "$S" run "$tools/late.lua"
sleep 2
serve_start --playbooks "$pb"
for _ in $(seq 40); do grep -q "SLA breached (case #6)" "$log" && break; sleep 0.1; done
sleep 2.5     # two more sweeps
serve_stop; rc=$?   # under ASan the exit runs LeakSanitizer: a leak fails it
checks=$((checks + 1)); [ "$rc" = 0 ] || fail "the daemon exited $rc (LeakSanitizer?): $(tail -30 "$SOAR_TMP/serve.log")"
serve_start --playbooks "$pb"
sleep 2.5
serve_stop; rc=$?   # under ASan the exit runs LeakSanitizer: a leak fails it
checks=$((checks + 1)); [ "$rc" = 0 ] || fail "the daemon exited $rc (LeakSanitizer?): $(tail -30 "$SOAR_TMP/serve.log")"
is "$(curl -s -o /dev/null -w '%{http_code}' "$A/healthz" 2>/dev/null || true)" "000" "stopped"
is "$("$S" case show 6 --json | json_field "$(cat)" 'j["case"]["severity"]')" "medium" "raised once, not twice"
is "$(texts 1 | grep -c 'SLA breached (case #1)')" 1 "case 1 escalated once"
is "$(texts 5 | grep -c 'SLA breached (task architect review')" 1 "the task escalated once"
is "$(texts 6 | grep -c 'SLA breached (case #6)')" 1 "case 6 escalated once"
is "$("$S" audit list --last 500 | grep -c 'sla.escalate')" 3 "three escalations audited"
is "$(ls "$mail"/*.eml | wc -l)" 2 "no email twice"
finish
