#!/usr/bin/env bash
# Two scheduler fixes: a job that never fired and whose first fire passed while
# the daemon was down runs that missed fire once at restart (it used to stay
# "LAST -" for ever, as a `*/30` job down across :30 did); and `job run` is a
# fire, so `job list` shows its LAST time.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || true
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/every5.lua" <<'LUA'
return { name = "every5", schedule = "*/5 * * * * *", grace = 30, run = function() return {} end }
LUA
cat > "$pb/daily.lua" <<'LUA'
return { name = "daily", schedule = "0 3 * * *", run = function() return {} end }
LUA
log="$SOAR_TMP/serve.log"
last_of() { "$PY" -c 'import json,sys; print({j["name"]: j.get("last") for j in json.load(sys.stdin)}[sys.argv[1]])' "$1"; }

# Up for 1 s between two fires: every5 never fires, its record waits for the next.
"$PY" -c "import time; t=time.time(); time.sleep(5 - t % 5 + 0.5)"
serve_start --playbooks "$pb"; sleep 1; serve_stop
lacks "$(cat "$log")" "job every5: fired" "no fire in the first second"
expect_exit 0 -- "$S" job list --json
[ "$(last_of every5 <<<"$out")" = "None" ] || [ "$(last_of every5 <<<"$out")" = "0" ] || fail "never fired yet: $out"
checks=$((checks + 1))
# Down across its first fire, then up: the missed fire runs once.
"$PY" -c "import time; t=time.time(); time.sleep(5 - t % 5 + 0.5)"
serve_start --playbooks "$pb"; sleep 0.5
contains "$(cat "$log")" "job every5: fired (missed while the daemon was down)" "a never-fired job's missed fire"
n=$(grep -c "job every5: fired (missed" "$log")
[ "$n" = 1 ] || fail "the missed fire runs once, ran $n times"
checks=$((checks + 1))

# job run on a job that has never fired: LAST is set.
expect_exit 0 -- "$S" job list
expect_exit 0 -- "$S" job run daily
for _ in $(seq 40); do grep -q "job daily: fired (run now)" "$log" && break; sleep 0.1; done
contains "$(cat "$log")" "job daily: fired (run now)"
sleep 0.3
expect_exit 0 -- "$S" job list --json
l=$(last_of daily <<<"$out")
[ "$l" != "None" ] && [ "$l" != "0" ] && [ "$l" != "-" ] || fail "job run sets LAST: $out"
checks=$((checks + 1))
expect_exit 0 -- "$S" job list
row=$(grep -E '^daily ' <<<"$out")
contains "$row" "$(date -u +%Y-%m-%d)" "job list LAST after job run"
serve_stop
finish
