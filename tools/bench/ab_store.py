#!/usr/bin/env python3
"""ab_store.py - the store's figures for two builds, interleaved (issue 11: the
store behind its interface must cost nothing): durable case creation (the path
an ingested alert takes into the store) and a journaled run step (the path of
every run), each as the bench prints it (wall clock) and as the CPU time its
process took (user + system: steadier on a loaded machine, see ab_cpu.py).

Usage: ab_store.py [ROUNDS] NAME_A BUILD_A NAME_B BUILD_B
Prints, per figure and build, the median over the rounds and every round (in
the order run; which build goes first alternates round by round).
"""
import re
import statistics
import sys

from ab_cpu import cpu_out

FIGURES = [
    ("bench_store --cases 20000 --create-only",
     ["tools/bench/bench_store", "--cases", "20000", "--create-only"],
     r"(\d+) durable cases/s", "cases/s"),
    ("bench_runs steps-loop 500 50",
     ["tools/bench/bench_runs", "steps-loop", "500", "50"],
     r"([\d.]+) us/step", "us/step"),
]


def main():
    args = sys.argv[1:]
    rounds = int(args.pop(0)) if len(args) == 5 else 5
    if len(args) != 4:
        sys.exit(__doc__)
    builds = [(args[0], args[1]), (args[2], args[3])]
    for title, argv, pattern, unit in FIGURES:
        wall = {n: [] for n, _ in builds}
        cpus = {n: [] for n, _ in builds}
        for r in range(rounds):
            # Which build goes first alternates: the second of a pair runs while
            # the kernel still writes back the first one's files.
            for name, b in (builds if r % 2 == 0 else builds[::-1]):
                t, out = cpu_out([b + "/" + argv[0]] + argv[1:])
                m = re.search(pattern, out)
                wall[name].append(float(m.group(1)) if m else float("nan"))
                cpus[name].append(t)
        for name, _ in builds:
            print("%s, %s: median %.1f %s (%s); CPU median %.2f s (%s)" % (
                title, name, statistics.median(wall[name]), unit,
                " ".join("%.1f" % x for x in wall[name]), statistics.median(cpus[name]),
                " ".join("%.2f" % x for x in cpus[name])))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
