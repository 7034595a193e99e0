#!/usr/bin/env bash
# The daemon as a process: --log-json makes every stderr line a JSON object
# (the daemon's own and the runs' logs, with the run id); SIGTERM stops
# accepting connections, lets a step in progress finish (its run ends, durably) and exits 0 within 10 s; a run still
# going at the drain's limit (two 6 s steps) is abandoned, the exit still within
# 10 s, and `soarctl runs resume` finishes it later. Also: a 202 means the cases
# are durable (they survive SIGKILL right after); the connection cap.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT

"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/slow.lua" <<'LUA'
return { name = "slow", triggers = { { type = "slow" } },
  run = function(ctx)
    log.info("slow run begins", { case = ctx.case })
    local t0 = time.now()
    sleep(4)   -- long enough that the test, polling on a loaded machine, signals during it
    case.note(ctx.case, "after the sleep")
    return { done = true, t0 = t0 }
  end }
LUA
cat > "$pb/long.lua" <<'LUA'
return { name = "long", triggers = { { type = "long" } },
  run = function() sleep(6) sleep(6) return { done = "later" } end }
LUA

log="$SOAR_TMP/serve.log"
start() { serve_start --playbooks "$pb" "$@"; }
H=(-H "Authorization: Bearer $TOK")
running() { # TYPE -> run id once a run of that playbook is running
	for _ in $(seq 100); do
		id=$(json_field "$(curl -s "${H[@]}" "$A/api/v1/runs?status=running")" \
			'next((r["id"] for r in j["runs"] if r["playbook"] == "'"$1"'"), "")')
		[ -n "$id" ] && { echo "$id"; return; }
		sleep 0.05
	done
}
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2"; }

# ---- --log-json; SIGTERM with a step in progress ----
start --log-json
case=$(json_field "$(curl -s "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"slow"}')" 'j["alerts"][0]["case"]')
run=$(running slow)
[ -n "$run" ] || fail "the slow run is running"
sleep 0.3
t0=$(date +%s.%N)
kill -TERM "$DPID"
sleep 0.2
# Draining: new connections are refused (the listening socket is closed).
is "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$A/healthz")" 000 "a new connection while draining"
wait "$DPID"; rc=$?; DPID=
t1=$(date +%s.%N)
is "$rc" 0 "exit status after SIGTERM"
checks=$((checks + 1))
"$PY" -c "import sys; sys.exit(0 if $t1 - $t0 < 10 else 1)" \
	|| fail "SIGTERM: exited after $("$PY" -c "print($t1 - $t0)") s (> 10 s)"
expect_exit 0 -- "$S" runs show "$run" --json
is "$(json_field "$out" 'j["run"]["status"]')" succeeded "the run in flight finished before the exit"
# The signal came while its 4 s step was in progress.
is "$(json_field "$out" "j['run']['result']['t0'] < $t0 < j['run']['result']['t0'] + 4")" True \
	"SIGTERM arrived during the step"
expect_exit 0 -- "$S" case show "$case" --json
contains "$out" "after the sleep" "the step after the in-flight one, durable"
# Every line is JSON; the run's own log carries its run id.
checks=$((checks + 1))
"$PY" - "$log" "$run" <<'PY' || fail "--log-json: $(head -c 600 "$log")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
recs = [json.loads(l) for l in lines]          # raises on a line that is not JSON
assert all({"time", "level", "msg"} <= r.keys() for r in recs), recs
assert any(r["msg"].startswith("listening on") for r in recs)
assert any(r["msg"] == "stopping: no new connections, finishing what is in flight" for r in recs)
run = [r for r in recs if r["msg"] == "slow run begins"]
assert run and run[0].get("run_id") == sys.argv[2], run
PY

# ---- 202 means durable: the cases of an answered request survive SIGKILL ----
start
r=$(curl -s "${H[@]}" -X POST "$A/api/v1/alerts" -d '[{"type":"x1"},{"type":"x2"},{"type":"x3"}]')
kill -9 "$DPID"; wait "$DPID" 2>/dev/null; DPID=
for i in 0 1 2; do
	expect_exit 0 -- "$S" case show "$(json_field "$r" "j['alerts'][$i]['case']")" --json
	contains "$out" "\"type\":\"x$((i + 1))\"" "a case answered 202, after SIGKILL"
done

# ---- the connection cap: connections still waiting for their head hold at
# most the cap less a reserve (3 - 1 here); past that the oldest waiting one is
# cut, so a new client is served and idle connections cannot lock it out ----
SOARCTL_MAX_CONNS=3 SOARCTL_MAX_CONNS_PER_IP=0 start
checks=$((checks + 1))
"$PY" - "$api" <<'PY' || fail "connection cap"
import socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
time.sleep(0.3)
cut = 0
for h in held:
    h.settimeout(0.2)
    try: cut += h.recv(100) == b""
    except OSError: pass
assert cut == 1, "the oldest idle connection cut past the budget: %d" % cut
s = socket.create_connection(("127.0.0.1", port)); s.settimeout(3)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
assert s.recv(100).startswith(b"HTTP/1.1 200"), "a new client served"
for h in held: h.close()
PY
kill -TERM "$DPID"; wait "$DPID"; DPID=

# ---- a run still going at the drain's limit: abandoned, resumed later ----
start
curl -s "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"long"}' >/dev/null
run=$(running long)
[ -n "$run" ] || fail "the long run is running"
t0=$(date +%s.%N)
kill -TERM "$DPID"
for _ in $(seq 120); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.1; done
t1=$(date +%s.%N)
checks=$((checks + 1))
if kill -0 "$DPID" 2>/dev/null; then fail "still running 12 s after SIGTERM"; else wait "$DPID"; DPID=; fi
"$PY" -c "import sys; sys.exit(0 if $t1 - $t0 < 10 else 1)" \
	|| fail "SIGTERM with a long run: $("$PY" -c "print($t1 - $t0)") s (> 10 s)"
contains "$(cat "$log")" "drain time is up"
expect_exit 0 -- "$S" runs show "$run" --json
is "$(json_field "$out" 'j["run"]["status"]')" running "the abandoned run stays to be resumed"
expect_exit 0 -- "$S" runs resume "$run"
expect_exit 0 -- "$S" runs show "$run" --json
is "$(json_field "$out" 'j["run"]["status"]')" succeeded "resumed by the CLI"
finish
