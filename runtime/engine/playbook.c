/* playbook.c - see playbook.h. The playbook's file is compiled once per state
 * and executed afresh for every run in that run's environment, so file-level
 * locals and closures never carry over from one run to the next. */
#include "playbook.h"
#include "egress.h"
#include "prim_json.h"
#include "redact.h"
#include "runscrub.h"
#include "uuid.h"

#include <errno.h>
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_PLAYBOOK_BYTES ((size_t)4 << 20)

static char reg_chunks;   /* registry[&reg_chunks] = hash -> compiled chunk */

static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

int playbook_load_string(const char *name, const char *code, size_t len, struct playbook_src *src)
{
	memset(src, 0, sizeof *src);
	src->path = strdup(name);
	src->code = malloc(len + 1);
	if (!src->path || !src->code) {
		playbook_src_free(src);
		return -1;
	}
	memcpy(src->code, code, len);
	src->code[len] = 0;
	src->len = len;
	src->hash = fnv1a(fnv1a(0xcbf29ce484222325ULL, name, strlen(name) + 1), code, len);
	return 0;
}

int playbook_load_file(const char *path, struct playbook_src *src, char *err, size_t errlen)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot open playbook %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		fclose(f);
		return -1;
	}
	if ((size_t)st.st_size > MAX_PLAYBOOK_BYTES) {
		snprintf(err, errlen, "%s is %lld bytes; a playbook may have at most %zu", path,
			 (long long)st.st_size, MAX_PLAYBOOK_BYTES);
		fclose(f);
		return -1;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (!buf || n != (size_t)st.st_size) {
		free(buf);
		snprintf(err, errlen, "cannot read %s", path);
		return -1;
	}
	int rc = playbook_load_string(path, buf, n, src);
	free(buf);
	if (rc != 0)
		snprintf(err, errlen, "out of memory reading %s", path);
	return rc;
}

void playbook_src_free(struct playbook_src *src)
{
	free(src->path);
	free(src->code);
	memset(src, 0, sizeof *src);
}

void playbook_run_clear(struct playbook_run *run)
{
	free(run->egress_owned);
	run->egress_owned = NULL;
	run->info.egress = NULL;
	redact_free(run->info.redact);
	run->info.redact = NULL;
	free(run->result_json);
	free(run->version);
	free(run->inputs_json);
	run->result_json = run->version = run->inputs_json = NULL;
	sandbox_outcome_clear(&run->outcome);
}

/* ---- prepare: compile, evaluate the file, check the table and the inputs ---- */

__attribute__((noreturn, format(printf, 3, 4)))
static void invalid(lua_State *L, struct playbook_run *run, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!run) {                 /* a sub-playbook's inputs: the caller's error */
		luaL_where(L, 1);
		lua_pushstring(L, msg);
		lua_concat(L, 2);
		lua_error(L);
	}
	run->status = PLAYBOOK_INVALID;
	if (run->bad_input)         /* the caller's arguments, not the file, are wrong */
		lua_pushstring(L, msg);
	else
		lua_pushfstring(L, "%s: %s", run->src->path, msg);
	lua_error(L);
	abort();
}

static void push_chunk(lua_State *L, struct playbook_run *run);

void playbook_push_chunk(lua_State *L, const struct playbook_src *src)
{
	struct playbook_run tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.src = src;
	push_chunk(L, &tmp);
}

static void push_chunk(lua_State *L, struct playbook_run *run)
{
	const struct playbook_src *src = run->src;
	char key[17];
	snprintf(key, sizeof key, "%016llx", (unsigned long long)src->hash);
	lua_pushlightuserdata(L, &reg_chunks);
	lua_rawget(L, LUA_REGISTRYINDEX);
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushlightuserdata(L, &reg_chunks);
		lua_pushvalue(L, -2);
		lua_rawset(L, LUA_REGISTRYINDEX);
	}                                               /* stack: chunks */
	lua_getfield(L, -1, key);
	if (lua_isfunction(L, -1)) {
		lua_remove(L, -2);
		return;
	}
	lua_pop(L, 1);
	if (src->len > 0 && src->code[0] == LUA_SIGNATURE[0])
		invalid(L, run, "is precompiled bytecode; playbooks must be Lua source");
	lua_pushfstring(L, "@%s", src->path);
	int rc = luaL_loadbuffer(L, src->code, src->len, lua_tostring(L, -1));
	lua_remove(L, -2);
	if (rc != 0) {
		run->status = PLAYBOOK_INVALID;
		lua_pushfstring(L, "not valid Lua: %s", lua_tostring(L, -1));
		lua_error(L);
	}
	lua_pushvalue(L, -1);
	lua_setfield(L, -3, key);
	lua_remove(L, -2);                              /* stack: chunk */
}

