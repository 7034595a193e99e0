#!/usr/bin/env bash
# soarctl repl, as people use it: piped scripts, -e, --json, and at a terminal
# (tests/e2e/repl_pty.py through a pseudo-terminal). War-room commands against
# the abuseipdb stand-in land on the case timeline with the user; a typo in an
# argument is named; a runaway loop is stopped and the session goes on; a
# secret never prints.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"

standin_start
trap 'kill "$STANDIN_PID" 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || fail "init"
export SOARCTL_INTEGRATIONS_CONFIG="$SOAR_TMP/integrations.json"
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "abuseipdb": { "base_url": "$base", "api_key": "test-abuseipdb-key" } }
JSON
expect_exit 0 -- "$S" case new --title "Inbound from 185.220.101.4" --severity high
me=$(id -un)
# has_line TEXT REGEX WHAT: a line of TEXT matches the extended REGEX.
has_line() {
	checks=$((checks + 1))
	printf '%s\n' "$1" | grep -qE "$2" || fail "$3: no line matches /$2/ in: $1"
}

# A piped investigation: a command against the stand-in, a typo, a note, a
# multi-line function used later, a runaway loop, and the session still alive.
script='!abuseipdb.check ip=185.220.101.4
!abuseipdb.check ipp=185.220.101.4
# looks like a Tor exit node
local function double(n)
  return n * 2
end
double(_.score)
while true do end
double(21)
!abuseipdb.nope ip=1'
expect_exit 1 -- sh -c "printf '%s\n' \"\$1\" | \"$S\" repl --case 1 --max-cpu 1" _ "$script"
has_line "$out" '^verdict +malicious$' "the result table"
has_line "$out" '^score +100$' "the result table"
contains "$err" "abuseipdb.check: unknown argument 'ipp' (did you mean 'ip'?)" "the typo"
contains "$out" "noted on case #1" "the note"
contains "$out" "200" "the function over the last result"
contains "$err" "CPU time limit exceeded" "the runaway loop"
contains "$out" "42" "the session after the loop"
contains "$err" "integration abuseipdb has no command 'nope'" "an unknown command"

# The timeline: the command, its result (as data), the note, each by the user.
expect_exit 0 -- "$S" case show 1 --json
tl="$out"
checks=$((checks + 1))
got=$(json_field "$tl" '[(e["kind"], e["actor"], e["text"]) for e in j["timeline"] if e["kind"] in ("command","result","note")]')
want="[('command', 'cli:$me', '!abuseipdb.check ip=185.220.101.4'), ('result', 'cli:$me', 'abuseipdb.check: ok"
case "$got" in "$want"*) ;; *) fail "timeline: $got" ;; esac
contains "$got" "('note', 'cli:$me', 'looks like a Tor exit node')" "the note on the timeline"
checks=$((checks + 1))
[ "$(json_field "$tl" '[e for e in j["timeline"] if e["kind"]=="result"][0]["data"]["score"]')" = 100 ] \
	|| fail "the result's data on the timeline: $tl"
lacks "$got" "ipp=" "a refused line is not recorded"

# --json: one object per input; -e; exit codes.
expect_exit 0 -- "$S" repl --json -e '1 + 1' -e '{a = {b = 1}}'
checks=$((checks + 1))
[ "$(printf '%s\n' "$out" | wc -l)" = 2 ] || fail "--json prints one line per input: $out"
[ "$(json_field "$(printf '%s\n' "$out" | head -1)" 'j["result"]')" = 2 ] || fail "--json result: $out"
[ "$(json_field "$(printf '%s\n' "$out" | tail -1)" 'j["result"]["a"]["b"]')" = 1 ] || fail "--json table: $out"
expect_exit 1 -- "$S" repl --json -e 'error("boom")'
[ "$(json_field "$out" 'j["ok"]')" = False ] || fail "--json error: $out"
contains "$(json_field "$out" 'j["error"]')" "boom" "--json error text"
expect_exit 0 -- "$S" repl --mock --json -e '!abuseipdb.check ip=203.0.113.9'
[ "$(json_field "$out" 'j["command"]')" = abuseipdb.check ] || fail "--json command: $out"
expect_exit 2 -- "$S" repl --bogus
expect_exit 1 -- "$S" repl --case 999 -e '1'
contains "$err" "999" "an unknown case is named"

# A secret prints as [secret:NAME], in text and JSON, and never its value.
printf 'hunter2-repl-secret' | "$S" secret set repl.token >/dev/null 2>&1 || fail "secret set"
"$S" secret grant repl.token --playbook repl >/dev/null 2>&1 || fail "secret grant"
expect_exit 0 -- "$S" repl -e 'secret.get("repl.token")' -e '"x" .. secret.get("repl.token") .. "y"'
contains "$out" "[secret:repl.token]" "a secret"
lacks "$out$err" "hunter2" "a secret's value"
expect_exit 0 -- "$S" repl --json -e '{ t = secret.get("repl.token") }'
lacks "$out$err" "hunter2" "a secret's value in JSON"

# :load and :run, :secrets, :help.
cat > "$SOAR_TMP/pb.lua" <<'LUA'
return { name = "triage", inputs = { ip = { type = "string", required = true }, n = { type = "integer", default = 2 } },
  run = function(ctx, input) return { ip = input.ip, n = input.n * 10, case = ctx.case } end }
