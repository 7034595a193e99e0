#!/bin/sh
# Complete runs per second through `soarctl serve`: N connection alerts (default
# 20,000, each a new source address, so each starts a run) posted in batches of
# 100 on 8 keep-alive connections from two processes; each run makes one
# http.get to a loopback stand-in (build's tools/standins/standin_slow, the C
# one, else tools/standins/slow.py; no delay) and, unless NOTE=0, writes a case
# note. Timed from the first post until soarctl_runs_succeeded_total (GET
# /metrics, polled every 10 ms on a keep-alive connection) counts every run.
# The queue is raised (--queue) so that no post is refused while runs queue.
# Usage: tools/bench/bench_serve_runs.sh [BUILD_DIR] [ALERTS] [RUNS]
# Env: NOTE=0 (no case note), HTTP=0 (no request: what the rest costs),
#      THREADS=1 (CPU time of each daemon thread), WORKERS=N (--workers, default the daemon's),
#      STANDIN=py (the Python stand-in even when the C one is built),
#      DELAY=MS (the stand-in answers after MS ms: DELAY=1000 with 10,000 alerts
#      is issue 7's "10,000 runs waiting at once on a slow API", end to end).
# Prints, for each run, the rate, the daemon's CPU time a run and (C stand-in)
# the connections the daemon opened to the stand-in.
set -eu
BUILD=${1:-build}
N=${2:-20000}
RUNS=${3:-3}
NOTE=${NOTE:-1}
DELAY=${DELAY:-0}
cd "$(dirname "$0")/../.."
S="$BUILD/soarctl"
TMP=$(mktemp -d)
DPID=
SPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
if [ -x "$BUILD/tools/standins/standin_slow" ] && [ "${STANDIN:-c}" != py ]; then
	standin="$BUILD/tools/standins/standin_slow"
	"$standin" --delay 0 --stats > "$TMP/slow.out" 2>&1 &
else
	standin=tools/standins/slow.py
	python3 tools/standins/slow.py --delay "$DELAY" > "$TMP/slow.out" 2>&1 &
fi
SPID=$!
SP=
while [ -z "$SP" ]; do sleep 0.05; SP=$(sed -n 's/^PORT //p' "$TMP/slow.out"); done
mkdir "$TMP/pb"
note='case.note(ctx.case, "looked up: " .. (r and r.status or err))'
[ "$NOTE" = 1 ] || note=''
get="http.get(\"http://127.0.0.1:$SP/delay?ms=$DELAY\")"
[ "${HTTP:-1}" = 1 ] || get='{ status = 200 }, nil'   # HTTP=0: the run without its request
cat > "$TMP/pb/enrich.lua" <<LUA
return { name = "enrich", triggers = { { type = "connection" } }, hosts = { "127.0.0.1" },
  run = function(ctx)
    local r, err = $get
    $note
    return { ok = r ~= nil }
  end }
LUA
workers=
[ -n "${WORKERS:-}" ] && workers="--workers $WORKERS"
echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d); case note: $NOTE; request: ${HTTP:-1}; stand-in delay: $DELAY ms; stand-in: $standin; load: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$RUNS"); do
	export SOARCTL_DATA="$TMP/data$r"
	"$S" init >/dev/null 2>&1
	TOKEN=$("$S" user token --label bench 2>/dev/null | tail -1)
	# shellcheck disable=SC2086
	"$S" serve --listen 127.0.0.1:0 --playbooks "$TMP/pb" --queue $((N + 1000)) $workers 2>"$TMP/serve.log" &
	DPID=$!
	PORT=
	while [ -z "$PORT" ]; do
		sleep 0.05
		PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$TMP/serve.log")
	done
	python3 - "$PORT" "$TOKEN" "$N" <<'PY'
import http.client, json, multiprocessing, sys, threading, time
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
n = n // 100 * 100
hdrs = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}

# Each post answers once its cases are durable (group commit): several
# connections in flight keep the daemon busy rather than waiting on one.
CONNS = 8

def post_conn(part):
    c = http.client.HTTPConnection("127.0.0.1", port)
    for b in range(part, n // 100, CONNS):
        alerts = [{"type": "connection", "src_ip": "10.%d.%d.%d" % (b // 256, b % 256, i)}
                  for i in range(100)]
        c.request("POST", "/api/v1/alerts", json.dumps(alerts), hdrs)
        resp = c.getresponse()
        resp.read()
        if resp.status >= 300:
            sys.exit("post: HTTP %d" % resp.status)

def post(proc):
    ts = [threading.Thread(target=post_conn, args=(i,)) for i in range(proc, CONNS, 2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()

def counters(c):
    c.request("GET", "/metrics", headers=hdrs)
    resp = c.getresponse()
    out = {}
    for line in resp.read().decode().splitlines():
        if line.startswith("soarctl_runs_") and " " in line:
            k, v = line.split(" ", 1)
            out[k] = int(float(v))
    return out

m = http.client.HTTPConnection("127.0.0.1", port)
t0 = time.time()
ps = [multiprocessing.Process(target=post, args=(i,)) for i in range(2)]
for p in ps:
    p.start()
posted = None
ok = failed = 0
while time.time() - t0 < 300:
    if posted is None and not any(p.is_alive() for p in ps):
        posted = time.time() - t0
    c = counters(m)
    ok, failed = c.get("soarctl_runs_succeeded_total", 0), c.get("soarctl_runs_failed_total", 0)
    if ok + failed >= n:
        break
    time.sleep(0.01)
t = time.time() - t0
for p in ps:
    p.join()
print("alerts=%d posted in %.2f s; %d runs succeeded (%d failed) after %.2f s: %.0f complete runs/s"
      % (n, posted or t, ok, failed, t, ok / t))
PY
	# The daemon's CPU time (user + system, every thread) per run: steadier
	# than the rate on a shared machine.
	awk -v n="$N" -v hz="$(getconf CLK_TCK)" '{ printf "  daemon CPU: %.1f s user, %.1f s system: %.0f us a run\n", $14 / hz, $15 / hz, ($14 + $15) / hz / n * 1e6 }' "/proc/$DPID/stat"
	[ -n "${THREADS:-}" ] && for t in /proc/$DPID/task/*; do
		awk -v hz="$(getconf CLK_TCK)" '{ printf "    thread %s %s: %.2f s\n", $1, $2, ($14 + $15) / hz }' "$t/stat"
	done
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/  daemon peak resident memory: \1 KiB/p' "/proc/$DPID/status"
	kill "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=
	# Connections this daemon opened to the stand-in (C one only): keep-alive at
	# work when far fewer than the runs. The stand-in prints its totals at most
	# every 100 ms: wait for the last.
	sleep 0.2
	acc=$(sed -n 's/^standin_slow: at [0-9.]* s (monotonic): \([0-9]*\) accepted.*/\1/p' "$TMP/slow.out" | tail -1)
	[ -n "$acc" ] && echo "  stand-in: $((acc - ${acc0:-0})) connections accepted" && acc0=$acc
done
