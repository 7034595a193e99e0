#!/usr/bin/env bash
# The daemon under ~20 s of mutated requests to every endpoint (tools/fuzz/http_fuzz.py)
# answers throughout, stops cleanly on SIGTERM, and in the ASan build ends with zero
# LeakSanitizer bytes.
# Runs as e2e.fuzz_serve (labels e2e and fuzz) in both builds; the 10-minute run
# by hand is `tools/fuzz/http_fuzz.py --soarctl build-asan/soarctl --seconds 600`.
. "$(dirname "$0")/lib.bash"
opt=()
grep -q __asan_init "$SOARCTL" || opt=(--no-leak-check)   # the plain build: no LSan
expect_exit 0 -- "$PY" "$SOAR_SRC/tools/fuzz/http_fuzz.py" --soarctl "$SOARCTL" \
	--seconds "${FUZZ_SERVE_SECONDS:-20}" --seed 12 "${opt[@]}"
echo "$out"
contains "$out" "daemon exit 0"
[ ${#opt[@]} -eq 0 ] && contains "$out" "LeakSanitizer: 0 bytes leaked"
finish
