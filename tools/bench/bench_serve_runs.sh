#!/bin/sh
# Complete runs per second through `soarctl serve`: N connection alerts posted in
# batches of 100, each starting a playbook that makes one http.get to a loopback
# stand-in (tools/standins/slow.py, no delay) and, unless NOTE=0, writes a case
# note. Measures from the first post until every run has succeeded (polled every
# 0.1 s, so figures are a little pessimistic).
# Usage: tools/bench/bench_serve_runs.sh [BUILD_DIR] [ALERTS] [RUNS]
set -eu
BUILD=${1:-build}
N=${2:-2000}
RUNS=${3:-3}
NOTE=${NOTE:-1}
cd "$(dirname "$0")/../.."
S="$BUILD/soarctl"
TMP=$(mktemp -d)
DPID=
SPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
python3 tools/standins/slow.py --delay 0 > "$TMP/slow.out" 2>&1 &
SPID=$!
SP=
while [ -z "$SP" ]; do sleep 0.05; SP=$(sed -n 's/^PORT //p' "$TMP/slow.out"); done
mkdir "$TMP/pb"
note='case.note(ctx.case, "looked up: " .. (r and r.status or err))'
[ "$NOTE" = 1 ] || note=''
cat > "$TMP/pb/enrich.lua" <<LUA
return { name = "enrich", triggers = { { type = "connection" } }, hosts = { "127.0.0.1" },
  run = function(ctx)
    local r, err = http.get("http://127.0.0.1:$SP/delay?ms=0")
    $note
    return { ok = r ~= nil }
  end }
LUA
echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d); case note: $NOTE"
for r in $(seq "$RUNS"); do
	export SOARCTL_DATA="$TMP/data$r"
	"$S" init >/dev/null 2>&1
	TOKEN=$("$S" user token --label bench 2>/dev/null | tail -1)
	"$S" serve --listen 127.0.0.1:0 --playbooks "$TMP/pb" 2>"$TMP/serve.log" &
	DPID=$!
	PORT=
	while [ -z "$PORT" ]; do
		sleep 0.05
		PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$TMP/serve.log")
	done
	python3 - "$PORT" "$TOKEN" "$N" "$S" <<'PY'
import json, subprocess, sys, time, urllib.request
port, token, n, soarctl = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
t0 = time.time()
for b in range(n // 100):
    alerts = [{"type": "connection", "src_ip": "10.%d.%d.%d" % (b // 256, b % 256, i)} for i in range(100)]
    req = urllib.request.Request("http://127.0.0.1:%s/api/v1/alerts" % port, data=json.dumps(alerts).encode(),
                                 headers={"Authorization": "Bearer " + token})
    urllib.request.urlopen(req).read()
posted = time.time() - t0
done = 0
while time.time() - t0 < 120:
    out = subprocess.run([soarctl, "runs", "list", "--status", "succeeded", "--limit", str(n + 10), "--json"],
                         capture_output=True, text=True).stdout
    done = len(json.loads(out or "[]"))
    if done >= n // 100 * 100:
        break
    time.sleep(0.1)
t = time.time() - t0
print("alerts=%d posted in %.2f s; %d runs succeeded after %.2f s: %.0f complete runs/s" % (n // 100 * 100, posted, done, t, done / t))
PY
	kill "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=
done
