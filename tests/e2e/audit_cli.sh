#!/usr/bin/env bash
# soarctl audit: list, verify, checkpoint; tampering with the LMDB file itself
# (mdb_dump/mdb_load): a changed byte and swapped entries are found at the
# right sequence number; a rolled-back copy (the tail cut) is found against a
# checkpoint taken later.
SOAR_NO_INIT=1 . "$(dirname "$0")/lib.bash"  # it runs init itself
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

# The keyed chain (issue 12): no checkpoint needed. An attacker with the data
# directory but not the master key rebuilds store.mdb from an edited dump.
export SOARCTL_MASTER_KEY_FILE="$SOAR_TMP/elsewhere/master.key"
K="$SOAR_TMP/keyed"
mkdir -p "$SOAR_TMP/elsewhere"
expect_exit 0 -- "$SOARCTL" init --data "$K"
for u in k1 k2 k3 k4 k5 k6; do expect_exit 0 -- "$SOARCTL" user add "$u" --role viewer --data "$K"; done
expect_exit 0 -- "$SOARCTL" audit verify --data "$K" --json
[ "$(json_field "$out" 'j["intact"]')" = True ] || fail "keyed verify: $out"
[ "$(json_field "$out" 'j["keyed_from"]')" = 1 ] || fail "a new store is keyed from entry 1: $out"
cp -a "$K" "$SOAR_TMP/keyed-pristine"
# tamper MODE: dump every database, edit the audit entries (python below),
# load into a new file in place of store.mdb
tamper() {
	mdb_dump -a -n "$K/store.mdb" > "$SOAR_TMP/all.dump"
	python3 - "$SOAR_TMP/all.dump" "$1" <<'PY'
import hashlib, sys
path, mode = sys.argv[1], sys.argv[2]
lines = open(path).read().split("\n")
# the audit section: after "database=audit" ... "HEADER=END", pairs until "DATA=END"
i = lines.index("database=audit")
start = lines.index("HEADER=END", i) + 1
end = lines.index("DATA=END", start)
recs = [(lines[j], lines[j + 1]) for j in range(start, end, 2)]
def plain_rechain(recs, first):
    # recompute every hash from entry `first` on as the old plain SHA-256
    # chain: what someone without the key can do
    prev = bytes.fromhex(recs[first - 2][1].strip())[-32:] if first > 1 else bytes(32)
    out = recs[:first - 1]
    for n, (k, v) in enumerate(recs[first - 1:], start=first):
        b = bytearray(bytes.fromhex(v.strip()))
        b[0] = 1
        b[1:9] = n.to_bytes(8, "big")
        body = bytes(b[:-64]) + prev
        h = hashlib.sha256(b"soarctl-audit-v1" + body).digest()
        out.append((" " + n.to_bytes(8, "big").hex(), " " + (body + h).hex()))
        prev = h
    return out
if mode == "truncate":          # the last two entries cut off
    recs = recs[:-2]
elif mode == "edit":            # entry 3's actor changed, hashes recomputed (plain SHA-256)
    b = bytearray(bytes.fromhex(recs[2][1].strip()))
    b[20] ^= 1
    recs[2] = (recs[2][0], " " + b.hex())
    recs = plain_rechain(recs, 3)
elif mode == "delete":          # entry 4 removed, the rest renumbered and rechained
    recs = recs[:3] + recs[4:]
    recs = plain_rechain(recs, 4)
lines[start:end] = [x for r in recs for x in r]
open(path, "w").write("\n".join(lines))
PY
	rm -f "$SOAR_TMP/new.mdb" "$SOAR_TMP/new.mdb-lock"
	mdb_load -n -f "$SOAR_TMP/all.dump" "$SOAR_TMP/new.mdb" || fail "mdb_load"
	mv "$SOAR_TMP/new.mdb" "$K/store.mdb"
	rm -f "$K/store.mdb-lock" "$SOAR_TMP/new.mdb-lock"
}
restore() { rm -rf "$K" && cp -a "$SOAR_TMP/keyed-pristine" "$K"; }
tamper none
expect_exit 0 -- "$SOARCTL" audit verify --data "$K"
tamper truncate
expect_exit 1 -- "$SOARCTL" audit verify --data "$K"
contains "$err" "TAMPERED at entry 6: the log was truncated: the head record says 7 entries"
restore
tamper edit
expect_exit 1 -- "$SOARCTL" audit verify --data "$K"
contains "$err" "TAMPERED at entry 3: the entry is not keyed"
restore
tamper delete
expect_exit 1 -- "$SOARCTL" audit verify --data "$K" --json
[ "$(json_field "$out" 'j["first_bad"]')" = 4 ] || fail "delete: $out"
contains "$err" "rewritten without the key"
# an old head put back: the store of an hour ago (its head record and entries
# agree) behind today's head file
restore
cp -a "$K" "$SOAR_TMP/keyed-old"
expect_exit 0 -- "$SOARCTL" user add k7 --role viewer --data "$K"
expect_exit 0 -- "$SOARCTL" user add k8 --role viewer --data "$K"
cp "$SOAR_TMP/keyed-old/store.mdb" "$K/store.mdb"; rm -f "$K/store.mdb-lock"
expect_exit 1 -- "$SOARCTL" audit verify --data "$K"
contains "$err" "truncated or rolled back: the head file says"
# a forged head file (its MAC needs the key) is refused too
restore
sed -i 's/ 7 / 9 /' "$K/audit.head"
expect_exit 1 -- "$SOARCTL" audit verify --data "$K"
contains "$err" "head file fails authentication"
# without the master key there is nothing to check it with: said, not guessed
restore
SOARCTL_MASTER_KEY_FILE="$SOAR_TMP/nokey" expect_exit 1 -- "$SOARCTL" audit verify --data "$K"
contains "$err" "master key"
unset SOARCTL_MASTER_KEY_FILE

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
