/* prim_codec.c - the `base64` and `hex` namespaces, over the one codec of each
 * (base64.h, hex.h: why our own rather than mbedtls_base64_*, and what strict
 * decoding means there). Bad input is data, not misuse: decode returns nil,
 * "invalid base64 at offset N" (N counts bytes from 0; N = #s when the input
 * ends too early).
 *
 * Output is built in a Lua userdata, so an out-of-memory error leaves nothing in
 * the C heap.
 */
#include "base64.h"
#include "hex.h"
#include "prim.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#define SIG_B64_ENCODE "base64.encode(s: string [, {url=boolean, pad=boolean}])"
#define SIG_B64_DECODE "base64.decode(s: string [, {url=boolean}])"
#define SIG_HEX_ENCODE "hex.encode(s: string)"
#define SIG_HEX_DECODE "hex.decode(s: string)"

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
	const char *s = prim_check_string(L, 1, SIG_B64_ENCODE, &len);
	int url = 0, pad = -1;
	b64_opts(L, 2, SIG_B64_ENCODE, 1, &url, &pad);
	if (pad < 0)
		pad = !url; /* url-safe text is usually unpadded (JWT, RFC 7515) */
	int flags = (url ? BASE64_URL : 0) | (pad ? BASE64_PAD : 0);
	size_t n = base64_encoded_len(len, flags);
	if (n == 0 && len > 0)
		return luaL_error(L, "base64.encode: input too long");
	char *out = lua_newuserdata(L, n);
	lua_pushlstring(L, out, base64_encode(s, len, out, flags));
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
	size_t len, n, bad;
	const char *s = prim_check_string(L, 1, SIG_B64_DECODE, &len);
	int url = 0, pad = 0;
	b64_opts(L, 2, SIG_B64_DECODE, 0, &url, &pad);
	unsigned char *out = lua_newuserdata(L, BASE64_DECODED_MAX(len));
	if (base64_decode(s, len, out, &n, url ? BASE64_URL : 0, &bad) != 0)
		return invalid(L, "base64", bad);
	lua_pushlstring(L, (const char *)out, n);
	return 1;
}

static int l_hex_encode(lua_State *L)
{
	size_t len;
	const char *s = prim_check_string(L, 1, SIG_HEX_ENCODE, &len);
	if (len > ((size_t)-1) / 2 - 1)
		return luaL_error(L, "hex.encode: input too long");
	char *out = lua_newuserdata(L, len * 2 + 1);
	hex_encode(s, len, out);
	lua_pushlstring(L, out, len * 2);
	return 1;
}

static int l_hex_decode(lua_State *L)
{
	size_t len, bad;
	const char *s = prim_check_string(L, 1, SIG_HEX_DECODE, &len);
	unsigned char *out = lua_newuserdata(L, len / 2 + 1);
	if (hex_decode(s, len, out, &bad) != 0)
		return invalid(L, "hex", bad);
	lua_pushlstring(L, (const char *)out, len / 2);
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
