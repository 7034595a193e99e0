/* prim_prompt.c - `prompt.ask`: a question to a person; the run waits for the
 * answer without holding an interpreter, and resumes by replay once answered. */
#include "engine.h"
#include "prim_json.h"
#include "prim.h"
#include "step.h"
#include "store_buf.h"
#include "timefmt.h"
#include "uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ASK_SIG "prompt.ask{question=string, options={string...} | fields={name=type...}, " \
		"to=string, timeout=seconds, default=any}"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* JSON of the field `key` of table t, or NULL when absent. malloc'd. */
static char *field_json(lua_State *L, int t, const char *key)
{
	lua_getfield(L, t, key);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		return NULL;
	}
	struct json_buf b = { 0 };
	char err[160];
	struct json_opts o = { 0 };
	o.sort_keys = 1;
	if (json_encode_lua(L, -1, &o, &b, err, sizeof err) != 0) {
		json_buf_free(&b);
		prim_usage(L, ASK_SIG, "%s is not JSON: %s", key, err);
	}
	lua_pop(L, 1);
	return b.data;
}

static const char *const field_types[] = { "string", "number", "integer", "boolean", NULL };

static void check_spec(lua_State *L)
{
	lua_getfield(L, 1, "options");
	lua_getfield(L, 1, "fields");
	int has_opts = !lua_isnil(L, -2), has_fields = !lua_isnil(L, -1);
	if (has_opts == has_fields)
		prim_usage(L, ASK_SIG, "give either options (a list of choices) or fields (a form)");
	if (has_opts) {
		if (!lua_istable(L, -2) || lua_objlen(L, -2) == 0)
			prim_usage(L, ASK_SIG, "options must be a non-empty list of strings");
		for (int i = 1; i <= (int)lua_objlen(L, -2); i++) {
			lua_rawgeti(L, -2, i);
			if (lua_type(L, -1) != LUA_TSTRING)
				prim_usage(L, ASK_SIG, "options[%d] is not a string", i);
			lua_pop(L, 1);
		}
	} else {
		if (!lua_istable(L, -1))
			prim_usage(L, ASK_SIG, "fields must be a table of name = type");
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			const char *type = lua_tostring(L, -1);
			int ok = lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TSTRING;
			for (const char *const *t = field_types; ok && type && *t; t++)
				if (strcmp(*t, type) == 0)
					ok = 2;
			if (ok != 2)
				prim_usage(L, ASK_SIG, "fields: each is name = \"string\"|\"number\"|\"integer\"|\"boolean\"");
			lua_pop(L, 1);
		}
	}
	lua_pop(L, 2);
}

/* Pushes the answer table {value=, by=, at=, timed_out=} from a prompt record. */
static void push_answer(lua_State *L, const struct prompt_rec *p, int timed_out)
{
	char err[160], at[TIMEFMT_MAX];
	const char *value = timed_out ? p->default_json : p->answer_json;
	lua_createtable(L, 0, 4);
	if (value && json_decode_push(L, value, strlen(value), NULL, err, sizeof err) == 0)
		lua_setfield(L, -2, "value");
	lua_pushstring(L, timed_out ? "timeout" : (p->answered_by ? p->answered_by : "?"));
	lua_setfield(L, -2, "by");
	if (timefmt_iso((double)(timed_out ? now_ms() : p->answered_at) / 1000.0, 0, NULL, at,
			sizeof at, err, sizeof err) >= 0) {
		lua_pushstring(L, at);
		lua_setfield(L, -2, "at");
	}
	if (timed_out) {
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "timed_out");
	}
}

static int ask_first(lua_State *L, struct engine_run *e)
{
	char err[512];
	struct prompt_rec p;
	memset(&p, 0, sizeof p);
	uuid_v7(p.id);
	memcpy(p.run_id, e->rec.id, sizeof p.run_id);
	p.step = step_position(L);
	lua_getfield(L, 1, "question");
	p.question = (char *)lua_tostring(L, -1);
	lua_getfield(L, 1, "to");
	p.to = (char *)lua_tostring(L, -1);
	/* Inside a task assigned to a role, only that role answers by default. */
	if (!p.to && e->task_depth > 0 && e->task_roles[e->task_depth - 1][0])
		p.to = e->task_roles[e->task_depth - 1];
	p.task = e->task[0] ? e->task : NULL;
	p.created = now_ms();
	lua_getfield(L, 1, "timeout");
	if (!lua_isnil(L, -1))
		p.timeout_at = p.created + (int64_t)(lua_tonumber(L, -1) * 1000);
	lua_pop(L, 1);
	p.open = 1;
	/* spec: {"options":[...]} or {"fields":{...}} */
	struct store_buf spec = { 0 };
	char *opts = field_json(L, 1, "options"), *fields = field_json(L, 1, "fields");
	store_buf_printf(&spec, "{\"%s\":%s}", opts ? "options" : "fields", opts ? opts : fields);
	free(opts);
	free(fields);
	p.spec_json = store_buf_cstr(&spec);
	p.default_json = field_json(L, 1, "default");

	char marker[64];
	snprintf(marker, sizeof marker, "{\"prompt\":\"%s\"}", p.id);
	struct journal_entry je;
	memset(&je, 0, sizeof je);
	je.no = p.step;
	je.name = "prompt.ask";
	je.args = p.question;
	je.result_json = marker;
	je.task = p.task;
	je.started = p.created;
	int rc = engine_wait(e, &je, "prompt", p.timeout_at, &p, err, sizeof err);
	if (rc == 0)
		memcpy(e->prompt_id, p.id, sizeof e->prompt_id);
	store_buf_free(&spec);
	free(p.default_json);
	if (rc != 0)
		return luaL_error(L, "prompt.ask: %s", err);
	return step_park(L);
}

