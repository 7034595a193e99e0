/* case_prune.h - removing a case with everything that hangs on it, and
 * releasing an old case's dedupe key, inside a write transaction (retention.c).
 * Private to the store. */
#ifndef SOAR_CASE_PRUNE_H
#define SOAR_CASE_PRUNE_H

#include "store_db_int.h"

#include <stdint.h>

/* Removes case `seq`: record, id, index entries, dedupe key, timeline (adds the
 * number of entries removed to *entries), links and indicator links both ways,
 * a reference on each attachment (the blob goes with its last). An absent case
 * is 0. Returns 0 or an LMDB code. */
int case_prune_txn(struct store *st, MDB_txn *txn, uint64_t seq, uint64_t *entries);

/* Releases the dedupe key `key` (a case_dedupe key) held by open case `seq`:
 * the record loses it (its index entries move), its timeline says so ("update"
 * by "retention"), and a new alert with that key opens a new case. */
int case_release_dedupe_txn(struct store *st, MDB_txn *txn, const MDB_val *key, uint64_t seq,
			    int64_t now);

#endif

/* The created time of case seq: 0, or MDB_NOTFOUND / an LMDB code. */
int case_created_txn(struct store *st, MDB_txn *txn, uint64_t seq, int64_t *created);

struct retention_rule;
/* Cases rule `r` lets go: walks its index in updated order from after *pos
 * (time u64 BE, seq u64 BE; zeros at first) while updated < cutoff, examining at
 * most max_examine entries and collecting at most max numbers into seqs (*n).
 * *pos becomes the last entry examined; *done is 1 once the walk reached the
 * cutoff or the end. 0 or an LMDB code. */
int case_prune_select_txn(struct store *st, MDB_txn *txn, const struct retention_rule *r,
			  int64_t cutoff, unsigned char pos[16], uint64_t *seqs, size_t max,
			  size_t max_examine, size_t *n, int *done);
