#!/usr/bin/env bash
# The CLI's conventions (issue 19), each with its case: every command and
# subcommand refuses an unknown option (exit 2, the usage line); argument errors
# name the argument; --json prints one JSON object, errors included; exit codes
# (docs/cli.md); options after positionals; `soarctl test` over several files
# and directories, with --junit; help and HTTP errors name real commands; the
# 403 says which permission and how to grant it; HTTP errors counted by status;
# only `init` makes a data directory.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
cd "$SOAR_TMP" || exit 1

# ---- every command and subcommand of the table refuses --bogus ----
"$S" help --flags > flags.txt || fail "help --flags"
# the table covers every command `soarctl --help` lists
for c in $("$S" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p'); do
	checks=$((checks + 1))
	grep -q "^$c " flags.txt || fail "command '$c' is missing from the option table (runtime/cli/cli_flags.c)"
done
n=0
while read -r cmd sub _; do
	args=("$cmd"); [ "$sub" != - ] && args+=("$sub")
	bogus=--bogus; [ $((n % 3)) = 0 ] && bogus=--bogus=1   # both spellings, a third each
	expect_exit 2 -- "$S" "${args[@]}" "$bogus" < /dev/null
	contains "$err" "unknown option '--bogus'" "${args[*]} $bogus"
	contains "$err" "Usage: soarctl" "${args[*]} $bogus"
	[ -z "$out" ] || fail "${args[*]} $bogus printed on stdout: $out"
	n=$((n + 1))
done < flags.txt
[ "$n" -gt 40 ] || fail "only $n command/subcommand pairs in the table"
# the cases the issue names, by name
for c in "job list" "prompt list" "case list" "audit verify" "user list" "indicator list" "secret list"; do
	expect_exit 2 -- "$S" $c --bogus
	lacks "$err" "needs a value" "$c --bogus"
done
# a known boolean given a value, a value option without one
expect_exit 2 -- "$S" case list --asc=yes
contains "$err" "takes no value"
expect_exit 2 -- "$S" case list --status
contains "$err" "needs a value"

# ---- argument errors name the argument, not the playbook ----
pb="$SOAR_TMP/greet.lua"
cat > "$pb" <<'LUA'
return { name = "greet", inputs = { name = { type = "string", required = true },
  times = { type = "integer", default = 1 } },
  run = function(ctx, input) return { hello = input.name } end }
LUA
expect_exit 2 -- "$S" run "$pb" --input name
contains "$err" "--input takes KEY=VALUE"
lacks "$err" "invalid playbook"
expect_exit 2 -- "$S" run "$pb" --input-json '{bad'
contains "$err" "--input-json is not valid JSON"
lacks "$err" "invalid playbook"
expect_exit 2 -- "$S" run "$pb" --input name=x --input times=many
contains "$err" "bad input: input 'times' must be an integer"
expect_exit 2 -- "$S" run "$pb" --input name=x --json --input-json '[1]'
[ "$(json_field "$out" 'j["error"]["kind"]')" = bad_input ] || fail "run --json bad input: $out"
expect_exit 0 -- "$S" run "$pb" --input name=x

# ---- --json: one JSON object on stdout, errors included ----
one_object() {   # one_object WHAT: $out is exactly one JSON object
	checks=$((checks + 1))
	python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert isinstance(j, dict), type(j)' \
		"$out" 2>/dev/null || fail "$1: stdout is not one JSON object: '$out' (stderr: $err)"
}
expect_exit 2 -- "$S" run --json missing.lua
one_object "run --json missing.lua"
[ "$(json_field "$out" 'j["error"]["exit"]')" = 2 ] || fail "run --json missing: $out"
contains "$(json_field "$out" 'j["error"]["message"]')" "missing.lua"
# every command and subcommand that takes --json, made to fail: a data
# directory that cannot exist (under a file; init cannot make it either), or
# without a data directory, a bad argument
while read -r cmd sub flags; do
	case " $flags " in *" json "*) ;; *) continue ;; esac
	args=("$cmd"); [ "$sub" != - ] && args+=("$sub")
	case " $flags " in *" data= "*) args+=(--data "$SOAR_TMP/flags.txt/no") ;; *) args+=(--from nonsense) ;; esac
	"$S" "${args[@]}" --json < /dev/null > json.out 2>/dev/null; rc=$?
	checks=$((checks + 1))
	[ "$rc" != 0 ] || { [ "$cmd $sub" = "integration list" ] || fail "${args[*]} --json: exit 0"; continue; }
	printf '%s\t%s\n' "${args[*]} --json" "$(tr '\n\t' '  ' < json.out)" >> json.all
done < flags.txt
# one python for all of them: each stdout is one JSON object
checks=$((checks + 1))
python3 - json.all <<'PY' || fail "--json: not one JSON object (above)"
import json, sys
bad = 0
for line in open(sys.argv[1]):
    what, _, out = line.rstrip("\n").partition("\t")
    try:
        ok = isinstance(json.loads(out), dict)
    except ValueError:
        ok = False
    if not ok:
        bad += 1
        print(f"{what}: stdout is not one JSON object: {out!r}", file=sys.stderr)
sys.exit(1 if bad else 0)
PY

