/* backup_run.h - writing one backup directory (what `soarctl backup` does), and
 * the scheduled backups the daemon takes: a new directory under a destination
 * each time, the oldest removed past a kept count. */
#ifndef SOAR_BACKUP_RUN_H
#define SOAR_BACKUP_RUN_H

#include "backup_files.h"
#include "store.h"

/* Copies the store into dest (missing: created; else an empty directory),
 * with the manifest, and the master key from `keypath` when not NULL; audits
 * "store.backup" as `actor`. A failure leaves nothing in dest (and removes dest
 * when it created it). *m and *copy_s describe the copy. 0, or -1 + err. */
int backup_write(struct store *st, const char *dest, int compact, const char *keypath,
		 const char *actor, struct bf_manifest *m, double *copy_s, char *err,
		 size_t errlen);

/* A scheduled backup: DIR/soarctl-YYYYMMDDTHHMMSSZ (UTC now; -N appended when
 * taken twice in a second), then the oldest soarctl-* backups of DIR past `keep`
 * removed (only directories holding a manifest: nothing else in DIR is touched).
 * `made` receives the new directory. 0, or -1 + err. Registered with the daemon
 * by `soarctl serve` (daemon_set_backup). */
int backup_scheduled(struct store *st, const char *dir, int keep, int compact, char *made,
		     size_t madelen, char *err, size_t errlen);

#endif
