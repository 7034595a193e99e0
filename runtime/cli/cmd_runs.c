/* cmd_runs.c - `soarctl runs list|show|resume|cancel`. */
#include "access.h"
#include "cli.h"
#include "uuid.h"
#include "engine.h"
#include "json.h"
#include "runopts.h"
#include "runout.h"
#include "timefmt.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"Usage: soarctl runs list [--status STATUS] [--limit N] [--json]\n"
	"       soarctl runs show ID [--json]\n"
	"       soarctl runs resume ID [--json]\n"
	"       soarctl runs cancel ID\n"
	"\n"
	"Durable runs: what ran, what waits, every step it took.\n"
	"\n"
	"  list     newest first; STATUS is running, waiting, succeeded, failed or cancelled\n"
	"  show     the run, its steps (journal), its tasks and the path it took\n"
	"  resume   continue a waiting run (a sleep that is over, a prompt that was\n"
	"           answered or timed out) or one whose process died, in the foreground\n"
	"  cancel   a waiting run is cancelled now; a running one at its next step\n"
	"\n"
	"  --data DIR   data directory (else $SOARCTL_DATA, else XDG)\n"
	"\n"
	"Exit status of resume: as `soarctl run` (0, 1, 3 waiting).\n";

static void json_str(const char *s)
{
	if (s)
		cli_json_string(stdout, s, strlen(s));
	else
		fputs("null", stdout);
}

static void print_run_json(const struct run_rec *r)
{
	printf("{\"id\":\"%s\",\"playbook\":", r->id);
	json_str(r->playbook);
	printf(",\"version\":");
	json_str(r->version);
	printf(",\"status\":\"%s\",\"path\":", run_status_name(r->status));
	json_str(r->path);
	printf(",\"hash\":");
	json_str(r->hash);
	printf(",\"case\":");
	json_str(r->case_ref);
	printf(",\"parent\":");
	json_str(r->parent);
	printf(",\"inputs\":%s,\"result\":%s,\"error\":%s", r->inputs_json ? r->inputs_json : "null",
	       r->result_json ? r->result_json : "null", r->error_json ? r->error_json : "null");
	printf(",\"waiting\":");
	if (r->status == RUN_WAITING) {
		printf("{\"kind\":");
		json_str(r->wait_kind);
		printf(",\"prompt_id\":");
		json_str(r->wait_prompt);
		printf(",\"until_ms\":%lld}", (long long)r->wait_until);
	} else {
		printf("null");
	}
	printf(",\"created_ms\":%lld,\"updated_ms\":%lld,\"finished_ms\":%lld,\"steps\":%u}",
	       (long long)r->created, (long long)r->updated, (long long)r->finished, r->steps);
}

