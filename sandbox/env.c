/* env.c - see env.h. What sandboxed code can reach is decided here, and only here. */
#include "env.h"
#include "prim.h"
#include "sandbox.h"
#include "sharedir.h"

#include <lauxlib.h>
#include <lualib.h>
#include <luajit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char reg_base;       /* registry[&reg_base] = the base environment */
static char reg_frozen;     /* registry[&reg_frozen] = weak set of read-only tables */
static char reg_modules;    /* registry[&reg_modules] = name -> compiled module chunk */
static char reg_lua_dir;    /* registry[&reg_lua_dir] = directory of modules */
static char reg_old_globals; /* registry[&reg_old_globals] = the emptied real globals */
static char reg_forbidden;  /* registry[&reg_forbidden] = weak set (tests only) */

static int audit_on;

void env_audit_fingerprints(int on) { audit_on = on; }

#define LOADED_KEY "loaded"  /* field of a run's metatable: its module cache */

static void reg_get(lua_State *L, void *key)
{
	lua_pushlightuserdata(L, key);
	lua_rawget(L, LUA_REGISTRYINDEX);
}

static void reg_set(lua_State *L, void *key)   /* pops the value */
{
	lua_pushlightuserdata(L, key);
	lua_insert(L, -2);
	lua_rawset(L, LUA_REGISTRYINDEX);
}

/* Marks the table at idx read-only for the safe rawset (library proxies, base). */
static void env_freeze(lua_State *L, int idx)
{
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	reg_get(L, &reg_frozen);
	lua_pushvalue(L, idx);
	lua_pushboolean(L, 1);
	lua_rawset(L, -3);
	lua_pop(L, 1);
}

static int is_frozen(lua_State *L, int idx)
{
	reg_get(L, &reg_frozen);
	lua_pushvalue(L, idx);
	lua_rawget(L, -2);
	int frozen = lua_toboolean(L, -1);
	lua_pop(L, 2);
	return frozen;
}

static int readonly_newindex(lua_State *L)
{
	const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
	luaL_where(L, 1);
	lua_pushfstring(L, "attempt to modify read-only table (field '%s')", k);
	lua_concat(L, 2);
	return lua_error(L);
}

/* Pushes a read-only proxy of the table at idx. */
static void push_readonly(lua_State *L, int idx)
{
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	lua_newtable(L);                        /* stack: proxy */
	lua_newtable(L);                        /* stack: proxy, mt */
	lua_pushvalue(L, idx);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, readonly_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);                /* stack: proxy */
	env_freeze(L, -1);
}

static int undefined_global(lua_State *L)
{
	/* stack: base, key. Level 1 is the code that read the global. */
	const char *k = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : "?";
	luaL_where(L, 1);
	lua_pushfstring(L, "undefined global '%s'", k);
	lua_concat(L, 2);
	return lua_error(L);
}

/* 1 if the table at idx is the base or the old globals: shared by every run. */
static int is_shared_env(lua_State *L, int idx)
{
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	reg_get(L, &reg_base);
	int shared = lua_rawequal(L, idx, -1);
	lua_pop(L, 1);
	reg_get(L, &reg_old_globals);
	shared |= lua_rawequal(L, idx, -1);
	lua_pop(L, 1);
	return shared;
}

/* The environment loaded code and `require` work in: the run's own.
 *
 * The nearest Lua function on the calling thread's stack decides (a module's code
 * gets its module table); C frames are skipped, since a C function's environment
 * says nothing about who called it (pcall, xpcall, table.sort, string.gsub,
 * metamethods, coroutine.wrap). Without a Lua frame (load resumed as a coroutine's
 * body), the thread's environment: the sandbox sets it to the run's environment on
 * the run's coroutine, and coroutines inherit it. Never the base (shared by every
 * run and read-only) or the interpreter's old globals (emptied, read-only): pushes
 * nothing and returns 0 then. */
