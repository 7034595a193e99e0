/* run_done.h - the "run_done" database: finished runs by the time they
 * finished (key: finished ms u64 BE | run uuid 16 bytes, value empty), so that
 * retention finds the runs whose journal it may compact with one range walk
 * from the oldest, and removes each entry once the journal is compacted.
 * Private to the store (runstore.c adds, retention.c walks, migrate.c builds). */
#ifndef SOAR_RUN_DONE_H
#define SOAR_RUN_DONE_H

#include "store_db_int.h"

#include <stdint.h>

/* Whether a run status is final (succeeded, failed, cancelled). */
int run_done_final(int status);

/* Adds the entry of run `id` finished at `finished` (ms). 0 or an LMDB code. */
int run_done_add(struct store *st, MDB_txn *txn, const unsigned char id[16], int64_t finished);

/* Migration 2 -> 3: an entry for every finished run whose journal is not
 * compacted. */
int store_migrate_v3(struct store *st, MDB_txn *txn);

#endif
