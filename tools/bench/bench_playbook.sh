#!/bin/sh
# A bundled playbook end to end under `soarctl serve`: the daemon with only that
# playbook, the vendor stand-in (tools/standins/standin.py: abuseipdb, ipinfo,
# Bonusly, Slack, webhooks) and an SMTP sink (tools/standins/smtp.py) configured
# as its integrations, driven with one alert per request (tools/bench/
# bench_playbook.py) as fast as it goes or at RATE alerts/s.
# Usage: tools/bench/bench_playbook.sh [BUILD_DIR] PLAYBOOK [ALERTS] [RUNS]
# Env: RATE=N (alerts/s offered; default as fast as it goes), CONNS=N (client
#      connections, default 32), REPEAT=0.25 (share of alerts repeating an
#      earlier source IP: pre-processing drops those), WORKERS=N.
# Prints per run: alerts acknowledged/s, complete runs/s from the first post to
# the last run finished, the daemon's CPU time a run, its peak RSS, and p50/p99
# from the alert's acknowledgement (its case created) to its run finished.
set -eu
BUILD=${1:-build}
PB=${2:?usage: bench_playbook.sh [BUILD_DIR] PLAYBOOK [ALERTS] [RUNS]}
N=${3:-20000}
RUNS=${4:-3}
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3; [ -x "$PY" ] || PY=python3   # Debian's: python3-aiosmtpd
S="$BUILD/soarctl"
[ -f "playbooks/$PB.lua" ] || { echo "no bundled playbook playbooks/$PB.lua" >&2; exit 2; }
TMP=$(mktemp -d)
DPID=; SPID=; MPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; kill $SPID $MPID 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
"$PY" tools/standins/standin.py > "$TMP/standin.out" 2>&1 &
SPID=$!
"$PY" tools/standins/smtp.py "$TMP/mail" > "$TMP/smtp.out" 2>&1 &
MPID=$!
SP=; MP=
while [ -z "$SP" ] || [ -z "$MP" ]; do
	sleep 0.05
	SP=$(sed -n 's/^PORT //p' "$TMP/standin.out"); MP=$(sed -n 's/^PORT //p' "$TMP/smtp.out")
done
base="http://127.0.0.1:$SP"
export SOARCTL_INTEGRATIONS_CONFIG="$TMP/integrations.json"
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "abuseipdb": { "base_url": "$base", "api_key": "test-abuseipdb-key" },
  "ipinfo": { "base_url": "$base", "token": "test-ipinfo-token" },
  "bonusly": { "base_url": "$base/api/v1", "api_token": "test-bonusly-token" },
  "email": { "smtp_url": "smtp://127.0.0.1:$MP", "from": "soar@example.org" } }
JSON
mkdir "$TMP/pb"
cp "playbooks/$PB.lua" "$TMP/pb/"
workers=
[ -n "${WORKERS:-}" ] && workers="--workers $WORKERS"
echo "# $PB: $N alerts, one a request on ${CONNS:-32} connections, rate ${RATE:-max}, repeat ${REPEAT:-0.25}; machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d); load: $(cut -d' ' -f1-3 /proc/loadavg)"
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
		kill -0 "$DPID" 2>/dev/null || { echo "serve did not start:" >&2; cat "$TMP/serve.log" >&2; exit 1; }
		PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$TMP/serve.log")
	done
	"$PY" tools/bench/bench_playbook.py "$PORT" "$TOKEN" "$N" "$PB" "$S"
	awk -v n="$N" -v hz="$(getconf CLK_TCK)" '{ printf "  daemon CPU: %.1f s user, %.1f s system: %.0f us an alert\n", $14 / hz, $15 / hz, ($14 + $15) / hz / n * 1e6 }' "/proc/$DPID/stat"
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/  daemon peak resident memory: \1 KiB/p' "/proc/$DPID/status"
	kill "$DPID"; wait "$DPID" 2>/dev/null || true; DPID=
done
