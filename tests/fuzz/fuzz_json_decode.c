/* fuzz_json_decode.c - json.decode (prim_json.c) on any text, inside a
 * sandboxed state, then the round trip: what decodes must encode (sorted keys,
 * compact and pretty), that text must decode again, and encoding that gives
 * the same text (a fixed point after one trip: integers beyond 2^53 become
 * strings once, as documented). A refusal is nil plus a message with an offset
 * inside the input. */
#include "fuzz_json_sandbox.h"

static const char code[] =
	"local s = ...\n"
	"local v, err = json.decode(s)\n"
	"if v == nil then\n"
	"  if type(err) ~= 'string' then error('PROPERTY: decode refused without a message') end\n"
	"  local off = tonumber(err:match('at offset (%d+)$'))\n"
	"  if off and off > #s then error('PROPERTY: offset ' .. off .. ' past the input: ' .. err) end\n"
	"  return\n"
	"end\n"
	"local ok, e1 = pcall(json.encode, v, { sort_keys = true })\n"
	"if not ok then error('PROPERTY: a decoded value does not encode: ' .. tostring(e1)) end\n"
	"local v2, err2 = json.decode(e1)\n"
	"if v2 == nil then error('PROPERTY: encoded text does not decode: ' .. err2 .. ': ' .. e1) end\n"
	"local e2 = json.encode(v2, { sort_keys = true })\n"
	"local v3 = json.decode(e2)\n"
	"local e3 = json.encode(v3, { sort_keys = true })\n"
	"if e3 ~= e2 then error('PROPERTY: no fixed point: ' .. e2 .. ' then ' .. e3) end\n"
	"local ok2, p = pcall(json.encode, v, { sort_keys = true, pretty = true })\n"
	"if not ok2 then error('PROPERTY: pretty encode failed: ' .. tostring(p)) end\n"
	"local vp = json.decode(p)\n"
	"if vp == nil or json.encode(vp, { sort_keys = true }) ~= e2 then\n"
	"  error('PROPERTY: the pretty form reads differently: ' .. p)\n"
	"end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_chunk(code, data, size);
	return 0;
}
