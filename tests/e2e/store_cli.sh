#!/usr/bin/env bash
# soarctl store check / stats from the command line: a consistent store passes
# (exit 0), an entry planted with mdb_load (an EDL entry of no list, a run index
# entry of no run) is reported with exit 1, and restore refuses a backup holding
# such an entry even when its manifest's checksum matches. stats counts per kind,
# per database and per case type.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
D="$SOAR_TMP/data"
"$S" init >/dev/null 2>&1 || fail "init"
"$S" case new --title one --type phishing >/dev/null || fail "case new"
"$S" case new --title two --type phishing >/dev/null || fail "case new"
"$S" case new --title three --type malware >/dev/null || fail "case new"
echo "evidence" > "$SOAR_TMP/ev.txt"
"$S" case attach 1 "$SOAR_TMP/ev.txt" >/dev/null || fail "attach"

expect_exit 0 -- "$S" store check
contains "$out" "store consistent"
expect_exit 0 -- "$S" store check --json
[ "$(json_field "$out" 'j["ok"]')" = True ] || fail "check json: $out"
expect_exit 0 -- "$S" store stats --json
[ "$(json_field "$out" 'j["kinds"]["cases"]["entries"]')" = 3 ] || fail "stats cases: $out"
[ "$(json_field "$out" 'j["kinds"]["blobs"]["entries"]')" = 1 ] || fail "stats blobs: $out"
[ "$(json_field "$out" 'j["case_types"]["phishing"]["cases"]')" = 2 ] || fail "stats types: $out"
[ "$(json_field "$out" 'j["case_types"]["malware"]["cases"]')" = 1 ] || fail "stats types: $out"
[ "$(json_field "$out" 'j["databases"]["audit"]["entries"] > 0')" = True ] || fail "stats audit: $out"
[ "$(json_field "$out" 'j["file_bytes"] >= j["used_bytes"] > 0')" = True ] || fail "stats bytes: $out"
expect_exit 0 -- "$S" store stats
contains "$out" "case type"
contains "$out" "journals"
expect_exit 2 -- "$S" store
expect_exit 2 -- "$S" store frobnicate

# plant DB HEXKEY HEXVALUE FILE: one raw entry through mdb_load
plant() {
	{ mdb_dump -n -s "$1" "$4" | sed '/^HEADER=END/q'; printf ' %s\n %s\nDATA=END\n' "$2" "$3"; } \
		> "$SOAR_TMP/plant.txt"
	mdb_load -n -s "$1" -f "$SOAR_TMP/plant.txt" "$4" 2>/dev/null || fail "mdb_load $1"
}
B="$SOAR_TMP/bk"
expect_exit 0 -- "$S" backup "$B"
# an EDL entry of a list that does not exist ("ghost\0" "198.51.100.1")
plant edl_entries "67686f737400$(printf '198.51.100.1' | od -An -tx1 | tr -d ' \n')" 00 "$D/store.mdb"
# a run index entry of no run (status 1, 16 bytes 0xee)
plant run_idx "01$(printf 'ee%.0s' $(seq 16))" "" "$D/store.mdb"
expect_exit 1 -- "$S" store check
contains "$out" "entries of list 'ghost'"
contains "$out" "run_idx: an entry for run eeeeeeee"
contains "$err" "2 problems found"
expect_exit 1 -- "$S" store check --json
[ "$(json_field "$out" 'j["problems"]')" = 2 ] || fail "check json problems: $out"

# restore refuses an inconsistent backup (manifest checksum made to match)
plant edl_entries "67686f737400aa" 00 "$B/store.mdb"
rm -f "$B/store.mdb-lock"
"$PY" - "$B" <<'PY'
import hashlib, json, sys
d = sys.argv[1]; m = json.load(open(d + "/manifest.json"))
data = open(d + "/store.mdb", "rb").read()
m["data_sha256"] = hashlib.sha256(data).hexdigest(); m["data_bytes"] = len(data)
json.dump(m, open(d + "/manifest.json", "w"))
PY
expect_exit 1 -- "$S" restore "$B" --data "$SOAR_TMP/r"
contains "$err" "inconsistent"
contains "$err" "ghost"
[ ! -e "$SOAR_TMP/r" ] || fail "a refused restore created the data directory"
finish
