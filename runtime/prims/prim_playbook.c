/* prim_playbook.c - composing playbooks: `playbook.call` runs another playbook
 * inside this run (its steps join this run's journal); `playbook.start` starts a
 * separate child run, linked to this one and optionally on a new child case
 * (the "deputise" case). The Lua halves live in lua/_prelude.lua. */
#include "case.h"
#include "engine.h"
#include "env.h"
#include "prim_json.h"
#include "prim.h"
#include "sharedir.h"
#include "step.h"
#include "uuid.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CALL_SIG "playbook.call(name: string [, input: table])"
#define START_SIG "playbook.start(name: string [, input: table [, {case=table|string}]])"

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || *s == '-' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

/* Finds NAME.lua beside the running playbook, then among the bundled ones. */
static int resolve(const char *name, char *out, size_t len)
{
	struct run_info *ri = sandbox_current();
	struct stat st;
	if (ri && ri->path) {
		const char *slash = strrchr(ri->path, '/');
		int dlen = slash ? (int)(slash - ri->path) : 1;
		snprintf(out, len, "%.*s/%s.lua", dlen, slash ? ri->path : ".", name);
		if (stat(out, &st) == 0)
			return 0;
	}
	snprintf(out, len, "%s/%s.lua", sharedir_playbooks(), name);
	return stat(out, &st) == 0 ? 0 : -1;
}

/* load(name) -> the sub-playbook's table, evaluated in a fresh environment. */
static int l_load(lua_State *L)
{
	const char *name = prim_check_string(L, 1, CALL_SIG, NULL);
	if (!valid_name(name))
		prim_usage(L, CALL_SIG, "'%s' is not a playbook name (letters, digits, - and _)", name);
	char path[PATH_MAX], err[512];
	if (resolve(name, path, sizeof path) != 0)
		return luaL_error(L, "playbook '%s' not found beside this playbook or among the bundled ones", name);
	struct playbook_src src;
	prim_noint_enter();
	int rc = playbook_load_file(path, &src, err, sizeof err);
	prim_noint_leave();
	if (rc != 0)
		return luaL_error(L, "%s", err);
	playbook_push_chunk(L, &src);                   /* raises on a syntax error */
	prim_noint_enter();
	playbook_src_free(&src);
	prim_noint_leave();
	env_push_run(L);
	lua_setfenv(L, -2);
	lua_call(L, 0, 1);
	if (!lua_istable(L, -1))
		return luaL_error(L, "playbook '%s' (%s) does not return a table", name, path);
	lua_getfield(L, -1, "run");
	if (!lua_isfunction(L, -1))
		return luaL_error(L, "playbook '%s' (%s) has no run function", name, path);
	lua_pop(L, 1);
	return 1;
}

/* inputs(pb, input) -> ctx, input: the sub-playbook's inputs checked. */
static int l_inputs(lua_State *L)
{
	playbook_inputs_from_table(L, 1, 2);            /* stack: pb, given, input */
	struct run_info *ri = sandbox_current();
	lua_createtable(L, 0, 3);
	lua_pushstring(L, ri ? ri->id : "");
	lua_setfield(L, -2, "run_id");
	lua_getfield(L, 1, "name");
	lua_setfield(L, -2, "playbook");
	lua_insert(L, -2);                              /* ctx, input */
	return 2;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Makes the child case from a table of case fields; its parent is the run's case. */
static int child_case(lua_State *L, struct engine_run *e, int t, char out_id[37], char *err, size_t errlen)
{
	struct case_fields f;
	case_fields_init(&f);
	int rc = 0;
	lua_pushnil(L);
	while (rc == 0 && lua_next(L, t)) {
		if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1) || lua_type(L, -1) == LUA_TNUMBER) {
			if (lua_type(L, -1) != LUA_TNUMBER) {
				snprintf(err, errlen, "case fields are name = string");
				rc = -1;
			}
		}
		if (rc == 0)
			rc = case_fields_set(&f, lua_tostring(L, -2), lua_tostring(L, -1), err, errlen);
		lua_pop(L, 1);
	}
	if (rc == 0 && e->rec.case_ref) {
		lua_getfield(L, t, "parent");
		int has_parent = !lua_isnil(L, -1);
		lua_pop(L, 1);
		if (!has_parent)
			rc = case_fields_set(&f, "parent", e->rec.case_ref, err, errlen);
	}
	if (rc == 0) {
		char actor[200];
		snprintf(actor, sizeof actor, "playbook:%s", e->pb.info.playbook);
		struct case_rec c;
		int deduped = 0;
		char key[80];
		snprintf(key, sizeof key, "run:%s:%u", e->rec.id, step_position(L));
		case_fields_set(&f, "dedupe_key", key, err, errlen);
		prim_noint_enter();
		rc = case_create(e->st, &f, actor, &c, &deduped, err, errlen);
		prim_noint_leave();
		if (rc == 0) {
			memcpy(out_id, c.id, 37);
			case_rec_free(&c);
		}
	}
	case_fields_free(&f);
	return rc;
}

