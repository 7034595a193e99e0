#!/usr/bin/env python3
"""Local stand-in for the HTTP APIs soarctl talks to, for tests, demos and benchmarks.

Listens on 127.0.0.1 on a free port (or --port) and prints "PORT <n>" as its first
line on stdout, so that a test can start it and read where it is. Stops on SIGTERM
or when stdin closes (--stdin-eof), so a crashed test leaves nothing behind.

Generic routes (any method):
  /ok                        200 "ok"
  /json                      {"hello": "world", "n": 42}
  /delay?ms=N                answers after N ms
  /status/N                  answers with status N
  /flaky?key=K&fail=N[&after=S]   N times 503 (Retry-After: S if given), then 200
  /limited?key=K&after=S     once 429 with Retry-After: S, then 200
  /big?n=N                   N bytes of "x"
  /echo                      the request as JSON {method, path, query, headers, body}
  /redirect?to=URL[&code=C]  a redirect
  /multi                     two Set-Cookie headers
  /count?key=K               how many requests /flaky, /limited saw for K
  /stats                     {"bonuses": [every bonus given, with its Idempotency-Key],
                              "webhooks": [every webhook POST: {"path", "key", "body"}]}
Vendor stand-ins (shapes as the vendors document them):
  bonusly   GET /api/v1/users/me, GET /api/v1/users, POST /api/v1/bonuses
            (Authorization: Bearer <token>, token "test-bonusly-token")
            ?shape=v7 on users/me (or env STANDIN_BONUSLY=v7) moves giving_balance
  abuseipdb GET /api/v2/check?ipAddress=IP (header Key: test-abuseipdb-key)
  ipinfo    GET /<ip>/json?token=test-ipinfo-token
  slack     POST /api/chat.postMessage, /api/chat.update, /api/views.open (Bearer
            test-slack-token; each call recorded: GET /slack/calls), POST /hooks/<id>
  webhook   POST /webhook/<anything>   records, answers {"ok": true}
"""
import argparse
import json
import os
import signal
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTS = {}
LOCK = threading.Lock()
BONUSES = []
WEBHOOKS = []
SLACK = []   # every Web API call: {"method", "body"}