static const char *const input_types[] = { "string", "number", "integer", "boolean", "table", "any", NULL };

static int is_integer(lua_Number n)
{
	return isfinite(n) && n == floor(n) && fabs(n) <= 9007199254740992.0;
}

/* Checks the value at stack top against a declared type; coerces strings given
 * on the command line (from_text). Leaves the (converted) value at the top. */
static void check_input(lua_State *L, struct playbook_run *run, const char *name,
			const char *type, int from_text)
{
	int t = lua_type(L, -1);
	if (strcmp(type, "any") == 0)
		return;
	if (from_text && t == LUA_TSTRING && strcmp(type, "string") != 0) {
		size_t len;
		const char *s = lua_tolstring(L, -1, &len);
		if (strcmp(type, "boolean") == 0) {
			int v = -1;
			if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1") || !strcmp(s, "on"))
				v = 1;
			else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0") || !strcmp(s, "off"))
				v = 0;
			if (v < 0)
				invalid(L, run, "input '%s' must be a boolean (true/false), got \"%s\"", name, s);
			lua_pop(L, 1);
			lua_pushboolean(L, v);
			return;
		}
		if (strcmp(type, "table") == 0) {
			char err[256];
			if (json_decode_push(L, s, len, NULL, err, sizeof err) != 0)
				invalid(L, run, "input '%s' must be JSON: %s", name, err);
			lua_remove(L, -2);
			t = lua_type(L, -1);
		} else {
			char *end;
			errno = 0;
			double d = strtod(s, &end);
			if (len == 0 || *end || errno || !isfinite(d))
				invalid(L, run, "input '%s' must be a%s %s, got \"%s\"", name,
					type[0] == 'i' ? "n" : "", type, s);
			lua_pop(L, 1);
			lua_pushnumber(L, d);
			t = LUA_TNUMBER;
		}
	}
	int ok;
	if (strcmp(type, "integer") == 0)
		ok = t == LUA_TNUMBER && is_integer(lua_tonumber(L, -1));
	else if (strcmp(type, "number") == 0)
		ok = t == LUA_TNUMBER;
	else if (strcmp(type, "string") == 0)
		ok = t == LUA_TSTRING;
	else if (strcmp(type, "boolean") == 0)
		ok = t == LUA_TBOOLEAN;
	else
		ok = t == LUA_TTABLE;
	if (!ok)
		invalid(L, run, "input '%s' must be a%s %s, got %s", name,
			type[0] == 'i' ? "n" : "", type, lua_typename(L, t));
}

/* stack: ..., spec (inputs table). Validates the declarations themselves. */
static void check_declarations(lua_State *L, struct playbook_run *run, int spec)
{
	lua_pushnil(L);
	while (lua_next(L, spec)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			invalid(L, run, "inputs must be a table of name = {type=...}");
		const char *name = lua_tostring(L, -2);
		if (!lua_istable(L, -1))
			invalid(L, run, "input '%s' must be declared as a table like {type=\"string\"}", name);
		lua_getfield(L, -1, "type");
		const char *type = lua_tostring(L, -1);
		int known = 0;
		for (const char *const *t = input_types; type && *t; t++)
			known |= strcmp(*t, type) == 0;
		if (!known)
			invalid(L, run, "input '%s' has type %s%s%s; use string, number, integer, boolean, table or any",
				name, type ? "\"" : "", type ? type : "(none)", type ? "\"" : "");
		lua_pop(L, 1);
		lua_getfield(L, -1, "default");
		if (!lua_isnil(L, -1))
			check_input(L, run, name, type, 0);
		lua_pop(L, 2);
	}
}

static void declared_names(lua_State *L, int spec, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	lua_pushnil(L);
	while (lua_next(L, spec)) {
		lua_pop(L, 1);
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", n ? ", " : "", lua_tostring(L, -1));
	}
	if (!n)
		snprintf(buf, len, "none");
}

