/* cmd_report.c - `soarctl report`: what the cases, runs and playbooks did over
 * a period, for people (a terminal summary with sparklines), for scripts
 * (--json) and for management (--html: one self-contained file with SVG
 * charts, no script, nothing fetched). The counts come from the case indexes
 * (store/case_stats.h) and the run records; minutes saved from the
 * playbooks' `minutes_saved` (daemon/dash_roi.h, as the dashboard). */
#include "access.h"
#include "cli.h"
#include "colour.h"
#include "report.h"
#include "store_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: soarctl report [--since DURATION] [--json] [--html FILE]\n"
	"                      [--playbooks DIR] [--data DIR]\n"
	"\n"
	"Cases created (per day, by severity and type), cases open now by status, SLA\n"
	"breaches, runs and their success rate per playbook, and the minutes the\n"
	"playbooks saved (each succeeded run counts its playbook's minutes_saved).\n"
	"  --since D        the period: 30d (default), 12h, 2w, 90m...\n"
	"  --json           one JSON object instead of the summary\n"
	"  --html FILE      also write a self-contained HTML report (SVG charts)\n"
	"  --playbooks DIR  where minutes_saved is read (default ./playbooks)\n"
	"The summary has colour only on a terminal (and not with NO_COLOR).\n"
	"Exit codes: 0 ok, 1 the store failed or FILE could not be written, 2 bad\n"
	"arguments.\n";

static int write_file(const char *path, const struct store_buf *b)
{
	FILE *f = fopen(path, "w");
	int ok = f && fwrite(b->p ? b->p : "", 1, b->len, f) == b->len;
	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static int report_main(int argc, char **argv)
{
	const char *data = NULL, *html = NULL, *since = "30d", *pbdir = "playbooks";
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
			since = argv[++i];
		else if (strcmp(argv[i], "--html") == 0 && i + 1 < argc)
			html = argv[++i];
		else if (strcmp(argv[i], "--playbooks") == 0 && i + 1 < argc)
			pbdir = argv[++i];
		else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data = argv[++i];
		else if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return EXIT_OK;
		} else
			return cli_usage("report", "unknown argument '%s'", argv[i]);
	}
	int64_t span;
	if (report_parse_since(since, &span) != 0)
		return cli_usage("report", "--since takes a duration up to a year: 30d, 12h, 2w, 90m");
	char err[512] = "";
	struct pb_set *set = pb_set_load(pbdir, err, sizeof err);
	if (!set)
		fprintf(stderr, "soarctl report: minutes saved unknown (no playbooks from %s: %s); give "
			"--playbooks DIR\n", pbdir, err);
	struct store *st = access_open("report", NULL, data, 0, NULL);
	int rc = EXIT_OK;
	int64_t now = store_now_ms();
	struct store_buf out = {0}, page = {0};
	if (!st)
		rc = EXIT_FAIL;
	else if (report_build(st, set, span, now, json ? REPORT_JSON : REPORT_TEXT,
			      colour_wanted(stdout), &out, err, sizeof err) != 0 ||
		 (html && report_build(st, set, span, now, REPORT_HTML, 0, &page, err, sizeof err) != 0))
		rc = cli_fail("report", EXIT_FAIL, "%s", err);
	else {
		fwrite(out.p ? out.p : "", 1, out.len, stdout);
		if (html && write_file(html, &page) != 0)
			rc = cli_fail("report", EXIT_FAIL, "cannot write %s: check the directory exists "
				      "and is writable", html);
	}
	store_buf_free(&out);
	store_buf_free(&page);
	if (set)
		pb_set_unref(set);
	if (st)
		store_close(st);
	return rc;
}

const struct cli_command cmd_report = {
	"report", "cases, runs and minutes saved over a period (terminal, JSON, HTML)", usage,
	report_main,
};
