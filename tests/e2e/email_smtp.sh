#!/usr/bin/env bash
# email.send to a real SMTP server on 127.0.0.1 (aiosmtpd); Python's email parser
# reads the message back: headers, text and html alternatives, attachments byte
# for byte, bcc only in the envelope. Also: mock mode, refused, a bad address.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"
mail="$SOAR_TMP/mail"

coproc SMTP { exec "$PY" "$SOAR_SRC/tools/standins/smtp.py" "$mail" --stdin-eof; }
read -r _ port <&"${SMTP[0]}"
trap 'kill $SMTP_PID 2>/dev/null' EXIT
[ -n "$port" ] || { echo "SMTP server did not start"; exit 1; }
export SOARCTL_INTEGRATIONS_CONFIG="$SOAR_TMP/integrations.json"
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "email": { "smtp_url": "smtp://127.0.0.1:$port", "from": "soar@example.org" } }
JSON

cat > "$pb/mail.lua" <<'LUA'
return { name = "mail", run = function()
  local bin = {}
  for i = 0, 255 do bin[#bin + 1] = string.char(i) end
  local r, err, detail = email.send{
    to = { "owner@example.com", "second@example.com" }, cc = "cc@example.com", bcc = "hidden@example.com",
    subject = "Blocked 185.220.101.4 — Überprüfung nötig",
    text = "The IP 185.220.101.4 was blocked.\n.\nA line with a lone dot above, and a long one: "
      .. string.rep("x", 300) .. "\n",
    html = "<p>The IP <b>185.220.101.4</b> was blocked.</p>",
    attachments = {
      { name = "report.csv", content = "ip,verdict\n185.220.101.4,malicious\n", type = "text/csv" },
      { name = "bytes.bin", content = table.concat(bin) },
      { name = "résumé.txt", content = "ünïcödé\n", type = "text/plain" },
    },
  }
  return { r = r, err = err, detail = detail }
end }
LUA
expect_exit 0 -- "$S" run "$pb/mail.lua" --json
[ "$(json_field "$out" 'j["result"]["r"]["recipients"]')" = 4 ] || fail "sent: $out"
msgid=$(json_field "$out" 'j["result"]["r"]["id"]')
for _ in 1 2 3 4 5 6 7 8 9 10; do [ -f "$mail/1.eml" ] && break; sleep 0.1; done
check=$("$PY" - "$mail/1.eml" "$mail/1.env" "$msgid" <<'PY'
import email, email.policy, json, sys
raw = open(sys.argv[1], "rb").read()
env = json.load(open(sys.argv[2]))
m = email.message_from_bytes(raw, policy=email.policy.default)
ok = []
def want(cond, what):
    if not cond: ok.append("FAIL " + what)
want(m["Subject"] == "Blocked 185.220.101.4 — Überprüfung nötig", "subject %r" % m["Subject"])
want(m["From"] == "soar@example.org", "from")
want(m["To"] == "owner@example.com, second@example.com", "to %r" % m["To"])
want(m["Cc"] == "cc@example.com", "cc")
want(m["Bcc"] is None and b"hidden@" not in raw, "bcc not in the message")
want(sorted(env["rcpt_tos"]) == sorted(["owner@example.com", "second@example.com", "cc@example.com",
                                        "hidden@example.com"]), "envelope %r" % env)
want(m["Message-ID"] == sys.argv[3], "message id")
want(m.get_content_type() == "multipart/mixed", "mixed")
body = m.get_body(preferencelist=("plain",))
want(body.get_content().startswith("The IP 185.220.101.4 was blocked.\n.\nA line"), "text %r" % body.get_content()[:60])
want(("x" * 300) in body.get_content(), "long line intact")
alt = list(m.iter_parts())[0]
want(alt.get_content_type() == "multipart/alternative", "alternative")
want([p.get_content_type() for p in alt.iter_parts()] == ["text/plain", "text/html"], "alt order")
want(m.get_body(preferencelist=("html",)).get_content() == "<p>The IP <b>185.220.101.4</b> was blocked.</p>", "html")
atts = list(m.iter_attachments())
want([a.get_filename() for a in atts] == ["report.csv", "bytes.bin", "résumé.txt"], "names %r" % [a.get_filename() for a in atts])
want(atts[0].get_content_type() == "text/csv", "csv type")
want(atts[0].get_payload(decode=True) == b"ip,verdict\n185.220.101.4,malicious\n", "csv bytes")
want(atts[1].get_payload(decode=True) == bytes(range(256)), "binary bytes")
want(atts[1].get_content_type() == "application/octet-stream", "default type")
want(atts[2].get_payload(decode=True) == "ünïcödé\n".encode(), "utf-8 attachment")
want(all(len(l) <= 78 for l in raw.split(b"\r\n")), "lines at most 78")
print("\n".join(ok) if ok else "OK")
PY
)
[ "$check" = OK ] || fail "the message read back: $check"

# ---- mock mode sends nothing ----
cat > "$pb/mock.lua" <<'LUA'
return { name = "mock", run = function() return email.send{ to = "a@example.com", subject = "s", text = "t" } end }
LUA
SOARCTL_MOCK=1 expect_exit 0 -- "$S" run "$pb/mock.lua" --json
[ "$(json_field "$out" 'j["result"]["mock"]')" = True ] || fail "mock: $out"
[ ! -f "$mail/2.eml" ] || fail "mock mode sent a message"

# ---- misuse raises; a closed port is nil, refused ----
cat > "$pb/bad.lua" <<'LUA'
return { name = "bad", run = function() return email.send{ to = "not an address", text = "t" } end }
LUA
expect_exit 1 -- "$S" run "$pb/bad.lua" --json
contains "$out" "is not an email address"
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "email": { "smtp_url": "smtp://127.0.0.1:1", "from": "soar@example.org" } }
JSON
cat > "$pb/refused.lua" <<'LUA'
return { name = "refused", run = function()
  local r, err = email.send{ to = "a@example.com", subject = "s", text = "t" }
  return { r = r, err = err } end }
LUA
expect_exit 0 -- "$S" run "$pb/refused.lua" --json
[ "$(json_field "$out" 'j["result"]["err"]')" = refused ] || fail "refused: $out"
# ---- a server that is not a local relay must offer STARTTLS: 127.0.0.2 stands
# for a remote one, and offers none ----
"$PY" "$SOAR_SRC/tools/standins/smtp.py" "$SOAR_TMP/mail2" --host 127.0.0.2 > "$SOAR_TMP/smtp2.port" &
smtp2=$!
trap 'kill $SMTP_PID $smtp2 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q PORT "$SOAR_TMP/smtp2.port" 2>/dev/null && break; sleep 0.1; done
port2=$(awk '{print $2}' "$SOAR_TMP/smtp2.port")
cat > "$SOARCTL_INTEGRATIONS_CONFIG" <<JSON
{ "email": { "smtp_url": "smtp://127.0.0.2:$port2", "from": "soar@example.org" } }
JSON
expect_exit 0 -- "$S" run "$pb/refused.lua" --json
[ "$(json_field "$out" 'j["result"]["err"]')" = tls ] || fail "STARTTLS required: $out"
[ ! -f "$SOAR_TMP/mail2/1.eml" ] || fail "sent in clear text to a remote server"
kill $smtp2 2>/dev/null

finish
