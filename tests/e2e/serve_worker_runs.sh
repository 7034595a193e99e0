#!/usr/bin/env bash
# The daemon's runs in flight per worker (SOARCTL_WORKER_RUNS): starts past the
# limit wait in the worker and start as runs end; every run still completes,
# with its case note durable and audited, and no more than the limit run at
# once (the runs take at least alerts / (workers x limit) rounds of the
# stand-in's delay).
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
DPID=

standin_start
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; kill $STANDIN_PID 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)

cat > "$pb/enrich.lua" <<LUA
return { name = "enrich", triggers = { { type = "connection" } }, hosts = { "127.0.0.1" },
  run = function(ctx)
    local r, err = http.get("http://127.0.0.1:$port/delay?ms=300")
    case.note(ctx.case, "looked up: " .. (r and r.status or err))
    return { ok = r ~= nil }
  end }
LUA

: > "$SOAR_TMP/serve.log"
SOARCTL_WORKER_RUNS=2 "$S" serve --listen 127.0.0.1:0 --playbooks "$pb" --workers 2 \
	2>>"$SOAR_TMP/serve.log" &
DPID=$!
api=
for _ in $(seq 100); do
	api=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$SOAR_TMP/serve.log")
	[ -n "$api" ] && break; sleep 0.05
done
[ -n "$api" ] || { cat "$SOAR_TMP/serve.log"; echo "daemon did not start"; exit 1; }
A="http://127.0.0.1:$api"

alerts=$("$PY" -c 'import json; print(json.dumps([{"type": "connection", "src_ip": "10.9.0.%d" % i} for i in range(12)]))')
t0=$(date +%s.%N)
curl -s -H "Authorization: Bearer $TOK" -X POST "$A/api/v1/alerts" -d "$alerts" >/dev/null
done_n=0
for _ in $(seq 200); do
	done_n=$(curl -s -H "Authorization: Bearer $TOK" "$A/metrics" | sed -n 's/^soarctl_runs_succeeded_total //p')
	[ "${done_n:-0}" -ge 12 ] && break
	sleep 0.05
done
t=$("$PY" -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$t0" "$(date +%s.%N)")
checks=$((checks + 1))
[ "${done_n:-0}" -ge 12 ] || fail "only ${done_n:-0} of 12 runs succeeded: $(tail -5 "$SOAR_TMP/serve.log")"
# 12 runs, 4 at a time, 0.3 s each: three rounds at least (all at once: one).
checks=$((checks + 1))
"$PY" -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 0.85 else 1)" "$t" ||
	fail "12 runs of 0.3 s with 2 x 2 in flight took $t s: more than the limit ran at once"
echo "12 runs, at most 4 in flight: $t s"

# Every run's note is in its case's timeline and the audit log.
kill -TERM "$DPID"; wait "$DPID"; DPID=
notes=$("$S" audit list --json --last 1000 2>/dev/null | "$PY" -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin)["entries"] if e.get("action") == "case.note"))')
checks=$((checks + 1))
[ "$notes" = 12 ] || fail "case.note audited $notes times, want 12"
finish
