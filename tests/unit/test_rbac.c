/* test_rbac.c - users, roles, permissions and API tokens: the role x
 * permission matrix through rbac_check, custom roles, bootstrap, the last
 * admin kept, refusals audited, tokens (hash only in the store, constant-time
 * check, wrong/revoked/expired refused, the user's removal of rights). */
#include "check.h"

#include "access.h"
#include "audit.h"
#include "rbac.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[1024];
static char dir[256];

static struct store *fresh(const char *name)
{
	char cmd[700];
	snprintf(dir, sizeof dir, "/tmp/test_rbac.%d.%s", (int)getpid(), name);
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
	if (system(cmd) != 0)
		abort();
	struct store *st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	return st;
}

static void done(struct store *st)
{
	store_close(st);
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		abort();
}

static uint64_t audit_len(struct store *st)
{
	struct audit_checkpoint cp;
	CHECK(audit_checkpoint(st, &cp, err, sizeof err) == 0);
	return cp.seq;
}

static void test_perm_names(void)
{
	unsigned p;
	CHECK(rbac_perm_parse("case.read") == RBAC_CASE_READ);
	CHECK(rbac_perm_parse("audit.read") == RBAC_AUDIT_READ);
	CHECK(rbac_perm_parse("case.delete") == 0);
	CHECK(rbac_perms_parse("case.read,prompt.answer", &p, err, sizeof err) == 0);
	CHECK(p == (RBAC_CASE_READ | RBAC_PROMPT_ANSWER));
	CHECK(rbac_perms_parse("case.read,nope", &p, err, sizeof err) == -1);
	CHECK(strstr(err, "unknown permission 'nope'") && strstr(err, "audit.read"));
	char buf[256];
	CHECK_STR(rbac_perms_format(RBAC_CASE_WRITE | RBAC_USER_MANAGE, buf, sizeof buf),
		  "case.write,user.manage");
	char u[64];
	/* the uid decides, not $USER (anyone can set it): see test_access_tables */
	setenv("USER", "carol", 1);
	CHECK(strcmp(rbac_os_user(u, sizeof u), "carol") != 0);
	unsetenv("USER");
	CHECK(strlen(rbac_os_user(u, sizeof u)) > 0);
}

