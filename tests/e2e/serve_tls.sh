#!/usr/bin/env bash
# `soarctl serve --tls-cert --tls-key`: HTTPS with a test CA this test makes
# (openssl), a plain-HTTP request to the TLS port refused cleanly, clear
# startup errors (missing file, expired certificate, a key of another
# certificate, one option without the other), SIGHUP serving a new certificate
# (its serial), an EDL fetch and a prompt form and answer over HTTPS, and the
# links the daemon gives out starting https:// (or the --public-url).
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
DPID=
trap '[ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null' EXIT
command -v openssl >/dev/null || { echo "needs openssl (tools/deps.sh)"; exit 1; }
T="$SOAR_TMP/tls"; mkdir -p "$T/caw" && cd "$T" || exit 1

# ---- the test CA and three server certificates (serials 1001, 2002, 3003) ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key \
	-out ca.pem -days 2 -subj "/CN=soarctl test CA" 2>/dev/null || fail "CA"
printf 'subjectAltName=IP:127.0.0.1\n' > ext
server_cert() {   # server_cert NAME SERIAL
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$1.key" \
		-out "$1.csr" -subj "/CN=127.0.0.1" 2>/dev/null &&
	openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -set_serial "$2" -days 1 \
		-extfile ext -out "$1.pem" 2>/dev/null || fail "certificate $1"
}
server_cert one 0x1001
server_cert two 0x2002
# an expired one: `openssl ca` takes explicit dates
: > caw/index.txt; echo 3003 > caw/serial
printf '[ca]\ndefault_ca=c\n[c]\ndatabase=caw/index.txt\nnew_certs_dir=caw\ndefault_md=sha256\npolicy=p\nserial=caw/serial\n[p]\ncommonName=supplied\n' > caw/ca.cnf
openssl ca -batch -config caw/ca.cnf -cert ca.pem -keyfile ca.key -in one.csr -out old.pem \
	-startdate 20200101000000Z -enddate 20200102000000Z -notext >/dev/null 2>&1 || fail "expired cert"
cp one.pem live.pem; cp one.key live.key

serial() {   # the serial the server at 127.0.0.1:$1 presents
	openssl s_client -connect "127.0.0.1:$1" -servername 127.0.0.1 </dev/null 2>/dev/null |
		openssl x509 -noout -serial 2>/dev/null | sed 's/serial=//'
}

# ---- startup errors: clear, exit 1, before listening ----
start_fails() {   # start_fails NEEDLE OPTION...: serve must not start, and say NEEDLE
	checks=$((checks + 1))
	local o rc
	o=$(timeout 20 "$S" serve --listen 127.0.0.1:0 --playbooks "$T" "${@:2}" 2>&1); rc=$?
	[ "$rc" = 1 ] || [ "$rc" = 2 ] || fail "serve ${*:2}: exit $rc (want 1 or 2): $o"
	case "$o" in *"$1"*) ;; *) fail "serve ${*:2}: output lacks '$1': $o" ;; esac
	case "$o" in *"listening on"*) fail "serve ${*:2} listened: $o" ;; esac
}
start_fails "--tls-cert $T/nothere.pem: No such file or directory" --tls-cert "$T/nothere.pem" --tls-key live.key
start_fails "--tls-key $T/nothere.key: No such file or directory" --tls-cert live.pem --tls-key "$T/nothere.key"
start_fails "the certificate expired on 2020-01-02" --tls-cert old.pem --tls-key one.key
start_fails "does not go with --tls-cert" --tls-cert one.pem --tls-key two.key
start_fails "not a PEM certificate" --tls-cert ext --tls-key one.key
start_fails "TLS needs both --tls-cert FILE and --tls-key FILE" --tls-cert one.pem

# ---- serving HTTPS ----
TOK=$("$S" user token --label tls 2>/dev/null | tail -1)
"$S" edl add blocked 192.0.2.7 >/dev/null || fail "edl add"
cat > "$T/ask.lua" <<'LUA'
return { name = "ask", run = function()
  local p = prompt.create{ question = "Block it?", options = { "yes", "no" } }
  log.info("link", { url = p.url })
  local a = prompt.wait(p.id)
  return { answer = a.value } end }