static int push_caller_env(lua_State *L)
{
	lua_Debug ar;
	for (int level = 1; lua_getstack(L, level, &ar); level++) {
		if (!lua_getinfo(L, "Sf", &ar)) /* stack: fn */
			break;
		if (ar.what[0] == 'C') {
			lua_pop(L, 1);
			continue;
		}
		lua_getfenv(L, -1);
		lua_remove(L, -2);
		/* The sandbox's own Lua code (integrations/_runtime.lua) runs in the
		 * shared environment: look further, for the run's code. */
		if (lua_istable(L, -1) && !is_shared_env(L, -1))
			return 1;
		lua_pop(L, 1);
	}
	lua_pushvalue(L, LUA_GLOBALSINDEX);
	if (lua_istable(L, -1) && !is_shared_env(L, -1))
		return 1;
	lua_pop(L, 1);
	return 0;
}

/* load(chunk [, chunkname]) and loadstring(s [, chunkname]): source text only,
 * and the code runs in the caller's environment. */
static int safe_load(lua_State *L)
{
	size_t len;
	const char *code;
	luaL_Buffer b;
	if (lua_type(L, 1) == LUA_TFUNCTION) {
		luaL_buffinit(L, &b);
		for (;;) {
			lua_pushvalue(L, 1);
			lua_call(L, 0, 1);
			if (lua_isnil(L, -1) || (lua_isstring(L, -1) && lua_objlen(L, -1) == 0)) {
				lua_pop(L, 1);
				break;
			}
			if (!lua_isstring(L, -1))
				prim_usage(L, "load(chunk: string|function [, chunkname: string])",
					   "reader function returned a %s", luaL_typename(L, -1));
			luaL_addvalue(&b);
		}
		luaL_pushresult(&b);
		lua_replace(L, 1);
	}
	code = prim_check_string(L, 1, "load(chunk: string|function [, chunkname: string])", &len);
	const char *name = luaL_optstring(L, 2, "=(load)");
	if (len > 0 && code[0] == LUA_SIGNATURE[0]) {
		lua_pushnil(L);
		lua_pushliteral(L, "load: binary (bytecode) chunks are not allowed in the sandbox");
		return 2;
	}
	if (luaL_loadbuffer(L, code, len, name) != 0) {
		lua_pushnil(L);
		lua_insert(L, -2);
		return 2;
	}
	if (!push_caller_env(L))
		return luaL_error(L, "load: not called from a run (no run environment to load into)");
	lua_setfenv(L, -2);
	return 1;
}

static int safe_rawset(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TTABLE);
	luaL_checkany(L, 2);
	luaL_checkany(L, 3);
	if (is_frozen(L, 1))
		return luaL_error(L, "rawset: table is read-only");
	lua_settop(L, 3);
	lua_rawset(L, 1);
	return 1;
}

static int safe_collectgarbage(lua_State *L)
{
	const char *opt = luaL_optstring(L, 1, "count");
	if (strcmp(opt, "count") != 0)
		prim_usage(L, "collectgarbage(\"count\")", "option '%s' is not allowed in the sandbox", opt);
	lua_pushnumber(L, (lua_Number)lua_gc(L, LUA_GCCOUNT, 0) +
			  (lua_Number)lua_gc(L, LUA_GCCOUNTB, 0) / 1024.0);
	return 1;
}

static int valid_module_name(const char *s)
{
	if (!*s || *s == '.')
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p == '.' && (p[1] == '.' || p[1] == 0))
			return 0;
		if (!(*p == '.' || *p == '_' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return 0;
	}
	return 1;
}