static void test_matrix(void)
{
	struct store *st = fresh("matrix");
	/* no users yet: refused, saying to run init */
	CHECK(rbac_check(st, "root", RBAC_CASE_READ, err, sizeof err) == RBAC_DENIED);
	CHECK(strstr(err, "soarctl init") != NULL);
	CHECK(rbac_bootstrap(st, "root", err, sizeof err) == 1);
	CHECK(rbac_bootstrap(st, "mallory", err, sizeof err) == 0); /* only the first time */
	CHECK(rbac_check(st, "mallory", RBAC_CASE_READ, err, sizeof err) == RBAC_DENIED);
	CHECK(strstr(err, "not a soarctl user") != NULL);
	const char *users[] = { "ann", "ben", "cat", "dan" };
	const char *roles[] = { "admin", "analyst", "approver", "viewer" };
	for (int i = 0; i < 4; i++)
		CHECK(rbac_user_add(st, "cli:root", users[i], roles[i], err, sizeof err) == 0);
	/* expected[role][perm] in the order of enum rbac_perm */
	static const int expected[4][9] = {
		/* read write assign answer run secret job user audit */
		{ 1, 1, 1, 1, 1, 1, 1, 1, 1 }, /* admin */
		{ 1, 1, 1, 1, 1, 0, 0, 0, 0 }, /* analyst */
		{ 1, 0, 0, 1, 0, 0, 0, 0, 0 }, /* approver */
		{ 1, 0, 0, 0, 0, 0, 0, 0, 0 }, /* viewer */
	};
	for (int r = 0; r < 4; r++)
		for (int p = 0; p < 9; p++) {
			int rc = rbac_check(st, users[r], 1u << p, err, sizeof err);
			int ok = expected[r][p] ? rc == 0 : rc == RBAC_DENIED;
			if (!ok)
				fprintf(stderr, "role %s perm %s: rc %d\n", roles[r],
					rbac_perm_name(1u << p), rc);
			CHECK(ok);
			if (rc == RBAC_DENIED)
				CHECK(strstr(err, rbac_perm_name(1u << p)) != NULL);
		}
	/* duplicates, unknown roles, bad names */
	CHECK(rbac_user_add(st, "cli:root", "ann", "viewer", err, sizeof err) == -1);
	CHECK(strstr(err, "already exists") != NULL);
	CHECK(rbac_user_add(st, "cli:root", "eve", "superuser", err, sizeof err) == -1);
	CHECK(strstr(err, "no role named 'superuser'") != NULL);
	CHECK(rbac_user_add(st, "cli:root", "-x", "viewer", err, sizeof err) == -1);
	CHECK(rbac_user_add(st, "cli:root", "eve", "", err, sizeof err) == -1);
	/* several roles add up */
	CHECK(rbac_user_set_roles(st, "cli:root", "dan", "viewer,approver", err, sizeof err) == 0);
	CHECK(rbac_check(st, "dan", RBAC_PROMPT_ANSWER, err, sizeof err) == 0);
	CHECK(rbac_member(st, "dan", "approver", err, sizeof err) == 1);
	CHECK(rbac_member(st, "dan", "analyst", err, sizeof err) == 0);
	CHECK(rbac_member(st, "ann", "approver", err, sizeof err) == 0);
	CHECK(rbac_user_set_roles(st, "cli:root", "nobody", "viewer", err, sizeof err) ==
	      RBAC_NOT_FOUND);
	/* custom roles */
	CHECK(rbac_role_define(st, "cli:root", "auditor", "audit.read,case.read", err, sizeof err) == 0);
	CHECK(rbac_role_define(st, "cli:root", "admin", "case.read", err, sizeof err) == -1);
	CHECK(rbac_role_define(st, "cli:root", "x", "bogus", err, sizeof err) == -1);
	CHECK(rbac_user_add(st, "cli:root", "eve", "auditor", err, sizeof err) == 0);
	CHECK(rbac_check(st, "eve", RBAC_AUDIT_READ, err, sizeof err) == 0);
	CHECK(rbac_check(st, "eve", RBAC_CASE_WRITE, err, sizeof err) == RBAC_DENIED);
	/* redefining a role changes its members' rights at once */
	CHECK(rbac_role_define(st, "cli:root", "auditor", "case.read", err, sizeof err) == 0);
	CHECK(rbac_check(st, "eve", RBAC_AUDIT_READ, err, sizeof err) == RBAC_DENIED);
	/* the last user manager cannot lose the right */
	CHECK(rbac_user_set_roles(st, "cli:root", "ann", "viewer", err, sizeof err) == 0);
	CHECK(rbac_user_set_roles(st, "cli:root", "root", "viewer", err, sizeof err) == -1);
	CHECK(strstr(err, "last user who can manage users") != NULL);
	CHECK(rbac_check(st, "root", RBAC_USER_MANAGE, err, sizeof err) == 0);
	/* refusals through rbac_require are audited; allowed checks are not */
	uint64_t n0 = audit_len(st);
	CHECK(rbac_require(st, "dan", "cli:dan", RBAC_SECRET_WRITE, "vt.key", err, sizeof err) ==
	      RBAC_DENIED);
	CHECK(audit_len(st) == n0 + 1);
	CHECK(rbac_require(st, "root", "cli:root", RBAC_SECRET_WRITE, "vt.key", err, sizeof err) == 0);
	CHECK(audit_len(st) == n0 + 1);
	struct audit_report rep;
	CHECK(audit_verify(st, NULL, &rep, err, sizeof err) == 0);
	done(st);
}

