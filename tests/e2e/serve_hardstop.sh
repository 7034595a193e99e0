#!/usr/bin/env bash
# A hard stop in the daemon costs only the hostile run. 1,000 alerts start runs
# on one worker (one run loop, one interpreter); each run's first request to the
# C slow stand-in completes, its second waits 1.5 s. While they all wait, an
# alert starts a run that spins in a loop the JIT compiles: only the hard stop
# ends it (the daemon's CPU limit, 10 s; or its wall-clock one, 30 s, on a loaded
# machine), and the interpreter is replaced. The
# 1,000 runs are replayed from their journals on the fresh one: all succeed, the
# stand-in saw each first request once (a recorded step is not sent again) and
# each second request at most twice (cancelled with the old interpreter, sent
# again with the same Idempotency-Key), every case has its note once, and the
# hostile run failed with the CPU limit's message.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
B="$SOAR_BUILD/tools/standins/standin_slow"
[ -x "$B" ] || { echo "no $B (built with the benches)"; exit 1; }
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
log="$SOAR_TMP/standin.log"; : > "$log"
DPID=
N=1000

coproc SL { exec "$B" --log "$log" --stdin-eof; }
slpid=$SL_PID
read -r _ port <&"${SL[0]}"
[ -n "$port" ] || { echo "stand-in did not start"; exit 1; }
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; kill $slpid 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)

cat > "$pb/honest.lua" <<LUA
return { name = "honest", triggers = { { type = "connection" } }, hosts = { "127.0.0.1" },
  run = function(ctx)
    local a = assert(http.post("http://127.0.0.1:$port/x?ms=1&step=1", { body = "a" }))
    local b = assert(http.post("http://127.0.0.1:$port/x?ms=1500&step=2", { body = "b" }))
    case.note(ctx.case, "looked up twice")
    return { a = a.status, b = b.status }
  end }
LUA
cat > "$pb/spin.lua" <<'LUA'
return { name = "spin", triggers = { { type = "spin" } },
  run = function() while true do end end }
LUA

serve_start --playbooks "$pb" --workers 1

steps() { grep -c "step=$1 " "$log" || true; }
metric() { curl -s -H "Authorization: Bearer $TOK" "$A/metrics" | sed -n "s/^soarctl_$1 //p"; }

alerts=$("$PY" -c 'import json, sys; print(json.dumps([{"type": "connection", "src_ip": "10.%d.%d.1" % (i // 250, i % 250)} for i in range(int(sys.argv[1]))]))' "$N")
curl -s -H "Authorization: Bearer $TOK" -X POST "$A/api/v1/alerts" -d "$alerts" >/dev/null
for _ in $(seq 600); do
	[ "$(steps 2)" -ge "$N" ] && break
	sleep 0.05
done
checks=$((checks + 1))
[ "$(steps 2)" -ge "$N" ] || fail "only $(steps 2) of $N runs reached their second request"
curl -s -H "Authorization: Bearer $TOK" -X POST "$A/api/v1/alerts" \
	-d '{"type": "spin", "src_ip": "10.99.0.1"}' >/dev/null

ok=0 failed=0
for _ in $(seq 1200); do
	ok=$(metric runs_succeeded_total); failed=$(metric runs_failed_total)
	[ "$((${ok:-0} + ${failed:-0}))" -ge "$((N + 1))" ] && break
	sleep 0.1
done
echo "succeeded $ok, failed $failed"
checks=$((checks + 1))
[ "${ok:-0}" = "$N" ] || fail "$ok of $N honest runs succeeded: $(grep -m3 'failed' "$SOAR_TMP/serve.log")"
checks=$((checks + 1))
[ "${failed:-0}" = 1 ] || fail "$failed runs failed, want 1 (the spinning one)"
# The CPU limit (10 s), or on a loaded machine the wall-clock one (30 s).
contains "$(cat "$SOAR_TMP/serve.log")" "limit exceeded" "serve.log"
contains "$(cat "$SOAR_TMP/serve.log")" "inside compiled code or a long C call; its interpreter was replaced" "serve.log"
contains "$(cat "$SOAR_TMP/serve.log")" "replaced its interpreter; the $N other runs suspended on it are replayed" "serve.log"

# The stand-in: per Idempotency-Key, the first request once, the second at most
# twice (and twice for most: the stop came while they waited).
counts=$("$PY" - "$log" <<'PY'
import collections, sys
c = collections.Counter()
for line in open(sys.argv[1]):
    target, key = line.split()
    c[(target.split("step=")[1], key)] += 1
one = [n for (s, k), n in c.items() if s == "1"]
two = [n for (s, k), n in c.items() if s == "2"]
keyed = all(k.endswith("-" + s) for (s, k) in c)
print(len(one), max(one), len(two), max(two), sum(1 for n in two if n == 2), keyed)
PY
)
echo "stand-in (keys of step 1, most sent; keys of step 2, most sent, sent twice; keyed): $counts"
read -r k1 m1 k2 m2 twice2 keyed <<<"$counts"
checks=$((checks + 1))
[ "$k1" = "$N" ] && [ "$m1" = 1 ] || fail "step 1: $k1 keys, one sent $m1 times (want $N, once each)"
checks=$((checks + 1))
[ "$k2" = "$N" ] && [ "$m2" -le 2 ] || fail "step 2: $k2 keys, one sent $m2 times (want $N, at most twice)"
checks=$((checks + 1))
[ "$twice2" -ge "$((N * 9 / 10))" ] || fail "only $twice2 runs were waiting at the hard stop"
checks=$((checks + 1))
[ "$keyed" = True ] || fail "requests without their run-step Idempotency-Key"

# Every case has its note once: written with its journal entry, never replayed.
serve_stop || fail "serve exited non-zero"
notes=$("$S" audit list --json --last 5000 2>/dev/null | "$PY" -c '
import json, sys
print(sum(1 for e in json.load(sys.stdin)["entries"] if e.get("action") == "case.note"))')
checks=$((checks + 1))
[ "$notes" = "$N" ] || fail "case.note audited $notes times, want $N"
finish