LUA
serve_start --playbooks "$T" --tls-cert "$T/live.pem" --tls-key "$T/live.key"
H="https://127.0.0.1:$api"
C=(curl -s --cacert "$T/ca.pem" --max-time 10)
contains "$(cat "$SOAR_TMP/serve.log")" "links: https://127.0.0.1:$api"
contains "$("${C[@]}" "$H/healthz")" '"status":"ok"'
is_serial() { checks=$((checks + 1)); [ "$(serial "$api")" = "$1" ] || fail "served serial $(serial "$api"), want $1"; }
is_serial 1001
# the CA is checked: without it curl refuses
checks=$((checks + 1))
curl -s --max-time 10 "$H/healthz" >/dev/null && fail "curl trusted the test certificate without its CA"
# plain HTTP to the TLS port: no answer, no crash, the next TLS request served
checks=$((checks + 1))
plain=$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$api/healthz"); rc=$?
[ "$rc" != 0 ] && [ "$plain" = 000 ] || fail "plain HTTP to the TLS port: exit $rc, status $plain"
contains "$("${C[@]}" "$H/healthz")" '"status":"ok"' "after a plain-HTTP request"
# an EDL as a firewall fetches it
edl=$("${C[@]}" -H "Authorization: Bearer $TOK" "$H/edl/blocked")
contains "$edl" "192.0.2.7" "EDL over HTTPS"
# a prompt link opened and answered over HTTPS
SOARCTL_PUBLIC_URL="$H" expect_exit 3 -- "$S" run "$T/ask.lua" --json
pid=$(json_field "$out" 'j["waiting"]["prompt_id"]')
link=$(printf '%s\n' "$err" | sed -n 's/.*"url":"\([^"]*\)".*/\1/p' | head -1)
checks=$((checks + 1))
case "$link" in "$H/prompts/$pid?t="*) ;; *) fail "the prompt's link is not on https: '$link'" ;; esac
checks=$((checks + 1))
[ "$("${C[@]}" -o "$SOAR_TMP/form" -w '%{http_code}' "$link")" = 200 ] ||
	fail "prompt form over HTTPS: $(head -c 300 "$SOAR_TMP/form")"
contains "$(cat "$SOAR_TMP/form")" "Block it?"
checks=$((checks + 1))
[ "$("${C[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOK" -X POST \
	"$H/api/v1/prompts/$pid/answer" -d '{"choice":"yes"}')" = 200 ] || fail "answer over HTTPS"

# ---- SIGHUP: the renewed certificate, for new connections ----
cp two.pem live.pem; cp two.key live.key
kill -HUP "$DPID"
for _ in $(seq 50); do grep -q "serial 2002" "$SOAR_TMP/serve.log" && break; sleep 0.1; done
is_serial 2002
contains "$("${C[@]}" "$H/healthz")" '"status":"ok"' "after the reload"
# a broken file at reload: refused, the current certificate stays
cp old.pem live.pem
kill -HUP "$DPID"
for _ in $(seq 50); do grep -q "TLS reload refused" "$SOAR_TMP/serve.log" && break; sleep 0.1; done
contains "$(cat "$SOAR_TMP/serve.log")" "TLS reload refused, keeping the certificate served now"
is_serial 2002
serve_stop || fail "serve exit status"

# ---- --public-url: the links' base, whatever the listener ----
cp one.pem live.pem; cp one.key live.key
serve_start --playbooks "$T" --tls-cert "$T/live.pem" --tls-key "$T/live.key" \
	--public-url https://soar.example.test/
contains "$(cat "$SOAR_TMP/serve.log")" "links: https://soar.example.test"
lacks "$(cat "$SOAR_TMP/serve.log")" "links: https://soar.example.test/"
serve_stop || fail "serve exit status"
expect_exit 2 -- "$S" serve --public-url soar.example.test
finish
