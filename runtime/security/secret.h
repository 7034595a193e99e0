/* secret.h - secrets encrypted at rest (AES-256-GCM), for integrations and the
 * playbooks they are granted to. Formats and the threat model: docs/security.md.
 *
 * A vault is the master key of one store, checked against the store's key check
 * value when it is opened: a wrong key is refused before anything is read or
 * written. Data keys (one current, older ones until a rotation finishes) are
 * stored wrapped by the master key; values are sealed under a data key with the
 * secret's name in the associated data. Plaintext exists only in the caller's
 * buffer for secret_get, and in the caller's value for secret_set.
 *
 * Every change (set, rm, grant, ungrant, rotate) is audited in the same
 * transaction as the change; refused reads are audited too. */
#ifndef SOAR_SECRET_H
#define SOAR_SECRET_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

struct redact_set;

#define SECRET_MAX_VALUE (64 * 1024)
#define SECRET_MAX_NAME 160

/* Return codes besides 0 and -1 (error, message in err). */
#define SECRET_NOT_FOUND 1
#define SECRET_DENIED 2

struct secret_vault;

/* Opens the vault of `st`, whose data directory is `datadir` (for the key
 * file). The master key comes from, in order: $SOARCTL_MASTER_KEY (64 hex
 * digits); a passphrase ($SOARCTL_PASSPHRASE, or a no-echo prompt when the
 * store is passphrase-protected and stdin is a terminal) through PBKDF2; the key
 * file ($SOARCTL_MASTER_KEY_FILE, else DATADIR/master.key). Refuses a key that
 * does not match the store's check value, saying so. Makes the process
 * undumpable (sc_harden_process). Returns NULL with `err` on failure; the
 * caller owns the vault: secret_vault_close(). */
struct secret_vault *secret_vault_open(struct store *st, const char *datadir,
				       char *err, size_t errlen);

/* Zeroises the master key and frees the vault. NULL is fine. */
void secret_vault_close(struct secret_vault *v);

/* The process-wide vault of store_default() (opened on first use; thread-safe).
 * Owned by the process: do not close it. NULL with `err` when it cannot open. */
struct secret_vault *secret_vault_default(char *err, size_t errlen);

/* Where the vault's master key came from, for messages: "key file /x/master.key",
 * "$SOARCTL_MASTER_KEY", "passphrase". Owned by the vault. */
const char *secret_vault_source(const struct secret_vault *v);

/* Names are "integration.key": integration [a-z0-9_-]{1,63}, a dot, key
 * [A-Za-z0-9_.-]{1,96}. Returns 0, or -1 with a message saying what is wrong. */
int secret_name_check(const char *name, char *err, size_t errlen);

/* Stores (or replaces) a value, sealed under the current data key (created on
 * the first write). len 1..SECRET_MAX_VALUE. `actor` is recorded and audited.
 * Returns 0 or -1. */
int secret_set(struct secret_vault *v, const char *name, const void *value, size_t len,
	       const char *actor, char *err, size_t errlen);

/* Removes a secret and the playbook grants of it. 0, SECRET_NOT_FOUND or -1. */
int secret_rm(struct secret_vault *v, const char *name, const char *actor,
	      char *err, size_t errlen);

/* Who may read a value. Users never read values through the API: integrations
 * read their own, playbooks what was granted to them. */
enum secret_actor_kind {
	SECRET_ACTOR_INTEGRATION, /* name = the integration ("virustotal") */
	SECRET_ACTOR_PLAYBOOK,    /* name = the playbook's name */
};
struct secret_actor {
	enum secret_actor_kind kind;
	const char *name;
};

/* The policy alone (no store): an integration may read only "NAME.*" where NAME
 * is its own; a playbook only a secret granted to it (`granted`). Returns 0, or
 * SECRET_DENIED with the reason in `err`. */
int secret_policy(const struct secret_actor *a, const char *secret, int granted,
		  char *err, size_t errlen);

/* Reads a value into buf (cap bytes). Checks the policy first (grants read from
 * the store); a refusal is audited. When `rs` is not NULL the value is added to
 * that run's redaction set before this returns, so nothing the run writes can
 * hold it. The caller zeroises buf after use (sc_zero). Returns 0 (*len set),
 * SECRET_NOT_FOUND, SECRET_DENIED, or -1 (also when the stored value fails
 * authentication: nothing is returned then). */
