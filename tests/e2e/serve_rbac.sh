#!/usr/bin/env bash
# The role-by-action matrix of the HTTP API: each built-in role's token against
# each kind of endpoint, and no token at all. The same permissions as the CLI
# (runtime/security/rbac.c): admin all; analyst cases, prompts, runs; approver read and
# answer prompts; viewer read only.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT

"$S" init >/dev/null 2>&1 || true
declare -A TOKEN
TOKEN[admin]=$("$S" user token --label e2e 2>/dev/null | tail -1)
for role in analyst approver viewer; do
	"$S" user add "u_$role" --role "$role" >/dev/null 2>&1 || fail "user add $role"
	TOKEN[$role]=$("$S" user token "u_$role" --label m 2>/dev/null | tail -1)
done
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/tick.lua" <<'LUA'
return { name = "tick", schedule = "0 0 1 1 *", run = function() return { ok = true } end }
LUA

serve_start --playbooks "$pb"
port=$api

code() { curl -s -o "$SOAR_TMP/body" -w '%{http_code}' "$@"; }
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2 ($(head -c 200 "$SOAR_TMP/body"))"; }

nobody=01a00000-0000-7000-8000-000000000000
# method path body | expected status for admin analyst approver viewer
while IFS='|' read -r method path body want; do
	[ -z "$method" ] && continue
	set -- $want
	i=0
	for role in admin analyst approver viewer; do
		i=$((i + 1))
		args=(-X "$method" -H "Authorization: Bearer ${TOKEN[$role]}")
		[ -n "$body" ] && args+=(-d "$body")
		is "$(code "${args[@]}" "$A$path")" "${!i}" "$role $method $path"
	done
	# Without a token: always 401.
	args=(-X "$method")
	[ -n "$body" ] && args+=(-d "$body")
	is "$(code "${args[@]}" "$A$path")" 401 "no token $method $path"
done <<MATRIX
GET|/metrics||200 200 200 200
GET|/api/v1/cases||200 200 200 200
GET|/api/v1/runs||200 200 200 200
GET|/api/v1/jobs||200 200 200 200
POST|/api/v1/cases|{"title":"from the matrix","type":"t"}|201 201 403 403
POST|/api/v1/alerts|{"type":"matrix"}|202 202 403 403
POST|/api/v1/prompts/$nobody/answer|{"choice":"yes"}|404 404 404 403
POST|/api/v1/runs/$nobody/cancel||404 404 403 403
POST|/api/v1/jobs/tick/pause||200 403 403 403
POST|/api/v1/jobs/tick/resume||200 403 403 403
MATRIX

# Refusals are audited with who was refused.
expect_exit 0 -- "$S" audit list --json
contains "$out" "access.denied"
contains "$out" "u_viewer"
is "$(code "$A/healthz")" 200 "healthz needs no token"
finish
