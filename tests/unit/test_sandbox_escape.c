/* test_sandbox_escape.c - the sandbox boundary, walked (issue 12, item 1).
 *
 * The set-up keeps fingerprints of every value only it had (env.h: the real
 * globals, os.execute, io, debug, getfenv, setfenv, newproxy, string.dump, jit
 * ...). A run then walks everything it can reach from its environment: tables
 * (keys, values, and every key the base knows, which reaches through the
 * read-only proxies), metatables, and the results of calling every allowed
 * function with the values found so far as arguments (load's chunks, their
 * results, coroutine wrappers ...). The C side checks each value reached against
 * the fingerprints. A control run with one forbidden value planted in its
 * environment shows that the check can fail. */
#include "check.h"
#include "env.h"
#include "runinfo.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>

static const char walker[] =
	"local keys, plant = ...\n"
	"if plant then marker_leak = plant end\n"
	"local seen, list, depth = {}, {}, {}\n"
	"local MAX = 20000\n"
	"local function add(v, d)\n"
	"  if v == nil or type(v) == 'number' or type(v) == 'boolean' then return end\n"
	"  if type(v) == 'string' then return end\n"
	"  if seen[v] or #list >= MAX then return end\n"
	"  seen[v] = true; list[#list + 1] = v; depth[v] = d\n"
	"end\n"
	"-- Namespaces whose functions act on the world or on the run: walked, not called.\n"
	"local nocall = { log = true, flow = true, http = true, email = true, slack = true,\n"
	"  case = true, indicator = true, edl = true, secret = true, prompt = true,\n"
	"  playbook = true, integration = true, print = true, retry = true, task = true,\n"
	"  sleep = true, wait_until = true, random = true, pick = true }\n"
	"local skip = {}\n"
	"for _, k in ipairs(keys) do\n"
	"  local ok, v = pcall(function() return _G[k] end)\n"
	"  if ok then add(v, 0)\n"
	"    if nocall[k] then skip[v] = true end\n"
	"  end\n"
	"end\n"
	"skip[coroutine.yield] = true\n"
	"skip[print or skip] = true\n"
	"add(_G, 0)\n"
	"add(coroutine.running(), 0)\n"
	"local samples = { 'return os, _G, marker_leak', 'x', 1, 0, -1, 'return 1' }\n"
	"local i = 1\n"
	"while i <= #list do\n"
	"  local v = list[i]; local d = depth[v]\n"
	"  local t = type(v)\n"
	"  add(getmetatable(v), d)\n"
	"  if t == 'table' then\n"
	"    for k, x in pairs(v) do add(k, d); add(x, d)\n"
	"      if skip[v] then skip[x] = true end\n"
	"    end\n"
	"  end\n"
	"  if t == 'table' or t == 'userdata' then\n"
	"    for _, k in ipairs(keys) do\n"
	"      local ok, x = pcall(function() return v[k] end)\n"
	"      if ok then add(x, d); if skip[v] and x ~= nil then skip[x] = true end end\n"
	"    end\n"
	"  elseif t == 'function' and not skip[v] and d < 2 then\n"
	"    local function try(...)\n"
	"      -- load with a reader that never ends fills the heap: not a leak.\n"
	"      if (v == load or v == loadstring) and type((...)) == 'function' then return end\n"
	"      local r = { pcall(v, ...) }\n"
	"      for j = 2, #r do add(r[j], d + 1) end\n"
	"    end\n"
	"    try()\n"
	"    for _, s in ipairs(samples) do try(s) end\n"
	"    try('return os, _G', 'x')\n"
	"    -- Not coroutine.yield: pcall(yield) would yield the run itself.\n"
	"    for j = 1, math.min(#list, 60) do if list[j] ~= coroutine.yield then try(list[j]) end end\n"
	"  elseif t == 'thread' then\n"
	"    local r = { coroutine.resume(v) }\n"
	"    for j = 2, #r do add(r[j], d + 1) end\n"
	"  end\n"
	"  i = i + 1\n"
	"end\n"
	"return list\n";

