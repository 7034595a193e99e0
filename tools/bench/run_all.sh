#!/bin/sh
# Runs every benchmark against a build directory (default ./build) and prints
# their figures. `make bench` calls it. Figures go to docs/PERFORMANCE.md by hand,
# with the machine they were measured on.
set -eu
BUILD=${1:-build}
cd "$(dirname "$0")/../.."
echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d)"
echo "## pool: trivial playbook runs per second (bench_pool 200000 5)"
"$BUILD/tools/bench/bench_pool" 200000 5
echo "## cold start: soarctl run playbooks/hello.lua (cold_start.py, 200 runs)"
python3 tools/bench/cold_start.py "$BUILD/soarctl" playbooks/hello.lua 200
for b in "$BUILD"/tools/bench/bench_*; do
	case "$b" in *bench_pool) continue ;; esac
	[ -x "$b" ] || continue
	echo "## $(basename "$b")"
	"$b"
done
