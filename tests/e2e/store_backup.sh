#!/usr/bin/env bash
# soarctl backup / restore: a backup taken while the daemon ingests alerts holds
# every case acknowledged before it started; restore checks the backup (manifest,
# checksum, structure, audit chain) and writes a new data directory whose audit
# chain verifies and whose secrets open with the key supplied. Refusals: an
# existing destination, a missing, damaged or tampered source, a data directory
# in use.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=; POSTER=
trap '[ -n "$POSTER" ] && kill "$POSTER" 2>/dev/null; [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT

"$S" init >/dev/null 2>&1 || fail "init"
TOK=$("$S" user token --label e2e 2>/dev/null)
V1='backup-secret-value-1'
"$S" secret set vt.api_key < <(printf '%s' "$V1") >/dev/null 2>&1 || fail "secret set"
"$S" secret grant vt.api_key --playbook reader >/dev/null 2>&1 || fail "grant"
cat > "$SOAR_TMP/reader.lua" <<'LUA'
return { name = "reader", run = function()
  return { sha = crypto.sha256(secret.get("vt.api_key")) }
end }
LUA
want_sha=$(printf '%s' "$V1" | sha256sum | cut -d' ' -f1)
pb="$SOAR_TMP/playbooks"; mkdir -p "$pb"
serve_start --playbooks "$pb"

# The poster: batches of 20 alerts, one request after another; each acknowledged
# case number goes to acked.txt once the 202 is in.
acked="$SOAR_TMP/acked.txt"; : > "$acked"
batch=$("$PY" -c 'import json; print(json.dumps([{"type":"bk","n":i} for i in range(20)]))')
(
	while [ ! -e "$SOAR_TMP/stop" ]; do
		curl -s -H "Authorization: Bearer $TOK" -X POST "$A/api/v1/alerts" -d "$batch" |
			"$PY" -c 'import json,sys
for a in json.load(sys.stdin)["alerts"]:
    if "case_number" in a: print(a["case_number"])' >> "$acked" 2>/dev/null
	done
) &
POSTER=$!
for _ in $(seq 200); do [ "$(wc -l < "$acked")" -ge 200 ] && break; sleep 0.05; done
[ "$(wc -l < "$acked")" -ge 200 ] || fail "the poster got no acknowledgements"
cp "$acked" "$SOAR_TMP/acked_before"
B="$SOAR_TMP/bk1"
expect_exit 0 -- "$S" backup "$B" --json
man=$out
# ingestion goes on after the backup (no lock left behind)
after=$(wc -l < "$acked")
for _ in $(seq 100); do [ "$(wc -l < "$acked")" -gt "$after" ] && break; sleep 0.05; done
checks=$((checks + 1))
[ "$(wc -l < "$acked")" -gt "$after" ] || fail "ingestion stalled after the backup"
touch "$SOAR_TMP/stop"; wait "$POSTER"; POSTER=
[ "$(json_field "$man" 'j["manifest"]["key_included"]')" = False ] || fail "key included by default: $man"
[ "$(json_field "$man" 'j["manifest"]["schema"]')" = 3 ] || fail "schema in manifest: $man"
[ ! -e "$B/master.key" ] || fail "the key was copied without --with-key"
[ "$(json_field "$man" 'j["manifest"]["data_sha256"]')" = "$(sha256sum "$B/store.mdb" | cut -d' ' -f1)" ] ||
	fail "manifest checksum differs from the file"
lacks "$err" "warning" "a backup without the key"
contains "$(cat "$B/manifest.json")" '"format":"soarctl-backup-v1"'
serve_stop || fail "daemon exit"

