#!/usr/bin/env bash
# The bundled people-in-the-loop playbooks end to end under `soarctl serve`,
# with the SMTP sink and the vendor stand-in:
# - delegate_architect_review (use case 4, delegate): a change request's review
#   task goes to the architects' role with its own SLA; the architects get an
#   emailed link; past the SLA the review escalates to the architecture leads
#   (emailed their own link) and the case's severity is raised with the lead
#   told; a lead answers through the link; the case stays its owner's.
# - poc_provisioning (use case 5): a requester starts it over the API (the
#   self-service form's twin); the manager approves by the emailed link; the
#   provisioning calls reach the stand-in with the platform's secrets, which
#   never show in the run's record; the requester is emailed that it is ready.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
standin_start
smtp_start
trap 'kill "$STANDIN_PID" $SMTP_PID 2>/dev/null; [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
M="$SOAR_SRC/tests/e2e/prompt_reach.py"
TOK=$("$S" user token --label e2e 2>/dev/null | tail -1)
HA=(-H "Authorization: Bearer $TOK")
code() { curl -s -o "$SOAR_TMP/body" -w '%{http_code}' "$@"; }
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2"; }
mail_to() {   # mail_to ADDRESS FIRST LAST: the first message to ADDRESS among FIRST..LAST (waits)
	local n m
	for n in $(seq "$2" "$3"); do
		m=$("$PY" "$M" mail "$mail" "$n" 20)
		[ "$(json_field "$m" 'j.get("to")')" = "$1" ] && { printf '%s' "$m"; return; }
	done
}
"$S" user define-role architects prompt.answer,case.read >/dev/null || fail "define-role"
"$S" user define-role architecture-leads prompt.answer,case.read >/dev/null || fail "define-role"
"$S" user define-role requester playbook.run,case.read >/dev/null || fail "define-role"
"$S" user add lena --role architecture-leads >/dev/null || fail "user add lena"
"$S" user set lena --email lena@example.org >/dev/null || fail "user set lena"
"$S" user add rita --role requester >/dev/null || fail "user add rita"
RITA=$("$S" user token rita 2>/dev/null | tail -1)
"$S" user add max --role approver >/dev/null || fail "user add max"
printf 'cloud-secret-4711' | "$S" secret set poc.cloud_token >/dev/null || fail "secret set"
printf 'crm-secret-0815' | "$S" secret set poc.crm_token >/dev/null || fail "secret set"
for s in poc.cloud_token poc.crm_token; do
	"$S" secret grant "$s" --playbook poc_provisioning >/dev/null || fail "secret grant $s"
done
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
# The team's copies: a 3-second SLA instead of two days, the stand-in as the
# provisioning API.
sed -e 's/sla = { type = "integer", default = 172800/sla = { type = "integer", default = 3/' \
	"$SOAR_SRC/playbooks/delegate_architect_review.lua" > "$pb/delegate_architect_review.lua"
sed -e "s|api = { type = \"string\", default = \"http://127.0.0.1:8089\"|api = { type = \"string\", default = \"$base\"|" \
	"$SOAR_SRC/playbooks/poc_provisioning.lua" > "$pb/poc_provisioning.lua"
checks=$((checks + 1))
grep -q "default = 3," "$pb/delegate_architect_review.lua" && grep -q "$base" "$pb/poc_provisioning.lua" ||
	fail "the copies were not adapted"
serve_start --playbooks "$pb"

# ---- delegate ----
curl -s "${HA[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"change_request","title":"Open 8333/tcp on the DMZ","requester":"alice","change":"allow inbound 8333/tcp to node01"}' >/dev/null
expect_exit 0 -- "$S" case list --type change_request --json
crcase=$(json_field "$out" 'j["cases"][0]["number"]')
m=$(mail_to architects@example.org 1 1)
contains "$m" "Architecture review: Open 8333/tcp on the DMZ" "the architects' email"
alink=$(json_field "$m" 'j["link"]')
is "$(code "$alink")" 200 "the architects' link opens the review form"
contains "$(cat "$SOAR_TMP/body")" "Decision"
# Nobody answers: past the 3 s SLA the leads are asked too, the lead is told.
lm=$(mail_to lena@example.org 2 4)
llink=$(json_field "$lm" 'j["link"]')
checks=$((checks + 1))
[ -n "$llink" ] || fail "no escalation email to the architecture leads: $(ls "$mail")"
bm=$(mail_to architecture-lead@example.org 2 4)
contains "$bm" "past its SLA" "the lead told of the breach"
for _ in $(seq 100); do
	sev=$(json_field "$("$S" case show "$crcase" --json)" 'j["case"]["severity"]')
	[ "$sev" = high ] && break; sleep 0.1
