/* secret_init.h - the security part of `soarctl init`. */
#ifndef SOAR_SECRET_INIT_H
#define SOAR_SECRET_INIT_H

#include <stddef.h>

/* Call after datadir_set(datadir). Creates the master key file when no key is
 * given by the environment and none exists (secret_init_keyfile), opens the
 * store, and when it has no user yet makes the OS user (rbac_os_user) its
 * first admin (rbac_bootstrap). Harmless when run again. `msg` receives lines
 * to show a person (empty when nothing was done). Returns 0, or -1 with `err`. */
int secret_init_datadir(const char *datadir, char *msg, size_t msglen, char *err, size_t errlen);

#endif
