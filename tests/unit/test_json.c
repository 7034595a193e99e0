/* test_json.c - the JSON codec: strictness, numbers, UTF-8, nesting, the C API. */
#include "check.h"
#include "cli.h"
#include "store_buf.h"
#include "prim_json.h"
#include "prim.h"
#include "prims.h"

#include <lauxlib.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

static lua_State *L;

/* Runs a chunk that returns a string (or nil, err); returns its text, or
 * "nil: <err>" / "ERR: <message>". */
static const char *eval(const char *code)
{
	static char out[8192];
	if (luaL_dostring(L, code) != 0) {
		snprintf(out, sizeof out, "ERR: %s", lua_tostring(L, -1));
	} else if (lua_isnil(L, 1) && lua_gettop(L) >= 2) {
		snprintf(out, sizeof out, "nil: %s", lua_tostring(L, 2));
	} else {
		const char *s = lua_tostring(L, 1);
		snprintf(out, sizeof out, "%s", s ? s : "(not a string)");
	}
	lua_settop(L, 0);
	return out;
}

/* json.decode(text) re-encoded with sorted keys, or "nil: <err>". */
static const char *roundtrip(const char *text)
{
	static char out[8192];
	lua_getglobal(L, "json");
	lua_getfield(L, -1, "decode");
	lua_pushstring(L, text);
	lua_call(L, 1, 2);                               /* stack: json, value, err */
	if (lua_isnil(L, -2)) {
		snprintf(out, sizeof out, "nil: %s", lua_tostring(L, -1));
	} else {
		struct json_buf b = { 0 };
		struct json_opts o = { .sort_keys = 1 };
		char err[256];
		if (json_encode_lua(L, -2, &o, &b, err, sizeof err) == 0)
			snprintf(out, sizeof out, "%s", b.data);
		else
			snprintf(out, sizeof out, "ERR: %s", err);
		json_buf_free(&b);
	}
	lua_settop(L, 0);
	return out;
}