static void test_tokens(void)
{
	struct store *st = fresh("tokens");
	CHECK(rbac_bootstrap(st, "root", err, sizeof err) == 1);
	CHECK(rbac_user_add(st, "cli:root", "bot", "analyst", err, sizeof err) == 0);
	char tok[RBAC_TOKEN_LEN + 1], id[17], user[80];
	CHECK(rbac_token_create(st, "cli:root", "bot", "ci", 0, tok, id, err, sizeof err) == 0);
	CHECK(strlen(tok) == RBAC_TOKEN_LEN && strncmp(tok, "soar_", 5) == 0);
	CHECK(strncmp(tok + 5, id, 16) == 0);
	CHECK(rbac_token_create(st, "cli:root", "ghost", "", 0, tok, id, err, sizeof err) == -1);
	CHECK(rbac_token_create(st, "cli:root", "bot", "ci", 0, tok, id, err, sizeof err) == 0);
	CHECK(rbac_token_auth(st, tok, user, sizeof user, err, sizeof err) == 0);
	CHECK_STR(user, "bot");
	/* one character changed in the secret part, or the id: refused */
	char bad[RBAC_TOKEN_LEN + 1];
	memcpy(bad, tok, sizeof bad);
	bad[40] = bad[40] == 'A' ? 'B' : 'A';
	CHECK(rbac_token_auth(st, bad, user, sizeof user, err, sizeof err) == RBAC_DENIED);
	CHECK(strstr(err, bad + 22) == NULL); /* the message never echoes the secret */
	memcpy(bad, tok, sizeof bad);
	bad[6] = bad[6] == '0' ? '1' : '0';
	CHECK(rbac_token_auth(st, bad, user, sizeof user, err, sizeof err) == RBAC_DENIED);
	CHECK(rbac_token_auth(st, "soar_short", user, sizeof user, err, sizeof err) == RBAC_DENIED);
	CHECK(rbac_token_auth(st, "", user, sizeof user, err, sizeof err) == RBAC_DENIED);
	/* the store holds no token, only its hash */
	store_close(st);
	char path[400], cmd[600];
	snprintf(path, sizeof path, "%s/store.mdb", dir);
	snprintf(cmd, sizeof cmd, "grep -q -a -F -e '%s' %s", tok + 22, path);
	CHECK(system(cmd) != 0);
	st = store_open(dir, NULL, err, sizeof err);
	/* revoked */
	char owner[80];
	CHECK(rbac_token_owner(st, id, owner, sizeof owner, err, sizeof err) == 0);
	CHECK_STR(owner, "bot");
	CHECK(rbac_token_revoke(st, "cli:root", id, err, sizeof err) == 0);
	CHECK(rbac_token_revoke(st, "cli:root", id, err, sizeof err) == 0);
	CHECK(rbac_token_auth(st, tok, user, sizeof user, err, sizeof err) == RBAC_DENIED);
	CHECK(strstr(err, "revoked") != NULL);
	CHECK(rbac_token_revoke(st, "cli:root", "0000000000000000", err, sizeof err) == RBAC_NOT_FOUND);
	CHECK(rbac_token_revoke(st, "cli:root", "xyz", err, sizeof err) == -1);
	/* expired */
	CHECK(rbac_token_create(st, "cli:root", "bot", "old", store_now_ms() - 1, tok, id, err,
				sizeof err) == 0);
	CHECK(rbac_token_auth(st, tok, user, sizeof user, err, sizeof err) == RBAC_DENIED);
	CHECK(strstr(err, "expired") != NULL);
	/* a token with a future expiry works; uses and refusals are audited */
	CHECK(rbac_token_create(st, "cli:root", "bot", "new", store_now_ms() + 60000, tok, id, err,
				sizeof err) == 0);
	uint64_t n0 = audit_len(st);
	CHECK(rbac_token_auth(st, tok, user, sizeof user, err, sizeof err) == 0);
	CHECK(rbac_token_auth(st, "soar_nope", user, sizeof user, err, sizeof err) == RBAC_DENIED);
	CHECK(audit_len(st) == n0 + 2);
	/* and the token's user is what permissions are checked against */
	CHECK(rbac_check(st, user, RBAC_PLAYBOOK_RUN, err, sizeof err) == 0);
	CHECK(rbac_check(st, user, RBAC_SECRET_WRITE, err, sizeof err) == RBAC_DENIED);
	done(st);
}

