#!/usr/bin/env python3
"""Cold-process time of `soarctl run PLAYBOOK`: median of N runs, against the
baseline of starting the dynamic loader for /bin/true in the same run.

Usage: cold_start.py SOARCTL [PLAYBOOK] [N]"""
import statistics
import subprocess
import sys
import time


def timed(cmd, n):
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def main():
    soarctl = sys.argv[1]
    playbook = sys.argv[2] if len(sys.argv) > 2 else "playbooks/hello.lua"
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    timed([soarctl, "run", playbook], 10)  # warm the page cache
    runs = timed([soarctl, "run", playbook], n)
    base = timed(["/bin/true"], n)
    med, p90 = statistics.median(runs), sorted(runs)[int(n * 0.9)]
    print(f"soarctl run {playbook}: median {med:.2f} ms, p90 {p90:.2f} ms over {n} runs")
    print(f"/bin/true (process start baseline): median {statistics.median(base):.2f} ms")
    print(f"soarctl run over a bare process start: {med - statistics.median(base):.2f} ms")


if __name__ == "__main__":
    main()
