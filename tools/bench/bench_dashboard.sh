#!/bin/sh
# The dashboard's pages over a store of N cases (default 1,000,000), for
# docs/PERFORMANCE.md: fills the store with bench_dashboard (C, through the
# store API), starts `soarctl serve` on it, signs in, and fetches every page
# RUNS times (default 7), printing per page the median server time (curl's
# time to first byte less its time to send: the page's rendering, on
# 127.0.0.1) and the bytes transferred.
# Usage: tools/bench/bench_dashboard.sh [BUILD_DIR] [N] [RUNS]
# BENCH_DATA=DIR: a store bench_dashboard filled before with N cases (kept).
set -eu
BUILD=${1:-build}
N=${2:-1000000}
RUNS=${3:-7}
cd "$(dirname "$0")/../.."
S="$BUILD/soarctl"
TMP=$(mktemp -d)
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
if [ -n "${BENCH_DATA:-}" ]; then
	export SOARCTL_DATA="$BENCH_DATA"
	"$BUILD/tools/bench/bench_dashboard" "$SOARCTL_DATA" 0
else
	export SOARCTL_DATA="$TMP/data"
	mkdir -p "$SOARCTL_DATA"
	"$BUILD/tools/bench/bench_dashboard" "$SOARCTL_DATA" "$N"
fi
"$S" init >/dev/null 2>&1 || true
TOKEN=$("$S" user token --label bench 2>/dev/null | tail -1)
mkdir "$TMP/pb"
cp playbooks/*.lua "$TMP/pb/" && rm -f "$TMP/pb/"*_test.lua
"$S" serve --listen 127.0.0.1:0 --playbooks "$TMP/pb" 2>"$TMP/serve.log" &
DPID=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$TMP/serve.log")
	[ -n "$port" ] && break; sleep 0.1
done
A="http://127.0.0.1:$port"
curl -s -o /dev/null -c "$TMP/jar" -d "token=$TOKEN" "$A/ui/login"
# median LABEL: the median and the longest of the times in $TMP/t, and the bytes
median() {
	awk -v p="$1" '{ ms[NR] = ($1 - $2) * 1000; b = $3 } END {
		n = NR; for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (ms[j] < ms[i]) { t = ms[i]; ms[i] = ms[j]; ms[j] = t }
		printf "%-40s %8.1f %7.1f %7d\n", p, ms[int((n + 1) / 2)], ms[n], b }' "$TMP/t"
}
# the first overview after the start, on its own: its time, and whether the
# charts were in it or still being counted by the daemon's warm thread
first=$(curl -s -o "$TMP/first" -b "$TMP/jar" -w '%{time_starttransfer} %{time_pretransfer}' "$A/")
charts=counted; grep -q 'id=chart-counting' "$TMP/first" && charts="being counted"
echo "$first" | awk -v c="$charts" '{ printf "first / after start: %.1f ms (charts %s)\n", ($1 - $2) * 1000, c }'
sed -n 's/.*\(dashboard charts counted.*\)/\1/p' "$TMP/serve.log"
mid=$((N / 2))
echo "page  median_ms  max_ms  bytes   ($N cases, $RUNS runs each; uptime: $(uptime | sed 's/.*load/load/'))"
for p in / /ui/cases "/ui/cases?type=phishing&severity=high" "/ui/cases?status=open&owner=bob" \
	 "/ui/cases?q=host-42" "/ui/cases/$mid" /ui/runs /ui/jobs /ui/edls /ui/playbooks /ui/events; do
	i=0; : > "$TMP/t"
	while [ $i -lt "$RUNS" ]; do
		curl -s -o /dev/null -b "$TMP/jar" -w '%{time_starttransfer} %{time_pretransfer} %{size_download}\n' "$A$p" >> "$TMP/t"
		i=$((i + 1))
	done
	median "$p"
done
i=0; : > "$TMP/t"
while [ $i -lt "$RUNS" ]; do
	curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" -w '%{time_starttransfer} %{time_pretransfer} %{size_download}\n' "$A/api/v1/report?format=html" >> "$TMP/t"
	i=$((i + 1))
done
median /api/v1/report?format=html
