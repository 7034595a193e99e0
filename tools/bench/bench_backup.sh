#!/bin/sh
# Acknowledgement latency of `soarctl serve` ingesting alerts while `soarctl
# backup` copies the store (issue 20: a backup of a 1 GB store under 5,000
# alerts/s delays no acknowledgement by more than 100 ms).
# Fills a fresh store to SIZE_MB with padded alerts (batches of 100), then for
# each run: SECS seconds of one-alert requests (wrk, 8 connections: every
# request a new durable case) without a backup, and the same with backups
# taken back to back from the first second on (plain copy, then --compact).
# Prints wrk's p50/p99/max per request (= per acknowledgement) and each backup's
# copy time.
# Usage: tools/bench/bench_backup.sh [BUILD_DIR] [SIZE_MB] [SECS] [RUNS]
set -eu
BUILD=${1:-build}
SIZE_MB=${2:-1024}
SECS=${3:-10}
RUNS=${4:-3}
cd "$(dirname "$0")/../.."
S="$BUILD/soarctl"
command -v wrk >/dev/null || { echo "bench_backup: needs wrk (tools/deps.sh installs it)" >&2; exit 1; }
TMP=$(mktemp -d)
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
export SOARCTL_DATA="$TMP/data"
"$S" init >/dev/null 2>&1
TOKEN=$("$S" user token --label bench 2>/dev/null)
export TOKEN
mkdir "$TMP/pb"
"$S" serve --listen 127.0.0.1:0 --playbooks "$TMP/pb" 2>"$TMP/serve.log" &
DPID=$!
PORT=
while [ -z "$PORT" ]; do
	sleep 0.05
	PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$TMP/serve.log")
done
URL="http://127.0.0.1:$PORT"
echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# load: $(uptime)"
t0=$(date +%s)
while [ "$(stat -c %s "$SOARCTL_DATA/store.mdb")" -lt $((SIZE_MB * 1048576)) ]; do
	BATCH=100 PAD=2000 wrk -t2 -c8 -d5s -s tools/bench/bench_backup_alerts.lua "$URL" >/dev/null 2>&1
done
echo "# filled: $(stat -c %s "$SOARCTL_DATA/store.mdb") bytes in $(( $(date +%s) - t0 )) s; $("$S" store stats --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["kinds"]["cases"]["entries"])') cases"

load() { BATCH=1 PAD=200 wrk -t2 -c8 -d"${SECS}s" -s tools/bench/bench_backup_alerts.lua "$URL" 2>&1 | grep '^requests'; }
for r in $(seq "$RUNS"); do
	echo "run=$r no backup:   $(load) ($((SECS)) s)"
	for mode in plain compact; do
		flag=; [ "$mode" = compact ] && flag=--compact
		( sleep 1; i=0
		  while [ ! -e "$TMP/stop" ]; do
			i=$((i + 1)); rm -rf "$TMP/bk"
			"$S" backup "$TMP/bk" $flag --json 2>/dev/null |
				python3 -c 'import json,sys; j=json.load(sys.stdin); print("  backup %s: %d bytes, copy %d ms" % (sys.argv[1], j["manifest"]["data_bytes"], j["copy_ms"]))' "$mode" \
				>> "$TMP/backups.txt"
		  done ) &
		BPID=$!
		line=$(load)
		touch "$TMP/stop"; wait "$BPID"; rm -f "$TMP/stop"
		echo "run=$r with $mode backups: $line; $(wc -l < "$TMP/backups.txt") backups"
		cat "$TMP/backups.txt"; : > "$TMP/backups.txt"
	done
done
rm -rf "$TMP/bk"
