/* step.c - see step.h. */
#include "step.h"
#include "engine.h"
#include "json.h"
#include "prim.h"
#include "sandbox.h"
#include "runloop.h"
#include "runscrub.h"
#include "store_buf.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct engine_run *current(void)
{
	struct run_info *ri = sandbox_current();
	return ri ? ri->engine : NULL;
}

unsigned step_position(lua_State *L)
{
	(void)L;
	struct engine_run *e = current();
	return e ? e->next_step : 0;
}

const char *step_task(lua_State *L)
{
	(void)L;
	struct engine_run *e = current();
	return e ? e->task : "";
}

/* Where in the playbook this step is being taken, for the mismatch message. */
static void push_where(lua_State *L)
{
	luaL_where(L, 1);
}

const struct journal_entry *step_lookup(lua_State *L, const char *name)
{
	struct engine_run *e = current();
	if (!e || e->next_step > e->njournal)
		return NULL;
	const struct journal_entry *je = &e->journal[e->next_step - 1];
	if (strcmp(je->name, name) != 0) {
		push_where(L);
		lua_pushfstring(L, "playbook changed under a waiting run: step %d was '%s' when it was "
			        "recorded, and is now '%s'; the run cannot resume (start a new run)",
			        (int)je->no, je->name, name);
		lua_concat(L, 2);
		lua_error(L);
	}
	return je;
}

void step_advance(lua_State *L)
{
	(void)L;
	struct engine_run *e = current();
	if (e)
		e->next_step++;
}

/* Pushes the values of a recorded JSON array; JSON null at top level is nil. */
static int push_recorded(lua_State *L, const char *result_json)
{
	char err[256];
	if (!result_json)
		return 0;
	if (json_decode_push(L, result_json, strlen(result_json), NULL, err, sizeof err) != 0)
		return luaL_error(L, "journal entry is damaged: %s", err);
	int arr = lua_gettop(L);
	int n = (int)lua_objlen(L, arr);
	luaL_checkstack(L, n + 1, "too many step results");
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, arr, i);
		if (json_is_null(L, -1)) {
			lua_pop(L, 1);
			lua_pushnil(L);
		}
	}
	lua_remove(L, arr);
	return n;
}