LUA
expect_exit 0 -- sh -c "printf ':load %s\n:run triage ip=1.2.3.4 n=4\n:secrets\n:help abuseipdb.check\n' '$SOAR_TMP/pb.lua' | '$S' repl --case 1"
contains "$out" "loaded playbook triage" ":load"
has_line "$out" '^n +40$' ":run typed its input"
has_line "$out" '^case +1$' ":run on the session's case"
contains "$out" "repl.token" ":secrets"
lacks "$out" "hunter2" ":secrets"
contains "$out" "ip=string (required)" ":help"
contains "$out" "score  integer 0..100  abuseConfidenceScore" ":help shows the typed outputs"
lacks "$out" "table: 0x" ":help"

# :open, :attach, :history, :mock, :json, :integrations.
expect_exit 0 -- "$S" case new --title "second"
printf 'attached evidence\n' > "$SOAR_TMP/evidence.txt"
expect_exit 0 -- sh -c "printf ':open 2\n:attach %s\n:mock on\n!abuseipdb.check ip=192.0.2.1\n:json\n{ k = 1 }\n:integrations\n:history\n' '$SOAR_TMP/evidence.txt' | '$S' repl --case 1"
contains "$out" "case #2: second" ":open"
contains "$out" "attached evidence.txt (18 bytes" ":attach"
contains "$out" "mock on" ":mock"
contains "$out" '{"k":1}' ":json"
contains "$out" "!abuseipdb.check" ":integrations"
contains "$out" "!ipinfo.lookup" ":integrations"
contains "$out" "    2  :attach" ":history"
expect_exit 0 -- "$S" case show 2 --json
checks=$((checks + 1))
[ "$(json_field "$out" '[e["kind"] for e in j["timeline"]][1:]')" = "['attachment', 'command', 'result']" ] \
	|| fail ":open switched the case the war room records on: $out"
expect_exit 1 -- "$S" repl -e ':open 999' -e '1'
contains "$err" "999" ":open of no case"
has_line "$out" '^1$' "the session after a refused :open"

# At a terminal: prompt, completion, multi-line input, a stopped loop, history.
checks=$((checks + 1))
"$PY" "$SOAR_SRC/tests/e2e/repl_pty.py" "$S" || fail "the terminal session (repl_pty.py)"
checks=$((checks + 1))
grep -q 'double' "$SOARCTL_DATA/repl_history" 2>/dev/null || fail "history kept in the data directory"

# The same war room over HTTP: the command runs, the answer carries the result
# and the timeline gets the same two entries, by the token's user.
TOK=$("$S" user token --label e2e 2>/dev/null)
DPID=
trap 'kill "$STANDIN_PID" 2>/dev/null; [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
mkdir -p "$SOAR_TMP/playbooks"
serve_start --playbooks "$SOAR_TMP/playbooks"
wr() { curl -s -o "$SOAR_TMP/body" -w '%{http_code}' -H "Authorization: Bearer $1" \
	-H 'Content-Type: application/json' -X POST "$A/api/v1/cases/$2/warroom" --data-binary "$3"; }
checks=$((checks + 1))
code=$(wr "$TOK" 1 '{"command":"!abuseipdb.check ip=185.220.101.4"}')
body=$(cat "$SOAR_TMP/body")
[ "$code" = 200 ] || fail "HTTP war room: $code $body"
[ "$(json_field "$body" 'j["result"]["score"]')" = 100 ] || fail "HTTP war room result: $body"
[ "$(json_field "$body" 'j["recorded"]')" = True ] || fail "HTTP war room recorded: $body"
has_line "$(json_field "$body" 'j["text"]')" '^verdict +malicious$' "HTTP war room text"
checks=$((checks + 1))
code=$(wr "$TOK" 1 '{"command":"!abuseipdb.check ipp=1"}')
[ "$code" = 400 ] || fail "HTTP war room typo: $code $(cat "$SOAR_TMP/body")"
contains "$(cat "$SOAR_TMP/body")" "did you mean 'ip'" "HTTP war room typo"
checks=$((checks + 1))
code=$(wr "nope" 1 '{"command":"!abuseipdb.check ip=1.2.3.4"}')
[ "$code" = 401 ] || fail "HTTP war room without a token: $code"
checks=$((checks + 1))
code=$(wr "$TOK" 999 '{"command":"!abuseipdb.check ip=1.2.3.4"}')
[ "$code" = 404 ] || fail "HTTP war room on no case: $code"
checks=$((checks + 1))
code=$(wr "$TOK" 1 '{"cmd":1}')
[ "$code" = 400 ] || fail "HTTP war room without a command: $code"
serve_stop || fail "serve exit status"
expect_exit 0 -- "$S" case show 1 --json
checks=$((checks + 1))
got=$(json_field "$out" '[(e["kind"], e["actor"], e["text"], (e["data"] or {}).get("command")) for e in j["timeline"] if e["kind"] in ("command","result")][-2:]')
want="[('command', 'http:$me', '!abuseipdb.check ip=185.220.101.4', 'abuseipdb.check'), ('result', 'http:$me', 'abuseipdb.check: ok"
case "$got" in "$want"*) ;; *) fail "HTTP war room timeline: $got" ;; esac

finish
