/* prim_flow.c - steps that shape a run: random, pick, sleep, wait_until, and the
 * task bookkeeping under the Lua `task` (lua/_prelude.lua). */
#include "case.h"
#include "engine.h"
#include "prim_sla.h"
#include "sla_watch.h"
#include "prim_json.h"
#include "prim.h"
#include "step.h"
#include "timefmt.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

static struct engine_run *engine(void)
{
	struct run_info *ri = sandbox_current();
	return ri ? ri->engine : NULL;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A uniform double in [0, 1): xoshiro256** per thread, seeded from the kernel
 * once (a system call per value showed in profiles). Replay makes every value
 * reproducible, so it needs no seed of its own; it is not for keys (crypto.random). */
static __thread uint64_t rng[4];
static __thread int rng_ready;

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static double uniform(void)
{
	if (!rng_ready) {
		if (getrandom(rng, sizeof rng, 0) != (ssize_t)sizeof rng) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			rng[0] = (uint64_t)ts.tv_nsec ^ 0x9e3779b97f4a7c15ULL;
			rng[1] = (uint64_t)ts.tv_sec;
			rng[2] = (uint64_t)(uintptr_t)&ts;
			rng[3] = 0x2545f4914f6cdd1dULL;
		}
		rng_ready = 1;
	}
	uint64_t r = rotl(rng[1] * 5, 7) * 9, t = rng[1] << 17;
	rng[2] ^= rng[0];
	rng[3] ^= rng[1];
	rng[1] ^= rng[2];
	rng[0] ^= rng[3];
	rng[2] ^= t;
	rng[3] = rotl(rng[3], 45);
	return (double)(r >> 11) / 9007199254740992.0;
}

#define RANDOM_SIG "random([m [, n]])"

static int l_random(lua_State *L)
{
	int nargs = lua_gettop(L);
	lua_Number lo = 1, hi = 0;
	if (nargs >= 1)
		hi = prim_check_number(L, 1, RANDOM_SIG);
	if (nargs >= 2) {
		lo = hi;
		hi = prim_check_number(L, 2, RANDOM_SIG);
	}
	if (nargs >= 1 && (floor(lo) != lo || floor(hi) != hi || lo > hi))
		prim_usage(L, RANDOM_SIG, "the interval [%g, %g] is empty or not whole numbers", lo, hi);
	int n = step_replay(L, "random");
	if (n >= 0)
		return n;
	double u = uniform();
	if (nargs == 0)
		lua_pushnumber(L, u);
	else
		lua_pushnumber(L, lo + floor(u * (hi - lo + 1)));
	return step_commit(L, "random", NULL, 1);
}

#define PICK_SIG "pick(list: table)"

