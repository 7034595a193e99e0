/* access.c - the one check every command makes (see access.h). */
#include "access.h"

#include "cli.h"
#include "datadir.h"
#include "secret.h"
#include "runout.h"

#include <stdio.h>
#include <string.h>

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
