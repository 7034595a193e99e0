#!/usr/bin/env python3
"""ab_cpu.py - two builds compared by CPU time, interleaved, for a loaded machine.

When other work shares the cores, wall-clock figures swing too much to compare
two builds; the CPU time (user + system) their processes take swings much less.
Rounds alternate between the builds so that both see the same minutes.

Usage: ab_cpu.py NAME_A BUILD_A SRC_A NAME_B BUILD_B SRC_B
  (SRC: the source tree of that build, for playbooks/hello.lua)
Prints, per figure and build, the median over the rounds and every round.
"""
import resource
import statistics
import subprocess
import sys
import tempfile


def cpu(argv, cwd=None, times=1):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(times):
        subprocess.run(argv, cwd=cwd, capture_output=True, check=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / times


def cpu_out(argv):
    """CPU seconds of one run of argv, and what it printed (stdout + stderr)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(argv, capture_output=True, text=True, check=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime, p.stdout + p.stderr


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    builds = [tuple(sys.argv[1:4]), tuple(sys.argv[4:7])]
    figures = [
        ("CPU ms per `soarctl run playbooks/hello.lua` (40 a round)", 5, 1000,
         lambda b, src, d: cpu([b + "/soarctl", "run", "--data", d, "playbooks/hello.lua",
                                "--input", "name=x"], cwd=src, times=40)),
        ("CPU s of `bench_runs replay 1000`", 3, 1,
         lambda b, src, d: cpu([b + "/tools/bench/bench_runs", "replay", "1000"])),
        ("CPU s of `bench_pool 200000 5`", 3, 1,
         lambda b, src, d: cpu([b + "/tools/bench/bench_pool", "200000", "5"])),
    ]
    for title, rounds, scale, run in figures:
        res = {name: [] for name, _, _ in builds}
        for _ in range(rounds):
            for name, b, src in builds:
                d = tempfile.mkdtemp(prefix="soarctl-ab-")
                subprocess.run([b + "/soarctl", "init", "--data", d], capture_output=True, check=True)
                res[name].append(run(b, src, d) * scale)
        for name, v in res.items():
            print("%s, %s: median %.2f (%s)" % (title, name, statistics.median(v),
                                                " ".join("%.2f" % x for x in v)))


if __name__ == "__main__":
    main()
