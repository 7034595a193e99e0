/* cmd_debug.c - `soarctl debug`: a playbook run, or a recorded run replayed,
 * under the debugger (engine/debugger.h), at a terminal (lineedit.h: history,
 * completion) or reading commands from a pipe. See docs/debugging.md. */
#include "access.h"
#include "cli.h"
#include "dap.h"
#include "debugger.h"
#include "integration.h"
#include "lineedit.h"
#include "playbook.h"
#include "rbac.h"
#include "runopts.h"
#include "runout.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"Usage: soarctl debug PLAYBOOK [--input KEY=VALUE]... [--input-json JSON]\n"
	"                     [--case REF] [--mock] [--dry]\n"
	"       soarctl debug --run RUN_ID\n"
	"       soarctl debug --dap\n"
	"\n"
	"Runs a playbook under the debugger: breakpoints on lines and on steps (a\n"
	"primitive or integration command such as http.get, abuseipdb.check, or a task\n"
	"name), stepping, frames, values, step results to override, and travel back\n"
	"through the journal (the run replays from its start; nothing is sent again).\n"
	"`help` at the (debug) prompt lists the commands; Ctrl-C pauses a running\n"
	"playbook at its next line.\n"
	"\n"
	"  --run RUN_ID         replay a recorded run (finished, failed or waiting) from\n"
	"                       its journal: nothing is sent or recorded; it stops where\n"
	"                       it failed\n"
	"  --dap                serve the Debug Adapter Protocol on stdin/stdout (for\n"
	"                       VS Code, nvim-dap): launch {program, inputs, dry, mock,\n"
	"                       stopOnEntry} or attach {runId}\n"
	"  --dry                nothing world-touching acts: each such step asks for its\n"
	"                       result (override) or, with --mock, takes its mock\n"
	"  --input, --input-json, --case, --mock, --data   as for `soarctl run`\n"
	RUNOPTS_USAGE
	"\n"
	"A debugged run that is not dry is journaled like any run.\n";

struct ui {
	int interactive;
	struct dbg *d;
};

/* Ctrl-C while the playbook runs pauses it at its next line; a second one
 * before it gets there (a step waiting on the network) ends the session. */
static int pause_req;
static volatile sig_atomic_t at_prompt;   /* the line editor has the terminal */

static void on_sigint(int sig)
{
	(void)sig;
	if (at_prompt)
		return;
	if (__atomic_exchange_n(&pause_req, 1, __ATOMIC_ACQ_REL)) {
		static const char msg[] = "\ninterrupted twice: the debugger ends\n";
		if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
			/* nothing more to do */
		}
		_exit(130);
	}
}

static char *read_line(void *ud, const char *prompt)
{
	struct ui *u = ud;
	if (u->interactive) {
		at_prompt = 1;
		char *line = lineedit_read(prompt);
		at_prompt = 0;
		if (line && line[strspn(line, " \t")])
			lineedit_remember(line);
		return line;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		return NULL;
	}
	if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = 0;
	return line;
}

static void add_cand(const char *cand, void *ud)
{
	(void)ud;
	lineedit_add(cand);
}

static void complete(void *ud, const char *line, int start, const char *word)
{
	struct ui *u = ud;
	if (u->d)
		dbg_complete(u->d, line, start, word, add_cand, NULL);
}

static int debug_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "input-json", required_argument, NULL, 'j' },
		{ "data", required_argument, NULL, 'd' },
		{ "case", required_argument, NULL, 'c' },
		{ "mock", no_argument, NULL, 'm' },
		{ "dry", no_argument, NULL, 'D' },
		{ "run", required_argument, NULL, 'R' },
		{ "dap", no_argument, NULL, 'A' },
		RUNOPTS_LONG,
		{ NULL, 0, NULL, 0 },
	};
	struct dbg_config cfg;
	memset(&cfg, 0, sizeof cfg);
	runopts_init(&cfg.opt.limits);
	char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
	int ninputs = 0, opt, dap = 0;
	const char *data = NULL;
	if (!inputs)
		return cli_fail("debug", EXIT_FAIL, "out of memory");
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i': inputs[ninputs++] = optarg; break;
		case 'j': cfg.input_json = optarg; break;
		case 'c': cfg.opt.case_ref = optarg; break;
		case 'm': integration_set_mock_all(1); break;
		case 'D': cfg.dry = 1; break;
		case 'R': cfg.run_id = optarg; break;
		case 'A': dap = 1; break;
		case 'd': data = optarg; break;
		case '?':
			free(inputs);
			return cli_usage("debug", "unknown option or missing value: %s", argv[optind - 1]);
		default:
			if (runopts_parse("debug", opt, optarg, &cfg.opt.limits) < 0) {
				free(inputs);
				return EXIT_USAGE;
			}
		}
	}
	if (dap) {
		free(inputs);
		if (optind != argc)
			return cli_usage("debug", "--dap takes no playbook: the client's launch names it");
		return dap_main(data, &cfg.opt.limits);
	}
	if (cfg.run_id ? optind != argc : optind != argc - 1) {
		free(inputs);
		return cli_usage("debug", cfg.run_id ? "--run RUN_ID takes no playbook: the run names it"
				 : optind >= argc ? "which playbook? give a FILE (or --run RUN_ID)"
				 : "one playbook FILE at a time");
	}
	char err[512];
	struct store *st = access_open("debug", NULL, data, 1, NULL);
	if (!st) {
		free(inputs);
		return EXIT_FAIL;
	}
	struct playbook_src src;
	memset(&src, 0, sizeof src);
	if (!cfg.run_id && playbook_load_file(argv[optind], &src, err, sizeof err) != 0) {
		free(inputs);
		return cli_fail("debug", EXIT_USAGE, "%s", err);
	}
	struct sandbox *sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err);
	if (!sb) {
		playbook_src_free(&src);
		free(inputs);
		return cli_fail("debug", EXIT_FAIL, "%s", err);
	}
	char user[128], actor[160];
	snprintf(actor, sizeof actor, "cli:%s", rbac_os_user(user, sizeof user));
	cfg.opt.actor = actor;
	cfg.sb = sb;
	cfg.st = st;
	cfg.src = cfg.run_id ? NULL : &src;
	cfg.inputs = inputs;
	cfg.ninputs = ninputs;
	cfg.out = stdout;
	struct ui u = { isatty(STDIN_FILENO), NULL };
	cfg.read_line = read_line;
	cfg.ui = &u;
	cfg.pause_req = &pause_req;
	int rc = EXIT_OK;
	struct dbg *d = dbg_new(&cfg, err, sizeof err);
	if (!d) {
		rc = cli_fail("debug", EXIT_FAIL, "%s", err);
	} else {
		u.d = d;
		struct sigaction sa, old_sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_sigint;
		if (u.interactive) {
			lineedit_open("debug_history", " \t\n\"'=(,{[+-*/<>~", complete, &u);
			sigaction(SIGINT, &sa, &old_sa);
		}
		dbg_session(d);
		if (u.interactive)
			sigaction(SIGINT, &old_sa, NULL);
		if (u.interactive)
			lineedit_close();
		dbg_free(d);
	}
	sandbox_free(sb);
	playbook_src_free(&src);
	free(inputs);
	return rc;
}

const struct cli_command cmd_debug = {
	"debug", "a playbook (or a recorded run) under the debugger: breakpoints, steps, travel back",
	usage, debug_main,
};