/* Checks each entry of the table `given` against the declarations `spec` and
 * copies it into `input`. `whose` words the error ("this" or "that" playbook). */
static void merge_given(lua_State *L, struct playbook_run *run, int spec, int input, int given,
			const char *whose)
{
	char names[256];
	lua_pushnil(L);
	while (lua_next(L, given)) {
		if (lua_type(L, -2) != LUA_TSTRING)
			invalid(L, run, "inputs are named: a JSON object or a table of name = value");
		const char *name = lua_tostring(L, -2);
		lua_getfield(L, spec, name);
		if (lua_isnil(L, -1)) {
			declared_names(L, spec, names, sizeof names);
			invalid(L, run, "unknown input '%s' (%s playbook takes: %s)", name, whose, names);
		}
		lua_getfield(L, -1, "type");
		const char *type = lua_tostring(L, -1);
		lua_pushvalue(L, -3);
		check_input(L, run, name, type, 0);
		lua_setfield(L, input, name);
		lua_pop(L, 3);
	}
}

/* Inputs not given take their default; a required one without is an error. */
static void apply_defaults(lua_State *L, struct playbook_run *run, int spec, int input)
{
	lua_pushnil(L);
	while (lua_next(L, spec)) {                     /* stack: name, decl */
		const char *name = lua_tostring(L, -2);
		lua_getfield(L, input, name);
		int present = !lua_isnil(L, -1);
		lua_pop(L, 1);
		if (!present) {
			lua_getfield(L, -1, "default");
			if (!lua_isnil(L, -1)) {
				lua_setfield(L, input, name);
			} else {
				lua_pop(L, 1);
				lua_getfield(L, -1, "required");
				if (lua_toboolean(L, -1))
					invalid(L, run, "missing required input '%s'", name);
				lua_pop(L, 1);
			}
		}
		lua_pop(L, 1);
	}
}

/* Builds the input table from --input-json, then --input key=value, then defaults. */
static void build_inputs(lua_State *L, struct playbook_run *run, int spec)
{
	char names[256];
	lua_newtable(L);
	int input = lua_gettop(L);
	if (run->input_json) {
		char err[256];
		if (json_decode_push(L, run->input_json, strlen(run->input_json), NULL, err, sizeof err) != 0)
			invalid(L, run, "--input-json is not valid JSON: %s", err);
		if (!lua_istable(L, -1))
			invalid(L, run, "--input-json must be a JSON object");
		merge_given(L, run, spec, input, lua_gettop(L), "this");
		lua_pop(L, 1);
	}
	for (int i = 0; i < run->ninputs; i++) {
		const char *kv = run->inputs[i];
		const char *eq = strchr(kv, '=');
		if (!eq || eq == kv)
			invalid(L, run, "--input takes KEY=VALUE (like --input name=Ada), got \"%s\"", kv);
		lua_pushlstring(L, kv, (size_t)(eq - kv));
		const char *name = lua_tostring(L, -1);
		lua_getfield(L, spec, name);
		if (lua_isnil(L, -1)) {
			declared_names(L, spec, names, sizeof names);
			invalid(L, run, "unknown input '%s' (this playbook takes: %s)", name, names);
		}
		lua_getfield(L, -1, "type");
		const char *type = lua_tostring(L, -1);
		lua_pushstring(L, eq + 1);
		check_input(L, run, name, type, 1);
		lua_setfield(L, input, name);
		lua_pop(L, 3);
	}
	apply_defaults(L, run, spec, input);
}

void playbook_inputs_from_table(lua_State *L, int pb, int given)
{
	pb = pb < 0 ? lua_gettop(L) + pb + 1 : pb;
	given = given < 0 ? lua_gettop(L) + given + 1 : given;
	lua_getfield(L, pb, "inputs");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
	}
	int spec = lua_gettop(L);
	check_declarations(L, NULL, spec);
	lua_newtable(L);
	int input = lua_gettop(L);
	if (!lua_isnoneornil(L, given)) {
		if (!lua_istable(L, given))
			invalid(L, NULL, "input must be a table");
		merge_given(L, NULL, spec, input, given, "that");
	}
	apply_defaults(L, NULL, spec, input);
	lua_remove(L, spec);
}