def bump(key):
    with LOCK:
        COUNTS[key] = COUNTS.get(key, 0) + 1
        return COUNTS[key]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Keep-alive answers written in two sends (head, body) would otherwise wait
    # for the client's delayed ACK: 40 ms a request.
    disable_nagle_algorithm = True
    server_version = "standin/1"

    def log_message(self, fmt, *args):  # quiet: tests read stdout
        pass

    def send(self, status, body=b"", ctype="text/plain", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            ctype = "application/json"
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or []):
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def handle_any(self):
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        body = self.read_body()
        path = u.path
        auth = self.headers.get("Authorization", "")
        if path == "/ok":
            return self.send(200, "ok")
        if path == "/json":
            return self.send(200, {"hello": "world", "n": 42})
        if path == "/delay":
            time.sleep(int(q.get("ms", "200")) / 1000.0)
            return self.send(200, "late")
        if path.startswith("/status/"):
            return self.send(int(path[8:]), "status")
        if path == "/flaky":
            n = bump("flaky:" + q.get("key", ""))
            if n <= int(q.get("fail", "1")):
                h = [("Retry-After", q["after"])] if "after" in q else []
                return self.send(503, "busy", headers=h)
            return self.send(200, {"attempt": n})
        if path == "/limited":
            n = bump("limited:" + q.get("key", ""))
            if n == 1:
                return self.send(429, "slow down", headers=[("Retry-After", q.get("after", "1"))])
            return self.send(200, {"attempt": n})
        if path == "/count":
            with LOCK:
                return self.send(200, {k: v for k, v in COUNTS.items() if k.endswith(":" + q.get("key", ""))})
        if path == "/stats":
            with LOCK:
                return self.send(200, {"bonuses": BONUSES, "webhooks": WEBHOOKS})
        if path == "/big":
            return self.send(200, "x" * int(q.get("n", "1000")))
        if path == "/echo":
            return self.send(200, {"method": self.command, "path": path, "query": q,
                                   "headers": {k.lower(): v for k, v in self.headers.items()},
                                   "body": body.decode("utf-8", "replace")})
        if path == "/redirect":
            return self.send(int(q.get("code", "302")), "", headers=[("Location", q["to"])])
        if path == "/multi":
            return self.send(200, "m", headers=[("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        # --- bonusly ---
        if path.startswith("/api/v1/"):
            if auth != "Bearer test-bonusly-token":
                return self.send(401, {"success": False, "message": "Invalid access token"})
            if path == "/api/v1/users/me":
                user = {"id": "5b1f", "username": "me", "email": "me@example.com",
                        "full_name": "Me Myself"}
                if q.get("shape") == "v7" or os.environ.get("STANDIN_BONUSLY") == "v7":
                    user["balances"] = {"giving": 40}
                else:
                    user["giving_balance"] = 40
                return self.send(200, {"success": True, "result": user})
            if path == "/api/v1/users":
                return self.send(200, {"success": True, "result": [
                    {"id": "a1", "username": "alice", "email": "alice@example.com", "full_name": "Alice A"},
                    {"id": "b2", "username": "bob", "email": "bob@example.com", "full_name": "Bob B"}]})
            if path == "/api/v1/bonuses" and self.command == "POST":
                req = json.loads(body or b"{}")
                req["idempotency_key"] = self.headers.get("Idempotency-Key")
                BONUSES.append(req)
                return self.send(200, {"success": True, "result": {
                    "id": "bonus-%d" % len(BONUSES), "amount": int(req.get("reason", "+0").split()[0][1:] or 0),
                    "reason": req.get("reason"), "idempotency_key": self.headers.get("Idempotency-Key")}})
            return self.send(404, {"success": False, "message": "not found"})
        # --- abuseipdb ---
        if path == "/api/v2/check":
            if self.headers.get("Key") != "test-abuseipdb-key":
                return self.send(401, {"errors": [{"detail": "Authentication failed"}]})
            ip = q.get("ipAddress", "")
            bad = ip.startswith("185.") or ip.startswith("45.")
            return self.send(200, {"data": {
                "ipAddress": ip, "isPublic": True, "ipVersion": 6 if ":" in ip else 4,
                "isWhitelisted": False, "abuseConfidenceScore": 100 if bad else 0,
                "countryCode": "NL" if bad else "US", "usageType": "Data Center/Web Hosting/Transit",
                "isp": "Example Hosting", "domain": "example.net", "isTor": False,
                "totalReports": 1234 if bad else 0, "numDistinctUsers": 321 if bad else 0,
                "lastReportedAt": "2026-11-27T21:30:07+00:00" if bad else None}})
        # --- slack ---
        if path == "/slack/calls":
            with LOCK:
                return self.send(200, {"calls": SLACK}, "application/json")
        if path in ("/api/chat.postMessage", "/api/chat.update", "/api/views.open"):
            if auth != "Bearer test-slack-token":
                return self.send(200, {"ok": False, "error": "invalid_auth"})
            req = json.loads(body or b"{}")
            with LOCK:
                SLACK.append({"method": path[5:], "body": req})
                n = len(SLACK)
            if path == "/api/views.open":
                if not req.get("trigger_id") or not isinstance(req.get("view"), dict):
                    return self.send(200, {"ok": False, "error": "invalid_arguments"})
                return self.send(200, {"ok": True, "view": {"id": "V%05d" % n}})
            if not req.get("channel"):
                return self.send(200, {"ok": False, "error": "channel_not_found"})
            if path == "/api/chat.update":
                return self.send(200, {"ok": True, "channel": req["channel"], "ts": req.get("ts")})
            ts = "1700000000.000100" if n == 1 else "1700000000.%06d" % (100 + n)
            return self.send(200, {"ok": True, "channel": req["channel"], "ts": ts,
                                   "message": {"text": req.get("text"), "blocks": req.get("blocks")}})
        if path.startswith("/hooks/"):
            json.loads(body or b"{}")
            return self.send(200, "ok")
        if path.startswith("/webhook/"):
            with LOCK:
                WEBHOOKS.append({"path": path, "key": self.headers.get("Idempotency-Key"),
                                 "body": body.decode("utf-8", "replace")})
            return self.send(200, {"ok": True, "received": len(body)})
        # --- ipinfo: /<ip>/json ---
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[1] == "json":
            if q.get("token") != "test-ipinfo-token":
                return self.send(403, {"error": {"title": "Wrong token"}})
            return self.send(200, {"ip": parts[0], "hostname": "host.example.net", "city": "Amsterdam",
                                   "region": "North Holland", "country": "NL", "loc": "52.3740,4.8897",
                                   "org": "AS64500 Example Hosting", "postal": "1012",
                                   "timezone": "Europe/Amsterdam"})
        return self.send(404, "no route " + path)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 4096
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up (a timeout test) is not news


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--stdin-eof", action="store_true", help="exit when stdin closes")
    a = ap.parse_args()
    srv = Server(("127.0.0.1", a.port), Handler)
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    if a.stdin_eof:
        def watch():
            sys.stdin.read()
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
