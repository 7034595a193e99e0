/* prims.c - the one place that lists every Lua namespace the sandbox offers. */
#include "prim.h"
#include "prims.h"
#include "env.h"
#include "runinfo.h"
#include "runscrub.h"
#include "sandbox.h"
#include "step.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	lua_CFunction open;
} namespaces[] = {
	{ "log", prim_open_log },
	{ "json", prim_open_json },
	{ "base64", prim_open_base64 },
	{ "hex", prim_open_hex },
	{ "crypto", prim_open_crypto },
	{ "uuid", prim_open_uuid },
	{ "time", prim_open_time },
	{ "re", prim_open_re },
	{ "prompt", prim_open_prompt },
	{ "secret", prim_open_secret },
	{ "case", prim_open_case },
	{ "indicator", prim_open_indicator },
	{ "http", prim_open_http },
	{ "integration", prim_open_integration },
	{ "edl", prim_open_edl },
	{ "slack", prim_open_slack },
	{ "email", prim_open_email },
};

int prim_log_print(lua_State *L);

/* Steps whose effect is one store write: instead of writing it themselves,
 * they prepare it, and step_write puts it into the transaction of the step's
 * journal entry (under a run loop, batched with other runs' writes). prepare
 * returns NULL after pushing *nret values (nil, err: refused before writing). */
struct journal_write;
struct journal_write *prim_case_note_write(lua_State *L, struct store **st, int *nret);
static const struct {
	const char *name;
	struct journal_write *(*prepare)(lua_State *L, struct store **st, int *nret);
} write_steps[] = {
	{ "case.note", prim_case_note_write },
};

/* Primitives that are journaled steps as they are: their result is recorded, and
 * replay returns it without calling them again (see step.h). Primitives with
 * their own replay logic (prompt.ask, sleep, random...) are not listed. */
static const char *const stepped[] = {
	"time.now", "uuid.v4", "uuid.v7",
	"case.create", "case.update", "case.close", "case.note", "case.attach", "case.link",
	"indicator.set",
	"edl.add", "edl.remove", "edl.has", "edl.list", "edl.export",
	NULL,
};

/* Replaces, in a copy of the table at idx (nested tables copied too, to a
 * depth), the string values that hold a secret; the copy takes its place. */
static void scrub_table_depth(lua_State *L, int idx, int depth)
{
	struct run_info *ri = sandbox_current();
	if (!ri || !ri->redact || depth > 16)
		return;
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	lua_newtable(L);
	int copy = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		if (lua_type(L, -1) == LUA_TSTRING) {
			size_t len;
			const char *s = lua_tolstring(L, -1, &len);
			if (run_scrub_push(L, s, len))
				lua_remove(L, -2);
		} else if (lua_type(L, -1) == LUA_TTABLE) {
			scrub_table_depth(L, -1, depth + 1);
		}
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_settable(L, copy);
	}
	lua_replace(L, idx);
}

static void scrub_table_strings(lua_State *L, int idx)
{
	scrub_table_depth(L, idx, 0);
}

