/* access.h - the one check every command makes, with the tables of
 * access_rules.h (security/). */
#ifndef SOAR_ACCESS_H
#define SOAR_ACCESS_H

#include "access_rules.h"
#include "store.h"

const char *access_os_user(char *buf, size_t len);

/* Who acts, once checked. */
struct access_who {
	char user[256];   /* soarctl user */
	char actor[300];  /* "cli:USER", for the audit log */
};

/* The one check every command makes: the permission the table gives
 * (cmd, sub), for the OS user's soarctl user in store `st`. A refusal is
 * audited (access.denied) and printed as "soarctl CMD: ..." with what to do
 * (which `soarctl user ...` an admin runs). `object` names what was asked for
 * in the audit entry (NULL: "CMD SUB"). Returns 0 (who filled, may be NULL)
 * or an exit code: EXIT_FAIL refused or store error, EXIT_USAGE no rule. */
int access_check(struct store *st, const char *cmd, const char *sub, const char *object,
		 struct access_who *who);

/* runout_open_store and access_check in one call: what every command that
 * reads or writes the store starts with. NULL after printing why. */
struct store *access_open(const char *cmd, const char *sub, const char *data, int create,
			  struct access_who *who);

#endif
