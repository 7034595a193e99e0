/* cmd_user.c - `soarctl user`: users, roles and API tokens (over rbac.h). */
#include "cli.h"

#include "rbac.h"
#include "secret_cli.h"
#include "secret_crypto.h"
#include "store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CMD "user"

static const char usage[] =
	"Usage: soarctl user SUBCOMMAND [ARGS] [--data DIR] [--json]\n"
	"\n"
	"The command line acts as the soarctl user named like your OS user ($USER, else\n"
	"your login name); `soarctl init` makes the first one an admin.\n"
	"\n"
	"  whoami                      your user, roles and permissions\n"
	"  add NAME --role R[,R...]    a new user (roles: admin, analyst, approver, viewer,\n"
	"                              or custom)\n"
	"  list                        users, their roles and permissions\n"
	"  role NAME R[,R...]          replace a user's roles\n"
	"  set NAME [--slack-id ID] [--email ADDRESS]\n"
	"                              contacts prompts use: answers from Slack user ID\n"
	"                              are NAME's; prompt links are emailed to ADDRESS\n"
	"  disable NAME                stop a user (record and roles kept; every token\n"
	"                              and check fails) until `enable NAME`\n"
	"  enable NAME                 let a disabled user act again\n"
	"  remove NAME                 delete a user and revoke its tokens\n"
	"  roles                       every role and its permissions\n"
	"  define-role NAME P[,P...]   a custom role; permissions: case.read case.write\n"
	"                              case.assign prompt.answer playbook.run secret.write\n"
	"                              job.manage user.manage audit.read\n"
	"  token [NAME] [--expires 30d|12h|90m|never] [--label TEXT]\n"
	"                              a new API token for NAME (default: you), shown once\n"
	"  tokens [NAME]               tokens (ids, owners, expiry; never the secret)\n"
	"  revoke TOKEN_ID             revoke a token (its owner, or user.manage)\n"
	"  token-check                 read a token on standard input; print its user\n"
	"\n"
	"Managing others needs user.manage (role admin); you may make and revoke your\n"
	"own tokens. Every change and every refusal is audited.\n"
	"Exit codes: 0 ok, 1 refused or not found, 2 bad arguments.\n";

/* "30d", "12h", "90m", "never" -> ms from now (0 = never). -1 if malformed. */
static int64_t parse_expiry(const char *s)
{
	if (!s)
		return store_now_ms() + (int64_t)30 * 86400 * 1000; /* default: 30 days */
	if (strcmp(s, "never") == 0)
		return 0;
	char *end;
	long long n = strtoll(s, &end, 10);
	int64_t unit = 0;
	if (strcmp(end, "d") == 0) unit = 86400000;
	else if (strcmp(end, "h") == 0) unit = 3600000;
	else if (strcmp(end, "m") == 0) unit = 60000;
	if (!unit || n <= 0 || n > 3650LL * 24 * 60 || end == s)
		return -1;
	return store_now_ms() + n * unit;
}

static int print_perm_json(unsigned perms)
{
	char buf[256];
	rbac_perms_format(perms, buf, sizeof buf);
	printf("[");
	int first = 1;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		printf("%s\"%s\"", first ? "" : ",", t);
		first = 0;
	}
	printf("]");
	return 0;
}

struct list_state {
	int json, n;
	const char *only;  /* whoami: this user only */
	int found;
};

static int user_one(const struct rbac_user_info *u, void *ud)
{
	struct list_state *s = ud;
	if (s->only && strcmp(s->only, u->name) != 0)
		return 0;
	s->found = 1;
	char perms[256], when[40];
	if (s->json) {
		printf("%s{\"name\":", s->n ? "," : "");
		cli_json_string(stdout, u->name, strlen(u->name));
		printf(",\"roles\":");
		cli_json_string(stdout, u->roles, strlen(u->roles));
		printf(",\"disabled\":%s,\"created_ms\":%" PRId64 ",\"created_by\":",
		       u->disabled ? "true" : "false", u->created_ms);
		cli_json_string(stdout, u->created_by, strlen(u->created_by));
		printf(",\"permissions\":");
		print_perm_json(u->perms);
		printf("}");
	} else {
		printf("%-20s %-24s %s %s\n", u->name, u->roles,
		       scli_time(u->created_ms, when, sizeof when),
		       rbac_perms_format(u->perms, perms, sizeof perms));
	}
	s->n++;
	return 0;
}