/* Compiles lua_dir/NAME.lua once per state; pushes the chunk. */
static void push_module_chunk(lua_State *L, const char *name)
{
	reg_get(L, &reg_modules);                       /* stack: modules */
	lua_getfield(L, -1, name);
	if (!lua_isnil(L, -1)) {
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 1);
	reg_get(L, &reg_lua_dir);
	char path[4096];
	int n = snprintf(path, sizeof path, "%s/", lua_tostring(L, -1));
	lua_pop(L, 1);
	for (const char *p = name; *p && n < (int)sizeof path - 8; p++)
		path[n++] = *p == '.' ? '/' : *p;
	snprintf(path + n, sizeof path - (size_t)n, ".lua");

	prim_noint_enter();
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	if (f) {
		buf = malloc(1 << 20);
		len = buf ? fread(buf, 1, 1 << 20, f) : 0;
		fclose(f);
	}
	prim_noint_leave();
	if (!f || !buf) {
		free(buf);
		luaL_error(L, "module '%s' not found (looked for %s)", name, path);
	}
	lua_pushfstring(L, "@%s", path);
	int rc = (len > 0 && buf[0] == LUA_SIGNATURE[0]) ? -1
		 : luaL_loadbuffer(L, buf, len, lua_tostring(L, -1));
	free(buf);
	if (rc == -1)
		luaL_error(L, "module '%s' is bytecode, which the sandbox refuses", name);
	if (rc != 0)
		lua_error(L);
	lua_remove(L, -2);                              /* stack: modules, chunk */
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, name);
	lua_remove(L, -2);                              /* stack: chunk */
}

static int safe_require(lua_State *L)
{
	const char *name = prim_check_string(L, 1, "require(name: string)", NULL);
	if (!valid_module_name(name))
		prim_usage(L, "require(name: string)", "'%s' is not a module name (letters, digits, _ and .)", name);
	if (!push_caller_env(L) || !lua_getmetatable(L, -1))
		return luaL_error(L, "require: not called from sandboxed code");
	lua_getfield(L, -1, LOADED_KEY);                /* stack: name, env, mt, loaded */
	lua_getfield(L, -1, name);
	if (!lua_isnil(L, -1))
		return 1;
	lua_pop(L, 1);
	/* A module's own environment shares this run's metatable (and so its cache). */
	lua_newtable(L);                                /* stack: ..., loaded, menv */
	lua_pushvalue(L, -3);
	lua_setmetatable(L, -2);
	push_module_chunk(L, name);                     /* stack: ..., loaded, menv, chunk */
	lua_pushvalue(L, -2);
	lua_setfenv(L, -2);
	lua_pushvalue(L, 1);
	lua_call(L, 1, 1);                              /* stack: ..., loaded, menv, result */
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_pushboolean(L, 1);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, -4, name);
	return 1;
}

/* Coroutines resumed from coroutines nest on the C stack, which LuaJIT does not
 * bound: resume and wrap count the depth and refuse past a limit, instead of
 * letting `local function f() coroutine.wrap(f)() end` overflow the C stack. */
#define MAX_COROUTINE_DEPTH 200
static __thread int coroutine_depth;

void env_reset_run(void)
{
	coroutine_depth = 0;
}

/* Resumes co with narg values from L's top. Returns the number of values moved
 * to L, or -1 with the error message pushed on L. */
static int resume_counted(lua_State *L, lua_State *co, int narg)
{
	if ((lua_status(co) == 0 && lua_gettop(co) == 0) || lua_status(co) > LUA_YIELD) {
		lua_pushliteral(L, "cannot resume dead coroutine");
		return -1;
	}
	if (coroutine_depth >= MAX_COROUTINE_DEPTH) {
		lua_pushfstring(L, "coroutines nested too deeply (more than %d)", MAX_COROUTINE_DEPTH);
		return -1;
	}
	if (!lua_checkstack(co, narg)) {
		lua_pushliteral(L, "too many arguments to resume");
		return -1;
	}
	lua_xmove(L, co, narg);
	coroutine_depth++;
	/* Lua code runs on both sides of a resume: no no-interrupt region can be
	 * open, so a depth left by an unwound one ends here. */
	sandbox_noint_reset();
	int status = lua_resume(co, narg);
	sandbox_noint_reset();
	coroutine_depth--;
	if (status == 0 || status == LUA_YIELD) {
		int nres = lua_gettop(co);
		if (!lua_checkstack(L, nres + 1)) {
			lua_pushliteral(L, "too many results to resume");
			return -1;
		}
		lua_xmove(co, L, nres);
		return nres;
	}
	lua_xmove(co, L, 1);
	return -1;
}

