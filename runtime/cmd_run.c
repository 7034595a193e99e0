/* cmd_run.c - `soarctl run FILE`: one playbook, now, to its end. */
#include "cli.h"
#include "datadir.h"
#include "playbook.h"
#include "runopts.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: soarctl run FILE [--input KEY=VALUE]... [--input-json JSON] [--json]\n"
	"\n"
	"Runs the playbook in FILE to its end and prints its result.\n"
	"\n"
	"  --input KEY=VALUE    an input; VALUE is converted to the type the playbook\n"
	"                       declares (number, integer, boolean, table as JSON)\n"
	"  --input-json JSON    inputs as one JSON object (--input entries win)\n"
	"  --json               print exactly one JSON object on stdout:\n"
	"                       {run_id, playbook, status, result, error, duration_ms}\n"
	"  --data DIR           data directory (else $SOARCTL_DATA, else XDG)\n"
	RUNOPTS_USAGE
	"\n"
	"Exit status: 0 succeeded, 1 the playbook failed, 2 invalid playbook or inputs.\n";

static const char *error_kind(const struct playbook_run *run)
{
	if (run->status == PLAYBOOK_INVALID)
		return "invalid";
	switch (run->outcome.status) {
	case SANDBOX_OUT_OF_MEMORY: return "out_of_memory";
	case SANDBOX_CPU_LIMIT: return "cpu_limit";
	case SANDBOX_WALL_LIMIT: return "wall_limit";
	case SANDBOX_RESULT_TOO_LARGE: return "result_too_large";
	case SANDBOX_INTERNAL: return "internal";
	default: return "error";
	}
}

static void json_str_or_null(FILE *out, const char *s)
{
	if (s)
		cli_json_string(out, s, strlen(s));
	else
		fputs("null", out);
}

static void print_json(const struct playbook_run *run)
{
	const struct sandbox_outcome *o = &run->outcome;
	printf("{\"run_id\":");
	json_str_or_null(stdout, run->info.id);
	printf(",\"playbook\":");
	json_str_or_null(stdout, run->info.playbook);
	printf(",\"status\":\"%s\",\"result\":%s,\"error\":",
	       run->status == PLAYBOOK_SUCCEEDED ? "succeeded" : "failed",
	       run->result_json ? run->result_json : "null");
	if (run->status == PLAYBOOK_SUCCEEDED) {
		printf("null");
	} else {
		printf("{\"kind\":\"%s\",\"message\":", error_kind(run));
		json_str_or_null(stdout, o->message);
		printf(",\"file\":");
		json_str_or_null(stdout, o->file);
		printf(",\"line\":");
		if (o->line > 0)
			printf("%d", o->line);
		else
			printf("null");
		printf(",\"traceback\":");
		json_str_or_null(stdout, o->traceback);
		printf("}");
	}
	printf(",\"duration_ms\":%.3f}\n", run->duration_ms);
}

static void print_text(const struct playbook_run *run)
{
	const struct sandbox_outcome *o = &run->outcome;
	if (run->status == PLAYBOOK_SUCCEEDED) {
		printf("%s\n", run->result_json ? run->result_json : "null");
		return;
	}
	if (run->status == PLAYBOOK_INVALID) {
		fprintf(stderr, "soarctl run: invalid playbook: %s\n", o->message);
		return;
	}
	fprintf(stderr, "soarctl run: %s failed (%s): %s\n", run->info.playbook, error_kind(run), o->message);
	if (o->file && o->line > 0 && !strstr(o->message, o->file))
		fprintf(stderr, "  at %s:%d\n", o->file, o->line);
	if (o->traceback)
		fprintf(stderr, "%s\n", o->traceback);
}

static int run_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "input-json", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ "data", required_argument, NULL, 'd' },
		RUNOPTS_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct playbook_run run;
	memset(&run, 0, sizeof run);
	runopts_init(&run.limits);
	char **inputs = calloc((size_t)argc, sizeof *inputs);
	int ninputs = 0, json = 0, opt, rc;
	const char *data = NULL;
	if (!inputs)
		return cli_fail("run", EXIT_FAIL, "out of memory");
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i': inputs[ninputs++] = optarg; break;
		case 'j': run.input_json = optarg; break;
		case 'J': json = 1; break;
		case 'd': data = optarg; break;
		case '?':
			free(inputs);
			return cli_usage("run", "unknown option or missing value: %s", argv[optind - 1]);
		default:
			rc = runopts_parse("run", opt, optarg, &run.limits);
			if (rc < 0) {
				free(inputs);
				return EXIT_USAGE;
			}
		}
	}
	if (optind != argc - 1) {
		free(inputs);
		return cli_usage("run", optind >= argc ? "which playbook? give a FILE"
					: "one playbook FILE at a time");
	}
	char dir[4096];
	if (datadir_resolve(data, dir, sizeof dir))
		datadir_set(dir);

	char err[512];
	struct playbook_src src;
	if (playbook_load_file(argv[optind], &src, err, sizeof err) != 0) {
		free(inputs);
		return cli_fail("run", EXIT_USAGE, "%s", err);
	}
	struct sandbox *sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err);
	if (!sb) {
		playbook_src_free(&src);
		free(inputs);
		return cli_fail("run", EXIT_FAIL, "%s", err);
	}
	run.src = &src;
	run.inputs = inputs;
	run.ninputs = ninputs;
	playbook_run(sb, &run);
	if (json)
		print_json(&run);
	else
		print_text(&run);
	rc = run.status == PLAYBOOK_SUCCEEDED ? EXIT_OK
	     : run.status == PLAYBOOK_INVALID ? EXIT_USAGE : EXIT_FAIL;
	playbook_run_clear(&run);
	sandbox_free(sb);
	playbook_src_free(&src);
	free(inputs);
	return rc;
}

const struct cli_command cmd_run = {
	"run", "run one playbook now, to its end", usage, run_main,
};
