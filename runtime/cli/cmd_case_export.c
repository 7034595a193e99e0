/* cmd_case_export.c - `soarctl case export` and `soarctl case import`: cases as
 * JSON lines (store/case_export.h), for archives and SIEMs, and back into a
 * store. */
#include "cmd_case_export.h"
#include "cli.h"
#include "secret_cli.h"

#include "audit.h"
#include "case.h"
#include "case_export.h"
#include "rbac.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "case"

static int write_line(const char *line, size_t len, void *ud)
{
	FILE *f = ud;
	return fwrite(line, 1, len, f) != len || fputc('\n', f) == EOF;
}

int case_export_main(int argc, char **argv)
{
	static const char *const known[] = { "since", "until", "format", "out", NULL };
	struct scli c;
	int rc = scli_parse(&c, CMD, argc, argv, NULL);
	if (rc || (rc = scli_only(&c, known)))
		return rc;
	if (c.npos != 1)
		return cli_usage(CMD, "export takes no arguments: soarctl case export --since T "
				 "[--until T] [--format jsonl] [--out FILE]");
	const char *fmt = scli_opt(&c, "format");
	if (fmt && strcmp(fmt, "jsonl") != 0)
		return cli_usage(CMD, "--format: jsonl is the one format (one case a line)");
	const char *since_s = scli_opt(&c, "since"), *until_s = scli_opt(&c, "until");
	int64_t now = store_now_ms(), since = 0, until = 0;
	if (!since_s)
		return cli_usage(CMD, "export needs --since (a time: 2024-05-01T00:00:00Z, -30d, "
				 "@UNIXSECONDS; @0 for everything)");
	if (case_time_parse(since_s, now, &since) != 0) /* "-30d": 30 days ago */
		return cli_usage(CMD, "--since '%s' is not a time", since_s);
	if (until_s && case_time_parse(until_s, now, &until) != 0)
		return cli_usage(CMD, "--until '%s' is not a time", until_s);
	if ((rc = scli_open(&c)) || (rc = scli_require(&c, RBAC_CASE_READ, "cases")))
		return rc;
	const char *path = scli_opt(&c, "out");
	FILE *f = stdout;
	char tmp[4200];
	if (path) {
		snprintf(tmp, sizeof tmp, "%s.part", path);
		if (!(f = fopen(tmp, "wx")))
			return cli_fail(CMD, EXIT_FAIL, "cannot write %s: %s (--out must not exist)", tmp,
					strerror(errno));
	}
	char err[1024];
	uint64_t n = 0;
	rc = case_export(c.st, since, until, write_line, f, &n, err, sizeof err);
	int werr = ferror(f) || (f != stdout && fclose(f) != 0) || (f == stdout && fflush(f) != 0);
	if (path && (rc || werr))
		unlink(tmp);
	if (rc)
		return cli_fail(CMD, EXIT_FAIL, "export: %s", err);
	if (werr)
		return cli_fail(CMD, EXIT_FAIL, "export: writing %s failed", path ? path : "standard output");
	if (path && rename(tmp, path) != 0)
		return cli_fail(CMD, EXIT_FAIL, "cannot rename %s: %s", tmp, strerror(errno));
	char details[256];
	snprintf(details, sizeof details, "{\"cases\":%" PRIu64 ",\"since_ms\":%" PRId64
		 ",\"until_ms\":%" PRId64 "}", n, since, until);
	if (audit_append(c.st, c.actor, "case.export", path ? path : "stdout", details, err,
			 sizeof err) != 0)
		fprintf(stderr, "soarctl case: warning: the export is not audited: %s\n", err);
	if (path)
		printf("exported %" PRIu64 " case%s to %s\n", n, n == 1 ? "" : "s", path);
	return EXIT_OK;
}

int case_import_main(int argc, char **argv)
{
	static const char *const known[] = { NULL };
	struct scli c;
	int rc = scli_parse(&c, CMD, argc, argv, NULL);
	if (rc || (rc = scli_only(&c, known)))
		return rc;
	if (c.npos != 2)
		return cli_usage(CMD, "which file? soarctl case import FILE (- for standard input)");
	const char *path = c.pos[1];
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return cli_fail(CMD, EXIT_FAIL, "cannot read %s: %s", path, strerror(errno));
	if ((rc = scli_open(&c)) || (rc = scli_require(&c, RBAC_USER_MANAGE, "cases"))) {
		if (f != stdin)
			fclose(f);
		return rc;
	}
	char *line = NULL, err[1024];
	size_t cap = 0;
	ssize_t len;
	uint64_t added = 0, present = 0, lineno = 0, failed = 0;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len == 0)
			continue;
		int r = case_import(c.st, line, (size_t)len, err, sizeof err);
		if (r == CASE_IMPORT_ADDED)
			added++;
		else if (r == CASE_IMPORT_PRESENT)
			present++;
		else {
			failed++;
			fprintf(stderr, "soarctl case: import: %s line %" PRIu64 ": %s\n", path, lineno, err);
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	char details[256];
	snprintf(details, sizeof details, "{\"added\":%" PRIu64 ",\"present\":%" PRIu64
		 ",\"failed\":%" PRIu64 "}", added, present, failed);
	if ((added || failed) &&
	    audit_append(c.st, c.actor, "case.import", path, details, err, sizeof err) != 0)
		fprintf(stderr, "soarctl case: warning: the import is not audited: %s\n", err);
	if (c.json)
		printf("%s\n", details);
	else
		printf("imported %" PRIu64 " case%s, %" PRIu64 " already there, %" PRIu64 " refused\n",
		       added, added == 1 ? "" : "s", present, failed);
	return failed ? EXIT_FAIL : EXIT_OK;
}
