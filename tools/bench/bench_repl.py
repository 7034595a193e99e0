#!/usr/bin/env python3
"""How long a war-room command takes: `!abuseipdb.check ip=...` typed into
`soarctl repl --case 1`, against the loopback stand-in (tools/standins/standin.py),
the result recorded on the case (two timeline entries, each a durable commit).

Figures per round (N commands in one session, --json):
  command   median and p95 of the command itself (duration_ms: parse, type by the
            manifest, load the integration, the HTTP call, the result as text)
  answered  median and p95 of input to answer as the session sees it (command +
            recording on the case + printing), from the time between answers
  baseline  what people do without a REPL: one `soarctl run --case 1` of a
            throw-away playbook making the same call, per lookup (process start
            included), median of its wall time
Rounds are repeated; medians of the rounds are printed last.

Usage: tools/bench/bench_repl.py [BUILD_DIR] [N] [ROUNDS]"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

build = sys.argv[1] if len(sys.argv) > 1 else "build"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
soar = os.path.abspath(os.path.join(build, "soarctl"))
tmp = tempfile.mkdtemp()
standin = subprocess.Popen([sys.executable, os.path.join(root, "tools/standins/standin.py"), "--stdin-eof"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
try:
    port = int(standin.stdout.readline().split()[1])
    env = dict(os.environ, SOARCTL_DATA=os.path.join(tmp, "data"),
               SOARCTL_INTEGRATIONS_CONFIG=os.path.join(tmp, "integrations.json"))
    with open(env["SOARCTL_INTEGRATIONS_CONFIG"], "w") as f:
        json.dump({"abuseipdb": {"base_url": "http://127.0.0.1:%d" % port, "api_key": "test-abuseipdb-key"}}, f)
    subprocess.run([soar, "init"], env=env, capture_output=True, check=True)
    subprocess.run([soar, "case", "new", "--title", "bench"], env=env, capture_output=True, check=True)
    pb = os.path.join(tmp, "lookup.lua")
    with open(pb, "w") as f:
        f.write('return { name = "lookup", run = function(ctx) local r = integration("abuseipdb")'
                '.check{ ip = "185.220.101.4" }; case.note(ctx.case, "score " .. r.score); return r end }\n')

    def pct(xs, p):
        xs = sorted(xs)
        return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]

    summary = {"cmd50": [], "cmd95": [], "ans50": [], "ans95": [], "base50": []}
    print("# %d commands a round, %d rounds; load %s" % (n, rounds, open("/proc/loadavg").read().split()[:3]))
    for rnd in range(rounds):
        p = subprocess.Popen([soar, "repl", "--case", "1", "--json"], env=env, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, bufsize=1)
        durations, answered = [], []
        for i in range(n + 1):
            t0 = time.perf_counter()
            p.stdin.write("!abuseipdb.check ip=185.220.101.4\n")
            p.stdin.flush()
            line = p.stdout.readline()
            t1 = time.perf_counter()
            j = json.loads(line)
            if not j["ok"] or not j["recorded"]:
                sys.exit("bench_repl: the command failed: " + line)
            if i == 0:
                continue  # the first loads the integration's file once
            durations.append(j["duration_ms"])
            answered.append((t1 - t0) * 1e3)
        p.stdin.close()
        p.wait()
        base = []
        for _ in range(20):
            t0 = time.perf_counter()
            subprocess.run([soar, "run", pb, "--case", "1"], env=env, capture_output=True, check=True)
            base.append((time.perf_counter() - t0) * 1e3)
        row = (statistics.median(durations), pct(durations, 95), statistics.median(answered),
               pct(answered, 95), statistics.median(base))
        for k, v in zip(["cmd50", "cmd95", "ans50", "ans95", "base50"], row):
            summary[k].append(v)
        print("round %d: command %.2f ms (p95 %.2f), answered %.2f ms (p95 %.2f); "
              "baseline soarctl run %.1f ms" % ((rnd + 1,) + row))
    m = {k: statistics.median(v) for k, v in summary.items()}
    print("median: command %.2f ms (p95 %.2f), answered %.2f ms (p95 %.2f); baseline %.1f ms (%.0fx)"
          % (m["cmd50"], m["cmd95"], m["ans50"], m["ans95"], m["base50"], m["base50"] / m["ans50"]))
finally:
    standin.stdin.close()
    standin.terminate()
    standin.wait()
    shutil.rmtree(tmp, ignore_errors=True)
