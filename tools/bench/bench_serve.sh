#!/bin/sh
# Alerts per second accepted durably by `soarctl serve` over HTTP with keep-alive
# (wrk), one alert per request and in batches of 100, with mostly-new source IPs
# (a durable case per alert) and with mostly duplicates (pre-processing dedupe);
# p50/p99 latency; and the idle daemon's resident memory.
# Usage: tools/bench/bench_serve.sh [BUILD_DIR] [SECONDS] [RUNS]
# Prints one line per scenario and run; docs/PERFORMANCE.md takes the medians.
set -eu
BUILD=${1:-build}
SECS=${2:-10}
RUNS=${3:-3}
cd "$(dirname "$0")/../.."
S="$BUILD/soarctl"
command -v wrk >/dev/null || { echo "bench_serve: needs wrk (tools/deps.sh installs it)" >&2; exit 1; }
TMP=$(mktemp -d)
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
export SOARCTL_DATA="$TMP/data"
"$S" init >/dev/null 2>&1
TOKEN=$("$S" user token --label bench 2>/dev/null)
export TOKEN
mkdir "$TMP/pb"
# Pre-processing only (no triggers): the figure is ingestion, not playbook runs.
cat > "$TMP/pb/ingest.lua" <<'LUA'
return { name = "ingest", preprocess = { { match = { type = "connection" },
  dedupe = { key = "src_ip", window = 3600 } } }, run = function() end }
LUA

start() {
	rm -rf "$SOARCTL_DATA/store.mdb" "$SOARCTL_DATA/store.mdb-lock"
	"$S" init >/dev/null 2>&1 || true
	TOKEN=$("$S" user token --label bench 2>/dev/null); export TOKEN
	"$S" serve --listen 127.0.0.1:0 --playbooks "$TMP/pb" 2>"$TMP/serve.log" &
	DPID=$!
	PORT=
	while [ -z "$PORT" ]; do
		sleep 0.05
		PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$TMP/serve.log")
	done
}
stop() { kill "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=; }

echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d)"
start
sleep 1
echo "idle RSS: $(awk '/VmRSS/ {print $2, $3}' /proc/$DPID/status)"
stop
for scenario in "1 16777216 new" "100 16777216 new" "1 1000 dup" "100 1000 dup"; do
	set -- $scenario
	for r in $(seq "$RUNS"); do
		start
		out=$(BATCH=$1 IPS=$2 wrk -t2 -c64 -d"${SECS}s" -s tools/bench/bench_serve_alerts.lua \
			"http://127.0.0.1:$PORT" 2>&1)
		reqs=$(echo "$out" | sed -n 's/^Requests\/sec: *//p')
		alerts=$(awk -v r="$reqs" -v b="$1" 'BEGIN { printf "%d", r * b }')
		echo "batch=$1 ips=$3 run=$r alerts/s=$alerts req/s=$reqs $(echo "$out" | grep '^requests')"
		stop
	done
done
