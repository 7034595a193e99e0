#!/usr/bin/env python3
"""http_fuzz.py - the daemon under a fuzz of every endpoint, then a leak check.

Starts `soarctl serve` (build it with ASan: `make build-asan`) on 127.0.0.1 with a
fresh data directory, the bundled playbooks in mock mode, and an admin and a viewer
token; sends mutated and random requests to every endpoint (bodies, headers, paths,
framing, auth: none, wrong, viewer, admin) for --seconds or --requests, whichever
comes first; waits for the runs it started to finish; stops the daemon with SIGTERM
and reads LeakSanitizer's report from its log.

Exit status: 0 when the daemon answered throughout, exited 0 and LeakSanitizer
reported zero bytes; 1 otherwise (the log's report is printed); 2 on a usage or
set-up error. An instrumented binary without LeakSanitizer output (a plain build)
is reported as "leak check skipped" and exits 1 unless --no-leak-check.

  tools/fuzz/http_fuzz.py --soarctl build-asan/soarctl --seconds 600
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

RUN_ID = "01890000-0000-7000-8000-0000000000a1"
PROMPT_ID = "01890000-0000-7000-8000-0000000000b2"

# (method, path, JSON body or None): every route of runtime/daemon_api.c
ENDPOINTS = [
    ("GET", "/healthz", None),
    ("GET", "/metrics", None),
    ("GET", "/edl/blocklist", None),
    ("GET", "/edl/NOSUCHLIST", None),
    ("GET", "/prompts/{prompt}", None),
    ("POST", "/slack/interactive", None),
    ("POST", "/api/v1/alerts", '{"title":"Phish","severity":"high","type":"phishing",'
     '"source":{"ip":"10.0.0.1","domain":"b\u00fccher.de"},"tags":["a","b"]}'),
    ("POST", "/api/v1/alerts", '[{"title":"a","severity":"low"},'
     '{"title":"b","severity":"critical","dedupe_key":"k1"}]'),
    ("POST", "/api/v1/prompts/{prompt}/answer", '{"answer":"yes"}'),
    ("POST", "/api/v1/cases", '{"title":"Case","severity":"medium","type":"manual"}'),
    ("POST", "/api/v1/cases/{case}", '{"status":"in_progress","owner":"alice"}'),
    ("POST", "/api/v1/cases/{case}/close", '{"reason":"resolved"}'),
    ("POST", "/api/v1/cases/{case}/notes", '{"text":"seen on host-7","data":{"host":"h"}}'),
    ("POST", "/api/v1/cases/{case}/links", '{"case":"1","relation":"duplicate"}'),
    ("GET", "/api/v1/cases", None),
    ("GET", "/api/v1/cases?status=open&limit=5&cursor=x", None),
    ("GET", "/api/v1/cases/{case}", None),
    ("GET", "/api/v1/cases/{case}/timeline?from=1&limit=2", None),
    ("GET", "/api/v1/cases/{case}/children", None),
    ("GET", "/api/v1/runs?status=waiting&limit=3", None),
    ("GET", "/api/v1/runs/{run}", None),
    ("GET", "/api/v1/runs/{run}/steps", None),
    ("POST", "/api/v1/runs/{run}/resume", ""),
    ("POST", "/api/v1/runs/{run}/cancel", ""),
    ("GET", "/api/v1/jobs", None),
    ("POST", "/api/v1/jobs/{job}/run", ""),
    ("POST", "/api/v1/jobs/{job}/pause", ""),
    ("POST", "/api/v1/jobs/{job}/resume", ""),
    ("GET", "/nosuch", None),
]

JSON_TRICKS = [
    "", "{", "[", '{"a":', '{"title":"x","title":"y"}', '{"severity":"low","severity":"critical"}',
    '{"n":1e999999}', '{"n":-1e999999}', '{"n":123456789012345678901234567890}',
    '"\\ud800"', '"\\udc00\\ud800"', '{"s":"\xc3\x28"}', '{"s":"\x00"}',
    "[" * 200 + "]" * 200, "[" * 40 + "1" + "]" * 40, '{"a":' * 50 + "1" + "}" * 50,
    "nul", "tru", "-", "0x10", "NaN", "\ufeff{}", '{"a":1,}', '[1,]', '{"a" 1}',
    '{"title":' + '"' + "x" * 5000 + '"}',
]

HEADER_TRICKS = [
    "Transfer-Encoding: chunked\r\nContent-Length: 5",
    "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
    "Transfer-Encoding : chunked",
    "Transfer-Encoding: identity",
    "Transfer-Encoding: gzip, chunked",
    "Transfer-Encoding: chunked, identity",
    "Transfer-Encoding:\r\n chunked",
    "Content-Length: 5\r\nContent-Length: 6",
    "Content-Length: -1",
    "Content-Length: 99999999999999999999",
    "X-Bare: a\rb",
    "X-Long: " + "a" * 20000,
    "Expect: 100-continue",
    "Connection: keep-alive",
    "Content-Type: application/x-www-form-urlencoded",
    "X-Slack-Signature: v0=" + "0" * 64 + "\r\nX-Slack-Request-Timestamp: 1",
]


def mutate(data, rng):
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(6)
        if op == 0 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 1:
            b[rng.randrange(len(b) + 1):0] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        elif op == 2 and b:
            i = rng.randrange(len(b))
            del b[i:i + rng.randint(1, 16)]
        elif op == 3 and b:
            b = b[:rng.randrange(len(b))]
        elif op == 4 and b:
            i = rng.randrange(len(b))
            b[i:i] = b[i:i + rng.randint(1, 32)] * rng.randint(1, 8)
        else:
            b[rng.randrange(len(b) + 1):0] = rng.choice(JSON_TRICKS).encode("utf-8", "surrogatepass")
    return bytes(b)


class Fuzzer:
    def __init__(self, port, tokens, rng, ids):
        self.port, self.tokens, self.rng, self.ids = port, tokens, rng, ids
        self.codes = {}
        self.sent = 0
        self.show = ""
        self.bad_json = []

    def body(self, seed):
        rng = self.rng
        k = rng.randrange(10)
        if seed is None or k == 0:
            return rng.choice(JSON_TRICKS).encode("utf-8", "surrogatepass")
        if k == 1:
            return bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))
        if k == 2:
            return (seed + " " * rng.randint(0, 3)).encode() * rng.randint(1, 3)
        if k < 6:
            return mutate(seed.encode(), rng)
        return seed.encode()

    def path(self, p):
        rng = self.rng
        ids = {"case": rng.choice(self.ids["cases"] + ["0", "99999", "-1", "x", "18446744073709551616"]),
               "run": rng.choice(self.ids["runs"] + ["x", RUN_ID.upper(), "0" * 36]),
               "prompt": rng.choice(self.ids["prompts"] + ["x", "%00", "a" * 300]),
               "job": rng.choice(["hello", "nosuch", "", "..", "a" * 200])}
        p = p.format(**ids)
        k = rng.randrange(12)
        if k == 0:
            p = p.replace("/", "//", 1)
        elif k == 1:
            p += "\x00/../x"
        elif k == 2:
            p += "?" + "&".join("%s=%s" % (rng.choice(["limit", "status", "from", "cursor", "token", "q"]),
                                             rng.choice(["1", "-1", "99999999999", "open", "%ff", "", "a" * 100]))
                                for _ in range(rng.randint(1, 4)))
        elif k == 3:
            p = p + "/" + "seg" * rng.randint(1, 200)
        elif k == 4:
            p = mutate(p.encode(), rng).decode("latin-1")
        return p

    def request(self, method, path, seed):
        rng = self.rng
        body = self.body(seed) if seed is not None or rng.randrange(4) == 0 else b""
        if rng.randrange(8) == 0:
            method = rng.choice(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "get", "P\x00ST", "X" * 50])
        headers = ["Host: 127.0.0.1"]
        auth = rng.randrange(6)
        if auth == 1:
            headers.append("Authorization: Bearer " + self.tokens["admin"])
        elif auth == 2:
            headers.append("Authorization: Bearer " + self.tokens["viewer"])
        elif auth == 3:
            headers.append("Authorization: Bearer soar_0000000000000000_" + "A" * 43)
        elif auth == 4:
            headers.append("Authorization: " + rng.choice(["Basic YWxpY2U6cHc=", "Bearer", "Bearer " + "x" * 300,
                                                           "Bearer " + self.tokens["admin"][:-1]]))
        else:
            if rng.randrange(2):
                headers.append("Authorization: Bearer " + self.tokens["admin"])
        if body or method == "POST":
            headers.append("Content-Type: application/json")
        chunked = rng.randrange(8) == 0
        if chunked:
            headers.append("Transfer-Encoding: chunked")
        else:
            n = len(body)
            if rng.randrange(10) == 0:
                n = max(0, n + rng.randint(-5, 5))
            headers.append("Content-Length: %d" % n)
        if rng.randrange(5) == 0:
            headers.append(rng.choice(HEADER_TRICKS))
        headers.append("Connection: close")
        head = "%s %s HTTP/1.1\r\n%s\r\n\r\n" % (method, path, "\r\n".join(headers))
        data = head.encode("latin-1", "replace")
        if chunked:
            out, i = b"", 0
            while i < len(body):
                n = rng.randint(1, 64)
                out += b"%x\r\n" % n + body[i:i + n] + b"\r\n"
                i += n
            data += mutate(out + b"0\r\n\r\n", rng) if rng.randrange(4) == 0 else out + b"0\r\n\r\n"
        else:
            data += body
        if rng.randrange(30) == 0:
            data = mutate(data, rng)
        return data

    def send(self, data):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        try:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            got = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (ConnectionResetError, BrokenPipeError, socket.timeout):
            got = b""
        finally:
            s.close()
        m = re.match(rb"HTTP/1\.[01] (\d{3})", got)
        code = m.group(1).decode() if m else "-"
        # a JSON answer must be JSON (uninitialised bytes sent out are not UTF-8)
        head, _, body = got.partition(b"\r\n\r\n")
        if b"application/json" in head and body and b"HTTP/1." not in body:
            try:
                json.loads(body.decode("utf-8"))
            except ValueError:
                self.bad_json.append((data[:300], got[:400]))
        self.codes[code] = self.codes.get(code, 0) + 1
        self.sent += 1
        return got

    def one(self):
        method, path, seed = self.rng.choice(ENDPOINTS)
        req = self.request(method, self.path(path), seed)
        got = self.send(req)
        if self.show and got.startswith(b"HTTP/1.1 " + self.show.encode()):
            print("http_fuzz: %r\n  -> %r" % (req[:600], got[:400]))
        # learn ids the daemon hands out, so later requests reach real records
        for key, pat in (("cases", rb'"number":(\d+)'), ("runs", rb'"run(?:_id)?":"([0-9a-f-]{36})"'),
                         ("prompts", rb'"prompt(?:_id)?":"([0-9a-f-]{36})"')):
            for v in re.findall(pat, got)[:2]:
                v = v.decode()
                if v not in self.ids[key] and len(self.ids[key]) < 50:
                    self.ids[key].append(v)


def run(cmd, env, **kw):
    return subprocess.run(cmd, env=env, capture_output=True, text=True, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--soarctl", default=os.path.join(SRC, "build-asan", "soarctl"))
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--playbooks", default=os.path.join(SRC, "playbooks"))
    ap.add_argument("--keep", action="store_true", help="keep the data directory and log")
    ap.add_argument("--no-leak-check", action="store_true", help="for a build without ASan")
    ap.add_argument("--show", default="", help="print the requests answered with this status (e.g. 500)")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else int(time.time())
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix="soarctl-http-fuzz-")
    env = dict(os.environ, SOARCTL_DATA=os.path.join(tmp, "data"), USER="fuzzadmin",
               SOARCTL_CONN_TIMEOUT="2", SOARCTL_LOG_LEVEL="warn",
               ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:exitcode=23",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    log_path = os.path.join(tmp, "serve.log")
    daemon = None
    try:
        r = run([a.soarctl, "init"], env)
        if r.returncode != 0:
            print("init failed:", r.stderr, file=sys.stderr)
            return 2
        admin = run([a.soarctl, "user", "token", "--label", "fuzz"], env).stdout.strip()
        run([a.soarctl, "user", "add", "fuzzviewer", "--role", "viewer"], env)
        viewer = run([a.soarctl, "user", "token", "fuzzviewer", "--label", "v"], env).stdout.strip()
        if not admin.startswith("soar_") or not viewer.startswith("soar_"):
            print("no tokens:", admin, viewer, file=sys.stderr)
            return 2
        log = open(log_path, "w")
        daemon = subprocess.Popen([a.soarctl, "serve", "--listen", "127.0.0.1:0", "--playbooks",
                                   a.playbooks, "--mock"], env=env, stderr=log, stdout=log)
        port = None
        for _ in range(200):
            m = re.search(r"listening on .* \(port (\d+)\)", open(log_path).read())
            if m:
                port = int(m.group(1))
                break
            if daemon.poll() is not None:
                break
            time.sleep(0.05)
        if not port:
            print("the daemon did not start:\n" + open(log_path).read(), file=sys.stderr)
            return 2
        f = Fuzzer(port, {"admin": admin, "viewer": viewer}, rng,
                   {"cases": ["1", "2"], "runs": [RUN_ID], "prompts": [PROMPT_ID]})
        f.show = a.show
        t0 = time.time()
        down = None
        while time.time() - t0 < a.seconds and f.sent < a.requests:
            try:
                f.one()
            except OSError as e:
                if daemon.poll() is not None:
                    down = "the daemon died (exit %s) after %d requests: %s" % (daemon.returncode, f.sent, e)
                    break
        took = time.time() - t0
        # let the runs the requests started finish (a worker still inside a run
        # makes SIGTERM leave without the exit handlers, so without a leak check)
        for _ in range(60):
            try:
                got = f.send(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            except OSError:
                break
            m = re.search(rb"\nsoarctl_work_queue_depth (\d+)", got)
            started = re.search(rb"\nsoarctl_runs_started_total (\d+)", got)
            done = [re.search(rb"\nsoarctl_runs_%s_total (\d+)" % k, got) for k in (b"succeeded", b"failed", b"waiting")]
            if m and int(m.group(1)) == 0 and started and all(done) and \
                    sum(int(d.group(1)) for d in done) >= int(started.group(1)):
                break
            time.sleep(0.5)
        time.sleep(2)
        rc = None
        if daemon.poll() is None:
            daemon.send_signal(signal.SIGTERM)
            try:
                rc = daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                daemon.kill()
                rc = daemon.wait()
                down = down or "the daemon did not stop within 60 s of SIGTERM"
        else:
            rc = daemon.returncode
        log.close()
        text = open(log_path, errors="replace").read()
        codes = " ".join("%s:%d" % kv for kv in sorted(f.codes.items()))
        print("http_fuzz: seed %d, %d requests in %.0f s (%.0f/s); answers %s; daemon exit %s"
              % (seed, f.sent, took, f.sent / max(took, 1e-9), codes, rc))
        failed = False
        if f.bad_json:
            print("http_fuzz: %d JSON answers were not valid JSON, e.g.:\n  %r\n  -> %r"
                  % (len(f.bad_json), f.bad_json[0][0], f.bad_json[0][1]))
            failed = True
        if down:
            print("http_fuzz: " + down)
            failed = True
        for bad in ("ERROR: AddressSanitizer", "runtime error:", "stopped with work in flight"):
            if bad in text:
                print("http_fuzz: the log has '%s'" % bad)
                failed = True
        m = re.search(r"SUMMARY: AddressSanitizer: (\d+) byte\(s\) leaked in (\d+) allocation", text)
        if m:
            print("http_fuzz: LeakSanitizer: %s bytes leaked in %s allocations" % (m.group(1), m.group(2)))
            # the first stacks, enough to see where
            i = text.find("ERROR: LeakSanitizer")
            print(text[i:i + 6000])
            failed = True
        elif "LeakSanitizer" in text:
            failed = True
            print("http_fuzz: LeakSanitizer said something unexpected; see the log")
        elif not a.no_leak_check:
            # an ASan build prints nothing when it finds no leak: tell the two apart
            asan = b"__asan_init" in open(a.soarctl, "rb").read()
            if asan and rc == 0:
                print("http_fuzz: LeakSanitizer: 0 bytes leaked")
            else:
                print("http_fuzz: leak check skipped (%s)" %
                      ("not an ASan build" if not asan else "daemon exit %s" % rc))
                failed = True
        if rc not in (0, None) and not m:
            failed = True
        if failed or a.keep:
            keep = tempfile.mkdtemp(prefix="soarctl-http-fuzz-log-")
            shutil.copy(log_path, keep)
            print("http_fuzz: daemon log kept in %s/serve.log" % keep)
        return 1 if failed else 0
    finally:
        if daemon and daemon.poll() is None:
            daemon.kill()
        if not a.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
