/* store_db_int.h - the LMDB face of the store, for the record modules of store/
 * only (case.c, runstore.c, secstore.c ...). Above store/ a transaction is the
 * opaque `struct store_txn` of store.h; here it is an MDB_txn, converted at the
 * boundary with store_mdb / store_txn_of (a cast: the LMDB backend's store_txn
 * IS its MDB_txn, so the interface costs nothing on the hot path). */
#ifndef SOAR_STORE_DB_INT_H
#define SOAR_STORE_DB_INT_H

#include "store.h"

#include <lmdb.h>

_Static_assert(STORE_NOTFOUND == MDB_NOTFOUND, "STORE_NOTFOUND is LMDB's code");
_Static_assert(STORE_KEYEXIST == MDB_KEYEXIST, "STORE_KEYEXIST is LMDB's code");
_Static_assert(STORE_CORRUPTED == MDB_CORRUPTED, "STORE_CORRUPTED is LMDB's code");
_Static_assert(STORE_FULL == MDB_MAP_FULL, "STORE_FULL is LMDB's code");

static inline MDB_txn *store_mdb(struct store_txn *t)
{
	return (MDB_txn *)(void *)t;
}

static inline struct store_txn *store_txn_of(MDB_txn *t)
{
	return (struct store_txn *)(void *)t;
}

/* The handle of a named database, valid for the store's lifetime. */
MDB_dbi store_dbi(const struct store *st, enum store_db db);

/* store_read_begin / store_read_end with the LMDB transaction itself. */
int store_mdb_read_begin(struct store *st, MDB_txn **txn, char *err, size_t errlen);
void store_mdb_read_end(struct store *st, MDB_txn *txn);

/* Deferred duplicates, for MDB_DUPSORT | MDB_DUPFIXED databases: inside an apply
 * function, instead of putting (key, data) at once, hand it to the batch. The
 * committer puts every deferred entry of the batch just before the commit,
 * sorted and grouped by key (MDB_MULTIPLE, MDB_APPENDDUP): one descent per key
 * per batch instead of one per entry. Call store_flush_dups before reading or
 * deleting in such a database inside a write (it is cheap when nothing is
 * pending). Both return 0 or an LMDB/errno code (treat it like a put's). */
int store_defer_dup(struct store *st, MDB_txn *txn, MDB_dbi dbi, const void *key,
		    size_t klen, const void *data, size_t dlen);
int store_flush_dups(struct store *st, MDB_txn *txn);

#endif
