#!/usr/bin/env bash
# EDLs: `soarctl edl` and the `edl` namespace from a playbook, on one store:
# formats refused with the reason, ttl, cap, export written atomically.
. "$(dirname "$0")/lib.bash"
S="$SOARCTL"
pb="$SOAR_TMP/pb"; mkdir -p "$pb"

expect_exit 0 -- "$S" edl add block-ips 185.220.101.4 10.1.2.3/8 --comment "tor exit" --cap 4
contains "$out" "185.220.101.4 added"
expect_exit 2 -- "$S" edl add block-ips 999.1.1.1
contains "$err" "invalid ip entry for list block-ips: '999.1.1.1' is not an IPv4 address"
expect_exit 2 -- "$S" edl add block-urls https://evil.example/login --type url
contains "$err" "drop the scheme"
expect_exit 0 -- "$S" edl add bad-domains '*.evil.example' Phish.Example.
expect_exit 0 -- "$S" edl list --json
contains "$out" '{"name":"bad-domains","type":"domain","entries":2,"cap":50000}'
contains "$out" '{"name":"block-ips","type":"ip","entries":2,"cap":4}'
expect_exit 0 -- "$S" edl show bad-domains
contains "$out" "*.evil.example"
contains "$out" "phish.example "

cat > "$pb/block.lua" <<'LUA'
return { name = "block", inputs = { ip = { type = "string" } }, run = function(ctx, input)
  local added, err = edl.add("block-ips", input.ip, { ttl = 3600, comment = "from " .. ctx.playbook })
  if added == nil then return { refused = err } end
  local path, n = edl.export("block-ips")
  local page, next_after = edl.list("block-ips", { limit = 2 })
  return { added = added, has = edl.has("block-ips", input.ip), n = n, path = path,
           first = page[1].value, more = next_after ~= nil,
           absent = edl.has("block-ips", "192.0.2.99") }
end }
LUA
expect_exit 0 -- "$S" run "$pb/block.lua" --input ip=2001:DB8::1 --json
[ "$(json_field "$out" 'j["result"]["added"]')" = True ] || fail "added: $out"
[ "$(json_field "$out" 'j["result"]["has"]')" = True ] || fail "has: $out"
[ "$(json_field "$out" 'j["result"]["absent"]')" = False ] || fail "absent: $out"
[ "$(json_field "$out" 'j["result"]["n"]')" = 3 ] || fail "count: $out"
[ "$(json_field "$out" 'j["result"]["more"]')" = True ] || fail "pages: $out"
path=$(json_field "$out" 'j["result"]["path"]')
[ "$path" = "$SOARCTL_DATA/edl/block-ips.txt" ] || fail "path: $path"
[ "$(cat "$path")" = "$(printf '10.0.0.0/8\n185.220.101.4\n2001:db8::1')" ] || fail "file: $(cat "$path")"
run_id=$(json_field "$out" 'j["run_id"]')
expect_exit 0 -- "$S" runs show "$run_id" --json
[ "$(json_field "$out" '[s["name"] for s in j["steps"]]')" = \
  "['edl.add', 'edl.export', 'edl.list', 'edl.has', 'edl.has']" ] || fail "steps: $out"

# the cap (4): one more fits, the next is refused with the reason
expect_exit 0 -- "$S" edl add block-ips 192.0.2.1
expect_exit 0 -- "$S" run "$pb/block.lua" --input ip=192.0.2.2 --json
contains "$(json_field "$out" 'j["result"]["refused"]')" "list block-ips is full (4 entries"

expect_exit 0 -- "$S" edl rm block-ips 185.220.101.4 192.0.2.77
contains "$out" "185.220.101.4 removed"
contains "$out" "192.0.2.77 was not in the list"
expect_exit 0 -- "$S" edl export block-ips --out "$SOAR_TMP/fw/list.txt" --json
[ "$(json_field "$out" 'j["entries"]')" = 3 ] || fail "export: $out"
[ "$(ls "$SOAR_TMP/fw")" = "list.txt" ] || fail "temporary files left: $(ls "$SOAR_TMP/fw")"
expect_exit 1 -- "$S" edl show nope
contains "$err" "no list nope"
expect_exit 2 -- "$S" edl add "Bad Name" 1.2.3.4
contains "$err" "not a list name"
finish
