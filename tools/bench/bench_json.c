/* bench_json.c - the JSON codec's figures for docs/PERFORMANCE.md, on a typical
 * alert (about 1.4 KB: nested objects, an array, strings with escapes and
 * non-ASCII, integers and fractions):
 *   tree     json_parse, the reader ingestion and the API use (us per alert)
 *   decode   json.decode from Lua (us per alert)
 *   encode   json.encode of the decoded table from Lua (us per alert)
 *   sorted   json.encode with sort_keys (the engine's result encoding)
 *
 * Usage: bench_json [ITERATIONS [ROUNDS]]   (defaults 20000 and 7)
 * Each figure is the median of ROUNDS rounds of ITERATIONS operations, in the
 * thread's CPU time (so that other processes on a shared machine distort it less).
 */
#include "bench_alert.h"
#include "json.h"
#include "prim.h"
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
	return ts.tv_sec + ts.tv_nsec / 1e9;
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

/* Runs `code` (with N = iterations) in L; returns its wall time. */
static double lua_round(lua_State *L, const char *code, long iters)
{
	lua_pushnumber(L, (double)iters);
	lua_setglobal(L, "N");
	if (luaL_loadstring(L, code) != 0) {
		fprintf(stderr, "%s\n", lua_tostring(L, -1));
		exit(1);
	}
	double t0 = now_s();
	if (lua_pcall(L, 0, 0, 0) != 0) {
		fprintf(stderr, "%s\n", lua_tostring(L, -1));
		exit(1);
	}
	return now_s() - t0;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 20000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	double *t = calloc((size_t)rounds, sizeof *t);
	char err[256];

	if (iters <= 0 || rounds <= 0 || !t) {
		fprintf(stderr, "usage: bench_json [ITERATIONS [ROUNDS]]\n");
		return 2;
	}
	printf("alert: %zu bytes; %ld operations per round, median of %d rounds\n",
	       sizeof alert - 1, iters, rounds);

	for (int r = 0; r < rounds; r++) {
		double t0 = now_s();
		for (long i = 0; i < iters; i++) {
			struct json_doc d;
			if (json_parse(&d, alert, sizeof alert - 1, 0, err, sizeof err) != 0) {
				fprintf(stderr, "tree: %s\n", err);
				return 1;
			}
			json_doc_free(&d);
		}
		t[r] = now_s() - t0;
	}
	printf("tree    %8.2f us/alert\n", median(t, rounds) / (double)iters * 1e6);

	lua_State *L = luaL_newstate();
	luaL_openlibs(L);
	lua_pushcfunction(L, prim_open_json);
	lua_call(L, 0, 1);
	lua_setglobal(L, "json");
	lua_pushlstring(L, alert, sizeof alert - 1);
	lua_setglobal(L, "ALERT");
	lua_round(L, "V = assert(json.decode(ALERT))", 1);

	static const struct { const char *name, *code; } lua_cases[] = {
		{ "decode", "local d, s = json.decode, ALERT for i = 1, N do d(s) end" },
		{ "encode", "local e, v = json.encode, V for i = 1, N do e(v) end" },
		{ "sorted", "local e, v, o = json.encode, V, {sort_keys = true} for i = 1, N do e(v, o) end" },
	};
	for (size_t c = 0; c < sizeof lua_cases / sizeof *lua_cases; c++) {
		for (int r = 0; r < rounds; r++)
			t[r] = lua_round(L, lua_cases[c].code, iters);
		printf("%-7s %8.2f us/alert\n", lua_cases[c].name, median(t, rounds) / (double)iters * 1e6);
	}
	lua_close(L);
	free(t);
	return 0;
}
