/* blob.c - content-addressed attachments in STORE_DB_BLOBS / STORE_DB_BLOB_META. */
#include "blob.h"
#include "store_db_int.h"
#include "hex.h"

#include <mbedtls/sha256.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Atomic size_t limit_bytes;

size_t blob_limit(void)
{
	size_t l = atomic_load(&limit_bytes);
	if (l)
		return l;
	l = BLOB_DEFAULT_LIMIT;
	const char *env = getenv("SOARCTL_BLOB_MAX");
	if (env && *env) {
		char *end;
		unsigned long long v = strtoull(env, &end, 10);
		if (!*end && v > 0)
			l = (size_t)v;
	}
	atomic_store(&limit_bytes, l);
	return l;
}

void blob_set_limit(size_t bytes)
{
	atomic_store(&limit_bytes, bytes);
}

int blob_check_size(size_t len, char *err, size_t errlen)
{
	size_t lim = blob_limit();
	if (len <= lim)
		return 0;
	snprintf(err, errlen, "attachment is %.1f MiB (%zu bytes); the limit is %.1f MiB "
		 "(%zu bytes): attach a smaller file, or raise SOARCTL_BLOB_MAX",
		 len / 1048576.0, len, lim / 1048576.0, lim);
	return -1;
}

void blob_sha256(const void *data, size_t len, unsigned char out[32])
{
	mbedtls_sha256_ret(data, len, out, 0);
}

/* meta value: size u64 | refs u64 | created i64, big endian */
int blob_put_txn(struct store *st, struct store_txn *stx, const unsigned char sha[32],
		 const void *data, size_t len, int64_t now)
{
	MDB_txn *txn = store_mdb(stx);
	MDB_val k = { 32, (void *)sha }, v;
	unsigned char meta[24];
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_BLOB_META), &k, &v);
	if (rc == 0 && v.mv_size == 24) {
		memcpy(meta, v.mv_data, 24);
		store_put_u64(meta + 8, store_get_u64(meta + 8) + 1);
	} else if (rc == MDB_NOTFOUND) {
		MDB_val d = { len, (void *)data };
		if ((rc = mdb_put(txn, store_dbi(st, STORE_DB_BLOBS), &k, &d, 0)) != 0)
			return rc;
		store_put_u64(meta, len);
		store_put_u64(meta + 8, 1);
		store_put_u64(meta + 16, (uint64_t)now);
	} else {
		return rc ? rc : MDB_CORRUPTED;
	}
	MDB_val mv = { 24, meta };
	return mdb_put(txn, store_dbi(st, STORE_DB_BLOB_META), &k, &mv, 0);
}

int blob_get(struct store *st, const char *hex, void **data, size_t *len,
	     uint64_t *refs, char *err, size_t errlen)
{
	unsigned char sha[32];
	if (!hex || hex_decode_n(hex, strlen(hex), sha, sizeof sha) != 0) {
		snprintf(err, errlen, "'%s' is not a SHA-256 (64 hex digits)", hex);
		return -1;
	}
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	MDB_val k = { 32, sha }, v, m;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_BLOBS), &k, &v);
	int ret = 0;
	if (rc == MDB_NOTFOUND) {
		snprintf(err, errlen, "no attachment with SHA-256 %s", hex);
		ret = 1;
	} else if (rc) {
		store_error(st, rc, "reading an attachment", err, errlen);
		ret = -1;
	} else if (!(*data = malloc(v.mv_size ? v.mv_size : 1))) {
		snprintf(err, errlen, "out of memory");
		ret = -1;
	} else {
		memcpy(*data, v.mv_data, v.mv_size);
		*len = v.mv_size;
		if (refs)
			*refs = mdb_get(txn, store_dbi(st, STORE_DB_BLOB_META), &k, &m) == 0 &&
				m.mv_size == 24 ? store_get_u64((unsigned char *)m.mv_data + 8) : 0;
	}
	store_mdb_read_end(st, txn);
	return ret;
}