int step_replay(lua_State *L, const char *name)
{
	const struct journal_entry *je = step_lookup(L, name);
	if (!je)
		return -1;
	step_advance(L);
	if (je->error) {
		lua_pushstring(L, je->error);
		return lua_error(L);
	}
	return push_recorded(L, je->result_json);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes the entry durably. Returns 0, or -1 with a message in err. */
static int save(struct engine_run *e, struct journal_entry *je, char *err, size_t errlen)
{
	prim_noint_enter();                        /* waits on the committer: a lock */
	int rc;
	if (e->recorded) {
		struct run_rec only_journal;       /* status 0: the record is left as it is */
		memset(&only_journal, 0, sizeof only_journal);
		memcpy(only_journal.id, e->rec.id, sizeof only_journal.id);
		rc = run_save(e->st, &only_journal, je, NULL, err, errlen);
	} else {
		engine_fill_record(e);
		e->rec.status = RUN_RUNNING;
		rc = run_save(e->st, &e->rec, je, NULL, err, errlen);
	}
	prim_noint_leave();
	if (rc != 0)
		return -1;
	e->recorded = 1;
	e->rec.steps = je->no;
	e->next_step++;
	return 0;
}

static int record(lua_State *L, const char *name, const char *args, int n, int may_suspend);

void step_record(lua_State *L, const char *name, const char *args, int n)
{
	record(L, name, args, n, 0);
}

int step_commit(lua_State *L, const char *name, const char *args, int n)
{
	return record(L, name, args, n, 1);
}

/* Returns n, or (having suspended the run) what the primitive must return. */
static int record(lua_State *L, const char *name, const char *args, int n, int may_suspend)
{
	struct engine_run *e = current();
	if (!e)
		return n;
	struct store_buf b = { 0 };
	struct json_buf jb = { 0 };
	char err[256];
	int first = lua_gettop(L) - n + 1;
	store_buf_add(&b, "[", 1);
	for (int i = 0; i < n; i++) {
		if (i)
			store_buf_add(&b, ",", 1);
		if (lua_isnil(L, first + i)) {
			store_buf_str(&b, "null");
			continue;
		}
		if (lua_type(L, first + i) == LUA_TNUMBER) {
			/* The commonest step result (time, random). The journal needs an
			 * exact number, not the shortest one: %.17g always reads back the
			 * same (soarctl never calls setlocale, so the point is a point). */
			lua_Number v = lua_tonumber(L, first + i);
			if (isfinite(v)) {
				if (v == floor(v) && fabs(v) < 9007199254740992.0)
					store_buf_printf(&b, "%.0f", v);
				else
					store_buf_printf(&b, "%.17g", v);
				continue;
			}
		}
		jb.len = 0;
		if (json_encode_lua(L, first + i, NULL, &jb, err, sizeof err) != 0) {
			json_buf_free(&jb);
			store_buf_free(&b);
			luaL_error(L, "%s: its result cannot be journaled: %s", name, err);
		}
		store_buf_add(&b, jb.data, jb.len);
	}
	json_buf_free(&jb);
	store_buf_add(&b, "]", 1);
	struct journal_entry je;
	memset(&je, 0, sizeof je);
	je.no = e->next_step;
	je.name = (char *)name;
	je.args = (char *)args;
	je.result_json = store_buf_cstr(&b);
	je.task = e->task[0] ? e->task : NULL;
	je.started = now_ms();
	if (!je.result_json) {
		store_buf_free(&b);
		luaL_error(L, "%s: out of memory", name);
	}
	/* The journal is written out: no secret the run opened goes in. */
	prim_noint_enter();
	char *scrubbed = run_scrub(&e->pb.info, je.result_json, b.len, NULL);
	char *sargs = args ? run_scrub(&e->pb.info, args, strlen(args), NULL) : NULL;
	prim_noint_leave();
	if (scrubbed)
		je.result_json = scrubbed;
	if (sargs)
		je.args = sargs;
	if (may_suspend && e->async && sandbox_can_suspend(L)) {
		/* Event-driven: let other runs go on while this entry is made durable
		 * together with theirs. */
		const struct run_rec *rec = NULL;
		if (!e->recorded) {
			engine_fill_record(e);
			e->rec.status = RUN_RUNNING;
			rec = &e->rec;
		}
		e->rec.steps = je.no;
		e->next_step++;
		/* The values are kept by runloop_step_wait; the entry is copied. */
		int r = runloop_step_wait(L, e, rec, &je, n);
		store_buf_free(&b);
		free(scrubbed);
		free(sargs);
		return r;
	}
	char serr[512];
	int rc = save(e, &je, serr, sizeof serr);
	store_buf_free(&b);
	free(scrubbed);
	free(sargs);
	if (rc)
		luaL_error(L, "%s: cannot journal step %d: %s", name, (int)je.no, serr);
	return n;
}

void step_fail(lua_State *L, const char *name, const char *args, const char *message)
{
	struct engine_run *e = current();
	if (e) {
		struct journal_entry je;
		memset(&je, 0, sizeof je);
		je.no = e->next_step;
		je.name = (char *)name;
		je.args = (char *)args;
		je.error = (char *)message;
		je.task = e->task[0] ? e->task : NULL;
		je.started = now_ms();
		char *scrubbed = run_scrub(&e->pb.info, message, strlen(message), NULL);
		if (scrubbed)
			je.error = scrubbed;
		char serr[512];
		int rc = save(e, &je, serr, sizeof serr);
		free(scrubbed);
		if (rc)
			luaL_error(L, "%s: cannot journal step %d: %s", name, (int)je.no, serr);
	}
	lua_pushstring(L, message);
	lua_error(L);
	abort();
}

int step_park(lua_State *L)
{
	struct engine_run *e = current();
	if (e)
		e->parked = 1;
	return sandbox_park(L);
}
