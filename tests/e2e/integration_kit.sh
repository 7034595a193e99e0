#!/usr/bin/env bash
# The integration kit (docs/integrations.md): `integration new` passes lint and
# test as written; `lint` finds each planted mistake (undeclared host,
# ungranted secret, unknown command, misspelled argument, unknown primitive, a
# mock that breaks its typed outputs); `integration record` calls a stand-in on
# 127.0.0.1 once and keeps a scrubbed fixture; `import-xsoar` turns an XSOAR
# YAML into a manifest that loads, lints and runs --mock.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
own="$SOAR_TMP/integrations"; mkdir -p "$own"
export SOARCTL_INTEGRATIONS_DIR="$own"
export SOARCTL_INTEGRATIONS_CONFIG="$SOAR_TMP/integrations.json"
echo '{}' > "$SOARCTL_INTEGRATIONS_CONFIG"

# ---- integration new: lint and test pass unchanged ----
expect_exit 0 -- "$S" integration new acme_intel
contains "$out" "wrote $own/acme_intel.lua"
[ -f "$own/fixtures/acme_intel/lookup.json" ] || fail "no fixture written"
expect_exit 0 -- "$S" lint "$own/acme_intel.lua" "$own/acme_intel_test.lua"
[ -z "$out" ] || fail "lint of the scaffold found problems: $out"
expect_exit 0 -- "$S" test "$own/acme_intel_test.lua"
contains "$out" "2 passed, 0 failed"
expect_exit 0 -- "$S" integration show acme_intel
contains "$out" "score"
expect_exit 2 -- "$S" integration new acme_intel
contains "$err" "exists; nothing was written"
expect_exit 2 -- "$S" integration new Bad-Name --dir "$own"
expect_exit 2 -- "$S" integration new x --frobnicate

# ---- a fixture whose shape changed: the test names the field ----
sed -i 's/"score": 90/"score": "90"/' "$own/fixtures/acme_intel/lookup.json"
expect_exit 1 -- "$S" test "$own/acme_intel_test.lua"
contains "$out" "the response has no number at 'score' (found string)"
sed -i 's/"score": "90"/"score": 90/' "$own/fixtures/acme_intel/lookup.json"

# ---- a mock that breaks the typed outputs: test and lint name the field ----
sed -i 's/return { id = args.value, score = ctx.fake.pick/return { id = args.value, score = "high", s0 = ctx.fake.pick/' \
	"$own/acme_intel.lua"
expect_exit 1 -- "$S" test "$own/acme_intel_test.lua"
contains "$out" "acme_intel.lookup: result.score: expected integer, got string"
expect_exit 1 -- "$S" lint --no-luacheck "$own/acme_intel.lua"
contains "$out" "acme_intel.lua:0: mock.lookup: acme_intel.lookup: result.score: expected integer, got string"
rm -f "$own/acme_intel.lua"

# ---- lint: each planted mistake ----
"$S" init --data "$SOARCTL_DATA" >/dev/null 2>&1 || fail "init"
printf 'v1' | "$S" secret set shared.token --data "$SOARCTL_DATA" >/dev/null 2>&1 || fail "secret set"
printf 'v2' | "$S" secret set other.token --data "$SOARCTL_DATA" >/dev/null 2>&1 || fail "secret set 2"
"$S" secret grant shared.token --playbook planted --data "$SOARCTL_DATA" >/dev/null 2>&1 || fail "grant"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
cat > "$pb/planted.lua" <<'LUA'
return {
  name = "planted",
  hosts = { "api.example.com", "*.example.net" },
  run = function()
    local a = integration("abuseipdb", { mock = true })
    local r = a.check{ ipp = "192.0.2.1" }
    local g = a.lookup{ ip = "192.0.2.1" }
    local ok = secret.get("shared.token")
    local bad = secret.get("other.token")
    http.get("https://api.example.com/fine")
    http.get("https://x.example.net/fine")
    http.get("https://evil.example.org/steal")
    case.frobnicate("x")
    local geo = integration("ipinfo", { mock = true }).lookup{ ip = "192.0.2.1" }
    return { r = r, g = g, ok = ok, bad = bad, geo = geo }
  end,
}
LUA
expect_exit 1 -- "$S" lint --data "$SOARCTL_DATA" "$pb/planted.lua"
contains "$out" "planted.lua:6: abuseipdb.check: unknown argument ipp (did you mean ip?)" "misspelled argument"
contains "$out" "planted.lua:7: integration abuseipdb has no command lookup" "unknown command"
contains "$out" "planted.lua:9: secret other.token is not granted to playbook planted" "ungranted secret"
lacks "$out" "secret shared.token" "a granted secret"
contains "$out" "planted.lua:12: host evil.example.org is not declared" "undeclared host"
lacks "$out" "x.example.net" "a host under a declared pattern"
lacks "$out" "api.example.com is not" "a declared host"
contains "$out" "planted.lua:13: unknown primitive case.frobnicate" "unknown primitive"
lacks "$out" ":14:" "a correct call"
# without --data the grants are not checked (no store to ask)
expect_exit 1 -- "$S" lint --no-luacheck "$pb/planted.lua"
lacks "$out" "not granted"
# the bundled playbooks and integrations are clean
expect_exit 0 -- "$S" lint "$SOAR_SRC/playbooks/inbound_ip_reputation.lua" \
	"$SOAR_SRC/playbooks/bonusly_spend_unused.lua" "$SOAR_SRC/integrations/abuseipdb.lua" \
	"$SOAR_SRC/integrations/ipinfo.lua" "$SOAR_SRC/integrations/bonusly.lua"
