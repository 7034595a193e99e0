/* test_sandbox_limits.c - limits still hold after every kind of failure (issue
 * 12, item 2). A failed error path used to leave the thread's no-interrupt depth
 * raised (capture_error's traceback failing at the memory cap), and the watchdog
 * then ignored every later stop on that thread: a spinning run ran until killed.
 * Each kind of failure below is followed by a spinning run under a 0.3 s CPU
 * limit, which must be stopped within seconds, and the depth must be back at 0.
 * An alarm turns a run that is never stopped into a failure, not a hang. */
#include "check.h"
#include "playbook.h"
#include "sandbox.h"
#include "watchdog.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct sandbox *sb;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static enum sandbox_status run_body(const char *body, const struct sandbox_limits *lim, double *took,
				    char *msg, size_t msglen)
{
	char code[4096];
	snprintf(code, sizeof code,
		 "return { name = 'limits', run = function(ctx, input)\n%s\nend }\n", body);
	struct playbook_src src;
	playbook_load_string("limits.lua", code, strlen(code), &src);
	struct playbook_run run;
	memset(&run, 0, sizeof run);
	run.limits = *lim;
	run.src = &src;
	double t0 = now();
	playbook_run(sb, &run);
	*took = now() - t0;
	enum sandbox_status st = run.outcome.status;
	snprintf(msg, msglen, "%s", run.outcome.message ? run.outcome.message : "ok");
	run.src = NULL;
	playbook_src_free(&src);
	playbook_run_clear(&run);
	return st;
}

static void on_alarm(int sig)
{
	(void)sig;
	static const char m[] = "a spinning run was never stopped: the limits are off\n";
	(void)!write(2, m, sizeof m - 1);
	_exit(1);
}

struct kind {
	const char *name;
	const char *body;
	enum sandbox_status want;
	int lim;     /* 0 default, 1 short CPU, 2 short wall clock, 3 small result */
};

int main(void)
{
	char err[256], msg[512];
	double took;
	signal(SIGALRM, on_alarm);
	sb = sandbox_new(NULL, err, sizeof err);
	CHECK(sb != NULL);
	if (!sb) {
		fprintf(stderr, "%s\n", err);
		return CHECK_DONE();
	}
	struct sandbox_limits lims[4], spin;
	sandbox_limits_default(&lims[0]);
	lims[0].memory = (size_t)16 << 20;
	lims[1] = lims[2] = lims[3] = lims[0];
	lims[1].cpu_seconds = 0.3;
	lims[2].wall_seconds = 0.5;
	lims[3].result_bytes = 100;
	spin = lims[1];

	static const struct kind kinds[] = {
		/* The case: the heap is full when the error is raised, so the
		 * error handler's own allocations (the traceback) fail. */
		{ "oom then raise",
		  "local t = {} pcall(function() while true do t[#t + 1] = {} end end) error('boom')",
		  SANDBOX_OUT_OF_MEMORY, 0 },
		{ "oom then raise a table",
		  "local t = {} pcall(function() while true do t[#t + 1] = {} end end) error(t)",
		  SANDBOX_OUT_OF_MEMORY, 0 },
		{ "oom", "return #string.rep('x', 2^30)", SANDBOX_OUT_OF_MEMORY, 0 },
		{ "oom caught, then spin",
		  "local t = {} pcall(function() while true do t[#t + 1] = {} end end) t = nil\n"
		  "while true do end", SANDBOX_OUT_OF_MEMORY, 1 },
		{ "oom caught, then spin interpreted",
		  "local t = {} pcall(function() while true do t[#t + 1] = {} end end) t = nil\n"
		  "while true do hex.encode('x') end", SANDBOX_OUT_OF_MEMORY, 1 },
		{ "error", "error('plain')", SANDBOX_ERROR, 0 },
		{ "cpu stop (hook)", "while true do hex.encode('x') end", SANDBOX_CPU_LIMIT, 1 },
		{ "wall stop", "local x = 0 while true do x = x + 1 end", SANDBOX_WALL_LIMIT, 2 },
		{ "hard stop", "while true do end", SANDBOX_CPU_LIMIT, 1 },
		{ "result too large", "return { s = string.rep('x', 500) }", SANDBOX_RESULT_TOO_LARGE, 3 },
		{ "coroutine depth", "local function f() coroutine.wrap(f)() end f()", SANDBOX_ERROR, 0 },
	};
	for (int round = 0; round < 1; round++) {
		for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
			const struct kind *k = &kinds[i];
			alarm(30);
			enum sandbox_status st = run_body(k->body, &lims[k->lim], &took, msg,
							  sizeof msg);
			if (st != k->want)
				fprintf(stderr, "%s: status %d (want %d): %s\n", k->name, st, k->want, msg);
			CHECK(st == k->want);
			CHECK(watch_noint_depth() == 0);
			st = run_body("while true do end", &spin, &took, msg, sizeof msg);
			alarm(0);
			if (st != SANDBOX_CPU_LIMIT || took > 10)
				fprintf(stderr, "after %s: the spin ended with %d in %.2fs: %s\n", k->name, st,
					took, msg);
			CHECK(st == SANDBOX_CPU_LIMIT);
			CHECK(took <= 10);   /* a loaded machine: the alarm catches "never" */
			if (round == 0)
				fprintf(stderr, "%-24s then spin stopped in %.2fs\n", k->name, took);
		}
	}
	/* Item 4: a hard stop never lands inside an allocator. The Lua heap's
	 * entry is a no-interrupt region, and libc's allocator is one too
	 * (noint_malloc.c) except under AddressSanitizer, which brings its own.
	 * Hard stops of compiled loops that allocate all the time (strings, tables)
	 * must leave the state's heap and libc's usable: 8 in a row, then runs. */
#if !defined(__SANITIZE_ADDRESS__)
	CHECK(sandbox_malloc_guarded() == 1);
#endif
	for (int i = 0; i < 8; i++) {
		alarm(30);
		enum sandbox_status st = run_body(
			"local t = {} local i = 0\n"
			"while true do i = i + 1 t[i % 1000 + 1] = { i, 'x' .. i } end",
			&spin, &took, msg, sizeof msg);
		CHECK(st == SANDBOX_CPU_LIMIT);
		char *p = malloc(1000 + (size_t)i);   /* libc still answers on this thread */
		CHECK(p != NULL);
		free(p);
		st = run_body("return { s = json.encode({ 1, 2, string.rep('y', 1000) }) }", &lims[0], &took,
			      msg, sizeof msg);
		alarm(0);
		CHECK(st == SANDBOX_OK);
	}
	sandbox_free(sb);
	return CHECK_DONE();
}