struct walk_job {
	struct run_info info;  /* first: primitives read it */
	int plant;             /* control run: plant a forbidden value */
	int reached;           /* values the walk reached */
	int forbidden;         /* of them, forbidden */
};

/* Every string key of every table reachable from the base by raw traversal
 * (including metatables and proxies' __index): the names the walker tries. */
static void collect_keys(lua_State *L, int seen, int keys, int depth)
{
	int v = lua_gettop(L);
	if (depth > 6 || !lua_istable(L, v))
		return;
	lua_pushvalue(L, v);
	lua_rawget(L, seen);
	int was = lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (was)
		return;
	lua_pushvalue(L, v);
	lua_pushboolean(L, 1);
	lua_rawset(L, seen);
	lua_pushnil(L);
	while (lua_next(L, v)) {
		if (lua_type(L, -2) == LUA_TSTRING) {
			lua_pushvalue(L, -2);
			lua_rawseti(L, keys, (int)lua_objlen(L, keys) + 1);
		}
		collect_keys(L, seen, keys, depth + 1);
		lua_pop(L, 1);
	}
	if (lua_getmetatable(L, v)) {
		collect_keys(L, seen, keys, depth + 1);
		lua_pop(L, 1);
	}
}

static int prepare(lua_State *L, int env, void *ud)
{
	struct walk_job *j = ud;
	if (luaL_loadbuffer(L, walker, sizeof walker - 1, "=walker") != 0)
		lua_error(L);
	lua_pushvalue(L, env);
	lua_setfenv(L, -2);
	/* The base, from the C side: the run's metatable's __index. */
	lua_newtable(L);
	int seen = lua_gettop(L);
	lua_newtable(L);
	int keys = lua_gettop(L);
	lua_getmetatable(L, env);
	lua_getfield(L, -1, "__index");
	collect_keys(L, seen, keys, 0);
	lua_pop(L, 2);
	lua_remove(L, seen);
	if (j->plant)
		env_push_forbidden_sample(L);
	else
		lua_pushnil(L);
	return 2;
}

static int finish(lua_State *L, int nres, void *ud)
{
	struct walk_job *j = ud;
	int list = lua_gettop(L) - nres + 1;
	int n = (int)lua_objlen(L, list);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(L, list, i);
		j->reached++;
		if (env_is_forbidden(L, -1)) {
			j->forbidden++;
			fprintf(stderr, "forbidden value reached: %s %p\n", luaL_typename(L, -1),
				lua_topointer(L, -1));
		}
		lua_pop(L, 1);
	}
	return 0;
}

static void walk(struct sandbox *sb, struct walk_job *j)
{
	struct sandbox_job job = { prepare, finish, j };
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.cpu_seconds = 60;
	lim.wall_seconds = 120;
	struct sandbox_outcome out;
	enum sandbox_status st = sandbox_exec(sb, &job, &lim, &out);
	if (st != SANDBOX_OK)
		fprintf(stderr, "walk failed: %s\n", out.message ? out.message : "?");
	CHECK(st == SANDBOX_OK);
	sandbox_outcome_clear(&out);
}

int main(void)
{
	char err[256];
	env_audit_fingerprints(1);
	struct sandbox *sb = sandbox_new(NULL, err, sizeof err);
	CHECK(sb != NULL);
	if (!sb) {
		fprintf(stderr, "%s\n", err);
		return CHECK_DONE();
	}
	/* Control: a planted forbidden value is found (the check can fail). */
	struct walk_job control = { .plant = 1 };
	snprintf(control.info.playbook, sizeof control.info.playbook, "walker");
	walk(sb, &control);
	CHECK(control.forbidden >= 1);

	struct walk_job j = { .plant = 0 };
	snprintf(j.info.playbook, sizeof j.info.playbook, "walker");
	walk(sb, &j);
	fprintf(stderr, "walk reached %d values, %d forbidden\n", j.reached, j.forbidden);
	CHECK(j.reached > 200);
	CHECK(j.forbidden == 0);
	sandbox_free(sb);
	return CHECK_DONE();
}
