/* cmd_repl.c - `soarctl repl`: interactive Lua in the sandbox, and the war room.
 *
 * Each input runs as its own sandboxed execution, under the run limits, in one
 * environment kept for the whole session (so globals and top-level locals stay
 * defined). `!integration.command arg=value` runs a command (warroom.h) and, with
 * a case attached, lands on its timeline with the user who ran it. Colon
 * commands (:help, :case, :note ...) are the session's own. Input comes from a
 * terminal (libedit: history, completion), a pipe or -e; --json prints one JSON
 * object per input. See docs/repl.md. */
#include "access.h"
#include "cli.h"
#include "case.h"
#include "datadir.h"
#include "integration.h"
#include "lineedit.h"
#include "rbac.h"
#include "redact.h"
#include "runopts.h"
#include "runout.h"
#include "runscrub.h"
#include "sandbox.h"
#include "sharedir.h"
#include "secret.h"
#include "store_buf.h"
#include "uuid.h"
#include "warroom.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <dirent.h>
#include <getopt.h>
#include <lauxlib.h>
#include <luajit.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"Usage: soarctl repl [--case REF] [--mock] [-e CHUNK]... [--json] [--data DIR]\n"
	"\n"
	"Interactive Lua with every primitive, in the sandbox, and the war room:\n"
	"\n"
	"  EXPRESSION or STATEMENTS   evaluated; results printed (tables aligned);\n"
	"                             globals and top-level locals persist; `_` is the\n"
	"                             last result; an incomplete chunk continues (>>)\n"
	"  =EXPR                      the value of EXPR\n"
	"  !INTEGRATION.COMMAND k=v   runs an integration command (values typed by its\n"
	"                             manifest; quote values with spaces); with a case\n"
	"                             attached, the command and its result go to the\n"
	"                             case timeline\n"
	"  # TEXT, :note TEXT         a note on the attached case's timeline\n"
	"  :help [NAME[.COMMAND]]     this help, or an integration's commands\n"
	"  :integrations              every integration command\n"
	"  :case  :open REF           show the attached case; attach another\n"
	"  :attach FILE               attach a local file to the case\n"
	"  :secrets                   secret names (never values)\n"
	"  :load FILE.lua             load a playbook; then :run NAME k=v ... runs it\n"
	"  :mock on|off  :json        integrations' mock data; raw JSON results\n"
	"  :history  :quit\n"
	"\n"
	"Options:\n"
	"  --case REF        attach a case (number or id)\n"
	"  --mock            every integration answers with its mock data\n"
	"  -e, --eval CHUNK  evaluate CHUNK (repeatable) instead of reading input\n"
	"  --json            one JSON object per input on stdout:\n"
	"                    {input, ok, result, text, error}\n"
	"  --data DIR        data directory (else $SOARCTL_DATA, else XDG)\n"
	RUNOPTS_USAGE
	"\n"
	"Each input has the run limits (a runaway loop is stopped; the session goes on).\n"
	"Secrets print as [secret:NAME].\n"
	"\n"
	"Exit status: 0 every input succeeded, 1 one failed, 2 bad arguments.\n";

#define CMD "repl"
#define PROMPT_MAX 64

struct repl {
	struct run_info info;          /* first: read by primitives */
	struct sandbox *sb;
	struct sandbox_limits lim;
	struct store *st;
	lua_State *chk;                /* syntax checks only: nothing runs in it */
	lua_State *L;                  /* the sandbox's state, valid while gen holds */
	unsigned gen;                  /* sandbox generation that env_ref belongs to */
	int env_ref, mod_ref;          /* session environment, the _repl module */
	int had_env;
	char *case_ref;                /* attached case, or NULL */
	int mock, json, raw_json, interactive;
	int failures;
	char user[128], actor[160];
	char **history;                /* this session's inputs */
	int nhistory;
	char **catalog;                /* "name.command arg arg ..." for completion */
	int ncatalog;
	int catalog_built;
	/* One evaluation: */
	const char *code;
	size_t len;
	const char *chunkname;
	const char *argv[4];
	int nargs;
	int as_text;                   /* a string result is printed as it is */
	int load_playbook;             /* the chunk returns a playbook: keep it */
	char *text, *result_json;
	int nres;
};

/* ---- session environment ---- */

static void set_ctx(struct repl *r, lua_State *L, int env)
{
	lua_pushliteral(L, "ctx");
	lua_rawget(L, env);                             /* stack: ctx */
	if (!lua_istable(L, -1)) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushliteral(L, "ctx");
		lua_pushvalue(L, -2);
		lua_rawset(L, env);
	}
	if (r->case_ref)
		lua_pushstring(L, r->case_ref);
	else
		lua_pushnil(L);
	lua_setfield(L, -2, "case");
	lua_pushstring(L, r->info.id);
	lua_setfield(L, -2, "run_id");
	lua_pop(L, 1);
}

/* Pushes the session's environment, made from this run's fresh one the first
 * time (and again when a hard stop rebuilt the state). */