[ -z "$out" ] || fail "bundled files: $out"
expect_exit 2 -- "$S" lint --frobnicate x.lua
expect_exit 2 -- "$S" lint

# ---- integration record: one real call to a stand-in, a scrubbed fixture ----
standin_start
trap 'kill ${STANDIN_PID:-} 2>/dev/null' EXIT
cp "$SOAR_SRC/integrations/abuseipdb.lua" "$own/abuseipdb.lua"
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "abuseipdb": { "base_url": "$base", "api_key": "test-abuseipdb-key", "mock": true } }
JSON
# (a "mock" setting does not turn the one real call into a mock's answer)
expect_exit 0 -- "$S" integration record abuseipdb check ip=185.220.101.4 --fixture live1
fx="$own/fixtures/abuseipdb/live1.json"
[ -f "$fx" ] || fail "no fixture at $fx: $err"
fixture=$(cat "$fx" 2>/dev/null)
contains "$fixture" "abuseConfidenceScore" "the fixture"
lacks "$fixture" "test-abuseipdb-key" "the fixture"
lacks "$fixture" "Authorization" "the fixture"
contains "$out" '"score"'
lacks "$out" "test-abuseipdb-key" "the printed result"
# credentials the integration did not read as secrets: a token it was given at
# run time (ctx.sensitive) and credential fields of an answer (an echoed header)
cat > "$own/tokdemo.lua" <<'LUA'
return { name = "tokdemo", version = "0.1.0", api_version = "v1", hosts = {}, secrets = { "k" },
  config = { base_url = { type = "url" } },
  commands = { grab = { outputs = { status = "integer" }, run = function(ctx)
    local session = ctx.sensitive("session", "sess-777-abc")
    local r = ctx.http.post(ctx.url("/echo"), { query = { s = session },
      json = { client_secret = ctx.secret("k"), note = "kept" }, headers = { ["X-Api-Key"] = "hdr-token-999" } })
    return { status = r.status }
  end } } }
LUA
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "tokdemo": { "base_url": "$base", "k": "the-k-secret-value" } }
JSON
expect_exit 0 -- "$S" integration record tokdemo grab
fixture=$(cat "$own/fixtures/tokdemo/grab.json" 2>/dev/null)
contains "$fixture" "kept" "the token fixture"
contains "$fixture" "[secret:tokdemo.session]" "the token fixture"
lacks "$fixture" "sess-777-abc" "the token fixture"
lacks "$fixture" "hdr-token-999" "the token fixture"
lacks "$fixture" "the-k-secret-value" "the token fixture"
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "abuseipdb": { "base_url": "$base", "api_key": "test-abuseipdb-key" } }
JSON
# the recorded fixture replays offline, checked against the typed outputs
cat > "$own/replay_test.lua" <<'LUA'
local t = require("testing")
return { ["replay"] = function()
  local r = integration("abuseipdb", { fixture = "live1" }).check{ ip = "185.220.101.4" }
  t.ok(r.score >= 0 and r.score <= 100)
end }
LUA
kill "${STANDIN_PID:-}" 2>/dev/null
expect_exit 0 -- "$S" test "$own/replay_test.lua"
contains "$out" "1 passed, 0 failed"
expect_exit 1 -- "$S" integration record abuseipdb nosuch
contains "$err" "has no command nosuch"
expect_exit 2 -- "$S" integration record abuseipdb
echo '{}' > "$SOARCTL_INTEGRATIONS_CONFIG"

# ---- import-xsoar: XSOAR's documented YAML shape -> a manifest that loads ----
cat > "$SOAR_TMP/HelloThreat.yml" <<'YAML'
commonfields:
  id: HelloThreat
  version: -1
name: HelloThreat
display: Hello Threat Intel
category: Data Enrichment & Threat Intelligence
description: Reputation of IPs and domains from Hello Threat.
configuration:
- display: Server URL
  name: url
  defaultvalue: https://api.hellothreat.example/v2
  type: 0
  required: true
- display: API Key
  name: apikey
  type: 4
  required: true
- display: Username
  name: credentials
  type: 9
  required: false
- display: Trust any certificate (not secure)
  name: insecure
  type: 8
  required: false
- display: Source reliability
  name: integrationReliability
  defaultvalue: C - Fairly reliable
  type: 15
  options:
  - A - Completely reliable
  - C - Fairly reliable