static int list(struct store *st, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "status", required_argument, NULL, 's' },
		{ "limit", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'J' },
		{ "data", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	int status = 0, json = 0, opt;
	long limit = 50;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			status = run_status_parse(optarg);
			if (!status)
				return cli_usage("runs", "--status takes running, waiting, succeeded, failed or cancelled");
			break;
		case 'n':
			limit = strtol(optarg, NULL, 10);
			if (limit <= 0)
				return cli_usage("runs", "--limit takes a positive number");
			break;
		case 'J': json = 1; break;
		case 'd': break;
		default: return cli_usage("runs", "unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	struct run_rec *runs;
	size_t n;
	char err[512];
	if (run_list(st, status, (size_t)limit, &runs, &n, err, sizeof err) != 0)
		return cli_fail("runs", EXIT_FAIL, "%s", err);
	if (json)
		printf("[");
	else if (n)
		printf("%-36s  %-10s  %-20s  %-20s  %s\n", "ID", "STATUS", "PLAYBOOK", "STARTED", "STEPS");
	for (size_t i = 0; i < n; i++) {
		if (json) {
			if (i)
				printf(",");
			print_run_json(&runs[i]);
		} else {
			char t[TIMEFMT_MAX];
			timefmt_ms(runs[i].created, t, sizeof t);
			printf("%-36s  %-10s  %-20.20s  %-20s  %u\n", runs[i].id, run_status_name(runs[i].status),
			       runs[i].playbook ? runs[i].playbook : "?", t, runs[i].steps);
		}
		run_rec_free(&runs[i]);
	}
	if (json)
		printf("]\n");
	else if (!n)
		fprintf(stderr, "no runs\n");
	free(runs);
	return EXIT_OK;
}

/* One task of a run, from its "task" step and the matching "task.end". */
struct task_view {
	char path[256], owner[64], role[64];
	int64_t due, started, ended;
	int ended_ok;
};

/* A string or number member (what lua_isstring accepted before), or NULL. */
static const struct json_node *member(const struct json_doc *d, const struct json_node *o, const char *key)
{
	const struct json_node *v = json_get(d, o, key);
	return v && (v->type == JSON_STRING || v->type == JSON_NUMBER) ? v : NULL;
}

/* The task step's recorded result is [{path=, name=, owner=, role=, due=}]; read
 * with the C JSON reader (no Lua state for the CLI to print a run). */
static void read_task(const struct journal_entry *e, struct task_view *t)
{
	char err[128];
	struct json_doc d = { 0 };
	memset(t, 0, sizeof *t);
	t->started = e->started;
	if (e->result_json && json_parse(&d, e->result_json, strlen(e->result_json), 0, err, sizeof err) == 0) {
		const struct json_node *o = d.n[0].type == JSON_ARRAY ? json_at(&d, &d.n[0], 0) : NULL;
		if (o && o->type == JSON_OBJECT) {
			const struct json_node *path = member(&d, o, "path"), *name = member(&d, o, "name");
			const struct json_node *owner = member(&d, o, "owner"), *role = member(&d, o, "role");
			const struct json_node *due = member(&d, o, "due");
			snprintf(t->path, sizeof t->path, "%s", path ? path->str : name ? name->str : "?");
			snprintf(t->owner, sizeof t->owner, "%s", owner ? owner->str : "");
			snprintf(t->role, sizeof t->role, "%s", role ? role->str : "");
			char *end = NULL;
			double v = due ? strtod(due->str, &end) : 0;
			t->due = due && end != due->str && !*end ? (int64_t)v : 0;
		}
	}
	json_doc_free(&d);
}

/* Tasks with their owner, role and SLA: breached when it ended after its due
 * time, or is still open past it. */
static void print_tasks(const struct journal_entry *j, size_t n)
{
	int header = 0;
	int64_t now = store_now_ms();
	for (size_t i = 0; i < n; i++) {
		if (strcmp(j[i].name, "task") != 0)
			continue;
		struct task_view t;
		read_task(&j[i], &t);
		/* Its end: the first task.end after it at the same depth. */
		int depth = 0;
		for (size_t k = i + 1; k < n; k++) {
			if (strcmp(j[k].name, "task") == 0)
				depth++;
			else if (strcmp(j[k].name, "task.end") == 0 && depth-- == 0) {
				t.ended = j[k].started;
				t.ended_ok = j[k].result_json && strstr(j[k].result_json, "true") != NULL;
				break;
			}
		}
		if (!header++)
			printf("tasks:\n");
		char due[TIMEFMT_MAX];
		timefmt_ms(t.due, due, sizeof due);
		int breached = t.due && (t.ended ? t.ended : now) > t.due;
		printf("  %-24s owner %-10s role %-12s due %-20s %s, %s\n", t.path,
		       t.owner[0] ? t.owner : "-", t.role[0] ? t.role : "-", t.due ? due : "-",
		       t.ended ? (t.ended_ok ? "done" : "failed") : "open",
		       !t.due ? "no SLA" : breached ? "SLA BREACHED" : "within SLA");
	}
}

static int show(struct store *st, const char *id, int json)
{
	struct run_rec r;
	struct journal_entry *j;
	size_t n;
	char err[512];
	int rc = run_get(st, id, &r, err, sizeof err);
	if (rc != 0)
		return cli_fail("runs", EXIT_FAIL, "%s", err);  /* not found: 1, as case and job */
	if (journal_load(st, id, &j, &n, err, sizeof err) != 0) {
		run_rec_free(&r);
		return cli_fail("runs", EXIT_FAIL, "%s", err);
	}
	if (json) {
		printf("{\"run\":");
		print_run_json(&r);
		/* retention compacted the journal: its summary instead of the steps */
		printf(",\"journal_summary\":%s", r.summary ? r.summary : "null");
		printf(",\"steps\":[");
		for (size_t i = 0; i < n; i++) {
			printf("%s{\"no\":%u,\"name\":", i ? "," : "", j[i].no);
			json_str(j[i].name);
			printf(",\"args\":");
			json_str(j[i].args);
			printf(",\"task\":");
			json_str(j[i].task);
			printf(",\"result\":%s,\"error\":", j[i].result_json ? j[i].result_json : "null");
			json_str(j[i].error);
			printf(",\"started_ms\":%lld}", (long long)j[i].started);
		}
		printf("]}\n");
	} else {
		char c[TIMEFMT_MAX], f[TIMEFMT_MAX];
		timefmt_ms(r.created, c, sizeof c);
		timefmt_ms(r.finished, f, sizeof f);
		printf("run %s\n  playbook  %s%s%s\n  status    %s\n  started   %s\n  finished  %s\n",
		       r.id, r.playbook ? r.playbook : "?", r.version ? " v" : "", r.version ? r.version : "",
		       run_status_name(r.status), c, f);
		if (r.case_ref)
			printf("  case      %s\n", r.case_ref);
		if (r.parent)
			printf("  parent    %s\n", r.parent);
		if (r.status == RUN_WAITING) {
			timefmt_ms(r.wait_until, f, sizeof f);
			printf("  waiting   %s%s%s%s%s\n", r.wait_kind ? r.wait_kind : "?",
			       r.wait_prompt ? " " : "", r.wait_prompt ? r.wait_prompt : "",
			       r.wait_until ? " until " : "", r.wait_until ? f : "");
		}
		printf("  inputs    %s\n", r.inputs_json ? r.inputs_json : "{}");
		if (r.result_json)
			printf("  result    %s\n", r.result_json);
		if (r.error_json)
			printf("  error     %s\n", r.error_json);
		if (r.summary)
			printf("journal compacted by retention (the steps are gone): %s\n", r.summary);
		printf("steps (the path taken):\n");
		for (size_t i = 0; i < n; i++) {
			const char *res = j[i].error ? j[i].error : (j[i].result_json ? j[i].result_json : "");
			printf("  %3u  %-16s %-24.24s %s%.60s%s\n", j[i].no, j[i].name,
			       j[i].args ? j[i].args : "", j[i].error ? "error: " : "", res,
			       strlen(res) > 60 ? "..." : "");
			if (j[i].task && (i == 0 || !j[i - 1].task || strcmp(j[i - 1].task, j[i].task)))
				printf("       in task %s\n", j[i].task);
		}
		print_tasks(j, n);
	}
	journal_entries_free(j, n);
	run_rec_free(&r);
	return EXIT_OK;
}

static int runs_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("runs", "which action? list, show, resume or cancel");
	const char *action = argv[1];
	const char *data = NULL, *id = NULL;
	int json = 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data = argv[++i];
		else if (strncmp(argv[i], "--data=", 7) == 0)
			data = argv[i] + 7;
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (argv[i][0] != '-' && !id)
			id = argv[i];
	}
	struct store *st = access_open("runs", action, data, 0, NULL);
	if (!st)
		return EXIT_FAIL;
	if (strcmp(action, "list") == 0)
		return list(st, argc - 1, argv + 1);
	if (!id)
		return cli_usage("runs", "%s needs a run ID", action);
	if (!uuid_valid(id, strlen(id)))  /* malformed, not merely absent: a bad argument */
		return cli_usage("runs", "'%s' is not a run ID (a UUID; see soarctl runs list)", id);
	if (strcmp(action, "show") == 0)
		return show(st, id, json);
	char err[512];
	if (strcmp(action, "cancel") == 0) {
		if (run_cancel(st, id, err, sizeof err) != 0)
			return cli_fail("runs", EXIT_FAIL, "%s", err);
		printf("cancelled %s\n", id);
		return EXIT_OK;
	}
	if (strcmp(action, "resume") == 0) {
		struct sandbox_limits lim;
		runopts_init(&lim);
		struct sandbox *sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err);
		if (!sb)
			return cli_fail("runs", EXIT_FAIL, "%s", err);
		struct engine_run e;
		int status = engine_resume(sb, st, id, &lim, &e, err, sizeof err);
		if (status > 0)
			engine_run_children(sb, &e, &lim);
		int rc = status < 0 ? cli_fail("runs", EXIT_FAIL, "%s", err)
				    : runout_print("runs resume", &e, status, json);
		engine_run_clear(&e);
		sandbox_free(sb);
		return rc;
	}
	return cli_usage("runs", "unknown action '%s' (list, show, resume, cancel)", action);
}

const struct cli_command cmd_runs = {
	"runs", "list, show, resume and cancel durable runs", usage, runs_main,
};