static int push_env(struct repl *r, lua_State *L, int env)
{
	unsigned gen = sandbox_generation(r->sb);
	if (r->env_ref == LUA_NOREF || gen != r->gen || L != r->L) {
		if (r->had_env)
			fprintf(stderr, "(the interpreter was rebuilt after a hard stop: this "
				"session's globals are gone)\n");
		/* Without the JIT, the CPU limit stops a runaway loop at its next
		 * instruction (a soft stop) and the session's state survives; with it, a
		 * compiled loop needs the hard stop, which throws the state away.
		 * Speed does not matter here. */
		luaJIT_setmode(L, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_OFF);
		lua_pushvalue(L, env);
		r->env_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		if (luaL_loadstring(L, "local m = require('_repl') return m") != 0)
			lua_error(L);
		lua_pushvalue(L, env);
		lua_setfenv(L, -2);
		lua_call(L, 0, 1);
		r->mod_ref = luaL_ref(L, LUA_REGISTRYINDEX);
		r->gen = gen;
		r->L = L;
		r->had_env = 1;
	}
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->env_ref);
	set_ctx(r, L, lua_gettop(L));
	return lua_gettop(L);
}

static int prepare(lua_State *L, int env, void *ud)
{
	struct repl *r = ud;
	int senv = push_env(r, L, env);                 /* stack: senv */
	if (luaL_loadbuffer(L, r->code, r->len, r->chunkname) != 0)
		lua_error(L);
	lua_pushvalue(L, senv);
	lua_setfenv(L, -2);                             /* stack: senv, chunk */
	lua_remove(L, senv);
	for (int i = 0; i < r->nargs; i++)
		lua_pushstring(L, r->argv[i]);
	return r->nargs;
}

static char *scrubbed_copy(struct repl *r, const char *s, size_t len)
{
	return run_scrub_dup(&r->info, s, len);
}

/* Calls json.encode(v) for the value at idx; pushes the text or nil. */
static void push_json(lua_State *L, int env, int idx)
{
	lua_getfield(L, env, "json");
	lua_getfield(L, -1, "encode");
	lua_remove(L, -2);
	lua_pushvalue(L, idx);
	if (lua_pcall(L, 1, 1, 0) != 0 || !lua_isstring(L, -1)) {
		lua_pop(L, 1);
		lua_pushnil(L);
	}
}

static int finish(lua_State *L, int nres, void *ud)
{
	struct repl *r = ud;
	int first = lua_gettop(L) - nres + 1;
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->env_ref);
	int env = lua_gettop(L);                        /* stack: results..., env */
	r->nres = nres;
	if (r->load_playbook) {
		if (nres < 1 || !lua_istable(L, first))
			luaL_error(L, "%s: a playbook must return a table", r->chunkname + 1);
		lua_getfield(L, first, "name");
		if (!lua_isstring(L, -1))
			luaL_error(L, "%s: the playbook has no name", r->chunkname + 1);
		const char *name = lua_tostring(L, -1);
		lua_pushliteral(L, "_playbooks");
		lua_rawget(L, env);                     /* stack: ..., name, pbs */
		if (!lua_istable(L, -1)) {
			lua_pop(L, 1);
			lua_newtable(L);
			lua_pushliteral(L, "_playbooks");
			lua_pushvalue(L, -2);
			lua_rawset(L, env);
		}
		lua_pushvalue(L, first);
		lua_setfield(L, -2, name);
		lua_pop(L, 1);
		lua_pushfstring(L, "loaded playbook %s (:run %s k=v ...)", name, name);
		r->text = strdup(lua_tostring(L, -1));
		r->nres = 0;
		return 0;
	}
	if (nres == 0)
		return 0;
	lua_pushliteral(L, "_");
	lua_pushvalue(L, first);
	lua_rawset(L, env);
	struct store_buf text = { 0 };
	for (int i = 0; i < nres; i++) {
		if (i)
			store_buf_str(&text, "\n");
		if (r->as_text && lua_type(L, first + i) == LUA_TSTRING) {
			size_t n;
			const char *s = lua_tolstring(L, first + i, &n);
			store_buf_add(&text, s, n);
			continue;
		}
		if (r->raw_json) {
			push_json(L, env, first + i);
			if (lua_isstring(L, -1)) {
				store_buf_str(&text, lua_tostring(L, -1));
				lua_pop(L, 1);
				continue;
			}
			lua_pop(L, 1);
		}
		lua_rawgeti(L, LUA_REGISTRYINDEX, r->mod_ref);
		lua_getfield(L, -1, "show");
		lua_remove(L, -2);
		lua_pushvalue(L, first + i);
		lua_call(L, 1, 1);
		size_t n;
		const char *s = lua_tolstring(L, -1, &n);
		if (s)
			store_buf_add(&text, s, n);
		lua_pop(L, 1);
	}
	char *t = store_buf_cstr(&text);
	r->text = t ? scrubbed_copy(r, t, text.len) : NULL;
	store_buf_free(&text);
	if (r->json) {
		if (nres == 1) {
			push_json(L, env, first);
		} else {
			lua_createtable(L, nres, 0);
			for (int i = 0; i < nres; i++) {
				lua_pushvalue(L, first + i);
				lua_rawseti(L, -2, i + 1);
			}
			int arr = lua_gettop(L);
			push_json(L, env, arr);
			lua_remove(L, arr);
		}
		if (lua_isstring(L, -1)) {
			size_t n;
			const char *s = lua_tolstring(L, -1, &n);
			r->result_json = scrubbed_copy(r, s, n);
		}
		lua_pop(L, 1);
	}
	return 0;
}

/* ---- output ---- */

