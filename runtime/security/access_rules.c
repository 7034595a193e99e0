/* access_rules.c - the permission tables of the command line and of the HTTP
 * API (see access_rules.h). */
#include "access_rules.h"

#include <stdio.h>
#include <string.h>

/* Every command-line action. The API's twins (access_routes below) carry the
 * same permission; tests/unit/test_rbac.c checks that each pair agrees, and a
 * command without a rule here is refused, so a new subcommand cannot slip
 * through unchecked. "*" matches any subcommand. */
static const struct {
	const char *cmd, *sub;
	unsigned perm;
} cli_rules[] = {
	{ "case", "list", RBAC_CASE_READ },
	{ "case", "show", RBAC_CASE_READ },
	{ "case", "children", RBAC_CASE_READ },
	{ "case", "check", RBAC_CASE_READ },
	{ "case", "export", RBAC_CASE_READ },
	{ "case", "import", RBAC_USER_MANAGE },
	{ "case", "new", RBAC_CASE_WRITE },
	{ "case", "update", RBAC_CASE_WRITE },
	{ "case", "close", RBAC_CASE_WRITE },
	{ "case", "note", RBAC_CASE_WRITE },
	{ "case", "attach", RBAC_CASE_WRITE },
	{ "case", "attachment", RBAC_CASE_READ },
	{ "case", "link", RBAC_CASE_WRITE },
	{ "indicator", "get", RBAC_CASE_READ },
	{ "indicator", "list", RBAC_CASE_READ },
	{ "indicator", "set", RBAC_CASE_WRITE },
	{ "edl", "list", RBAC_CASE_READ },
	{ "edl", "show", RBAC_CASE_READ },
	{ "edl", "add", RBAC_CASE_WRITE },
	{ "edl", "rm", RBAC_CASE_WRITE },
	{ "edl", "export", RBAC_CASE_WRITE },
	/* prompts name who must answer and what: seen by those who may answer, as
	 * the API's form is */
	{ "prompt", "list", RBAC_PROMPT_ANSWER },
	{ "prompt", "show", RBAC_PROMPT_ANSWER },
	{ "prompt", "answer", RBAC_PROMPT_ANSWER },
	{ "runs", "list", RBAC_CASE_READ },
	{ "runs", "show", RBAC_CASE_READ },
	{ "runs", "resume", RBAC_PLAYBOOK_RUN },
	{ "runs", "cancel", RBAC_PLAYBOOK_RUN },
	{ "job", "list", RBAC_CASE_READ },
	{ "job", "run", RBAC_JOB_MANAGE },
	{ "job", "pause", RBAC_JOB_MANAGE },
	{ "job", "resume", RBAC_JOB_MANAGE },
	{ "run", NULL, RBAC_PLAYBOOK_RUN },
	{ "report", NULL, RBAC_CASE_READ },
	/* `test` on its own scratch store checks nothing; with --data it runs
	 * playbooks against that store */
	{ "test", NULL, RBAC_PLAYBOOK_RUN },
	/* the daemon runs playbooks and fires jobs for everyone */
	{ "serve", NULL, RBAC_PLAYBOOK_RUN | RBAC_JOB_MANAGE },
	{ "secret", "*", RBAC_SECRET_WRITE },
	{ "audit", "*", RBAC_AUDIT_READ },
	/* user: whoami and your own tokens for any user; managing others is
	 * checked again by cmd_user.c (user.manage) */
	{ "user", "whoami", ACCESS_KNOWN },
	{ "user", "token", ACCESS_KNOWN },
	{ "user", "tokens", ACCESS_KNOWN },
	{ "user", "revoke", ACCESS_KNOWN },
	{ "user", "token-check", ACCESS_OPEN }, /* the token on stdin is the credential */
	{ "user", "roles", ACCESS_OPEN },
	{ "user", "*", RBAC_USER_MANAGE },
	/* no store data: cron expressions, integration manifests on disk, and init
	 * (which makes the OS user running it the first admin of a new store only) */
	{ "cron", "*", ACCESS_OPEN },
	{ "integration", "list", ACCESS_OPEN },
	{ "integration", "show", ACCESS_OPEN },
	{ "integration", "test", RBAC_PLAYBOOK_RUN }, /* through `test` */
	/* the integration kit: files only; record calls the vendor with the
	 * integration's secrets, as a run would */
	{ "integration", "new", ACCESS_OPEN },
	{ "integration", "import-xsoar", ACCESS_OPEN },
	{ "integration", "record", RBAC_PLAYBOOK_RUN },
	{ "lint", NULL, RBAC_PLAYBOOK_RUN },     /* opens a store only with --data (grants) */
	{ "init", NULL, ACCESS_OPEN },
	{ "repl", NULL, RBAC_PLAYBOOK_RUN },   /* attaching a case: case.write, checked by repl */
	{ "debug", NULL, RBAC_PLAYBOOK_RUN },
	{ "backup", NULL, RBAC_USER_MANAGE },
	{ "restore", NULL, ACCESS_OPEN },       /* makes a new data directory from a checked backup */
	{ "store", "check", RBAC_AUDIT_READ },
	{ "store", "stats", RBAC_AUDIT_READ },
	{ "store", "compact", RBAC_USER_MANAGE },
	{ "store", "retain", RBAC_USER_MANAGE },
};
#define NRULES (sizeof cli_rules / sizeof cli_rules[0])

