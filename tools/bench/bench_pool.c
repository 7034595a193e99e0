/* bench_pool.c - trivial playbook runs per second through one pooled sandbox
 * state (one thread, so one core), against the baseline the pool exists to
 * avoid: a fresh LuaJIT state with its standard libraries for every run.
 *
 * Usage: bench_pool [runs] [repeats]    (defaults 200000 and 5)
 * Prints the median of the repeats. */
#include "playbook.h"
#include "pool.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char trivial[] =
	"return { name = 'trivial', version = '1', inputs = { n = { type = 'integer', default = 1 } },\n"
	"  run = function(ctx, input) return { ok = true, n = input.n } end }\n";

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Each run takes a state from the pool and gives it back, as a worker would. */
static double pooled(struct sandbox_pool *pool, const struct playbook_src *src, int runs)
{
	char err[256];
	double t0 = now();
	for (int i = 0; i < runs; i++) {
		struct sandbox *sb = sandbox_pool_take(pool, err, sizeof err);
		struct playbook_run run;
		memset(&run, 0, sizeof run);
		sandbox_limits_default(&run.limits);
		run.src = src;
		if (playbook_run(sb, &run) != PLAYBOOK_SUCCEEDED) {
			fprintf(stderr, "run failed: %s\n", run.outcome.message);
			exit(1);
		}
		playbook_run_clear(&run);
		sandbox_pool_give(pool, sb);
	}
	return runs / (now() - t0);
}

/* The same playbook, each run on a fresh state (no sandbox, no limits: the
 * baseline is generous to itself). */
static double fresh_states(int runs)
{
	double t0 = now();
	for (int i = 0; i < runs; i++) {
		lua_State *L = luaL_newstate();
		luaL_openlibs(L);
		if (luaL_loadbuffer(L, trivial, sizeof trivial - 1, "=trivial") || lua_pcall(L, 0, 1, 0)) {
			fprintf(stderr, "baseline failed\n");
			exit(1);
		}
		lua_getfield(L, -1, "run");
		lua_newtable(L);
		lua_newtable(L);
		lua_pushinteger(L, 1);
		lua_setfield(L, -2, "n");
		lua_call(L, 2, 1);
		lua_close(L);
	}
	return runs / (now() - t0);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 200000;
	int repeats = argc > 2 ? atoi(argv[2]) : 5;
	if (runs <= 0 || repeats <= 0 || repeats > 50) {
		fprintf(stderr, "usage: bench_pool [runs] [repeats<=50]\n");
		return 2;
	}
	char err[256];
	struct sandbox_pool *pool = sandbox_pool_new(1, NULL, err, sizeof err);
	if (!pool) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct playbook_src src;
	playbook_load_string("trivial.lua", trivial, sizeof trivial - 1, &src);
	pooled(pool, &src, runs / 10);                    /* warm up */
	double p[50], f[50];
	for (int r = 0; r < repeats; r++) {
		p[r] = pooled(pool, &src, runs);
		f[r] = fresh_states(runs / 50 > 1000 ? runs / 50 : 1000);
	}
	double pm = median(p, repeats), fm = median(f, repeats);
	printf("pooled runs/s (1 thread):      %.0f  (%.2f us/run)\n", pm, 1e6 / pm);
	printf("fresh-state runs/s (baseline): %.0f  (%.2f us/run)\n", fm, 1e6 / fm);
	printf("ratio pooled/fresh:            %.1fx\n", pm / fm);
	playbook_src_free(&src);
	sandbox_pool_free(pool);
	return 0;
}
