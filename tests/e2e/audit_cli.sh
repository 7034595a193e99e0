#!/usr/bin/env bash
# soarctl audit: list, verify, checkpoint; tampering with the LMDB file itself
# (mdb_dump/mdb_load): a changed byte and swapped entries are found at the
# right sequence number; a rolled-back copy (the tail cut) is found against a
# checkpoint taken later.
. "$(dirname "$0")/lib.bash"
DIR="$SOAR_TMP/data"
D=(--data "$DIR")

expect_exit 0 -- "$SOARCTL" audit --help
contains "$out" "checkpoint"
expect_exit 0 -- "$SOARCTL" init "${D[@]}"
for u in uid4001 u2 u3 u4 u5; do expect_exit 0 -- "$SOARCTL" user add "$u" --role viewer "${D[@]}"; done
expect_exit 0 -- "$SOARCTL" audit list "${D[@]}"
contains "$out" "user.bootstrap"
contains "$out" "user.add"
expect_exit 0 -- "$SOARCTL" audit list --last 2 "${D[@]}" --json
[ "$(json_field "$out" '[e["seq"] for e in j["entries"]]')" = "[5, 6]" ] || fail "--last: $out"
expect_exit 0 -- "$SOARCTL" audit list --from 2 "${D[@]}" --json
[ "$(json_field "$out" 'len(j["entries"])')" = 5 ] || fail "--from: $out"
expect_exit 2 -- "$SOARCTL" audit list --last x "${D[@]}"
expect_exit 0 -- "$SOARCTL" audit verify "${D[@]}" --json
[ "$(json_field "$out" 'j["intact"]')" = True ] || fail "verify: $out"
[ "$(json_field "$out" 'j["entries"]')" = 6 ] || fail "verify entries: $out"

# a copy of today's log, then more entries, then a checkpoint of the longer log
cp -a "$DIR" "$SOAR_TMP/rolled-back"
expect_exit 0 -- "$SOARCTL" user add u6 --role viewer "${D[@]}"
expect_exit 0 -- "$SOARCTL" audit checkpoint "${D[@]}"
cp_now=$out
case "$cp_now" in 7:????????????????????????????????????????????????????????????????) ;; *) fail "checkpoint shape: $cp_now" ;; esac
expect_exit 0 -- "$SOARCTL" audit verify --checkpoint "$cp_now" "${D[@]}"
contains "$out" "matches the checkpoint"
expect_exit 2 -- "$SOARCTL" audit verify --checkpoint nonsense "${D[@]}"
# the rolled-back copy verifies on its own (a cut tail leaves a valid chain) ...
expect_exit 0 -- "$SOARCTL" audit verify --data "$SOAR_TMP/rolled-back"
# ... but not against the checkpoint kept elsewhere
expect_exit 1 -- "$SOARCTL" audit verify --checkpoint "$cp_now" --data "$SOAR_TMP/rolled-back"
contains "$err" "TAMPERED at entry 7"
contains "$err" "truncated"

# tampering with the file: dump the audit database, edit, load it back
dump() { mdb_dump -n -s audit "$DIR/store.mdb" > "$SOAR_TMP/audit.dump"; }
load() { mdb_load -n -s audit -f "$SOAR_TMP/audit.dump" "$DIR/store.mdb" 2>/dev/null; }
cp -a "$DIR" "$SOAR_TMP/pristine"
# one byte of entry 3 (its actor), all else equal
dump
python3 - "$SOAR_TMP/audit.dump" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
start = lines.index("HEADER=END") + 1
val = start + 2 * 2 + 1          # value line of the third record
h = lines[val]
pos = 1 + 2 * 40                 # a byte well inside the entry
lines[val] = h[:pos] + ("0" if h[pos] != "0" else "1") + h[pos + 1:]
open(p, "w").write("\n".join(lines))
PY
load
expect_exit 1 -- "$SOARCTL" audit verify "${D[@]}"
contains "$err" "TAMPERED at entry 3"
rm -rf "$DIR" && cp -a "$SOAR_TMP/pristine" "$DIR"
expect_exit 0 -- "$SOARCTL" audit verify "${D[@]}"

# entries 4 and 5 swapped
dump
python3 - "$SOAR_TMP/audit.dump" <<'PY'
import sys
p = sys.argv[1]
lines = open(p).read().split("\n")
start = lines.index("HEADER=END") + 1
a, b = start + 3 * 2 + 1, start + 4 * 2 + 1
lines[a], lines[b] = lines[b], lines[a]
open(p, "w").write("\n".join(lines))
PY
load
expect_exit 1 -- "$SOARCTL" audit verify "${D[@]}" --json
[ "$(json_field "$out" 'j["first_bad"]')" = 4 ] || fail "swap: $out"
contains "$err" "moved or swapped"

# a viewer may not read the log, and the refusal is itself audited
rm -rf "$DIR" && cp -a "$SOAR_TMP/pristine" "$DIR"
if can_switch_uid; then
	as_uid 4001 1 -- "$SOARCTL" audit list "${D[@]}"
	contains "$err" "lacks audit.read"
	expect_exit 0 -- "$SOARCTL" audit list --last 1 "${D[@]}" --json
	[ "$(json_field "$out" 'j["entries"][0]["action"]')" = access.denied ] || fail "refusal audited: $out"
else
	echo "SKIP: acting as another OS user needs root"
fi
expect_exit 0 -- "$SOARCTL" audit verify "${D[@]}"
finish