static int safe_resume(lua_State *L)
{
	lua_State *co = lua_tothread(L, 1);
	if (!co)
		prim_usage(L, "coroutine.resume(co: thread, ...)", "argument 1 is not a coroutine");
	int r = resume_counted(L, co, lua_gettop(L) - 1);
	if (sandbox_parking())   /* a step inside made the run wait: unwind it too */
		return lua_yield(L, 0);
	if (r < 0) {
		lua_pushboolean(L, 0);
		lua_insert(L, -2);
		return 2;
	}
	lua_pushboolean(L, 1);
	lua_insert(L, -(r + 1));
	return r + 1;
}

/* The C half of a coroutine.wrap function: resumes, and returns true and the
 * values, or false and the error. It does not raise: raising from the C
 * function that just resumed another thread leaves LuaJIT's current-thread
 * pointer on that thread (LuaJIT issue 1066), and the next collection or trace
 * exit crashed the process (`pcall(coroutine.wrap(function() error() end))` in
 * a loop). The Lua half (wrap_src) raises. */
static int wrapped_resume(lua_State *L)
{
	lua_State *co = lua_tothread(L, lua_upvalueindex(1));
	int r = resume_counted(L, co, lua_gettop(L));
	if (sandbox_parking())
		return lua_yield(L, 0);
	if (r < 0) {
		lua_pushboolean(L, 0);
		lua_insert(L, -2);
		return 2;
	}
	lua_pushboolean(L, 1);
	lua_insert(L, -(r + 1));
	return r + 1;
}

static char reg_wrap;   /* registry[&reg_wrap] = the Lua half of coroutine.wrap */

/* The message already says where it came from: raised as is (level 0). */
static const char wrap_src[] =
	"local error = ...\n"
	"local function check(ok, ...)\n"
	"  if ok then return ... end\n"
	"  error((...), 0)\n"
	"end\n"
	"return function(resume) return function(...) return check(resume(...)) end end\n";

static int safe_wrap(lua_State *L)
{
	luaL_checktype(L, 1, LUA_TFUNCTION);
	reg_get(L, &reg_wrap);
	lua_State *co = lua_newthread(L);
	lua_pushvalue(L, 1);
	lua_xmove(L, co, 1);
	lua_pushcclosure(L, wrapped_resume, 1);
	lua_call(L, 1, 1);
	return 1;
}

/* Compiles the Lua half of coroutine.wrap (at build time, so that its
 * environment is the old globals, which it never reads: `error` is an upvalue). */
static void build_wrap(lua_State *L)
{
	if (luaL_loadbuffer(L, wrap_src, sizeof wrap_src - 1, "=coroutine.wrap") != 0)
		lua_error(L);
	lua_getglobal(L, "error");
	lua_call(L, 1, 1);
	reg_set(L, &reg_wrap);
}

static void open_lib(lua_State *L, lua_CFunction f, const char *name)
{
	lua_pushcfunction(L, f);
	lua_pushstring(L, name);
	lua_call(L, 1, 0);
}

/* Copies the listed fields of global table `lib` into a new table, pushes a
 * read-only proxy of it. */
static void push_filtered(lua_State *L, const char *lib, const char *const *fields)
{
	lua_getglobal(L, lib);                          /* stack: lib */
	lua_newtable(L);                                /* stack: lib, copy */
	for (const char *const *f = fields; *f; f++) {
		lua_getfield(L, -2, *f);
		lua_setfield(L, -2, *f);
	}
	push_readonly(L, -1);                           /* stack: lib, copy, proxy */
	lua_replace(L, -3);
	lua_pop(L, 1);
}

