#!/usr/bin/env bash
# The daemon's HTTP server and process: limits with the right status (raw
# sockets: smuggling shapes 400, body 413 before it is read, headers 431, request
# line 414, both in JSON, slow clients cut), JSON errors, tokens and roles, 429 when the queue
# is full, prompts answered over HTTP, from Slack (signed) and from the CLI
# resuming their runs within a second, jobs, SIGHUP reload (a broken playbook
# keeps the old set), SIGTERM, missed runs after downtime (run once / skip).
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT

"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
"$S" user add viewer1 --role viewer >/dev/null 2>&1
VTOK=$("$S" user token viewer1 --label v 2>/dev/null)
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
cat > "$pb/ask.lua" <<'LUA'
return {
  name = "ask", triggers = { { type = "question" } },
  run = function(ctx)
    local a = prompt.ask{ question = "Block it?", options = { "yes", "no" } }
    return { answer = a.value, by = a.by }
  end,
}
LUA
cat > "$pb/nap.lua" <<'LUA'
return { name = "nap", triggers = { { type = "nap" } },
  run = function() sleep(10.5) return { slept = true } end }
LUA
cat > "$pb/tick.lua" <<'LUA'
return { name = "tick", schedule = "*/1 * * * * *", overlap = "skip",
  run = function() return { ok = true } end }
LUA

start() {
	SOARCTL_SLACK_SIGNING_SECRET=slacksecret SOARCTL_CONN_TIMEOUT=2 SOARCTL_MAX_BODY=65536 \
		serve_start --playbooks "$pb" --queue "${QUEUE:-10000}" "$@"
}
stop() { kill -TERM "$DPID"; wait "$DPID"; DPID=; }
H=(-H "Authorization: Bearer $TOK")
code() { curl -s -o "$SOAR_TMP/body" -w '%{http_code}' "$@"; }
is() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2 ($(head -c 300 "$SOAR_TMP/body"))"; }
# resumed_within RUN SECONDS -- command...: runs the command (an answer), then
# polls the run every 10 ms; fails unless it succeeded within SECONDS of the
# command's return. Leaves the run's JSON in $r.
resumed_within() {
	local run=$1 limit=$2; shift 2
	"$@" >/dev/null 2>&1 || fail "the answer: $*"
	r=$("$PY" - "$A" "$TOK" "$run" "$limit" <<'PY'
import json, sys, time, urllib.request
base, tok, run, limit = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
t0 = time.time()
while True:
    req = urllib.request.Request(base + "/api/v1/runs/" + run, headers={"Authorization": "Bearer " + tok})
    j = json.load(urllib.request.urlopen(req))
    if j["status"] == "succeeded" or time.time() - t0 > limit + 2:
        break
    time.sleep(0.01)
j["elapsed"] = time.time() - t0
print(json.dumps(j))
PY
)
	checks=$((checks + 1))
	[ "$(json_field "$r" 'j["status"] == "succeeded" and j["elapsed"] < '"$limit")" = True ] \
		|| fail "$run resumed within $limit s: $(json_field "$r" 'j["status"], j["elapsed"]')"
}

