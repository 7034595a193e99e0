#!/bin/sh
# A legitimate client's latency under a slowloris attack on `soarctl serve`
# (127.0.0.1): ATTACK connections (default 1,100, past the default cap of
# 1,024) each send one byte of a never-ending request head every 2 s and are
# reopened on the next tick when the daemon cuts them; meanwhile one client
# with a token makes GET /api/v1/cases?limit=1 requests, each on a new
# connection, one after another, for SECONDS. Attacker and client share an
# address, so the per-address cap is off (SOARCTL_MAX_CONNS_PER_IP=0): only the
# head deadline and the slots kept for requests past their head protect the
# client. Also the same client without an attack, for comparison.
# Usage: tools/bench/bench_slowloris.sh [BUILD_DIR] [SECONDS] [RUNS] [ATTACK]
# Prints one line per run and the medians of p50 and p99.
set -eu
BUILD=${1:-build}
SECS=${2:-20}
RUNS=${3:-3}
ATTACK=${4:-1100}
cd "$(dirname "$0")/../.."
S="$BUILD/soarctl"
TMP=$(mktemp -d)
DPID=
trap '[ -n "$DPID" ] && kill "$DPID" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM
export SOARCTL_DATA="$TMP/data"
"$S" init >/dev/null 2>&1
TOKEN=$("$S" user token --label bench 2>/dev/null)
mkdir "$TMP/pb"
SOARCTL_MAX_CONNS_PER_IP=0 "$S" serve --listen 127.0.0.1:0 --playbooks "$TMP/pb" 2>"$TMP/serve.log" &
DPID=$!
PORT=
while [ -z "$PORT" ]; do
	sleep 0.05
	PORT=$(sed -n 's/.*listening on .* (port \([0-9]*\)).*/\1/p' "$TMP/serve.log")
done
python3 - "$PORT" "$TOKEN" "$SECS" "$RUNS" "$ATTACK" <<'PY'
import selectors, socket, statistics, sys, threading, time
port, tok, secs, runs, attack = int(sys.argv[1]), sys.argv[2].encode(), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

def slow(n, stop, stats):
    sel, missing = selectors.DefaultSelector(), 0
    def open_one():
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
            s.setblocking(False)
            s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        except OSError:
            return
        sel.register(s, selectors.EVENT_READ, time.time())
    for _ in range(n):
        open_one()
    tick = time.time()
    while not stop.is_set():
        for key, _ in sel.select(timeout=0.05):
            try: d = key.fileobj.recv(4096)
            except OSError: d = b""
            if not d:
                stats["cut"] += 1
                sel.unregister(key.fileobj); key.fileobj.close(); missing += 1
        if time.time() - tick >= 2.0:
            tick = time.time()
            for key in list(sel.get_map().values()):
                try: key.fileobj.send(b"a")
                except OSError: pass
            while missing:
                open_one(); missing -= 1
        stats["open"] = len(sel.get_map())
    for k in list(sel.get_map().values()):
        k.fileobj.close()

def legit(secs):
    lat, fails, end = [], 0, time.time() + secs
    while time.time() < end:
        t0 = time.time()
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=5); s.settimeout(5)
            s.sendall(b"GET /api/v1/cases?limit=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok + b"\r\nConnection: close\r\n\r\n")
            got = b""
            while True:
                d = s.recv(65536)
                if not d: break
                got += d
            s.close()
            if got.startswith(b"HTTP/1.1 200"): lat.append((time.time() - t0) * 1000)
            else: fails += 1
        except OSError:
            fails += 1
        time.sleep(0.01)
    lat.sort()
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")
    return len(lat), fails, q(0.5), q(0.99), (lat[-1] if lat else float("nan"))

for name, n in (("no attack", 0), ("attack %d slow connections" % attack, attack)):
    p50s, p99s = [], []
    for r in range(runs):
        stop, stats = threading.Event(), {"cut": 0, "open": 0}
        t = threading.Thread(target=slow, args=(n, stop, stats)); t.start()
        time.sleep(3 if n else 0.1)         # the attack holds every slot it can
        ok, fails, p50, p99, mx = legit(secs)
        held = stats["open"]
        stop.set(); t.join()
        print("%s run %d: answered %d failed %d p50 %.2f ms p99 %.2f ms max %.1f ms; attacker held %d, cut %d"
              % (name, r + 1, ok, fails, p50, p99, mx, held, stats["cut"]), flush=True)
        p50s.append(p50); p99s.append(p99)
        time.sleep(1)
    print("%s: median p50 %.2f ms, median p99 %.2f ms (%d runs of %g s)"
          % (name, statistics.median(p50s), statistics.median(p99s), runs, secs), flush=True)
PY
