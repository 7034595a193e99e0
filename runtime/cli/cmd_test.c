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
#include "store.h"
#include "uuid.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include <ftw.h>
#include <getopt.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
	"Usage: soarctl test FILE|DIR... [--filter TEXT] [--data DIR] [--junit FILE]\n"
	"\n"
	"Runs Lua test files. Each FILE returns a table of test name -> function; a\n"
	"test passes when its function returns without error. Tests run one by one,\n"
	"each in a fresh sandbox, in name order. `require(\"testing\")` gives helpers\n"
	"(eq, raises, ...). Prints one line a test and a summary 'N passed, N failed'.\n"
	"\n"
	"A DIR stands for its *_test.lua files (not its subdirectories), in name order.\n"
	"\n"
	"  --filter TEXT   only tests whose name contains TEXT\n"
	"  --junit FILE    also write the results as JUnit XML (one testsuite a file)\n"
	"                  for CI systems\n"
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

/* One result, kept for --junit. */
struct result {
	char *file, *name, *failure;  /* failure NULL: passed; name NULL: the file broke */
	double ms;
};

struct results {
	struct result *r;
	size_t n, cap;
};

static void result_add(struct results *rs, const char *file, const char *name, const char *failure,
		       double ms)
{
	if (!rs)
		return;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 32;
		struct result *r = realloc(rs->r, cap * sizeof *r);
		if (!r)
			return;
		rs->r = r;
		rs->cap = cap;
	}
	struct result *x = &rs->r[rs->n++];
	x->file = strdup(file);
	x->name = name ? strdup(name) : NULL;
	x->failure = failure ? strdup(failure) : NULL;
	x->ms = ms;
}

static void xml_text(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '&') fputs("&amp;", f);
		else if (c == '<') fputs("&lt;", f);
		else if (c == '>') fputs("&gt;", f);
		else if (c == '"') fputs("&quot;", f);
		else if (c < 0x20 && c != '\n' && c != '\t') fputc('?', f);  /* not allowed in XML 1.0 */
		else fputc(c, f);
	}
}

/* JUnit XML as Jenkins, GitLab and GitHub read it: a testsuite per file. */
static int write_junit(const char *path, const struct results *rs)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"soarctl test\">\n", f);
	for (size_t i = 0; i < rs->n;) {
		size_t j = i;
		int tests = 0, failures = 0, errors = 0;
		double ms = 0;
		for (; j < rs->n && strcmp(rs->r[j].file, rs->r[i].file) == 0; j++) {
			tests++;
			ms += rs->r[j].ms;
			if (!rs->r[j].name)
				errors++;
			else if (rs->r[j].failure)
				failures++;
		}
		fputs("  <testsuite name=\"", f);
		xml_text(f, rs->r[i].file);
		fprintf(f, "\" tests=\"%d\" failures=\"%d\" errors=\"%d\" time=\"%.3f\">\n", tests,
			failures, errors, ms / 1e3);
		for (size_t k = i; k < j; k++) {
			const struct result *x = &rs->r[k];
			fputs("    <testcase classname=\"", f);
			xml_text(f, x->file);
			fputs("\" name=\"", f);
			xml_text(f, x->name ? x->name : "(load)");
			fprintf(f, "\" time=\"%.3f\"", x->ms / 1e3);
			if (!x->failure) {
				fputs("/>\n", f);
				continue;
			}
			fprintf(f, ">\n      <%s message=\"", x->name ? "failure" : "error");
			xml_text(f, x->failure);
			fputs("\">", f);
			xml_text(f, x->failure);
			fprintf(f, "</%s>\n    </testcase>\n", x->name ? "failure" : "error");
		}
		fputs("  </testsuite>\n", f);
		i = j;
	}
	fputs("</testsuites>\n", f);
	return fclose(f) == 0 ? 0 : -1;
}