/* Copies every field of global table `lib` (except those listed) and pushes a
 * read-only proxy of the copy: runs never hold the real library table. */
static void push_library(lua_State *L, const char *lib, const char *const *drop)
{
	lua_getglobal(L, lib);
	lua_newtable(L);                                /* stack: lib, copy */
	lua_pushnil(L);
	while (lua_next(L, -3)) {
		int skip = 0;
		if (lua_type(L, -2) == LUA_TSTRING)
			for (const char *const *d = drop; d && *d; d++)
				if (strcmp(*d, lua_tostring(L, -2)) == 0)
					skip = 1;
		if (skip) {
			lua_pop(L, 1);
			continue;
		}
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, -4);
	}
	push_readonly(L, -1);
	lua_replace(L, -3);
	lua_pop(L, 1);
}

/* What the caller of the sandbox gives every state (sandbox_set_primitives). */
static sandbox_primitives_fn install_primitives;

void sandbox_set_primitives(sandbox_primitives_fn install)
{
	__atomic_store_n(&install_primitives, install, __ATOMIC_RELEASE);
}

int env_is_forbidden(lua_State *L, int idx)
{
	idx = idx < 0 && idx > LUA_REGISTRYINDEX ? lua_gettop(L) + idx + 1 : idx;
	reg_get(L, &reg_forbidden);
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		return 0;
	}
	lua_pushvalue(L, idx);
	lua_rawget(L, -2);
	int r = lua_toboolean(L, -1);
	lua_pop(L, 2);
	return r;
}

void env_push_forbidden_sample(lua_State *L)
{
	reg_get(L, &reg_old_globals);
}

static void forbid(lua_State *L, int set, int idx)
{
	lua_pushvalue(L, idx);
	lua_pushboolean(L, 1);
	lua_rawset(L, set);
}

/* The audit's fingerprints, taken once the libraries are open and before any
 * is hardened: everything the real globals hold that the base does not hand
 * out as is (allowed[]), and the library functions runs do not get. */
