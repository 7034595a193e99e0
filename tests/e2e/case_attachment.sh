#!/usr/bin/env bash
# Attachments read back: `soarctl case attachment get` (-o FILE, stdout, the
# latest of a name attached twice, a missing name listing the case's), the HTTP
# download (token and case.read checked, media type by extension,
# Content-Disposition attachment with the name safely quoted, bytes as stored),
# case.attachment(ref, name) in Lua, and email.send{attachments = {{case=, name=}}}
# read back from the local SMTP sink.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
smtp_start
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null; kill $SMTP_PID 2>/dev/null' EXIT
"$S" init >/dev/null 2>&1 || true

# ---- the CLI ----
"$PY" -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 3)' > "$SOAR_TMP/blob.bin"
printf 'ip,verdict\n203.0.113.9,malicious\n' > "$SOAR_TMP/report.csv"
printf 'old\n' > "$SOAR_TMP/old.csv"
expect_exit 0 -- "$S" case new --title "Major incident" --severity critical
expect_exit 0 -- "$S" case attach 1 "$SOAR_TMP/blob.bin"
expect_exit 0 -- "$S" case attach 1 "$SOAR_TMP/old.csv" --name report.csv
expect_exit 0 -- "$S" case attach 1 "$SOAR_TMP/report.csv"
expect_exit 0 -- "$S" case attach 1 "$SOAR_TMP/old.csv" --name 'we"ird;name.html'
expect_exit 0 -- "$S" case attachment get 1 blob.bin -o "$SOAR_TMP/got.bin"
cmp -s "$SOAR_TMP/blob.bin" "$SOAR_TMP/got.bin" || fail "-o FILE: the bytes differ"
checks=$((checks + 1))
"$S" case attachment get '#1' report.csv > "$SOAR_TMP/got.csv"
cmp -s "$SOAR_TMP/report.csv" "$SOAR_TMP/got.csv" || fail "stdout: the latest report.csv"
checks=$((checks + 1))
expect_exit 0 -- "$S" case attachment get 1 blob.bin -o "$SOAR_TMP/g2.bin" --json
[ "$(json_field "$out" 'j["size"]')" = 768 ] || fail "--json size: $out"
checks=$((checks + 1))
expect_exit 1 -- "$S" case attachment get 1 nope.txt
contains "$err" "attachment 'nope.txt' not found on case 1 (its attachments: "
contains "$err" "blob.bin"
expect_exit 1 -- "$S" case attachment get 99 blob.bin
expect_exit 2 -- "$S" case attachment get 1
expect_exit 2 -- "$S" case attachment get 1 blob.bin --bogus x