static int l_ask(lua_State *L)
{
	if (!lua_istable(L, 1))
		prim_usage(L, ASK_SIG, "argument 1 is %s, not a table", luaL_typename(L, 1));
	lua_getfield(L, 1, "question");
	if (lua_type(L, -1) != LUA_TSTRING || lua_objlen(L, -1) == 0)
		prim_usage(L, ASK_SIG, "question must be a non-empty string");
	lua_getfield(L, 1, "to");
	if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
		prim_usage(L, ASK_SIG, "to must be a user or role name");
	lua_getfield(L, 1, "timeout");
	if (!lua_isnil(L, -1) && (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) <= 0))
		prim_usage(L, ASK_SIG, "timeout must be a positive number of seconds");
	lua_pop(L, 3);
	check_spec(L);

	struct engine_run *e = NULL;
	struct run_info *ri = sandbox_current();
	if (ri)
		e = ri->engine;
	if (!e)
		return luaL_error(L, "prompt.ask needs a durable run (soarctl run), not a test sandbox");

	const struct journal_entry *je = step_lookup(L, "prompt.ask");
	if (!je)
		return ask_first(L, e);
	if (je->error) {
		step_advance(L);
		lua_pushstring(L, je->error);
		return lua_error(L);
	}
	if (je->result_json && je->result_json[0] == '[') {   /* answered before */
		char err[160];
		step_advance(L);
		if (json_decode_push(L, je->result_json, strlen(je->result_json), NULL, err, sizeof err))
			return luaL_error(L, "prompt.ask: journal entry is damaged: %s", err);
		lua_rawgeti(L, -1, 1);
		return 1;
	}
	/* Asked, not yet taken: look at the prompt. */
	char id[37] = "", err[512];
	const char *q = je->result_json ? strstr(je->result_json, "\"prompt\":\"") : NULL;
	if (q)
		snprintf(id, sizeof id, "%.36s", q + 10);
	struct prompt_rec p;
	prim_noint_enter();
	int rc = prompt_get(e->st, id, &p, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return luaL_error(L, "prompt.ask: %s", err);
	int timed_out = p.open && p.timeout_at && now_ms() >= p.timeout_at;
	if (p.open && !timed_out) {
		memcpy(e->prompt_id, p.id, sizeof e->prompt_id);
		rc = engine_wait(e, NULL, "prompt", p.timeout_at, &p, err, sizeof err);
		prompt_rec_free(&p);
		if (rc != 0)
			return luaL_error(L, "prompt.ask: %s", err);
		return step_park(L);
	}
	struct journal_entry taken = *je;
	if (timed_out && !p.default_json) {
		char msg[256];
		snprintf(msg, sizeof msg, "prompt %s timed out without an answer (no default)", p.id);
		taken.error = msg;
		taken.result_json = NULL;
		prim_noint_enter();
		journal_replace(e->st, e->rec.id, &taken, err, sizeof err);
		if (p.open)
			prompt_answer(e->st, p.id, "null", "timeout", err, sizeof err);
		prim_noint_leave();
		prompt_rec_free(&p);
		step_advance(L);
		lua_pushstring(L, msg);
		return lua_error(L);
	}
	push_answer(L, &p, timed_out);
	struct json_buf b = { 0 };
	json_buf_free(&b);
	lua_createtable(L, 1, 0);
	lua_pushvalue(L, -2);
	lua_rawseti(L, -2, 1);
	struct json_opts o = { 0 };
	o.sort_keys = 1;
	rc = json_encode_lua(L, -1, &o, &b, err, sizeof err);
	lua_pop(L, 1);
	if (rc == 0) {
		taken.result_json = b.data;
		prim_noint_enter();
		rc = journal_replace(e->st, e->rec.id, &taken, err, sizeof err);
		if (rc == 0 && timed_out && p.open)
			rc = prompt_answer(e->st, p.id, p.default_json, "timeout", err, sizeof err);
		prim_noint_leave();
	}
	json_buf_free(&b);
	prompt_rec_free(&p);
	if (rc != 0)
		return luaL_error(L, "prompt.ask: cannot record the answer: %s", err);
	step_advance(L);
	return 1;
}

int prim_open_prompt(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "ask", l_ask },
		{ NULL, NULL },
	};
	lua_newtable(L);
	luaL_register(L, NULL, fns);
	return 1;
}
