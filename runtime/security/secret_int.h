/* secret_int.h - the keyring (master key check, KDF parameters, wrapped data
 * keys in SECSTORE_SECRET_KEYS) shared by secret.c and secret_keyring.c.
 * Not for other modules. */
#ifndef SOAR_SECRET_INT_H
#define SOAR_SECRET_INT_H

#include "secret.h"
#include "secret_crypto.h"

#include <pthread.h>

enum key_source { KEYSRC_ENV, KEYSRC_PASSPHRASE, KEYSRC_FILE };

struct secret_vault {
	unsigned char master[SC_KEY_LEN];  /* first: the page is mlock'd */
	struct store *st;
	enum key_source src;
	char source[320];
	/* a passphrase store not yet written: its KDF record, written with the keyring */
	int kdf_pending;
	unsigned char salt[16];
	uint32_t iterations;
};

/* The current data key, unwrapped into dk (the caller zeroises it); creates the
 * keyring (data key 1, check value, KDF record) when the store has none. Checks
 * the master key against the check value first (STORE_REFUSED "wrong master key"
 * with nothing written). For apply functions. Returns 0, STORE_REFUSED or an
 * store code. */
int keyring_current(struct secret_vault *v, struct store_txn *txn, uint32_t *id,
		    unsigned char dk[SC_KEY_LEN], char *err, size_t errlen);

/* Data key `id` unwrapped (any txn). 0, STORE_REFUSED (missing or fails
 * authentication: message in err) or a store code. */
int keyring_get(struct secret_vault *v, struct store_txn *txn, uint32_t id,
		unsigned char dk[SC_KEY_LEN], char *err, size_t errlen);

/* Adds a new data key and makes it current. 0/STORE_REFUSED/store code. */
int keyring_add(struct secret_vault *v, struct store_txn *txn, uint32_t *old_id, uint32_t *new_id,
		char *err, size_t errlen);

/* Deletes every data key but `keep`; *n receives how many. 0 or a store code. */
int keyring_retire(struct secret_vault *v, struct store_txn *txn, uint32_t keep, unsigned *n);

/* Wraps every data key again under next's master key (same ids) and writes
 * next's check value and KDF record (or drops the KDF record), in txn. v's key
 * must match first. *n: data keys re-wrapped. 0/STORE_REFUSED/store code. */
int keyring_rewrap(struct secret_vault *v, struct store_txn *txn, const struct secret_vault *next,
		   unsigned *n, char *err, size_t errlen);

/* How many data keys the keyring holds. 0 or a store code. */
int keyring_count(struct secret_vault *v, struct store_txn *txn, unsigned *n);

/* Compares the master key with the stored check value (read-only). Returns 0
 * (matches, or no keyring yet), STORE_REFUSED with a message, or a store code. */
int keyring_check(struct secret_vault *v, struct store_txn *txn, char *err, size_t errlen);

/* Reads the KDF record of a passphrase store: 1 found (salt and iterations
 * set), 0 none, -1 malformed. */
int keyring_kdf(struct store *st, struct store_txn *txn, unsigned char salt[16], uint32_t *iterations);

#endif
