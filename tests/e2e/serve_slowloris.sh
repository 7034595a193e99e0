#!/usr/bin/env bash
# Slow clients cannot shut legitimate ones out (127.0.0.1 only, bounded):
# - slow heads (a byte a second) are cut at their deadline (3 s);
# - slowloris: 200 such connections (over three times the cap of 64),
#   reopened when cut; meanwhile a client with a token is answered, every time
#   and quickly, and no slow connection outlives its head deadline;
#   attacker and client share an address (the per-address cap is off here):
#   the slots above the budget for heads stay for requests past their head;
# - a body trickling in after its head is cut at its deadline;
# - past the per-address cap, a new connection is closed at once.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT

"$S" init >/dev/null 2>&1 || true
TOK=$("$S" user token --label e2e 2>/dev/null)
mkdir -p "$SOAR_TMP/playbooks"

SOARCTL_MAX_CONNS=64 SOARCTL_MAX_CONNS_PER_IP=0 SOARCTL_HEAD_TIMEOUT=3 SOARCTL_CONN_TIMEOUT=10 \
	serve_start --playbooks "$SOAR_TMP/playbooks"
out=$("$PY" - "$api" "$TOK" <<'PY'
import selectors, socket, sys, threading, time
port, tok = int(sys.argv[1]), sys.argv[2].encode()

def slow(n, run, reopen):
    """n connections sending a byte of their head every second (slowloris);
    cut ones reopened on the next tick when `reopen`. Returns (lifetimes of
    the cut ones, ages of those still open at the end)."""
    sel, lives, missing = selectors.DefaultSelector(), [], 0
    def open_one():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.setblocking(False)
            s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        except OSError:
            return False
        sel.register(s, selectors.EVENT_READ, time.time())
        return True
    for _ in range(n):
        open_one()
    end, tick = time.time() + run, time.time()
    while time.time() < end:
        for key, _ in sel.select(timeout=0.05):
            try: d = key.fileobj.recv(4096)
            except OSError: d = b""
            if not d:                       # cut by the daemon
                lives.append(time.time() - key.data)
                sel.unregister(key.fileobj); key.fileobj.close()
                missing += 1
        if time.time() - tick >= 1.0:       # the tick: a byte each, reopen the cut
            tick = time.time()
            for key in list(sel.get_map().values()):
                try: key.fileobj.send(b"a")
                except OSError: pass
            while reopen and missing:
                open_one(); missing -= 1
    alive = [time.time() - k.data for k in sel.get_map().values()]
    for k in list(sel.get_map().values()):
        k.fileobj.close()
    return lives, alive

# A. Under the cap: 20 slow heads, each cut by its deadline (3 s; swept every
# 0.25 s; 1.5 s of slack for a loaded machine), none before 2.5 s.
lives, alive = slow(20, 6.0, False)
print("A cuts %d alive %d range %.2f-%.2f" % (len(lives), len(alive), min(lives or [0]), max(lives or [0])))
print("cut_by_deadline", "yes" if len(lives) == 20 and min(lives) > 2.5 and max(lives) < 4.5 else "no")

# B. Over the cap: 200 slow connections (the cap is 64), reopened when cut;
# a client with a token meanwhile.
res = {}
t = threading.Thread(target=lambda: res.setdefault("r", slow(200, 8.0, True))); t.start()
time.sleep(1.5)                             # the attack holds every slot it can
lat, fails = [], 0
t_end = time.time() + 5.5
def legit_get():
    s = socket.create_connection(("127.0.0.1", port), timeout=2); s.settimeout(2)
    s.sendall(b"GET /api/v1/cases?limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok + b"\r\nConnection: close\r\n\r\n")
    got = b""
    while True:
        d = s.recv(65536)
        if not d: break
        got += d
    s.close()
    return got.startswith(b"HTTP/1.1 200")
retries = 0
while time.time() < t_end:
    t0 = time.time()
    # A connection cut or reset before an answer is retried once, as HTTP
    # clients do for a GET (the guard may cut a connection whose head had not
    # arrived yet when the slots were full); the latency counts both tries.
    ok = False
    for attempt in range(2):
        try:
            ok = legit_get()
        except OSError:
            ok = False
        if ok: break
        retries += 1
    if ok: lat.append(time.time() - t0)
    else: fails += 1
    time.sleep(0.05)
t.join()
lives, alive = res["r"]
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else -1
print("B legit answered %d failed %d (retried %d) p50_ms %.1f p99_ms %.1f; attack cut %d" % (len(lat), fails, retries, p(0.5), p(0.99), len(lives)))
print("legit_ok", "yes" if len(lat) > 20 and fails == 0 and p(0.99) < 250 else "no")
print("none_outlived", "yes" if alive and max(lives + alive) < 4.5 else "no:%.1f" % max(lives + alive or [0]))
PY
)
echo "$out"
contains "$out" "cut_by_deadline yes" "slow heads cut at their deadline"
contains "$out" "legit_ok yes" "a client with a token answered quickly under a slowloris attack"
contains "$out" "none_outlived yes" "no slow connection outlives its deadline"
sleep 0.3 # the daemon's tick copies the count
cut=$(curl -s -H "Authorization: Bearer $TOK" "$A/metrics" | sed -n 's/^soarctl_http_connections_cut_total //p')
checks=$((checks + 1)); [ "${cut:-0}" -ge 20 ] || fail "the cut connections counted in /metrics: '$cut'"
serve_stop || fail "the daemon's exit"

# ---- a slow body (after a quick, authenticated head) and the per-address cap ----
SOARCTL_MAX_CONNS=64 SOARCTL_MAX_CONNS_PER_IP=5 SOARCTL_CONN_TIMEOUT=2 \
	serve_start --playbooks "$SOAR_TMP/playbooks"
out=$("$PY" - "$api" "$TOK" <<'PY'
import socket, sys, time
port, tok = int(sys.argv[1]), sys.argv[2].encode()
s = socket.create_connection(("127.0.0.1", port)); s.settimeout(6)
s.sendall(b"POST /api/v1/alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok + b"\r\nContent-Length: 1000\r\n\r\n")
t0, closed = time.time(), False
try:
    for _ in range(8):                      # one byte every 0.5 s: the idle timeout never fires
        s.send(b"{"); time.sleep(0.5)
    closed = s.recv(100) in (b"",)
except OSError:
    closed = True
print("slow_body", "cut" if closed and time.time() - t0 < 5 else "not_cut")
s.close()
time.sleep(0.3)
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
time.sleep(0.2)
x = socket.create_connection(("127.0.0.1", port)); x.settimeout(2)
try:
    x.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); got = x.recv(100)
except OSError:
    got = b""
print("sixth", "closed" if got == b"" else "served")
for h in held: h.close()
PY
)
contains "$out" "slow_body cut" "a body trickling in cut at its deadline"
contains "$out" "sixth closed" "past the per-address cap, closed at once"
serve_stop || fail "the daemon's exit"
finish
