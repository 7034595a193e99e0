#!/usr/bin/env bash
# The C slow stand-in (tools/standins/slow.c, built as standin_slow) behaves as
# slow.py, which benchmarks swap it for: PORT line, the default delay and ?ms=,
# keep-alive, bodies skipped, pipelined requests answered in order, a bad ms=
# closes, Connection: close honoured, --stdin-eof and SIGTERM stop it; and it holds
# a few thousand waiting connections at once, answering each after its delay.
. "$(dirname "$0")/lib.bash"
B="$SOAR_BUILD/tools/standins/standin_slow"
[ -x "$B" ] || { echo "no $B (built with the benches)"; exit 1; }

coproc SL { exec "$B" --delay 300 --stdin-eof; }
slpid=$SL_PID         # bash unsets SL_PID once the coproc is reaped
read -r word port <&"${SL[0]}"
trap 'kill $slpid 2>/dev/null' EXIT
checks=$((checks + 1))
[ "$word" = PORT ] && [ -n "$port" ] || fail "first line: '$word $port'"

out=$("$PY" - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])

def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=10)

def read_answers(s, n):
    """n answers (heads and 12-byte bodies), and the times they came."""
    data, times = b"", []
    while data.count(b'{"ok": true}') < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
        times.append(time.monotonic())
    return data, times

s = conn()
t = time.monotonic()
s.sendall(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
d, ts = read_answers(s, 1)
# never early; late by a busy machine's margin at most
within = lambda lo, hi: bool(ts) and lo <= ts[-1] - t < hi
print("default", within(0.3, 0.8), d.startswith(b"HTTP/1.1 200 OK\r\n"),
      b"Content-Type: application/json" in d, b"Content-Length: 12" in d)
t = time.monotonic()          # same connection: keep-alive
s.sendall(b"GET /delay?a=1&ms=50 HTTP/1.1\r\nHost: a\r\n\r\n")
d, ts = read_answers(s, 1)
print("ms50", within(0.05, 0.29))
# a body, split, then two pipelined requests: answered in order, the last closes
s.sendall(b"POST /?ms=0 HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
time.sleep(0.05)
s.sendall(b"defghij" + b"GET /?ms=100 HTTP/1.1\r\n\r\nGET /?ms=0 HTTP/1.1\r\nConnection: close\r\n\r\n")
t = time.monotonic()
d, ts = read_answers(s, 3)
print("pipelined", d.count(b"HTTP/1.1 200"), within(0.1, 0.6), s.recv(10) == b"")
s.close()
# ms=abc: closed without an answer
s = conn()
s.sendall(b"GET /?ms=abc HTTP/1.1\r\n\r\n")
print("bad", s.recv(100) == b"")
s.close()
# 3000 connections waiting at once, each answered after 500 ms
socks = [conn() for _ in range(3000)]
t = time.monotonic()
for x in socks:
    x.sendall(b"GET /?ms=500 HTTP/1.1\r\n\r\n")
ok = 0
for x in socks:
    d, ts = read_answers(x, 1)
    ok += d.endswith(b'{"ok": true}')
print("many", ok, 0.5 <= time.monotonic() - t < 5)
PY
)
echo "$out"
contains "$out" "default True True True True" "the default delay (300 ms)"
contains "$out" "ms50 True" "?ms=50 on a kept-alive connection"
contains "$out" "pipelined 3 True True" "body skipped, pipelined answers in order, Connection: close"
contains "$out" "bad True" "ms=abc closes"
contains "$out" "many 3000 True" "3000 waiting connections"

# --stdin-eof: closing its stdin stops it
exec {SL[1]}>&-
for _ in $(seq 50); do kill -0 "$slpid" 2>/dev/null || break; sleep 0.1; done
checks=$((checks + 1))
kill -0 "$slpid" 2>/dev/null && fail "still running after stdin closed"

# SIGTERM stops it too
"$B" > "$SOAR_TMP/port" &
pid=$!
for _ in $(seq 50); do [ -s "$SOAR_TMP/port" ] && break; sleep 0.05; done
kill -TERM "$pid"
wait "$pid"
rc=$?
checks=$((checks + 1))
[ "$rc" = 0 ] || fail "exit $rc after SIGTERM"
finish
