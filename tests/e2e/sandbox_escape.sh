#!/usr/bin/env bash
# The sandbox boundary, end to end (issue 12, item 1): a playbook that reaches for
# the interpreter's real globals through C frames (pcall, xpcall, its handler,
# coroutine.wrap, a sort comparator, a metamethod) must find nothing, under
# `soarctl run` and under `soarctl serve` alike: no shell command runs.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
marker="$SOAR_TMP/escaped"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT

cat > "$pb/escape.lua" <<LUA
return {
  name = "escape", triggers = { { type = "escape" } },
  run = function()
    local code = "return os"
    local found = {}
    local function try(how, f)
      local ok, o = pcall(f)
      if ok and type(o) == "table" and o.execute then
        o.execute("touch '$marker'")
        found[#found + 1] = how
      end
    end
    try("pcall", function() return select(2, pcall(load, code))() end)
    try("xpcall", function() return select(2, xpcall(load, function(e) return e end, code))() end)
    try("handler", function() return select(2, xpcall(function() error(code, 0) end, load))() end)
    try("wrap", function() return coroutine.wrap(load)(code)() end)
    try("resume", function() return select(2, coroutine.resume(coroutine.create(load), code))() end)
    try("sort", function()
      local r
      table.sort({ 2, 1 }, function(a, b) r = select(2, pcall(load, code)) return a < b end)
      return r()
    end)
    try("tostring", function()
      local r
      tostring(setmetatable({}, { __tostring = function() r = select(2, pcall(load, code)) return "" end }))
      return r()
    end)
    try("gsub", function()
      local r
      string.gsub("a", "a", function() r = select(2, pcall(loadstring, code)) end)
      return r()
    end)
    return { escaped = table.concat(found, ","), tried = 8 }
  end,
}
LUA

# soarctl run
expect_exit 0 -- "$S" run "$pb/escape.lua" --json
[ "$(json_field "$out" 'j["result"]["escaped"]')" = "" ] || fail "run: escaped via $(json_field "$out" 'j["result"]["escaped"]')"
[ "$(json_field "$out" 'j["result"]["tried"]')" = 8 ] || fail "run: the probes did not all run: $out"
[ ! -e "$marker" ] || fail "run: a shell command ran"

# soarctl serve
"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
serve_start --playbooks "$pb"
curl -s -H "Authorization: Bearer $TOK" -X POST "$A/api/v1/alerts" -d '[{"type":"escape"}]' >/dev/null
status=
for _ in $(seq 100); do
	line=$("$S" runs list --json --limit 100 | "$PY" -c '
import json, sys
for r in json.load(sys.stdin):
    if r["playbook"] == "escape":
        print(r["id"], r["status"])' | head -1)
	status=${line#* }
	[ "$status" = succeeded ] || [ "$status" = failed ] && break
	sleep 0.1
done
[ "$status" = succeeded ] || fail "serve: the probe run is '$status'"
res=$("$S" runs show "${line% *}" --json)
[ "$(json_field "$res" 'j["run"]["result"]["escaped"]')" = "" ] || fail "serve: escaped: $res"
[ "$(json_field "$res" 'j["run"]["result"]["tried"]')" = 8 ] || fail "serve: probes did not run: $res"
[ ! -e "$marker" ] || fail "serve: a shell command ran"
checks=$((checks + 4))
serve_stop || fail "serve did not stop cleanly"
finish
