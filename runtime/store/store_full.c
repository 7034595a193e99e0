/* store_full.c - see store_full.h. */
#include "store_int.h" /* first: pthread.h wants _GNU_SOURCE before anything */
#include "store_full.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>

/* free bytes the disk needs again before the full state clears */
#define STORE_FULL_CLEAR ((int64_t)1 << 20)

int store_full(struct store *st)
{
	return atomic_load_explicit(&st->full, memory_order_relaxed);
}

int64_t store_free_bytes(const struct store *st)
{
	struct statvfs sv;
	if (statvfs(st->dir, &sv) != 0)
		return -1;
	return (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
}

void store_full_describe(const struct store *st, char *out, size_t outlen)
{
	int64_t f = store_free_bytes(st);
	char free_s[64];
	if (f < 0)
		snprintf(free_s, sizeof free_s, "free space unknown");
	else if (f < 1 << 20)
		snprintf(free_s, sizeof free_s, "%.1f KiB free", (double)f / 1024);
	else if (f < (int64_t)1 << 30)
		snprintf(free_s, sizeof free_s, "%.1f MiB free", (double)f / (1 << 20));
	else
		snprintf(free_s, sizeof free_s, "%.1f GiB free", (double)f / (1 << 30));
	snprintf(out, outlen, "the data directory %s is full (%s)", st->dir, free_s);
}

static int apply_probe(struct store *st, struct store_txn *stx_, void *ctx, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	(void)ctx, (void)err, (void)errlen;
	unsigned char b[8];
	store_put_u64(b, (uint64_t)store_now_ms());
	MDB_val k = { 5, "probe" }, v = { 8, b };
	return mdb_put(txn, store_dbi(st, STORE_DB_META), &k, &v, 0);
}

int store_probe(struct store *st, char *err, size_t errlen)
{
	return store_write(st, apply_probe, NULL, err, errlen) == 0 ? 0 : -1;
}

/* LMDB turns a short write (the disk filled in the middle of a page run) into
 * EIO. A failed commit with EIO while the file system has less than 1 MiB
 * left is a full disk, and is said so. */
int store_full_code(struct store *st, int rc)
{
	if (rc == EIO) {
		int64_t f = store_free_bytes(st);
		if (f >= 0 && f < (1 << 20))
			return ENOSPC;
	}
	return rc;
}

/* The committer's note after each batch (store_batch.c). */
void store_full_note(struct store *st, int rc)
{
	int full = rc == ENOSPC || rc == EDQUOT || rc == MDB_MAP_FULL;
	if (full) {
		atomic_store_explicit(&st->full, 1, memory_order_relaxed);
		return;
	}
	/* A small write can still fit in pages the store freed before; the state
	 * clears once a write commits with room on the disk again, so that it does
	 * not flap with every small write that fits. */
	if (rc == 0 && store_full(st)) {
		int64_t f = store_free_bytes(st);
		if (f < 0 || f >= STORE_FULL_CLEAR)
			atomic_store_explicit(&st->full, 0, memory_order_relaxed);
	}
}