static void print_json_result(struct repl *r, const char *input, int ok, const char *result,
			      const char *text, const char *error, const struct warroom_cmd *w,
			      int recorded)
{
	FILE *o = stdout;
	fputs("{\"input\":", o);
	cli_json_string(o, input, strlen(input));
	fprintf(o, ",\"ok\":%s,\"result\":%s,\"text\":", ok ? "true" : "false", result ? result : "null");
	if (text)
		cli_json_string(o, text, strlen(text));
	else
		fputs("null", o);
	fputs(",\"error\":", o);
	if (error)
		cli_json_string(o, error, strlen(error));
	else
		fputs("null", o);
	if (w) {
		fputs(",\"command\":", o);
		if (w->qname)
			cli_json_string(o, w->qname, strlen(w->qname));
		else
			fputs("null", o);
		fprintf(o, ",\"args\":%s,\"recorded\":%s,\"duration_ms\":%.3f",
			w->args_json ? w->args_json : "null", recorded ? "true" : "false", w->duration_ms);
	}
	if (r->case_ref) {
		fputs(",\"case\":", o);
		cli_json_string(o, r->case_ref, strlen(r->case_ref));
	}
	fputs("}\n", o);
	fflush(o);
}

/* Prints an answer the way this session prints: JSON object or text. */
static void answer(struct repl *r, const char *input, int ok, const char *text, const char *error)
{
	if (!ok)
		r->failures++;
	if (r->json) {
		print_json_result(r, input, ok, NULL, text, error, NULL, 0);
		return;
	}
	if (ok && text && *text)
		printf("%s\n", text);
	if (!ok)
		fprintf(stderr, "error: %s\n", error ? error : "failed");
	fflush(stdout);
}

/* ---- evaluation ---- */

static int eval(struct repl *r, const char *input, const char *code, size_t len, const char *chunkname)
{
	r->code = code;
	r->len = len;
	r->chunkname = chunkname;
	r->text = r->result_json = NULL;
	r->nres = 0;
	struct sandbox_job job = { prepare, finish, r };
	struct sandbox_outcome out;
	enum sandbox_status st = sandbox_exec(r->sb, &job, &r->lim, &out);
	int ok = st == SANDBOX_OK;
	char *error = NULL;
	if (!ok) {
		const char *m = out.message ? out.message : "failed";
		error = scrubbed_copy(r, m, strlen(m));
		if (out.state_discarded)
			r->env_ref = LUA_NOREF;
	}
	if (r->json && input)
		print_json_result(r, input, ok, r->result_json, r->text, error, NULL, 0);
	else if (input)
		answer(r, input, ok, r->text, error);
	else if (!ok)
		r->failures++;
	if (r->json && input && !ok)
		r->failures++;
	free(error);
	free(r->text);
	free(r->result_json);
	r->text = r->result_json = NULL;
	r->nargs = 0;
	r->as_text = r->load_playbook = 0;
	sandbox_outcome_clear(&out);
	return ok ? 0 : -1;
}

/* Runs code whose string result is printed as it is (help texts). */
static int eval_text(struct repl *r, const char *input, const char *code, int nargs, ...)
{
	va_list ap;
	va_start(ap, nargs);
	for (int i = 0; i < nargs && i < 4; i++)
		r->argv[i] = va_arg(ap, const char *);
	va_end(ap);
	r->nargs = nargs;
	r->as_text = 1;
	return eval(r, input, code, strlen(code), "=repl");
}

/* Top-level `local x = ...` and `local function f` define session globals, so
 * that a value defined on one line is there on the next. */
static char *globalise_locals(const char *code, size_t len, size_t *outlen)
{
	struct store_buf b = { 0 };
	const char *p = code, *end = code + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *line_end = eol ? eol + 1 : end;
		int drop = 0;
		if (line_end - p > 6 && strncmp(p, "local", 5) == 0 && (p[5] == ' ' || p[5] == '\t')) {
			const char *q = p + 6;
			while (q < line_end && (*q == ' ' || *q == '\t'))
				q++;
			if ((size_t)(line_end - q) > 9 && strncmp(q, "function", 8) == 0 &&
			    (q[8] == ' ' || q[8] == '\t')) {
				drop = 1;
			} else {
				while (q < line_end && (isalnum((unsigned char)*q) || *q == '_' || *q == ',' ||
							*q == ' ' || *q == '\t'))
					q++;
				if (q < line_end && *q == '=' && (q + 1 >= line_end || q[1] != '='))
					drop = 1;
			}
		}
		if (drop)
			p += 6;
		store_buf_add(&b, p, (size_t)(line_end - p));
		p = line_end;
	}
	*outlen = b.len;
	char *s = store_buf_cstr(&b);
	if (!s) {
		store_buf_free(&b);
		return NULL;
	}
	char *copy = strdup(s);
	store_buf_free(&b);
	return copy;
}

/* 1 complete, 0 incomplete (more lines may finish it), -1 a syntax error. */
static int chunk_state(struct repl *r, const char *code, size_t len)
{
	if (luaL_loadbuffer(r->chk, code, len, "=stdin") == 0) {
		lua_pop(r->chk, 1);
		return 1;
	}
	const char *msg = lua_tostring(r->chk, -1);
	int incomplete = msg && strstr(msg, "<eof>") != NULL;
	lua_pop(r->chk, 1);
	return incomplete ? 0 : -1;
}

