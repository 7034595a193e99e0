#!/usr/bin/env bash
# soarctl case export / import: export every case as JSON lines, import them
# into a fresh data directory, export again: the two files are identical (same
# numbers, ids, times, timelines, links, attachments). A second import skips
# what is there; --since leaves out older cases; a bad line is refused with its
# line number; the imported store checks clean and answers queries.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
"$S" init >/dev/null 2>&1 || fail "init"
"$S" case new --title "phish one" --type phishing --severity high --labels a,b \
	--dedupe-key "mail:1" --custom '{"n":1,"s":"é"}' --owner alice >/dev/null 2>&1 || fail "new 1"
"$S" case new --title "child" --parent 1 --sla-due +4h --sla-pause-pending true >/dev/null 2>&1 || fail "new 2"
"$S" case update 2 --status pending >/dev/null 2>&1 || fail "pending"
printf 'attached bytes\n' > "$SOAR_TMP/a.txt"
"$S" case attach 1 "$SOAR_TMP/a.txt" >/dev/null 2>&1 || fail "attach"
"$S" case attach 2 "$SOAR_TMP/a.txt" --name same.txt >/dev/null 2>&1 || fail "attach 2"
"$S" case link 1 2 >/dev/null 2>&1 || fail "link"
"$S" case note 1 "a note" --kind result >/dev/null 2>&1 || fail "note"
"$S" case new --title "closed one" --type malware --dedupe-key "mail:2" \
	--source '{"src_ip":"203.0.113.5"}' >/dev/null 2>&1 || fail "new 3"
"$S" case close 3 --reason "false positive" >/dev/null 2>&1 || fail "close"
sleep 0.05
cut=$("$PY" -c 'import time; print("%.3f" % time.time())')
sleep 0.05
"$S" case new --title "late" >/dev/null 2>&1 || fail "new 4"

expect_exit 0 -- "$S" case export --since @0 --out "$SOAR_TMP/e1.jsonl"
contains "$out" "exported 4 cases"
[ "$(wc -l < "$SOAR_TMP/e1.jsonl")" = 4 ] || fail "4 lines"
head -1 "$SOAR_TMP/e1.jsonl" | "$PY" -c 'import json,sys; j=json.loads(sys.stdin.read()); assert j["format"]=="soarctl-case-v1" and j["case"]["number"]==1 and len(j["timeline"])>=4 and j["related"]==[2] and len(j["attachments"])==1, j' ||
	fail "the first line"
expect_exit 0 -- "$S" case export --since "@$cut" --format jsonl
[ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "--since: $out"
contains "$out" '"title":"late"'
expect_exit 2 -- "$S" case export --since @0 --format csv
contains "$err" "jsonl is the one format"
expect_exit 2 -- "$S" case export
contains "$err" "needs --since"

# import into a new data directory, export again: identical
export SOARCTL_DATA="$SOAR_TMP/fresh"
"$S" init >/dev/null 2>&1 || fail "init fresh"
expect_exit 0 -- "$S" case import "$SOAR_TMP/e1.jsonl"
contains "$out" "imported 4 cases, 0 already there, 0 refused"
expect_exit 0 -- "$S" case export --since @0 --out "$SOAR_TMP/e2.jsonl"
cmp -s "$SOAR_TMP/e1.jsonl" "$SOAR_TMP/e2.jsonl" || fail "export, import, export differ: $(diff "$SOAR_TMP/e1.jsonl" "$SOAR_TMP/e2.jsonl" | head -5)"
expect_exit 0 -- "$S" store check
contains "$out" "store consistent"
expect_exit 0 -- "$S" case list --dedupe-key mail:1 --json
[ "$(json_field "$out" '[c["number"] for c in j["cases"]]')" = "[1]" ] || fail "dedupe index: $out"
expect_exit 0 -- "$S" case children 1 --json
[ "$(json_field "$out" '[c["number"] for c in j["cases"]]')" = "[2]" ] || fail "children: $out"
# an open case's dedupe key is live again: the same key dedupes into #1
expect_exit 0 -- "$S" case new --title again --dedupe-key mail:1 --json
[ "$(json_field "$out" 'j["number"]')" = 1 ] || fail "dedupe after import: $out"
# the number counter went past the imported numbers
expect_exit 0 -- "$S" case new --title next --json
[ "$(json_field "$out" 'j["number"]')" = 5 ] || fail "the next number: $out"
# again: everything is there already
expect_exit 0 -- "$S" case import "$SOAR_TMP/e1.jsonl"
contains "$out" "imported 0 cases, 4 already there"
expect_exit 0 -- "$S" audit list --json
contains "$out" '"action":"case.import"'
# a bad line and a number taken by another case are refused, by line
{ echo '{"format":"soarctl-case-v1","case":{"number":9}}'; echo 'not json';
  sed -n 1p "$SOAR_TMP/e1.jsonl" | sed 's/"id":"[0-9a-f-]*"/"id":"01a00000-0000-7000-8000-000000000001"/'; } > "$SOAR_TMP/bad.jsonl"
expect_exit 1 -- "$S" case import "$SOAR_TMP/bad.jsonl"
contains "$err" "bad.jsonl line 1: a case needs number, id, title"
contains "$err" "line 2: not a JSON line"
contains "$err" "line 3: case #1 (01a00000-0000-7000-8000-000000000001): this store already has a case #1"
expect_exit 0 -- "$S" store check
finish