# restore into a new directory; every case acknowledged before the backup is there
R="$SOAR_TMP/restored"
expect_exit 0 -- "$S" restore "$B" --data "$R"
# The audit chain is keyed with the master key, which this backup does not hold.
contains "$out" "audit log keyed with the master key, not verified here"
contains "$out" "holds no master key" "restore without the key says how to provide it"
got=$(SOARCTL_DATA="$R" "$PY" - "$S" <<'PY'
import json, subprocess, sys
seen, cur = set(), None
while True:
    cmd = [sys.argv[1], "case", "list", "--json", "--limit", "1000", "--type", "bk"]
    if cur: cmd += ["--cursor", cur]
    j = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    seen.update(c["number"] for c in j["cases"])
    cur = j["next"]
    if not cur: break
print(" ".join(str(n) for n in sorted(seen)))
PY
)
missing=$("$PY" -c 'import sys
have = set(sys.argv[1].split())
print(" ".join(l.strip() for l in open(sys.argv[2]) if l.strip() and l.strip() not in have))' "$got" "$SOAR_TMP/acked_before")
checks=$((checks + 1))
[ -z "$missing" ] || fail "acknowledged before the backup, missing after restore: $missing"
n_restored=$(echo "$got" | wc -w)
[ "$n_restored" = "$(json_field "$man" 'j["manifest"]["counts"]["cases"]')" ] ||
	fail "restored $n_restored cases, the manifest says $(json_field "$man" 'j["manifest"]["counts"]["cases"]')"
expect_exit 1 -- "$S" audit verify --data "$R"
contains "$err" "give it" "verifying the keyed chain without the key"
expect_exit 0 -- env SOARCTL_MASTER_KEY_FILE="$SOARCTL_DATA/master.key" "$S" audit verify --data "$R"
contains "$out" "audit log intact"
expect_exit 0 -- "$S" audit list --data "$R" --last 5 --json
# secrets: unreadable without the key, readable with it
expect_exit 1 -- env SOARCTL_MASTER_KEY_FILE="$R/none.key" "$S" run "$SOAR_TMP/reader.lua" --data "$R" --json
expect_exit 0 -- env SOARCTL_MASTER_KEY_FILE="$SOAR_TMP/data/master.key" "$S" run "$SOAR_TMP/reader.lua" --data "$R" --json
[ "$(json_field "$out" 'j["result"]["sha"]')" = "$want_sha" ] || fail "secret after restore: $out"
# the backup itself is in the live store's audit log
expect_exit 0 -- "$S" audit list --from 1 --json
contains "$out" '"store.backup"'

# --with-key (and --compact): the key file is copied (0600) with a warning
B2="$SOAR_TMP/bk2"; mkdir "$B2"   # an existing empty directory is fine
expect_exit 0 -- "$S" backup "$B2" --with-key --compact --json
contains "$err" "warning" "--with-key"
contains "$err" "master key"
[ "$(stat -c %a "$B2/master.key")" = 600 ] || fail "key file mode in the backup"
[ "$(json_field "$out" 'j["manifest"]["key_included"]')" = True ] || fail "key_included: $out"
[ "$(json_field "$out" 'j["manifest"]["compact"]')" = True ] || fail "compact: $out"
R2="$SOAR_TMP/restored2"
expect_exit 0 -- "$S" restore "$B2" --data "$R2" --json
[ "$(json_field "$out" 'j["key_included"]')" = True ] || fail "restore key: $out"
expect_exit 0 -- env -u SOARCTL_MASTER_KEY_FILE "$S" run "$SOAR_TMP/reader.lua" --data "$R2" --json
[ "$(json_field "$out" 'j["result"]["sha"]')" = "$want_sha" ] || fail "secret after restore with key: $out"

# refusals
# --with-key without a key file: refused before anything is written
expect_exit 1 -- env SOARCTL_MASTER_KEY_FILE="$SOAR_TMP/no.key" "$S" backup "$SOAR_TMP/bk3" --with-key
contains "$err" "no key file at $SOAR_TMP/no.key"
[ ! -e "$SOAR_TMP/bk3" ] || fail "a refused backup created its directory"
# a key file others can read: refused after the copy, and nothing is left behind
chmod 644 "$SOAR_TMP/data/master.key"
expect_exit 1 -- "$S" backup "$SOAR_TMP/bk3" --with-key
contains "$err" "chmod 600"
contains "$err" "nothing was kept"
[ ! -e "$SOAR_TMP/bk3" ] || fail "a failed backup left $(ls "$SOAR_TMP/bk3" 2>&1)"
chmod 600 "$SOAR_TMP/data/master.key"
mkdir "$SOAR_TMP/bk4"
chmod 644 "$SOAR_TMP/data/master.key"
expect_exit 1 -- "$S" backup "$SOAR_TMP/bk4" --with-key
[ -d "$SOAR_TMP/bk4" ] && [ -z "$(ls -A "$SOAR_TMP/bk4")" ] || fail "an empty DEST given by the user: kept, and empty"
chmod 600 "$SOAR_TMP/data/master.key"
expect_exit 1 -- "$S" backup "$B"
contains "$err" "is not empty"
: > "$SOAR_TMP/afile"
expect_exit 1 -- "$S" backup "$SOAR_TMP/afile"
contains "$err" "not a directory"
expect_exit 2 -- "$S" backup
expect_exit 2 -- "$S" restore "$B"
contains "$err" "needs --data"
expect_exit 1 -- "$S" restore "$SOAR_TMP/nothing" --data "$SOAR_TMP/r3"
contains "$err" "does not exist"
expect_exit 1 -- "$S" restore "$B" --data "$R"
contains "$err" "not empty"
mkdir -p "$SOAR_TMP/notbk"; echo x > "$SOAR_TMP/notbk/f"
expect_exit 1 -- "$S" restore "$SOAR_TMP/notbk" --data "$SOAR_TMP/r3"
contains "$err" "not a soarctl backup"
# a flipped byte in store.mdb: the checksum catches it, nothing is written
cp -r "$B" "$SOAR_TMP/bad1"
printf '\xff' | dd of="$SOAR_TMP/bad1/store.mdb" bs=1 seek=5000 conv=notrunc 2>/dev/null
expect_exit 1 -- "$S" restore "$SOAR_TMP/bad1" --data "$SOAR_TMP/r3"
contains "$err" "checksum"
[ ! -e "$SOAR_TMP/r3" ] || fail "a refused restore created the data directory"
# a tampered audit entry with the manifest's checksum forged to match: the
# audit check refuses it
cp -r "$B" "$SOAR_TMP/bad2"
mdb_dump -n -s audit "$SOAR_TMP/bad2/store.mdb" > "$SOAR_TMP/audit.dump"
"$PY" - "$SOAR_TMP/audit.dump" <<'PY'
import sys
p = sys.argv[1]; lines = open(p).read().split("\n")
start = lines.index("HEADER=END") + 1
# lines alternate key, value (each " hex"); change one byte inside entry 1's actor
v = lines[start + 1]
i = 1 + 2 * 30
lines[start + 1] = v[:i] + ("41" if v[i:i+2] != "41" else "42") + v[i+2:]
open(p, "w").write("\n".join(lines))
PY
mdb_load -n -s audit -f "$SOAR_TMP/audit.dump" "$SOAR_TMP/bad2/store.mdb" 2>/dev/null || fail "mdb_load"
rm -f "$SOAR_TMP/bad2/store.mdb-lock"
"$PY" - "$SOAR_TMP/bad2" <<'PY'
import hashlib, json, os, sys
d = sys.argv[1]; m = json.load(open(d + "/manifest.json"))
data = open(d + "/store.mdb", "rb").read()
m["data_sha256"] = hashlib.sha256(data).hexdigest(); m["data_bytes"] = len(data)
json.dump(m, open(d + "/manifest.json", "w"))
PY
# (the chain is keyed: the check needs the master key, given here)
expect_exit 1 -- env SOARCTL_MASTER_KEY_FILE="$SOARCTL_DATA/master.key" "$S" restore "$SOAR_TMP/bad2" --data "$SOAR_TMP/r3"
contains "$err" "audit log is broken at entry 1"
[ ! -e "$SOAR_TMP/r3" ] || fail "a refused restore created the data directory"
finish
