#!/usr/bin/env bash
# Pre-processing rules against the real daemon, each action by its outcome:
# drop; dedupe within a window (counted on the first case); link to an existing
# open case, by a key field (durably: the case holds the key) or by a case the
# alert names (and not to a closed one); close; set fields; choose the playbook
# instead of the triggers. A rule that both dedupes and links is refused at load.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT

"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/rules.lua" <<'LUA'
return {
  name = "rules",
  triggers = { { type = { "phish", "login", "dup" } } },
  preprocess = {
    { match = { type = "noise" }, drop = true },
    { match = { type = "dup" }, dedupe = { key = "src_ip", window = 3600 } },
    { match = { type = "phish" }, link = { key = "message_id" } },
    { match = { type = "followup" }, link = { case = "case" } },
    { match = { type = "login", user = "svc_backup" }, close = "known service account" },
    { match = { type = "login" }, set = { severity = "high", owner = "ana", labels = "auth,vpn" } },
    { match = { type = "special" }, playbook = "other" },
  },
  run = function(ctx) return { ran = "rules", case = ctx.case } end,
}
LUA
cat > "$pb/other.lua" <<'LUA'
return { name = "other", run = function(ctx) return { ran = "other", case = ctx.case } end }
LUA

log="$SOAR_TMP/serve.log"
start() { serve_start --playbooks "$pb"; }
stop() { kill -TERM "$DPID"; wait "$DPID"; DPID=; }
H=(-H "Authorization: Bearer $TOK")
post() { curl -s "${H[@]}" -X POST "$A/api/v1/alerts" --data-binary "$1"; }
statuses() { json_field "$1" '" ".join(a["status"] for a in j["alerts"])'; }
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2"; }
runs_of() { # CASE -> the playbooks that ran on it
	json_field "$(curl -s "${H[@]}" "$A/api/v1/runs?limit=1000")" \
		'sorted(r["playbook"] for r in j["runs"] if r.get("case") == "'"$1"'")'
}

start
# drop, and a plain triggered alert
r=$(post '[{"type":"noise"},{"type":"dup","src_ip":"10.0.0.1"},{"type":"dup","src_ip":"10.0.0.1"}]')
is "$(statuses "$r")" "dropped created duplicate" "drop, then dedupe in one request"
dup_case=$(json_field "$r" 'j["alerts"][1]["case"]')
is "$(json_field "$r" 'j["alerts"][2]["case"]')" "$dup_case" "the duplicate counts on the first case"

# link by key: the first alert of a message makes the case, the others join it,
# in the same request or later; another message is another case.
r=$(post '[{"type":"phish","message_id":"m-1","reporter":"bob"},{"type":"phish","message_id":"m-1","reporter":"eve"}]')
is "$(statuses "$r")" "created linked" "link by key within one request"
m1=$(json_field "$r" 'j["alerts"][0]["case"]')
is "$(json_field "$r" 'j["alerts"][1]["case"]')" "$m1" "linked to the first case"
r=$(post '{"type":"phish","message_id":"m-1","reporter":"zoe"}')
is "$(statuses "$r")" "linked" "link by key, a later request"
is "$(json_field "$r" 'j["alerts"][0]["case"]')" "$m1" "the same case"
r=$(post '{"type":"phish","message_id":"m-2"}')
is "$(statuses "$r")" "created" "another key, another case"
r=$(post '{"type":"phish"}')
is "$(statuses "$r")" "created" "no key field: a case of its own"
# Linked alerts are on the case's timeline, and start no run of their own.
for _ in $(seq 60); do
	tl=$("$S" case show "$m1" --json 2>/dev/null)
	[ "$(grep -o 'alert linked' <<<"$tl" | wc -l)" -ge 2 ] && break; sleep 0.1
done
contains "$tl" 'alert linked (message_id:m-1)' "the case's timeline"
contains "$tl" 'eve' "the linked alert itself on the timeline"
contains "$tl" 'zoe'
sleep 0.3
is "$(runs_of "$m1")" "['rules']" "one run for the case, none per linked alert"

