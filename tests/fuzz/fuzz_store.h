/* fuzz_store.h - for harnesses that decode stored records: a store in a fresh
 * directory (fuzz_tmpdir), and raw writes of any bytes under any key, through
 * the store's one write path (group commit), as a damaged or hostile file would
 * hold them. */
#ifndef SOAR_FUZZ_STORE_H
#define SOAR_FUZZ_STORE_H

#include "fuzz.h"
#include "store_db_int.h"
#include "store.h"

#include <string.h>

struct fuzz_put {
	enum store_db db;
	const void *key, *val;   /* val NULL: delete the key */
	size_t klen, vlen;
};

static inline int fuzz_put_apply(struct store *st, struct store_txn *stx_, void *ctx, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	(void)err;
	(void)errlen;
	const struct fuzz_put *p = ctx;
	MDB_val k = { p->klen, (void *)p->key }, v = { p->vlen, (void *)p->val };
	if (!p->val) {
		int rc = mdb_del(txn, store_dbi(st, p->db), &k, NULL);
		return rc == MDB_NOTFOUND ? 0 : rc;
	}
	return mdb_put(txn, store_dbi(st, p->db), &k, &v, 0);
}

/* Writes (or deletes, val NULL) one raw record; exits when the store fails. */
static inline void fuzz_put(struct store *st, enum store_db db, const void *key, size_t klen,
		     const void *val, size_t vlen)
{
	struct fuzz_put p = { db, key, val, klen, vlen };
	char err[256];
	if (store_write(st, fuzz_put_apply, &p, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz: raw store write failed: %s\n", err);
		exit(2);
	}
}

/* A copy of the record under key (malloc'd into *val), or NULL when absent. */
static inline void *fuzz_get(struct store *st, enum store_db db, const void *key, size_t klen,
		      size_t *vlen)
{
	MDB_txn *txn;
	char err[256];
	void *out = NULL;
	*vlen = 0;
	if (store_mdb_read_begin(st, &txn, err, sizeof err) != 0) {
		fprintf(stderr, "fuzz: %s\n", err);
		exit(2);
	}
	MDB_val k = { klen, (void *)key }, v;
	if (mdb_get(txn, store_dbi(st, db), &k, &v) == 0 && (out = malloc(v.mv_size + 1))) {
		memcpy(out, v.mv_data, v.mv_size);
		*vlen = v.mv_size;
	}
	store_mdb_read_end(st, txn);
	return out;
}

#endif