static int prepare(lua_State *L, int env, void *ud)
{
	struct playbook_run *run = ud;
	if (run->on_prepare)
		run->on_prepare(L, run->on_prepare_ud);
	push_chunk(L, run);                             /* stack: chunk */
	lua_pushvalue(L, env);
	lua_setfenv(L, -2);
	lua_call(L, 0, 1);                              /* stack: pb */
	if (!lua_istable(L, -1))
		invalid(L, run, "a playbook must return a table (this one returned %s)",
			luaL_typename(L, -1));
	int pb = lua_gettop(L);

	lua_getfield(L, pb, "name");
	if (lua_type(L, -1) != LUA_TSTRING || lua_objlen(L, -1) == 0)
		invalid(L, run, "the returned table needs name = \"...\" (a non-empty string)");
	snprintf(run->info.playbook, sizeof run->info.playbook, "%s", lua_tostring(L, -1));
	lua_pop(L, 1);
	static const char *const strings[] = { "description", NULL };
	for (const char *const *f = strings; *f; f++) {
		lua_getfield(L, pb, *f);
		if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
			invalid(L, run, "%s must be a string", *f);
		lua_pop(L, 1);
	}
	lua_getfield(L, pb, "version");
	if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING && lua_type(L, -1) != LUA_TNUMBER)
		invalid(L, run, "version must be a string like \"1.0.0\"");
	if (!lua_isnil(L, -1) && run->info.engine && !run->version)
		run->version = strdup(lua_tostring(L, -1));
	lua_pop(L, 1);
	lua_getfield(L, pb, "hosts");
	if (!lua_isnil(L, -1)) {
		/* The only hosts its own http calls may reach (integrations have theirs). */
		if (!lua_istable(L, -1))
			invalid(L, run, "hosts must be a list of host names like {\"api.example.com\"}");
		/* Full size while filling; a scope kept from before is cut to fit. */
		run->info.egress = NULL;
		free(run->egress_owned);
		if (!(run->egress_owned = calloc(1, sizeof *run->egress_owned)))
			invalid(L, run, "out of memory");
		char err[200];
		for (int i = 1; i <= (int)lua_objlen(L, -1); i++) {
			lua_rawgeti(L, -1, i);
			if (lua_type(L, -1) != LUA_TSTRING ||
			    egress_add(run->egress_owned, lua_tostring(L, -1), err, sizeof err) != 0)
				invalid(L, run, "hosts[%d]: %s", i,
					lua_type(L, -1) == LUA_TSTRING ? err : "not a string");
			lua_pop(L, 1);
		}
		/* Many runs wait at once: keep only the hosts declared. */
		struct egress_scope *fit = realloc(run->egress_owned,
						   EGRESS_SCOPE_SIZE(run->egress_owned->nhosts));
		if (fit)
			run->egress_owned = fit;
		run->info.egress = run->egress_owned;
	}
	lua_pop(L, 1);
	lua_getfield(L, pb, "run");
	if (!lua_isfunction(L, -1))
		invalid(L, run, "the returned table needs run = function(ctx, input) ... end");
	int body = lua_gettop(L);

	lua_getfield(L, pb, "inputs");
	if (lua_isnil(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
	} else if (!lua_istable(L, -1)) {
		invalid(L, run, "inputs must be a table of name = {type=...}");
	}
	int spec = lua_gettop(L);
	check_declarations(L, run, spec);
	run->bad_input = 1;  /* an error while building them blames the inputs */
	build_inputs(L, run, spec);                     /* stack: pb, run, spec, input */
	run->bad_input = 0;
	if (run->info.engine && !run->inputs_json) {
		/* A durable run replays with exactly these inputs. */
		struct json_buf jb = { 0 };
		char err[256];
		struct json_opts o = { 0 };
		o.sort_keys = 1;
		if (json_encode_lua(L, -1, &o, &jb, err, sizeof err) != 0) {
			json_buf_free(&jb);
			invalid(L, run, "inputs cannot be recorded: %s", err);
		}
		run->inputs_json = jb.data;
	}

	lua_createtable(L, 0, 4);                       /* stack: ..., input, ctx */
	lua_pushstring(L, run->info.id);
	lua_setfield(L, -2, "run_id");
	lua_pushstring(L, run->info.playbook);
	lua_setfield(L, -2, "playbook");
	if (run->case_ref) {
		lua_pushstring(L, run->case_ref);
		lua_setfield(L, -2, "case");
	}
	lua_insert(L, -2);                              /* stack: ..., ctx, input */
	lua_pushvalue(L, body);
	lua_insert(L, -3);                              /* stack: ..., run, ctx, input */
	return 2;
}

