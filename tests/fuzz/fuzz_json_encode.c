/* fuzz_json_encode.c - json.encode (prim_json.c) on Lua values built from the
 * fuzz input inside a sandboxed state: tables nested, sparse, mixed, marked
 * arrays, self-referencing; numbers from raw bits (NaN, infinities, -0,
 * subnormals, beyond 2^53); strings of any bytes (invalid UTF-8, NUL,
 * controls); functions and other values JSON cannot hold; options pretty,
 * sort_keys and max_depth from the input too.
 * Properties: json.encode either raises an error naming json.encode (or out of
 * memory) or returns text that json.decode accepts (depth up to the limit). */
#include "fuzz_json_sandbox.h"

static const char code[] =
	"local s = ...\n"
	"local pos, built = 1, {}\n"
	"local function byte() local b = s:byte(pos) or 0; pos = pos + 1; return b end\n"
	"local tricky = { '', '\\0', 'a\\0b', '\\u{2028}', '\\xed\\xa0\\x80', '\\xc0\\x80',\n"
	"  '\\xf4\\x90\\x80\\x80', '\\xff', '\\t\\n\\r\\b\\f\\\\\"/', '\\x7f', '\\xe2\\x82', 'k' }\n"
	"local function num()\n"
	"  local m, e = byte() * 65536 + byte() * 256 + byte(), byte()\n"
	"  local k = byte() % 8\n"
	"  if k == 0 then return 0/0 elseif k == 1 then return 1/0 elseif k == 2 then return -1/0\n"
	"  elseif k == 3 then return -0.0 elseif k == 4 then return 2^53 + m\n"
	"  elseif k == 5 then return m end\n"
	"  return math.ldexp(m, e - 128) * (k == 6 and -1 or 1)\n"
	"end\n"
	"local function str()\n"
	"  local b = byte()\n"
	"  if b < 64 then return tricky[b % #tricky + 1] end\n"
	"  local n = b % 16\n"
	"  local t = s:sub(pos, pos + n - 1); pos = pos + n; return t\n"
	"end\n"
	"local value\n"
	"function value(depth)\n"
	"  if pos > #s or depth > 40 then return json.null end\n"
	"  local k = byte() % 16\n"
	"  if k == 0 then return false elseif k == 1 then return true\n"
	"  elseif k == 2 then return json.null elseif k == 3 then return num()\n"
	"  elseif k == 4 then return byte() - 128 elseif k == 5 then return str()\n"
	"  elseif k == 6 or k == 7 then\n"
	"    local t, n = {}, byte() % 6\n"
	"    built[#built + 1] = t\n"
	"    for i = 1, n do t[i] = value(depth + 1) end\n"
	"    if byte() % 8 == 0 then t[n + 2] = 1 end\n"
	"    return t\n"
	"  elseif k == 8 then return json.array({})\n"
	"  elseif k == 9 or k == 10 then\n"
	"    local t, n = {}, byte() % 6\n"
	"    built[#built + 1] = t\n"
	"    for _ = 1, n do t[str()] = value(depth + 1) end\n"
	"    return t\n"
	"  elseif k == 11 then\n"
	"    local t = { value(depth + 1) }\n"
	"    local w = byte() % 4\n"
	"    if w == 0 then t[1.5] = 1 elseif w == 1 then t[true] = 1 elseif w == 2 then t.x = 1 else t[0] = 1 end\n"
	"    return t\n"
	"  elseif k == 12 then return built[byte() % (#built + 1)] or json.null\n"
	"  elseif k == 13 then return print\n"
	"  elseif k == 14 then return json.array({ value(depth + 1), value(depth + 1) })\n"
	"  end\n"
	"  return setmetatable({ a = value(depth + 1) }, { __index = function() return 1 end })\n"
	"end\n"
	"local o = byte()\n"
	"local opts = { pretty = o % 2 == 1, sort_keys = o % 4 >= 2 }\n"
	"if o >= 128 then opts.max_depth = byte() % 140 + 1 end\n"
	"local v = value(0)\n"
	"local ok, text = pcall(json.encode, v, opts)\n"
	"if not ok then\n"
	"  local m = tostring(text)\n"
	"  if not (m:find('json.encode', 1, true) or m:find('memory', 1, true)) then\n"
	"    error('PROPERTY: encode raised an error that does not name it: ' .. m)\n"
	"  end\n"
	"  return\n"
	"end\n"
	"if type(text) ~= 'string' then error('PROPERTY: encode returned a ' .. type(text)) end\n"
	"local back, err = json.decode(text, { max_depth = 1000 })\n"
	"if back == nil then error('PROPERTY: encoded text does not decode: ' .. err .. ': ' .. text) end\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_chunk(code, data, size);
	return 0;
}
