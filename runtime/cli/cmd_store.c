/* cmd_store.c - `soarctl store check` and `soarctl store stats`: the store as a
 * whole, for operators (store_check.h, store_copy.h). */
#include "cli.h"
#include "secret_cli.h"

#include "rbac.h"
#include "store_check.h"
#include "store_copy.h"

#include "audit.h"
#include "backup_files.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_store_retain.h"

#define CMD "store"

static const char usage[] =
	"Usage: soarctl store SUBCOMMAND [--data DIR] [--json]\n"
	"\n"
	"  check   consistency across the store: every index entry has its record and\n"
	"          every record its index entries (cases, runs, prompts); journals have\n"
	"          their runs, timelines their cases, attachments their blobs, EDL\n"
	"          entries their lists. Reads one snapshot; the daemon may run.\n"
	"  stats   bytes and entries per kind (cases, runs, journals, blobs, EDLs, audit,\n"
	"          secrets ...), per named database, and cases per case type\n"
	"  compact rewrites the store without its free pages (a compacting copy in\n"
	"          DATA/.compact/, synced, then renamed over DATA/store.mdb). Offline:\n"
	"          refused while another process (the daemon) has the store open.\n"
	"  retain  one retention pass now, with the policy the daemon applies\n"
	"          (\"retention\" in DATA/store.json or $SOARCTL_STORE_CONFIG): prints\n"
	"          what it removed and compacted. The daemon may run.\n"
	"\n"
	"check and stats need the audit.read permission, compact and retain user.manage\n"
	"(role admin).\n"
	"Exit codes: 0 ok (check: consistent), 1 problems found or failed, 2 bad arguments.\n";

static int do_check(struct scli *c)
{
	struct store_check_report *rep = malloc(sizeof *rep);
	if (!rep)
		return cli_fail(CMD, EXIT_FAIL, "out of memory");
	char err[1024];
	int rc = store_check(c->st, rep, err, sizeof err);
	if (rc < 0) {
		free(rep);
		return cli_fail(CMD, EXIT_FAIL, "check failed: %s", err);
	}
	if (c->json) {
		printf("{\"ok\":%s,\"checked\":%" PRIu64 ",\"problems\":%" PRIu64 ",\"found\":[",
		       rc ? "false" : "true", rep->checked, rep->problems);
		for (size_t i = 0; i < rep->kept; i++) {
			if (i)
				putchar(',');
			cli_json_string(stdout, rep->problem[i], strlen(rep->problem[i]));
		}
		printf("],\"schema\":%u}\n", store_schema(c->st));
	} else if (rc == 0) {
		printf("store consistent: %" PRIu64 " entries checked, schema %u\n", rep->checked,
		       store_schema(c->st));
	} else {
		for (size_t i = 0; i < rep->kept; i++)
			printf("problem: %s\n", rep->problem[i]);
		if (rep->problems > rep->kept)
			printf("... and %" PRIu64 " more\n", rep->problems - rep->kept);
	}
	uint64_t n = rep->problems;
	free(rep);
	if (rc)
		return cli_fail(CMD, EXIT_FAIL, "%" PRIu64 " problem%s found: restore from a backup, "
				"or report it with this output", n, n == 1 ? "" : "s");
	return EXIT_OK;
}