static void take_fingerprints(lua_State *L, const char *const *allowed)
{
	open_lib(L, luaopen_debug, LUA_DBLIBNAME);
	open_lib(L, luaopen_io, LUA_IOLIBNAME);
	open_lib(L, luaopen_package, LUA_LOADLIBNAME);
	lua_newtable(L);
	lua_newtable(L);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	int set = lua_gettop(L);
	forbid(L, set, LUA_GLOBALSINDEX);
	forbid(L, set, LUA_REGISTRYINDEX);
	lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
	forbid(L, set, -1);
	lua_pop(L, 1);
	static const char *const whole[] = { "os", "io", "debug", "jit", "package", NULL };
	static const char *const partly[] = { "string.dump", "math.randomseed", "coroutine.wrap",
					      "coroutine.resume", NULL };
	lua_pushnil(L);
	while (lua_next(L, LUA_GLOBALSINDEX)) {
		const char *k = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			ok |= strcmp(*a, k) == 0;
		if (!ok)
			forbid(L, set, -1);         /* tables: runs get proxies of copies */
		int all = 0;
		for (const char *const *w = whole; *w; w++)
			all |= strcmp(*w, k) == 0;
		if (lua_istable(L, -1)) {
			lua_pushnil(L);
			while (lua_next(L, -2)) {
				char name[128];
				snprintf(name, sizeof name, "%s.%s", k,
					 lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?");
				int bad = all;
				for (const char *const *p = partly; *p; p++)
					bad |= strcmp(*p, name) == 0;
				static const char *const os_ok[] = { "os.time", "os.clock", "os.date",
								     "os.difftime", NULL };
				for (const char *const *o = os_ok; *o; o++)
					bad &= strcmp(*o, name) != 0;
				if (bad && !lua_isstring(L, -1))   /* strings are values, not capabilities */
					forbid(L, set, -1);
				lua_pop(L, 1);
			}
		}
		lua_pop(L, 1);
	}
	reg_set(L, &reg_forbidden);
}

/* Empties the table at idx (raw). */
static void wipe(lua_State *L, int idx)
{
	idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
	lua_pushnil(L);
	while (lua_next(L, idx)) {
		lua_pop(L, 1);
		lua_pushvalue(L, -1);
		lua_pushnil(L);
		lua_rawset(L, idx);
	}
}

/* After the base is built, nothing in the state may lead to what runs must not
 * have. The libraries' C functions keep the table that was the globals as their
 * environment (LUA_ENVIRONINDEX), and `load`, called through one of them, used
 * to hand that table to sandboxed code: so it is emptied, made read-only, and
 * reads fall through to the base (the sandbox's own Lua code, such as
 * integrations/_runtime.lua, was loaded with it as its environment). The main thread's globals
 * become the read-only base (C code's lua_getglobal finds the safe functions),
 * the module registry _LOADED forgets every library (the real os and jit tables
 * among them), and the real os and jit tables themselves are emptied. */
static void lock_down(lua_State *L, int base)
{
	lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
	if (lua_istable(L, -1))
		wipe(L, -1);
	lua_pop(L, 1);
	static const char *const emptied[] = { LUA_OSLIBNAME, LUA_JITLIBNAME, NULL };
	for (const char *const *lib = emptied; *lib; lib++) {
		lua_getfield(L, LUA_GLOBALSINDEX, *lib);
		if (lua_istable(L, -1))
			wipe(L, -1);
		lua_pop(L, 1);
	}
	lua_pushvalue(L, LUA_GLOBALSINDEX);             /* stack: old */
	lua_pushvalue(L, -1);
	reg_set(L, &reg_old_globals);
	wipe(L, -1);
	lua_newtable(L);                                /* stack: old, mt */
	lua_pushvalue(L, base);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, readonly_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, -2);
	env_freeze(L, -1);
	lua_pop(L, 1);
	lua_pushvalue(L, base);
	lua_replace(L, LUA_GLOBALSINDEX);
}

