#!/usr/bin/env bash
# The scheduler through the CLI and the real daemon: `soarctl cron next`
# (--from, --count, --tz, --json; a never-firing schedule refused naming the
# field, exit 2); `job list` showing next fire times; the overlap policies on
# jobs firing every second whose runs take 2.5 s (skip: never two at once;
# queue: never two at once, one fire waits; allow: runs overlap); the missed-run
# grace (run once when the latest missed fire is within grace, else skip).
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2"; }

# ---- soarctl cron next ----
expect_exit 0 -- "$S" cron next "*/30 9-14 L * *" --from 2026-02-28T12:00:00Z --count 3 --tz Europe/Berlin --json
# (--from is inclusive: 12:00Z is 13:00 in Berlin, a fire time)
is "$(json_field "$out" 'j["next"]')" "['2026-02-28T13:00:00+01:00', '2026-02-28T13:30:00+01:00', '2026-02-28T14:00:00+01:00']" "cron next --tz --json"
expect_exit 0 -- "$S" cron next "30 2 * * *" --from 2026-03-28T12:00:00Z --count 2 --tz Europe/Berlin
contains "$out" "2026-03-29T03:00:00+02:00" "the skipped 02:30 runs at the end of the gap"
expect_exit 0 -- "$S" cron next "@hourly" --from 2026-01-01T00:00:00Z --count 2
contains "$out" "2026-01-01T01:00:00"
expect_exit 2 -- "$S" cron next "0 0 30 2 *"
contains "$err" "day-of-month: the schedule never fires (day 30 does not occur in February)"
expect_exit 2 -- "$S" cron next "0 25 * * *" --json
contains "$out" '"error":"hour: 25 is out of range 0-23"'
expect_exit 2 -- "$S" cron next "0 0 * * *" --tz Mars/Olympus

"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
for policy in skip queue allow; do
	cat > "$pb/ov_$policy.lua" <<LUA
return { name = "ov_$policy", schedule = "* * * * * *", overlap = "$policy",
  run = function()
    local t0 = time.now()
    sleep(2.5)
    return { t0 = t0, t1 = time.now() }
  end }
LUA
done
cat > "$pb/daily.lua" <<'LUA'
return { name = "daily", schedule = "0 3 * * *", tz = "America/New_York",
  run = function() return {} end }
LUA

log="$SOAR_TMP/serve.log"
start() { serve_start --playbooks "$pb" --workers 8; }
stop() { kill -TERM "$DPID"; wait "$DPID"; DPID=; }
H=(-H "Authorization: Bearer $TOK")

start
sleep 6.5
for p in skip queue allow; do "$S" job pause "ov_$p" >/dev/null; done
# job list: next fire times (the daily job's is 03:00 in New York, in UTC).
expect_exit 0 -- "$S" job list --json
checks=$((checks + 1))
"$PY" - "$out" <<'PY' || fail "job list --json: $out"
import json, sys, datetime
jobs = {j["name"]: j for j in json.loads(sys.argv[1])}
d = jobs["daily"]
assert d["schedule"] == "0 3 * * *" and d["tz"] == "America/New_York", d
nxt = d["next"]
t = datetime.datetime.fromisoformat(nxt.replace("Z", "+00:00")) if isinstance(nxt, str) else \
    datetime.datetime.fromtimestamp(nxt / (1000 if nxt > 1e11 else 1), datetime.timezone.utc)
assert t.hour in (7, 8) and t.minute == 0, nxt             # 03:00 EST/EDT
assert t > datetime.datetime.now(datetime.timezone.utc), nxt
PY
expect_exit 0 -- "$S" job list
contains "$out" "daily"
contains "$out" "0 3 * * *"
sleep 3 # the runs in flight end (paused: no new fires)
runs=$(curl -s "${H[@]}" "$A/api/v1/runs?limit=1000")
checks=$((checks + 1))
"$PY" - "$runs" <<'PY' || fail "overlap policies: $runs"
import json, sys
runs = json.loads(sys.argv[1])["runs"]
def spans(name):
    return sorted((r["result"]["t0"], r["result"]["t1"]) for r in runs
                  if r["playbook"] == name and r["status"] == "succeeded")
def overlaps(s):
    return any(b[0] < a[1] - 0.05 for a, b in zip(s, s[1:]))
skip, queue, allow = spans("ov_skip"), spans("ov_queue"), spans("ov_allow")
assert 2 <= len(skip) <= 3 and not overlaps(skip), ("skip", skip)
# queue: back to back (the waiting fire starts as the last run ends), never two at once
assert 2 <= len(queue) <= 4 and not overlaps(queue), ("queue", queue)
assert all(b[0] - a[1] < 0.6 for a, b in zip(queue, queue[1:])), ("queue back to back", queue)
assert len(allow) >= 5 and overlaps(allow), ("allow", allow)
PY
m=$(curl -s "${H[@]}" "$A/metrics")
sk=$(sed -n 's/^soarctl_job_skipped_total //p' <<<"$m")
[ "${sk:-0}" -ge 3 ] || fail "skipped fires counted: $sk"
contains "$(cat "$log")" "job ov_skip: schedule fire skipped, a run is still going (overlap = skip)"
lacks "$(cat "$log")" "job ov_queue: schedule fire skipped"
stop

# ---- missed runs and grace ----
rm "$pb"/ov_*.lua
cat > "$pb/every5.lua" <<'LUA'
return { name = "every5", schedule = "*/5 * * * * *", grace = 2, run = function() return {} end }
LUA
start
for _ in $(seq 80); do grep -q "job every5: fired" "$log" && break; sleep 0.1; done
contains "$(cat "$log")" "job every5: fired (schedule)"
stop
# Down past one fire: the latest missed fire is within the 2 s grace -> run once.
"$PY" -c "import time; t=time.time(); time.sleep(5 - t % 5 + 0.5)"   # 0.5 s after a fire
start; sleep 0.3
contains "$(cat "$log")" "job every5: fired (missed while the daemon was down)" "a missed fire within grace"
stop
# Down so that the latest missed fire is 3-4 s old, older than the grace -> skipped.
"$PY" -c "import time; t=time.time(); time.sleep(5 - t % 5 + 3.3)"
start; sleep 0.3
contains "$(cat "$log")" "job every5: missed fire skipped (policy or grace)" "a missed fire past its grace"
lacks "$(cat "$log")" "missed while the daemon was down"
stop
finish
