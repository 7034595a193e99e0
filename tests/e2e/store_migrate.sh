#!/usr/bin/env bash
# Schema migration: a data directory written by the previous release (schema 2,
# tests/fixtures/store-schema2.tar.gz, made by main at 861866f) opens with this
# soarctl, which migrates it in the opening transaction (schema 3: the run_done
# index of finished runs, built from the runs already there); everything it held
# reads back, the audit chain verifies, the store checks clean. A store whose
# version is above this soarctl's is refused with a message that says to upgrade.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
tar -C "$SOAR_TMP" -xzf "$SOAR_SRC/tests/fixtures/store-schema2.tar.gz" || fail "fixture"
export SOARCTL_DATA="$SOAR_TMP/data"
before=$(sha256sum "$SOARCTL_DATA/store.mdb" | cut -d' ' -f1)

# A secret written by the old release is readable by a playbook (the keyring migrated intact).
"$S" secret grant vt.api_key --playbook reader >/dev/null 2>&1 || fail "grant on the migrated store"
expect_exit 0 -- "$S" store stats --json
[ "$(json_field "$out" 'j["schema"]')" = 3 ] || fail "schema after migration: $out"
[ "$(json_field "$out" 'j["databases"]["run_done"]["entries"]')" = 2 ] ||
	fail "run_done should hold the fixture's 2 finished runs: $out"
[ "$before" != "$(sha256sum "$SOARCTL_DATA/store.mdb" | cut -d' ' -f1)" ] || fail "the file did not change"

expect_exit 0 -- "$S" store check
contains "$out" "store consistent"
expect_exit 0 -- "$S" audit verify
contains "$out" "audit log intact"
expect_exit 0 -- "$S" case list --json
[ "$(json_field "$out" 'sorted(c["title"] for c in j["cases"])')" = \
  "['Malware on host', 'Old closed', 'Phishing report one', 'conn 185.220.101.4']" ] || fail "cases: $out"
expect_exit 0 -- "$S" case show 1 --json
contains "$out" "looked at headers" "the timeline"
expect_exit 0 -- "$S" case list --dedupe-key mail:1 --json
[ "$(json_field "$out" '[c["number"] for c in j["cases"]]')" = "[1]" ] || fail "dedupe index: $out"
expect_exit 0 -- "$S" runs list --json
contains "$out" "inbound_ip_reputation"
expect_exit 0 -- "$S" edl show blocked_ips
contains "$out" "203.0.113.9"
cat > "$SOAR_TMP/reader.lua" <<'LUA'
return { name = "reader", run = function() return { sha = crypto.sha256(secret.get("vt.api_key")) } end }
LUA
expect_exit 0 -- "$S" run "$SOAR_TMP/reader.lua" --json
contains "$out" "$(printf sekrit-fixture-value | sha256sum | cut -d' ' -f1)" "the old release's secret"
# New writes go on in the migrated store, and a finished run gets its run_done entry.
expect_exit 0 -- "$S" case new --title after-migration
expect_exit 0 -- "$S" run "$SOAR_SRC/playbooks/hello.lua"
expect_exit 0 -- "$S" store stats --json
[ "$(json_field "$out" 'j["databases"]["run_done"]["entries"]')" = 4 ] ||
	fail "run_done after two more runs: $out"
expect_exit 0 -- "$S" store check

# An older soarctl meeting a newer store: write schema 99 in place of 3 (the
# meta record "schema" is followed by its 4-byte value in the leaf page).
"$PY" - "$SOARCTL_DATA/store.mdb" <<'PY' || fail "patching the schema"
import sys
p = sys.argv[1]
b = open(p, "rb").read()
old, new = b"schema\x00\x00\x00\x03", b"schema\x00\x00\x00\x63"
assert old in b, "schema record not found"
open(p, "wb").write(b.replace(old, new))
PY
expect_exit 1 -- "$S" case list
contains "$err" "store was written by a newer soarctl (schema 99; this soarctl knows up to 3): upgrade soarctl"
expect_exit 1 -- "$S" store check
contains "$err" "newer soarctl"
finish
