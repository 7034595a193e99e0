#!/bin/sh
# Ingestion latency while retention removes expired cases (issue 20: removing
# 1,000,000 expired cases while the daemon ingests keeps the ingestion p99 under
# 50 ms). Fills a fresh store with CASES connection cases (batches of 100), then
# measures SECS seconds of one-alert requests (wrk, 8 keep-alive connections,
# every request a new durable case) twice: with no retention policy, and with a
# policy that lets every connection case older than 5 s go (batches of BATCH
# cases a write), the pass starting 1 s into the load. Prints wrk's latency per
# request (= per acknowledgement) and the pass's log line (cases removed, writes,
# the longest write).
# Usage: tools/bench/bench_retention.sh [BUILD_DIR] [CASES] [SECS] [BATCH]
set -eu
BUILD=${1:-build}
CASES=${2:-100000}
SECS=${3:-10}
BATCH=${4:-200}
cd "$(dirname "$0")/../.."
S="$BUILD/soarctl"
command -v wrk >/dev/null || { echo "bench_retention: needs wrk (tools/deps.sh installs it)" >&2; exit 1; }
TMP=$(mktemp -d)
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
export SOARCTL_DATA="$TMP/data"
"$S" init >/dev/null 2>&1
TOKEN=$("$S" user token --label bench 2>/dev/null | tail -1)
export TOKEN
mkdir "$TMP/pb"
start() {
	"$S" serve --listen 127.0.0.1:0 --playbooks "$TMP/pb" 2>"$TMP/serve.log" &
	DPID=$!
	PORT=
	while [ -z "$PORT" ]; do
		sleep 0.05
		PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$TMP/serve.log")
	done
	URL="http://127.0.0.1:$PORT"
}
stop() { kill "$DPID"; wait "$DPID" || true; DPID=; }
count() { "$S" store stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["kinds"]["cases"]["entries"])'; }
echo "# machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ); load: $(cut -d' ' -f1-3 /proc/loadavg)"
start
t0=$(date +%s)
while [ "$(count)" -lt "$CASES" ]; do
	BATCH=100 PAD=0 wrk -t2 -c8 -d3s -s tools/bench/bench_backup_alerts.lua "$URL" >/dev/null 2>&1
done
echo "# filled: $(count) cases in $(( $(date +%s) - t0 )) s, $(stat -c %s "$SOARCTL_DATA/store.mdb") bytes"
stop
sleep 5
load() { BATCH=1 PAD=0 wrk -t2 -c8 -d"${SECS}s" --latency -s tools/bench/bench_backup_alerts.lua "$URL" 2>&1 |
	awk '/Latency  /{avg=$2; max=$4} /^ +50%/{p50=$2} /^ +99%/{p99=$2} /Requests\/sec/{rps=$2}
	     END {printf "%s req/s, p50 %s, p99 %s, max %s", rps, p50, p99, max}'; }
start
echo "no retention:   $(load)"
stop
echo "{\"retention\": {\"cases\": [{\"type\": \"connection\", \"older_than\": \"5s\"}], \"every\": \"1s\", \"batch\": $BATCH}}" > "$SOARCTL_DATA/store.json"
start
echo "with retention: $(load)"
for _ in $(seq 600); do grep -q "retention pass:" "$TMP/serve.log" && break; sleep 1; done
grep "retention pass:" "$TMP/serve.log" | head -1 | sed 's/.*retention pass: /  first pass: /'
t=$(grep -o '"batches":[0-9]*' "$TMP/serve.log" | head -1)
echo "  $(count) cases left"
stop
