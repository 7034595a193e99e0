/* test_sandbox_pause.c - sandbox_clock_pause/resume (sandbox_pause.h): time a
 * run spends paused (a debugger waiting on a person) counts against neither
 * its wall-clock nor its CPU limit, and the limits still hold after it. The
 * same hold without the pause is stopped by the limit (the control). */
#include "check.h"
#include "playbook.h"
#include "sandbox.h"
#include "sandbox_pause.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct sandbox *sb;
static int use_pause, held;

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* At line 3 of the playbook: 0.25 s asleep, then 0.25 s of CPU. */
static void hold_hook(lua_State *L, lua_Debug *ar)
{
	if (held || ar->event != LUA_HOOKLINE || ar->currentline != 3)
		return;
	lua_getinfo(L, "S", ar);
	if (strcmp(ar->source, "@paused.lua") != 0)
		return;
	held = 1;
	if (use_pause)
		sandbox_clock_pause();
	struct timespec nap = { 0, 250 * 1000 * 1000 };
	nanosleep(&nap, NULL);
	double t0 = mono();
	volatile unsigned long spin = 0;
	while (mono() - t0 < 0.25)
		spin++;
	if (use_pause)
		sandbox_clock_resume();
}

static void on_prepare(lua_State *L, void *ud)
{
	(void)ud;
	lua_sethook(L, hold_hook, LUA_MASKLINE, 0);
}

static enum sandbox_status run_code(const char *code, int pause)
{
	struct playbook_src src;
	playbook_load_string("paused.lua", code, strlen(code), &src);
	struct playbook_run run;
	memset(&run, 0, sizeof run);
	sandbox_limits_default(&run.limits);
	run.limits.wall_seconds = 0.35;
	run.limits.cpu_seconds = 0.2;
	run.src = &src;
	run.on_prepare = on_prepare;
	use_pause = pause;
	held = 0;
	playbook_run(sb, &run);
	enum sandbox_status st = run.outcome.status;
	if (st != SANDBOX_OK)
		fprintf(stderr, "pause=%d: %s\n", pause, run.outcome.message ? run.outcome.message : "?");
	playbook_run_clear(&run);
	playbook_src_free(&src);
	return st;
}

static const char held_run[] =
	"return { name = 'paused', run = function()\n"
	"  local x = 1\n"
	"  x = x + 1\n"
	"  return x end }\n";

static const char held_then_loop[] =
	"return { name = 'paused', run = function()\n"
	"  local x = 1\n"
	"  x = x + 1\n"
	"  while true do x = x + 1 end end }\n";

int main(void)
{
	char err[256];
	sb = sandbox_new(NULL, err, sizeof err);
	CHECK(sb != NULL);
	if (!sb)
		return CHECK_DONE();
	/* The control: held without a pause, the limits stop the run. */
	enum sandbox_status st = run_code(held_run, 0);
	CHECK(st == SANDBOX_WALL_LIMIT || st == SANDBOX_CPU_LIMIT);
	/* Paused: the same hold does not count. */
	CHECK(run_code(held_run, 1) == SANDBOX_OK);
	/* After the pause the limits are in force again. */
	st = run_code(held_then_loop, 1);
	CHECK(st == SANDBOX_CPU_LIMIT || st == SANDBOX_WALL_LIMIT);
	/* Outside a run both are harmless no-ops. */
	sandbox_clock_pause();
	sandbox_clock_resume();
	CHECK(run_code(held_run, 1) == SANDBOX_OK);
	sandbox_free(sb);
	return CHECK_DONE();
}
