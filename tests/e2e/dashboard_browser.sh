#!/usr/bin/env bash
# The dashboard in headless Chromium (dashboard_browser.py): sign in, overview
# counts equal the store's, live cases, a filter, a case page with timeline and
# runs, a prompt answered from the page, a viewer refused a close, a POST
# without the CSRF token refused. Screenshots of every page are kept under
# build/artefacts/dashboard/ (docs/dashboard.md names them).
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
for need in /usr/bin/chromium /usr/bin/chromedriver; do
	[ -x "$need" ] || { echo "FAIL: $need missing: run tools/deps.sh (chromium, chromium-driver, python3-selenium)"; exit 1; }
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || { echo "FAIL: python3-selenium missing: run tools/deps.sh"; exit 1; }
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null | tail -1)
"$S" user add u_viewer --role viewer >/dev/null 2>&1 || fail "user add viewer"
VTOK=$("$S" user token u_viewer --label v 2>/dev/null | tail -1)
cat > "$pb/approve.lua" <<'LUA'
return { name = "approve", triggers = { { type = "approval" } }, minutes_saved = 7,
  run = function()
    local a = prompt.ask{ question = "Contain the host?", options = { "yes", "no" } }
    return { answer = a.value }
  end }
LUA
cat > "$pb/quick.lua" <<'LUA'
return { name = "quick", triggers = { { type = "quick" } }, minutes_saved = 5,
  minutes_to_build = 20, run = function() return { ok = true } end }
LUA
cat > "$pb/nightly.lua" <<'LUA'
return { name = "nightly", schedule = "0 3 * * *", minutes_saved = 15,
  run = function() return { ok = true } end }
LUA
"$S" edl add blocklist 203.0.113.5 198.51.100.7 --ttl 86400 --comment "from the dashboard test" >/dev/null || fail "edl add"
"$S" edl add blocklist 192.0.2.1 >/dev/null || fail "edl add"
serve_start --playbooks "$pb"
api() { curl -s -H "Authorization: Bearer $TOK" "$@"; }
api -X POST "$A/api/v1/cases" -d '{"title":"<script>alert(1)</script>","type":"phishing","severity":"critical"}' >/dev/null
for i in 1 2 3 4; do api -X POST "$A/api/v1/cases" -d "{\"title\":\"malware $i\",\"type\":\"malware\",\"severity\":\"low\",\"sla_due\":\"+1h\"}" >/dev/null; done
api -X POST "$A/api/v1/cases" -d '{"title":"odd login","type":"identity","severity":"medium"}' >/dev/null
api -X POST "$A/api/v1/alerts" -d '[{"type":"quick"},{"type":"quick"},{"type":"approval"}]' >/dev/null
for _ in $(seq 200); do
	n=$("$S" runs list --json | "$PY" -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["status"] in ("succeeded","waiting")))')
	[ "$n" = 3 ] && break; sleep 0.05
done
[ "$n" = 3 ] || fail "runs did not settle"
shots="${SOAR_BUILD:-$SOAR_TMP}/artefacts/dashboard"
checks=$((checks + 1))
if ! timeout 240 /usr/bin/python3 "$(dirname "$0")/dashboard_browser.py" "$A" "$TOK" "$VTOK" "$S" "$shots"; then
	fail "the browser checks (screenshot of the failure: $shots/failure.png)"
fi
ls "$shots"/*.png >/dev/null 2>&1 || fail "no screenshots in $shots"
serve_stop || fail "daemon exit"
finish