/* start(name, input, opts) -> child run id, case ref (a step). */
static int l_start(lua_State *L)
{
	const char *name = prim_check_string(L, 1, START_SIG, NULL);
	if (!valid_name(name))
		prim_usage(L, START_SIG, "'%s' is not a playbook name", name);
	if (!lua_isnoneornil(L, 2) && !lua_istable(L, 2))
		prim_usage(L, START_SIG, "input is a %s, not a table", luaL_typename(L, 2));
	int has_opts = prim_opt_table(L, 3, START_SIG);
	struct run_info *ri = sandbox_current();
	struct engine_run *e = ri ? ri->engine : NULL;
	if (!e)
		return luaL_error(L, "playbook.start needs a durable run (soarctl run)");
	int n = step_replay(L, "playbook.start");
	if (n >= 0)
		return n;

	char path[PATH_MAX], err[512];
	if (resolve(name, path, sizeof path) != 0)
		return luaL_error(L, "playbook '%s' not found beside this playbook or among the bundled ones", name);
	struct run_rec child;
	memset(&child, 0, sizeof child);
	uuid_v7(child.id);
	char case_id[37] = "";
	if (has_opts) {
		lua_getfield(L, 3, "case");
		if (lua_istable(L, -1)) {
			if (child_case(L, e, lua_gettop(L), case_id, err, sizeof err) != 0)
				return luaL_error(L, "playbook.start: the child case: %s", err);
		} else if (lua_type(L, -1) == LUA_TSTRING) {
			snprintf(case_id, sizeof case_id, "%s", lua_tostring(L, -1));
		} else if (!lua_isnil(L, -1)) {
			prim_usage(L, START_SIG, "case is a table of fields for a new case, or a case ref");
		}
		lua_pop(L, 1);
	}
	struct json_buf jb = { 0 };
	if (lua_istable(L, 2) && json_encode_lua(L, 2, NULL, &jb, err, sizeof err) != 0) {
		json_buf_free(&jb);
		return luaL_error(L, "playbook.start: input is not JSON: %s", err);
	}
	child.playbook = (char *)name;
	child.path = path;
	child.inputs_json = jb.data ? jb.data : "{}";
	child.parent = e->rec.id;
	char actor[64];
	snprintf(actor, sizeof actor, "run:%s", e->rec.id);
	child.actor = actor;
	child.case_ref = case_id[0] ? case_id : NULL;
	child.status = RUN_WAITING;
	child.wait_kind = "start";
	child.created = child.updated = now_ms();
	prim_noint_enter();
	int rc = run_save(e->st, &child, NULL, NULL, err, sizeof err);
	prim_noint_leave();
	json_buf_free(&jb);
	if (rc != 0)
		return luaL_error(L, "playbook.start: %s", err);
	/* The foreground engine runs the children its run started, after it. */
	size_t old = e->started_children ? strlen(e->started_children) : 0;
	char *list = realloc(e->started_children, old + 38);
	if (list) {
		memcpy(list + old, child.id, 36);
		list[old + 36] = '\n';
		list[old + 37] = 0;
		e->started_children = list;
	}
	lua_pushstring(L, child.id);
	if (case_id[0])
		lua_pushstring(L, case_id);
	else
		lua_pushnil(L);
	step_record(L, "playbook.start", name, 2);
	return 2;
}

int prim_open_playbook(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "start", l_start },
		{ "load", l_load },
		{ "inputs", l_inputs },
		{ NULL, NULL },
	};
	lua_newtable(L);
	luaL_register(L, NULL, fns);
	return 1;
}
