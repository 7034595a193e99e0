/* runout.c - see runout.h. */
#include "runout.h"
#include "cli.h"
#include "datadir.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

static void json_str_or_null(FILE *out, const char *s)
{
	if (s)
		cli_json_string(out, s, strlen(s));
	else
		fputs("null", out);
}

static const char *status_word(int status)
{
	switch (status) {
	case RUN_SUCCEEDED: return "succeeded";
	case RUN_WAITING: return "waiting";
	case RUN_CANCELLED: return "cancelled";
	default: return "failed";
	}
}

static void print_json(const struct engine_run *e, int status)
{
	const struct sandbox_outcome *o = &e->pb.outcome;
	printf("{\"run_id\":");
	json_str_or_null(stdout, status ? e->rec.id : e->pb.info.id);
	printf(",\"playbook\":");
	json_str_or_null(stdout, e->pb.info.playbook);
	printf(",\"status\":\"%s\",\"result\":%s,\"error\":", status_word(status),
	       status == RUN_SUCCEEDED && e->pb.result_json ? e->pb.result_json : "null");
	if (status == RUN_SUCCEEDED || status == RUN_WAITING) {
		printf("null");
	} else if (status == RUN_CANCELLED) {
		printf("{\"kind\":\"cancelled\",\"message\":\"the run was cancelled\",\"file\":null,"
		       "\"line\":null,\"traceback\":null}");
	} else {
		printf("{\"kind\":\"%s\",\"message\":", engine_error_kind(e));
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
	if (status == RUN_WAITING) {
		printf(",\"waiting\":{\"kind\":");
		json_str_or_null(stdout, e->rec.wait_kind);
		printf(",\"prompt_id\":");
		json_str_or_null(stdout, e->rec.wait_prompt);
		printf(",\"until_ms\":");
		if (e->rec.wait_until)
			printf("%lld", (long long)e->rec.wait_until);
		else
			printf("null");
		printf("}");
	}
	if (e->children_json)
		printf(",\"children\":%s", e->children_json);
	printf(",\"duration_ms\":%.3f}\n", e->pb.duration_ms);
}

static void print_text(const char *cmd, const struct engine_run *e, int status)
{
	const struct sandbox_outcome *o = &e->pb.outcome;
	switch (status) {
	case RUN_SUCCEEDED:
		printf("%s\n", e->pb.result_json ? e->pb.result_json : "null");
		return;
	case 0:
		if (e->pb.bad_input)
			fprintf(stderr, "soarctl %s: bad input: %s\n", cmd, o->message);
		else
			fprintf(stderr, "soarctl %s: invalid playbook: %s\n", cmd, o->message);
		return;
	case RUN_WAITING:
		if (e->rec.wait_prompt)
			fprintf(stderr, "run %s is waiting for an answer to prompt %s\n"
				"  answer it: soarctl prompt answer %s ...   (see: soarctl prompt show %s)\n",
				e->rec.id, e->rec.wait_prompt, e->rec.wait_prompt, e->rec.wait_prompt);
		else
			fprintf(stderr, "run %s is waiting (%s)\n  continue it later: soarctl runs resume %s\n",
				e->rec.id, e->rec.wait_kind ? e->rec.wait_kind : "?", e->rec.id);
		return;
	case RUN_CANCELLED:
		fprintf(stderr, "soarctl %s: run %s was cancelled\n", cmd, e->rec.id);
		return;
	default:
		fprintf(stderr, "soarctl %s: %s failed (%s): %s\n", cmd, e->pb.info.playbook,
			engine_error_kind(e), o->message ? o->message : "?");
		if (o->file && o->line > 0 && (!o->message || !strstr(o->message, o->file)))
			fprintf(stderr, "  at %s:%d\n", o->file, o->line);
		if (o->traceback && strstr(o->traceback, "\n\t"))   /* only when it has frames */
			fprintf(stderr, "%s\n", o->traceback);
	}
}

int runout_print(const char *cmd, const struct engine_run *e, int status, int json)
{
	if (!json && e->children_json)
		fprintf(stderr, "child runs: %s\n", e->children_json);
	if (json)
		print_json(e, status);
	else
		print_text(cmd, e, status);
	switch (status) {
	case RUN_SUCCEEDED: return EXIT_OK;
	case RUN_WAITING: return EXIT_WAITING;
	case 0: return EXIT_USAGE;
	default: return EXIT_FAIL;
	}
}

void runout_need_store(const char *cmd, const char *dir)
{
	/* Only `soarctl init` makes a data directory: a typo in --data must not
	 * become an empty store that answers "no cases match". */
	struct stat sb;
	char mdb[4200];
	snprintf(mdb, sizeof mdb, "%s/store.mdb", dir);
	if (stat(dir, &sb) == 0 && stat(mdb, &sb) == 0)
		return;
	cli_fail(cmd, EXIT_USAGE, "%s at %s; run soarctl init --data %s",
		 stat(dir, &sb) != 0 ? "no data directory" : "no soarctl store", dir, dir);
	fflush(stdout);
	exit(EXIT_USAGE);  /* the documented code, whatever the caller does on NULL */
}

struct store *runout_open_store(const char *cmd, const char *data_flag, int create)
{
	char dir[4096], err[512];
	if (!datadir_resolve(data_flag, dir, sizeof dir)) {
		cli_fail(cmd, EXIT_USAGE, "no data directory: give --data DIR or set SOARCTL_DATA");
		return NULL;
	}
	runout_need_store(cmd, dir);
	(void)create;
	datadir_set(dir);
	struct store *st = store_default(err, sizeof err);
	if (!st) {
		cli_fail(cmd, EXIT_FAIL, "%s", err);
		return NULL;
	}
	return st;
}
