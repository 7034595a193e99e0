#!/usr/bin/env bash
# SIGKILL against durable runs, counted where it matters: at the world.
# 1. `soarctl run` killed between HTTP steps again and again, resumed each time:
#    the local stand-in sees every step, no completed step twice, and a step
#    re-sent after a kill carries the same Idempotency-Key as its first send.
# 2. The daemon killed while one run waits on a prompt and another sleeps in
#    place (running): restarted, the prompt answered from the CLI, both complete,
#    the sleeper sleeping only what was left.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
DPID=

standin_start
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; kill $STANDIN_PID 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || true

# ---- 1. kills between HTTP steps ----
N=30
cat > "$pb/notify.lua" <<LUA
return {
  name = "notify", hosts = { "127.0.0.1" },
  inputs = { n = { type = "integer", default = $N } },
  run = function(ctx, input)
    for i = 1, input.n do
      local r, err = http.post("$base/webhook/step", { body = tostring(i) })
      assert(r and r.status == 200, err)
      sleep(0.02)   -- time between steps, so that kills land in the middle too
    end
    return { sent = input.n }
  end,
}
LUA
"$S" run "$pb/notify.lua" >/dev/null 2>&1 &
pid=$!
rid=""
for _ in $(seq 1 500); do
	rid=$("$S" runs list --json --limit 1 | "$PY" -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["id"] if r and r[0]["playbook"] == "notify" else "")')
	[ -n "$rid" ] && break
	sleep 0.01
done
kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
kills=1
for _ in $(seq 1 30); do
	[ -n "$rid" ] || break
	"$S" runs resume "$rid" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 9 + 1))"
	kill -9 "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null
done
[ -n "$rid" ] || { fail "the run of notify.lua was not recorded"; finish; exit; }
st=$("$S" runs show "$rid" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["run"]["status"])')
[ "$st" = succeeded ] || expect_exit 0 -- "$S" runs resume "$rid"
stats=$(curl -s "$base/stats")
checks=$((checks + 1))
verdict=$("$PY" - "$stats" "$N" "$kills" "$rid" <<'PY'
import json, sys
hooks, n, kills, rid = json.loads(sys.argv[1])["webhooks"], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
keys = {}
for h in hooks:
    keys.setdefault(h["body"], set()).add(h["key"])
missing = [i for i in range(1, n + 1) if str(i) not in keys]
if missing:
    sys.exit("steps never sent: %s" % missing)
if len(hooks) - n > kills:
    sys.exit("%d sends for %d steps after %d kills: completed steps acted again" % (len(hooks), n, kills))
for body, ks in keys.items():
    if len(ks) != 1 or not next(iter(ks)) or rid not in next(iter(ks)):
        sys.exit("step %s sent with keys %s (want one key naming the run)" % (body, sorted(map(str, ks))))
# The steps reached the world in order: a resend only ever repeats the last one.
seen = []
for h in hooks:
    if not seen or seen[-1] != h["body"]:
        seen.append(h["body"])
if seen != [str(i) for i in range(1, n + 1)]:
    sys.exit("sends out of order: %s" % seen)
print("ok %d sends for %d steps, %d kills" % (len(hooks), n, kills))
PY
)
case "$verdict" in ok*) echo "$verdict" ;; *) fail "$verdict" ;; esac
[ "$kills" -ge 8 ] || fail "only $kills kills landed; the test did not exercise replay"

# ---- 2. the daemon killed while runs wait on a prompt and in a sleep ----
cat > "$pb/ask.lua" <<'LUA'
return {
  name = "ask", triggers = { { type = "question" } },
  run = function(ctx)
    local a = prompt.ask{ question = "Block it?", options = { "yes", "no" } }
    return { answer = a.value, by = a.by }
  end,
}
LUA
cat > "$pb/nap.lua" <<'LUA'
return { name = "nap", triggers = { { type = "nap" } },
  run = function() local t0 = time.now() sleep(3) return { slept = time.now() - t0 } end }
LUA
rm -f "$pb/notify.lua"
TOK=$("$S" user token --label e2e 2>/dev/null)
start() { serve_start --playbooks "$pb"; }
run_of() { # PLAYBOOK -> "id status"
	"$S" runs list --json --limit 50 | "$PY" -c '
import json, sys
for r in json.load(sys.stdin):
    if r["playbook"] == sys.argv[1]:
        print(r["id"], r["status"]); break' "$1"
}
start
curl -s -H "Authorization: Bearer $TOK" -X POST "http://127.0.0.1:$api/api/v1/alerts" \
	-d '[{"type":"question"},{"type":"nap"}]' >/dev/null
for _ in $(seq 100); do
	a=$(run_of ask); n=$(run_of nap)
	[ "${a#* }" = waiting ] && [ "${n#* }" = running ] && break
	sleep 0.05
done
[ "${a#* }" = waiting ] || fail "ask run not waiting before the kill: $a"
# A 3 s sleep waits in place: the run is running, its sleep step on record.
[ "${n#* }" = running ] || fail "nap run not sleeping before the kill: $n"
sleep 0.5
kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
start
pid=$("$S" prompt list --json | "$PY" -c 'import json,sys; p=json.load(sys.stdin); print(p[0]["id"] if p else "")')
[ -n "$pid" ] || fail "the prompt did not survive the kill"
t0=$(date +%s.%N)
expect_exit 0 -- "$S" prompt answer "$pid" --choice yes --no-resume
for _ in $(seq 40); do
	a=$(run_of ask); [ "${a#* }" = succeeded ] && break; sleep 0.05
done
t1=$(date +%s.%N)
[ "${a#* }" = succeeded ] || fail "ask run not resumed by the restarted daemon: $a"
"$PY" -c "import sys; sys.exit(0 if $t1 - $t0 < 1.5 else 1)" || fail "answer took $t1 - $t0 s to resume the run"
expect_exit 0 -- "$S" runs show "${a% *}" --json
contains "$out" '"answer":"yes"' "ask result"
for _ in $(seq 80); do
	n=$(run_of nap); [ "${n#* }" = succeeded ] && break; sleep 0.05
done
[ "${n#* }" = succeeded ] || fail "nap run not resumed after the restart: $n"
expect_exit 0 -- "$S" runs show "${n% *}" --json
slept=$(json_field "$out" 'j["run"].get("result", {}).get("slept", 0) if isinstance(j["run"].get("result"), dict) else 0')
"$PY" -c "import sys; sys.exit(0 if 2.9 <= $slept < 6 else 1)" || fail "nap slept $slept s across the kill (want about 3): $out"
kill -TERM "$DPID"; wait "$DPID"; DPID=
finish