static int eval_lua(struct repl *r, const char *input)
{
	size_t len = strlen(input);
	const char *src = input;
	if (*src == '=') {
		src++;
		len--;
	}
	/* An expression first (its value is shown), then statements. */
	struct store_buf b = { 0 };
	store_buf_str(&b, "return ");
	store_buf_add(&b, src, len);
	char *as_expr = store_buf_cstr(&b);
	int rc;
	if (as_expr && chunk_state(r, as_expr, b.len) == 1) {
		rc = eval(r, input, as_expr, b.len, "=stdin");
	} else {
		size_t n;
		char *stmts = globalise_locals(src, len, &n);
		rc = eval(r, input, stmts ? stmts : src, stmts ? n : len, "=stdin");
		free(stmts);
	}
	store_buf_free(&b);
	return rc;
}

static int need_case(struct repl *r, const char *input, const char *what)
{
	if (r->case_ref && r->st)
		return 1;
	char msg[256];
	snprintf(msg, sizeof msg, "%s needs a case: start with --case REF or use :open REF", what);
	answer(r, input, 0, NULL, msg);
	return 0;
}

static int run_warroom(struct repl *r, const char *input)
{
	struct warroom_cmd w;
	memset(&w, 0, sizeof w);
	snprintf(w.info.playbook, sizeof w.info.playbook, "repl");
	w.line = input;
	w.mock = r->mock;
	w.info.actor = r->actor;
	int rc = warroom_run(r->sb, &r->lim, &w);
	int recorded = 0;
	char err[512] = "";
	if (rc == 0 && r->case_ref && r->st) {
		if (warroom_record(r->st, r->case_ref, r->actor, &w, err, sizeof err) == 0)
			recorded = 1;
	}
	if (r->json) {
		print_json_result(r, input, rc == 0 && w.ok, w.result_json, w.text, w.error, &w, recorded);
		if (!(rc == 0 && w.ok))
			r->failures++;
	} else {
		answer(r, input, rc == 0 && w.ok, w.text, w.error);
		if (rc == 0 && r->case_ref && !recorded)
			fprintf(stderr, "warning: not recorded on case %s: %s\n", r->case_ref, err);
	}
	if (rc == 0 && w.ok && w.result_json) {
		/* `_` is the command's result, as for expressions */
		static const char set_last[] = "_ = json.decode((...))";
		r->argv[0] = w.result_json;
		r->nargs = 1;
		eval(r, NULL, set_last, sizeof set_last - 1, "=repl");
	}
	warroom_cmd_clear(&w);
	return rc == 0 && w.ok ? 0 : -1;
}

