/* bench_codec.c - the Lua-facing small codecs: base64 and hex encode/decode and
 * crypto.hmac_sha256, called from Lua in a bare LuaJIT state (the primitives'
 * own cost, not the sandbox's), on short (32 bytes: a token, a digest) and long
 * (64 KiB: an attachment) inputs. Reports nanoseconds per call (short) and MB/s
 * (long), each the median of the repeats.
 *
 * Usage: bench_codec [repeats]    (default 7)
 */
#include "prims.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct row {
	const char *name, *setup, *call; /* call runs `n` times on `s` */
	int n;
	size_t bytes;                     /* input size, for MB/s; 0: ns/call */
};

static const struct row rows[] = {
	{ "base64.encode 32B", "s = string.rep('\\255a\\0', 11):sub(1, 32)", "base64.encode(s)", 1000000, 0 },
	{ "base64.decode 32B", "s = base64.encode(string.rep('\\255a\\0', 11):sub(1, 32))", "base64.decode(s)", 1000000, 0 },
	{ "hex.encode 32B", "s = string.rep('\\255a\\0', 11):sub(1, 32)", "hex.encode(s)", 1000000, 0 },
	{ "hex.decode 32B", "s = hex.encode(string.rep('\\255a\\0', 11):sub(1, 32))", "hex.decode(s)", 1000000, 0 },
	{ "crypto.hmac_sha256 32B", "s = string.rep('k', 32)", "crypto.hmac_sha256(s, s)", 300000, 0 },
	{ "base64.encode 64KiB", "s = string.rep('\\255a\\0\\17', 16384)", "base64.encode(s)", 2000, 65536 },
	{ "base64.decode 64KiB", "s = base64.encode(string.rep('\\255a\\0\\17', 16384))", "base64.decode(s)", 2000, 65536 },
	{ "hex.encode 64KiB", "s = string.rep('\\255a\\0\\17', 16384)", "hex.encode(s)", 2000, 65536 },
	{ "hex.decode 64KiB", "s = hex.encode(string.rep('\\255a\\0\\17', 16384))", "hex.decode(s)", 2000, 65536 },
};

int main(int argc, char **argv)
{
	int repeats = argc > 1 ? atoi(argv[1]) : 7;
	if (repeats < 1 || repeats > 99)
		repeats = 7;
	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	lua_CFunction opens[] = { prim_open_base64, prim_open_hex, prim_open_crypto };
	const char *names[] = { "base64", "hex", "crypto" };
	for (int i = 0; i < 3; i++) {
		lua_pushcfunction(L, opens[i]);
		lua_call(L, 0, 1);
		lua_setglobal(L, names[i]);
	}
	for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		char code[512];
		snprintf(code, sizeof code, "%s\nreturn function() for _ = 1, %d do local x = %s end end",
			 rows[r].setup, rows[r].n, rows[r].call);
		if (luaL_dostring(L, code) != 0) {
			fprintf(stderr, "%s: %s\n", rows[r].name, lua_tostring(L, -1));
			return 1;
		}
		double t[99];
		for (int k = 0; k < repeats; k++) {
			lua_pushvalue(L, -1);
			double t0 = now();
			lua_call(L, 0, 0);
			t[k] = now() - t0;
		}
		lua_pop(L, 1);
		qsort(t, (size_t)repeats, sizeof t[0], cmp_double);
		double med = t[repeats / 2];
		if (rows[r].bytes)
			printf("%-24s %8.0f MB/s\n", rows[r].name, rows[r].bytes * (double)rows[r].n / med / 1e6);
		else
			printf("%-24s %8.1f ns/call\n", rows[r].name, med / rows[r].n * 1e9);
	}
	lua_close(L);
	return 0;
}
