/* test_sandbox.c - runs hostile playbooks through one sandbox and checks that
 * each is contained with the right error, and that the same sandbox then serves
 * a normal run cleanly. */
#include "check.h"
#include "playbook.h"
#include "sandbox.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct sandbox *sb;

static const char hello[] =
	"return { name = 'hello', run = function(ctx, input)\n"
	"  assert(rawget(_G, 'leaked') == nil, 'a global leaked from an earlier run')\n"
	"  return { ok = true, n = #('x'):rep(3) } end }\n";

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs `body` (the inside of run = function(ctx, input) ... end). */
static enum playbook_status run_src(const char *code, struct sandbox_limits *lim,
				    struct playbook_run *run)
{
	struct playbook_src src;
	playbook_load_string("hostile.lua", code, strlen(code), &src);
	memset(run, 0, sizeof *run);
	if (lim)
		run->limits = *lim;
	else
		sandbox_limits_default(&run->limits);
	run->src = &src;
	enum playbook_status st = playbook_run(sb, run);
	run->src = NULL;
	playbook_src_free(&src);
	return st;
}

static void expect_clean_next_run(const char *after)
{
	struct playbook_run run;
	enum playbook_status st = run_src(hello, NULL, &run);
	if (st != PLAYBOOK_SUCCEEDED)
		fprintf(stderr, "after %s: %s\n", after, run.outcome.message);
	CHECK(st == PLAYBOOK_SUCCEEDED);
	CHECK(run.result_json && strcmp(run.result_json, "{\"n\":3,\"ok\":true}") == 0);
	playbook_run_clear(&run);
}

static void expect(const char *what, const char *body, struct sandbox_limits *lim,
		   enum sandbox_status want, const char *msg_part, double max_seconds)
{
	char code[4096];
	snprintf(code, sizeof code,
		 "return { name = 'hostile', run = function(ctx, input)\n%s\nend }\n", body);
	struct playbook_run run;
	double t0 = now();
	run_src(code, lim, &run);
	double took = now() - t0;
	int ok = run.outcome.status == want &&
		 (!msg_part || (run.outcome.message && strstr(run.outcome.message, msg_part)));
	if (!ok || took > max_seconds)
		fprintf(stderr, "%s: status %d (want %d) in %.2fs: %s\n", what, run.outcome.status,
			want, took, run.outcome.message ? run.outcome.message : "(none)");
	CHECK(run.outcome.status == want);
	CHECK(!msg_part || (run.outcome.message && strstr(run.outcome.message, msg_part)));
	CHECK(took <= max_seconds);
	fprintf(stderr, "%-26s %-40.40s %.3fs%s\n", what, run.outcome.message ? run.outcome.message : "ok",
		took, run.outcome.state_discarded ? " (state discarded)" : "");
	playbook_run_clear(&run);
	expect_clean_next_run(what);
}

