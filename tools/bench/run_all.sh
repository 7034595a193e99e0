#!/bin/sh
# Runs every benchmark with the arguments docs/PERFORMANCE.md quotes, against a
# build directory (default ./build), and prints their figures. `make bench` calls
# it; figures go to docs/PERFORMANCE.md by hand, with the machine and the load.
set -eu
BUILD=${1:-build}
B="$BUILD/tools/bench"
cd "$(dirname "$0")/../.."
echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d), load $(cut -d' ' -f1-3 /proc/loadavg)"
run() { echo "## $*"; "$@"; }
run "$B/bench_pool" 200000 5
run python3 tools/bench/cold_start.py "$BUILD/soarctl" playbooks/hello.lua 100
run "$B/bench_runs" replay 1000
run "$B/bench_codec" 7
run "$B/bench_debug" 1000 9
run "$B/bench_runs" steps-loop 2000 50
run "$B/bench_runs" waiting 100000 32
run "$B/bench_hardstop" 1000 10 5
run tools/bench/run_store.sh "$BUILD" 5 -- --cases 100000 --create-only
run "$B/bench_http" rate 2
run "$B/bench_http" loop 1000 200
run "$B/bench_http" loop 10000 1000 0
run tools/bench/bench_serve.sh "$BUILD" 8 3
run tools/bench/bench_serve_runs.sh "$BUILD" 20000 5
run tools/bench/bench_slowloris.sh "$BUILD" 15 3 1100
run env DELAY=1000 tools/bench/bench_serve_runs.sh "$BUILD" 10000 5
run tools/bench/bench_playbook.sh "$BUILD" inbound_ip_reputation 20000 5