# ---- exit codes: 2 a bad argument, 1 not found ----
expect_exit 2 -- "$S" runs show nope
contains "$err" "'nope' is not a run ID"
expect_exit 1 -- "$S" runs show 01a00000-0000-7000-8000-000000000000
contains "$err" "no run"
expect_exit 1 -- "$S" case show 4242
expect_exit 2 -- "$S" nosuchcommand
contains "$err" "no command 'nosuchcommand'"
expect_exit 2 -- "$S" nosuchcommand --json
[ "$(json_field "$out" 'j["error"]["kind"]')" = usage ] || fail "an unknown command with --json: $out"
checks=$((checks + 1))
# stray arguments to version and help are refused, not ignored
expect_exit 2 -- "$S" version --bogus
expect_exit 2 -- "$S" --version extra
expect_exit 2 -- "$S" help case extra
expect_exit 2 -- "$S" help nosuchcommand
expect_exit 0 -- "$S" version
expect_exit 0 -- "$S" help case

# ---- options after positional arguments ----
expect_exit 0 -- "$S" integration show abuseipdb --data "$SOARCTL_DATA"
contains "$out" "abuseipdb"
expect_exit 0 -- "$S" integration show --data "$SOARCTL_DATA" abuseipdb
expect_exit 2 -- "$S" integration show abuseipdb virustotal
contains "$err" "show takes one NAME"

# ---- soarctl test: several files, directories, --junit ----
mkdir -p t/sub
cat > t/a_test.lua <<'LUA'
return { test_one = function() case.create({ title = "a" }) end,
         test_two = function() assert(1 + 1 == 2) end }
LUA
cat > t/b_test.lua <<'LUA'
return { test_fails = function() error("expected <this> & that") end,
         test_store = function() assert(#case.search({}) == 0, "each file has its own store") end }
LUA
cp t/a_test.lua t/sub/c_test.lua
echo 'not a test' > t/README
expect_exit 1 -- "$S" test t/a_test.lua t/b_test.lua --junit "$SOAR_TMP/j1.xml"
contains "$out" "3 passed, 1 failed"
lacks "$err" "changed"
expect_exit 1 -- "$S" test t t/sub --junit "$SOAR_TMP/j2.xml"
contains "$out" "# t/a_test.lua"
contains "$out" "# t/sub/c_test.lua"
contains "$out" "5 passed, 1 failed"
expect_exit 2 -- "$S" test t/nothere_test.lua
expect_exit 2 -- "$S" test "$SOAR_TMP/t/sub/.." --filter x --junit
python3 - "$SOAR_TMP/j2.xml" <<'PY' || fail "junit XML"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
suites = root.findall("testsuite")
assert [s.get("name") for s in suites] == ["t/a_test.lua", "t/b_test.lua", "t/sub/c_test.lua"], \
    [s.get("name") for s in suites]
b = suites[1]
assert b.get("tests") == "2" and b.get("failures") == "1", b.attrib
f = b.find("testcase[@name='test_fails']/failure")
assert f is not None and "expected <this> & that" in f.get("message"), f
assert b.find("testcase[@name='test_store']/failure") is None
for s in suites:
    for c in s.findall("testcase"):
        float(c.get("time"))
print("junit ok")
PY

# ---- only init makes a data directory ----
expect_exit 2 -- "$S" case list --data ./typo
contains "$err" "no data directory at ./typo; run soarctl init --data ./typo"
[ ! -e ./typo ] || fail "case list made ./typo"
mkdir empty
expect_exit 2 -- "$S" case list --data ./empty
contains "$err" "no soarctl store at ./empty; run soarctl init --data ./empty"
[ -z "$(ls empty)" ] || fail "case list wrote into an empty folder"
expect_exit 2 -- "$S" run "$pb" --input name=x --data ./typo
expect_exit 2 -- "$S" secret list --data ./typo
[ ! -e ./typo ] || fail "a command made ./typo"
expect_exit 0 -- "$S" init --data ./typo
expect_exit 0 -- "$S" case list --data ./typo

# ---- EDL: a bad value on a new list ----
expect_exit 2 -- "$S" edl add newlist 999.1.1.1
contains "$err" "not a valid entry"
lacks "$err" "type ipv4, not domain"

# ---- help and HTTP errors name real commands; 403 names the permission ----
expect_exit 0 -- "$S" help serve
lacks "$out" "token create"
contains "$out" "soarctl user token"
"$S" user add viewer1 --role viewer >/dev/null || fail "user add"
VTOK=$("$S" user token viewer1 2>/dev/null | tail -1)
ATOK=$("$S" user token 2>/dev/null | tail -1)
expect_exit 0 -- "$S" user token --label again   # the command the 401 names works
serve_start --playbooks "$SOAR_TMP/t/sub"
body=$(curl -s "$A/api/v1/cases")
contains "$body" "soarctl user token"
lacks "$body" "token create"
body=$(curl -s -H "Authorization: Bearer $VTOK" -X POST -d '{"title":"x"}' "$A/api/v1/cases")
contains "$body" "lacks case.write"
contains "$body" "soarctl user role viewer1 viewer,analyst"
lacks "$body" "admin\`"
curl -s -o /dev/null "$A/nothing/here"
curl -s -o /dev/null "$A/nothing/here"
m=$(curl -s -H "Authorization: Bearer $ATOK" "$A/metrics")
contains "$m" 'soarctl_http_errors_total{status="401"} 1'
contains "$m" 'soarctl_http_errors_total{status="403"} 1'
contains "$m" 'soarctl_http_errors_total{status="404"} 2'
serve_stop || fail "serve exit"
finish