# ---- HTTP ----
TOK=$("$S" user token --label e2e 2>/dev/null)
expect_exit 0 -- "$S" user define-role jobsonly job.manage
expect_exit 0 -- "$S" user add jo --role jobsonly
JO=$("$S" user token jo 2>/dev/null)
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
serve_start --playbooks "$pb"
H=(-H "Authorization: Bearer $TOK")
hdr="$SOAR_TMP/h.txt"
code=$(curl -s -D "$hdr" -o "$SOAR_TMP/h.csv" -w '%{http_code}' "${H[@]}" "$A/api/v1/cases/1/attachments/report.csv")
is_() { checks=$((checks + 1)); [ "$1" = "$2" ] || fail "$3: got $1, want $2"; }
is_ "$code" 200 "download"
cmp -s "$SOAR_TMP/report.csv" "$SOAR_TMP/h.csv" || fail "download: bytes"
contains "$(tr -d '\r' < "$hdr")" "Content-Type: text/csv; charset=utf-8"
contains "$(tr -d '\r' < "$hdr")" "Content-Disposition: attachment; filename=\"report.csv\"; filename*=UTF-8''report.csv"
contains "$(tr -d '\r' < "$hdr")" "X-Content-Type-Options: nosniff"
code=$(curl -s -D "$hdr" -o "$SOAR_TMP/h.bin" -w '%{http_code}' "${H[@]}" "$A/api/v1/cases/1/attachments/blob.bin")
is_ "$code" 200 "binary download"
cmp -s "$SOAR_TMP/blob.bin" "$SOAR_TMP/h.bin" || fail "binary download: bytes"
contains "$(tr -d '\r' < "$hdr")" "Content-Type: application/octet-stream"
code=$(curl -s -D "$hdr" -o /dev/null -w '%{http_code}' "${H[@]}" "$A/api/v1/cases/1/attachments/we%22ird%3Bname.html")
is_ "$code" 200 "a hostile name"
dispo=$(tr -d '\r' < "$hdr" | grep -i '^Content-Disposition:')
is_ "$dispo" "Content-Disposition: attachment; filename=\"we_ird;name.html\"; filename*=UTF-8''we%22ird%3Bname.html" "quoted name"
is_ "$(curl -s -o /dev/null -w '%{http_code}' "$A/api/v1/cases/1/attachments/report.csv")" 401 "no token"
is_ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $JO" "$A/api/v1/cases/1/attachments/report.csv")" 403 "no case.read"
is_ "$(curl -s -o "$SOAR_TMP/e.json" -w '%{http_code}' "${H[@]}" "$A/api/v1/cases/1/attachments/nope.txt")" 404 "unknown name"
contains "$(cat "$SOAR_TMP/e.json")" "not found on case 1"
is_ "$(curl -s -o /dev/null -w '%{http_code}' "${H[@]}" "$A/api/v1/cases/77/attachments/report.csv")" 404 "unknown case"
serve_stop; rc=$?   # under ASan the exit runs LeakSanitizer: a leak fails it
checks=$((checks + 1)); [ "$rc" = 0 ] || fail "the daemon exited $rc (LeakSanitizer?): $(tail -30 "$SOAR_TMP/serve.log")"

# ---- Lua: case.attachment and email.send from a case ----
cat > "$pb/mail.lua" <<'LUA'
return { name = "mail", run = function()
  local data, ctype = case.attachment(1, "report.csv")
  local none, err = case.attachment(1, "nope.txt")
  local r, serr, detail = email.send{ to = "mgmt@example.com", subject = "Major incident update",
    text = "Summary attached.", attachments = { { case = 1, name = "report.csv" },
                                               { case = "#1", name = "blob.bin" } } }
  local miss, merr = email.send{ to = "mgmt@example.com", subject = "x", text = "x",
    attachments = { { case = 1, name = "gone.pdf" } } }
  return { data = data, ctype = ctype, none = none == nil, err = err, sent = r ~= nil, serr = serr,
           detail = detail, miss = miss == nil, merr = merr }
end }
LUA
expect_exit 0 -- "$S" run "$pb/mail.lua" --json
checks=$((checks + 1))
"$PY" - "$out" "$(cat "$SOAR_TMP/report.csv")" <<'PY' || fail "Lua: $out"
import json, sys
r = json.loads(sys.argv[1])["result"]
assert r["data"] == sys.argv[2] + "\n", r
assert r["ctype"] == "text/csv; charset=utf-8", r
assert r["none"] and "not found" in r["err"], r
assert r["sent"], r
assert r["miss"] and r["merr"] == "not_found", r
PY
for _ in $(seq 30); do [ -f "$mail/1.eml" ] && break; sleep 0.1; done
checks=$((checks + 1))
"$PY" - "$mail/1.eml" "$SOAR_TMP/report.csv" "$SOAR_TMP/blob.bin" <<'PY' || fail "the email read back"
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
assert m.get_content_type() == "multipart/mixed", m.get_content_type()
atts = list(m.iter_attachments())
assert [a.get_filename() for a in atts] == ["report.csv", "blob.bin"], [a.get_filename() for a in atts]
assert atts[0].get_content_type() == "text/csv", atts[0].get_content_type()
assert atts[0].get_payload(decode=True) == open(sys.argv[2], "rb").read()
assert atts[1].get_payload(decode=True) == open(sys.argv[3], "rb").read()
assert m.get_body(preferencelist=("plain",)).get_content().startswith("Summary attached.")
PY
[ ! -f "$mail/2.eml" ] || fail "an email with a missing case attachment is not sent"
checks=$((checks + 1))
finish
