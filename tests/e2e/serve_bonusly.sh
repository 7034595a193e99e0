#!/usr/bin/env bash
# Use case 1 against the real daemon: the bundled bonusly_spend_unused job, a
# Bonusly stand-in holding 100 points (each give takes its points, slowly), and
# three fires at once (CLI twice, HTTP once): exactly ten gives of 10 points to
# colleagues from the list, each its own case; overlapping fires skipped, never
# a double spend; with 5 points left a fire gives nothing.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"

# A stateful Bonusly: balance 100, each bonus takes its amount after 50 ms.
cat > "$SOAR_TMP/bonusly.py" <<'PY'
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
state = {"balance": 100, "bonuses": []}
lock = threading.Lock()
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, code, obj):
        b = json.dumps(obj).encode()
        self.send_response(code); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
    def do_GET(self):
        if self.path.startswith("/state"):
            with lock: return self.send(200, state)
        if self.path.startswith("/set?balance="):
            with lock: state["balance"] = int(self.path.split("=")[1])
            return self.send(200, state)
        if self.headers.get("Authorization") != "Bearer test-bonusly-token":
            return self.send(401, {"success": False})
        if self.path.startswith("/api/v1/users/me"):
            with lock: bal = state["balance"]
            return self.send(200, {"success": True, "result": {"id": "me1", "username": "me",
                                                                "giving_balance": bal}})
        self.send(404, {})
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        req = json.loads(self.rfile.read(n) or b"{}")
        if self.path != "/api/v1/bonuses":
            return self.send(404, {})
        time.sleep(0.05)
        amount = int(req["reason"].split()[0][1:])
        with lock:
            if state["balance"] < amount:
                return self.send(422, {"success": False, "message": "not enough points"})
            state["balance"] -= amount
            state["bonuses"].append(req["reason"])
            i = len(state["bonuses"])
        self.send(200, {"success": True, "result": {"id": "b%d" % i, "reason": req["reason"]}})
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
print("PORT", srv.server_address[1], flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), srv.shutdown()), daemon=True).start()
srv.serve_forever()
PY
coproc BONUSLY { exec "$PY" "$SOAR_TMP/bonusly.py"; }
read -r _ port <&"${BONUSLY[0]}"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; kill $BONUSLY_PID 2>/dev/null' EXIT
[ -n "$port" ] || { echo "stand-in did not start"; exit 1; }
B="http://127.0.0.1:$port"

"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
export SOARCTL_INTEGRATIONS_CONFIG="$SOAR_TMP/integrations.json"
echo "{ \"bonusly\": { \"base_url\": \"$B\", \"api_token\": \"test-bonusly-token\" } }" \
	> "$SOARCTL_INTEGRATIONS_CONFIG"
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cp "$SOAR_SRC/playbooks/bonusly_spend_unused.lua" "$pb/"

serve_start --playbooks "$pb" --workers 4
H=(-H "Authorization: Bearer $TOK")

expect_exit 0 -- "$S" job list
contains "$out" "bonusly_spend_unused"
contains "$out" "*/30 9-14 L * *"
# Three fires at once.
expect_exit 0 -- "$S" job run bonusly_spend_unused
curl -s "${H[@]}" -X POST "$A/api/v1/jobs/bonusly_spend_unused/run" >/dev/null
expect_exit 0 -- "$S" job run bonusly_spend_unused
for _ in $(seq 100); do
	st=$(curl -s "$B/state")
	r=$(curl -s "${H[@]}" "$A/api/v1/runs?status=succeeded")
	[ "$(json_field "$st" 'j["balance"]')" = 0 ] && [ "$(json_field "$r" 'len(j["runs"])')" -ge 1 ] \
		&& [ "$(json_field "$(curl -s "${H[@]}" "$A/api/v1/jobs")" 'j["jobs"][0]["running"]')" = 0 ] && break
	sleep 0.1
done
sleep 1.2 # a queued "run now" (read every second) would fire now: it must be skipped or find 0
st=$(curl -s "$B/state")
[ "$(json_field "$st" 'len(j["bonuses"])')" = 10 ] || fail "exactly ten gives: $st"
[ "$(json_field "$st" 'j["balance"]')" = 0 ] || fail "all points spent: $st"
[ "$(json_field "$st" 'all(b.startswith("+10 @") for b in j["bonuses"])')" = True ] || fail "10 points each: $st"
[ "$(json_field "$st" 'all(b.split()[1][1:] in ("alice","bob","carol","dave") for b in j["bonuses"])')" = True ] \
	|| fail "colleagues from the list: $st"
c=$(curl -s "${H[@]}" "$A/api/v1/cases?type=bonusly_give&limit=100")
[ "$(json_field "$c" 'len(j["cases"])')" = 10 ] || fail "one case per give: $c"
m=$(curl -s "${H[@]}" "$A/metrics")
contains "$m" "soarctl_job_skipped_total" "metrics"
runs=$(curl -s "${H[@]}" "$A/api/v1/runs")
[ "$(json_field "$runs" 'sum(r["result"]["gives"] for r in j["runs"] if r["result"])')" = 10 ] \
	|| fail "the runs' gives add up to ten: $runs"

# 5 points left: a fire gives nothing.
curl -s "$B/set?balance=5" >/dev/null
n0=$(json_field "$(curl -s "${H[@]}" "$A/api/v1/runs")" 'len(j["runs"])')
expect_exit 0 -- "$S" job run bonusly_spend_unused
for _ in $(seq 50); do
	runs=$(curl -s "${H[@]}" "$A/api/v1/runs?status=succeeded")
	[ "$(json_field "$runs" 'len(j["runs"])')" -gt "$n0" ] && break; sleep 0.1
done
[ "$(json_field "$runs" 'j["runs"][0]["result"]["gives"]')" = 0 ] || fail "no give under 10 points: $runs"
[ "$(json_field "$(curl -s "$B/state")" 'len(j["bonuses"])')" = 10 ] || fail "still ten gives"
kill -TERM "$DPID"; wait "$DPID" || fail "exit after SIGTERM"
DPID=
finish
