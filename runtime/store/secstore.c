/* secstore.c - the security layer's records on LMDB: one named database a table. */
#include "secstore.h"
#include "store_db_int.h"

static const enum store_db table_db[] = {
	[SECSTORE_SECRETS] = STORE_DB_SECRETS,
	[SECSTORE_SECRET_KEYS] = STORE_DB_SECRET_KEYS,
	[SECSTORE_GRANTS] = STORE_DB_SECRET_GRANTS,
	[SECSTORE_USERS] = STORE_DB_USERS,
	[SECSTORE_ROLES] = STORE_DB_ROLES,
	[SECSTORE_TOKENS] = STORE_DB_TOKENS,
};

static MDB_dbi dbi(struct store *st, enum secstore_table t)
{
	return store_dbi(st, table_db[t]);
}

static MDB_val in(const struct store_val *v)
{
	return (MDB_val){ v->len, (void *)v->data };
}

static void out(struct store_val *v, const MDB_val *m)
{
	v->len = m->mv_size;
	v->data = m->mv_data;
}

int secstore_get(struct store *st, struct store_txn *txn, enum secstore_table t,
		 const struct store_val *key, struct store_val *val)
{
	MDB_val k = in(key), d;
	int rc = mdb_get(store_mdb(txn), dbi(st, t), &k, &d);
	if (rc == 0)
		out(val, &d);
	return rc;
}

int secstore_put(struct store *st, struct store_txn *txn, enum secstore_table t,
		 const struct store_val *key, const struct store_val *val, unsigned flags)
{
	MDB_val k = in(key), d = in(val);
	return mdb_put(store_mdb(txn), dbi(st, t), &k, &d, flags & SECSTORE_NEW ? MDB_NOOVERWRITE : 0);
}

int secstore_del(struct store *st, struct store_txn *txn, enum secstore_table t,
		 const struct store_val *key)
{
	MDB_val k = in(key);
	return mdb_del(store_mdb(txn), dbi(st, t), &k, NULL);
}

int secstore_count(struct store *st, struct store_txn *txn, enum secstore_table t, uint64_t *n)
{
	MDB_stat ms;
	int rc = mdb_stat(store_mdb(txn), dbi(st, t), &ms);
	*n = rc == 0 ? ms.ms_entries : 0;
	return rc;
}

/* The LMDB backend's cursor IS its MDB_cursor (a cast, as for transactions). */
int secstore_cursor_open(struct store *st, struct store_txn *txn, enum secstore_table t,
			 struct secstore_cursor **cur)
{
	MDB_cursor *c = NULL;
	int rc = mdb_cursor_open(store_mdb(txn), dbi(st, t), &c);
	*cur = (struct secstore_cursor *)(void *)c;
	return rc;
}

int secstore_cursor_get(struct secstore_cursor *cur, struct store_val *key, struct store_val *val,
			enum secstore_op op)
{
	static const MDB_cursor_op ops[] = {
		[SECSTORE_FIRST] = MDB_FIRST, [SECSTORE_NEXT] = MDB_NEXT,
		[SECSTORE_SET_RANGE] = MDB_SET_RANGE,
	};
	MDB_val k = { 0, NULL }, d;
	if (op == SECSTORE_SET_RANGE)
		k = in(key);
	int rc = mdb_cursor_get((MDB_cursor *)(void *)cur, &k, &d, ops[op]);
	if (rc == 0) {
		out(key, &k);
		out(val, &d);
	}
	return rc;
}

int secstore_cursor_del(struct secstore_cursor *cur)
{
	return mdb_cursor_del((MDB_cursor *)(void *)cur, 0);
}

void secstore_cursor_close(struct secstore_cursor *cur)
{
	if (cur)
		mdb_cursor_close((MDB_cursor *)(void *)cur);
}
