#!/usr/bin/env bash
# Use case 2 against the real daemon: connection alerts posted over HTTP; the
# same source IP within the hour dropped by pre-processing (counted on the first
# case); an alert without a source IP ends gracefully; reputation from the
# abuseipdb stand-in; good: case closed; bad: enriched (ipinfo stand-in), on the
# EDL that GET /edl/blocked_ips serves (ETag, 304; per-list token or basic
# auth), and an email with the IP and
# the verdict received by a local SMTP server; the case left open.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
mail="$SOAR_TMP/mail"

standin_start
coproc SMTP { exec "$PY" "$SOAR_SRC/tools/standins/smtp.py" "$mail" --stdin-eof; }
read -r _ smtp <&"${SMTP[0]}"
DPID=
cleanup() { [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; kill "$STANDIN_PID" "$SMTP_PID" 2>/dev/null; }
trap cleanup EXIT
[ -n "$port" ] && [ -n "$smtp" ] || { echo "stand-ins did not start"; exit 1; }

"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
export SOARCTL_INTEGRATIONS_CONFIG="$SOAR_TMP/integrations.json"
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "abuseipdb": { "base_url": "$base", "api_key": "test-abuseipdb-key" },
  "ipinfo": { "base_url": "$base", "token": "test-ipinfo-token" },
  "email": { "smtp_url": "smtp://127.0.0.1:$smtp", "from": "soar@example.org" } }
JSON
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cp "$SOAR_SRC/playbooks/inbound_ip_reputation.lua" "$pb/"

serve_start --playbooks "$pb"
H=(-H "Authorization: Bearer $TOK")
post() { curl -s -o "$SOAR_TMP/body" -w '%{http_code}' "${H[@]}" -H 'Content-Type: application/json' \
	-X POST "$A/api/v1/alerts" --data-binary "$1"; }

checks=$((checks + 1))
code=$(post '{"type":"connection","src_ip":"185.220.101.4","dst_port":8333}')
[ "$code" = 202 ] || fail "bad IP alert: $code $(cat "$SOAR_TMP/body")"
bad_case=$(json_field "$(cat "$SOAR_TMP/body")" 'j["alerts"][0]["case"]')
# The same IP twice more (one in a batch): duplicates of the first case.
code=$(post '[{"type":"connection","src_ip":"185.220.101.4","dst_port":22},{"type":"connection","src_ip":"8.8.8.8"},{"type":"connection","dst_port":80}]')
[ "$code" = 202 ] || fail "batch: $code"
body=$(cat "$SOAR_TMP/body")
[ "$(json_field "$body" '[a["status"] for a in j["alerts"]]')" = "['duplicate', 'created', 'created']" ] \
	|| fail "batch outcomes: $body"
[ "$(json_field "$body" 'j["alerts"][0]["case"]')" = "$bad_case" ] || fail "duplicate counted on the first case: $body"
good_case=$(json_field "$body" 'j["alerts"][1]["case"]')
noip_case=$(json_field "$body" 'j["alerts"][2]["case"]')

# Three runs (bad, good, no IP) end; none for the duplicate.
for _ in $(seq 100); do
	runs=$(curl -s "${H[@]}" "$A/api/v1/runs?status=succeeded")
	[ "$(json_field "$runs" 'len(j["runs"])')" = 3 ] && break; sleep 0.1
done
[ "$(json_field "$runs" 'len(j["runs"])')" = 3 ] || fail "three runs succeeded: $runs $(cat "$SOAR_TMP/serve.log")"
[ "$(json_field "$runs" 'sorted(r["result"]["action"] for r in j["runs"])')" = "['blocked', 'closed', 'none']" ] \
	|| fail "actions: $runs"

c=$(curl -s "${H[@]}" "$A/api/v1/cases/$bad_case")
[ "$(json_field "$c" 'j["status"]')" = new ] || fail "bad IP's case stays open: $c"
[ "$(json_field "$c" 'j["severity"]')" = high ] || fail "bad IP's case raised to high: $c"
[ "$(json_field "$c" 'j["custom"]["org"]')" = "AS64500 Example Hosting" ] || fail "enriched by ipinfo: $c"
c=$(curl -s "${H[@]}" "$A/api/v1/cases/$good_case")
[ "$(json_field "$c" 'j["status"]')" = closed ] || fail "good IP's case closed: $c"
c=$(curl -s "${H[@]}" "$A/api/v1/cases/$noip_case")
[ "$(json_field "$c" 'j["status"]')" = closed ] || fail "no-IP case closed: $c"
contains "$(json_field "$c" 'j.get("close_reason")')" "no source IP"

