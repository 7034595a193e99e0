/* prim_codec.c - the `base64` and `hex` namespaces.
 *
 * Our own code rather than mbedtls_base64_*: mbedTLS has no url-safe alphabet,
 * skips whitespace, and does not say where bad input is. Decoding is strict
 * (RFC 4648): one alphabet, no whitespace, padding either absent or exact, unused
 * trailing bits zero, so that every string has one encoding. Bad input is data,
 * not misuse: decode returns nil, "invalid base64 at offset N" (N counts bytes
 * from 0; N = #s when the input ends too early).
 *
 * Output is built in a Lua userdata, so an out-of-memory error leaves nothing in
 * the C heap.
 */
#include "prim.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#define SIG_B64_ENCODE "base64.encode(s: string [, {url=boolean, pad=boolean}])"
#define SIG_B64_DECODE "base64.decode(s: string [, {url=boolean}])"
#define SIG_HEX_ENCODE "hex.encode(s: string)"
#define SIG_HEX_DECODE "hex.decode(s: string)"

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Reads {url=, pad=} (pad only when allow_pad). */
static void b64_opts(lua_State *L, int idx, const char *sig, int allow_pad, int *url, int *pad)
{
	if (!prim_opt_table(L, idx, sig))
		return;
	lua_pushnil(L);
	while (lua_next(L, idx)) {                       /* stack: ..., key, value */
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
		int *field = NULL;
		if (k && strcmp(k, "url") == 0)
			field = url;
		else if (k && allow_pad && strcmp(k, "pad") == 0)
			field = pad;
		if (!field)
			prim_usage(L, sig, "unknown option %s", k ? k : luaL_typename(L, -2));
		if (!lua_isboolean(L, -1))
			prim_usage(L, sig, "option %s is a %s, not a boolean", k, luaL_typename(L, -1));
		*field = lua_toboolean(L, -1);
		lua_pop(L, 1);
	}
}

