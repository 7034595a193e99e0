/* cmd_prompt.c - `soarctl prompt list|show|answer`: questions runs ask people. */
#include "access.h"
#include "cli.h"
#include "audit.h"
#include "engine.h"
#include "rbac.h"
#include "json.h"
#include "prompt_form.h"
#include "daemon_prompt.h"
#include "runopts.h"
#include "runout.h"
#include "store_buf.h"
#include "timefmt.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
	"Usage: soarctl prompt list [--all] [--json]\n"
	"       soarctl prompt show ID [--json]\n"
	"       soarctl prompt answer ID (--choice OPTION | --field NAME=VALUE...) [--json]\n"
	"                                [--no-resume]\n"
	"\n"
	"Prompts are questions a run asks a person (prompt.ask); the run waits, holding\n"
	"no interpreter, until one is answered.\n"
	"\n"
	"  list         open prompts (--all: answered ones too), newest first\n"
	"  show         the question, its options or form fields, who may answer\n"
	"  answer       records the answer and continues the run in the foreground\n"
	"               (--no-resume: leave that to the daemon or `runs resume`)\n"
	"  --choice     one of the prompt's options\n"
	"  --field      NAME=VALUE for each field of a form (repeat NAME for several\n"
	"               choices); VALUE is checked and converted to the field's type\n"
	"               (string, text, number, integer, boolean, choice, choices, date)\n"
	"  --data DIR   data directory (else $SOARCTL_DATA, else XDG)\n"
	"\n"
	"Exit status of answer: as `soarctl run` for the resumed run (0, 1, 3 waiting).\n";

static void json_str(const char *s)
{
	if (s)
		cli_json_string(stdout, s, strlen(s));
	else
		fputs("null", stdout);
}

static void print_prompt_json(const struct prompt_rec *p)
{
	printf("{\"id\":\"%s\",\"run_id\":\"%s\",\"step\":%u,\"question\":", p->id, p->run_id, p->step);
	json_str(p->question);
	printf(",\"spec\":%s,\"to\":", p->spec_json ? p->spec_json : "null");
	json_str(p->to);
	printf(",\"task\":");
	json_str(p->task);
	printf(",\"open\":%s,\"answer\":%s,\"answered_by\":", p->open ? "true" : "false",
	       p->answer_json ? p->answer_json : "null");
	json_str(p->answered_by);
	printf(",\"created_ms\":%lld,\"timeout_ms\":%lld,\"answered_ms\":%lld", (long long)p->created,
	       (long long)p->timeout_at, (long long)p->answered_at);
	/* delivery by the daemon: what is declared, what was done, what is next */
	printf(",\"notify\":%s,\"delivery\":%s,\"escalated_to\":", p->notify_json ? p->notify_json : "null",
	       p->state_json ? p->state_json : "null");
	json_str(p->escalated_to);
	printf(",\"due_ms\":%lld}", (long long)p->due_at);
}

/* --choice and --field NAME=VALUE (repeated for a several-of field) as the
 * form check's values. */
struct cli_values {
	const char *choice;
	char **fields;
	int nfields;
};

static const char *cli_get(void *ud, const char *name, int i)
{
	const struct cli_values *v = ud;
	if (strcmp(name, "choice") == 0)
		return i == 0 ? v->choice : NULL;
	size_t n = strlen(name);
	for (int k = 0; k < v->nfields; k++)
		if (strncmp(v->fields[k], name, n) == 0 && v->fields[k][n] == '=' && i-- == 0)
			return v->fields[k] + n + 1;
	return NULL;
}

/* Builds the answer JSON from --choice / --field with the one check every
 * answer path uses (prompt_form.h). A malloc'd string, or NULL with err. */