# link by a case the alert names: open -> linked; closed or unknown -> a new case
r=$(post "{\"type\":\"followup\",\"case\":\"$m1\",\"note\":\"user replied\"}")
is "$(statuses "$r")" "linked" "link to the case an alert names"
is "$(json_field "$r" 'j["alerts"][0]["case"]')" "$m1" "to that case"
num=$(json_field "$(curl -s "${H[@]}" "$A/api/v1/cases/$m1")" 'j["number"]')
r=$(post "{\"type\":\"followup\",\"case\":\"$num\"}")
is "$(statuses "$r")" "linked" "a case number works too"
curl -s "${H[@]}" -X POST "$A/api/v1/cases/$m1/close" -d '{"reason":"done"}' >/dev/null
r=$(post "{\"type\":\"followup\",\"case\":\"$m1\"}")
is "$(statuses "$r")" "created" "a closed case is not linked to"
r=$(post '{"type":"followup","case":"99999"}')
is "$(statuses "$r")" "created" "an unknown case: a new one"
# After the case closed, its key no longer links: a new case takes it.
r=$(post '{"type":"phish","message_id":"m-1"}')
is "$(statuses "$r")" "created" "a closed case's key starts a new case"

# close, set fields, choose the playbook
r=$(post '[{"type":"login","user":"svc_backup"},{"type":"login","user":"joe"},{"type":"special"}]')
is "$(statuses "$r")" "closed created created" "close, set, playbook"
closed=$(json_field "$r" 'j["alerts"][0]["case"]')
setc=$(json_field "$r" 'j["alerts"][1]["case"]')
special=$(json_field "$r" 'j["alerts"][2]["case"]')
c=$(curl -s "${H[@]}" "$A/api/v1/cases/$closed")
is "$(json_field "$c" 'j["status"], j["close_reason"]')" "('closed', 'known service account')" "closed by the rule"
c=$(curl -s "${H[@]}" "$A/api/v1/cases/$setc")
is "$(json_field "$c" 'j["severity"], j["owner"], j["labels"]')" "('high', 'ana', ['auth', 'vpn'])" "fields set by the rule"
for _ in $(seq 50); do
	[ "$(runs_of "$special")" = "['other']" ] && [ "$(runs_of "$setc")" = "['rules']" ] && break
	sleep 0.1
done
is "$(runs_of "$special")" "['other']" "the rule's playbook instead of the triggers"
is "$(runs_of "$setc")" "['rules']" "the triggered playbook"
is "$(runs_of "$closed")" "[]" "a case closed by a rule starts no run"
m=$(curl -s "${H[@]}" "$A/metrics")
contains "$m" "soarctl_alerts_dropped_total 1"
contains "$m" "soarctl_alerts_deduplicated_total 1"
contains "$m" "soarctl_alerts_closed_total 1"

# Durable across a restart: the open case holding a key still takes its alerts.
r=$(post '{"type":"phish","message_id":"m-9"}')
m9=$(json_field "$r" 'j["alerts"][0]["case"]')
stop
start
r=$(post '{"type":"phish","message_id":"m-9"}')
is "$(statuses "$r")" "linked" "linked after a restart"
is "$(json_field "$r" 'j["alerts"][0]["case"]')" "$m9" "to the case holding the key"
stop

# Refused at load: a rule that dedupes and links; a link without a field.
cp "$pb/rules.lua" "$SOAR_TMP/rules.lua.ok"
sed -i 's/link = { key = "message_id" }/link = { key = "message_id" }, dedupe = "message_id"/' "$pb/rules.lua"
expect_exit 2 -- "$S" serve --listen 127.0.0.1:0 --playbooks "$pb"
contains "$err" "rules.lua: preprocess: a rule dedupes or links, not both"
cp "$SOAR_TMP/rules.lua.ok" "$pb/rules.lua"
sed -i 's/link = { case = "case" }/link = { nothing = 1 }/' "$pb/rules.lua"
expect_exit 2 -- "$S" serve --listen 127.0.0.1:0 --playbooks "$pb"
contains "$err" "preprocess.link needs key"
finish
