#!/usr/bin/env bash
# A full disk, on a small tmpfs this test mounts (needs root; skipped otherwise).
# CLI: a write that finds no space fails with the data directory and its free
# space named; every case acknowledged before is there; reads go on; once space
# returns (the tmpfs is made larger) writes work again. Daemon: alerts are
# acknowledged until the disk fills, then answered 507; /healthz answers 507 and
# the metrics say soarctl_store_full 1, while reads (GET /api/v1/cases) go on;
# when space returns the daemon finds it by itself (a probe write a second) and
# takes alerts again. Every acknowledged case is in the store afterwards, which
# checks clean, with an intact audit chain.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
if [ "$(id -u)" != 0 ]; then echo "SKIP: mounting a tmpfs needs root"; exit 0; fi
MNT="$SOAR_TMP/mnt"; mkdir -p "$MNT"
if ! mount -t tmpfs -o size=1536k tmpfs "$MNT" 2>/dev/null; then
	echo "SKIP: cannot mount a tmpfs here (a container without CAP_SYS_ADMIN?)"; exit 0
fi
DPID=; POSTER=
trap '[ -n "$POSTER" ] && kill "$POSTER" 2>/dev/null; [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; sleep 0.2; umount "$MNT" 2>/dev/null' EXIT
export SOARCTL_DATA="$MNT/data"
"$S" init >/dev/null 2>&1 || fail "init on the tmpfs"
TOK=$("$S" user token --label e2e 2>/dev/null)
big=$("$PY" -c 'print("x" * 3000)')
huge=$("$PY" -c 'print("x" * 12000)')

# ---- CLI ----
acked=0
for i in $(seq 1000); do
	if "$S" case new --title "cli $i" --custom "{\"pad\":\"$huge\"}" >/dev/null 2>"$SOAR_TMP/err"; then
		acked=$i
	else
		break
	fi
done
[ "$acked" -gt 5 ] && [ "$acked" -lt 1000 ] || fail "the disk never filled (acked $acked)"
err=$(cat "$SOAR_TMP/err")
contains "$err" "the data directory $SOARCTL_DATA is full ("
contains "$err" "KiB free): free some disk space"
lacks "$err" "Input/output error"
# (the listing is too long for an argument: counted from a pipe)
have=$("$S" case list --json --limit 1000 | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["cases"]))')
[ "$have" = "$acked" ] || fail "acknowledged $acked cases, the store has $have"
expect_exit 0 -- "$S" case show 1
expect_exit 0 -- "$S" store check
mount -o remount,size=3m "$MNT" || fail "remount"
expect_exit 0 -- "$S" case new --title "after space returned"

# ---- daemon ----
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
serve_start --playbooks "$pb"
H="Authorization: Bearer $TOK"
expect_exit 0 -- curl -s -o /dev/null -w '%{http_code}' "$A/healthz"
[ "$out" = 200 ] || fail "healthz before: $out"
: > "$SOAR_TMP/answers"
batch=$("$PY" -c 'import json,sys; print(json.dumps([{"type":"fill","pad":sys.argv[1]} for _ in range(10)]))' "$big")
code=
for i in $(seq 500); do
	code=$(curl -s -o "$SOAR_TMP/ans" -w '%{http_code}' -H "$H" -X POST "$A/api/v1/alerts" -d "$batch")
	[ "$code" = 202 ] || break
	cat "$SOAR_TMP/ans" >> "$SOAR_TMP/answers"; echo >> "$SOAR_TMP/answers"
done
"$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    for a in json.loads(l)["alerts"] if l.strip() else []:
        if "case_number" in a: print(a["case_number"])' "$SOAR_TMP/answers" > "$SOAR_TMP/acked"
[ "$code" = 507 ] || fail "a write on a full disk answered $code, want 507: $(cat "$SOAR_TMP/ans")"
contains "$(cat "$SOAR_TMP/ans")" "is full ("
[ "$(wc -l < "$SOAR_TMP/acked")" -gt 5 ] || fail "few alerts acknowledged before the disk filled"
sleep 0.5
expect_exit 0 -- curl -s -w ' %{http_code}' "$A/healthz"
contains "$out" " 507" "healthz while full"
contains "$out" "$SOARCTL_DATA is full"
expect_exit 0 -- curl -s -H "$H" "$A/metrics"
contains "$out" "soarctl_store_full 1"
expect_exit 0 -- curl -s -o /dev/null -w '%{http_code}' -H "$H" "$A/api/v1/cases?limit=5"
[ "$out" = 200 ] || fail "reads while full: $out"
# While full, one write a second goes through (it may fit in pages the store
# freed, and is then acknowledged and kept); the others get 507 at once: of 6
# writes sent together, at most 2 pass (the second only if a second went by).
pids=
for k in 1 2 3 4 5 6; do
	curl -s -o "$SOAR_TMP/par$k" -w '%{http_code}\n' -H "$H" -X POST "$A/api/v1/alerts" \
		-d '[{"type":"x"}]' > "$SOAR_TMP/code$k" &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
refused=$(cat "$SOAR_TMP"/code? | grep -c '^507$')
[ "$refused" -ge 4 ] || fail "writes while full: $(cat "$SOAR_TMP"/code? | tr '\n' ' ')(want at least 4 of 6 answered 507)"
contains "$(cat "$SOAR_TMP"/par?)" "insufficient_storage"

mount -o remount,size=8m "$MNT" || fail "remount"
ok=
for _ in $(seq 50); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$A/healthz")" = 200 ] && { ok=1; break; }
	sleep 0.1
done
[ -n "$ok" ] || fail "the daemon did not notice the space came back"
expect_exit 0 -- curl -s -o "$SOAR_TMP/ans" -w '%{http_code}' -H "$H" -X POST "$A/api/v1/alerts" -d '[{"type":"fill","n":0}]'
[ "$out" = 202 ] || fail "alerts after recovery: $out"
expect_exit 0 -- curl -s -H "$H" "$A/metrics"
contains "$out" "soarctl_store_full 0"
contains "$(cat "$SOAR_TMP/serve.log")" "write requests get 507"
contains "$(cat "$SOAR_TMP/serve.log")" "has room again"
serve_stop || fail "daemon exit"

# nothing acknowledged was lost
missing=$("$S" case list --type fill --json --limit 1000 | "$PY" -c 'import json,sys
have = {c["number"] for c in json.load(sys.stdin)["cases"]}
print(sorted(int(l) for l in open(sys.argv[1]) if l.strip() and int(l) not in have))' "$SOAR_TMP/acked")
[ "$missing" = "[]" ] || fail "acknowledged but missing: $missing"
expect_exit 0 -- "$S" store check
contains "$out" "store consistent"
expect_exit 0 -- "$S" audit verify
contains "$out" "audit log intact"
finish
