#!/bin/sh
# Store bytes a completed inbound_ip_reputation run costs (issue 20: <= 2 KB once
# its journal is compacted, from 5.9 KB). N connection alerts (each a new source
# address: a case and a run each) through `soarctl serve --mock`, waited for until
# every run finished; then the store's pages in use per run (store stats: data
# pages x page size, minus the fresh store's), before and after `soarctl store
# retain` with "journals_after": "1ms" (every finished run's journal compacted),
# and per kind (cases with indexes, timelines, runs, journals, EDLs, audit).
# Usage: tools/bench/bench_run_cost.sh [BUILD_DIR] [ALERTS]
set -eu
BUILD=${1:-build}
N=${2:-5000}
cd "$(dirname "$0")/../.."
S="$BUILD/soarctl"
TMP=$(mktemp -d)
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
export SOARCTL_DATA="$TMP/data"
"$S" init >/dev/null 2>&1
TOKEN=$("$S" user token --label bench 2>/dev/null | tail -1)
stats() { "$S" store stats --json; }
stats > "$TMP/s0.json"
mkdir "$TMP/pb"
cp playbooks/inbound_ip_reputation.lua "$TMP/pb/"
"$S" serve --listen 127.0.0.1:0 --mock --playbooks "$TMP/pb" --queue $((N + 1000)) 2>"$TMP/serve.log" &
DPID=$!
PORT=
while [ -z "$PORT" ]; do
	sleep 0.05
	PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$TMP/serve.log")
done
echo "# machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ); $N alerts; load: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$PORT" "$TOKEN" "$N" <<'PY'
import http.client, json, sys, time
port, token, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
h = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
c = http.client.HTTPConnection("127.0.0.1", port)
for b in range(0, n, 100):
    alerts = [{"type": "connection", "src_ip": "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255),
               "dst_port": 8333} for i in range(b, min(n, b + 100))]
    c.request("POST", "/api/v1/alerts", json.dumps(alerts), h)
    r = c.getresponse(); r.read()
    assert r.status == 202, r.status
while True:
    c.request("GET", "/metrics", headers=h)
    m = c.getresponse().read().decode()
    done = sum(int(l.split()[1]) for l in m.splitlines()
               if l.startswith(("soarctl_runs_succeeded_total ", "soarctl_runs_failed_total ")))
    if done >= n:
        break
    time.sleep(0.2)
PY
kill "$DPID"; wait "$DPID" || true; DPID=
stats > "$TMP/s1.json"
echo '{"retention": {"journals_after": "1ms", "batch": 500}}' > "$TMP/store.json"
SOARCTL_STORE_CONFIG="$TMP/store.json" "$S" store retain
stats > "$TMP/s2.json"
python3 - "$TMP" "$N" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
s = [json.load(open("%s/s%d.json" % (d, i))) for i in range(3)]
def per(k, i):
    return (s[i]["kinds"][k]["bytes"] - s[0]["kinds"][k]["bytes"]) / n
kinds = ["cases", "timelines", "runs", "journals", "edls", "audit", "indicators"]
for i, what in ((1, "finished runs"), (2, "journals compacted")):
    total = (s[i]["used_bytes"] - s[0]["used_bytes"]) / n
    print("%-20s %7.0f bytes a run in use;  " % (what, total) +
          ", ".join("%s %.0f" % (k, per(k, i)) for k in kinds))
PY