int main(void)
{
	char err[256];
	sb = sandbox_new(NULL, err, sizeof err);
	CHECK(sb != NULL);
	if (!sb) {
		fprintf(stderr, "%s\n", err);
		return CHECK_DONE();
	}
	expect_clean_next_run("start");

	struct sandbox_limits quick;
	sandbox_limits_default(&quick);
	quick.cpu_seconds = 0.3;

	/* Memory bombs: the allocator refuses, the run fails "out of memory". */
	expect("string.rep bomb", "return #string.rep('x', 2^30)", NULL,
	       SANDBOX_OUT_OF_MEMORY, "out of memory", 5);
	expect("doubling concat", "local s = 'x' while true do s = s .. s end", NULL,
	       SANDBOX_OUT_OF_MEMORY, "out of memory", 5);
	expect("huge table", "local t = {} for i = 1, 1e9 do t[i] = i end", NULL,
	       SANDBOX_OUT_OF_MEMORY, "out of memory", 10);
	expect("many small tables", "local t = {} for i = 1, 1e9 do t[i] = {i} end", NULL,
	       SANDBOX_OUT_OF_MEMORY, "out of memory", 10);

	/* CPU: interpreted, JIT-compiled, and swallowed by pcall. */
	expect("while true (JIT)", "while true do end", &quick, SANDBOX_CPU_LIMIT, "CPU time limit", 3);
	expect("numeric for (JIT)", "local x = 0 for i = 1, 1e15 do x = x + i end return x",
	       &quick, SANDBOX_CPU_LIMIT, "CPU time limit", 3);
	expect("pcall swallows the stop",
	       "while true do pcall(function() while true do end end) end",
	       &quick, SANDBOX_CPU_LIMIT, "CPU time limit", 3);
	expect("calls in a loop",
	       "local function f(x) return x + 1 end local n = 0 while true do n = f(n) end",
	       &quick, SANDBOX_CPU_LIMIT, "CPU time limit", 3);
	/* A single long C call: a pathological Lua pattern. */
	/* A loop the JIT cannot compile (it calls a C function through the Lua API):
	 * the hook stops it cleanly and the state is kept. */
	unsigned gen = sandbox_generation(sb);
	expect("interpreted loop", "while true do hex.encode(\"x\") end",
	       &quick, SANDBOX_CPU_LIMIT, "CPU time limit", 3);
	CHECK(sandbox_generation(sb) == gen);
	/* Compiled code ignores hooks: the hard stop replaces the state. */
	expect("compiled loop, hard stop", "while true do end", &quick, SANDBOX_CPU_LIMIT,
	       "inside compiled code", 3);
	CHECK(sandbox_generation(sb) == gen + 1);
	expect("pathological pattern",
	       "return (string.rep('a', 3000)):find('.-.-.-.-.-.-.-.-.-.-b')",
	       &quick, SANDBOX_CPU_LIMIT, "CPU time limit", 3);

	/* Wall clock, while the CPU limit is generous. */
	struct sandbox_limits walled;
	sandbox_limits_default(&walled);
	walled.wall_seconds = 0.3;
	expect("wall clock", "while true do end", &walled, SANDBOX_WALL_LIMIT, "wall-clock limit", 3);

	/* Recursion: Lua stack, coroutines. */
	expect("deep recursion", "local function f() return 1 + f() end return f()", NULL,
	       SANDBOX_ERROR, "stack overflow", 5);
	expect("coroutine recursion",
	       "local function f() coroutine.wrap(f)() end f()", NULL, SANDBOX_ERROR, NULL, 5);

	/* Result cap. */
	struct sandbox_limits small;
	sandbox_limits_default(&small);
	small.result_bytes = 1000;
	expect("result too large", "return { s = string.rep('x', 5000) }", &small,
	       SANDBOX_RESULT_TOO_LARGE, "result too large", 2);

	/* Leaks between runs: a global, then the next run must not see it. */
	expect("global leak attempt", "leaked = true error('stop here')", NULL, SANDBOX_ERROR,
	       "stop here", 2);

	/* Errors point at the playbook's file and line. */
	{
		struct playbook_run run;
		run_src("return { name = 'e', run = function()\n\n  error('boom')\nend }\n", NULL, &run);
		CHECK(run.status == PLAYBOOK_FAILED);
		CHECK_STR(run.outcome.file, "hostile.lua");
		CHECK(run.outcome.line == 3);
		CHECK(run.outcome.message && strstr(run.outcome.message, "hostile.lua:3: boom"));
		CHECK(run.outcome.traceback && strstr(run.outcome.traceback, "hostile.lua:3"));
		playbook_run_clear(&run);
	}
	/* Not a table, no run, syntax error: invalid. */
	{
		struct playbook_run run;
		CHECK(run_src("return 42", NULL, &run) == PLAYBOOK_INVALID);
		CHECK(run.outcome.message && strstr(run.outcome.message, "must return a table"));
		playbook_run_clear(&run);
		CHECK(run_src("return { name = 'x' }", NULL, &run) == PLAYBOOK_INVALID);
		CHECK(run.outcome.message && strstr(run.outcome.message, "run = function"));
		playbook_run_clear(&run);
		CHECK(run_src("return { name = 'x', run = function() end", NULL, &run) == PLAYBOOK_INVALID);
		CHECK(run.outcome.message && strstr(run.outcome.message, "not valid Lua"));
		playbook_run_clear(&run);
		CHECK(run_src("\033LJ\002junk", NULL, &run) == PLAYBOOK_INVALID);
		CHECK(run.outcome.message && strstr(run.outcome.message, "bytecode"));
		playbook_run_clear(&run);
	}
	/* Many runs on one state stay clean and the heap does not grow. */
	{
		size_t before = 0;
		for (int i = 0; i < 20000; i++) {
			struct playbook_run run;
			run_src(hello, NULL, &run);
			if (run.status != PLAYBOOK_SUCCEEDED) {
				CHECK(run.status == PLAYBOOK_SUCCEEDED);
				playbook_run_clear(&run);
				break;
			}
			playbook_run_clear(&run);
			if (i == 1000)
				before = sandbox_heap_used(sb);
		}
		size_t after = sandbox_heap_used(sb);
		if (after > before + (8u << 20))
			fprintf(stderr, "heap grew from %zu to %zu over 19000 runs\n", before, after);
		CHECK(after <= before + (8u << 20));
	}
	sandbox_free(sb);
	return CHECK_DONE();
}
