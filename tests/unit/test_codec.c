/* test_codec.c - base64 (RFC 4648 vectors, url-safe, strict decoding) and hex. */
#include "check.h"
#include "lua_eval.h"
#include "prim.h"
#include "prims.h"

#include <lauxlib.h>
#include <lualib.h>
#include <string.h>

static void test_rfc4648(void)
{
	/* RFC 4648 section 10. */
	static const char *v[][2] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	char code[256];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		snprintf(code, sizeof code, "return base64.encode('%s')", v[i][0]);
		CHECK_STR(eval(code), v[i][1]);
		snprintf(code, sizeof code, "return base64.decode('%s')", v[i][1]);
		CHECK_STR(eval(code), v[i][0]);
	}
	/* Unpadded input decodes too. */
	CHECK_STR(eval("return base64.decode('Zm9vYg')"), "foob");
	CHECK_STR(eval("return base64.decode('Zm9vYmE')"), "fooba");
}

static void test_url_and_binary(void)
{
	/* Every byte value, both alphabets. */
	CHECK_STR(eval("local s = '' for i = 0, 255 do s = s .. string.char(i) end "
		       "return tostring(base64.decode(base64.encode(s)) == s and "
		       "base64.decode(base64.encode(s, {url = true}), {url = true}) == s)"), "true");
	CHECK_STR(eval("return base64.encode('\\251\\255\\191')"), "+/+/");
	CHECK_STR(eval("return base64.encode('\\251\\255\\191', {url = true})"), "-_-_");
	CHECK_STR(eval("return base64.encode('f', {url = true})"), "Zg");            /* unpadded */
	CHECK_STR(eval("return base64.encode('f', {url = true, pad = true})"), "Zg==");
	CHECK_STR(eval("return base64.encode('f', {pad = false})"), "Zg");
	CHECK_STR(eval("return base64.decode('-_-_', {url = true})"), "\xfb\xff\xbf");
	CHECK_STR(eval("return base64.decode('Zg==', {url = true})"), "f");
	/* One alphabet at a time. */
	CHECK_STR(eval("return base64.decode('-_-_')"), "nil: invalid base64 at offset 0");
	CHECK_STR(eval("return base64.decode('+/+/', {url = true})"), "nil: invalid base64 at offset 0");
}

static void test_invalid(void)
{
	static const char *v[][2] = {
		{ "Zm9v!", "nil: invalid base64 at offset 4" },
		{ "Zm 9v", "nil: invalid base64 at offset 2" },    /* no whitespace */
		{ "Zm9v\\n", "nil: invalid base64 at offset 4" },
		{ "Z", "nil: invalid base64 at offset 1" },        /* ends too early */
		{ "Zm9vY", "nil: invalid base64 at offset 5" },
		{ "Zg=", "nil: invalid base64 at offset 3" },      /* half the padding */
		{ "Zg===", "nil: invalid base64 at offset 4" },    /* too much */
		{ "Zm8==", "nil: invalid base64 at offset 4" },
		{ "Zm9v=", "nil: invalid base64 at offset 4" },
		{ "=", "nil: invalid base64 at offset 0" },
		{ "Zg==Zg==", "nil: invalid base64 at offset 4" }, /* data after padding */
		{ "Zh==", "nil: invalid base64 at offset 1" },     /* non-zero unused bits */
		{ "Zm9=", "nil: invalid base64 at offset 2" },
	};
	char code[256];
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		snprintf(code, sizeof code, "return base64.decode('%s')", v[i][0]);
		CHECK_STR(eval(code), v[i][1]);
	}
}

static void test_hex(void)
{
	CHECK_STR(eval("return hex.encode('')"), "");
	CHECK_STR(eval("return hex.encode('\\0\\1\\127\\128\\255abc')"), "00017f80ff616263");
	CHECK_STR(eval("return hex.decode('616263')"), "abc");
	CHECK_STR(eval("return hex.decode('DeadBEEF') == '\\222\\173\\190\\239' and 'ok'"), "ok");
	CHECK_STR(eval("local s = '' for i = 0, 255 do s = s .. string.char(i) end "
		       "return tostring(hex.decode(hex.encode(s)) == s)"), "true");
	CHECK_STR(eval("return hex.decode('0g')"), "nil: invalid hex at offset 1");
	CHECK_STR(eval("return hex.decode('x0')"), "nil: invalid hex at offset 0");
	CHECK_STR(eval("return hex.decode('abc')"), "nil: invalid hex at offset 3");
	CHECK_STR(eval("return hex.decode('abz')"), "nil: invalid hex at offset 2");
	CHECK_STR(eval("return hex.decode('0x10')"), "nil: invalid hex at offset 1");
}

static void test_usage(void)
{
	CHECK_HAS(eval("return base64.encode()"),
		  "ERR: base64.encode: argument 1 is missing, not a string; expected base64.encode(s: string");
	CHECK_HAS(eval("return base64.decode({})"), "base64.decode: argument 1 is table, not a string");
	CHECK_HAS(eval("return base64.encode('x', {urlsafe = true})"), "unknown option urlsafe");
	CHECK_HAS(eval("return base64.decode('x', {pad = true})"), "unknown option pad");
	CHECK_HAS(eval("return base64.encode('x', {url = 'yes'})"), "option url is a string, not a boolean");
	CHECK_HAS(eval("return hex.decode(nil)"), "ERR: hex.decode: argument 1 is missing");
	CHECK_HAS(eval("return hex.encode(true)"), "hex.encode: argument 1 is boolean");
}

int main(void)
{
	L = luaL_newstate();
	luaL_openlibs(L);
	open_ns("base64", prim_open_base64);
	open_ns("hex", prim_open_hex);
	test_rfc4648();
	test_url_and_binary();
	test_invalid();
	test_hex();
	test_usage();
	lua_close(L);
	return CHECK_DONE();
}
