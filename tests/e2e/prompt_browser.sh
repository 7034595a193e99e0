#!/usr/bin/env bash
# A prompt's form filled in headless Chromium, opened from the emailed link
# (read back from the SMTP sink): every field type, labels bound, a bad integer
# refused with its message beside the field, the answer recorded and the run
# going on with typed values. Screenshots: build/artefacts/prompt_browser/.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/chromedriver ] || ! "$PY" -c 'import selenium' 2>/dev/null; then
	echo "chromium, chromium-driver and python3-selenium are needed (tools/deps.sh)"; exit 1
fi
art="${SOAR_ARTEFACTS:-$(dirname "$SOARCTL")/artefacts}/prompt_browser"
rm -rf "$art"; mkdir -p "$art"
DPID=
mail="$SOAR_TMP/mail"
coproc SMTP { exec "$PY" "$SOAR_SRC/tools/standins/smtp.py" "$mail" --stdin-eof; }
read -r _ sport <&"${SMTP[0]}"
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; kill $SMTP_PID 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
"$S" user add ana --role approver >/dev/null
"$S" user set ana --email ana@example.org >/dev/null
export SOARCTL_INTEGRATIONS_CONFIG="$SOAR_TMP/integrations.json"
echo "{ \"email\": { \"smtp_url\": \"smtp://127.0.0.1:$sport\", \"from\": \"soar@example.org\" } }" \
	> "$SOARCTL_INTEGRATIONS_CONFIG"
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/poc.lua" <<'LUA'
return { name = "poc", triggers = { { type = "poc" } },
  run = function()
    local a = prompt.ask{ question = "Provision the PoC accounts?", to = "approver",
      notify = { email = { to = "ana" } },
      fields = {
        { name = "who", type = "string", label = "Requester", help = "Full name of the requester" },
        { name = "why", type = "text", label = "Reason", required = false },
        { name = "count", type = "integer", label = "Accounts", help = "How many accounts, 1 to 10" },
        { name = "budget", type = "number", label = "Budget (kEUR)", default = 12.5 },
        { name = "urgent", type = "boolean", label = "Urgent" },
        { name = "env", type = "choice", label = "Environment", options = { "dev", "prod" } },
        { name = "tools", type = "choices", label = "Tools", options = { "edr", "siem", "waf" } },
        { name = "start", type = "date", label = "Start date" },
      } }
    return { value = a.value, by = a.by }
  end }
LUA
serve_start --playbooks "$pb"
curl -s -H "Authorization: Bearer $TOK" -X POST "$A/api/v1/alerts" -d '{"type":"poc"}' >/dev/null
m=$("$PY" "$SOAR_SRC/tests/e2e/prompt_reach.py" mail "$mail" 1)
link=$(json_field "$m" 'j["link"]')
[ -n "$link" ] && [ "$link" != None ] || { fail "no link: $m"; finish; exit 1; }
out=$(timeout 120 "$PY" "$SOAR_SRC/tests/e2e/prompt_browser.py" "$link" "$art" "$SOAR_TMP/chromium-profile" 2>&1)
checks=$((checks + 1))
case "$out" in *OK) ;; *) fail "browser: $out" ;; esac
for f in 1-form 2-bad-integer 3-recorded; do
	checks=$((checks + 1)); [ -s "$art/$f.png" ] || fail "screenshot $f.png"
done
for _ in $(seq 100); do
	r=$(curl -s -H "Authorization: Bearer $TOK" "$A/api/v1/runs?status=succeeded")
	[ "$(json_field "$r" 'len(j["runs"])')" -ge 1 ] && break; sleep 0.1
done
rid=$(json_field "$r" 'j["runs"][0]["id"]')
r=$(curl -s -H "Authorization: Bearer $TOK" "$A/api/v1/runs/$rid")
[ "$(json_field "$r" 'j["result"]["value"] == {"who": "Ada Lovelace", "why": "line one\nline two", "count": 3, "budget": 99.5, "urgent": True, "env": "prod", "tools": ["edr", "siem"], "start": "2026-12-24"}')" = True ] ||
	fail "the run went on with typed values: $r"
[ "$(json_field "$r" 'j["result"]["by"]')" = ana ] || fail "by ana: $r"
serve_stop || fail "stop"
finish