static void test_decode_strict(void)
{
	/* lua-cjson 2.1.0 accepts several of these; we must not. */
	static const char *bad[][2] = {
		{ "NaN", "expected a value, found 'N' at offset 0" },
		{ "[Infinity]", "expected a value, found 'I' at offset 1" },
		{ "-Infinity", "invalid number at offset 0" },
		{ "0x10", "unexpected data after the value at offset 1" },
		{ "+1", "expected a value, found '+' at offset 0" },
		{ "01", "invalid number (leading zero) at offset 0" },
		{ "1.", "invalid number at offset 0" },
		{ ".5", "expected a value" },
		{ "-.5", "invalid number at offset 0" },
		{ "1e", "invalid number" },
		{ "1e400", "number out of range (not finite as a double) in $ at offset 0" },
		{ "[1,-1e999999]", "number out of range (not finite as a double) in $[1] at offset 3" },
		{ "[1,2,]", "expected a value, found ']' at offset 5" },
		{ "{\"a\":1,}", "expected a string key, found '}' at offset 7" },
		{ "{a:1}", "expected a string key, found 'a' at offset 1" },
		{ "{\"a\" 1}", "expected ':', found '1' at offset 5" },
		{ "[1 2]", "expected ',' or ']', found '2' at offset 3" },
		{ "", "expected a value, found end of input at offset 0" },
		{ "   ", "expected a value, found end of input at offset 3" },
		{ "[", "expected a value, found end of input at offset 1" },
		{ "\"abc", "unterminated string at offset 0" },
		{ "\"a\tb\"", "control character in string (must be escaped) at offset 2" },
		{ "\"a\\x\"", "invalid escape at offset 2" },
		{ "\"\\u12\"", "invalid \\u escape at offset 1" },
		{ "\"\\ud800\"", "unpaired surrogate in \\u escape at offset 1" },
		{ "\"\\udc00\"", "unpaired surrogate" },
		{ "\"\\ud800\\u0041\"", "unpaired surrogate" },
		{ "tru", "expected a value, found 't' at offset 0" },
		{ "nulll", "unexpected data after the value at offset 4" },
		{ "1 2", "unexpected data after the value at offset 2" },
		{ "\xef\xbb\xbf{}", "found byte 0xef at offset 0" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_HAS(roundtrip(bad[i][0]), bad[i][1]);
}

static void test_utf8(void)
{
	static const char *bad[][2] = {
		{ "\"ab\xff\"", "invalid UTF-8 at offset 3" },
		{ "\"\xc0\xaf\"", "invalid UTF-8 at offset 1" },          /* overlong '/' */
		{ "\"\xe0\x80\xaf\"", "invalid UTF-8 at offset 1" },      /* overlong */
		{ "\"\xed\xa0\x80\"", "invalid UTF-8 at offset 1" },      /* surrogate */
		{ "\"\xf4\x90\x80\x80\"", "invalid UTF-8 at offset 1" },  /* > U+10FFFF */
		{ "\"x\xe2\x82\"", "invalid UTF-8 at offset 2" },         /* truncated */
		{ "\"\x80\"", "invalid UTF-8 at offset 1" },              /* lone continuation */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK_HAS(roundtrip(bad[i][0]), bad[i][1]);
	CHECK_STR(roundtrip("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""),
		  "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	CHECK_STR(roundtrip("\"\\u00e9\\u20ac\\ud83d\\ude00\\u0000x\""),
		  "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\\u0000x\"");
	/* Encoding refuses strings that are not UTF-8: JSON text must be. */
	CHECK_HAS(eval("return select(2, pcall(json.encode, {k = 'ok\\255'}))"),
		  "string is not UTF-8 (byte 3); base64-encode binary data at $.k");
	CHECK_HAS(eval("return select(2, pcall(json.encode, {['\\255'] = 1}))"), "string is not UTF-8");
}

static void test_strings(void)
{
	CHECK_STR(eval("return json.encode('a\"b\\\\c\\n\\r\\t\\b\\f\\1\\31/\\127')"),
		  "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001f/\x7f\"");
	CHECK_STR(roundtrip("\"\\/\\\"\\\\\\b\\f\\n\\r\\t\""), "\"/\\\"\\\\\\b\\f\\n\\r\\t\"");
	CHECK_STR(eval("return json.decode('\"a\\\\u0041b\"')"), "aAb");
	/* Embedded NUL in a Lua string survives as \u0000. */
	CHECK_STR(eval("return json.encode('a\\0b')"), "\"a\\u0000b\"");
	CHECK_STR(eval("return json.decode(json.encode('a\\0b')) == 'a\\0b' and 'same' or 'diff'"), "same");
}

static void test_numbers(void)
{
	/* Beyond what a double can hold: refused, never inf, never a string of digits. */
	CHECK_STR(eval("return select(2, json.decode('{\"score\": 1e999999}'))"),
		  "number out of range (not finite as a double) in $.score at offset 10");
	CHECK_HAS(eval("return select(2, json.decode('[' .. string.rep('9', 400) .. ']'))"),
		  "number out of range (not finite as a double) in $[0] at offset 1");
	CHECK_STR(eval("return json.decode('[' .. string.rep('9', 300) .. ']')[1]:sub(1, 3)"), "999");
	CHECK_STR(eval("return tostring(json.decode('1e-999999'))"), "0");
	/* lua-cjson 2.1.0 prints 1.2345678901235e+15 for this 16-digit id. */
	CHECK_STR(eval("return json.encode({1234567890123456})"), "[1234567890123456]");
	CHECK_STR(roundtrip("1234567890123456"), "1234567890123456");
	CHECK_STR(roundtrip("-1234567890123456"), "-1234567890123456");
	CHECK_STR(roundtrip("9007199254740992"), "9007199254740992");     /* 2^53: a number */
	CHECK_STR(eval("return type(json.decode('9007199254740992'))"), "number");
	/* Beyond 2^53 a double would change the digits: they come back as a string. */
	CHECK_STR(eval("return json.decode('9007199254740993')"), "9007199254740993");
	CHECK_STR(eval("return type(json.decode('9007199254740993'))"), "string");
	CHECK_STR(eval("return json.decode('[-12345678901234567890123]')[1]"), "-12345678901234567890123");
	CHECK_STR(roundtrip("{\"id\":9007199254740993}"), "{\"id\":\"9007199254740993\"}");
	/* Fractions and exponents are doubles, in the shortest form that round-trips. */
	CHECK_STR(eval("return json.encode({0.1, 1/3, 1e300, -2.5e-8, 5e-324, 2^60, -0.0, 1e21})"),
		  "[0.1,0.3333333333333333,1e+300,-2.5e-08,4.94065645841247e-324,"
		  "1.152921504606847e+18,0,1e+21]");
	CHECK_STR(eval("local x = 0.1 + 0.2; return tostring(json.decode(json.encode(x)) == x)"), "true");
	CHECK_STR(roundtrip("[1.5e3,-0,0.0,1E2,1e-2]"), "[1500,0,0,100,0.01]");
	CHECK_STR(eval("return tostring(1/json.decode('-0'))"), "-inf");
	/* Never NaN or infinities, and the error names where. */
	CHECK_STR(eval("return select(2, pcall(json.encode, {a = {1, 2, 0/0}}))"),
		  "json.encode: NaN is not valid JSON at $.a[3]");
	CHECK_STR(eval("return select(2, pcall(json.encode, {x = {['y z'] = -math.huge}}))"),
		  "json.encode: -inf is not valid JSON at $.x[\"y z\"]");
	CHECK_STR(eval("return select(2, pcall(json.encode, math.huge))"),
		  "json.encode: inf is not valid JSON at $");
}

static void test_tables(void)
{
	CHECK_STR(eval("return json.encode({})"), "{}");
	CHECK_STR(eval("return json.encode(json.array())"), "[]");
	CHECK_STR(eval("return json.encode(json.array({}))"), "[]");
	CHECK_STR(eval("return json.encode({a = json.array(), b = {json.null, false}}, {sort_keys = true})"),
		  "{\"a\":[],\"b\":[null,false]}");
	CHECK_STR(roundtrip("[]"), "[]");
	CHECK_STR(roundtrip("{\"a\":[],\"b\":{},\"c\":[[]]}"), "{\"a\":[],\"b\":{},\"c\":[[]]}");
	/* Emptying a decoded array keeps it an array. */
	CHECK_STR(eval("local t = json.decode('[1]'); t[1] = nil; return json.encode(t)"), "[]");
	CHECK_STR(roundtrip("[null,1,null]"), "[null,1,null]");
	CHECK_STR(roundtrip("{\"a\":null}"), "{\"a\":null}");
	CHECK_STR(eval("return tostring(json.decode('null') == json.null)"), "true");
	CHECK_STR(eval("return json.encode(nil)"), "null");
	/* A key twice is refused (a reader keeping the first and one keeping the
	 * last would see two different documents), however it is spelled. */
	CHECK_STR(roundtrip("{\"a\":1,\"a\":2}"),
		  "nil: duplicate key \"a\" in $ (keys must be unique) at offset 7");
	CHECK_STR(eval("return select(2, json.decode('{\"severity\":\"low\",\"severity\":\"critical\"}'))"),
		  "duplicate key \"severity\" in $ (keys must be unique) at offset 18");
	CHECK_STR(roundtrip("{\"x\":[{\"k\":null,\"\\u006b\":null}]}"),
		  "nil: duplicate key \"k\" in $.x[0] (keys must be unique) at offset 16");
	CHECK_STR(roundtrip("[{\"a\":1},{\"a\":2}]"), "[{\"a\":1},{\"a\":2}]"); /* per object */
	CHECK_STR(eval("return select(2, pcall(json.encode, {1, 2, nil, 4}))"),
		  "json.encode: sparse array: 3 elements but index 4 (use json.null for holes) at $");
	CHECK_STR(eval("return select(2, pcall(json.encode, {list = {1, x = 2}}))"),
		  "json.encode: table mixes string keys and array indices at $.list");
	CHECK_STR(eval("return select(2, pcall(json.encode, json.array({x = 1})))"),
		  "json.encode: table marked by json.array has string keys at $");
	CHECK_STR(eval("return select(2, pcall(json.encode, {[1.5] = 1}))"),
		  "json.encode: table key 1.5 is neither a string nor an array index 1..n at $");
	CHECK_STR(eval("return select(2, pcall(json.encode, {[true] = 1}))"),
		  "json.encode: table key of type boolean is neither a string nor an array index 1..n at $");
	CHECK_STR(eval("return select(2, pcall(json.encode, {f = print}))"),
		  "json.encode: cannot encode a function at $.f");
	CHECK_STR(eval("return select(2, pcall(json.encode, {coroutine.create(print)}))"),
		  "json.encode: cannot encode a thread at $[1]");
	/* Sorted keys: byte order, at every level. */
	CHECK_STR(eval("return json.encode({b = 1, a = {d = 1, c = 2}, B = 0, aa = 3}, {sort_keys = true})"),
		  "{\"B\":0,\"a\":{\"c\":2,\"d\":1},\"aa\":3,\"b\":1}");
	CHECK_STR(eval("return json.encode({a = {1, {}}, b = json.array()}, {pretty = true, sort_keys = true})"),
		  "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": []\n}");
	/* Metatables are ignored: raw contents only. */
	CHECK_STR(eval("return json.encode(setmetatable({}, {__index = function() return 1 end}))"), "{}");
}

static void test_depth(void)
{
	char *deep = malloc(200001);
	/* 128 levels by default, both ways. */
	CHECK_STR(eval("local t = {} local c = t for i = 2, 128 do c[1] = {} c = c[1] end "
		       "return #json.encode(t)"), "256");
	CHECK_HAS(eval("local t = {} local c = t for i = 2, 129 do c[1] = {} c = c[1] end "
		       "return select(2, pcall(json.encode, t))"),
		  "json.encode: nesting deeper than 128 (does a table contain itself?) at $[1][1][1]");
	CHECK_STR(eval("local t = {} local c = t for i = 2, 1000 do c[1] = {} c = c[1] end "
		       "return #json.encode(t, {max_depth = 1000})"), "2000");
	/* A table that contains itself is an error, not a stack overflow. */
	CHECK_HAS(eval("local t = {name = 'x'} t.self = t "
		       "return select(2, pcall(json.encode, t))"),
		  "nesting deeper than 128 (does a table contain itself?) at $.self.self.self");
	CHECK_HAS(eval("local t = {} t[1] = t return select(2, pcall(json.encode, t, {max_depth = 1000}))"),
		  "nesting deeper than 1000");
	memset(deep, '[', 129);
	memset(deep + 129, ']', 129);
	deep[258] = 0;
	CHECK_HAS(roundtrip(deep), "nesting deeper than 128 at offset 128");
	deep[129 + 128] = 0;
	memmove(deep, deep + 1, 257);
	CHECK(strncmp(roundtrip(deep), "[[[", 3) == 0); /* 128 levels decode */
	/* Far deeper input fails at the limit without using the C stack. */
	memset(deep, '[', 200000);
	deep[200000] = 0;
	CHECK_HAS(roundtrip(deep), "nesting deeper than 128 at offset 128");
	lua_settop(L, 0);
	CHECK_HAS(eval("return select(2, json.decode(string.rep('{\"a\":', 1001) .. '1' .. "
		       "string.rep('}', 1001), {max_depth = 1000}))"), "nesting deeper than 1000");
	CHECK_STR(eval("local s = string.rep('[', 1000) .. string.rep(']', 1000) "
		       "return tostring(json.decode(s, {max_depth = 1000}) ~= nil)"), "true");
	free(deep);
}

static void test_usage(void)
{
	CHECK_HAS(eval("return select(2, pcall(json.decode))"),
		  "json.decode: text is missing, not a string; expected json.decode(text: string");
	CHECK_HAS(eval("return select(2, pcall(json.decode, {}))"), "text is table, not a string");
	CHECK_HAS(eval("return select(2, pcall(json.encode))"), "json.encode: value is missing");
	CHECK_HAS(eval("return select(2, pcall(json.encode, 1, {pretty = 1}))"),
		  "option pretty is a number, not a boolean");
	CHECK_HAS(eval("return select(2, pcall(json.encode, 1, {indent = true}))"), "unknown option indent");
	CHECK_HAS(eval("return select(2, pcall(json.decode, '1', {max_depth = 1001}))"),
		  "max_depth must be an integer from 1 to 1000");
	CHECK_HAS(eval("return select(2, pcall(json.decode, '1', {pretty = true}))"), "unknown option pretty");
	CHECK_HAS(eval("return select(2, pcall(json.array, 5))"), "json.array: argument 1 is a number");
}

static void test_c_api(void)
{
	char err[256];
	struct json_buf b = { 0 };
	/* Not NUL-terminated: only len bytes are read. */
	const char text[] = "{\"k\":[1,2,3]}garbage";
	CHECK(json_decode_push(L, text, 13, NULL, err, sizeof err) == 0);
	CHECK(lua_istable(L, -1) && lua_gettop(L) == 1);
	CHECK(json_encode_lua(L, -1, NULL, &b, err, sizeof err) == 0);
	CHECK_STR(b.data, "{\"k\":[1,2,3]}");
	CHECK(lua_gettop(L) == 1);
	/* Appends to the buffer. */
	CHECK(json_encode_lua(L, 1, NULL, &b, err, sizeof err) == 0);
	CHECK(b.len == 26);
	json_buf_free(&b);
	CHECK(b.data == NULL && b.len == 0);
	lua_settop(L, 0);

	CHECK(json_decode_push(L, text, sizeof text - 1, NULL, err, sizeof err) == -1);
	CHECK_STR(err, "unexpected data after the value at offset 13");
	CHECK(lua_gettop(L) == 0);

	/* max_bytes bounds the C-heap buffer. */
	struct json_opts o = { .max_bytes = 100 };
	CHECK(luaL_dostring(L, "return string.rep('x', 200)") == 0);
	CHECK(json_encode_lua(L, -1, &o, &b, err, sizeof err) == -1);
	CHECK_HAS(err, "output larger than 100 bytes");
	json_buf_free(&b);
	lua_settop(L, 0);

	/* json.null from C. */
	json_push_null(L);
	CHECK(json_is_null(L, -1));
	lua_pushnil(L);
	CHECK(!json_is_null(L, -1));
	lua_settop(L, 0);
}

/* A state where the JSON functions are all there is: the C API must work
 * without the opener having run (it makes the marker table itself). */
static void test_fresh_state(void)
{
	lua_State *S = luaL_newstate();
	char err[256];
	struct json_buf b = { 0 };
	CHECK(json_decode_push(S, "[]", 2, NULL, err, sizeof err) == 0);
	CHECK(json_encode_lua(S, -1, NULL, &b, err, sizeof err) == 0);
	CHECK_STR(b.data, "[]");
	json_buf_free(&b);
	/* A self-referencing table through the C API. */
	lua_newtable(S);
	lua_pushvalue(S, -1);
	lua_setfield(S, -2, "me");
	CHECK(json_encode_lua(S, -1, NULL, &b, err, sizeof err) == -1);
	CHECK_HAS(err, "nesting deeper than 128");
	CHECK_HAS(err, "at $.me.me.me");
	json_buf_free(&b);
	lua_close(S);
}

/* Numbers do not follow the process locale. */
static void test_locale(void)
{
	if (!setlocale(LC_NUMERIC, "de_DE.UTF-8") && !setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
		fprintf(stderr, "test_locale: no comma locale installed; skipped\n");
		return;
	}
	CHECK_STR(eval("return json.encode({0.5, 1.25e-10})"), "[0.5,1.25e-10]");
	CHECK_STR(roundtrip("[0.5,2.5e3]"), "[0.5,2500]");
	setlocale(LC_NUMERIC, "C");
}

/* 1000 levels both ways on a thread with a 1 MiB stack (glibc's default is 8 MiB):
 * the codec recurses once per level, about 256 bytes each (measured, -O2). */
static void *deep_thread(void *arg)
{
	lua_State *S = luaL_newstate();
	luaL_openlibs(S);
	lua_pushcfunction(S, prim_open_json);
	lua_call(S, 0, 1);
	lua_setglobal(S, "json");
	int rc = luaL_dostring(S,
		"local s = string.rep('[', 1000) .. string.rep(']', 1000) "
		"local v = assert(json.decode(s, {max_depth = 1000})) "
		"assert(json.encode(v, {max_depth = 1000, pretty = true, sort_keys = true})) "
		"local o = string.rep('{\"k\":', 1000) .. '1' .. string.rep('}', 1000) "
		"assert(json.encode(assert(json.decode(o, {max_depth = 1000})), {max_depth = 1000, sort_keys = true}) == o)");
	*(int *)arg = rc;
	if (rc)
		fprintf(stderr, "deep_thread: %s\n", lua_tostring(S, -1));
	lua_close(S);
	return NULL;
}

static void test_small_stack(void)
{
	pthread_attr_t a;
	pthread_t th;
	int rc = -1;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 1024 * 1024);
	CHECK(pthread_create(&th, &a, deep_thread, &rc) == 0);
	pthread_join(th, NULL);
	pthread_attr_destroy(&a);
	CHECK(rc == 0);
}

/* Strings with escapes reach consumers in parts of 512 bytes: the Lua values
 * and the tree must both see the whole string, and duplicate keys spelled
 * across parts are still one key. */
static void test_long_escaped(void)
{
	size_t n = 3000;
	char *raw = malloc(n + 1), *text = malloc(4 * n + 64), err[300];
	size_t t = 0;
	for (size_t i = 0; i < n; i++)
		raw[i] = (char)(i % 97 == 0 ? '\n' : 'a' + i % 26);
	raw[n] = 0;
	text[t++] = '{';
	for (int k = 0; k < 2; k++) {
		text[t++] = '"';
		for (size_t i = 0; i < n; i++) {
			if (raw[i] == '\n') {
				text[t++] = '\\';
				text[t++] = 'n';
			} else {
				text[t++] = raw[i];
			}
		}
		t += (size_t)sprintf(text + t, "\":%d%s", k, k ? "}" : ",");
	}
	/* the tree */
	struct json_doc d;
	CHECK(json_parse(&d, text, t, 0, err, sizeof err) == -1);
	CHECK_STR(err, "duplicate key \"?bcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefgh...\" in $ (keys must be unique) at offset 3037");
	json_doc_free(&d);
	/* json.decode */
	lua_pushlstring(L, text, t);
	lua_setglobal(L, "long_text");
	CHECK_HAS(eval("return select(2, json.decode(long_text))"), "duplicate key \"?bcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefgh...\" in $ (keys must be unique) at offset 3037");
	/* and the same string once, as key and value: whole in both readers */
	t = (size_t)(strchr(text + 1, ':') - text);
	memcpy(text + t, ":\"", 2);
	memcpy(text + t + 2, text + 2, t - 3);
	t = t + 2 + t - 3;
	memcpy(text + t, "\"}", 2);
	t += 2;
	CHECK(json_parse(&d, text, t, 0, err, sizeof err) == 0);
	CHECK(d.n[0].count == 1 && d.n[1].len == n && memcmp(d.n[1].str, raw, n) == 0);
	CHECK(strlen(d.n[1].key) == n && memcmp(d.n[1].key, raw, n) == 0);
	CHECK(d.n[1].raw[0] == '"' && d.n[1].raw + d.n[1].rawlen == text + t - 1);
	json_doc_free(&d);
	lua_pushlstring(L, text, t);
	lua_setglobal(L, "long_text");
	lua_pushlstring(L, raw, n);
	lua_setglobal(L, "long_raw");
	CHECK_STR(eval("return tostring(json.decode(long_text)[long_raw] == long_raw)"), "true");
	free(raw);
	free(text);
}

static char err_unused[200];

static int put_buf(void *ctx, const char *s, size_t n)
{
	return json_buf_put(ctx, s, n);
}

/* One escaper: every writer of ours writes a string the same way. */
static void test_writer(void)
{
	struct json_buf b = { 0 };
	size_t bad = 0;
	const char s[] = "q\"b\\ \b\f\n\r\t\x01\x1f\x7f/caf\xc3\xa9";
	CHECK(json_write_str(s, sizeof s - 1, JSON_ESC_STRICT, put_buf, &b, &bad) == 0);
	const char *want = "\"q\\\"b\\\\ \\b\\f\\n\\r\\t\\u0001\\u001f\x7f/caf\xc3\xa9\"";
	CHECK_STR(b.data, want);
	lua_pushlstring(L, s, sizeof s - 1);
	lua_setglobal(L, "s");
	CHECK_STR(eval("return json.encode(s)"), want);
	struct store_buf sb = { 0 };
	store_buf_json_n(&sb, s, sizeof s - 1);
	CHECK_STR(store_buf_cstr(&sb), want);
	store_buf_free(&sb);
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);
	cli_json_string(f, s, sizeof s - 1);
	fclose(f);
	CHECK_STR(mem, want);
	free(mem);
	json_buf_free(&b);
	/* Not UTF-8: strict refuses and says where; replace keeps the text JSON. */
	CHECK(json_write_str("ab\xff\xc3", 4, JSON_ESC_STRICT, put_buf, &b, &bad) == -2 && bad == 2);
	json_buf_free(&b);
	CHECK(json_write_str("ab\xff\xc3", 4, JSON_ESC_REPLACE, put_buf, &b, NULL) == 0);
	CHECK_STR(b.data, "\"ab\xef\xbf\xbd\xef\xbf\xbd\"");
	CHECK(json_check(b.data, b.len, 0, err_unused, sizeof err_unused) == 0);
	json_buf_free(&b);
	/* Numbers: exact integers, shortest round trip, none for NaN/inf. */
	char num[32];
	CHECK(json_fmt_number(num, 9007199254740992.0) == 16 && strcmp(num, "9007199254740992") == 0);
	CHECK(json_fmt_number(num, 0.1) == 3 && strcmp(num, "0.1") == 0);
	CHECK(json_fmt_number(num, 1.0 / 0.0) == 0);
	/* json_check: the case store's check, under the same rules. */
	char err[200];
	CHECK(json_check("{\"a\":1,\"a\":1}", 13, 1, err, sizeof err) == -1);
	CHECK_STR(err, "is not valid JSON: duplicate key \"a\" in $ (keys must be unique) at offset 7");
	CHECK(json_check("[1]", 3, 1, err, sizeof err) == -1);
	CHECK_STR(err, "must be a JSON object ({...})");
	CHECK(json_check(" [1e5] ", 7, 0, err, sizeof err) == 0);
	CHECK(json_check("[1e500]", 7, 0, err, sizeof err) == -1);
	CHECK_HAS(err, "number out of range");
}

/* json_fmt_number's fast paths (integers without printf, m/10^k fractions) write
 * exactly what the printf rule writes: %lld, else the shortest of %.15g..%.17g
 * that reads back. Against that rule on numbers of every shape. */
static size_t fmt_reference(char out[32], double d)
{
	if (d == floor(d) && fabs(d) <= 9007199254740992.0)
		return (size_t)snprintf(out, 32, "%lld", (long long)d);
	int n = 0;
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(out, 32, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			break;
	}
	return (size_t)n;
}

static void test_number_forms(void)
{
	static const double edges[] = {
		0.1, 0.2, 0.1 + 0.2, 0.8375, 12.75, -12.75, 48.1374, 11.5755, 1e-4, 9.99e-5,
		-1e-4, 1.5e-4, 999999999999999.9, 99999999999999.98, 123456789012345.6,
		0.30000000000000004, 1e15 - 0.5, 2.5e-3, 1.0 / 3, -2.0 / 3, 5e-324,
		1.7976931348623157e308, -0.0, 4503599627370495.5, 0.000123456789012345,
	};
	char got[32], want[32];
	int mismatches = 0;
	for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
		size_t n = json_fmt_number(got, edges[i]);
		size_t m = fmt_reference(want, edges[i]);
		if (n != m || strcmp(got, want) != 0) {
			fprintf(stderr, "json_fmt_number(%.17g): %s, want %s\n", edges[i], got, want);
			mismatches++;
		}
	}
	unsigned long long x = 88172645463325252ULL; /* xorshift: the same run each time */
	for (int i = 0; i < 300000; i++) {
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		double d;
		switch (i % 4) {
		case 0: /* a decimal with a few places, as in alerts: 48.1374, 0.8375 */
			d = (double)(long long)(x % 2000000000000ULL - 1000000000000LL) /
			    (double)(1ULL << 0) / pow(10, (double)(x >> 59));
			break;
		case 1: /* any bit pattern that is finite */
			memcpy(&d, &x, sizeof d);
			if (!isfinite(d))
				continue;
			break;
		case 2: /* around the 1e-4 and 1e15 borders */
			d = ((double)(x % 1000000) + 0.5) * ((x >> 40) & 1 ? 1e-10 : 1e9);
			break;
		default: /* a quotient: often 16-17 digits */
			d = (double)(x % 100000) / (double)((x >> 32) % 997 + 1);
			break;
		}
		size_t n = json_fmt_number(got, d);
		size_t m = fmt_reference(want, d);
		if ((n != m || strcmp(got, want) != 0) && mismatches++ < 10)
			fprintf(stderr, "json_fmt_number(%.17g): %s, want %s\n", d, got, want);
	}
	CHECK(mismatches == 0);

	/* json_str_plain: the prefix json_write_str copies unchanged; a string that
	 * is all plain is written as itself between quotes. */
	struct json_buf b = { 0 };
	static const char *const strs[] = { "plain text", "caf\xc3\xa9 \xe2\x86\x92", "a\"b",
					    "back\\slash", "tab\there", "bad \xff", "\x7f del", "" };
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
		size_t len = strlen(strs[i]), k = json_str_plain(strs[i], len);
		CHECK(json_write_str(strs[i], len, JSON_ESC_REPLACE, put_buf, &b, NULL) == 0);
		CHECK(b.len >= k + 1 && memcmp(b.data + 1, strs[i], k) == 0);
		if (k == len)
			CHECK(b.len == len + 2 && b.data[len + 1] == '"');
		else
			CHECK(b.len != len + 2 || memcmp(b.data + 1, strs[i], len) != 0);
		json_buf_free(&b);
	}
	CHECK(json_str_plain("plain text", 10) == 10);
	CHECK(json_str_plain("caf\xc3\xa9", 5) == 5);
	CHECK(json_str_plain("a\"b", 3) == 1);
	CHECK(json_str_plain("x\x7f", 2) == 2); /* DEL is written as is */
	CHECK(json_str_plain("ok\xff", 3) == 2);
	CHECK(json_str_plain("ok\n", 3) == 2);
}

int main(void)
{
	L = luaL_newstate();
	luaL_openlibs(L);
	lua_pushcfunction(L, prim_open_json);
	lua_call(L, 0, 1);
	lua_setglobal(L, "json");

	test_decode_strict();
	test_utf8();
	test_strings();
	test_numbers();
	test_tables();
	test_depth();
	test_usage();
	test_c_api();
	test_fresh_state();
	test_locale();
	test_small_stack();
	test_long_escaped();
	test_writer();
	test_number_forms();

	lua_close(L);
	return CHECK_DONE();
}
