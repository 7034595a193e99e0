/* cmd_lint.c - `soarctl lint [FILES]`: luacheck (when installed) and the
 * checks only soarctl can make (lua/_lint.lua): integration manifests and
 * their typed outputs, unknown primitives, unknown integration commands and
 * misspelled arguments, hosts a playbook reaches without declaring them, and
 * (with --data) secrets a playbook reads that are not granted to it.
 *
 * Each file is compiled and evaluated in a sandbox, as `soarctl test` does;
 * the checks then run there, so they see the same primitives a run sees. */
#define _XOPEN_SOURCE 700
#include "sharedir.h"
#include "access.h"
#include "cli.h"
#include "datadir.h"
#include "integration.h"
#include "playbook.h"
#include "redact.h"
#include "runinfo.h"
#include "sandbox.h"
#include "secret.h"
#include "uuid.h"

#include <lauxlib.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMD "lint"

static const char usage[] =
	"Usage: soarctl lint [--data DIR] [--no-luacheck] FILE...\n"
	"\n"
	"Checks playbooks, integrations and Lua tests without running them:\n"
	"  - luacheck with the project's .luacheckrc, when luacheck is installed\n"
	"  - an integration's manifest loads, every command has typed outputs and\n"
	"    its mock (written or generated) fits them\n"
	"  - unknown primitives (case.frobnicate), unknown integration commands and\n"
	"    misspelled arguments (abuseipdb.check{ipp = ...})\n"
	"  - hosts a playbook's http calls reach that its `hosts` do not declare\n"
	"  - with --data DIR: secrets the playbook reads (secret.get) that are not\n"
	"    granted to it in that store\n"
	"Prints FILE:LINE: problem (LINE 0: the whole file).\n"
	"\n"
	"  --data DIR      the store whose secret grants are checked\n"
	"  --no-luacheck   skip luacheck\n"
	"\n"
	"Exit status: 0 no problem, 1 problems found, 2 bad usage or an unreadable file.\n";

struct grant_set {
	char **names;
	int n;
	const char *playbook;
};

struct lint_job {
	struct run_info info;          /* first: read by primitives */
	const struct playbook_src *src;
	struct grant_set *grants;      /* NULL: not checked */
	char **problems;
	int nproblems;
};

static int noop(lua_State *L)
{
	(void)L;
	return 0;
}

static const char runner[] = "return require('_lint').run(__soarctl_lint)";

static int prepare(lua_State *L, int env, void *ud)
{
	struct lint_job *j = ud;
	lua_newtable(L);                                /* stack: opts */
	int opts = lua_gettop(L);
	lua_pushstring(L, j->src->path);
	lua_setfield(L, opts, "path");
	lua_pushlstring(L, j->src->code, j->src->len);
	lua_setfield(L, opts, "source");
	char chunkname[4200];
	snprintf(chunkname, sizeof chunkname, "@%s", j->src->path);
	if (luaL_loadbuffer(L, j->src->code, j->src->len, chunkname) != 0 ||
	    (lua_pushvalue(L, env), lua_setfenv(L, -2), lua_pcall(L, 0, 1, 0) != 0)) {
		lua_setfield(L, opts, "load_error");    /* the message */
	} else {
		lua_setfield(L, opts, "value");
	}
	if (j->grants) {
		lua_newtable(L);
		for (int i = 0; i < j->grants->n; i++) {
			lua_pushboolean(L, 1);
			lua_setfield(L, -2, j->grants->names[i]);
		}
		lua_setfield(L, opts, "grants");
	}
	lua_setfield(L, env, "__soarctl_lint");
	if (luaL_loadbuffer(L, runner, sizeof runner - 1, "=soarctl lint") != 0) {
		lua_pushcfunction(L, noop);
		return 0;
	}
	lua_pushvalue(L, env);
	lua_setfenv(L, -2);
	return 0;
}

static int finish(lua_State *L, int nres, void *ud)
{
	struct lint_job *j = ud;
	if (nres < 1 || !lua_istable(L, -nres))
		return 0;
	int t = lua_gettop(L) - nres + 1;
	int n = (int)lua_objlen(L, t);
	j->problems = calloc((size_t)n + 1, sizeof *j->problems);
	for (int i = 1; j->problems && i <= n; i++) {
		lua_rawgeti(L, t, i);
		const char *s = lua_tostring(L, -1);
		if (s)
			j->problems[j->nproblems++] = strdup(s);
		lua_pop(L, 1);
	}
	return 0;
}

/* $SOARCTL_LUA_DIR, else the installed or build tree's lua/ (sharedir.h). */
static const char *lua_dir(void)
{
	return sharedir_lua();
}

/* luacheck FILE with the project's configuration: 0 clean, 1 warnings, -1
 * not installed. Its output goes to ours. */