static int l_pick(lua_State *L)
{
	if (!lua_istable(L, 1))
		prim_usage(L, PICK_SIG, "argument 1 is %s, not a list", luaL_typename(L, 1));
	int len = (int)lua_objlen(L, 1);
	if (len == 0)
		prim_usage(L, PICK_SIG, "the list is empty");
	int n = step_replay(L, "pick");
	if (n < 0) {
		lua_pushinteger(L, 1 + (lua_Integer)(uniform() * len));
		step_record(L, "pick", NULL, 1);
	}
	int i = (int)lua_tointeger(L, -1);
	if (i < 1 || i > len)   /* the list shrank since the step was recorded */
		return luaL_error(L, "pick: recorded position %d is beyond the list (%d items)", i, len);
	lua_rawgeti(L, 1, i);
	lua_insert(L, -2);
	return 2;                                      /* value, index */
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* A durable wait until `until` (ms): in place when short, else the run parks. */
static int wait_until_ms(lua_State *L, const char *name, int64_t until)
{
	struct engine_run *e = engine();
	const struct journal_entry *je = step_lookup(L, name);
	if (je && je->result_json)
		until = (int64_t)strtoll(je->result_json + 1, NULL, 10);   /* "[ms]" */
	int64_t left = until - now_ms();
	if (!e) {
		if (left > ENGINE_INLINE_SLEEP_MS)
			return luaL_error(L, "%s: waits longer than %d s need a durable run (soarctl run)",
					  name, ENGINE_INLINE_SLEEP_MS / 1000);
		if (left > 0)
			sleep_ms(left);
		return 0;
	}
	if (!je) {
		lua_pushnumber(L, (lua_Number)until);
		if (left <= ENGINE_INLINE_SLEEP_MS) {
			step_record(L, name, NULL, 1);
			lua_pop(L, 1);
		} else {
			char err[512];
			struct journal_entry entry;
			memset(&entry, 0, sizeof entry);
			char res[32];
			snprintf(res, sizeof res, "[%lld]", (long long)until);
			entry.no = step_position(L);
			entry.name = (char *)name;
			entry.result_json = res;
			entry.task = e->task[0] ? e->task : NULL;
			entry.started = now_ms();
			if (engine_wait(e, &entry, "sleep", until, NULL, err, sizeof err) != 0)
				return luaL_error(L, "%s: %s", name, err);
			return step_park(L);
		}
	} else {
		if (left > ENGINE_INLINE_SLEEP_MS) {
			char err[512];
			if (engine_wait(e, NULL, "sleep", until, NULL, err, sizeof err) != 0)
				return luaL_error(L, "%s: %s", name, err);
			return step_park(L);
		}
		step_advance(L);
	}
	if (left > 0)
		sleep_ms(left);
	return 0;
}

static int l_sleep(lua_State *L)
{
	lua_Number s = prim_check_number(L, 1, "sleep(seconds: number)");
	if (!(s >= 0) || s > 366.0 * 86400)
		prim_usage(L, "sleep(seconds: number)", "%g is not between 0 and a year", s);
	return wait_until_ms(L, "sleep", now_ms() + (int64_t)(s * 1000));
}

static int l_wait_until(lua_State *L)
{
	double t;
	if (lua_type(L, 1) == LUA_TNUMBER) {
		t = lua_tonumber(L, 1);
	} else if (lua_type(L, 1) == LUA_TSTRING) {
		size_t len;
		const char *s = lua_tolstring(L, 1, &len);
		char err[128];
		if (timefmt_parse(s, len, NULL, &t, err, sizeof err) != 0)
			prim_usage(L, "wait_until(time: number|string)", "%s", err);
	} else {
		prim_usage(L, "wait_until(time: number|string)", "argument 1 is %s",
			   lua_isnoneornil(L, 1) ? "missing" : luaL_typename(L, 1));
	}
	return wait_until_ms(L, "wait_until", (int64_t)(t * 1000));
}

/* ---- tasks: the C half of `task` (see lua/_prelude.lua) ---- */

#define TASK_SIG "task(name: string, fn: function [, {owner=, role=, sla=seconds, on_breach=, minutes_saved=}])"

static const char *opt_string(lua_State *L, int t, const char *key)
{
	lua_getfield(L, t, key);
	const char *s = lua_isnil(L, -1) ? NULL : lua_tostring(L, -1);
	if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
		prim_usage(L, TASK_SIG, "%s must be a string", key);
	lua_pop(L, 1);
	return s;
}

/* The case seq a run works on (0: none or not found). */
static uint64_t run_case_seq(struct engine_run *e)
{
	if (!e || !e->st || !e->rec.case_ref)
		return 0;
	struct case_rec c;
	char err[200];
	prim_noint_enter();
	uint64_t seq = case_get(e->st, e->rec.case_ref, &c, err, sizeof err) == 0 ? c.seq : 0;
	if (seq)
		case_rec_free(&c);
	prim_noint_leave();
	return seq;
}

/* A task with an SLA is recorded for its case (shown there) and, with
 * on_breach, for the daemon's escalation (store/sla_watch.h). Once, at the
 * task's first execution (a replay finds it recorded). */
static void watch_task(lua_State *L, struct engine_run *e, int info, const char *on_breach)
{
	lua_getfield(L, info, "due");
	int64_t due = (int64_t)lua_tonumber(L, -1);
	lua_pop(L, 1);
	uint64_t seq = run_case_seq(e);
	if (!due || !e || !e->rec.id[0] || (!seq && !on_breach))
		return;
	struct sla_watch w;
	memset(&w, 0, sizeof w);
	w.task = 1;
	w.case_seq = seq;
	w.due = due;
	snprintf(w.run, sizeof w.run, "%s", e->rec.id);
	lua_getfield(L, info, "path");
	snprintf(w.path, sizeof w.path, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
	lua_getfield(L, info, "owner");
	snprintf(w.owner, sizeof w.owner, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
	lua_getfield(L, info, "role");
	snprintf(w.role, sizeof w.role, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "");
	lua_pop(L, 3);
	w.on_breach = (char *)on_breach;
	char err[300];
	prim_noint_enter();
	int rc = sla_watch_task(e->st, &w, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		luaL_error(L, "task %s: recording its SLA: %s", w.path, err);
}

/* task_enter(name, opts) -> info table {name, path, owner, role, due} */
static int l_task_enter(lua_State *L)
{
	size_t nlen;
	const char *name = prim_check_string(L, 1, TASK_SIG, &nlen);
	if (nlen == 0 || strchr(name, '/'))
		prim_usage(L, TASK_SIG, "a task name is non-empty and has no '/'");
	int has_opts = prim_opt_table(L, 2, TASK_SIG);
	struct engine_run *e = engine();
	int n = step_replay(L, "task");
	if (n < 0) {
		lua_createtable(L, 0, 5);
		lua_pushstring(L, name);
		lua_setfield(L, -2, "name");
		if (has_opts) {
			const char *owner = opt_string(L, 2, "owner"), *role = opt_string(L, 2, "role");
			if (owner) {
				lua_pushstring(L, owner);
				lua_setfield(L, -2, "owner");
			}
			if (role) {
				lua_pushstring(L, role);
				lua_setfield(L, -2, "role");
			}
			lua_getfield(L, 2, "sla");
			if (!lua_isnil(L, -1)) {
				if (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) <= 0)
					prim_usage(L, TASK_SIG, "sla is a number of seconds");
				lua_pushnumber(L, (lua_Number)(now_ms() + (int64_t)(lua_tonumber(L, -1) * 1000)));
				lua_setfield(L, -3, "due");
			}
			lua_pop(L, 1);
			/* Recorded with the task (the journal's info), so a replay
			 * counts it again without the option being re-read. */
			lua_getfield(L, 2, "minutes_saved");
			if (!lua_isnil(L, -1)) {
				if (lua_type(L, -1) != LUA_TNUMBER || !(lua_tonumber(L, -1) >= 0) ||
				    lua_tonumber(L, -1) > 1e9)
					prim_usage(L, TASK_SIG, "minutes_saved is a number of minutes >= 0");
				lua_setfield(L, -2, "minutes_saved");
			} else {
				lua_pop(L, 1);
			}
		}
		if (e) {
			if (e->task[0])
				lua_pushfstring(L, "%s/%s", e->task, name);
			else
				lua_pushstring(L, name);
			lua_setfield(L, -2, "path");
		}
		const char *on_breach = NULL;
		if (has_opts) {
			lua_getfield(L, 2, "on_breach");
			int nil = lua_isnil(L, -1);
			lua_pop(L, 1);
			if (!nil) {
				lua_getfield(L, 2, "on_breach");
				on_breach = prim_sla_on_breach(L, lua_gettop(L), TASK_SIG);
				lua_remove(L, -2);         /* stack: ..., info, json */
				lua_insert(L, -2);         /* stack: ..., json, info */
			}
		}
		watch_task(L, e, lua_gettop(L), on_breach);
		step_record(L, "task", name, 1);
	}
	if (e) {
		lua_getfield(L, -1, "path");
		if (lua_isstring(L, -1))
			snprintf(e->task, sizeof e->task, "%s", lua_tostring(L, -1));
		lua_getfield(L, -2, "role");
		if (e->task_depth < ENGINE_MAX_TASK_DEPTH) {
			/* A task without a role keeps the role of the task around it. */
			const char *role = lua_tostring(L, -1);
			const char *outer = e->task_depth ? e->task_roles[e->task_depth - 1] : "";
			snprintf(e->task_roles[e->task_depth], sizeof e->task_roles[0], "%s", role ? role : outer);
		}
		e->task_depth++;
		lua_pop(L, 2);
	}
	return 1;
}

/* task_leave(info, ok) */
static int l_task_leave(lua_State *L)
{
	struct engine_run *e = engine();
	int ok = lua_toboolean(L, 2);
	if (step_replay(L, "task.end") < 0) {
		lua_getfield(L, 1, "due");
		int has_sla = lua_isnumber(L, -1);
		lua_getfield(L, 1, "path");
		if (has_sla && e && e->rec.id[0] && lua_isstring(L, -1)) {
			char err[300];
			uint64_t seq = run_case_seq(e);
			prim_noint_enter();
			sla_task_done(e->st, seq, e->rec.id, lua_tostring(L, -1), ok, err, sizeof err);
			prim_noint_leave();
		}
		lua_pop(L, 2);
		lua_getfield(L, 1, "name");
		const char *name = lua_tostring(L, -1);
		lua_pushboolean(L, ok);
		step_record(L, "task.end", name, 1);
	}
	if (e && ok) {
		/* Counted on every execution, replays included: the engine's sum
		 * starts at zero each time the run is (re)played. */
		lua_getfield(L, 1, "minutes_saved");
		if (lua_type(L, -1) == LUA_TNUMBER) {
			e->saved_declared = 1;
			e->saved_milli += (int64_t)(lua_tonumber(L, -1) * 1000 + 0.5);
		}
		lua_pop(L, 1);
	}
	if (e) {
		if (e->task_depth > 0)
			e->task_depth--;
		char *slash = strrchr(e->task, '/');
		if (slash)
			*slash = 0;
		else
			e->task[0] = 0;
	}
	return 0;
}

int prim_open_flow(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "random", l_random },
		{ "pick", l_pick },
		{ "sleep", l_sleep },
		{ "wait_until", l_wait_until },
		{ "task_enter", l_task_enter },
		{ "task_leave", l_task_leave },
		{ NULL, NULL },
	};
	lua_newtable(L);
	luaL_register(L, NULL, fns);
	return 1;
}