start
# A run that sleeps longer than runs wait in place: it parks; the daemon resumes
# it when due (checked near the end, after the other tests took their time).
curl -s "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"nap"}' >/dev/null
nap_t0=$(date +%s)
# ---- raw sockets: what curl would not send ----
raw=$("$PY" - "$api" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
def ask(req, wait=3):
    s = socket.create_connection(("127.0.0.1", port)); s.settimeout(wait)
    s.sendall(req); out = b""
    try:
        while b"\r\n\r\n" not in out or len(out.split(b"\r\n\r\n", 1)[1]) == 0:
            d = s.recv(65536)
            if not d: break
            out += d
    except OSError: pass
    s.close()
    global body
    body = out.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in out else b""
    return out.split(b"\r\n")[0].split(b" ")[1].decode() if out else "none"
def json_error(code):
    return "json" if body.startswith(b'{"error":{"code":"' + code + b'"') else "not-json:" + body[:60].decode()
print("te_cl", ask(b"POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"))
print("two_cl", ask(b"POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"))
print("same_cl", ask(b"POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"))
print("big_body", ask(b"POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n"))
print("big_header", ask(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n"), json_error(b"headers_too_large"))
print("many_headers", ask(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 40) for i in range(400)) + b"\r\n"), json_error(b"headers_too_large"))
print("long_line", ask(b"GET /" + b"a" * 40000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"), json_error(b"uri_too_long"))
print("long_query", ask(b"GET /healthz?q=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"), json_error(b"uri_too_long"))
print("under_limits", ask(b"GET /healthz?q=" + b"a" * 8000 + b" HTTP/1.1\r\nHost: x\r\nX-Big: " + b"c" * 7000 + b"\r\n\r\n"))
# A slow client (headers never finished) is cut after the 2 s timeout.
s = socket.create_connection(("127.0.0.1", port)); s.settimeout(6)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"); t = time.time()
try: closed = s.recv(100) == b""
except OSError: closed = True
print("slow_closed", "yes" if closed and time.time() - t < 5 else "no")
PY
)
contains "$raw" "te_cl 400" "both Content-Length and Transfer-Encoding"
contains "$raw" "two_cl 400" "two different Content-Lengths"
contains "$raw" "same_cl 400" "two Content-Lengths"
contains "$raw" "big_body 413" "body over the limit"
contains "$raw" "big_header 431 json" "headers over the limit (a JSON error)"
contains "$raw" "many_headers 431 json" "many headers adding up past the limit (a JSON error)"
contains "$raw" "long_line 414 json" "request line over the limit (a JSON error)"
contains "$raw" "long_query 414 json" "a query past the request-target limit (a JSON error)"
contains "$raw" "under_limits 200" "a head just under both limits"
contains "$raw" "slow_closed yes" "slow client"

# ---- auth, JSON errors ----
is "$(code "$A/healthz")" 200 "healthz needs no token"
is "$(code "$A/api/v1/cases")" 401 "no token"
contains "$(cat "$SOAR_TMP/body")" '{"error":{"code":"unauthorized","message":'
is "$(code -H "Authorization: Bearer soar_0000000000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" "$A/api/v1/cases")" 401 "unknown token"
is "$(code "${H[@]}" "$A/api/v1/cases")" 200 "admin reads cases"
is "$(code "${H[@]}" "$A/nothing/here")" 404 "unknown route"
is "$(code -H "Authorization: Bearer $VTOK" -X POST "$A/api/v1/alerts" -d '{"type":"x"}')" 403 "a viewer may not post alerts"
is "$(code "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":')" 400 "bad JSON"
contains "$(cat "$SOAR_TMP/body")" '"code":"bad_json"'
is "$(code "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"no_type":1}')" 400 "an alert needs a type"
# One rule for duplicate keys: refused before pre-processing or a playbook reads
# either copy; numbers no double holds are refused, naming the field.
is "$(code "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"x","severity":"low","severity":"critical"}')" 400 "a key twice"
contains "$(cat "$SOAR_TMP/body")" '"code":"bad_json"'
contains "$(cat "$SOAR_TMP/body")" 'duplicate key \"severity\" in $ (keys must be unique) at offset 29'
is "$(code "${H[@]}" -X POST "$A/api/v1/alerts" -d '[{"type":"x"},{"type":"x","a":{"b":1,"b":2}}]')" 400 "a key twice in the second alert of a batch"
contains "$(cat "$SOAR_TMP/body")" 'duplicate key \"b\" in $[1].a'
is "$(code "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"x","data":{"score":1e999999}}')" 400 "a number out of range"
contains "$(cat "$SOAR_TMP/body")" 'number out of range (not finite as a double) in $.data.score at offset 28'
is "$(code "${H[@]}" -X POST "$A/api/v1/cases" -d '{"title":"t","title":"u"}')" 400 "a case with a key twice"
contains "$(cat "$SOAR_TMP/body")" 'duplicate key \"title\"'
is "$(code "${H[@]}" -X POST "$A/api/v1/cases" -d '{"title":"t","custom":{"k":1,"k":2}}')" 400 "a case whose custom has a key twice"
contains "$(cat "$SOAR_TMP/body")" 'duplicate key \"k\" in $.custom'
is "$(code "${H[@]}" -H "Authorization: Bearer $TOK" "$A/metrics")" 200 "metrics"
contains "$(cat "$SOAR_TMP/body")" "# TYPE soarctl_alerts_received_total counter"