static char *build_answer(const char *spec_json, const char *choice, char **fields, int nfields,
			  char *err, size_t errlen)
{
	struct pform pf;
	if (pform_parse(&pf, spec_json, err, errlen) != 0) {
		pform_free(&pf);
		return NULL;
	}
	char *out = NULL;
	if (pf.is_choice && (!choice || nfields)) {
		snprintf(err, errlen, "this prompt takes --choice (one of its options)");
		goto done;
	}
	if (!pf.is_choice && choice) {
		snprintf(err, errlen, "this prompt is a form: answer with --field NAME=VALUE for each field");
		goto done;
	}
	for (int i = 0; i < nfields; i++) {
		const char *eq = strchr(fields[i], '=');
		int known = 0;
		for (int k = 0; eq && k < pf.nf && !known; k++)
			known = strlen(pf.f[k].name) == (size_t)(eq - fields[i]) &&
				strncmp(pf.f[k].name, fields[i], (size_t)(eq - fields[i])) == 0;
		if (!eq || eq == fields[i]) {
			snprintf(err, errlen, "--field takes NAME=VALUE, got \"%s\"", fields[i]);
			goto done;
		}
		if (!known) {
			snprintf(err, errlen, "the form has no field '%.*s'", (int)(eq - fields[i]), fields[i]);
			goto done;
		}
	}
	struct cli_values v = { choice, fields, nfields };
	struct pform_result r;
	if (pform_validate(&pf, cli_get, &v, 0, &r) == 0) {
		out = r.answer_json;
		r.answer_json = NULL;
	} else {
		snprintf(err, errlen, "%s", r.err);
	}
	pform_result_free(&r);
done:
	pform_free(&pf);
	return out;
}

static int answer(struct store *st, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "choice", required_argument, NULL, 'c' },
		{ "field", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'J' },
		{ "no-resume", no_argument, NULL, 'N' },
		{ "data", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *choice = NULL;
	char **fields = calloc((size_t)argc, sizeof *fields);
	int nfields = 0, json = 0, resume = 1, opt, rc;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': choice = optarg; break;
		case 'f': fields[nfields++] = optarg; break;
		case 'J': json = 1; break;
		case 'N': resume = 0; break;
		case 'd': break;
		default:
			free(fields);
			return cli_usage("prompt", "unknown option or missing value: %s", argv[optind - 1]);
		}
	}
	if (optind != argc - 1) {
		free(fields);
		return cli_usage("prompt", "answer takes one prompt ID");
	}
	const char *id = argv[optind];
	char err[512];
	struct prompt_rec p;
	rc = prompt_get(st, id, &p, err, sizeof err);
	if (rc != 0) {
		free(fields);
		return cli_fail("prompt", rc == 1 ? EXIT_USAGE : EXIT_FAIL, "%s", err);
	}
	/* Who may answer: the prompt.answer permission, and when the prompt is
	 * addressed to someone, that user or a member of that role. */
	char user[128], actor[160];
	rbac_os_user(user, sizeof user);
	snprintf(actor, sizeof actor, "cli:%s", user);
	rc = rbac_require(st, user, actor, RBAC_PROMPT_ANSWER, id, err, sizeof err);
	if (rc == 0 && p.to && strcmp(p.to, user) != 0) {
		int m = rbac_member(st, user, p.to, err, sizeof err);
		if (m != 1) {
			if (m == 0)
				snprintf(err, sizeof err, "prompt %s is for %s; %s is not a member (an admin "
					 "adds the role to yours: soarctl user role %s CURRENT_ROLES,%s; "
					 "soarctl user list shows them)", id, p.to, user, user, p.to);
			char details[256], aerr[256];
			snprintf(details, sizeof details, "{\"to\":\"%s\"}", p.to);
			audit_append(st, actor, "prompt.denied", id, details, aerr, sizeof aerr);
			rc = RBAC_DENIED;
		}
	}
	if (rc != 0) {
		prompt_rec_free(&p);
		free(fields);
		return cli_fail("prompt", EXIT_FAIL, "%s", err);
	}
	if (!p.open) {
		cli_fail("prompt", EXIT_USAGE, "prompt %s was already answered by %s", id,
			 p.answered_by ? p.answered_by : "?");
		prompt_rec_free(&p);
		free(fields);
		return EXIT_USAGE;
	}
	char *ans = build_answer(p.spec_json ? p.spec_json : "{}", choice, fields, nfields, err, sizeof err);
	free(fields);
	if (!ans) {
		prompt_rec_free(&p);
		return cli_fail("prompt", EXIT_USAGE, "%s", err);
	}
	rc = prompt_answer(st, id, ans, user, err, sizeof err);
	if (rc == 0) {
		char aerr[256];
		audit_append(st, actor, "prompt.answer", id, ans, aerr, sizeof aerr);
		/* the prompt's Slack message, if the daemon posted one, says who answered */
		if (p.state_json && strstr(p.state_json, "\"ts\"") &&
		    dprompt_slack_answered(st, id, aerr, sizeof aerr) != 0)
			fprintf(stderr, "soarctl prompt: answered; the Slack message was not updated: %s\n", aerr);
	}
	free(ans);
	if (rc != 0) {
		prompt_rec_free(&p);
		return cli_fail("prompt", EXIT_FAIL, "%s", err);
	}
	if (!resume) {
		printf("answered %s; run %s continues when resumed\n", id, p.run_id);
		prompt_rec_free(&p);
		return EXIT_OK;
	}
	struct sandbox_limits lim;
	runopts_init(&lim);
	struct sandbox *sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err);
	if (!sb) {
		prompt_rec_free(&p);
		return cli_fail("prompt", EXIT_FAIL, "%s", err);
	}
	struct engine_run e;
	int status = engine_resume(sb, st, p.run_id, &lim, &e, err, sizeof err);
	if (status > 0)
		engine_run_children(sb, &e, &lim);
	rc = status < 0 ? cli_fail("prompt", EXIT_FAIL, "answered, but run %s did not resume: %s",
				   p.run_id, err)
			: runout_print("prompt answer", &e, status, json);
	engine_run_clear(&e);
	sandbox_free(sb);
	prompt_rec_free(&p);
	return rc;
}

