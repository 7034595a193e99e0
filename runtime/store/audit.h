/* audit.h - the append-only, hash-chained audit log (STORE_DB_AUDIT).
 *
 * Entry (value under key seq u64 BE), all integers big endian:
 *   u8 version | u64 seq | i64 time_ms | u16 len, actor | u16 len, action |
 *   u16 len, object | u32 len, details (JSON) | prev hash [32] | hash [32]
 * Version 2 (keyed): hash = HMAC-SHA256(K, every byte before `hash`), K the
 * chain key the master key wraps (secret.h secret_audit_key). Version 1
 * (entries written before the log was keyed, or in a store without a master
 * key): hash = SHA-256("soarctl-audit-v1" || every byte before `hash`).
 * prev hash is the previous entry's hash (32 zero bytes for seq 1). The head
 * (last seq and hash, MAC'd under K) is kept in the keyring ("audit_head",
 * with every keyed entry) and in the head file (DATADIR/audit.head), so that
 * changing, deleting, inserting or reordering entries, and cutting the tail,
 * are found without a checkpoint by anyone verifying with the master key
 * (docs/security.md says what stays possible). A process that has not opened
 * the vault cannot append to a keyed log: the append is refused.
 *
 * Details are JSON; values that look like secrets (under keys such as
 * "password", "token", "api_key", or strings shaped like credentials) are
 * replaced by "hmac-sha256:" + 32 hex digits, a keyed HMAC (per-store random
 * key): equal values can be correlated, the values cannot be read.
 *
 * Actors by convention: "cli:USER", "token:USER", "playbook:NAME",
 * "integration:NAME", "system". */
#ifndef SOAR_AUDIT_H
#define SOAR_AUDIT_H

#include "store.h"

#include <stdint.h>

#define AUDIT_HASH_LEN 32
#define AUDIT_MAX_FIELD 1024          /* actor, action, object */
#define AUDIT_MAX_DETAILS (64 * 1024) /* details JSON after scrubbing */

/* Appends one entry and waits until it is durable. details_json may be NULL
 * ("{}"); it must be a JSON object. Returns 0, or -1 with `err` set. */
int audit_append(struct store *st, const char *actor, const char *action, const char *object,
		 const char *details_json, char *err, size_t errlen);

/* The same inside a write transaction that is already open (an apply function
 * of store_write), so that a change and its audit entry commit together.
 * Returns 0, STORE_REFUSED (bad details, err set) or a store code, as apply
 * functions do; safe to run again when the batch is retried. *seq (may be
 * NULL) receives the entry's sequence number. */
int audit_append_txn(struct store *st, struct store_txn *txn, const char *actor, const char *action,
		     const char *object, const char *details_json, uint64_t *seq,
		     char *err, size_t errlen);

/* One decoded entry. The strings point into the store's memory, are NOT
 * NUL-terminated (use the lengths) and are valid only during the callback. */
struct audit_entry {
	uint64_t seq;
	int64_t time_ms;
	const char *actor, *action, *object, *details;
	size_t actor_len, action_len, object_len, details_len;
	unsigned char prev[AUDIT_HASH_LEN], hash[AUDIT_HASH_LEN];
};

/* Calls cb for entries with seq >= from, oldest first, at most `limit` (0 = all).
 * A callback returning non-zero stops the walk. Entries that do not decode are
 * skipped (verify reports them). Returns 0, or -1 with `err`. */
int audit_list(struct store *st, uint64_t from, size_t limit,
	       int (*cb)(const struct audit_entry *e, void *ud), void *ud,
	       char *err, size_t errlen);

/* Entries of the last `limit` only: the seq to pass as `from`. */
uint64_t audit_tail_from(struct store *st, size_t limit);

struct audit_checkpoint {
	uint64_t seq;                        /* entries in the log (0 = empty) */
	unsigned char head[AUDIT_HASH_LEN];  /* hash of entry `seq` */
};

/* The log's current size and head. Returns 0, or -1 with `err`. */
int audit_checkpoint(struct store *st, struct audit_checkpoint *cp, char *err, size_t errlen);

/* "SEQ:HEX" <-> checkpoint. Format into buf (>= 86 bytes). Parse returns 0/-1. */
void audit_checkpoint_format(const struct audit_checkpoint *cp, char *buf, size_t len);
int audit_checkpoint_parse(const char *s, struct audit_checkpoint *cp);

struct audit_report {
	uint64_t entries;       /* entries read */
	uint64_t keyed_from;    /* 0: no chain key (legacy); else the first keyed entry */
	int head_file;          /* 1 checked, 0 none found, 2 none found and written now */
	uint64_t first_bad;     /* 0 = intact; else the first seq found bad */
	char why[256];          /* what is wrong with it */
	int need_key;           /* -1 returned because the log is keyed and no key was given */
	struct audit_checkpoint head;
};

/* Walks the whole chain. With `cp` (may be NULL), also checks that the log
 * still holds entry cp->seq with hash cp->head (truncation, rewriting).
 * Returns 0 intact, 1 tampered (see report), -1 could not read (err). */
int audit_verify(struct store *st, const struct audit_checkpoint *cp,
		 struct audit_report *rep, char *err, size_t errlen);

/* Drops the chain key this process unwrapped (secret.c calls it when a vault
 * is opened or closed: the next append unwraps it again, with that vault). */
void audit_key_forget(void);

/* The chain key lives with the secrets (security/, a layer above the store):
 * the secrets hand these down when a vault is opened (secret.c), so the store
 * never calls up. Until then no process can key or check a keyed log. */
struct secret_vault;
struct audit_key_source {
	/* the vault opened in this process for st, or NULL */
	struct secret_vault *(*vault_of)(struct store *st);
	/* secret_audit_key (secret.h) */
	int (*key)(struct secret_vault *v, struct store_txn *txn, int create, uint64_t next_seq,
		   unsigned char key[32], uint64_t *keyed_from, char *err, size_t errlen);
};
void audit_set_key_source(const struct audit_key_source *src);

/* Scrubs details JSON (see above) with the HMAC `key` into `out`. Returns 0, or
 * -1 when `json` is not a JSON object (err says where). Exposed for tests. */
struct store_buf;
int audit_scrub_details(const unsigned char key[32], const char *json, size_t len,
			struct store_buf *out, char *err, size_t errlen);

#endif
