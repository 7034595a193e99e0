#!/usr/bin/env bash
# The bundled monthly_report playbook: scheduled for the first of the month,
# it fetches GET /api/v1/report?format=html from the daemon with its API token
# (a secret) and mails it as an attachment. A real SMTP server on 127.0.0.1
# (tools/standins/smtp.py) receives it; the attachment's figures are the
# store's. Without a token the API refuses the report.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
mail="$SOAR_TMP/mail"
DPID=
coproc SMTP { exec "$PY" "$SOAR_SRC/tools/standins/smtp.py" "$mail" --stdin-eof; }
read -r _ sport <&"${SMTP[0]}"
trap 'kill $SMTP_PID 2>/dev/null; [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
[ -n "$sport" ] || { echo "SMTP server did not start"; exit 1; }
export SOARCTL_INTEGRATIONS_CONFIG="$SOAR_TMP/integrations.json"
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "email": { "smtp_url": "smtp://127.0.0.1:$sport", "from": "soar@example.org" } }
JSON
cp "$SOAR_SRC/playbooks/monthly_report.lua" "$pb/"
"$S" init >/dev/null 2>&1 || true
"$S" user add reporter --role viewer >/dev/null 2>&1 || fail "user add"
"$S" user token reporter --label monthly 2>/dev/null | tail -1 | "$S" secret set monthly_report.api_token >/dev/null 2>&1 || fail "secret set"
"$S" secret grant monthly_report.api_token --playbook monthly_report >/dev/null 2>&1 || fail "grant"
for i in 1 2 3; do "$S" case new --title "c$i" --type phishing --severity high >/dev/null; done
"$S" case new --title "c4" --type malware --severity low >/dev/null

serve_start --playbooks "$pb"
# scheduled for 07:00 UTC on the first of the month
expect_exit 0 -- "$S" job list --json
checks=$((checks + 1))
"$PY" -c '
import json, sys
j = [x for x in json.loads(sys.argv[1]) if x["name"] == "monthly_report"]
assert j and j[0]["schedule"] == "0 7 1 * *", j
nxt = j[0].get("next")
assert nxt and ("-01T07:00:00" in str(nxt) or isinstance(nxt, (int, float))), nxt
' "$out" || fail "monthly_report is not scheduled on the 1st: $out"

is_code() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2"; }
is_code "$(curl -s -o /dev/null -w '%{http_code}' "$A/api/v1/report?format=html")" 401 "report without a token"
TOK=$("$S" user token --label e2e 2>/dev/null | tail -1)
is_code "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "$A/api/v1/report?since=forever")" 400 "report with a bad since"
is_code "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" "$A/api/v1/report?format=pdf")" 400 "report in an unknown format"

# fire it now, as the daemon does on the 1st
expect_exit 0 -- "$S" run "$pb/monthly_report.lua" --input "api=$A" --input to=boss@example.org --json
[ "$(json_field "$out" 'j["result"]["sent"]')" = True ] || fail "not sent: $out"
for _ in $(seq 50); do [ -f "$mail/1.eml" ] && break; sleep 0.1; done
checks=$((checks + 1))
"$PY" - "$mail/1.eml" <<'PY' || fail "the mailed report"
import email, email.policy, re, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert m["To"] == "boss@example.org", m["To"]
assert re.match(r"soarctl report \d{4}-\d\d: 4 cases, \d+ runs, \d+ minutes saved", m["Subject"]), m["Subject"]
atts = list(m.iter_attachments())
assert len(atts) == 1 and re.match(r"soarctl-report-\d{4}-\d\d\.html$", atts[0].get_filename()), [a.get_filename() for a in atts]
assert atts[0].get_content_type() == "text/html"
h = atts[0].get_payload(decode=True).decode()
card = lambda i: re.search(r"<span id=%s><b>([^<]*)</b>" % i, h).group(1)
assert card("created") == "4" and card("total") == "4" and card("open") == "4", (card("created"), card("total"))
assert "<svg id=\"chart-severity\"" in h and "<script" not in h
PY
serve_stop || fail "daemon exit"
finish
