/* secret_init.c - what `soarctl init` does for security, in one call: the
 * master key file, and the first user (the OS user running init) as admin. */
#include "secret_init.h"

#include "audit.h"
#include "rbac.h"
#include "secret.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

int secret_init_datadir(const char *datadir, char *msg, size_t msglen, char *err, size_t errlen)
{
	msg[0] = '\0';
	int made_key = secret_init_keyfile(datadir, err, errlen);
	if (made_key < 0)
		return -1;
	struct store *st = store_default(err, errlen);
	if (!st)
		return -1;
	/* the first entries of a new store are keyed already (audit.c) */
	char kerr[256];
	secret_vault_prepare(st, datadir, kerr, sizeof kerr);
	char user[256];
	rbac_os_user(user, sizeof user);
	int made_user = rbac_bootstrap(st, user, err, errlen);
	if (made_user < 0)
		return -1;
	size_t n = 0;
	if (made_key)
		n += (size_t)snprintf(msg + n, msglen - n, "created the master key file (mode 0600); "
				      "back it up: without it the secrets cannot be read\n");
	if (made_user && n < msglen)
		snprintf(msg + n, msglen - n, "made OS user '%s' the first soarctl admin\n", user);
	return 0;
}
