#!/usr/bin/env bash
# A run writes its secret in every encoding issue 12 found leaking: MIME
# base64 wrapped at 76 columns (CRLF), hex in both cases, every byte as %XX
# (both cases), JSON \u00XX escapes (both cases) and "\/"/"\u002F" for the
# slash. Each goes to the log, a case note, an EDL comment and the run's
# error. Afterwards no output and no file of the data directory holds any of
# them (nor the raw value).
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
mkdir -p "$SOAR_TMP/integ" "$SOAR_TMP/pb"
export SOARCTL_INTEGRATIONS_DIR="$SOAR_TMP/integ"
cat > "$SOAR_TMP/integ/enc.lua" <<'LUA'
return {
  name = "enc", version = "1.0.0", api_version = "1", description = "hands its secret out",
  hosts = {}, secrets = { "token" }, config = {},
  commands = { get = { description = "the token", args = {}, outputs = {},
    run = function(ctx) return { token = ctx.secret("token") } end } },
  mock = { get = function() return {} end },
}
LUA
cat > "$SOAR_TMP/pb/encodings.lua" <<'LUA'
local function each_byte(s, fmt)
  return (s:gsub(".", function(ch) return string.format(fmt, ch:byte()) end))
end
local function mime(s)  -- base64 at 76 columns, CRLF, after a prefix that moves the break
  local b = base64.encode(string.rep("p", 50) .. s .. "-rest")
  local lines = {}
  for i = 1, #b, 76 do lines[#lines + 1] = b:sub(i, i + 75) end
  return table.concat(lines, "\r\n")
end
return { name = "encodings", run = function()
  local t = integration("enc").get({}).token
  local forms = {
    mime = mime(t),
    hex = hex.encode(t), HEX = hex.encode(t):upper(),
    pct = each_byte(t, "%%%02x"), PCT = each_byte(t, "%%%02X"),
    u = each_byte(t, "\\u%04x"), U = each_byte(t, "\\u%04X"),
    slash = (t:gsub("/", "\\/")), slash_u = (t:gsub("/", "\\u002F")),
  }
  local c = case.create{ title = "encodings", type = "t", severity = "low" }
  local n = 0
  for name, f in pairs(forms) do
    n = n + 1
    log.info("form " .. name .. ": " .. f)
    case.note(c.id, "form " .. name .. ": " .. f)
    edl.add("enc-list", "10.0.0." .. n, { comment = name .. " " .. f })
  end
  edl.export("enc-list")
  error("all forms: " .. table.concat({ forms.mime, forms.hex, forms.HEX, forms.pct, forms.PCT,
    forms.u, forms.U, forms.slash, forms.slash_u }, " | "))
end }
LUA
value='S3cr3t/T0ken+Value~42=ok'
expect_exit 0 -- "$S" init
printf '%s' "$value" | "$S" secret set enc.token >/dev/null 2>&1 || fail "secret set"
expect_exit 1 -- "$S" run "$SOAR_TMP/pb/encodings.lua" --json
echo "$out$err" > "$SOAR_TMP/outputs.txt"
contains "$out" "[secret:enc.token]" "the error names the secret instead"
contains "$err" "form hex: [secret:enc.token]" "the log"
for c in "case show 1" "case show 1 --json" "runs list --json" "edl show enc-list" "audit list --json"; do
	"$S" $c >> "$SOAR_TMP/outputs.txt" 2>&1
done
grep -q "10.0.0.1" "$SOAR_TMP/outputs.txt" || fail "the EDL was not listed: $(cat "$SOAR_TMP/outputs.txt")"
for id in $("$S" runs list --json | python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(sys.stdin)))'); do
	"$S" runs show "$id" --json >> "$SOAR_TMP/outputs.txt" 2>&1
done
# Every form, and for MIME every 16-character piece of the secret's part (the
# line break may fall anywhere in it).
python3 - "$value" > "$SOAR_TMP/forms.txt" <<'PY'
import base64, sys
v = sys.argv[1].encode()
f = [v.decode(), v.hex(), v.hex().upper(),
     "".join("%%%02x" % b for b in v), "".join("%%%02X" % b for b in v),
     "".join("\\u%04x" % b for b in v), "".join("\\u%04X" % b for b in v),
     v.decode().replace("/", "\\/"), v.decode().replace("/", "\\u002F")]
b = base64.b64encode(b"p" * 50 + v + b"-rest").decode()
start = (50 * 4 + 2) // 3 + 1
core = b[start:start + len(v) * 4 // 3 - 2]
f += [core[i:i + 16] for i in range(0, len(core) - 16)]
print("\n".join(f))
PY
[ "$(wc -l < "$SOAR_TMP/forms.txt")" -gt 10 ] || fail "no forms computed"
# outputs: line breaks removed (MIME text is wrapped); data files as they are
tr -d '\r\n' < "$SOAR_TMP/outputs.txt" > "$SOAR_TMP/outputs.flat"
while IFS= read -r form; do
	checks=$((checks + 1))
	if grep -rqaF -- "$form" "$SOARCTL_DATA" "$SOAR_TMP/outputs.flat"; then
		fail "found a form of the secret ($form) in: $(grep -rlaF -- "$form" "$SOARCTL_DATA" "$SOAR_TMP/outputs.flat" | tr '\n' ' ')"
	fi
done < "$SOAR_TMP/forms.txt"
finish