# ---- cases written over HTTP (as the CLI does) ----
is "$(code "${H[@]}" -X POST "$A/api/v1/cases" -d '{"title":"by hand","type":"manual","severity":"high","labels":["a","b"],"custom":{"k":1}}')" 201 "create a case"
ref=$(json_field "$(cat "$SOAR_TMP/body")" 'j["number"]')
[ "$(json_field "$(cat "$SOAR_TMP/body")" 'j["labels"]')" = "['a', 'b']" ] || fail "labels: $(cat "$SOAR_TMP/body")"
is "$(code "${H[@]}" -X POST "$A/api/v1/cases/$ref" -d '{"owner":"ana","status":"active"}')" 200 "update it"
[ "$(json_field "$(cat "$SOAR_TMP/body")" 'j["owner"]')" = ana ] || fail "owner set"
is "$(code "${H[@]}" -X POST "$A/api/v1/cases/$ref" -d '{"severity":"enormous"}')" 400 "a bad value"
contains "$(cat "$SOAR_TMP/body")" "severity"
is "$(code "${H[@]}" -X POST "$A/api/v1/cases/$ref/close" -d '{"reason":"done"}')" 200 "close it"
[ "$(json_field "$(cat "$SOAR_TMP/body")" 'j["status"]')" = closed ] || fail "closed"
is "$(code "${H[@]}" -X POST "$A/api/v1/cases/99999/close" -d '{"reason":"x"}')" 404 "no such case"
is "$(code -H "Authorization: Bearer $VTOK" -X POST "$A/api/v1/cases" -d '{"title":"x"}')" 403 "a viewer may not write cases"

# ---- a prompt answered over HTTP resumes its run within a second ----
is "$(code "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"question"}')" 202 "alert for ask"
case1=$(json_field "$(cat "$SOAR_TMP/body")" 'j["alerts"][0]["case"]')
for _ in $(seq 50); do
	w=$(curl -s "${H[@]}" "$A/api/v1/runs?status=waiting")
	pid=$(json_field "$w" 'j["runs"][0]["prompt"] if j["runs"] else ""')
	[ -n "$pid" ] && break; sleep 0.1
done
[ -n "$pid" ] || fail "the run waits on a prompt: $w"
run1=$(json_field "$w" 'j["runs"][0]["id"]')
is "$(code "${H[@]}" "$A/prompts/$pid")" 200 "prompt form"
contains "$(cat "$SOAR_TMP/body")" "Block it?"
contains "$(cat "$SOAR_TMP/body")" '<button type=submit name=choice value="yes">'
is "$(code -H "Authorization: Bearer $VTOK" -X POST "$A/api/v1/prompts/$pid/answer" -d '{"choice":"yes"}')" 403 "a viewer may not answer"
is "$(code "${H[@]}" -X POST "$A/api/v1/prompts/$pid/answer" -d '{"choice":"maybe"}')" 400 "not an option"
resumed_within "$run1" 1.0 curl -sf "${H[@]}" -X POST "$A/api/v1/prompts/$pid/answer" -d '{"choice":"yes"}'
[ "$(json_field "$r" 'j["result"]["answer"]')" = yes ] || fail "resumed with the answer: $r"
is "$(code "${H[@]}" -X POST "$A/api/v1/prompts/$pid/answer" -d '{"choice":"no"}')" 409 "answered twice"

