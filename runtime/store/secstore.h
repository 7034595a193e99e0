/* secstore.h - the records of the security layer (docs/security.md), kept as
 * given: secret values sealed by security/secret.c (ciphertext only: the store
 * never sees a key or a plain value), the keyring (wrapped data keys, the check
 * value, the KDF salt), grants, users, custom roles and API tokens (hashes).
 * security/ encodes, encrypts and checks them; the store keeps bytes by key, in
 * tables a second backend maps to its own (docs/store.md, "The interface a
 * backend implements").
 *
 * Every function works inside a transaction: a read one (store_read_begin) or
 * the write one an apply function is given (store_write). Keys and values read
 * are valid until the transaction ends or the table is written. Returns: 0,
 * STORE_NOTFOUND, STORE_KEYEXIST (secstore_put with SECSTORE_NEW), or another
 * store/errno code for store_error. */
#ifndef SOAR_SECSTORE_H
#define SOAR_SECSTORE_H

#include "store.h"

enum secstore_table {
	SECSTORE_SECRETS,     /* secret name -> sealed value record */
	SECSTORE_SECRET_KEYS, /* "dk" u32 BE -> wrapped data key; "current", "check", "kdf", ... */
	SECSTORE_GRANTS,      /* playbook, 0x00, secret name -> granted at */
	SECSTORE_USERS,       /* user name -> user record */
	SECSTORE_ROLES,       /* custom role name -> permission bits, created */
	SECSTORE_TOKENS,      /* token id 8 bytes -> sha256 of token, user, expiry */
};

#define SECSTORE_NEW 1u /* secstore_put: refuse (STORE_KEYEXIST) to replace a key */

int secstore_get(struct store *st, struct store_txn *txn, enum secstore_table t,
		 const struct store_val *key, struct store_val *val);
/* Write transactions only. */
int secstore_put(struct store *st, struct store_txn *txn, enum secstore_table t,
		 const struct store_val *key, const struct store_val *val, unsigned flags);
int secstore_del(struct store *st, struct store_txn *txn, enum secstore_table t,
		 const struct store_val *key);
/* Number of records in the table. */
int secstore_count(struct store *st, struct store_txn *txn, enum secstore_table t, uint64_t *n);

/* Walking a table in key order (keys compared as bytes). */
struct secstore_cursor;
enum secstore_op {
	SECSTORE_FIRST,       /* the first record */
	SECSTORE_NEXT,        /* the record after the current one */
	SECSTORE_SET_RANGE,   /* the first record whose key is >= the key given */
};
int secstore_cursor_open(struct store *st, struct store_txn *txn, enum secstore_table t,
			 struct secstore_cursor **cur);
/* 0 with the record in key and val, STORE_NOTFOUND past the end, or a code. */
int secstore_cursor_get(struct secstore_cursor *cur, struct store_val *key, struct store_val *val,
			enum secstore_op op);
/* Deletes the current record (write transactions); SECSTORE_NEXT then gives the
 * one after it. */
int secstore_cursor_del(struct secstore_cursor *cur);
void secstore_cursor_close(struct secstore_cursor *cur);

#endif
