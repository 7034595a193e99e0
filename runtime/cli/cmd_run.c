/* cmd_run.c - `soarctl run FILE`: one playbook, now, to its end. */
#include "access.h"
#include "cli.h"
#include "datadir.h"
#include "integration.h"
#include "rbac.h"
#include "playbook.h"
#include "runopts.h"
#include "runout.h"

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
	"  --case REF           the case the run works on (ctx.case)\n"
	"  --mock               every integration answers with its mock data (no\n"
	"                       network, no credentials needed)\n"
	"  --data DIR           data directory (else $SOARCTL_DATA, else XDG); created\n"
	"                       if absent\n"
	RUNOPTS_USAGE
	"\n"
	"The run is durable: every step is journaled. A run that waits (a prompt, a\n"
	"long sleep) ends this command with status waiting; `soarctl prompt answer` or\n"
	"`soarctl runs resume` continues it.\n"
	"\n"
	"Exit status: 0 succeeded, 1 the playbook failed, 2 invalid playbook or inputs,\n"
	"3 waiting.\n";

static int run_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "input-json", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ "data", required_argument, NULL, 'd' },
		{ "case", required_argument, NULL, 'c' },
		{ "mock", no_argument, NULL, 'm' },
		RUNOPTS_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct sandbox_limits limits;
	const char *input_json = NULL, *case_ref = NULL;
	runopts_init(&limits);
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
		case 'j': input_json = optarg; break;
		case 'c': case_ref = optarg; break;
		case 'm': integration_set_mock_all(1); break;
		case 'J': json = 1; break;
		case 'd': data = optarg; break;
		case '?':
			free(inputs);
			return cli_usage("run", "unknown option or missing value: %s", argv[optind - 1]);
		default:
			rc = runopts_parse("run", opt, optarg, &limits);
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
	char err[512];
	struct store *st = access_open("run", NULL, data, 1, NULL);
	if (!st) {
		free(inputs);
		return EXIT_FAIL;
	}
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
	struct engine_options eo;
	memset(&eo, 0, sizeof eo);
	eo.limits = limits;
	eo.case_ref = case_ref;
	char user[128], actor[160];
	snprintf(actor, sizeof actor, "cli:%s", rbac_os_user(user, sizeof user));
	eo.actor = actor;
	struct engine_run e;
	int status = engine_start(sb, st, &src, inputs, ninputs, input_json, &eo, &e);
	if (status > 0)
		engine_run_children(sb, &e, &limits);
	rc = runout_print("run", &e, status, json);
	engine_run_clear(&e);
	sandbox_free(sb);
	playbook_src_free(&src);
	free(inputs);
	return rc;
}

const struct cli_command cmd_run = {
	"run", "run one playbook now, to its end", usage, run_main,
};
