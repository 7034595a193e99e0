/* test_meta.c - lua/soarctl.meta.lua (the LuaLS annotations) and .luacheckrc
 * cannot drift from the primitives: the sandbox's real base environment is
 * built (env_build_base, as every pooled state does), every name it offers that
 * is not a standard Lua global is listed (namespaces, their fields, global
 * functions), and compared both ways with the names the meta file declares
 * (`function ns.f(`, `ns = {}`, `ns.f = ...`) and with .luacheckrc's read_globals.
 * A primitive added without its annotation, or an annotation left behind by a
 * removed primitive, fails here with its name. */
#include "check.h"
#include "env.h"

#include <ctype.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAMES 512

struct names {
	char *v[MAX_NAMES];
	int n;
};

static void add(struct names *s, const char *name, size_t len)
{
	for (int i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == len && memcmp(s->v[i], name, len) == 0)
			return;
	CHECK(s->n < MAX_NAMES);
	if (s->n < MAX_NAMES)
		s->v[s->n++] = strndup(name, len);
}

static int has(const struct names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return 1;
	return 0;
}

static void names_free(struct names *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

/* A namespace in the base is a read-only proxy: its fields are in the proxy's
 * metatable's __index. Pushes the table that holds them (the table itself when
 * it is no proxy). */
static void push_fields(lua_State *L, int idx)
{
	if (lua_getmetatable(L, idx)) {
		lua_getfield(L, -1, "__index");
		lua_remove(L, -2);
		if (lua_istable(L, -1))
			return;
		lua_pop(L, 1);
	}
	lua_pushvalue(L, idx);
}

static int build(lua_State *L)
{
	return env_build_base(L);
}

/* The names the sandbox registers beyond standard Lua: "ns", "ns.field", "fn". */
static void registered(struct names *out, struct names *top)
{
	lua_State *std = luaL_newstate();             /* what standard Lua has */
	luaL_openlibs(std);
	lua_State *L = luaL_newstate();
	lua_pushcfunction(L, build);
	if (lua_pcall(L, 0, 0, 0) != 0) {
		fprintf(stderr, "env_build_base: %s\n", lua_tostring(L, -1));
		CHECK(0);
		lua_close(L);
		lua_close(std);
		return;
	}
	env_push_run(L);
	CHECK(lua_getmetatable(L, -1));
	lua_getfield(L, -1, "__index");               /* stack: env, mt, base */
	int base = lua_gettop(L);
	lua_pushnil(L);
	while (lua_next(L, base)) {                   /* stack: ..., key, value */
		const char *k = lua_tostring(L, -2);
		lua_getglobal(std, k);
		int standard = !lua_isnil(std, -1);
		lua_pop(std, 1);
		if (!standard && strcmp(k, "_G") != 0) {
			add(out, k, strlen(k));
			add(top, k, strlen(k));
			if (lua_istable(L, -1)) {
				push_fields(L, lua_gettop(L));
				lua_pushnil(L);
				while (lua_next(L, -2)) {
					char full[128];
					snprintf(full, sizeof full, "%s.%s", k, lua_tostring(L, -2));
					add(out, full, strlen(full));
					lua_pop(L, 1);
				}
				lua_pop(L, 1);
			}
		}
		lua_pop(L, 1);
	}
	lua_close(L);
	lua_close(std);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot read %s\n", path);
		return NULL;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	if (s)
		s[n] = '\0';
	fclose(f);
	return s;
}

static size_t ident(const char *p, int dotted)
{
	size_t n = 0;
	while (isalnum((unsigned char)p[n]) || p[n] == '_' || (dotted && p[n] == '.'))
		n++;
	return n;
}

/* Names the meta file declares: "function a.b(" and "a = " / "a.b = " at the
 * start of a line (annotations are "---" comments and never match). */
static void declared(const char *text, struct names *out)
{
	for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *p = line;
		if (strncmp(p, "function ", 9) == 0) {
			p += 9;
			size_t n = ident(p, 1);
			if (n && p[n] == '(')
				add(out, p, n);
		} else if (isalpha((unsigned char)*p)) {
			size_t n = ident(p, 1);
			if (strncmp(p + n, " = ", 3) == 0)
				add(out, p, n);
		}
	}
}

/* The quoted names inside .luacheckrc's read_globals = { ... }. */
static void read_globals(const char *text, struct names *out)
{
	const char *p = strstr(text, "\nread_globals = {");
	const char *end = p ? strchr(p, '}') : NULL;
	CHECK(p && end);
	while (p && (p = strchr(p, '"')) && p < end) {
		const char *q = strchr(p + 1, '"');
		add(out, p + 1, (size_t)(q - p - 1));
		p = q + 1;
	}
}

/* Fails once for each name of `a` that `b` lacks, naming it. */
static void missing(const struct names *a, const struct names *b, const char *what)
{
	for (int i = 0; i < a->n; i++)
		if (!has(b, a->v[i])) {
			fprintf(stderr, "%s: %s\n", what, a->v[i]);
			CHECK(0);
		}
}

static void test_meta_matches_registry(void)
{
	struct names reg = { 0 }, top = { 0 }, meta = { 0 }, rc = { 0 };
	registered(&reg, &top);
	CHECK(has(&reg, "case.create") && has(&reg, "base64.decode") && has(&reg, "retry"));
	CHECK(!has(&reg, "string") && !has(&reg, "pcall")); /* standard Lua is not ours */
	char *text = slurp(SOAR_SOURCE_LUA_DIR "/soarctl.meta.lua");
	CHECK(text != NULL);
	if (text)
		declared(text, &meta);
	free(text);
	CHECK(meta.n > 50);
	missing(&reg, &meta, "registered but not annotated in lua/soarctl.meta.lua");
	missing(&meta, &reg, "annotated in lua/soarctl.meta.lua but not registered");
	text = slurp(SOAR_SOURCE_LUA_DIR "/../.luacheckrc");
	CHECK(text != NULL);
	if (text)
		read_globals(text, &rc);
	free(text);
	missing(&top, &rc, "registered global missing from .luacheckrc read_globals");
	missing(&rc, &top, ".luacheckrc read_globals names what the sandbox lacks");
	names_free(&reg);
	names_free(&top);
	names_free(&meta);
	names_free(&rc);
}

int main(void)
{
	test_meta_matches_registry();
	return CHECK_DONE();
}
