/* migrate.c - schema migrations after 2 (store.c runs migrations[v] to bring a
 * store from v to v + 1 in the opening write transaction: all or nothing).
 *
 * 2 -> 3: the "run_done" index (run_done.h) for the finished runs already in the
 * store, so that retention compacts their journals too. */
#include "run_done_int.h"
#include "record.h"
#include "runstore.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The fields a migration reads from a run record (runstore.c's tags). */
struct run_peek {
	int status;
	int64_t updated, finished;
	char *summary;
};
static const struct record_field peek_fields[] = {
	RECORD_FIELD(13, REC_INT, run_peek, status), RECORD_FIELD(15, REC_I64, run_peek, updated),
	RECORD_FIELD(16, REC_I64, run_peek, finished), RECORD_FIELD(21, REC_STR, run_peek, summary),
	{ 0, REC_STR, 0, 0 },
};

int run_done_final(int status)
{
	return status == RUN_SUCCEEDED || status == RUN_FAILED || status == RUN_CANCELLED;
}

int run_done_add(struct store *st, MDB_txn *txn, const unsigned char id[16], int64_t finished)
{
	unsigned char k[24];
	store_put_u64(k, (uint64_t)(finished > 0 ? finished : 0));
	memcpy(k + 8, id, 16);
	MDB_val key = { 24, k }, v = { 0, "" };
	return mdb_put(txn, store_dbi(st, STORE_DB_RUN_DONE), &key, &v, 0);
}

int store_migrate_v3(struct store *st, MDB_txn *txn)
{
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_RUNS), &cur);
	if (rc)
		return rc;
	MDB_val k, v;
	for (int op = MDB_FIRST; rc == 0; op = MDB_NEXT) {
		if ((rc = mdb_cursor_get(cur, &k, &v, op)) != 0)
			break;
		struct run_peek p = { 0 };
		if (k.mv_size != 16 || record_decode(v.mv_data, v.mv_size, peek_fields, &p) != 0) {
			record_free(peek_fields, &p);
			rc = MDB_CORRUPTED;
			break;
		}
		if (run_done_final(p.status) && !p.summary)
			rc = run_done_add(st, txn, k.mv_data, p.finished ? p.finished : p.updated);
		record_free(peek_fields, &p);
	}
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = 0;
	mdb_cursor_close(cur);
	return rc;
}
