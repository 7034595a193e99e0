/* cmd_cron.c - `soarctl cron next`: the next fire times of an expression, so
 * people can check a schedule before they deploy it. */
#include "cli.h"
#include "cron.h"
#include "timefmt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD "cron"

static const char usage[] =
	"Usage: soarctl cron next EXPR [--from TIME] [--count N] [--tz ZONE] [--json]\n"
	"\n"
	"Prints the next fire times of a cron expression (default 5, from now), as\n"
	"RFC 3339 times in ZONE (default UTC), or why the expression is refused.\n"
	"\n"
	"EXPR: five fields (minute hour day-of-month month day-of-week) or six with a\n"
	"leading seconds field; @hourly @daily @weekly @monthly @yearly; names jan-dec,\n"
	"sun-sat; ranges a-b, steps */n a-b/n, lists a,b; L = last day of the month.\n"
	"When both day fields are restricted, either matching is enough (Vixie cron).\n"
	"TIME: RFC 3339 (2026-03-29T00:00:00Z, or without offset: local time in ZONE);\n"
	"a fire at exactly TIME is listed.\n"
	"ZONE: an IANA name (Europe/Berlin), UTC, or an offset (+02:00).\n"
	"Exit codes: 0 ok, 2 refused expression or bad arguments.\n";

static int count_arg(const char *v, long *count)
{
	char *end;
	*count = strtol(v, &end, 10);
	return *end || *count < 1 || *count > 10000 ? -1 : 0;
}

int cmd_cron_main(int argc, char **argv)
{
	const char *from = NULL, *tz = NULL, *expr = NULL;
	long count = 5;
	int json = 0;
	if (argc >= 2 && cli_is_help(argv[1])) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc < 2 || strcmp(argv[1], "next") != 0)
		return cli_usage(CMD, "expected: cron next EXPR");
	/* By hand, not getopt: an expression is one argument that may hold spaces. */
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		int more = i + 1 < argc;
		if (cli_is_help(a)) {
			fputs(usage, stdout);
			return EXIT_OK;
		} else if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (strcmp(a, "--tz") == 0 && more) {
			tz = argv[++i];
		} else if (strcmp(a, "--from") == 0 && more) {
			from = argv[++i];
		} else if (strcmp(a, "--count") == 0 && more) {
			if (count_arg(argv[++i], &count) != 0)
				return cli_usage(CMD, "--count: a number from 1 to 10000");
		} else if (strncmp(a, "--", 2) == 0 && a[2]) {
			return cli_usage(CMD, "unknown option or missing value: %s", a);
		} else if (!expr) {
			expr = a;
		} else {
			return cli_usage(CMD, "one expression expected; quote it: '%s %s'", expr, a);
		}
	}
	if (!expr)
		return cli_usage(CMD, "expected: cron next EXPR");
	char err[256];
	if (tz && !cron_tz_ok(tz))
		return cli_fail(CMD, EXIT_USAGE, "unknown time zone '%s'", tz);
	struct cron_expr ce;
	if (cron_parse(expr, &ce, err, sizeof err) != 0) {
		if (json) {
			printf("{\"expr\":");
			cli_json_string(stdout, expr, strlen(expr));
			printf(",\"error\":");
			cli_json_string(stdout, err, strlen(err));
			printf("}\n");
		}
		return cli_fail(CMD, EXIT_USAGE, "refused '%s': %s", expr, err);
	}
	double start = timefmt_now();
	if (from && timefmt_parse(from, strlen(from), tz, &start, err, sizeof err) != 0)
		return cli_usage(CMD, "--from: %s", err);
	int64_t t = (int64_t)start;
	if ((double)t > start) /* floor, for times before 1970 */
		t--;
	/* "from" is inclusive for a whole second: the fire at exactly --from counts. */
	if ((double)t == start)
		t--;
	if (json) {
		printf("{\"expr\":");
		cli_json_string(stdout, expr, strlen(expr));
		printf(",\"tz\":");
		cli_json_string(stdout, tz ? tz : "UTC", strlen(tz ? tz : "UTC"));
		printf(",\"next\":[");
	}
	for (long i = 0; i < count; i++) {
		int64_t n;
		char buf[TIMEFMT_MAX];
		if (cron_next(&ce, tz, t, &n, err, sizeof err) != 0) {
			if (json)
				printf("]}\n");
			return cli_fail(CMD, EXIT_FAIL, "%s", err);
		}
		timefmt_iso((double)n, 0, tz, buf, sizeof buf, NULL, 0);
		if (json)
			printf("%s\"%s\"", i ? "," : "", buf);
		else
			printf("%s\n", buf);
		t = n;
	}
	if (json)
		printf("]}\n");
	return EXIT_OK;
}

const struct cli_command cmd_cron = {
	.name = "cron",
	.summary = "check a cron expression: its next fire times",
	.usage = usage,
	.main = cmd_cron_main,
};