int secret_get(struct secret_vault *v, const struct secret_actor *a, const char *name,
	       struct redact_set *rs, unsigned char *buf, size_t cap, size_t *len,
	       char *err, size_t errlen);

/* What `list` shows: never values. Pointers valid during the callback only. */
struct secret_info {
	const char *name;
	const char *set_by;
	int64_t set_at_ms;
	uint32_t key_id;
	size_t size;        /* plaintext length */
};

/* Calls cb for every secret in name order (a non-zero return stops). Needs no
 * master key: names and metadata are not secret. Returns 0 or -1. */
int secret_list(struct store *st, int (*cb)(const struct secret_info *i, void *ud), void *ud,
		char *err, size_t errlen);

/* Grants playbook `playbook` the reading of `name` (which must exist), or takes
 * the grant back. Return 0, SECRET_NOT_FOUND (ungrant: no such grant) or -1. */
int secret_grant(struct store *st, const char *playbook, const char *name, const char *actor,
		 char *err, size_t errlen);
int secret_ungrant(struct store *st, const char *playbook, const char *name, const char *actor,
		   char *err, size_t errlen);

/* Calls cb(playbook, secret, ud) for every grant. Returns 0 or -1. */
int secret_grants(struct store *st, int (*cb)(const char *playbook, const char *secret, void *ud),
		  void *ud, char *err, size_t errlen);

struct secret_rotation {
	uint32_t old_key, new_key;  /* new_key is current afterwards */
	uint64_t reencrypted;       /* values sealed again */
	unsigned retired;           /* old data keys deleted */
};

/* Makes a new data key current, re-encrypts every value under it in batches,
 * then deletes the old data keys, once no value uses them. Interrupted, it
 * leaves every value readable (old keys stay until the end); run it again.
 * Returns 0 or -1. */
int secret_rotate(struct secret_vault *v, const char *actor, struct secret_rotation *out,
		  char *err, size_t errlen);

struct secret_master_rotation {
	unsigned data_keys;        /* data keys wrapped again */
	const char *to;            /* "file", "env" or "passphrase" */
	int keyfile_removed;       /* moved away from a key file: it was deleted */
};

/* Replaces the master key: every data key is wrapped again under the new one,
 * with the check value (and KDF record), in one transaction; audited. `to`:
 * "file" (a new random key file, written as PATH.new and renamed over the key
 * file once the store has committed; a crash between the two is finished by the
 * next open), "env" (the key in $SOARCTL_NEW_MASTER_KEY; processes must then
 * be given it as $SOARCTL_MASTER_KEY), "passphrase" ($SOARCTL_NEW_PASSPHRASE or
 * asked twice at a terminal), or NULL: the kind in use. Afterwards v holds the
 * new key. Returns 0 or -1. */
int secret_rotate_master(struct secret_vault *v, const char *datadir, const char *to,
			 const char *actor, struct secret_master_rotation *out, char *err,
			 size_t errlen);

/* The audit log's chain key (audit.c), kept in the keyring wrapped under the
 * master key (record "audit_chain", docs/security.md). Inside a write (or
 * read) transaction. With `create`, makes it when absent, the log keyed from
 * entry `next_seq` on. Returns 0 (key and *keyed_from set; the caller zeroes
 * key), STORE_NOTFOUND (absent and not created), STORE_REFUSED (does not open
 * with this master key: err), or a store code. */
int secret_audit_key(struct secret_vault *v, struct store_txn *txn, int create, uint64_t next_seq,
		     unsigned char key[32], uint64_t *keyed_from, char *err, size_t errlen);

/* The vault opened in this process for `st` (by secret_vault_open), or NULL:
 * what audit.c keys new entries with. */
struct secret_vault *secret_vault_attached(struct store *st);

/* For commands and the daemon, before they write: opens the process's default
 * vault (which keys the audit log) when a master key can be had: the store's
 * audit log is keyed (then a passphrase may be asked at a terminal),
 * $SOARCTL_MASTER_KEY or $SOARCTL_PASSPHRASE is set, or the key file exists.
 * Returns 1 opened, 0 no key to be had, -1 the log is keyed and the key did not
 * open (err says why; writes will be refused). */
int secret_vault_prepare(struct store *st, const char *datadir, char *err, size_t errlen);

/* For `soarctl init` (see secret_init.c): creates the master key file (0600)
 * when no key is given by the environment and the file does not exist.
 * Returns 1 created, 0 nothing to do, -1 error. */
int secret_init_keyfile(const char *datadir, char *err, size_t errlen);

#endif
