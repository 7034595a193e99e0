/* blob.h - content-addressed blobs (attachments): stored once under their
 * SHA-256 however many cases refer to them, with a size limit. */
#ifndef SOAR_BLOB_H
#define SOAR_BLOB_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

#define BLOB_DEFAULT_LIMIT ((size_t)32 << 20) /* 32 MiB */

/* The process-wide size limit (default 32 MiB; $SOARCTL_BLOB_MAX in bytes
 * overrides it at first use). */
size_t blob_limit(void);
void blob_set_limit(size_t bytes);

/* 0, or -1 with "attachment is 40.0 MiB; the limit is 32.0 MiB ..." in err. */
int blob_check_size(size_t len, char *err, size_t errlen);

void blob_sha256(const void *data, size_t len, unsigned char out[32]);

/* Inside a write transaction: stores the content if its hash is new and counts
 * one more reference. Returns 0 or a store code. `sha` must be data's SHA-256. */
int blob_put_txn(struct store *st, struct store_txn *txn, const unsigned char sha[32],
		 const void *data, size_t len, int64_t now);

/* Reads a blob by hex address: *data is malloc'd (free()). Returns 0, 1 not
 * found, -1 failure (message in err). refs may be NULL. */
int blob_get(struct store *st, const char *hex, void **data, size_t *len,
	     uint64_t *refs, char *err, size_t errlen);

#endif