/* upvalues: step name, the primitive */
static int call_as_step(lua_State *L)
{
	const char *name = lua_tostring(L, lua_upvalueindex(1));
	int n = step_replay(L, name);
	if (n >= 0)
		return n;
	int nargs = lua_gettop(L);
	unsigned pos = step_position(L);
	/* A case a run creates carries the step's idempotency key as its dedupe key
	 * (unless the playbook chose one): a replay after a crash finds it again
	 * instead of creating it twice. */
	if (pos && nargs >= 1 && lua_istable(L, 1) && strcmp(name, "case.create") == 0) {
		lua_getfield(L, 1, "dedupe_key");
		int has = !lua_isnil(L, -1);
		lua_pop(L, 1);
		if (!has) {
			struct run_info *ri = sandbox_current();
			lua_newtable(L);
			lua_pushnil(L);
			while (lua_next(L, 1)) {
				lua_pushvalue(L, -2);
				lua_insert(L, -2);
				lua_settable(L, -4);
			}
			lua_pushfstring(L, "run:%s:%d", ri ? ri->id : "?", (int)pos);
			lua_setfield(L, -2, "dedupe_key");
			lua_replace(L, 1);
		}
	}
	/* Text these steps write (case titles, notes, fields) is scrubbed of the
	 * secrets the run opened, like everything else the run writes out. */
	for (int i = 1; i <= nargs; i++) {
		if (lua_type(L, i) == LUA_TSTRING) {
			size_t len;
			const char *s = lua_tolstring(L, i, &len);
			if (run_scrub_push(L, s, len))   /* libc's heap inside a region only */
				lua_replace(L, i);
		} else if (lua_type(L, i) == LUA_TTABLE) {
			scrub_table_strings(L, i);
		}
	}
	for (size_t i = 0; i < sizeof write_steps / sizeof write_steps[0]; i++) {
		if (strcmp(name, write_steps[i].name) != 0)
			continue;
		struct store *st = NULL;
		int nret = 0;
		struct journal_write *w = write_steps[i].prepare(L, &st, &nret);
		if (w)
			return step_write(L, st, name, NULL, w);
		return step_commit(L, name, NULL, nret);
	}
	lua_pushvalue(L, lua_upvalueindex(2));
	lua_insert(L, 1);
	lua_call(L, nargs, LUA_MULTRET);
	return step_commit(L, name, NULL, lua_gettop(L));
}

static void wrap_steps(lua_State *L, int t)
{
	for (const char *const *s = stepped; *s; s++) {
		const char *dot = strchr(*s, '.');
		lua_pushlstring(L, *s, (size_t)(dot - *s));
		lua_rawget(L, t);                       /* stack: ns */
		lua_pushstring(L, dot + 1);
		lua_pushstring(L, *s);
		lua_getfield(L, -3, dot + 1);           /* stack: ns, fname, name, fn */
		lua_pushcclosure(L, call_as_step, 2);
		lua_rawset(L, -3);
		lua_pop(L, 1);
	}
}

/* Functions that become globals: the flow steps, then what the prelude returns. */
static void install_globals(lua_State *L, int t)
{
	lua_pushcfunction(L, prim_log_print);
	lua_setfield(L, t, "print");
	lua_pushcfunction(L, prim_open_flow);
	lua_call(L, 0, 1);                              /* stack: flow */
	int flow = lua_gettop(L);
	static const char *const globals[] = { "random", "pick", "sleep", "wait_until", NULL };
	for (const char *const *g = globals; *g; g++) {
		lua_getfield(L, flow, *g);
		lua_setfield(L, t, *g);
	}
	lua_pushcfunction(L, prim_open_playbook);
	lua_call(L, 0, 1);                              /* stack: flow, pbfns */
	static const char *const pbfns[] = { "start", "load", "inputs", NULL };
	for (const char *const *f = pbfns; *f; f++) {
		char key[32];
		snprintf(key, sizeof key, "playbook_%s", *f);
		lua_getfield(L, -1, *f);
		lua_setfield(L, flow, key);
	}
	lua_pop(L, 1);
	/* The prelude runs with the state's own globals: it is ours, not a run's. */
	char path[4096];
	snprintf(path, sizeof path, "%s/_prelude.lua", env_lua_dir(L));
	if (luaL_loadfile(L, path) != 0)
		lua_error(L);
	lua_pushvalue(L, flow);                         /* raw helpers */
	lua_call(L, 1, 1);                              /* stack: flow, exports */
	lua_pushnil(L);
	while (lua_next(L, -2)) {
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_settable(L, t);
	}
	lua_pop(L, 2);
}

void prims_install(lua_State *L)
{
	int t = lua_gettop(L);
	for (size_t i = 0; i < sizeof namespaces / sizeof namespaces[0]; i++) {
		lua_pushcfunction(L, namespaces[i].open);
		lua_call(L, 0, 1);
		lua_setfield(L, t, namespaces[i].name);
	}
	wrap_steps(L, t);
	install_globals(L, t);
}