static int finish(lua_State *L, int nres, void *ud)
{
	struct playbook_run *run = ud;
	struct json_buf buf = { 0 };
	char err[256];
	struct json_opts opts = { 0 };
	opts.max_bytes = run->limits.result_bytes + 1;
	opts.sort_keys = 1;
	if (nres == 0)
		lua_pushnil(L);
	int idx = lua_gettop(L) - (nres > 0 ? nres - 1 : 0);
	if (json_encode_lua(L, idx, &opts, &buf, err, sizeof err) != 0) {
		json_buf_free(&buf);
		if (strstr(err, "limit") || strstr(err, "too large") || strstr(err, "bytes"))
			sandbox_fail(L, SANDBOX_RESULT_TOO_LARGE, "result too large (the limit is %zu bytes)",
				     run->limits.result_bytes);
		sandbox_fail(L, SANDBOX_ERROR, "the result cannot be encoded as JSON: %s", err);
	}
	if (buf.len > run->limits.result_bytes) {
		size_t n = buf.len;
		json_buf_free(&buf);
		sandbox_fail(L, SANDBOX_RESULT_TOO_LARGE, "result too large: %zu bytes (the limit is %zu)",
			     n, run->limits.result_bytes);
	}
	run->result_json = buf.data;
	run_scrub_str(&run->info, &run->result_json);
	return 0;
}

static void run_setup(struct playbook_run *run)
{
	clock_gettime(CLOCK_MONOTONIC, &run->started_);
	if (!run->info.id[0])
		uuid_v7(run->info.id);
	if (!run->info.playbook[0]) {
		const char *base = strrchr(run->src->path, '/');
		snprintf(run->info.playbook, sizeof run->info.playbook, "%s", base ? base + 1 : run->src->path);
	}
	run->status = PLAYBOOK_SUCCEEDED;
	run->result_json = NULL;
	run->info.path = run->src->path;
}

static enum playbook_status run_outcome(struct playbook_run *run, enum sandbox_status st)
{
	struct timespec t1;
	if (st == SANDBOX_SUSPENDED) {
		run->status = PLAYBOOK_SUSPENDED;
		return run->status;
	}
	if (run->status == PLAYBOOK_SUSPENDED)    /* from an earlier slice */
		run->status = PLAYBOOK_SUCCEEDED;
	if (st == SANDBOX_PARKED) {
		run->status = PLAYBOOK_PARKED;
	} else {
		/* Only a mistake in the file or the inputs is "invalid"; a limit broken
		 * while the file's top level ran is a failed run like any other. */
		if (st != SANDBOX_OK && run->status != PLAYBOOK_INVALID)
			run->status = st == SANDBOX_ERROR && run->outcome.phase == SANDBOX_PHASE_PREPARE
				      ? PLAYBOOK_INVALID : PLAYBOOK_FAILED;
		else if (st != SANDBOX_OK && st != SANDBOX_ERROR)
			run->status = PLAYBOOK_FAILED;
		if (st != SANDBOX_OK) {
			free(run->result_json);
			run->result_json = NULL;
		}
	}
	run_scrub_str(&run->info, &run->outcome.message);
	run_scrub_str(&run->info, &run->outcome.traceback);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	run->duration_ms = (double)(t1.tv_sec - run->started_.tv_sec) * 1e3 +
			   (double)(t1.tv_nsec - run->started_.tv_nsec) / 1e6;
	return run->status;
}

enum playbook_status playbook_run(struct sandbox *sb, struct playbook_run *run)
{
	run_setup(run);
	struct sandbox_job job = { prepare, finish, run };
	return run_outcome(run, sandbox_exec(sb, &job, &run->limits, &run->outcome));
}

enum playbook_status playbook_start(struct sandbox *sb, struct playbook_run *run,
				    struct sandbox_task **task)
{
	run_setup(run);
	struct sandbox_job job = { prepare, finish, run };
	return run_outcome(run, sandbox_start(sb, &job, &run->limits, &run->outcome, task));
}

enum playbook_status playbook_continue(struct sandbox *sb, struct playbook_run *run,
				       struct sandbox_task *task,
				       int (*push)(lua_State *co, void *arg), void *arg)
{
	return run_outcome(run, sandbox_continue(sb, task, push, arg, &run->outcome));
}