static int run_luacheck(const char *path)
{
	char cfg[4200];
	snprintf(cfg, sizeof cfg, "%s/../.luacheckrc", lua_dir());
	int have_cfg = access(cfg, R_OK) == 0;
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (have_cfg)
			execlp("luacheck", "luacheck", "--formatter", "plain", "--codes", "--no-color", "--config", cfg,
			       path, (char *)NULL);
		else
			execlp("luacheck", "luacheck", "--formatter", "plain", "--codes", "--no-color", "--std", "luajit",
			       path, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return 1;
	if (WEXITSTATUS(st) == 127)
		return -1;
	return WEXITSTATUS(st) == 0 ? 0 : 1;
}

static int grant_one(const char *playbook, const char *secret, void *ud)
{
	struct grant_set *g = ud;
	if (strcmp(playbook, g->playbook) != 0)
		return 0;
	char **nn = realloc(g->names, (size_t)(g->n + 1) * sizeof *nn);
	if (!nn)
		return 1;
	g->names = nn;
	g->names[g->n++] = strdup(secret);
	return 0;
}

/* The playbook's name: the file's, without .lua (a playbook's `name` is its
 * file's name: playbook.c checks it). */
static void playbook_name(const char *path, char *out, size_t len)
{
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s", path);
	const char *b = basename(tmp);
	snprintf(out, len, "%s", b);
	size_t n = strlen(out);
	if (n > 4 && strcmp(out + n - 4, ".lua") == 0)
		out[n - 4] = 0;
}

/* An integration file outside the search path is found where it is. */
static void integrations_dir_for(const char *path)
{
	char tmp[4096], name[256];
	playbook_name(path, name, sizeof name);
	if (!integration_name_ok(name))
		return;
	char found[4096], err[256], real_found[4096], real_path[4096];
	if (integration_find(lua_dir(), name, found, sizeof found, err, sizeof err) == 0 &&
	    realpath(found, real_found) && realpath(path, real_path) &&
	    strcmp(real_found, real_path) == 0)
		return;
	snprintf(tmp, sizeof tmp, "%s", path);
	setenv("SOARCTL_INTEGRATIONS_DIR", dirname(tmp), 1);
}

static int lint_file(struct sandbox *sb, struct store *st, const char *path, int *nproblems)
{
	char err[512];
	struct playbook_src src;
	if (playbook_load_file(path, &src, err, sizeof err) != 0) {
		fprintf(stderr, "soarctl lint: %s\n", err);
		return -1;
	}
	char own_dir[4096] = "";
	const char *saved = getenv("SOARCTL_INTEGRATIONS_DIR");
	if (saved)
		snprintf(own_dir, sizeof own_dir, "%s", saved);
	integrations_dir_for(path);

	struct grant_set g = { NULL, 0, NULL };
	char pbname[256];
	playbook_name(path, pbname, sizeof pbname);
	g.playbook = pbname;
	if (st && secret_grants(st, grant_one, &g, err, sizeof err) != 0)
		fprintf(stderr, "soarctl lint: reading the grants: %s\n", err);

	struct lint_job j;
	memset(&j, 0, sizeof j);
	j.src = &src;
	j.grants = st ? &g : NULL;
	uuid_v7(j.info.id);
	snprintf(j.info.playbook, sizeof j.info.playbook, "soarctl lint");
	struct sandbox_job job = { prepare, finish, &j };
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	struct sandbox_outcome out;
	int rc = 0;
	if (sandbox_exec(sb, &job, &lim, &out) != SANDBOX_OK) {
		printf("%s:0: lint could not check it: %s\n", path, out.message ? out.message : "failed");
		(*nproblems)++;
	}
	sandbox_outcome_clear(&out);
	redact_free(j.info.redact);
	for (int i = 0; i < j.nproblems; i++) {
		printf("%s:%s\n", path, j.problems[i]);
		free(j.problems[i]);
	}
	*nproblems += j.nproblems;
	free(j.problems);
	for (int i = 0; i < g.n; i++)
		free(g.names[i]);
	free(g.names);
	if (own_dir[0])
		setenv("SOARCTL_INTEGRATIONS_DIR", own_dir, 1);
	else
		unsetenv("SOARCTL_INTEGRATIONS_DIR");
	playbook_src_free(&src);
	return rc;
}

static int lint_main(int argc, char **argv)
{
	const char *data = NULL;
	int luacheck = 1, first = 1;
	for (; first < argc && argv[first][0] == '-'; first++) {
		if (cli_is_help(argv[first])) {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[first], "--no-luacheck") == 0)
			luacheck = 0;
		else if (strcmp(argv[first], "--data") == 0 && first + 1 < argc)
			data = argv[++first];
		else
			return cli_usage(CMD, "unknown option or missing value: %s", argv[first]);
	}
	if (first >= argc)
		return cli_usage(CMD, "which files? give at least one FILE");
	struct store *st = NULL;
	if (data) {
		st = access_open(CMD, NULL, data, 0, NULL);
		if (!st)
			return EXIT_FAIL;
	}
	char err[512];
	struct sandbox *sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err);
	if (!sb) {
		store_close(st);
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	}
	/* Linting runs mocks only: nothing reaches a vendor. */
	integration_set_mock_all(1);
	int problems = 0, broken = 0, lc_missing = 0;
	for (int i = first; i < argc; i++) {
		if (luacheck && !lc_missing) {
			int r = run_luacheck(argv[i]);
			if (r < 0)
				lc_missing = 1;
			else
				problems += r;
		}
		/* _*.lua: the runtime's own files (loaded with helpers a run never
		 * sees): luacheck only */
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s", argv[i]);
		if (basename(tmp)[0] == '_')
			continue;
		if (lint_file(sb, st, argv[i], &problems) != 0)
			broken++;
	}
	if (lc_missing)
		fprintf(stderr, "soarctl lint: luacheck is not installed (apt install lua-check); "
			"its checks were skipped\n");
	sandbox_free(sb);
	store_close(st);
	if (broken)
		return EXIT_USAGE;
	return problems ? EXIT_FAIL : EXIT_OK;
}

const struct cli_command cmd_lint = {
	"lint", "check playbooks and integrations: luacheck, manifests, commands, hosts, grants",
	usage, lint_main,
};
