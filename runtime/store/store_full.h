/* store_full.h - a full data directory: the state the daemon shows (507 to
 * writes, /healthz, metrics) and how it learns that space came back.
 *
 * A write that cannot get disk space (ENOSPC, EDQUOT) or map room past map_max
 * (MDB_MAP_FULL) fails whole: LMDB aborts the transaction, so nothing
 * half-written stays, and nothing was acknowledged (a write is acknowledged only
 * after its commit). Reads never need space and go on. */
#ifndef SOAR_STORE_FULL_H
#define SOAR_STORE_FULL_H

#include "store.h"

#include <stdint.h>

/* 1 from a write that failed for want of space until one commits with at
 * least 1 MiB free on the disk again. */
int store_full(struct store *st);

/* Free bytes for unprivileged writers on the data directory's file system, or
 * -1 when it cannot be read. */
int64_t store_free_bytes(const struct store *st);

/* One small write (meta "probe": the time): 0 when it committed (with room on
 * the disk, the store is no longer full), or -1 with the reason. The daemon calls it once a second
 * while full, so that it recovers with no traffic. */
int store_probe(struct store *st, char *err, size_t errlen);

/* "the data directory DIR is full (12.0 KiB free)": for messages. */
void store_full_describe(const struct store *st, char *out, size_t outlen);

#endif
