#!/usr/bin/env bash
# docs/openapi.json against the live daemon (openapi_check.py): every route the
# daemon answers is described and every described path is routed; every
# documented status of every operation is produced by a real request, and each
# body matches its schema; GET /api/v1/openapi.json serves the file to any role.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT

python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$SOAR_SRC/docs/openapi.json" ||
	{ echo "docs/openapi.json is not JSON"; exit 1; }
TOK=$("$S" user token --label openapi 2>/dev/null | tail -1)
# a user whose one role grants none of the endpoints' permissions: the 403s
"$S" user define-role auditor audit.read >/dev/null || fail "define-role"
"$S" user add nobody --role auditor >/dev/null || fail "user add"
NOBODY_TOK=$("$S" user token nobody 2>/dev/null | tail -1)
"$S" edl add blocked 192.0.2.7 >/dev/null || fail "edl add"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
cat > "$pb/ask.lua" <<'LUA'
return { name = "ask", triggers = { { type = "ask" } }, run = function()
  local a = prompt.ask{ question = "Block it?", options = { "yes", "no" } }
  return { answer = a.choice } end }
LUA
cat > "$pb/form.lua" <<'LUA'
return { name = "form", form = { title = "A self-service form" },
  inputs = { n = { type = "integer", description = "a number" } },
  run = function(_, input) return { n = input.n } end }
LUA
# a case with an attachment: GET /api/v1/cases/REF/attachments/NAME
printf 'ip,verdict\n192.0.2.7,bad\n' > "$SOAR_TMP/report.csv"
att=$("$S" case new --title attached --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["number"])') ||
	fail "case new"
"$S" case attach "$att" "$SOAR_TMP/report.csv" --name report.csv >/dev/null || fail "case attach"
cat > "$pb/tick.lua" <<'LUA'
return { name = "tick", schedule = "0 0 1 1 *", run = function() return { ok = true } end }
LUA
SOARCTL_SLACK_SIGNING_SECRET=test-secret serve_start --playbooks "$pb"
checks=$((checks + 1))
ATT_CASE="$att" TOK="$TOK" NOBODY_TOK="$NOBODY_TOK" "$PY" "$SOAR_SRC/tests/e2e/openapi_check.py" "$A" \
	"$SOAR_SRC/docs/openapi.json" "$SOAR_SRC/runtime/daemon" || fail "openapi_check.py (above)"
serve_stop || fail "serve exit status"
finish
