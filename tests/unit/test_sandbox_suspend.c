/* test_sandbox_suspend.c - many runs in flight on one state: each suspends in a
 * primitive (as an HTTP request would), and continues with its own value. */
#include "check.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

struct job_ud {
	int id;
	double result;
	const char *code;
};

/* wait_io(x): suspends when it may, else answers at once (x + 1000). */
static int wait_io(lua_State *L)
{
	if (sandbox_can_suspend(L))
		return sandbox_suspend(L);
	lua_pushnumber(L, luaL_checknumber(L, 1) + 1000);
	return 1;
}

static int prepare(lua_State *L, int env, void *ud)
{
	struct job_ud *j = ud;
	lua_pushcfunction(L, wait_io);
	lua_setfield(L, env, "wait_io");
	if (luaL_loadstring(L, j->code) != 0)
		lua_error(L);
	lua_pushvalue(L, env);
	lua_setfenv(L, -2);
	lua_pushinteger(L, j->id);
	return 1;
}

static int finish(lua_State *L, int nres, void *ud)
{
	struct job_ud *j = ud;
	j->result = nres ? lua_tonumber(L, -nres) : -1;
	return 0;
}

static int push_value(lua_State *co, void *arg)
{
	lua_pushnumber(co, *(double *)arg);
	return 1;
}

int main(void)
{
	char err[256];
	struct sandbox *sb = sandbox_new(NULL, err, sizeof err);
	CHECK(sb != NULL);
	if (!sb)
		return CHECK_DONE();
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);

	enum { N = 1000 };
	static struct job_ud uds[N];
	static struct sandbox_task *tasks[N];
	const char *code = "local id = ... local a = wait_io(id) local b = wait_io(a) "
			   "local t = {} t.s = a + b return t.s";
	for (int i = 0; i < N; i++) {
		uds[i] = (struct job_ud){ i, 0, code };
		struct sandbox_job job = { prepare, finish, &uds[i] };
		struct sandbox_outcome out;
		CHECK(sandbox_start(sb, &job, &lim, &out, &tasks[i]) == SANDBOX_SUSPENDED);
		CHECK(tasks[i] != NULL);
	}
	/* Continue in reverse order, twice each: the runs are independent. */
	for (int round = 0; round < 2; round++)
		for (int i = N - 1; i >= 0; i--) {
			double v = i * 10.0 + round;
			struct sandbox_outcome out;
			enum sandbox_status st = sandbox_continue(sb, tasks[i], push_value, &v, &out);
			CHECK(st == (round == 0 ? SANDBOX_SUSPENDED : SANDBOX_OK));
			if (round == 1)
				sandbox_outcome_clear(&out);
		}
	int right = 0;
	for (int i = 0; i < N; i++)
		right += uds[i].result == i * 10.0 + i * 10.0 + 1;
	CHECK(right == N);

	/* Without sandbox_start, the same primitive answers at once. */
	{
		struct job_ud j = { 5, 0, code };
		struct sandbox_job job = { prepare, finish, &j };
		struct sandbox_outcome out;
		CHECK(sandbox_exec(sb, &job, &lim, &out) == SANDBOX_OK);
		CHECK(j.result == 5 + 1000 + 5 + 2000);
		sandbox_outcome_clear(&out);
	}
	/* Inside a coroutine the run made, it must not suspend: it blocks instead. */
	{
		struct job_ud j = { 1, 0, "return coroutine.wrap(function() return wait_io(1) end)()" };
		struct sandbox_job job = { prepare, finish, &j };
		struct sandbox_outcome out;
		struct sandbox_task *t;
		CHECK(sandbox_start(sb, &job, &lim, &out, &t) == SANDBOX_OK);
		CHECK(j.result == 1001);
		sandbox_outcome_clear(&out);
	}
	/* An error after a suspension is reported with its line. */
	{
		struct job_ud j = { 1, 0, "local a = wait_io(1)\nerror('after ' .. a)" };
		struct sandbox_job job = { prepare, finish, &j };
		struct sandbox_outcome out;
		struct sandbox_task *t;
		CHECK(sandbox_start(sb, &job, &lim, &out, &t) == SANDBOX_SUSPENDED);
		double v = 7;
		CHECK(sandbox_continue(sb, t, push_value, &v, &out) == SANDBOX_ERROR);
		CHECK(out.message && strstr(out.message, ":2: after 7"));
		CHECK(out.line == 2);
		sandbox_outcome_clear(&out);
	}
	/* A hard stop replaces the state: a task suspended on it cannot continue. */
	{
		struct job_ud a = { 1, 0, code }, b = { 2, 0, "while true do end" };
		struct sandbox_job ja = { prepare, finish, &a }, jb = { prepare, finish, &b };
		struct sandbox_outcome out;
		struct sandbox_task *ta, *tb;
		CHECK(sandbox_start(sb, &ja, &lim, &out, &ta) == SANDBOX_SUSPENDED);
		struct sandbox_limits quick = lim;
		quick.cpu_seconds = 0.2;
		CHECK(sandbox_start(sb, &jb, &quick, &out, &tb) == SANDBOX_CPU_LIMIT);
		sandbox_outcome_clear(&out);
		double v = 1;
		CHECK(sandbox_continue(sb, ta, push_value, &v, &out) == SANDBOX_INTERNAL);
		CHECK(out.message && strstr(out.message, "replaced"));
		sandbox_outcome_clear(&out);
	}
	/* A task dropped without continuing. */
	{
		struct job_ud j = { 1, 0, code };
		struct sandbox_job job = { prepare, finish, &j };
		struct sandbox_outcome out;
		struct sandbox_task *t;
		CHECK(sandbox_start(sb, &job, &lim, &out, &t) == SANDBOX_SUSPENDED);
		sandbox_task_free(sb, t);
	}
	sandbox_free(sb);
	return CHECK_DONE();
}
