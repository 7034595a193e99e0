#!/usr/bin/env bash
# SIGHUP reloads playbooks, integrations and their configuration, all or
# nothing: an edit on disk reaches runs only after a reload checked it; a broken
# integration file, a broken config file or a broken playbook keeps everything
# loaded before, and the log names the file and the reason.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT

"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
export SOARCTL_INTEGRATIONS_DIR="$SOAR_TMP/integrations"
export SOARCTL_INTEGRATIONS_CONFIG="$SOAR_TMP/integrations.json"
mkdir -p "$SOARCTL_INTEGRATIONS_DIR"
# greet.lua: one command answering its config's greeting and its own version.
greet() {
	cat > "$SOARCTL_INTEGRATIONS_DIR/greet.lua" <<LUA
return {
  name = "greet", version = "$1", api_version = "v1", hosts = {},
  config = { greeting = { type = "string", default = "hey" } },
  commands = { hello = { run = function(ctx) return { text = ctx.config.greeting .. " $1" } end } },
}
LUA
}
greet v1
echo '{ "greet": { "greeting": "hi" } }' > "$SOARCTL_INTEGRATIONS_CONFIG"
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/use_greet.lua" <<'LUA'
return { name = "use_greet", triggers = { { type = "greet" } },
  run = function() return { text = integration("greet").hello{}.text } end }
LUA

log="$SOAR_TMP/serve.log"
serve_start --playbooks "$pb"
H=(-H "Authorization: Bearer $TOK")
# the bundled integrations (NAME.lua, not _*.lua nor *_test.lua) and greet
n_integ=$(( $(ls "$SOAR_SRC"/integrations/*.lua | grep -v -e '/_' -e '_test\.lua$' | wc -l) + 1 ))
contains "$(cat "$log")" "1 playbooks from $pb, $n_integ integrations, config $SOARCTL_INTEGRATIONS_CONFIG"

# greeting: posts an alert, waits for its run, prints the run's text.
greeting() {
	local body case runs
	body=$(curl -s "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"greet"}')
	case=$(json_field "$body" 'j["alerts"][0]["case"]')
	for _ in $(seq 100); do
		runs=$(curl -s "${H[@]}" "$A/api/v1/runs?limit=1000")
		t=$(json_field "$runs" '[r.get("result", {}).get("text", r.get("error")) for r in j["runs"] if r.get("case") == "'"$case"'" and r["status"] != "running"][:1]')
		[ "$t" != "[]" ] && { echo "$t"; return; }
		sleep 0.05
	done
	echo "no run for $case: $runs"
}
hup() { kill -HUP "$DPID"; sleep 0.5; }
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2"; }

is "$(greeting)" "['hi v1']" "the loaded integration and config"
# An edit on disk alone changes nothing: runs use what the last (re)load checked.
greet v2
is "$(greeting)" "['hi v1']" "edited on disk, not reloaded"
hup
contains "$(cat "$log")" "reloaded 1 playbooks"
is "$(greeting)" "['hi v2']" "the integration after SIGHUP"
echo '{ "greet": { "greeting": "hello" } }' > "$SOARCTL_INTEGRATIONS_CONFIG"
hup
is "$(greeting)" "['hello v2']" "the configuration after SIGHUP"

# A broken integration file: refused, named, the old one stays.
echo 'return { name = "greet", version = ' > "$SOARCTL_INTEGRATIONS_DIR/greet.lua"
hup
contains "$(tail -1 "$log")" "reload refused, keeping the loaded playbooks, integrations and configuration"
contains "$(tail -1 "$log")" "$SOARCTL_INTEGRATIONS_DIR/greet.lua"
contains "$(tail -1 "$log")" "unexpected symbol" "the reason"
is "$(greeting)" "['hello v2']" "the old integration after a refused reload"
# A manifest that does not check (a wrong name) is refused too.
greet v3; sed -i 's/name = "greet"/name = "grete"/' "$SOARCTL_INTEGRATIONS_DIR/greet.lua"
hup
contains "$(tail -1 "$log")" "greet.lua: name must be \"greet\""
is "$(greeting)" "['hello v2']" "a bad manifest keeps the old one"
greet v3

# A broken config file: refused, named, the old one stays -- and the good
# integration edit made meanwhile waits for a reload that loads everything.
echo '{ "greet": { "greeting": 5 } }' > "$SOARCTL_INTEGRATIONS_CONFIG"
hup
contains "$(tail -1 "$log")" "reload refused"
contains "$(tail -1 "$log")" "$SOARCTL_INTEGRATIONS_CONFIG: integration greet: config greeting must be a string"
is "$(greeting)" "['hello v2']" "a bad config keeps the old integrations and config"
echo '{ "greet": { "greeting": "yo" }, "nosuch": {} }' > "$SOARCTL_INTEGRATIONS_CONFIG"
hup
contains "$(tail -1 "$log")" "$SOARCTL_INTEGRATIONS_CONFIG: \"nosuch\" is not an integration"
echo '{ "greet": ' > "$SOARCTL_INTEGRATIONS_CONFIG"
hup
contains "$(tail -1 "$log")" "$SOARCTL_INTEGRATIONS_CONFIG: not JSON"
is "$(greeting)" "['hello v2']" "still the old ones"

# All or nothing: a good config with a broken playbook keeps the old config.
echo '{ "greet": { "greeting": "yo" } }' > "$SOARCTL_INTEGRATIONS_CONFIG"
echo 'return { name = "bad", overlap = "sometimes", run = function() end }' > "$pb/bad.lua"
hup
contains "$(tail -1 "$log")" "$pb/bad.lua: overlap must be"
is "$(greeting)" "['hello v2']" "a broken playbook keeps the old config too"
rm "$pb/bad.lua"
hup
contains "$(tail -1 "$log")" "reloaded 1 playbooks"
is "$(greeting)" "['yo v3']" "everything after the fix"
m=$(curl -s "${H[@]}" "$A/metrics")
contains "$m" "soarctl_reload_failures_total 6"
contains "$m" "soarctl_reloads_total 9"

# At start, a broken integration is refused like a broken playbook (exit 2).
kill -TERM "$DPID"; wait "$DPID"; DPID=
echo 'return 1' > "$SOARCTL_INTEGRATIONS_DIR/greet.lua"
expect_exit 2 -- "$S" serve --listen 127.0.0.1:0 --playbooks "$pb"
contains "$err" "greet.lua: an integration must return a table"
finish