script:
  type: python
  subtype: python3
  script: ''
  commands:
  - name: hellothreat-ip
    description: Reputation of an IP.
    arguments:
    - name: ip
      required: true
      default: true
      description: The IP address.
    - name: threshold
      defaultValue: "65"
      description: Score from which the IP is malicious.
    - name: verbose
      auto: PREDEFINED
      predefined:
      - "true"
      - "false"
      defaultValue: "false"
    outputs:
    - contextPath: HelloThreat.IP.Address
      description: The IP address.
      type: String
    - contextPath: HelloThreat.IP.Score
      description: The reputation score.
      type: Number
    - contextPath: HelloThreat.IP.Malicious
      type: Boolean
    - contextPath: DBotScore.Indicator
      type: String
    - contextPath: DBotScore.end
      type: Date
  - name: hellothreat-domain
    description: Reputation of a domain.
    arguments:
    - name: domain
      required: true
      isArray: true
    outputs:
    - contextPath: HelloThreat.Domain.Name
      type: String
    - contextPath: HelloThreat.Domain.Tags
      type: Unknown
YAML
expect_exit 0 -- "$S" integration import-xsoar "$SOAR_TMP/HelloThreat.yml" --out "$own/hellothreat.lua"
m=$(cat "$own/hellothreat.lua")
contains "$m" 'name = "hellothreat"'
contains "$m" 'hosts = { "api.hellothreat.example" }'
contains "$m" '"apikey", "credentials_username", "credentials_password"' "secrets"
contains "$m" 'base_url = { type = "url", default = "https://api.hellothreat.example/v2"'
contains "$m" 'insecure = { type = "boolean"'
contains "$m" 'hellothreat_ip = {'
contains "$m" 'ip = { type = "string", required = true'
contains "$m" 'threshold = { type = "string", default = "65"'
contains "$m" 'enum = { "true", "false", }'
contains "$m" 'Score = { type = "number", optional = true'
contains "$m" '["end"] = { type = "string"'
expect_exit 0 -- "$S" integration show hellothreat
contains "$out" "command hellothreat_ip"
contains "$out" "command hellothreat_domain"
expect_exit 0 -- "$S" lint "$own/hellothreat.lua"
[ -z "$out" ] || fail "lint of the import: $out"
cat > "$pb/use_import.lua" <<'LUA'
return { name = "use_import", run = function()
  local h = integration("hellothreat", { mock = true })
  local live = integration("hellothreat")
  local ok, err = pcall(live.hellothreat_ip, { ip = "192.0.2.1" })
  return { mock = h.hellothreat_ip{ ip = "192.0.2.1" }, live_ok = ok, live_err = tostring(err) }
end }
LUA
expect_exit 0 -- "$S" run "$pb/use_import.lua" --json
contains "$out" "run is not written yet (XSOAR command hellothreat-ip)"
# hostile YAML: quotes, backslashes and newlines in text, odd context paths,
# keywords as names, a scalar where a list belongs, user:password@ in a URL
cat > "$SOAR_TMP/Odd.yml" <<'YAML'
commonfields: {id: "Odd Vendor"}
name: odd
description: "says \"hi\" \\ and\nmore ]] --[["
configuration:
- {name: url, type: 0, defaultvalue: "https://user:pw@api.odd.example:8443/x"}
- {name: "api key!", type: 4}
- {name: 5, type: 9}
script:
  commands:
  - name: "end"
    arguments:
    - {name: "function", required: true, description: "a \"quoted\" one"}
    - {name: "x-y", auto: PREDEFINED, predefined: ["a\"b", "c"]}
    outputs:
    - {contextPath: "Odd..Deep.", type: String}
    - {contextPath: "Odd.while", type: Number}
    - {contextPath: ".lead", type: Boolean}
  - name: "2fa"
    arguments: "not a list"
    outputs: {contextPath: x}
YAML
expect_exit 0 -- "$S" integration import-xsoar "$SOAR_TMP/Odd.yml" --out "$own/odd_vendor.lua"
contains "$(cat "$own/odd_vendor.lua")" 'hosts = { "api.odd.example" }'
expect_exit 0 -- "$S" lint "$own/odd_vendor.lua"
[ -z "$out" ] || fail "lint of the odd import: $out"
expect_exit 0 -- "$S" integration show odd_vendor
contains "$out" 'command x2fa'
contains "$out" 'command end_cmd'
expect_exit 2 -- "$S" integration import-xsoar "$SOAR_TMP/nope.yml"
printf 'a: [1, 2\n' > "$SOAR_TMP/bad.yml"
expect_exit 2 -- "$S" integration import-xsoar "$SOAR_TMP/bad.yml"
contains "$err" "not YAML"
printf 'name: x\n' > "$SOAR_TMP/nocmds.yml"
expect_exit 2 -- "$S" integration import-xsoar "$SOAR_TMP/nocmds.yml"
contains "$err" "no script.commands"

finish
[ "$failures" = 0 ]