/* The command line and the API ask one matrix: each route's command twin has
 * the route's permission; every data-touching subcommand has a rule; an
 * unknown one has none (refused); the acting user comes from the uid only. */
static void test_access_tables(void)
{
	for (int r = 0; r < ROUTE_COUNT; r++) {
		const struct access_route_rule *a = &access_routes[r];
		CHECK(a->route && a->perm != 0 && !(a->perm & (ACCESS_KNOWN | ACCESS_NO_RULE)));
		if (!a->cli_twin)
			continue;
		char cmd[64], *sub;
		snprintf(cmd, sizeof cmd, "%s", a->cli_twin);
		sub = strchr(cmd, ' ');
		if (sub)
			*sub++ = '\0';
		if (access_cli_perm(cmd, sub) != a->perm) {
			check_failures++;
			fprintf(stderr, "%s and `soarctl %s` differ\n", a->route, a->cli_twin);
		}
		check_count++;
	}
	static const char *const data_cmds[][2] = {
		{ "case", "list" }, { "case", "show" }, { "case", "new" }, { "case", "note" },
		{ "case", "update" }, { "case", "close" }, { "case", "attach" }, { "case", "link" },
		{ "case", "children" }, { "case", "check" }, { "indicator", "get" },
		{ "indicator", "set" }, { "indicator", "list" }, { "edl", "list" }, { "edl", "show" },
		{ "edl", "add" }, { "edl", "rm" }, { "edl", "export" }, { "prompt", "list" },
		{ "prompt", "show" }, { "prompt", "answer" }, { "runs", "list" }, { "runs", "show" },
		{ "runs", "resume" }, { "runs", "cancel" }, { "job", "list" }, { "job", "run" },
		{ "job", "pause" }, { "job", "resume" }, { "run", NULL }, { "test", NULL },
		{ "serve", NULL }, { "secret", "set" }, { "secret", "list" }, { "audit", "verify" },
		{ "user", "add" }, { "user", "list" },
	};
	for (size_t i = 0; i < sizeof data_cmds / sizeof data_cmds[0]; i++) {
		unsigned p = access_cli_perm(data_cmds[i][0], data_cmds[i][1]);
		if (p == ACCESS_NO_RULE || p == ACCESS_OPEN || (p & ACCESS_KNOWN)) {
			check_failures++;
			fprintf(stderr, "`soarctl %s %s` needs a permission\n", data_cmds[i][0],
				data_cmds[i][1] ? data_cmds[i][1] : "");
		}
		check_count++;
	}
	CHECK(access_cli_perm("case", "new") == RBAC_CASE_WRITE);
	CHECK(access_cli_perm("prompt", "list") == RBAC_PROMPT_ANSWER);
	CHECK(access_cli_perm("edl", "add") == RBAC_CASE_WRITE);
	CHECK(access_cli_perm("case", "drop-everything") == ACCESS_NO_RULE);
	CHECK(access_cli_perm("nosuchcommand", NULL) == ACCESS_NO_RULE);
	CHECK(access_cli_perm("user", "whoami") == ACCESS_KNOWN);
	/* $USER does not choose who you are */
	char a[256], b[256];
	access_os_user(a, sizeof a);
	setenv("USER", "someone-else", 1);
	access_os_user(b, sizeof b);
	CHECK_STR(a, b);
	CHECK(strcmp(b, "someone-else") != 0);
}

int main(void)
{
	test_perm_names();
	test_matrix();
	test_tokens();
	test_access_tables();
	return CHECK_DONE();
}