/* The kinds an operator asks about, and the named databases each one holds. */
static const struct {
	const char *kind;
	enum store_db dbs[8];
	int n;
} kinds[] = {
	{ "cases", { STORE_DB_CASES, STORE_DB_CASE_UUID, STORE_DB_CASE_IDX, STORE_DB_CASE_DEDUPE,
		     STORE_DB_CASE_DKEY, STORE_DB_CASE_LINKS }, 6 },
	{ "timelines", { STORE_DB_TIMELINE }, 1 },
	{ "runs", { STORE_DB_RUNS, STORE_DB_RUN_IDX, STORE_DB_PROMPTS, STORE_DB_PROMPT_IDX }, 4 },
	{ "journals", { STORE_DB_JOURNAL, STORE_DB_RUN_DONE }, 2 },
	{ "blobs", { STORE_DB_BLOBS, STORE_DB_BLOB_META }, 2 },
	{ "indicators", { STORE_DB_INDICATORS, STORE_DB_IND_IDX, STORE_DB_IND_CASES,
			  STORE_DB_CASE_INDS }, 4 },
	{ "edls", { STORE_DB_EDL_LISTS, STORE_DB_EDL_ENTRIES }, 2 },
	{ "audit", { STORE_DB_AUDIT }, 1 },
	{ "secrets", { STORE_DB_SECRETS, STORE_DB_SECRET_KEYS, STORE_DB_SECRET_GRANTS }, 3 },
	{ "users", { STORE_DB_USERS, STORE_DB_ROLES, STORE_DB_TOKENS }, 3 },
	{ "other", { STORE_DB_META, STORE_DB_JOBS }, 2 },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static int do_stats(struct scli *c)
{
	struct store_db_stat s[STORE_DB__COUNT];
	uint64_t file_pages;
	unsigned psize;
	char err[1024];
	if (store_db_stats(c->st, s, &file_pages, &psize, err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	struct store_type_count *types;
	size_t ntypes;
	if (store_case_types(c->st, &types, &ntypes, err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	uint64_t used = 0;
	for (int i = 0; i < STORE_DB__COUNT; i++)
		used += s[i].bytes;
	uint64_t file_bytes = file_pages * psize;
	if (c->json) {
		printf("{\"file_bytes\":%" PRIu64 ",\"used_bytes\":%" PRIu64 ",\"page_size\":%u,"
		       "\"schema\":%u,\"kinds\":{", file_bytes, used, psize, store_schema(c->st));
		for (size_t k = 0; k < NKINDS; k++) {
			uint64_t b = 0;
			printf("%s\"%s\":{\"entries\":%" PRIu64, k ? "," : "", kinds[k].kind,
			       s[kinds[k].dbs[0]].entries);
			for (int j = 0; j < kinds[k].n; j++)
				b += s[kinds[k].dbs[j]].bytes;
			printf(",\"bytes\":%" PRIu64 "}", b);
		}
		printf("},\"databases\":{");
		for (int i = 0; i < STORE_DB__COUNT; i++)
			printf("%s\"%s\":{\"entries\":%" PRIu64 ",\"bytes\":%" PRIu64 "}", i ? "," : "",
			       s[i].name, s[i].entries, s[i].bytes);
		printf("},\"case_types\":{");
		for (size_t i = 0; i < ntypes; i++) {
			if (i)
				putchar(',');
			cli_json_string(stdout, types[i].type, strlen(types[i].type));
			printf(":{\"cases\":%" PRIu64 ",\"bytes\":%" PRIu64 "}", types[i].cases,
			       types[i].bytes);
		}
		printf("}}\n");
	} else {
		printf("store: %" PRIu64 " bytes in the file, %" PRIu64 " in use by data, schema %u\n\n",
		       file_bytes, used, store_schema(c->st));
		printf("%-12s %12s %14s\n", "kind", "entries", "bytes");
		for (size_t k = 0; k < NKINDS; k++) {
			uint64_t b = 0;
			for (int j = 0; j < kinds[k].n; j++)
				b += s[kinds[k].dbs[j]].bytes;
			printf("%-12s %12" PRIu64 " %14" PRIu64 "\n", kinds[k].kind,
			       s[kinds[k].dbs[0]].entries, b);
		}
		printf("\n%-14s %12s %14s\n", "database", "entries", "bytes");
		for (int i = 0; i < STORE_DB__COUNT; i++)
			printf("%-14s %12" PRIu64 " %14" PRIu64 "\n", s[i].name, s[i].entries, s[i].bytes);
		printf("\n%-24s %10s %14s\n", "case type", "cases", "bytes");
		for (size_t i = 0; i < ntypes; i++)
			printf("%-24s %10" PRIu64 " %14" PRIu64 "\n", types[i].type, types[i].cases,
			       types[i].bytes);
	}
	free(types);
	return EXIT_OK;
}

/* The pid of another process holding the store's LMDB lock file (every process
 * with the environment open holds a shared fcntl lock on its first byte), 0 when
 * none, -1 when it cannot tell. */
static long other_user(const char *dir)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/store.mdb-lock", dir);
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	long r = fcntl(fd, F_GETLK, &fl) != 0 ? -1 : fl.l_type == F_UNLCK ? 0 : (long)fl.l_pid;
	close(fd);
	return r;
}

static int do_compact(struct scli *c)
{
	char err[1024];
	long pid = other_user(c->dir);
	if (pid != 0) {
		char who[40] = "";
		if (pid > 0)
			snprintf(who, sizeof who, " (pid %ld)", pid);
		return cli_fail(CMD, EXIT_FAIL, "the store in %s is open in another process%s: "
				"stop the daemon (and other soarctl commands) first; compact is "
				"offline", c->dir, who);
	}
	uint64_t pages;
	unsigned psize;
	struct store_db_stat s[STORE_DB__COUNT];
	if (store_db_stats(c->st, s, &pages, &psize, err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	uint64_t before = pages * psize;
	/* Audited first, so that the entry is in the compacted copy: after the
	 * rename this process still maps the old file. */
	char details[128];
	snprintf(details, sizeof details, "{\"bytes_before\":%" PRIu64 "}", before);
	if (audit_append(c->st, c->actor, "store.compact", c->dir, details, err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	/* A compaction cut short (crash, full disk) leaves DATA/.compact: it was never
	 * renamed, so the store is whole; start again. */
	char tdir[4200], tfile[4300], dst[4200];
	snprintf(tdir, sizeof tdir, "%s/.compact", c->dir);
	snprintf(tfile, sizeof tfile, "%s/store.mdb", tdir);
	snprintf(dst, sizeof dst, "%s/store.mdb", c->dir);
	unlink(tfile);
	if (mkdir(tdir, 0700) != 0 && errno != EEXIST)
		return cli_fail(CMD, EXIT_FAIL, "cannot create %s: %s", tdir, strerror(errno));
	if (store_copy(c->st, tfile, 1, NULL, err, sizeof err) != 0) {
		rmdir(tdir);
		return cli_fail(CMD, EXIT_FAIL, "%s (the store is unchanged)", err);
	}
	/* The copy must open and be consistent before it replaces anything. */
	struct store *cp = store_open_readonly(tdir, err, sizeof err);
	struct store_check_report *rep = malloc(sizeof *rep);
	int rc = cp && rep ? store_check(cp, rep, err, sizeof err) : -1;
	if (cp)
		store_close(cp);
	if (rc != 0) {
		if (rc > 0)
			snprintf(err, sizeof err, "%s", rep->problem[0]);
		free(rep);
		unlink(tfile);
		rmdir(tdir);
		return cli_fail(CMD, EXIT_FAIL, "the compacted copy failed its check (%s); the "
				"store is unchanged: run `soarctl store check`", err);
	}
	free(rep);
	struct stat sb;
	uint64_t after = stat(tfile, &sb) == 0 ? (uint64_t)sb.st_size : 0;
	/* Last look: nobody opened the store meanwhile (they would keep the old file). */
	if ((pid = other_user(c->dir)) != 0) {
		unlink(tfile);
		rmdir(tdir);
		return cli_fail(CMD, EXIT_FAIL, "another process opened the store during the "
				"compaction; the store is unchanged: stop it and run again");
	}
	if (rename(tfile, dst) != 0) {
		int e = errno;
		unlink(tfile);
		rmdir(tdir);
		return cli_fail(CMD, EXIT_FAIL, "cannot rename %s over %s: %s (the store is "
				"unchanged)", tfile, dst, strerror(e));
	}
	rmdir(tdir);
	if (bf_sync_dir(c->dir, err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	if (c->json)
		printf("{\"bytes_before\":%" PRIu64 ",\"bytes_after\":%" PRIu64 "}\n", before, after);
	else
		printf("store compacted: %" PRIu64 " bytes -> %" PRIu64 " bytes\n", before, after);
	return EXIT_OK;
}

static int store_main(int argc, char **argv)
{
	struct scli c;
	int rc = scli_parse(&c, CMD, argc, argv, NULL);
	if (rc)
		return rc;
	if (c.npos != 1)
		return cli_usage(CMD, "which subcommand? check, stats, compact or retain");
	static const char *const known[] = { NULL };
	if ((rc = scli_only(&c, known)))
		return rc;
	int check = strcmp(c.pos[0], "check") == 0, stats = strcmp(c.pos[0], "stats") == 0;
	int compact = strcmp(c.pos[0], "compact") == 0, retain = strcmp(c.pos[0], "retain") == 0;
	if (!check && !stats && !compact && !retain)
		return cli_usage(CMD, "no subcommand '%s': check, stats, compact or retain", c.pos[0]);
	if ((rc = scli_open(&c)) ||
	    (rc = scli_require(&c, compact || retain ? RBAC_USER_MANAGE : RBAC_AUDIT_READ, "store")))
		return rc;
	if (retain) /* cmd_store_retain.c */
		return store_retain(c.st, c.dir, c.actor, c.json);
	return check ? do_check(&c) : stats ? do_stats(&c) : do_compact(&c);
}

const struct cli_command cmd_store = {
	"store", "the store as a whole: check, stats, compact", usage, store_main,
};
