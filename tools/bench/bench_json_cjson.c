/* bench_json_cjson.c - our json.decode/json.encode against Debian's lua-cjson, on
 * the typical alert (bench_alert.h), in one plain LuaJIT state of this process:
 * the same interpreter, the same table, the same loop, so only the codec differs.
 * Our codec is loaded as the sandbox loads it (prim_open_json); lua-cjson with
 * require "cjson" (apt install lua-cjson: a benchmark-only package). Also checks
 * that both encodings decode back to the same value, so the race is fair.
 *
 * Usage: bench_json_cjson [ITERATIONS [ROUNDS [FUNCTION]]]   (defaults 20000, 9;
 * FUNCTION: one of ours_decode cjson_decode ours_encode cjson_encode, alone)
 * Each figure: the median of ROUNDS rounds, thread CPU time, microseconds per
 * alert; the rounds of the two codecs alternate so that load hits both alike.
 * Exit 0 with a note when lua-cjson is not installed. */
#include "bench_alert.h"
#include "prims.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	return v[n / 2];
}

static void run(lua_State *L, const char *code)
{
	if (luaL_loadstring(L, code) != 0 || lua_pcall(L, 0, 0, 0) != 0) {
		fprintf(stderr, "bench_json_cjson: %s\n", lua_tostring(L, -1));
		exit(1);
	}
}

/* Not inlined: `valgrind --tool=callgrind --toggle-collect=round_of` counts the
 * instructions of the rounds alone (with FUNCTION, of one codec's). */
__attribute__((noinline))
static double round_of(lua_State *L, const char *fn)
{
	lua_getglobal(L, fn);
	double t0 = now_s();
	lua_call(L, 0, 0);
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 20000;
	int rounds = argc > 2 ? atoi(argv[2]) : 9;
	if (iters <= 0 || rounds <= 0 || rounds > 99) {
		fprintf(stderr, "usage: bench_json_cjson [ITERATIONS [ROUNDS (1-99)]]\n");
		return 2;
	}
	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	lua_pushcfunction(L, prim_open_json);
	lua_call(L, 0, 1);
	lua_setglobal(L, "json");
	lua_pushlstring(L, alert, sizeof alert - 1);
	lua_setglobal(L, "ALERT");
	lua_pushnumber(L, (double)iters);
	lua_setglobal(L, "N");
	run(L, "OK, cjson = pcall(require, 'cjson')");
	lua_getglobal(L, "OK");
	if (!lua_toboolean(L, -1)) {
		printf("bench_json_cjson: lua-cjson is not installed (apt install lua-cjson); skipped\n");
		lua_close(L);
		return 0;
	}
	lua_pop(L, 1);
	/* One table (decoded by ours) for both encoders; each encoding must read
	 * back, with either decoder, as the same values (cjson writes 14 significant
	 * digits, so compare through its own round trip only where it can). */
	run(L, "V = json.decode(ALERT)\n"
	       "local S = {sort_keys = true}\n"
	       "assert(json.encode(json.decode(json.encode(V)), S) == json.encode(V, S))\n"
	       "local c = cjson.decode(cjson.encode(V))\n"
	       "assert(c.geo.city == V.geo.city and c.message == V.message and #c.tags == #V.tags)\n"
	       "function ours_decode() local d, s = json.decode, ALERT for i = 1, N do d(s) end end\n"
	       "function cjson_decode() local d, s = cjson.decode, ALERT for i = 1, N do d(s) end end\n"
	       "function ours_encode() local e, v = json.encode, V for i = 1, N do e(v) end end\n"
	       "function cjson_encode() local e, v = cjson.encode, V for i = 1, N do e(v) end end\n");
	static const char *const fns[] = { "ours_decode", "cjson_decode", "ours_encode", "cjson_encode" };
	double t[4][99];
	const char *only = argc > 3 ? argv[3] : NULL;
	for (int r = 0; r < rounds; r++)
		for (int f = 0; f < 4; f++)
			t[f][r] = !only || strcmp(only, fns[f]) == 0 ? round_of(L, fns[f]) : 0;
	printf("alert: %zu bytes; %ld operations per round, median of %d rounds (us/alert)\n",
	       sizeof alert - 1, iters, rounds);
	for (int f = 0; f < 4; f++)
		printf("%-13s %6.2f\n", fns[f], median(t[f], rounds) / (double)iters * 1e6);
	lua_close(L);
	return 0;
}
