/* maint.h - the daemon's store upkeep: retention passes and scheduled backups,
 * declared in the store configuration (DATADIR/store.json, or the file named by
 * $SOARCTL_STORE_CONFIG; docs/store.md "Retention", "Scheduled backups"). One
 * thread of its own: a pass works in small writes through the group commit,
 * so ingestion goes on; a backup copies from a read transaction. */
#ifndef SOAR_MAINT_H
#define SOAR_MAINT_H

#include "retention.h"
#include "store.h"

#include <stddef.h>

/* What takes a scheduled backup: a directory under `dir`, the oldest past
 * `keep` removed; `made` receives its path. The backup's file work lives above
 * the daemon (cli/backup_run.c), so `soarctl serve` hands it down. */
typedef int (*maint_backup_fn)(struct store *st, const char *dir, int keep, int compact,
			       char *made, size_t madelen, char *err, size_t errlen);
void maint_set_backup(maint_backup_fn fn);

struct maint;

/* Reads the configuration (absent: nothing to do, *out NULL) and checks it:
 * -1 with the file and the problem in err. Starts nothing. */
int maint_load(const char *data_dir, struct maint **out, char *err, size_t errlen);

/* The retention policy loaded, or NULL when the configuration has none. */
const struct retention_policy *maint_retention(const struct maint *m);

/* Starts its thread. 0, or -1 + err. */
int maint_start(struct maint *m, struct store *st, char *err, size_t errlen);

/* Stops the thread (a pass stops after its current write) and frees m. */
void maint_stop(struct maint *m);

#endif
