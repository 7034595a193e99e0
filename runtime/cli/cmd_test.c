/* cmd_test.c - `soarctl test FILE...`: Lua tests, run inside the real binary.
 *
 * A test file returns a table of name -> function. Each test runs as its own
 * sandboxed run (fresh environment, the same limits as a playbook), in name order,
 * against a scratch data directory that is removed afterwards (unless --data). */
#define _XOPEN_SOURCE 700
#include "access.h"
#include "cli.h"
#include "datadir.h"
#include "playbook.h"
#include "redact.h"
#include "runinfo.h"
#include "runopts.h"
#include "uuid.h"

#include <ftw.h>
#include <getopt.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"Usage: soarctl test FILE... [--filter TEXT] [--data DIR]\n"
	"\n"
	"Runs Lua test files. Each FILE returns a table of test name -> function; a\n"
	"test passes when its function returns without error. Tests run one by one,\n"
	"each in a fresh sandbox, in name order. `require(\"testing\")` gives helpers\n"
	"(eq, raises, ...). Prints one line a test and a summary 'N passed, N failed'.\n"
	"\n"
	"  --filter TEXT   only tests whose name contains TEXT\n"
	"  --data DIR      data directory for the tests (default: a fresh scratch\n"
	"                  directory per file, removed afterwards)\n"
	RUNOPTS_USAGE
	"\n"
	"Exit status: 0 all passed, 1 a test failed, 2 a file could not be loaded.\n";

struct test_job {
	struct run_info info;          /* first: read by primitives */
	const struct playbook_src *src;
	const char *name;              /* NULL: list the tests */
	char **names;
	int nnames;
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int noop(lua_State *L)
{
	(void)L;
	return 0;
}

static int prepare(lua_State *L, int env, void *ud)
{
	struct test_job *job = ud;
	playbook_push_chunk(L, job->src);
	lua_pushvalue(L, env);
	lua_setfenv(L, -2);
	lua_call(L, 0, 1);
	if (!lua_istable(L, -1))
		luaL_error(L, "%s: a test file must return a table of name = function", job->src->path);
	if (!job->name) {
		int n = 0;
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			lua_pop(L, 1);
			n++;
		}
		job->names = calloc((size_t)n + 1, sizeof *job->names);
		if (!job->names)
			luaL_error(L, "out of memory");
		lua_pushnil(L);
		while (lua_next(L, -2)) {
			if (lua_type(L, -2) != LUA_TSTRING || !lua_isfunction(L, -1))
				luaL_error(L, "%s: every entry must be name = function", job->src->path);
			job->names[job->nnames++] = strdup(lua_tostring(L, -2));
			lua_pop(L, 1);
		}
		lua_pushcfunction(L, noop);
		return 0;
	}
	lua_getfield(L, -1, job->name);
	return 0;
}

static int finish(lua_State *L, int nres, void *ud)
{
	(void)L;
	(void)nres;
	(void)ud;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static int run_file(struct sandbox *sb, const char *path, const char *filter,
		    const struct sandbox_limits *lim, int *passed, int *failed)
{
	char err[512];
	struct playbook_src src;
	if (playbook_load_file(path, &src, err, sizeof err) != 0) {
		fprintf(stderr, "soarctl test: %s\n", err);
		return -1;
	}
	struct test_job list;
	memset(&list, 0, sizeof list);
	list.src = &src;
	snprintf(list.info.playbook, sizeof list.info.playbook, "%s", path);
	struct sandbox_job job = { prepare, finish, &list };
	struct sandbox_outcome out;
	int rc = 0;
	if (sandbox_exec(sb, &job, lim, &out) != SANDBOX_OK) {
		fprintf(stderr, "soarctl test: cannot load %s: %s\n", path, out.message);
		rc = -1;
	}
	sandbox_outcome_clear(&out);
	if (list.names)
		qsort(list.names, (size_t)list.nnames, sizeof *list.names, cmp_str);
	for (int i = 0; rc == 0 && i < list.nnames; i++) {
		if (filter && !strstr(list.names[i], filter))
			continue;
		struct test_job t;
		memset(&t, 0, sizeof t);
		t.src = &src;
		t.name = list.names[i];
		uuid_v7(t.info.id);
		snprintf(t.info.playbook, sizeof t.info.playbook, "%s", list.names[i]);
		job.ud = &t;
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		enum sandbox_status st = sandbox_exec(sb, &job, lim, &out);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		redact_free(t.info.redact);     /* the secrets the test's run opened */
		double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (st == SANDBOX_OK) {
			printf("ok     %s  (%.1f ms)\n", list.names[i], ms);
			(*passed)++;
		} else {
			printf("FAIL   %s  (%.1f ms)\n       %s\n", list.names[i], ms, out.message);
			if (out.traceback)
				printf("%s\n", out.traceback);
			(*failed)++;
		}
		sandbox_outcome_clear(&out);
	}
	for (int i = 0; i < list.nnames; i++)
		free(list.names[i]);
	free(list.names);
	playbook_src_free(&src);
	return rc;
}

static int test_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "filter", required_argument, NULL, 'f' },
		{ "data", required_argument, NULL, 'd' },
		RUNOPTS_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct sandbox_limits lim;
	runopts_init(&lim);
	const char *filter = NULL, *data = NULL;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': filter = optarg; break;
		case 'd': data = optarg; break;
		case '?': return cli_usage("test", "unknown option or missing value: %s", argv[optind - 1]);
		default:
			if (runopts_parse("test", opt, optarg, &lim) < 0)
				return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage("test", "which test files? give at least one FILE");
	/* A scratch store is the tests' own; a store given with --data is checked
	 * like `run` (playbook.run). */
	if (data && !access_open("test", NULL, data, 1, NULL))
		return EXIT_FAIL;

	char err[512];
	struct sandbox *sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err);
	if (!sb)
		return cli_fail("test", EXIT_FAIL, "%s", err);
	int passed = 0, failed = 0, broken = 0;
	for (int i = optind; i < argc; i++) {
		char scratch[4096] = "";
		if (data) {
			datadir_set(data);
		} else {
			const char *tmp = getenv("TMPDIR");
			snprintf(scratch, sizeof scratch, "%s/soarctl-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
			if (!mkdtemp(scratch)) {
				sandbox_free(sb);
				return cli_fail("test", EXIT_FAIL, "cannot create a scratch directory in %s",
						tmp && *tmp ? tmp : "/tmp");
			}
			datadir_set(scratch);
		}
		printf("# %s\n", argv[i]);
		if (run_file(sb, argv[i], filter, &lim, &passed, &failed) != 0)
			broken++;
		if (scratch[0])
			nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	printf("%d passed, %d failed\n", passed, failed);
	sandbox_free(sb);
	if (broken)
		return EXIT_USAGE;
	return failed ? EXIT_FAIL : EXIT_OK;
}

const struct cli_command cmd_test = {
	"test", "run Lua test files inside the sandbox", usage, test_main,
};