static int prompt_main(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("prompt", "which action? list, show or answer");
	const char *action = argv[1], *data = NULL, *id = NULL;
	int json = 0, all = 0;
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--data") == 0 && i + 1 < argc)
			data = argv[++i];
		else if (strncmp(argv[i], "--data=", 7) == 0)
			data = argv[i] + 7;
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (argv[i][0] != '-' && !id && i > 1 && strcmp(argv[i - 1], "--choice") &&
			 strcmp(argv[i - 1], "--field"))
			id = argv[i];
	}
	struct store *st = access_open("prompt", action, data, 0, NULL);
	if (!st)
		return EXIT_FAIL;
	char err[512];
	if (strcmp(action, "answer") == 0)
		return answer(st, argc - 1, argv + 1);
	if (strcmp(action, "list") == 0) {
		struct prompt_rec *ps;
		size_t n;
		if (prompt_list(st, !all, 0, &ps, &n, err, sizeof err) != 0)
			return cli_fail("prompt", EXIT_FAIL, "%s", err);
		if (json)
			printf("[");
		else if (n)
			printf("%-36s  %-6s  %-12s  %s\n", "ID", "OPEN", "TO", "QUESTION");
		for (size_t i = 0; i < n; i++) {
			if (json) {
				if (i)
					printf(",");
				print_prompt_json(&ps[i]);
			} else {
				printf("%-36s  %-6s  %-12.12s  %s\n", ps[i].id, ps[i].open ? "open" : "closed",
				       ps[i].to ? ps[i].to : "anyone", ps[i].question ? ps[i].question : "");
			}
			prompt_rec_free(&ps[i]);
		}
		if (json)
			printf("]\n");
		else if (!n)
			fprintf(stderr, "no %sprompts\n", all ? "" : "open ");
		free(ps);
		return EXIT_OK;
	}
	if (strcmp(action, "show") == 0) {
		if (!id)
			return cli_usage("prompt", "show needs a prompt ID");
		struct prompt_rec p;
		int rc = prompt_get(st, id, &p, err, sizeof err);
		if (rc != 0)
			return cli_fail("prompt", rc == 1 ? EXIT_USAGE : EXIT_FAIL, "%s", err);
		if (json) {
			print_prompt_json(&p);
			printf("\n");
		} else {
			char c[TIMEFMT_MAX], t[TIMEFMT_MAX];
			timefmt_ms(p.created, c, sizeof c);
			timefmt_ms(p.timeout_at, t, sizeof t);
			printf("prompt %s (%s)\n  question  %s\n  answers   %s\n  to        %s\n"
			       "  run       %s (step %u)\n  asked     %s\n  timeout   %s\n",
			       p.id, p.open ? "open" : "answered", p.question ? p.question : "",
			       p.spec_json ? p.spec_json : "", p.to ? p.to : "anyone", p.run_id, p.step, c, t);
			if (p.task)
				printf("  task      %s\n", p.task);
			if (!p.open)
				printf("  answer    %s by %s\n", p.answer_json ? p.answer_json : "null",
				       p.answered_by ? p.answered_by : "?");
		}
		prompt_rec_free(&p);
		return EXIT_OK;
	}
	return cli_usage("prompt", "unknown action '%s' (list, show, answer)", action);
}

const struct cli_command cmd_prompt = {
	"prompt", "list, show and answer prompts from runs", usage, prompt_main,
};