static int l_b64_encode(lua_State *L)
{
	size_t len;
	const unsigned char *s = (const unsigned char *)prim_check_string(L, 1, SIG_B64_ENCODE, &len);
	int url = 0, pad = -1;
	b64_opts(L, 2, SIG_B64_ENCODE, 1, &url, &pad);
	if (pad < 0)
		pad = !url; /* url-safe text is usually unpadded (JWT, RFC 7515) */
	const char *abc = url ? b64_url : b64_std;
	if (len / 3 >= ((size_t)-1 - 4) / 4)
		return luaL_error(L, "base64.encode: input too long");
	char *out = lua_newuserdata(L, (len + 2) / 3 * 4);
	size_t o = 0, i = 0;
	for (; i + 3 <= len; i += 3) {
		unsigned v = (unsigned)s[i] << 16 | (unsigned)s[i + 1] << 8 | s[i + 2];
		out[o++] = abc[v >> 18];
		out[o++] = abc[(v >> 12) & 63];
		out[o++] = abc[(v >> 6) & 63];
		out[o++] = abc[v & 63];
	}
	if (i < len) {
		unsigned v = (unsigned)s[i] << 16 | (i + 1 < len ? (unsigned)s[i + 1] << 8 : 0);
		out[o++] = abc[v >> 18];
		out[o++] = abc[(v >> 12) & 63];
		if (i + 1 < len)
			out[o++] = abc[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	lua_pushlstring(L, out, o);
	return 1;
}

static int invalid(lua_State *L, const char *what, size_t offset)
{
	char msg[64];
	snprintf(msg, sizeof msg, "invalid %s at offset %zu", what, offset);
	lua_pushnil(L);
	lua_pushstring(L, msg);
	return 2;
}

static int l_b64_decode(lua_State *L)
{
	size_t len;
	const unsigned char *s = (const unsigned char *)prim_check_string(L, 1, SIG_B64_DECODE, &len);
	int url = 0, pad = 0;
	b64_opts(L, 2, SIG_B64_DECODE, 0, &url, &pad);
	signed char map[256];
	memset(map, -1, sizeof map);
	const char *abc = url ? b64_url : b64_std;
	for (int i = 0; i < 64; i++)
		map[(unsigned char)abc[i]] = (signed char)i;

	char *out = lua_newuserdata(L, len / 4 * 3 + 3);
	size_t o = 0, i = 0, m = 0; /* m: data characters seen */
	unsigned acc = 0;
	for (; i < len && s[i] != '='; i++) {
		int v = map[s[i]];
		if (v < 0)
			return invalid(L, "base64", i);
		acc = acc << 6 | (unsigned)v;
		if (++m % 4 == 0) {
			out[o++] = (char)(acc >> 16);
			out[o++] = (char)(acc >> 8);
			out[o++] = (char)acc;
			acc = 0;
		}
	}
	size_t rest = m % 4; /* 2 or 3 characters left: 1 or 2 bytes */
	if (rest == 1)
		return invalid(L, "base64", i < len ? i : len);
	if (i < len) { /* padding: exactly what the length calls for, then the end */
		size_t want = rest == 2 ? 2 : rest == 3 ? 1 : 0;
		for (size_t j = 0; j < want; j++)
			if (i + j >= len || s[i + j] != '=')
				return invalid(L, "base64", i + j);
		if (want == 0 || i + want < len)
			return invalid(L, "base64", i + want);
	}
	/* Unused low bits of the last character must be zero (one encoding per string). */
	if ((rest == 2 && (acc & 0xF)) || (rest == 3 && (acc & 0x3)))
		return invalid(L, "base64", m - 1);
	if (rest == 2) {
		out[o++] = (char)(acc >> 4);
	} else if (rest == 3) {
		out[o++] = (char)(acc >> 10);
		out[o++] = (char)(acc >> 2);
	}
	lua_pushlstring(L, out, o);
	return 1;
}

static int l_hex_encode(lua_State *L)
{
	static const char digits[] = "0123456789abcdef";
	size_t len;
	const unsigned char *s = (const unsigned char *)prim_check_string(L, 1, SIG_HEX_ENCODE, &len);
	if (len > ((size_t)-1) / 2)
		return luaL_error(L, "hex.encode: input too long");
	char *out = lua_newuserdata(L, len * 2);
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[s[i] >> 4];
		out[2 * i + 1] = digits[s[i] & 15];
	}
	lua_pushlstring(L, out, len * 2);
	return 1;
}

static int hexval(unsigned c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	return -1;
}

static int l_hex_decode(lua_State *L)
{
	size_t len;
	const unsigned char *s = (const unsigned char *)prim_check_string(L, 1, SIG_HEX_DECODE, &len);
	char *out = lua_newuserdata(L, len / 2 + 1);
	for (size_t i = 0; i < len; i += 2) {
		if (i + 1 == len) {
			if (hexval(s[i]) < 0)
				return invalid(L, "hex", i);
			return invalid(L, "hex", len); /* odd length: input ends early */
		}
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi < 0)
			return invalid(L, "hex", i);
		if (lo < 0)
			return invalid(L, "hex", i + 1);
		out[i / 2] = (char)(hi << 4 | lo);
	}
	lua_pushlstring(L, out, len / 2);
	return 1;
}

static const luaL_Reg base64_fns[] = {
	{ "encode", l_b64_encode },
	{ "decode", l_b64_decode },
	{ NULL, NULL },
};

static const luaL_Reg hex_fns[] = {
	{ "encode", l_hex_encode },
	{ "decode", l_hex_decode },
	{ NULL, NULL },
};

int prim_open_base64(lua_State *L)
{
	lua_createtable(L, 0, 2);
	luaL_register(L, NULL, base64_fns);
	return 1;
}

int prim_open_hex(lua_State *L)
{
	lua_createtable(L, 0, 2);
	luaL_register(L, NULL, hex_fns);
	return 1;
}
