#!/usr/bin/env bash
# What `make run` starts: the daemon with the bundled playbooks in mock mode on
# a fresh data directory (no vendor credentials, no config file). The bundled
# playbooks load (the Bonusly job scheduled), an alert runs the IP reputation
# playbook to its end with mock data (the IP on the EDL), and the Bonusly job
# fired by hand spends with mock gives, each a case.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
unset SOARCTL_INTEGRATIONS_CONFIG SOARCTL_INTEGRATIONS_DIR
data="$SOAR_TMP/var"
expect_exit 0 -- "$S" init --data "$data"
TOKEN=$("$S" user token --data "$data" --label demo 2>/dev/null)
log="$SOAR_TMP/serve.log"
(cd "$SOAR_SRC" && exec "$S" serve --data "$data" --listen 127.0.0.1:0 --playbooks playbooks --mock) 2>"$log" &
DPID=$!
for _ in $(seq 100); do
	api=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$log")
	[ -n "$api" ] && break; sleep 0.05
done
[ -n "$api" ] || { cat "$log"; echo "daemon did not start"; exit 1; }
A="http://127.0.0.1:$api"
H=(-H "Authorization: Bearer $TOKEN")
n=$(ls "$SOAR_SRC"/playbooks/*.lua | grep -vc '_test\.lua$')
jobs=$(grep -l '^  schedule = ' "$SOAR_SRC"/playbooks/*.lua | grep -vc '_test\.lua$')
contains "$(cat "$log")" "$n playbooks, $jobs jobs, mock mode" "the bundled playbooks load in mock mode"

curl -s "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"connection","src_ip":"185.220.101.4"}' >/dev/null
expect_exit 0 -- "$S" job run bonusly_spend_unused --data "$data"
for _ in $(seq 100); do
	runs=$(curl -s "${H[@]}" "$A/api/v1/runs?status=succeeded")
	[ "$(json_field "$runs" 'len(j["runs"])')" = 2 ] && break; sleep 0.1
done
checks=$((checks + 1))
[ "$(json_field "$runs" 'sorted(r["playbook"] for r in j["runs"])')" = "['bonusly_spend_unused', 'inbound_ip_reputation']" ] \
	|| fail "both bundled playbooks ran to success in mock mode: $runs $(curl -s "${H[@]}" "$A/api/v1/runs")"
ip=$(json_field "$runs" 'next(r["result"] for r in j["runs"] if r["playbook"] == "inbound_ip_reputation")')
contains "$ip" "'action': 'blocked'" "the mock reputation is bad"
[ "$(curl -s "${H[@]}" "$A/edl/blocked_ips")" = "185.220.101.4" ] || fail "on the EDL"
gives=$(json_field "$runs" 'next(len(r["result"]["given"]) for r in j["runs"] if r["playbook"] == "bonusly_spend_unused")')
[ "${gives:-0}" -ge 1 ] || fail "mock gives: $runs"
cases=$(curl -s "${H[@]}" "$A/api/v1/cases?type=bonusly_give&limit=100")
is_n=$(json_field "$cases" 'len(j["cases"])')
checks=$((checks + 1))
[ "$is_n" = "$gives" ] || fail "each give is a case: $is_n cases, $gives gives"
lacks "$(cat "$log")" "error" "the daemon's log"
kill -TERM "$DPID"; wait "$DPID" || fail "exit after SIGTERM"
DPID=
finish
