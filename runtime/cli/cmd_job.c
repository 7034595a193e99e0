/* cmd_job.c - `soarctl job list|run|pause|resume`: scheduled jobs as the
 * running daemon sees them (their records in the store, store/jobstore.c). `run` and
 * `pause` are requests the daemon acts on within a second. */
#include "access.h"
#include "cli.h"
#include "jobstore.h"
#include "runout.h"
#include "store_buf.h"
#include "timefmt.h"
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: soarctl job list [--json] [--data DIR]\n"
	"       soarctl job run|pause|resume NAME [--data DIR]\n"
	"\n"
	"Scheduled jobs are playbooks with `schedule = \"...\"` loaded by `soarctl serve`.\n"
	"  list     name, schedule, zone, next and last fire, paused, running\n"
	"  run      fire the job now (the daemon does it within a second; overlap\n"
	"           policy applies)\n"
	"  pause    stop firing it (until resume); runs in flight go on\n"
	"Exit codes: 0 ok, 1 no such job or the store failed, 2 bad arguments.\n";

static void when(const char *ms, char *out, size_t len)
{
	timefmt_ms(ms ? strtoll(ms, NULL, 10) : 0, out, len);
}

static int job_main(int argc, char **argv)
{
	const char *data = NULL, *sub = NULL, *name = NULL;
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data = argv[++i];
		else if (cli_is_help(argv[i])) {
			fputs(usage, stdout);
			return EXIT_OK;
		} else if (!sub)
			sub = argv[i];
		else if (!name)
			name = argv[i];
		else
			return cli_usage("job", "unexpected argument '%s'", argv[i]);
	}
	if (!sub)
		return cli_usage("job", "expected list, run, pause or resume");
	int list = strcmp(sub, "list") == 0;
	if (!list && strcmp(sub, "run") && strcmp(sub, "pause") && strcmp(sub, "resume"))
		return cli_usage("job", "unknown subcommand '%s'", sub);
	if (!list && !name)
		return cli_usage("job", "which job? give its NAME");
	struct store *st = access_open("job", sub, data, 1, NULL);
	if (!st)
		return EXIT_FAIL;
	char err[512];
	if (!list) {
		int rc = strcmp(sub, "run") == 0 ? jobs_request_run(st, name, err, sizeof err)
						 : jobs_set_paused(st, name, sub[0] == 'p', err, sizeof err);
		if (rc != 0)
			return cli_fail("job", EXIT_FAIL, "%s", err);
		printf("%s: %s\n", name, strcmp(sub, "run") == 0 ? "fire requested" :
		       sub[0] == 'p' ? "paused" : "resumed");
		return EXIT_OK;
	}
	struct store_buf b = {0};
	if (jobs_list_json(st, &b, json, err, sizeof err) != 0)
		return cli_fail("job", EXIT_FAIL, "%s", err);
	if (json) {
		printf("%s\n", store_buf_cstr(&b) ? b.p : "[]");
		store_buf_free(&b);
		return EXIT_OK;
	}
	printf("%-28s %-20s %-16s %-21s %-21s %s\n", "NAME", "SCHEDULE", "TZ", "NEXT", "LAST", "STATE");
	for (char *line = store_buf_cstr(&b), *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		struct json_doc d;
		if (json_parse(&d, line, (size_t)(nl - line), 0, NULL, 0) == 0) {
			const struct json_node *o = &d.n[0];
			char next[40], last[40];
			when(json_text(json_get(&d, o, "next")), next, sizeof next);
			when(json_text(json_get(&d, o, "last")), last, sizeof last);
			const char *paused = json_text(json_get(&d, o, "paused"));
			const char *running = json_text(json_get(&d, o, "running"));
			printf("%-28s %-20s %-16s %-21s %-21s %s%s%s\n", json_text(json_get(&d, o, "name")),
			       json_text(json_get(&d, o, "schedule")), json_text(json_get(&d, o, "tz")), next,
			       last, paused && strcmp(paused, "true") == 0 ? "paused" : "active",
			       running && strcmp(running, "0") ? ", running " : "",
			       running && strcmp(running, "0") ? running : "");
		}
		json_doc_free(&d);
	}
	store_buf_free(&b);
	return EXIT_OK;
}

const struct cli_command cmd_job = {
	"job", "scheduled jobs: list, run now, pause, resume", usage, job_main,
};
