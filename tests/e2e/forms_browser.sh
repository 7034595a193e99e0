#!/usr/bin/env bash
# A self-service form (every input kind) signed into and submitted from
# headless Chromium through selenium (tests/e2e/forms_browser.py); the run it
# started is the signed-in user's and got the typed inputs. Screenshots are
# kept in $SOAR_BUILD/artefacts/forms/ (1-sign-in.png, 2-form-filled.png,
# 3-started.png).
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
for need in /usr/bin/chromium /usr/bin/chromedriver; do
	[ -x "$need" ] || { echo "FAIL: $need is missing (tools/deps.sh installs it)"; exit 1; }
done
"$S" init >/dev/null 2>&1 || true
ADMIN=$("$S" user token --label e2e 2>/dev/null)
"$S" user define-role requester playbook.run >/dev/null
"$S" user add alice --role requester >/dev/null
AL=$("$S" user token alice 2>/dev/null)
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/poc.lua" <<'LUA'
return { name = "poc",
  form = { title = "Request a PoC environment", description = "Accounts for a customer trial.",
           roles = { "requester" }, fields = { "customer", "tier", "seats" } },
  inputs = {
    customer = { type = "string", required = true, label = "Customer", description = "Who the PoC is for" },
    seats = { type = "integer", default = 5, description = "Accounts to create" },
    budget = { type = "number", default = 0, description = "In euros" },
    tier = { type = "string", options = { "small", "large" }, default = "small" },
    trial = { type = "boolean", default = false, description = "A time-limited trial" },
    tags = { type = "table", description = "JSON, for example {\"region\": \"eu\"}" },
  },
  run = function(_, input) return input end }
LUA
serve_start --playbooks "$pb"
shots="${SOAR_BUILD:-$SOAR_TMP}/artefacts/forms"
rm -rf "$shots"
expect_exit 0 -- timeout 120 "$PY" "$SOAR_SRC/tests/e2e/forms_browser.py" "$A" "$AL" "$shots"
id=$(tail -n1 <<<"$out")
for _ in $(seq 50); do
	r=$(curl -s -H "Authorization: Bearer $ADMIN" "$A/api/v1/runs/$id")
	case "$r" in *'"status":"succeeded"'*) break;; esac; sleep 0.1
done
contains "$r" '"result":{"budget":2500.5,"customer":"Umbrella Corp","seats":12,"tags":{"region":"eu","sso":true},"tier":"large","trial":true}' "the run from the browser"
for f in 1-sign-in.png 2-form-filled.png 3-started.png; do
	checks=$((checks + 1))
	[ -s "$shots/$f" ] && [ "$(head -c 4 "$shots/$f" | od -An -c | tr -d ' ')" = "211PNG" ] || fail "screenshot $f"
done
grep -q "http:alice .*playbook.start .*poc .*\"run\":\"$id\",\"via\":\"form\"" <<<"$("$S" audit list --last 100)" || fail "audited as alice"
checks=$((checks + 1))
serve_stop; rc=$?   # under ASan the exit runs LeakSanitizer: a leak fails it
checks=$((checks + 1)); [ "$rc" = 0 ] || fail "the daemon exited $rc (LeakSanitizer?): $(tail -30 "$SOAR_TMP/serve.log")"
finish