# ---- from Slack: signed button press ----
curl -s "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"question"}' >/dev/null
for _ in $(seq 50); do
	w=$(curl -s "${H[@]}" "$A/api/v1/runs?status=waiting")
	pid=$(json_field "$w" 'j["runs"][0]["prompt"] if j["runs"] else ""')
	[ -n "$pid" ] && break; sleep 0.1
done
# Answers from Slack are the soarctl user mapped to the Slack user id.
"$S" user add ana --role approver >/dev/null 2>&1
"$S" user set ana --slack-id UANA123 >/dev/null
body="payload=$("$PY" -c "import json,sys,urllib.parse; print(urllib.parse.quote(json.dumps({'type':'block_actions','user':{'id':'UANA123','username':'ana.s'},'actions':[{'action_id':'soarctl_answer_2','value':sys.argv[1]+':no'}]})))" "$pid")"
ts=$(date +%s)
sig="v0=$(printf 'v0:%s:%s' "$ts" "$body" | openssl dgst -sha256 -hmac slacksecret -r | cut -d' ' -f1)"
is "$(code -X POST "$A/slack/interactive" -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: v0=$(printf '0%.0s' $(seq 64))" --data-binary "$body")" 401 "bad Slack signature"
old=$((ts - 600))
osig="v0=$(printf 'v0:%s:%s' "$old" "$body" | openssl dgst -sha256 -hmac slacksecret -r | cut -d' ' -f1)"
is "$(code -X POST "$A/slack/interactive" -H "X-Slack-Request-Timestamp: $old" -H "X-Slack-Signature: $osig" --data-binary "$body")" 401 "a signed but stale Slack request (replay)"
is "$(code -X POST "$A/slack/interactive" -H "X-Slack-Request-Timestamp: $ts" -H "X-Slack-Signature: $sig" --data-binary "$body")" 200 "signed Slack answer"
for _ in $(seq 40); do
	r=$(curl -s "${H[@]}" "$A/api/v1/runs?status=succeeded")
	[ "$(json_field "$r" 'len([x for x in j["runs"] if x["playbook"] == "ask"])')" -ge 2 ] && break; sleep 0.05
done
contains "$r" '"by":"ana"' "the run resumed with Slack's answer, by the mapped user"

# ---- from the CLI (--no-resume): the daemon resumes within a second ----
curl -s "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"question"}' >/dev/null
for _ in $(seq 50); do
	w=$(curl -s "${H[@]}" "$A/api/v1/runs?status=waiting")
	pid=$(json_field "$w" 'j["runs"][0]["prompt"] if j["runs"] else ""')
	[ -n "$pid" ] && break; sleep 0.1
done
run3=$(json_field "$w" 'j["runs"][0]["id"]')
resumed_within "$run3" 1.0 "$S" prompt answer "$pid" --choice yes --no-resume
[ "$(json_field "$r" 'j["result"]["answer"]')" = yes ] || fail "the CLI's answer resumed by the daemon: $r"
# The CLI's default (it resumes the run itself) while the daemon runs: the run
# ends once, with the answer, and the daemon does not run it again.
curl -s "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"question"}' >/dev/null
for _ in $(seq 50); do
	w=$(curl -s "${H[@]}" "$A/api/v1/runs?status=waiting")
	pid=$(json_field "$w" 'j["runs"][0]["prompt"] if j["runs"] else ""')
	[ -n "$pid" ] && break; sleep 0.1
done
run4=$(json_field "$w" 'j["runs"][0]["id"]')
resumed_within "$run4" 1.0 "$S" prompt answer "$pid" --choice no
[ "$(json_field "$r" 'j["result"]["answer"]')" = no ] || fail "the CLI resumed its run: $r"
sleep 0.6 # one daemon scan later: still one ending
r=$(curl -s "${H[@]}" "$A/api/v1/runs?limit=1000")
is "$(json_field "$r" 'len([x for x in j["runs"] if x["playbook"] == "ask" and x["status"] == "succeeded"])')" 4 "four ask runs ended, each once"
is "$(json_field "$r" 'len([x for x in j["runs"] if x["status"] == "failed"])')" 0 "no run failed"