# The EDL, as a firewall fetches it: text, ETag, 304 when unchanged.
checks=$((checks + 1))
edl=$(curl -s -D "$SOAR_TMP/hdr" "${H[@]}" "$A/edl/blocked_ips")
[ "$edl" = "185.220.101.4" ] || fail "EDL: '$edl'"
etag=$(sed -n 's/^ETag: *\([^\r]*\).*/\1/Ip' "$SOAR_TMP/hdr")
[ -n "$etag" ] || fail "no ETag: $(cat "$SOAR_TMP/hdr")"
code=$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" -H "If-None-Match: $etag" "$A/edl/blocked_ips")
[ "$code" = 304 ] || fail "If-None-Match: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$A/edl/blocked_ips")
[ "$code" = 401 ] || fail "EDL without credentials: $code"
# A per-list credential (firewalls send basic auth), from DATADIR/edl-auth (0600).
printf 'blocked_ips basic fw s3cret\n' > "$SOARCTL_DATA/edl-auth"; chmod 600 "$SOARCTL_DATA/edl-auth"
[ "$(curl -s -u fw:s3cret "$A/edl/blocked_ips")" = "185.220.101.4" ] || fail "EDL with basic auth"
code=$(curl -s -o /dev/null -w '%{http_code}' -u fw:wrong "$A/edl/blocked_ips")
[ "$code" = 401 ] || fail "EDL with a wrong password: $code"
# A per-list token, as a bearer token or ?token= (for firewalls that only take a
# URL); another list's token does not open this one; a file others may read is
# ignored.
printf 'blocked_ips basic fw s3cret\nblocked_ips token edl-tok-1\nother_ips token other-tok\n' \
	> "$SOARCTL_DATA/edl-auth"
checks=$((checks + 4))
[ "$(curl -s -H "Authorization: Bearer edl-tok-1" "$A/edl/blocked_ips")" = "185.220.101.4" ] \
	|| fail "EDL with the list's token (bearer)"
[ "$(curl -s "$A/edl/blocked_ips?token=edl-tok-1")" = "185.220.101.4" ] || fail "EDL with ?token="
code=$(curl -s -o /dev/null -w '%{http_code}' "$A/edl/blocked_ips?token=other-tok")
[ "$code" = 401 ] || fail "another list's token: $code"
chmod 644 "$SOARCTL_DATA/edl-auth"
code=$(curl -s -o /dev/null -w '%{http_code}' "$A/edl/blocked_ips?token=edl-tok-1")
[ "$code" = 401 ] || fail "an edl-auth file others may read is ignored: $code"
chmod 600 "$SOARCTL_DATA/edl-auth"

# The email: one message, to the owner, with the IP and the verdict.
checks=$((checks + 1))
n=$(ls "$mail"/*.eml 2>/dev/null | wc -l)
[ "$n" = 1 ] || fail "one email: $n"
contains "$(cat "$mail"/1.eml)" "185.220.101.4" "email"
contains "$(cat "$mail"/1.eml)" "malicious" "email"
contains "$(cat "$mail"/1.env)" "owner@example.org" "envelope"

# The duplicate is counted on the first case (flushed every 2 s).
for _ in $(seq 60); do
	tl=$("$S" case show "$bad_case" --json 2>/dev/null)
	case "$tl" in *"duplicate alert"*) break ;; esac; sleep 0.1
done
contains "$tl" "1 duplicate alert (src_ip:185.220.101.4)" "the first case's timeline"
m=$(curl -s "${H[@]}" "$A/metrics")
contains "$m" "soarctl_alerts_deduplicated_total 1"
contains "$m" "soarctl_cases_created_total 3"

# SIGTERM: drains and exits (0) well within 10 s.
kill -TERM "$DPID"
for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
checks=$((checks + 1))
if kill -0 "$DPID" 2>/dev/null; then fail "still running 10 s after SIGTERM"; else wait "$DPID"; rc=$?; [ "$rc" = 0 ] || fail "exit $rc after SIGTERM"; fi
DPID=
finish