static char *read_file(const char *path, size_t limit, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	struct store_buf b = { 0 };
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0) {
		store_buf_add(&b, tmp, n);
		if (b.len > limit)
			break;
	}
	fclose(f);
	if (b.len > limit) {
		store_buf_free(&b);
		snprintf(err, errlen, "%s is larger than %zu bytes", path, limit);
		return NULL;
	}
	char *s = store_buf_cstr(&b);
	char *copy = s ? malloc(b.len + 1) : NULL;
	if (copy) {
		memcpy(copy, s, b.len + 1);
		*len = b.len;
	} else {
		snprintf(err, errlen, "out of memory");
	}
	store_buf_free(&b);
	return copy;
}

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Names of the integrations this session can reach (bundled and the
 * deployment's own), NULL-terminated, malloc'd. */
static char **integration_names(int *n)
{
	char dirs[2][4096];
	int ndirs = 0;
	const char *own = getenv("SOARCTL_INTEGRATIONS_DIR");
	if (own && *own)
		snprintf(dirs[ndirs++], sizeof dirs[0], "%s", own);
	const char *lua_dir = getenv("SOARCTL_LUA_DIR");
	integration_bundled_dir(lua_dir && *lua_dir ? lua_dir : sharedir_lua(), dirs[ndirs++],
				sizeof dirs[0]);
	char **names = NULL;
	*n = 0;
	for (int d = 0; d < ndirs; d++) {
		DIR *dir = opendir(dirs[d]);
		if (!dir)
			continue;
		struct dirent *de;
		while ((de = readdir(dir))) {
			size_t l = strlen(de->d_name);
			if (l < 5 || strcmp(de->d_name + l - 4, ".lua") != 0 || de->d_name[0] == '_' ||
			    (l > 9 && strcmp(de->d_name + l - 9, "_test.lua") == 0))
				continue;
			char name[256];
			snprintf(name, sizeof name, "%.*s", (int)(l - 4), de->d_name);
			if (!integration_name_ok(name))
				continue;
			int dup = 0;
			for (int i = 0; i < *n && !dup; i++)
				dup = strcmp(names[i], name) == 0;
			if (dup)
				continue;
			char **grown = realloc(names, (size_t)(*n + 2) * sizeof *names);
			if (!grown)
				break;
			names = grown;
			names[(*n)++] = strdup(name);
			names[*n] = NULL;
		}
		closedir(dir);
	}
	return names;
}

static void free_names(char **names, int n)
{
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static const char catalog_code[] =
	"return require('_repl').catalog((...))";

/* Builds the completion catalog once: "name.command arg arg ...". */
static void build_catalog(struct repl *r)
{
	if (r->catalog_built)
		return;
	r->catalog_built = 1;
	int n;
	char **names = integration_names(&n);
	struct store_buf b = { 0 };
	for (int i = 0; i < n; i++) {
		if (i)
			store_buf_str(&b, ",");
		store_buf_str(&b, names[i]);
	}
	char *csv = store_buf_cstr(&b);
	/* catalog() returns the lines as one string; captured, not printed */
	r->argv[0] = csv ? csv : "";
	r->nargs = 1;
	r->as_text = 1;
	r->code = catalog_code;
	r->len = sizeof catalog_code - 1;
	r->chunkname = "=repl";
	r->text = r->result_json = NULL;
	struct sandbox_job job = { prepare, finish, r };
	struct sandbox_outcome out;
	if (sandbox_exec(r->sb, &job, &r->lim, &out) == SANDBOX_OK && r->text) {
		char *save, *line;
		for (line = strtok_r(r->text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char **grown = realloc(r->catalog, (size_t)(r->ncatalog + 1) * sizeof *r->catalog);
			if (!grown)
				break;
			r->catalog = grown;
			r->catalog[r->ncatalog++] = strdup(line);
		}
	}
	sandbox_outcome_clear(&out);
	free(r->text);
	free(r->result_json);
	r->text = r->result_json = NULL;
	r->nargs = 0;
	r->as_text = 0;
	store_buf_free(&b);
	free_names(names, n);
}

static int list_secret(const struct secret_info *i, void *ud)
{
	struct store_buf *b = ud;
	if (b->len)
		store_buf_str(b, "\n");
	store_buf_str(b, i->name);
	return 0;
}

/* :open REF, and --case at the start (quiet: only a refusal is printed, so
 * that --json prints one object per input and a pipe gets only answers). */
static void cmd_open(struct repl *r, const char *input, const char *ref, int quiet)
{
	if (!r->st) {
		answer(r, input, 0, NULL, "no data directory: give --data DIR or set SOARCTL_DATA");
		return;
	}
	struct case_rec c;
	char err[512];
	if (case_get(r->st, ref, &c, err, sizeof err) != 0) {
		answer(r, input, 0, NULL, err);
		return;
	}
	char num[32];
	snprintf(num, sizeof num, "%llu", (unsigned long long)c.seq);
	char msg[600];
	snprintf(msg, sizeof msg, "case #%s: %s [%s, %s]", num, c.title ? c.title : "",
		 case_severity_name(c.severity), case_status_name(c.status));
	case_rec_free(&c);
	if (rbac_require(r->st, r->user, r->actor, RBAC_CASE_WRITE, num, err, sizeof err) != 0) {
		answer(r, input, 0, NULL, err);
		return;
	}
	free(r->case_ref);
	r->case_ref = strdup(num);
	if (!quiet)
		answer(r, input, 1, msg, NULL);
	else if (r->interactive)
		printf("%s\n", msg);
}

static void cmd_note(struct repl *r, const char *input, const char *text)
{
	if (!need_case(r, input, "a note"))
		return;
	if (!*text) {
		answer(r, input, 0, NULL, "a note needs text: # TEXT or :note TEXT");
		return;
	}
	char err[512];
	uint32_t no;
	if (case_note(r->st, r->case_ref, CASE_ENTRY_NOTE, r->actor, text, "{\"warroom\":true}", &no,
		      err, sizeof err) != 0) {
		answer(r, input, 0, NULL, err);
		return;
	}
	char msg[128];
	snprintf(msg, sizeof msg, "noted on case #%s (entry %u)", r->case_ref, no);
	answer(r, input, 1, msg, NULL);
}

static void cmd_attach(struct repl *r, const char *input, const char *path)
{
	if (!need_case(r, input, ":attach"))
		return;
	char err[512];
	size_t len;
	char *data = read_file(path, (size_t)32 << 20, &len, err, sizeof err);
	if (!data) {
		answer(r, input, 0, NULL, err);
		return;
	}
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	char sha[65];
	if (case_attach(r->st, r->case_ref, base, data, len, r->actor, sha, err, sizeof err) != 0) {
		free(data);
		answer(r, input, 0, NULL, err);
		return;
	}
	free(data);
	char msg[512];
	snprintf(msg, sizeof msg, "attached %s (%zu bytes, sha256 %.12s...) to case #%s", base, len, sha,
		 r->case_ref);
	answer(r, input, 1, msg, NULL);
}

static void cmd_load(struct repl *r, const char *input, const char *path)
{
	char err[512];
	size_t len;
	char *code = read_file(path, (size_t)1 << 20, &len, err, sizeof err);
	if (!code) {
		answer(r, input, 0, NULL, err);
		return;
	}
	if (len > 0 && code[0] == LUA_SIGNATURE[0]) {
		free(code);
		answer(r, input, 0, NULL, "bytecode files are not allowed in the sandbox");
		return;
	}
	char name[4200];
	snprintf(name, sizeof name, "@%s", path);
	r->load_playbook = 1;
	eval(r, input, code, len, name);
	free(code);
}

static const char help_text[] =
	"  EXPR, STATEMENTS      Lua; =EXPR shows a value; `_` is the last result\n"
	"  !name.command k=v     an integration command (:integrations lists them)\n"
	"  # TEXT | :note TEXT   a note on the case\n"
	"  :case | :open REF     the attached case | attach another\n"
	"  :attach FILE          attach a local file to the case\n"
	"  :help NAME[.COMMAND]  an integration's commands and arguments\n"
	"  :integrations         every integration command\n"
	"  :secrets              secret names (never values)\n"
	"  :load FILE.lua        load a playbook; :run NAME k=v ... runs it on the case\n"
	"  :mock on|off          integrations answer with mock data\n"
	"  :json                 results as raw JSON (again: as tables)\n"
	"  :history              this session's inputs\n"
	"  :quit                 leave (also Ctrl-D)";

/* 1 to go on, 0 to leave. */
static int colon_command(struct repl *r, const char *input)
{
	const char *p = input + 1;
	char word[32];
	int n = 0;
	while (*p && *p != ' ' && *p != '\t' && n < (int)sizeof word - 1)
		word[n++] = *p++;
	word[n] = 0;
	const char *arg = skip_space(p);
	if (!strcmp(word, "quit") || !strcmp(word, "q") || !strcmp(word, "exit"))
		return 0;
	if (!strcmp(word, "help") || !strcmp(word, "h")) {
		if (!*arg)
			answer(r, input, 1, help_text, NULL);
		else
			eval_text(r, input, "return require('_repl').help((...), (select(2, ...)) == 'on')", 2,
				  arg, r->mock ? "on" : "off");
	} else if (!strcmp(word, "integrations")) {
		build_catalog(r);
		struct store_buf b = { 0 };
		for (int i = 0; i < r->ncatalog; i++) {
			store_buf_str(&b, i ? "\n" : "");
			store_buf_str(&b, r->catalog[i]);
		}
		char *cat = store_buf_cstr(&b);
		eval_text(r, input, "return require('_repl').describe((...), (select(2, ...)) == 'on')", 2,
			  cat ? cat : "", r->mock ? "on" : "off");
		store_buf_free(&b);
	} else if (!strcmp(word, "json")) {
		r->raw_json = !r->raw_json;
		answer(r, input, 1, r->raw_json ? "results as JSON" : "results as tables", NULL);
	} else if (!strcmp(word, "mock")) {
		if (!strcmp(arg, "on") || !strcmp(arg, "off")) {
			r->mock = !strcmp(arg, "on");
			answer(r, input, 1, r->mock ? "mock on: integrations answer with mock data"
						    : "mock off: integrations reach their APIs", NULL);
		} else {
			answer(r, input, 0, NULL, ":mock takes on or off");
		}
	} else if (!strcmp(word, "note")) {
		cmd_note(r, input, arg);
	} else if (!strcmp(word, "case")) {
		if (need_case(r, input, ":case"))
			eval(r, input, "return assert(case.get(ctx.case))", 33, "=repl");
	} else if (!strcmp(word, "open")) {
		if (!*arg)
			answer(r, input, 0, NULL, ":open takes a case number or id");
		else
			cmd_open(r, input, arg, 0);
	} else if (!strcmp(word, "attach")) {
		if (!*arg)
			answer(r, input, 0, NULL, ":attach takes a file name");
		else
			cmd_attach(r, input, arg);
	} else if (!strcmp(word, "secrets")) {
		if (!r->st) {
			answer(r, input, 0, NULL, "no data directory");
		} else {
			struct store_buf b = { 0 };
			char err[512];
			if (secret_list(r->st, list_secret, &b, err, sizeof err) != 0) {
				answer(r, input, 0, NULL, err);
			} else {
				char *s = store_buf_cstr(&b);
				answer(r, input, 1, s && *s ? s : "(no secrets)", NULL);
			}
			store_buf_free(&b);
		}
	} else if (!strcmp(word, "history")) {
		struct store_buf b = { 0 };
		int from = r->nhistory > 50 ? r->nhistory - 50 : 0;
		for (int i = from; i < r->nhistory; i++)
			store_buf_printf(&b, "%s%5d  %s", i > from ? "\n" : "", i + 1, r->history[i]);
		char *s = store_buf_cstr(&b);
		answer(r, input, 1, s ? s : "", NULL);
		store_buf_free(&b);
	} else if (!strcmp(word, "load")) {
		if (!*arg)
			answer(r, input, 0, NULL, ":load takes a playbook file");
		else
			cmd_load(r, input, arg);
	} else if (!strcmp(word, "run")) {
		if (!*arg)
			answer(r, input, 0, NULL, ":run takes a loaded playbook's name and k=v inputs");
		else
			eval_text(r, input, "return require('_repl').run_playbook(_playbooks, ctx, ...)", 1, arg);
	} else {
		char msg[128];
		snprintf(msg, sizeof msg, "unknown command :%s (:help lists them)", word);
		answer(r, input, 0, NULL, msg);
	}
	return 1;
}

static void remember(struct repl *r, const char *input)
{
	char **grown = realloc(r->history, (size_t)(r->nhistory + 1) * sizeof *r->history);
	if (!grown)
		return;
	r->history = grown;
	r->history[r->nhistory] = strdup(input);
	if (r->history[r->nhistory])
		r->nhistory++;
}

/* One complete input. 1 to go on, 0 to leave. */
static int handle(struct repl *r, const char *input)
{
	const char *s = skip_space(input);
	if (!*s)
		return 1;
	remember(r, s);
	if (*s == '!') {
		run_warroom(r, s);
	} else if (*s == '#') {
		cmd_note(r, s, skip_space(s + 1));
	} else if (*s == ':') {
		return colon_command(r, s);
	} else {
		eval_lua(r, input);
	}
	return 1;
}

/* ---- line editing ---- */

/* Candidates go to the shared line editor (lineedit.h). */
#define add_completion lineedit_add

/* Keys of the table at idx (and of the tables its __index chain reaches, read
 * raw: no Lua runs while completing) that start with `prefix`. */
static void add_table_keys(lua_State *L, int idx, const char *before, const char *prefix)
{
	lua_pushvalue(L, idx);
	idx = lua_gettop(L);
	for (int depth = 0; depth < 4 && lua_istable(L, idx); depth++) {
		lua_pushnil(L);
		while (lua_next(L, idx)) {
			lua_pop(L, 1);
			if (lua_type(L, -1) == LUA_TSTRING) {
				const char *k = lua_tostring(L, -1);
				if (!strncmp(k, prefix, strlen(prefix)) && k[0] != '_') {
					char buf[512];
					snprintf(buf, sizeof buf, "%s%s", before, k);
					add_completion(buf);
				}
			}
		}
		if (!lua_getmetatable(L, idx))
			break;
		lua_getfield(L, -1, "__index");
		lua_remove(L, -2);
		if (!lua_istable(L, -1)) {
			lua_pop(L, 1);
			break;
		}
		lua_replace(L, idx);
	}
	lua_settop(L, idx - 1);
}

/* Resolves "a.b" from the session environment (raw reads and __index tables
 * only: completing must not run Lua code). Pushes the table or nothing. */
static int push_path(struct repl *r, const char *path, size_t len)
{
	lua_State *L = r->L;
	if (!L || r->env_ref == LUA_NOREF || r->gen != sandbox_generation(r->sb))
		return 0;
	lua_rawgeti(L, LUA_REGISTRYINDEX, r->env_ref);
	const char *p = path, *end = path + len;
	while (p < end) {
		const char *dot = p;
		while (dot < end && *dot != '.' && *dot != ':')
			dot++;
		lua_pushlstring(L, p, (size_t)(dot - p));
		/* raw lookup along the __index chain */
		int found = 0;
		lua_pushvalue(L, -2);                   /* stack: t, key, cur */
		for (int depth = 0; depth < 4 && lua_istable(L, -1); depth++) {
			lua_pushvalue(L, -2);
			lua_rawget(L, -2);              /* stack: t, key, cur, v */
			if (!lua_isnil(L, -1)) {
				found = 1;
				break;
			}
			lua_pop(L, 1);
			if (!lua_getmetatable(L, -1))
				break;
			lua_getfield(L, -1, "__index");
			lua_remove(L, -2);
			lua_remove(L, -2);              /* stack: t, key, next */
		}
		if (!found || !lua_istable(L, -1)) {
			lua_settop(L, lua_gettop(L) - (found ? 4 : 3));
			return 0;
		}
		lua_replace(L, -4);                     /* stack: v, key, cur */
		lua_pop(L, 2);
		p = dot < end ? dot + 1 : end;
	}
	return 1;
}

static const char *const colon_words[] = {
	":help", ":integrations", ":case", ":open", ":attach", ":note", ":secrets", ":load", ":run",
	":mock", ":json", ":history", ":quit", NULL,
};

static void complete_line(struct repl *r, const char *line, int start, const char *word)
{
	const char *l = skip_space(line);
	if (*l == '!') {
		build_catalog(r);
		const char *sp = strpbrk(l, " \t");
		if (!sp || line + start <= sp) {       /* the command itself */
			for (int i = 0; i < r->ncatalog; i++) {
				char name[256];
				snprintf(name, sizeof name, "!%.*s", (int)strcspn(r->catalog[i], " "),
					 r->catalog[i]);
				const char *w = *word == '!' ? word : NULL;
				if (w && !strncmp(name, w, strlen(w)))
					add_completion(name);
				else if (!w && !strncmp(name + 1, word, strlen(word)))
					add_completion(name + 1);
			}
			return;
		}
		size_t qlen = (size_t)(sp - l - 1);     /* an argument of that command */
		for (int i = 0; i < r->ncatalog; i++) {
			if (strncmp(r->catalog[i], l + 1, qlen) || r->catalog[i][qlen] != ' ')
				continue;
			char *args = strdup(r->catalog[i] + qlen + 1), *save;
			for (char *a = args ? strtok_r(args, " ", &save) : NULL; a; a = strtok_r(NULL, " ", &save)) {
				char buf[256];
				snprintf(buf, sizeof buf, "%s=", a);
				if (!strncmp(buf, word, strlen(word)))
					add_completion(buf);
			}
			free(args);
		}
		return;
	}
	if (*l == ':' && line + start <= l + 1) {
		for (int i = 0; colon_words[i]; i++)
			if (!strncmp(colon_words[i], word, strlen(word)))
				add_completion(colon_words[i]);
		return;
	}
	/* Lua: globals, or fields of a table path */
	const char *sep = NULL;
	for (const char *q = word; *q; q++)
		if (*q == '.' || *q == ':')
			sep = q;
	lua_State *L = r->L;
	if (!L)
		return;
	int top = lua_gettop(L);
	if (!sep) {
		if (push_path(r, "", 0))
			add_table_keys(L, -1, "", word);
	} else {
		char before[512];
		snprintf(before, sizeof before, "%.*s", (int)(sep - word + 1), word);
		if (push_path(r, word, (size_t)(sep - word)))
			add_table_keys(L, -1, before, sep + 1);
	}
	lua_settop(L, top);
}

static void complete_cb(void *ud, const char *line, int start, const char *word)
{
	complete_line(ud, line, start, word);
}

/* ---- input ---- */

static char *read_input(struct repl *r, const char *prompt)
{
	if (r->interactive)
		return lineedit_read(prompt);
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = 0;
	return line;
}

/* Reads lines until an input is complete (a Lua chunk may need several). */
static int session(struct repl *r)
{
	if (r->interactive) {
		lineedit_open("repl_history", " \t\n\"'=(,{[+-*/<>~", complete_cb, r);
		printf("soarctl repl: Lua in the sandbox; !integration.command runs a command%s. "
		       ":help, :quit\n", r->case_ref ? ", recorded on the case" : "");
	}
	struct store_buf pending = { 0 };
	int go = 1;
	while (go) {
		char prompt[PROMPT_MAX];
		if (pending.len)
			snprintf(prompt, sizeof prompt, ">> ");
		else if (r->case_ref)
			snprintf(prompt, sizeof prompt, "soar #%s> ", r->case_ref);
		else
			snprintf(prompt, sizeof prompt, "soar> ");
		char *line = read_input(r, prompt);
		if (!line) {
			if (pending.len) {              /* what is left is a syntax error */
				char *code = store_buf_cstr(&pending);
				if (code)
					eval_lua(r, code);
			}
			if (r->interactive)
				putchar('\n');
			break;
		}
		if (pending.len)
			store_buf_str(&pending, "\n");
		store_buf_str(&pending, line);
		free(line);
		char *input = store_buf_cstr(&pending);
		if (!input)
			break;
		const char *s = skip_space(input);
		if (*s && *s != '!' && *s != ':' && *s != '#') {
			const char *src = *s == '=' ? s + 1 : s;
			struct store_buf e = { 0 };
			store_buf_str(&e, "return ");
			store_buf_str(&e, src);
			char *as_expr = store_buf_cstr(&e);
			int expr_ok = as_expr && chunk_state(r, as_expr, e.len) == 1;
			store_buf_free(&e);
			if (!expr_ok && chunk_state(r, src, strlen(src)) == 0)
				continue;               /* incomplete: read on */
		}
		if (r->interactive && *s)
			lineedit_remember(input);
		go = handle(r, input);
		store_buf_free(&pending);
		memset(&pending, 0, sizeof pending);
	}
	store_buf_free(&pending);
	if (r->interactive)
		lineedit_close();
	return 0;
}

static int repl_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "mock", no_argument, NULL, 'm' },
		{ "eval", required_argument, NULL, 'e' },
		{ "json", no_argument, NULL, 'J' },
		{ "data", required_argument, NULL, 'd' },
		RUNOPTS_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct repl r;
	memset(&r, 0, sizeof r);
	r.env_ref = r.mod_ref = LUA_NOREF;
	runopts_init(&r.lim);
	const char *data = NULL, *case_ref = NULL;
	const char **chunks = calloc((size_t)argc + 1, sizeof *chunks);
	int nchunks = 0, opt;
	if (!chunks)
		return cli_fail(CMD, EXIT_FAIL, "out of memory");
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "e:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': case_ref = optarg; break;
		case 'm': r.mock = 1; break;
		case 'e': chunks[nchunks++] = optarg; break;
		case 'J': r.json = 1; break;
		case 'd': data = optarg; break;
		case '?':
			free(chunks);
			return cli_usage(CMD, "unknown option or missing value: %s", argv[optind - 1]);
		default:
			if (runopts_parse(CMD, opt, optarg, &r.lim) < 0) {
				free(chunks);
				return EXIT_USAGE;
			}
		}
	}
	if (optind != argc) {
		free(chunks);
		return cli_usage(CMD, "unexpected argument '%s'", argv[optind]);
	}
	if (r.mock)
		integration_set_mock_all(1);
	r.st = access_open(CMD, NULL, data, 1, NULL);    /* playbook.run; opens the vault */
	if (!r.st) {
		free(chunks);
		return EXIT_FAIL;
	}
	rbac_os_user(r.user, sizeof r.user);
	snprintf(r.actor, sizeof r.actor, "cli:%s", r.user);
	r.info.actor = r.actor;
	char err[512];
	uuid_v7(r.info.id);
	snprintf(r.info.playbook, sizeof r.info.playbook, "repl");
	r.sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err);
	r.chk = luaL_newstate();
	if (!r.sb || !r.chk) {
		free(chunks);
		if (r.sb)
			sandbox_free(r.sb);
		return cli_fail(CMD, EXIT_FAIL, "%s", r.sb ? "out of memory" : err);
	}
	r.interactive = nchunks == 0 && isatty(STDIN_FILENO) && !r.json;
	int rc = EXIT_OK;
	if (case_ref) {
		int before = r.failures;
		cmd_open(&r, "--case", case_ref, 1);
		if (r.failures > before || !r.case_ref) {
			rc = EXIT_FAIL;
			goto out;
		}
		r.failures = 0;
	}
	if (nchunks) {
		for (int i = 0; i < nchunks; i++)
			handle(&r, chunks[i]);
	} else {
		session(&r);
	}
	/* At a terminal an error is an answer, not the session's failure. */
	rc = r.failures && !r.interactive ? EXIT_FAIL : EXIT_OK;
out:
	redact_free(r.info.redact);
	sandbox_free(r.sb);
	lua_close(r.chk);
	free(r.case_ref);
	free_names(r.history, r.nhistory);
	free_names(r.catalog, r.ncatalog);
	free(chunks);
	return rc;
}

const struct cli_command cmd_repl = {
	"repl", "interactive Lua and the war room (integration commands on a case)", usage, repl_main,
};