# ---- jobs: every second, pause, resume ----
sleep 1.5
expect_exit 0 -- "$S" job list
contains "$out" "tick"
contains "$out" "*/1 * * * * *"
fires=$(curl -s "${H[@]}" "$A/metrics" | sed -n 's/^soarctl_job_fires_total //p')
[ "${fires:-0}" -ge 1 ] || fail "the every-second job fired: $fires"
expect_exit 0 -- "$S" job pause tick
sleep 1.5
f1=$(curl -s "${H[@]}" "$A/metrics" | sed -n 's/^soarctl_job_fires_total //p'); sleep 1.5
f2=$(curl -s "${H[@]}" "$A/metrics" | sed -n 's/^soarctl_job_fires_total //p')
is "$f2" "$f1" "a paused job does not fire"
expect_exit 0 -- "$S" job list --json
contains "$out" '"paused":true'
expect_exit 0 -- "$S" job resume tick
expect_exit 1 -- "$S" job pause nosuchjob
is "$(code "${H[@]}" "$A/api/v1/jobs")" 200 "jobs over HTTP"
contains "$(cat "$SOAR_TMP/body")" '"name":"tick"'

# ---- the sleeping run was resumed by the daemon when due ----
while [ $(( $(date +%s) - nap_t0 )) -lt 12 ]; do sleep 0.2; done
for _ in $(seq 20); do
	r=$(curl -s "${H[@]}" "$A/api/v1/runs?status=succeeded")
	[ "$(json_field "$r" 'len([x for x in j["runs"] if x["playbook"] == "nap"])')" = 1 ] && break; sleep 0.1
done
is "$(json_field "$r" 'len([x for x in j["runs"] if x["playbook"] == "nap"])')" 1 "a due sleep resumed by the daemon"

# ---- SIGHUP: a broken playbook keeps the old set; a fixed one loads ----
echo 'return { name = "broken", schedule = "0 0 30 2 *", run = function() end }' > "$pb/broken.lua"
kill -HUP "$DPID"; sleep 0.5
contains "$(cat "$SOAR_TMP/serve.log")" "reload refused, keeping the loaded playbooks"
contains "$(cat "$SOAR_TMP/serve.log")" "day 30 does not occur in February"
is "$(code "${H[@]}" -X POST "$A/api/v1/alerts" -d '{"type":"question"}')" 202 "still serving after a refused reload"
rm "$pb/broken.lua"
kill -HUP "$DPID"; sleep 0.5
contains "$(cat "$SOAR_TMP/serve.log")" "reloaded 3 playbooks"
t0=$(date +%s)
stop
[ $(( $(date +%s) - t0 )) -le 10 ] || fail "SIGTERM took more than 10 s"

# ---- missed runs: fires due while the daemon was down ----
sleep 1.2
start
sleep 0.3
contains "$(cat "$SOAR_TMP/serve.log")" "job tick: fired (missed while the daemon was down)"
stop
sed -i 's/overlap = "skip",/overlap = "skip", missed = "skip",/' "$pb/tick.lua"
sleep 1.2
start
sleep 0.3
contains "$(cat "$SOAR_TMP/serve.log")" "job tick: missed fire skipped"
lacks "$(cat "$SOAR_TMP/serve.log")" "missed while the daemon was down"
stop
rm "$pb/tick.lua"

# ---- 429 when the queue cannot take the runs ----
QUEUE=1 start
is "$(code "${H[@]}" -X POST "$A/api/v1/alerts" -d '[{"type":"question"},{"type":"question"}]')" 429 "queue full"
grep -qi "retry-after" <(curl -s -D - -o /dev/null "${H[@]}" -X POST "$A/api/v1/alerts" -d '[{"type":"question"},{"type":"question"}]') \
	|| fail "429 has Retry-After"
stop
finish
