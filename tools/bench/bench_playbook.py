"""Driver of tools/bench/bench_playbook.sh: posts ALERTS alerts for PLAYBOOK's
trigger, one a request, on CONNS keep-alive connections from two processes (at
RATE alerts/s in all when set), then waits until every run the alerts started
has finished (GET /metrics), and reads the runs' times (soarctl runs list).

    bench_playbook.py PORT TOKEN ALERTS PLAYBOOK SOARCTL"""
import http.client
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time

port, token, n, playbook, soarctl = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
conns = int(os.environ.get("CONNS", "32"))
rate = float(os.environ.get("RATE", "0"))
repeat = float(os.environ.get("REPEAT", "0.25"))
hdrs = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}


def alert(i, rnd):
    """The alert a playbook runs on; for inbound_ip_reputation a share of the
    source IPs repeat an earlier one (pre-processing drops those)."""
    if playbook == "inbound_ip_reputation":
        k = rnd.randrange(max(1, i)) if i and rnd.random() < repeat else i
        # 185.x are bad for the abuseipdb stand-in: one in four.
        first = 185 if k % 4 == 0 else 203
        return {"type": "connection", "src_ip": "%d.%d.%d.%d" % (first, k >> 16 & 255, k >> 8 & 255, k & 255),
                "dst_port": 8333}
    if playbook == "deputise_tune_signature":
        return {"type": "ids_alert", "sid": 2100000 + i, "signature": "bench", "src_ip": "203.0.113.9"}
    sys.exit("bench_playbook: %s has no alert trigger this benchmark knows" % playbook)


def post(proc, nprocs, out):
    import threading
    rnd = random.Random(proc)
    mine = list(range(proc, n, nprocs))
    per_conn = max(1, conns // nprocs)
    acked = [0]
    lock = threading.Lock()
    t0 = time.time()

    def conn(j):
        c = http.client.HTTPConnection("127.0.0.1", port)
        idx = mine[j::per_conn]
        for k, i in enumerate(idx):
            if rate:
                due = t0 + (k * per_conn + j) / (rate / nprocs)
                d = due - time.time()
                if d > 0:
                    time.sleep(d)
            c.request("POST", "/api/v1/alerts", json.dumps(alert(i, rnd)), hdrs)
            r = c.getresponse()
            r.read()
            if r.status != 202:
                sys.exit("post: HTTP %d" % r.status)
            with lock:
                acked[0] += 1

    ts = [threading.Thread(target=conn, args=(j,)) for j in range(per_conn)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    out.put((acked[0], time.time() - t0))


def metrics(c):
    c.request("GET", "/metrics", headers=hdrs)
    out = {}
    for line in c.getresponse().read().decode().splitlines():
        if line.startswith("soarctl_") and " " in line and not line.startswith("#"):
            k, v = line.split(" ", 1)
            try:
                out[k] = float(v)
            except ValueError:
                pass
    return out


q = multiprocessing.Queue()
t0 = time.time()
ps = [multiprocessing.Process(target=post, args=(i, 2, q)) for i in range(2)]
for p in ps:
    p.start()
results = [q.get() for _ in ps]
for p in ps:
    p.join()
posted = max(t for _, t in results)
m = http.client.HTTPConnection("127.0.0.1", port)
started = None
while time.time() - t0 < 600:
    c = metrics(m)
    done = c.get("soarctl_runs_succeeded_total", 0) + c.get("soarctl_runs_failed_total", 0)
    started = c.get("soarctl_runs_started_total", started)
    dropped = c.get("soarctl_alerts_dropped_total", 0) + c.get("soarctl_alerts_deduplicated_total", 0)
    # Every alert either started a run or was dropped as a duplicate.
    if started is not None and done >= started and started + dropped >= n:
        break
    time.sleep(0.02)
t = time.time() - t0
runs = json.loads(subprocess.run([soarctl, "runs", "list", "--json", "--limit", str(n + 10)],
                                 capture_output=True, check=True).stdout)
lat = sorted(r["finished_ms"] - r["created_ms"] for r in runs if r.get("finished_ms"))
ok = sum(1 for r in runs if r["status"] == "succeeded")
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else 0
print("alerts=%d acknowledged in %.2f s: %.0f alerts/s; %d runs (%d succeeded) finished after %.2f s: "
      "%.0f complete runs/s; run created -> finished p50 %d ms, p99 %d ms"
      % (n, posted, n / posted, len(runs), ok, t, len(runs) / t, pct(0.5), pct(0.99)))