static int do_list(struct scli *c, int whoami)
{
	int rc = scli_only(c, NULL);
	if (rc || (rc = scli_open(c)))
		return rc;
	if (!whoami && (rc = scli_require(c, RBAC_USER_MANAGE, "users")))
		return rc;
	struct list_state s = { c->json, 0, whoami ? c->user : NULL, 0 };
	char err[1024];
	if (c->json && !whoami)
		printf("{\"users\":[");
	else if (!c->json)
		printf("%-20s %-24s %-20s %s\n", "NAME", "ROLES", "CREATED", "PERMISSIONS");
	rc = rbac_user_list(c->st, user_one, &s, err, sizeof err);
	if (c->json && !whoami)
		printf("]}\n");
	else if (c->json && s.found)
		printf("\n");
	if (rc)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	if (whoami && !s.found)
		return cli_fail(CMD, EXIT_FAIL, "OS user '%s' is not a soarctl user; an admin can "
				"add you with `soarctl user add %s --role viewer`", c->user, c->user);
	return EXIT_OK;
}

static int do_add(struct scli *c)
{
	static const char *const known[] = { "role", NULL };
	int rc = scli_only(c, known);
	if (rc)
		return rc;
	const char *roles = scli_opt(c, "role");
	if (c->npos != 2 || !roles)
		return cli_usage(CMD, "add needs NAME --role ROLE[,ROLE...]");
	if ((rc = scli_open(c)) || (rc = scli_require(c, RBAC_USER_MANAGE, c->pos[1])))
		return rc;
	char err[1024];
	if (rbac_user_add(c->st, c->actor, c->pos[1], roles, err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	printf(c->json ? "{\"added\":true}\n" : "added user %s\n", c->pos[1]);
	return EXIT_OK;
}

static int do_role(struct scli *c)
{
	int rc = scli_only(c, NULL);
	if (rc)
		return rc;
	if (c->npos != 3)
		return cli_usage(CMD, "role needs NAME ROLE[,ROLE...]");
	if ((rc = scli_open(c)) || (rc = scli_require(c, RBAC_USER_MANAGE, c->pos[1])))
		return rc;
	char err[1024];
	if (rbac_user_set_roles(c->st, c->actor, c->pos[1], c->pos[2], err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	if (c->json)
		printf("{\"roles\":\"%s\"}\n", c->pos[2]);
	else
		printf("user %s now has roles %s\n", c->pos[1], c->pos[2]);
	return EXIT_OK;
}

/* Contacts prompts use: --slack-id (answers from Slack are this user's),
 * --email (emailed prompt links); "" clears. */
static int do_set(struct scli *c)
{
	static const char *const known[] = { "slack-id", "email", NULL };
	int rc = scli_only(c, known);
	if (rc)
		return rc;
	const char *slack = scli_opt(c, "slack-id"), *email = scli_opt(c, "email");
	if (c->npos != 2 || (!slack && !email))
		return cli_usage(CMD, "set needs NAME and --slack-id ID and/or --email ADDRESS");
	if ((rc = scli_open(c)) || (rc = scli_require(c, RBAC_USER_MANAGE, c->pos[1])))
		return rc;
	char err[1024], sid[40] = "", mail[260] = "";
	if (rbac_user_set_contact(c->st, c->actor, c->pos[1], slack, email, err, sizeof err) != 0 ||
	    rbac_user_contact(c->st, c->pos[1], sid, sizeof sid, mail, sizeof mail, err, sizeof err) < 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	if (c->json) {
		printf("{\"user\":");
		cli_json_string(stdout, c->pos[1], strlen(c->pos[1]));
		printf(",\"slack_id\":");
		cli_json_string(stdout, sid, strlen(sid));
		printf(",\"email\":");
		cli_json_string(stdout, mail, strlen(mail));
		printf("}\n");
	} else {
		printf("user %s: slack id %s, email %s\n", c->pos[1], sid[0] ? sid : "-", mail[0] ? mail : "-");
	}
	return EXIT_OK;
}

/* disable, enable, remove: one user named, user.manage needed. */
static int do_state(struct scli *c)
{
	int rc = scli_only(c, NULL);
	if (rc)
		return rc;
	const char *sub = c->pos[0];
	if (c->npos != 2)
		return cli_usage(CMD, "%s needs NAME", sub);
	if ((rc = scli_open(c)) || (rc = scli_require(c, RBAC_USER_MANAGE, c->pos[1])))
		return rc;
	char err[1024];
	const char *done;
	if (strcmp(sub, "remove") == 0) {
		rc = rbac_user_remove(c->st, c->actor, c->pos[1], err, sizeof err);
		done = "removed";
	} else {
		int off = strcmp(sub, "disable") == 0;
		rc = rbac_user_disable(c->st, c->actor, c->pos[1], off, err, sizeof err);
		done = off ? "disabled" : "enabled";
	}
	if (rc != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	if (c->json)
		printf("{\"user\":\"%s\",\"%s\":true}\n", c->pos[1], done); /* names need no escaping */
	else
		printf("user %s %s\n", c->pos[1], done);
	return EXIT_OK;
}

static int role_one(const char *name, unsigned perms, int builtin, void *ud)
{
	struct list_state *s = ud;
	char buf[256];
	if (s->json) {
		printf("%s{\"name\":\"%s\",\"builtin\":%s,\"permissions\":", s->n ? "," : "", name,
		       builtin ? "true" : "false");
		print_perm_json(perms);
		printf("}");
	} else {
		printf("%-16s %-8s %s\n", name, builtin ? "built-in" : "custom",
		       rbac_perms_format(perms, buf, sizeof buf));
	}
	s->n++;
	return 0;
}

static int do_roles(struct scli *c)
{
	int rc = scli_only(c, NULL);
	if (rc || (rc = scli_open(c)))
		return rc;
	struct list_state s = { c->json, 0, NULL, 0 };
	char err[1024];
	printf(c->json ? "{\"roles\":[" : "%-16s %-8s %s\n", "ROLE", "KIND", "PERMISSIONS");
	rc = rbac_role_list(c->st, role_one, &s, err, sizeof err);
	if (c->json)
		printf("]}\n");
	return rc ? cli_fail(CMD, EXIT_FAIL, "%s", err) : EXIT_OK;
}

static int do_define(struct scli *c)
{
	int rc = scli_only(c, NULL);
	if (rc)
		return rc;
	if (c->npos != 3)
		return cli_usage(CMD, "define-role needs NAME PERMISSION[,PERMISSION...]");
	if ((rc = scli_open(c)) || (rc = scli_require(c, RBAC_USER_MANAGE, c->pos[1])))
		return rc;
	char err[1024];
	if (rbac_role_define(c->st, c->actor, c->pos[1], c->pos[2], err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	printf(c->json ? "{\"defined\":true}\n" : "defined role %s\n", c->pos[1]);
	return EXIT_OK;
}

/* Managing your own tokens needs only to be a user; others' needs user.manage. */
static int require_self_or_manage(struct scli *c, const char *owner, const char *object)
{
	if (strcmp(owner, c->user) == 0) {
		char err[1024];
		int rc = rbac_require(c->st, c->user, c->actor, 0, object, err, sizeof err);
		return rc ? cli_fail(CMD, EXIT_FAIL, "%s", err) : 0;
	}
	return scli_require(c, RBAC_USER_MANAGE, object);
}

static int do_token(struct scli *c)
{
	static const char *const known[] = { "expires", "label", NULL };
	int rc = scli_only(c, known);
	if (rc)
		return rc;
	if (c->npos > 2)
		return cli_usage(CMD, "token takes at most one NAME");
	int64_t expires = parse_expiry(scli_opt(c, "expires"));
	if (expires < 0)
		return cli_usage(CMD, "bad --expires '%s': use e.g. 30d, 12h, 90m or never",
				 scli_opt(c, "expires"));
	if ((rc = scli_open(c)))
		return rc;
	const char *owner = c->npos == 2 ? c->pos[1] : c->user;
	if ((rc = require_self_or_manage(c, owner, owner)))
		return rc;
	char token[RBAC_TOKEN_LEN + 1], id[17], err[1024];
	if (rbac_token_create(c->st, c->actor, owner, scli_opt(c, "label"), expires, token, id,
			      err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	if (c->json) {
		printf("{\"id\":\"%s\",\"user\":", id);
		cli_json_string(stdout, owner, strlen(owner));
		printf(",\"expires_ms\":%" PRId64 ",\"token\":\"%s\"}\n", expires, token);
	} else {
		printf("%s\n", token);
		fprintf(stderr, "token %s for %s: shown once, store it now (only its hash is kept)\n",
			id, owner);
	}
	sc_zero(token, sizeof token);
	return EXIT_OK;
}

static int token_one(const struct rbac_token_info *t, void *ud)
{
	struct list_state *s = ud;
	char c1[40], c2[40];
	const char *state = t->revoked_ms ? "revoked"
			    : t->expires_ms && t->expires_ms <= store_now_ms() ? "expired" : "active";
	if (s->json) {
		printf("%s{\"id\":\"%s\",\"user\":", s->n ? "," : "", t->id);
		cli_json_string(stdout, t->user, strlen(t->user));
		printf(",\"label\":");
		cli_json_string(stdout, t->label, strlen(t->label));
		printf(",\"created_ms\":%" PRId64 ",\"expires_ms\":%" PRId64 ",\"revoked_ms\":%" PRId64
		       ",\"state\":\"%s\"}", t->created_ms, t->expires_ms, t->revoked_ms, state);
	} else {
		printf("%-16s %-16s %-8s %-21s %-21s %s\n", t->id, t->user, state,
		       scli_time(t->created_ms, c1, sizeof c1),
		       t->expires_ms ? scli_time(t->expires_ms, c2, sizeof c2) : "never", t->label);
	}
	s->n++;
	return 0;
}

static int do_tokens(struct scli *c)
{
	int rc = scli_only(c, NULL);
	if (rc || (rc = scli_open(c)))
		return rc;
	const char *owner = c->npos == 2 ? c->pos[1] : NULL;
	if ((rc = owner ? require_self_or_manage(c, owner, owner)
			: scli_require(c, RBAC_USER_MANAGE, "tokens")))
		return rc;
	struct list_state s = { c->json, 0, NULL, 0 };
	char err[1024];
	if (c->json)
		printf("{\"tokens\":[");
	else
		printf("%-16s %-16s %-8s %-21s %-21s %s\n", "ID", "USER", "STATE", "CREATED",
		       "EXPIRES", "LABEL");
	rc = rbac_token_list(c->st, owner, token_one, &s, err, sizeof err);
	if (c->json)
		printf("]}\n");
	return rc ? cli_fail(CMD, EXIT_FAIL, "%s", err) : EXIT_OK;
}

static int do_revoke(struct scli *c)
{
	int rc = scli_only(c, NULL);
	if (rc)
		return rc;
	if (c->npos != 2)
		return cli_usage(CMD, "revoke needs a TOKEN_ID (see `soarctl user tokens`)");
	if ((rc = scli_open(c)))
		return rc;
	char owner[80], err[1024];
	rc = rbac_token_owner(c->st, c->pos[1], owner, sizeof owner, err, sizeof err);
	if (rc != 0)
		return cli_fail(CMD, rc < 0 && strstr(err, "bad token id") ? EXIT_USAGE : EXIT_FAIL,
				"%s", err);
	if ((rc = require_self_or_manage(c, owner, c->pos[1])))
		return rc;
	if (rbac_token_revoke(c->st, c->actor, c->pos[1], err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	printf(c->json ? "{\"revoked\":true}\n" : "revoked token %s\n", c->pos[1]);
	return EXIT_OK;
}

static int do_token_check(struct scli *c)
{
	int rc = scli_only(c, NULL);
	if (rc || (rc = scli_open(c)))
		return rc;
	char tok[256] = "";
	size_t n = fread(tok, 1, sizeof tok - 1, stdin);
	tok[n] = '\0';
	while (n > 0 && (tok[n - 1] == '\n' || tok[n - 1] == '\r'))
		tok[--n] = '\0';
	char user[80], err[1024];
	rc = rbac_token_auth(c->st, tok, user, sizeof user, err, sizeof err);
	sc_zero(tok, sizeof tok);
	if (rc != 0)
		return cli_fail(CMD, EXIT_FAIL, "%s", err);
	if (c->json) {
		printf("{\"user\":");
		cli_json_string(stdout, user, strlen(user));
		printf("}\n");
	} else {
		printf("%s\n", user);
	}
	return EXIT_OK;
}

static int user_main(int argc, char **argv)
{
	struct scli c;
	int rc = scli_parse(&c, CMD, argc, argv, NULL);
	if (rc)
		return rc;
	if (c.npos == 0)
		return cli_usage(CMD, "which subcommand? whoami, add, list, role, set, disable, enable, remove, roles, define-role, "
				 "token, tokens, revoke, token-check");
	const char *sub = c.pos[0];
	if (strcmp(sub, "whoami") == 0) return do_list(&c, 1);
	if (strcmp(sub, "list") == 0) return do_list(&c, 0);
	if (strcmp(sub, "add") == 0) return do_add(&c);
	if (strcmp(sub, "role") == 0) return do_role(&c);
	if (strcmp(sub, "set") == 0) return do_set(&c);
	if (strcmp(sub, "disable") == 0 || strcmp(sub, "enable") == 0 || strcmp(sub, "remove") == 0)
		return do_state(&c);
	if (strcmp(sub, "roles") == 0) return do_roles(&c);
	if (strcmp(sub, "define-role") == 0) return do_define(&c);
	if (strcmp(sub, "token") == 0) return do_token(&c);
	if (strcmp(sub, "tokens") == 0) return do_tokens(&c);
	if (strcmp(sub, "revoke") == 0) return do_revoke(&c);
	if (strcmp(sub, "token-check") == 0) return do_token_check(&c);
	return cli_usage(CMD, "no subcommand '%s'; see `soarctl help user`", sub);
}

const struct cli_command cmd_user = {
	"user", "users, roles and API tokens", usage, user_main,
};
