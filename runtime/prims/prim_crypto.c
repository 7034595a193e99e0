/* prim_crypto.c - the `crypto` namespace: digests, HMAC, random bytes, and a
 * constant-time comparison.
 *
 * Digests come from mbedTLS 2.28 (one-shot *_ret functions: no allocation). HMAC
 * is the one over mbedtls_md_hmac (hmac.h), which callocs its context: it runs in
 * a non-interruptible region. Random bytes come from getrandom(2) (the kernel's
 * CSPRNG; no user-space generator state to seed, fork or share).
 *
 * Digests return lowercase hex, or raw bytes with {raw=true}.
 */
#include "prim.h"
#include "hmac.h"
#include "randbytes.h"
#include "hex.h"

#include <lauxlib.h>
#include <math.h>
#include <string.h>

#include <mbedtls/md5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>

#define SIG_SHA256 "crypto.sha256(s: string [, {raw=boolean}])"
#define SIG_SHA1   "crypto.sha1(s: string [, {raw=boolean}])"
#define SIG_MD5    "crypto.md5(s: string [, {raw=boolean}])"
#define SIG_HMAC   "crypto.hmac_sha256(key: string, msg: string [, {raw=boolean}])"
#define SIG_RANDOM "crypto.random(n: integer 0..1048576)"
#define SIG_EQUAL  "crypto.equal(a: string, b: string)"

#define RANDOM_MAX ((size_t)1 << 20)

/* Reads {raw=boolean} at idx. */
static int opt_raw(lua_State *L, int idx, const char *sig)
{
	int raw = 0;
	if (!prim_opt_table(L, idx, sig))
		return 0;
	lua_pushnil(L);
	while (lua_next(L, idx)) {                       /* stack: ..., key, value */
		if (lua_type(L, -2) != LUA_TSTRING || strcmp(lua_tostring(L, -2), "raw") != 0)
			prim_usage(L, sig, "unknown option %s",
				   lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2)
								  : luaL_typename(L, -2));
		if (!lua_isboolean(L, -1))
			prim_usage(L, sig, "option raw is a %s, not a boolean", luaL_typename(L, -1));
		raw = lua_toboolean(L, -1);
		lua_pop(L, 1);
	}
	return raw;
}

static int push_digest(lua_State *L, const unsigned char *d, size_t n, int raw)
{
	char hex[65];
	if (raw) {
		lua_pushlstring(L, (const char *)d, n);
		return 1;
	}
	hex_encode(d, n, hex);
	lua_pushlstring(L, hex, 2 * n);
	return 1;
}

static int l_sha256(lua_State *L)
{
	size_t len;
	unsigned char d[32];
	const char *s = prim_check_string(L, 1, SIG_SHA256, &len);
	int raw = opt_raw(L, 2, SIG_SHA256);
	mbedtls_sha256_ret((const unsigned char *)s, len, d, 0);
	return push_digest(L, d, sizeof d, raw);
}

static int l_sha1(lua_State *L)
{
	size_t len;
	unsigned char d[20];
	const char *s = prim_check_string(L, 1, SIG_SHA1, &len);
	int raw = opt_raw(L, 2, SIG_SHA1);
	mbedtls_sha1_ret((const unsigned char *)s, len, d);
	return push_digest(L, d, sizeof d, raw);
}

static int l_md5(lua_State *L)
{
	size_t len;
	unsigned char d[16];
	const char *s = prim_check_string(L, 1, SIG_MD5, &len);
	int raw = opt_raw(L, 2, SIG_MD5);
	mbedtls_md5_ret((const unsigned char *)s, len, d);
	return push_digest(L, d, sizeof d, raw);
}

static int l_hmac_sha256(lua_State *L)
{
	size_t klen, mlen;
	unsigned char d[32];
	const char *key = prim_check_string(L, 1, SIG_HMAC, &klen);
	const char *msg = prim_check_string(L, 2, SIG_HMAC, &mlen);
	int raw = opt_raw(L, 3, SIG_HMAC);
	prim_noint_enter(); /* mbedTLS callocs its HMAC context */
	int rc = hmac_sha256(key, klen, msg, mlen, d);
	prim_noint_leave();
	if (rc != 0)
		return luaL_error(L, "crypto.hmac_sha256: out of memory");
	push_digest(L, d, sizeof d, raw);
	mbedtls_platform_zeroize(d, sizeof d);
	return 1;
}

static int l_random(lua_State *L)
{
	double n = prim_check_number(L, 1, SIG_RANDOM);
	if (n != floor(n) || n < 0 || n > (double)RANDOM_MAX)
		prim_usage(L, SIG_RANDOM, "n must be a whole number from 0 to %zu", RANDOM_MAX);
	size_t len = (size_t)n;
	void *buf = lua_newuserdata(L, len); /* Lua heap: nothing to free on error */
	if (randbytes(buf, len) != 0) {
		lua_pushnil(L);
		lua_pushliteral(L, "unavailable");
		return 2;
	}
	lua_pushlstring(L, buf, len);
	return 1;
}

/* Time depends on the lengths only, never on where the strings differ. */
static int l_equal(lua_State *L)
{
	size_t alen, blen;
	if (lua_type(L, 1) != LUA_TSTRING || lua_type(L, 2) != LUA_TSTRING)
		prim_usage(L, SIG_EQUAL, "both arguments must be strings (got %s, %s)",
			   luaL_typename(L, 1), luaL_typename(L, 2));
	const volatile unsigned char *a = (const unsigned char *)lua_tolstring(L, 1, &alen);
	const volatile unsigned char *b = (const unsigned char *)lua_tolstring(L, 2, &blen);
	unsigned char diff = alen != blen;
	if (!diff)
		for (size_t i = 0; i < alen; i++)
			diff |= a[i] ^ b[i];
	lua_pushboolean(L, diff == 0);
	return 1;
}

static const luaL_Reg crypto_fns[] = {
	{ "sha256", l_sha256 },
	{ "sha1", l_sha1 },
	{ "md5", l_md5 },
	{ "hmac_sha256", l_hmac_sha256 },
	{ "random", l_random },
	{ "equal", l_equal },
	{ NULL, NULL },
};

int prim_open_crypto(lua_State *L)
{
	lua_createtable(L, 0, 6);
	luaL_register(L, NULL, crypto_fns);
	return 1;
}
