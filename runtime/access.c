/* access.c - the permission tables of the command line and of the HTTP API,
 * and the one check every command makes (see access.h). */
#include "access.h"

#include "cli.h"
#include "datadir.h"
#include "secret.h"
#include "runout.h"

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
	{ "case", "new", RBAC_CASE_WRITE },
	{ "case", "update", RBAC_CASE_WRITE },
	{ "case", "close", RBAC_CASE_WRITE },
	{ "case", "note", RBAC_CASE_WRITE },
	{ "case", "attach", RBAC_CASE_WRITE },
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
	{ "init", NULL, ACCESS_OPEN },
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

const char *access_os_user(char *buf, size_t len)
{
	return rbac_os_user(buf, len);
}

int access_check(struct store *st, const char *cmd, const char *sub, const char *object,
		 struct access_who *who)
{
	struct access_who local;
	if (!who)
		who = &local;
	/* The master key first, when there is one: it keys the audit entries this
	 * command (and a refusal) writes. */
	char kerr[512];
	if (secret_vault_prepare(st, datadir_get(), kerr, sizeof kerr) < 0)
		fprintf(stderr, "soarctl %s: the audit log is keyed and the master key did not "
			"open: %s\n", cmd, kerr);
	access_os_user(who->user, sizeof who->user);
	snprintf(who->actor, sizeof who->actor, "cli:%s", who->user);
	unsigned perm = access_cli_perm(cmd, sub);
	if (perm == ACCESS_NO_RULE)
		return cli_usage(cmd, "no subcommand '%s'", sub ? sub : "");
	if (perm == ACCESS_OPEN)
		return 0;
	char obj[200], err[1024];
	if (!object) {
		snprintf(obj, sizeof obj, "%s%s%s", cmd, sub ? " " : "", sub ? sub : "");
		object = obj;
	}
	/* ACCESS_KNOWN: an enabled user, whatever its permissions */
	int rc = rbac_require(st, who->user, who->actor, perm == ACCESS_KNOWN ? 0 : perm, object,
			      err, sizeof err);
	if (rc == 0)
		return 0;
	return cli_fail(cmd, EXIT_FAIL, "%s", err);
}

struct store *access_open(const char *cmd, const char *sub, const char *data, int create,
			  struct access_who *who)
{
	struct store *st = runout_open_store(cmd, data, create);
	if (st && access_check(st, cmd, sub, NULL, who) != 0)
		return NULL;
	return st;
}
