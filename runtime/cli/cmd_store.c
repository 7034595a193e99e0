/* cmd_store.c - `soarctl store check` and `soarctl store stats`: the store as a
 * whole, for operators (store_check.h, store_copy.h). */
#include "cli.h"
#include "secret_cli.h"

#include "rbac.h"
#include "store_check.h"
#include "store_copy.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	"\n"
	"Needs the audit.read permission (role admin).\n"
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
	{ "journals", { STORE_DB_JOURNAL }, 1 },
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

static int store_main(int argc, char **argv)
{
	struct scli c;
	int rc = scli_parse(&c, CMD, argc, argv, NULL);
	if (rc)
		return rc;
	if (c.npos != 1)
		return cli_usage(CMD, "which subcommand? check or stats");
	static const char *const known[] = { NULL };
	if ((rc = scli_only(&c, known)))
		return rc;
	int check = strcmp(c.pos[0], "check") == 0, stats = strcmp(c.pos[0], "stats") == 0;
	if (!check && !stats)
		return cli_usage(CMD, "no subcommand '%s': check or stats", c.pos[0]);
	if ((rc = scli_open(&c)) || (rc = scli_require(&c, RBAC_AUDIT_READ, "store")))
		return rc;
	return check ? do_check(&c) : do_stats(&c);
}

const struct cli_command cmd_store = {
	"store", "the store as a whole: check its consistency, statistics", usage, store_main,
};
