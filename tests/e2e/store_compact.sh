#!/usr/bin/env bash
# soarctl store compact: refused while the daemon has the store open; offline it
# rewrites the store smaller (free pages left by updates dropped), with every
# case, the audit chain (which records the compaction) and the consistency
# intact; a compaction cut short (a stale DATA/.compact) does not stop the next.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
D="$SOAR_TMP/data"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || fail "init"
TOK=$("$S" user token --label e2e 2>/dev/null)
big=$(head -c 3000 /dev/zero | tr '\0' x)
for i in $(seq 40); do
	"$S" case new --title "case $i" --type bulk >/dev/null || fail "case new"
done
# updates rewrite pages (copy-on-write): the file keeps the freed ones
for r in 1 2 3; do
	for i in $(seq 40); do "$S" case update "$i" --custom "{\"pad\":\"$big$r\"}" >/dev/null || fail "update"; done
done
for i in $(seq 40); do "$S" case update "$i" --custom '{}' >/dev/null; done
"$S" case list --json --limit 100 > "$SOAR_TMP/before.json"

mkdir -p "$SOAR_TMP/pb"
serve_start --playbooks "$SOAR_TMP/pb"
expect_exit 1 -- "$S" store compact
contains "$err" "open in another process (pid $DPID)"
contains "$err" "stop the daemon"
serve_stop || fail "daemon exit"

# a stale half-written copy from a crash
mkdir -p "$D/.compact"; head -c 10000 /dev/urandom > "$D/.compact/store.mdb"
size0=$(stat -c %s "$D/store.mdb")
expect_exit 0 -- "$S" store compact --json
b=$(json_field "$out" 'j["bytes_before"]'); a=$(json_field "$out" 'j["bytes_after"]')
checks=$((checks + 1))
[ "$a" -lt "$b" ] || fail "not smaller: $out"
[ "$(stat -c %s "$D/store.mdb")" = "$a" ] || fail "file size after: $(stat -c %s "$D/store.mdb") want $a"
[ "$(stat -c %s "$D/store.mdb")" -lt "$size0" ] || fail "the file did not shrink"
[ ! -e "$D/.compact" ] || fail "DATA/.compact left behind"
"$S" case list --json --limit 100 > "$SOAR_TMP/after.json"
checks=$((checks + 1))
cmp -s "$SOAR_TMP/before.json" "$SOAR_TMP/after.json" || fail "cases differ after compaction"
expect_exit 0 -- "$S" store check
expect_exit 0 -- "$S" audit verify
expect_exit 0 -- "$S" audit list --last 2 --json
contains "$out" '"store.compact"'
# the store keeps working: a write after compaction
expect_exit 0 -- "$S" case new --title after --type bulk --json
[ "$(json_field "$out" 'j["number"]')" = 41 ] || fail "next case number: $out"
finish
