#!/usr/bin/env bash
# Durable runs under the daemon, where two processes may reach for one run:
# - a prompt answered from the CLI (which resumes the run in the foreground)
#   while the daemon also sees the answer: the step after the prompt acts once;
# - playbook.start from a run the daemon executes: the child run starts, on its
#   child case, and the parent's case links to it (the "deputise" case);
# - many runs waiting at once (more than the daemon reads in one go) all resume.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
DPID=

standin_start
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; kill $STANDIN_PID 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)

cat > "$pb/approve.lua" <<LUA
return {
  name = "approve", triggers = { { type = "approval" } }, hosts = { "127.0.0.1" },
  run = function(ctx)
    local a = prompt.ask{ question = "Go?", options = { "yes", "no" } }
    local r = http.post("$base/webhook/approved", { body = ctx.case .. ":" .. a.value })
    return { answer = a.value, status = r and r.status }
  end,
}
LUA
cat > "$pb/parent.lua" <<'LUA'
return {
  name = "parent", triggers = { { type = "deputise" } },
  run = function(ctx)
    local id = playbook.start("child", { note = "over to you" },
                              { case = { title = "architect review", role = "approver" } })
    return { child = id }
  end,
}
LUA
cat > "$pb/child.lua" <<'LUA'
return {
  name = "child", inputs = { note = { type = "string", required = true } },
  run = function(ctx, input) return { got = input.note, case = ctx.case } end,
}
LUA
cat > "$pb/nap.lua" <<'LUA'
return { name = "nap", triggers = { { type = "nap" } },
  run = function() sleep(10.2) return { ok = true } end }
LUA

serve_start --playbooks "$pb"
post() { curl -s -H "Authorization: Bearer $TOK" -X POST "$A/api/v1/alerts" -d "$1"; }
runs_of() { # PLAYBOOK -> "id status" lines
	"$S" runs list --json --limit 100000 | "$PY" -c '
import json, sys
for r in json.load(sys.stdin):
    if r["playbook"] == sys.argv[1]:
        print(r["id"], r["status"])' "$1"
}

# ---- a CLI answer while the daemon runs: the run goes on once ----
post '[{"type":"approval"},{"type":"approval"},{"type":"approval"}]' >/dev/null
for _ in $(seq 100); do
	[ "$(runs_of approve | grep -c waiting)" = 3 ] && break; sleep 0.05
done
[ "$(runs_of approve | grep -c waiting)" = 3 ] || fail "approve runs not waiting: $(runs_of approve)"
for p in $("$S" prompt list --json | "$PY" -c 'import json,sys; print(" ".join(p["id"] for p in json.load(sys.stdin)))'); do
	"$S" prompt answer "$p" --choice yes >/dev/null 2>&1 &
done
wait_ok=0
for _ in $(seq 60); do
	[ "$(runs_of approve | grep -c succeeded)" = 3 ] && { wait_ok=1; break; }; sleep 0.05
done
wait $(jobs -p | grep -v "^$DPID$" | grep -v "^$STANDIN_PID$") 2>/dev/null
[ "$wait_ok" = 1 ] || fail "approve runs did not all succeed: $(runs_of approve)"
sleep 0.7   # give a second resume, if any, the time to act
stats=$(curl -s "$base/stats")
checks=$((checks + 1))
n=$(json_field "$stats" 'len([h for h in j["webhooks"] if h["path"] == "/webhook/approved"])')
[ "$n" = 3 ] || fail "the step after the prompt acted $n times for 3 runs: $stats"

# ---- deputise: a run the daemon executes starts a child run on a child case ----
post '{"type":"deputise","title":"suspicious login"}' >/dev/null
child=
for _ in $(seq 100); do
	child=$(runs_of child | head -1)
	[ "${child#* }" = succeeded ] && break; sleep 0.05
done
[ "${child#* }" = succeeded ] || fail "the child run did not run under the daemon: ${child:-none} $(runs_of parent)"
par=$(runs_of parent | head -1)
[ "${par#* }" = succeeded ] || fail "parent run: $par"
expect_exit 0 -- "$S" runs show "${child% *}" --json
contains "$out" '"got":"over to you"' "child result"
[ "$(json_field "$out" 'j["run"]["parent"]')" = "${par% *}" ] || fail "child not linked to its parent: $out"
ccase=$(json_field "$out" 'j["run"]["case"]')
expect_exit 0 -- "$S" case show "$ccase" --json
contains "$out" "architect review" "child case"
contains "$out" "approver" "child case role"
pcase=$("$S" runs show "${par% *}" --json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["run"]["case"])')
expect_exit 0 -- "$S" case children "$pcase" --json
contains "$out" "$ccase" "the parent case's children"

# ---- more waiting runs than one read of the daemon's: all resume when due ----
many=10200
"$PY" - "$A" "$TOK" "$many" <<'PY'
import json, sys, time, urllib.error, urllib.request
a, tok, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
refused = 0
for b in range(0, n, 1000):
    req = urllib.request.Request(a + "/api/v1/alerts", data=json.dumps([{"type": "nap"}] * 1000).encode(),
                                 headers={"Authorization": "Bearer " + tok})
    while True:
        try:
            urllib.request.urlopen(req).read()
            break
        except urllib.error.HTTPError as e:   # 429 while the queue is full: as told, later
            if e.code != 429:
                raise
            refused += 1
            time.sleep(float(e.headers.get("Retry-After", "1")))
print("posted; %d batches refused with 429 and sent again" % refused)
PY
t0=$(date +%s)
done_n=0
while [ $(( $(date +%s) - t0 )) -lt 150 ]; do   # 10.2 s asleep, then resumed
	done_n=$(runs_of nap | grep -c succeeded)
	[ "$done_n" -ge "$many" ] && break
	sleep 1
done
[ "$done_n" -ge "$many" ] || fail "only $done_n sleeping runs succeeded of $many after $(( $(date +%s) - t0 )) s"
echo "$done_n sleeping runs done $(( $(date +%s) - t0 )) s after the last was posted"
kill -TERM "$DPID"; wait "$DPID"; DPID=
finish