done
is "$sev" high "the breach raised the case's severity"
pid=$(printf '%s' "$llink" | sed 's,.*/prompts/\([^?]*\)?.*,\1,')
is "$(code -X POST "$A/api/v1/prompts/$pid/answer?t=${llink#*\?t=}" --data '_form=1&decision=approve+with+changes&comments=only+from+the+VPN')" 200 "the lead answers by the link"
for _ in $(seq 100); do
	show=$("$S" case show "$crcase" --json)
	case "$show" in *"architecture review: approve with changes"*) break ;; esac; sleep 0.1
done
contains "$show" "architecture review: approve with changes by" "the decision on the case"
contains "$show" "only from the VPN" "the comments"
is "$(json_field "$show" 'j["case"]["owner"]')" None "the case stays its owner's (nobody reassigned it)"
contains "$show" '"task":"architecture review"' "the task's SLA shown on the case"

# ---- self-service PoC ----
n0=$(ls "$mail" | grep -c '\.eml$')
is "$(code -H "Authorization: Bearer $RITA" -X POST "$A/api/v1/playbooks/poc_provisioning/runs" \
	-d '{"owner":"rita@example.org","company":"Acme Corp","region":"eu-west","accounts":2,"manager_email":"max@example.org"}')" 201 "rita starts the PoC"
run=$(json_field "$(cat "$SOAR_TMP/body")" 'j["run"]')
is "$(code -H "Authorization: Bearer $RITA" -X POST "$A/api/v1/playbooks/poc_provisioning/runs" \
	-d '{"owner":"rita@example.org","company":"Acme Corp","region":"mars","manager_email":"max@example.org"}')" 400 "a region not offered"
mm=$(mail_to max@example.org $((n0 + 1)) $((n0 + 2)))
contains "$mm" "Acme Corp in eu-west (2 accounts). Approve?" "the manager's email"
mlink=$(json_field "$mm" 'j["link"]')
pid=$(printf '%s' "$mlink" | sed 's,.*/prompts/\([^?]*\)?.*,\1,')
is "$(code -X POST "$A/api/v1/prompts/$pid/answer?t=${mlink#*\?t=}" --data '_form=1&choice=approve')" 200 "the manager approves by the link"
for _ in $(seq 150); do
	st=$(json_field "$("$S" runs show "$run" --json)" 'j["run"]["status"]')
	[ "$st" = succeeded ] || [ "$st" = failed ] && break; sleep 0.1
done
expect_exit 0 -- "$S" runs show "$run" --json
is "$(json_field "$out" 'j["run"]["status"]')" succeeded "the PoC run"
is "$(json_field "$out" 'j["run"]["result"]["provisioned"]')" True "provisioned"
lacks "$out" "cloud-secret-4711" "the cloud secret in the run's record"
lacks "$out" "crm-secret-0815" "the CRM secret in the run's record"
hooks=$(curl -s "$base/stats")
is "$(json_field "$hooks" '[h["path"] for h in j["webhooks"]]')" "['/webhook/cloud/projects', '/webhook/cloud/users', '/webhook/cloud/users', '/webhook/crm/pocs']" "the provisioning calls"
rm=$(mail_to rita@example.org $((n0 + 2)) $((n0 + 3)))
contains "$rm" "is ready" "the requester told"
poc=$(json_field "$out" 'j["run"]["result"]["case"]')
expect_exit 0 -- "$S" case show "$poc" --json
is "$(json_field "$out" 'j["case"]["status"]')" closed "the request's case closed"
contains "$out" "manager: approve" "the approval on the case"
serve_stop || fail "serve exit status"
finish
