#!/usr/bin/env bash
# A run that opens a secret and tries every way to write it out: logs, its
# result, its error, the journal, a case and its timeline. Afterwards no file of
# the data directory and no output holds the value, raw or base64 or URL-encoded.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
mkdir -p "$SOAR_TMP/integ" "$SOAR_TMP/pb"
export SOARCTL_INTEGRATIONS_DIR="$SOAR_TMP/integ"
cat > "$SOAR_TMP/integ/leaky.lua" <<'LUA'
return {
  name = "leaky", version = "1.0.0", api_version = "1", description = "tries to leak its secret",
  hosts = {}, secrets = { "token" }, config = {},
  commands = {
    show = { description = "leaks", args = {}, outputs = {},
      run = function(ctx)
        local t = ctx.secret("token")
        log.info("the token is " .. t, { token = t, b64 = base64.encode(t) })
        print("printed", t)
        return { token = t, b64 = base64.encode(t), url = "https://x/?k=" .. t:gsub("[^%w]", function(ch) return string.format("%%%02X", ch:byte()) end) }
      end },
  },
  mock = { show = function() return {} end },
}
LUA
cat > "$SOAR_TMP/pb/leak.lua" <<'LUA'
return { name = "leak", run = function()
  local r = integration("leaky").show({})
  local c = case.create{ title = "leak " .. r.token, type = "t", severity = "low",
                         custom = { value = r.token } }
  case.note(c.id, "note with " .. r.token .. " and " .. r.b64)
  log.warn("result " .. r.token .. " " .. r.url)
  local x = random()
  if x < 2 then error("failing with " .. r.token) end
end }
LUA
cat > "$SOAR_TMP/pb/leak_ok.lua" <<'LUA'
return { name = "leak_ok", run = function()
  local r = integration("leaky").show({})
  return { token = r.token, b64 = r.b64 }
end }
LUA
value='S3cr3t T0ken+Value/42=='
expect_exit 0 -- "$S" init
printf '%s' "$value" | "$S" secret set leaky.token >/dev/null 2>&1 || fail "secret set"
expect_exit 1 -- "$S" run "$SOAR_TMP/pb/leak.lua" --json
echo "$out$err" > "$SOAR_TMP/outputs.txt"
contains "$out" "[secret:leaky.token]" "the error names the secret instead"
expect_exit 0 -- "$S" run "$SOAR_TMP/pb/leak_ok.lua" --json
echo "$out$err" >> "$SOAR_TMP/outputs.txt"
[ "$(json_field "$out" 'j["result"]["token"]')" = "[secret:leaky.token]" ] || fail "result not scrubbed: $out"
for c in "case show 1" "case show 1 --json" "runs list --json" "audit list --json"; do
	expect_exit 0 -- "$S" $c
	echo "$out$err" >> "$SOAR_TMP/outputs.txt"
done
for id in $("$S" runs list --json | python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(sys.stdin)))'); do
	"$S" runs show "$id" --json >> "$SOAR_TMP/outputs.txt" 2>&1
done
# A playbook reads a secret only when granted to it; what it then writes is scrubbed.
cat > "$SOAR_TMP/pb/granted.lua" <<'LUA'
return { name = "granted", run = function()
  local v, why = secret.get("leaky.token")
  if not v then return { denied = why } end
  log.info("read " .. v)
  return { got = v, length = #v }
end }
LUA
expect_exit 0 -- "$S" run "$SOAR_TMP/pb/granted.lua" --json
echo "$out$err" >> "$SOAR_TMP/outputs.txt"
[ "$(json_field "$out" 'j["result"]["denied"]')" = denied ] || fail "an ungranted secret must be refused: $out"
expect_exit 0 -- "$S" secret grant leaky.token --playbook granted
expect_exit 0 -- "$S" run "$SOAR_TMP/pb/granted.lua" --json
echo "$out$err" >> "$SOAR_TMP/outputs.txt"
[ "$(json_field "$out" 'j["result"]["length"]')" = "${#value}" ] || fail "the granted secret was not read: $out"
[ "$(json_field "$out" 'j["result"]["got"]')" = "[secret:leaky.token]" ] || fail "result not scrubbed: $out"
contains "$err" "read [secret:leaky.token]"

forms=$(python3 -c '
import base64, sys, urllib.parse
v = sys.argv[1].encode()
print(v.decode()); print(base64.b64encode(v).decode()); print(base64.urlsafe_b64encode(v).decode().rstrip("="))
print(urllib.parse.quote(v.decode(), safe="")); print(urllib.parse.quote_plus(v.decode()))' "$value")
while IFS= read -r form; do
	checks=$((checks + 1))
	if grep -rqaF -- "$form" "$SOARCTL_DATA" "$SOAR_TMP/outputs.txt"; then
		fail "found the secret ($form) in: $(grep -rlaF -- "$form" "$SOARCTL_DATA" "$SOAR_TMP/outputs.txt" | tr '\n' ' ')"
	fi
done <<< "$forms"
finish