const struct access_route_rule access_routes[ROUTE_COUNT] = {
	[ROUTE_METRICS] = { "GET /metrics", NULL, RBAC_CASE_READ },
	[ROUTE_EDL] = { "GET /edl/LIST", "edl show", RBAC_CASE_READ },
	[ROUTE_PROMPT_FORM] = { "GET /prompts/ID", "prompt show", RBAC_PROMPT_ANSWER },
	[ROUTE_PROMPT_ANSWER] = { "POST /api/v1/prompts/ID/answer", "prompt answer",
				  RBAC_PROMPT_ANSWER },
	[ROUTE_ALERTS] = { "POST /api/v1/alerts", "case new", RBAC_CASE_WRITE },
	[ROUTE_CASES_READ] = { "GET /api/v1/cases", "case list", RBAC_CASE_READ },
	[ROUTE_CASES_WRITE] = { "POST /api/v1/cases", "case update", RBAC_CASE_WRITE },
	[ROUTE_RUNS_READ] = { "GET /api/v1/runs", "runs show", RBAC_CASE_READ },
	[ROUTE_RUNS_CONTROL] = { "POST /api/v1/runs/ID/resume|cancel", "runs resume",
				 RBAC_PLAYBOOK_RUN },
	[ROUTE_JOBS_READ] = { "GET /api/v1/jobs", "job list", RBAC_CASE_READ },
	[ROUTE_JOBS_MANAGE] = { "POST /api/v1/jobs/NAME/run|pause|resume", "job run",
				RBAC_JOB_MANAGE },
	[ROUTE_WARROOM] = { "POST /api/v1/cases/REF/warroom", "case note", RBAC_CASE_WRITE },
	[ROUTE_PLAYBOOK_START] = { "POST /api/v1/playbooks/NAME/runs", "run", RBAC_PLAYBOOK_RUN },
	[ROUTE_FORMS] = { "GET|POST /forms/NAME", "run", RBAC_PLAYBOOK_RUN },
};

unsigned access_cli_perm(const char *cmd, const char *sub)
{
	for (size_t i = 0; i < NRULES; i++) {
		if (strcmp(cli_rules[i].cmd, cmd) != 0)
			continue;
		if (!cli_rules[i].sub || strcmp(cli_rules[i].sub, "*") == 0 ||
		    (sub && strcmp(cli_rules[i].sub, sub) == 0))
			return cli_rules[i].perm;
	}
	return ACCESS_NO_RULE;
}