int env_build_base(lua_State *L)
{
	const char *lua_dir = lua_tostring(L, 1);
	lua_pushstring(L, lua_dir && *lua_dir ? lua_dir : sharedir_lua());
	reg_set(L, &reg_lua_dir);

	lua_newtable(L);
	lua_newtable(L);
	lua_pushliteral(L, "k");
	lua_setfield(L, -2, "__mode");
	lua_setmetatable(L, -2);
	reg_set(L, &reg_frozen);
	lua_newtable(L);
	reg_set(L, &reg_modules);

	open_lib(L, luaopen_base, "");
	open_lib(L, luaopen_string, LUA_STRLIBNAME);
	open_lib(L, luaopen_table, LUA_TABLIBNAME);
	open_lib(L, luaopen_math, LUA_MATHLIBNAME);
	open_lib(L, luaopen_os, LUA_OSLIBNAME);
	open_lib(L, luaopen_bit, LUA_BITLIBNAME);
	open_lib(L, luaopen_jit, LUA_JITLIBNAME);  /* turns the JIT compiler on */
	static const char *const globals[] = {
		"assert", "error", "ipairs", "next", "pairs", "pcall", "xpcall", "select",
		"tonumber", "tostring", "type", "unpack", "getmetatable", "setmetatable",
		"rawequal", "rawget", "_VERSION", NULL,
	};
	if (audit_on)
		take_fingerprints(L, globals);

	/* The real string table stays reachable through string methods ("x"):f(),
	 * so harden the real one, and hide the shared string metatable. */
	lua_getglobal(L, LUA_STRLIBNAME);
	lua_pushnil(L);
	lua_setfield(L, -2, "dump");
	lua_pop(L, 1);
	lua_pushliteral(L, "");
	lua_getmetatable(L, -1);                        /* stack: "", strmt */
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_pushcfunction(L, readonly_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pop(L, 2);

	lua_newtable(L);                                /* stack: base */
	int base = lua_gettop(L);
	for (const char *const *g = globals; *g; g++) {
		lua_getglobal(L, *g);
		lua_setfield(L, base, *g);
	}
	lua_pushcfunction(L, safe_load);
	lua_pushvalue(L, -1);
	lua_setfield(L, base, "load");
	lua_setfield(L, base, "loadstring");
	lua_pushcfunction(L, safe_rawset);
	lua_setfield(L, base, "rawset");
	lua_pushcfunction(L, safe_collectgarbage);
	lua_setfield(L, base, "collectgarbage");
	lua_pushcfunction(L, safe_require);
	lua_setfield(L, base, "require");

	static const char *const no_string[] = { "dump", NULL };
	static const char *const no_math[] = { "randomseed", NULL };
	static const char *const os_fields[] = { "time", "clock", "date", "difftime", NULL };
	push_library(L, LUA_STRLIBNAME, no_string);
	lua_setfield(L, base, "string");
	push_library(L, LUA_TABLIBNAME, NULL);
	lua_setfield(L, base, "table");
	push_library(L, LUA_MATHLIBNAME, no_math);
	lua_setfield(L, base, "math");
	push_library(L, LUA_BITLIBNAME, NULL);
	lua_setfield(L, base, "bit");
	lua_getglobal(L, LUA_COLIBNAME);
	lua_pushcfunction(L, safe_resume);
	lua_setfield(L, -2, "resume");
	build_wrap(L);
	lua_pushcfunction(L, safe_wrap);
	lua_setfield(L, -2, "wrap");
	lua_pop(L, 1);
	push_library(L, LUA_COLIBNAME, NULL);
	lua_setfield(L, base, "coroutine");
	push_filtered(L, LUA_OSLIBNAME, os_fields);
	lua_setfield(L, base, "os");

	/* The primitives: each namespace becomes a read-only proxy too. */
	lua_newtable(L);                                /* stack: base, prims */
	sandbox_primitives_fn install = __atomic_load_n(&install_primitives, __ATOMIC_ACQUIRE);
	if (install)
		install(L);
	lua_pushnil(L);
	while (lua_next(L, -2)) {                       /* stack: base, prims, k, v */
		if (lua_istable(L, -1)) {
			push_readonly(L, -1);
			lua_replace(L, -2);
		}
		lua_pushvalue(L, -2);
		lua_insert(L, -2);
		lua_rawset(L, base);
	}
	lua_pop(L, 1);                                  /* stack: base */

	lua_newtable(L);                                /* stack: base, basemt */
	lua_pushcfunction(L, undefined_global);
	lua_setfield(L, -2, "__index");
	lua_pushcfunction(L, readonly_newindex);
	lua_setfield(L, -2, "__newindex");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_setmetatable(L, base);
	env_freeze(L, base);
	lua_pushvalue(L, base);
	reg_set(L, &reg_base);
	lock_down(L, base);
	lua_pop(L, 1);
	return 0;
}

const char *env_lua_dir(lua_State *L)
{
	reg_get(L, &reg_lua_dir);
	const char *dir = lua_tostring(L, -1);      /* kept alive by the registry */
	lua_pop(L, 1);
	return dir ? dir : sharedir_lua();
}

void env_push_run(lua_State *L)
{
	lua_createtable(L, 0, 4);                       /* stack: env */
	lua_createtable(L, 0, 4);                       /* stack: env, mt */
	reg_get(L, &reg_base);
	lua_setfield(L, -2, "__index");
	lua_pushboolean(L, 0);
	lua_setfield(L, -2, "__metatable");
	lua_newtable(L);
	lua_setfield(L, -2, LOADED_KEY);
	lua_setmetatable(L, -2);                        /* stack: env */
	lua_pushvalue(L, -1);
	lua_setfield(L, -2, "_G");
}