static void results_free(struct results *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->r[i].file);
		free(rs->r[i].name);
		free(rs->r[i].failure);
	}
	free(rs->r);
}

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
		    const struct sandbox_limits *lim, int *passed, int *failed, struct results *rs)
{
	char err[512];
	struct playbook_src src;
	if (playbook_load_file(path, &src, err, sizeof err) != 0) {
		fprintf(stderr, "soarctl test: %s\n", err);
		result_add(rs, path, NULL, err, 0);
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
		result_add(rs, path, NULL, out.message ? out.message : "cannot load", 0);
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
			result_add(rs, path, list.names[i], NULL, ms);
			(*passed)++;
		} else {
			printf("FAIL   %s  (%.1f ms)\n       %s\n", list.names[i], ms, out.message);
			result_add(rs, path, list.names[i], out.message ? out.message : "failed", ms);
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

/* The files of argv[from..]: a FILE as given, a DIR as its *_test.lua files in
 * name order. NULL-terminated, strdup'd (free with free_list); NULL after
 * printing why (a path that does not exist, an empty directory). */
static void free_list(char **l)
{
	for (size_t i = 0; l && l[i]; i++)
		free(l[i]);
	free(l);
}

static char **expand(int argc, char **argv, int from)
{
	size_t n = 0, cap = 16;
	char **l = calloc(cap + 1, sizeof *l);
	for (int i = from; l && i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) != 0) {
			cli_usage("test", "%s: %s", argv[i], strerror(errno));
			free_list(l);
			return NULL;
		}
		char **found = NULL;
		size_t nf = 0;
		if (S_ISDIR(sb.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;
			while (d && (e = readdir(d)) != NULL) {
				size_t len = strlen(e->d_name);
				if (len < 9 || strcmp(e->d_name + len - 9, "_test.lua") != 0)
					continue;
				char **f = realloc(found, (nf + 1) * sizeof *found);
				if (!f)
					break;
				found = f;
				size_t plen = strlen(argv[i]) + len + 2;
				found[nf] = malloc(plen);
				if (found[nf])
					snprintf(found[nf++], plen, "%s/%s", argv[i], e->d_name);
			}
			if (d)
				closedir(d);
			if (!nf) {
				free(found);
				cli_usage("test", "%s: no *_test.lua files in this directory", argv[i]);
				free_list(l);
				return NULL;
			}
			qsort(found, nf, sizeof *found, cmp_str);
		} else {
			found = malloc(sizeof *found);
			if (found && (found[0] = strdup(argv[i])) != NULL)
				nf = 1;
		}
		for (size_t k = 0; k < nf; k++) {
			if (n == cap) {
				char **b = realloc(l, (cap * 2 + 1) * sizeof *l);
				if (!b) {
					free(found[k]);
					continue;
				}
				l = b;
				cap *= 2;
			}
			l[n++] = found[k];
			l[n] = NULL;
		}
		free(found);
	}
	return l;
}

static int test_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "filter", required_argument, NULL, 'f' },
		{ "data", required_argument, NULL, 'd' },
		{ "junit", required_argument, NULL, 'x' },
		RUNOPTS_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct sandbox_limits lim;
	runopts_init(&lim);
	const char *filter = NULL, *data = NULL, *junit = NULL;
	int opt;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'f': filter = optarg; break;
		case 'd': data = optarg; break;
		case 'x': junit = optarg; break;
		case '?': return cli_usage("test", "unknown option or missing value: %s", argv[optind - 1]);
		default:
			if (runopts_parse("test", opt, optarg, &lim) < 0)
				return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage("test", "which test files? give at least one FILE or DIR");
	/* A scratch store is the tests' own; a store given with --data is checked
	 * like `run` (playbook.run). */
	if (data && !access_open("test", NULL, data, 1, NULL))
		return EXIT_FAIL;
	char **files = expand(argc, argv, optind);
	if (!files)
		return EXIT_USAGE;

	char err[512];
	struct sandbox *sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err);
	if (!sb) {
		free_list(files);
		return cli_fail("test", EXIT_FAIL, "%s", err);
	}
	struct results rs = {0};
	int passed = 0, failed = 0, broken = 0;
	for (int i = 0; files[i]; i++) {
		char scratch[4096] = "";
		if (data) {
			datadir_set(data);
		} else {
			const char *tmp = getenv("TMPDIR");
			snprintf(scratch, sizeof scratch, "%s/soarctl-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
			if (!mkdtemp(scratch)) {
				sandbox_free(sb);
				free_list(files);
				results_free(&rs);
				return cli_fail("test", EXIT_FAIL, "cannot create a scratch directory in %s",
						tmp && *tmp ? tmp : "/tmp");
			}
			datadir_set(scratch);
		}
		printf("# %s\n", files[i]);
		if (run_file(sb, files[i], filter, &lim, &passed, &failed, junit ? &rs : NULL) != 0)
			broken++;
		if (scratch[0]) {
			/* the next file gets a scratch store of its own */
			store_default_release();
			nftw(scratch, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	sandbox_free(sb);
	free_list(files);
	int rc = broken ? EXIT_USAGE : failed ? EXIT_FAIL : EXIT_OK;
	if (junit && write_junit(junit, &rs) != 0)
		rc = cli_fail("test", EXIT_FAIL, "cannot write --junit %s: %s", junit, strerror(errno));
	results_free(&rs);
	return rc;
}

const struct cli_command cmd_test = {
	"test", "run Lua test files inside the sandbox", usage, test_main,
};
