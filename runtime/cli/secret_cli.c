/* secret_cli.c - shared plumbing of cmd_secret.c, cmd_user.c, cmd_audit.c. */
#include "secret_cli.h"

#include "access.h"
#include "cli.h"
#include "runout.h"
#include "datadir.h"
#include "rbac.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int scli_parse(struct scli *c, const char *cmd, int argc, char **argv, const char *const *bools)
{
	memset(c, 0, sizeof *c);
	c->cmd = cmd;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			if (c->npos == SCLI_MAX_POS)
				return cli_usage(cmd, "too many arguments at '%s'", a);
			c->pos[c->npos++] = a;
			continue;
		}
		char *name = a + 2, *val = NULL, *eq = strchr(name, '=');
		if (eq) {
			*eq = '\0'; /* argv is ours to edit */
			val = eq + 1;
		}
		if (strcmp(name, "json") == 0) {
			c->json = 1;
			continue;
		}
		int is_bool = 0;
		for (int b = 0; bools && bools[b]; b++)
			is_bool |= strcmp(name, bools[b]) == 0;
		if (is_bool)
			val = "true";
		else if (!val) {
			if (i + 1 >= argc)
				return cli_usage(cmd, "--%s needs a value", name);
			val = argv[++i];
		}
		if (strcmp(name, "data") == 0) {
			c->data = val;
			continue;
		}
		if (c->nkv == SCLI_MAX_KV)
			return cli_usage(cmd, "too many options");
		c->keys[c->nkv] = name;
		c->vals[c->nkv++] = val;
	}
	return 0;
}

const char *scli_opt(const struct scli *c, const char *name)
{
	const char *v = NULL;
	for (int i = 0; i < c->nkv; i++)
		if (strcmp(c->keys[i], name) == 0)
			v = c->vals[i];
	return v;
}

int scli_only(const struct scli *c, const char *const *known)
{
	for (int i = 0; i < c->nkv; i++) {
		int ok = 0;
		for (int k = 0; known && known[k] && !ok; k++)
			ok = strcmp(c->keys[i], known[k]) == 0;
		if (!ok)
			return cli_usage(c->cmd, "unknown option --%s for '%s'", c->keys[i],
					 c->npos ? c->pos[0] : "");
	}
	return 0;
}

int scli_open(struct scli *c)
{
	char err[1024];
	if (!datadir_resolve(c->data, c->dir, sizeof c->dir))
		return cli_fail(c->cmd, EXIT_USAGE, "no data directory: give --data DIR or set SOARCTL_DATA");
	runout_need_store(c->cmd, c->dir);
	datadir_set(c->dir);
	c->st = store_default(err, sizeof err);
	if (!c->st)
		return cli_fail(c->cmd, EXIT_FAIL, "%s", err);
	/* the one check of every command (access.c); commands check more after */
	struct access_who who;
	int rc = access_check(c->st, c->cmd, c->npos ? c->pos[0] : NULL, NULL, &who);
	snprintf(c->user, sizeof c->user, "%s", who.user);
	snprintf(c->actor, sizeof c->actor, "%s", who.actor);
	return rc;
}

int scli_require(struct scli *c, unsigned perm, const char *object)
{
	char err[1024];
	int rc = rbac_require(c->st, c->user, c->actor, perm, object, err, sizeof err);
	if (rc == 0)
		return 0;
	return cli_fail(c->cmd, EXIT_FAIL, "%s", err);
}

const char *scli_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm))
		snprintf(buf, len, "?");
	return buf;
}
