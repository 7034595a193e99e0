/* secret_keyring.c - the keyring in SECSTORE_SECRET_KEYS (see docs/security.md):
 *   "check"      u8 version 1 | u8 source (0 key, 1 passphrase) |
 *                HMAC-SHA256(master, "soarctl master key check v1")
 *   "kdf"        u8 version 1 | u32 iterations | salt[16]   (passphrase stores)
 *   "current"    u32 id of the data key new values are sealed with
 *   "dk" u32 id  u8 version 1 | i64 created_ms | nonce[12] | wrapped key[32] | tag[16]
 *                AAD "soarctl-dk-v1" | u32 id | i64 created_ms
 *   "audit_chain" the audit log's chain key, wrapped the same way (end of file)
 * The check value is an HMAC, not an encryption of something known: it tells a
 * wrong key from a right one and reveals nothing usable about the key. */
#include "secret_int.h"
#include "hmac.h"
#include "secstore.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_LABEL "soarctl master key check v1"
#define DK_AAD "soarctl-dk-v1"
#define DK_REC (1 + 8 + SC_NONCE_LEN + SC_KEY_LEN + SC_TAG_LEN)

static int get(struct secret_vault *v, struct store_txn *txn, const char *name, struct store_val *out)
{
	struct store_val k = { strlen(name), (void *)name };
	return secstore_get(v->st, txn, SECSTORE_SECRET_KEYS, &k, out);
}

static int put(struct secret_vault *v, struct store_txn *txn, const void *key, size_t klen,
	       const void *val, size_t vlen)
{
	struct store_val k = { klen, (void *)key }, d = { vlen, (void *)val };
	return secstore_put(v->st, txn, SECSTORE_SECRET_KEYS, &k, &d, 0);
}

static void dk_key(unsigned char out[6], uint32_t id)
{
	out[0] = 'd';
	out[1] = 'k';
	store_put_u32(out + 2, id);
}

/* 0, or ENOMEM when mbedTLS cannot allocate its HMAC context (never written:
 * a check value of zeroes would lock the store's secrets). */
static int check_value(const struct secret_vault *v, unsigned char out[2 + 32])
{
	out[0] = 1;
	out[1] = v->src == KEYSRC_PASSPHRASE;
	return hmac_sha256(v->master, SC_KEY_LEN, CHECK_LABEL, sizeof CHECK_LABEL - 1, out + 2) ? ENOMEM : 0;
}

int keyring_kdf(struct store *st, struct store_txn *txn, unsigned char salt[16], uint32_t *iterations)
{
	struct store_val k = { 3, "kdf" }, d;
	if (secstore_get(st, txn, SECSTORE_SECRET_KEYS, &k, &d) != 0)
		return 0;
	const unsigned char *p = d.data;
	if (d.len != 1 + 4 + 16 || p[0] != 1)
		return -1;
	*iterations = store_get_u32(p + 1);
	memcpy(salt, p + 5, 16);
	return 1;
}

int keyring_check(struct secret_vault *v, struct store_txn *txn, char *err, size_t errlen)
{
	struct store_val d;
	int rc = get(v, txn, "check", &d);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	unsigned char want[34];
	if (check_value(v, want) != 0)
		return ENOMEM;
	const unsigned char *p = d.data;
	int ok = d.len == sizeof want && sc_equal(p + 2, want + 2, 32);
	sc_zero(want, sizeof want);
	if (ok)
		return 0;
	if (d.len == sizeof want && p[1] && v->src != KEYSRC_PASSPHRASE)
		snprintf(err, errlen, "wrong master key (from %s): this store's secrets are "
			 "protected by a passphrase; set SOARCTL_PASSPHRASE or run at a terminal "
			 "to be asked. Nothing was read or changed.", v->source);
	else
		snprintf(err, errlen, "wrong master key (from %s): it does not open this store's "
			 "secrets. Use the key file, $SOARCTL_MASTER_KEY or passphrase the secrets "
			 "were stored with. Nothing was read or changed.", v->source);
	return STORE_REFUSED;
}

/* Wraps dk under the master key as data key `id`. */
static int wrap_put(struct secret_vault *v, struct store_txn *txn, uint32_t id,
		    const unsigned char dk[SC_KEY_LEN], char *err, size_t errlen)
{
	unsigned char rec[DK_REC], aad[sizeof DK_AAD - 1 + 4 + 8];
	rec[0] = 1;
	store_put_u64(rec + 1, (uint64_t)store_now_ms());
	if (sc_random(rec + 9, SC_NONCE_LEN, err, errlen) != 0)
		return STORE_REFUSED;
	memcpy(aad, DK_AAD, sizeof DK_AAD - 1);
	store_put_u32(aad + sizeof DK_AAD - 1, id);
	memcpy(aad + sizeof DK_AAD - 1 + 4, rec + 1, 8);
	if (sc_seal(v->master, rec + 9, aad, sizeof aad, dk, SC_KEY_LEN, rec + 9 + SC_NONCE_LEN,
		    rec + 9 + SC_NONCE_LEN + SC_KEY_LEN) != 0) {
		snprintf(err, errlen, "wrapping a data key failed (mbedTLS)");
		return STORE_REFUSED;
	}
	unsigned char k[6];
	dk_key(k, id);
	return put(v, txn, k, sizeof k, rec, sizeof rec);
}

int keyring_get(struct secret_vault *v, struct store_txn *txn, uint32_t id,
		unsigned char dk[SC_KEY_LEN], char *err, size_t errlen)
{
	unsigned char k[6];
	dk_key(k, id);
	struct store_val kk = { sizeof k, k }, d;
	int rc = secstore_get(v->st, txn, SECSTORE_SECRET_KEYS, &kk, &d);
	if (rc == STORE_NOTFOUND) {
		snprintf(err, errlen, "data key %u is missing from the keyring: the store was "
			 "damaged or edited; restore it from a backup", (unsigned)id);
		return STORE_REFUSED;
	}
	if (rc)
		return rc;
	const unsigned char *p = d.data;
	unsigned char aad[sizeof DK_AAD - 1 + 4 + 8];
	if (d.len != DK_REC || p[0] != 1)
		goto bad;
	memcpy(aad, DK_AAD, sizeof DK_AAD - 1);
	store_put_u32(aad + sizeof DK_AAD - 1, id);
	memcpy(aad + sizeof DK_AAD - 1 + 4, p + 1, 8);
	if (sc_open(v->master, p + 9, aad, sizeof aad, p + 9 + SC_NONCE_LEN, SC_KEY_LEN,
		    p + 9 + SC_NONCE_LEN + SC_KEY_LEN, dk) != 0)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "data key %u fails authentication: the keyring was changed "
		 "or damaged; restore the store from a backup", (unsigned)id);
	return STORE_REFUSED;
}

/* Calls fn for the id of every data key, in order; stops on a non-zero
 * return, which it returns (else 0 or an LMDB code). */
static int each_dk(struct secret_vault *v, struct store_txn *txn,
		   int (*fn)(struct secstore_cursor *cur, uint32_t id, void *ud), void *ud)
{
	struct secstore_cursor *cur;
	int rc = secstore_cursor_open(v->st, txn, SECSTORE_SECRET_KEYS, &cur);
	if (rc)
		return rc;
	unsigned char start[2] = { 'd', 'k' };
	struct store_val k = { 2, start }, d;
	for (int r = secstore_cursor_get(cur, &k, &d, SECSTORE_SET_RANGE); r == 0 && rc == 0;
	     r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
		if (k.len != 6 || memcmp(k.data, "dk", 2) != 0)
			break;
		rc = fn(cur, store_get_u32((const unsigned char *)k.data + 2), ud);
	}
	secstore_cursor_close(cur);
	return rc;
}

static int create(struct secret_vault *v, struct store_txn *txn, uint32_t *id,
		  unsigned char dk[SC_KEY_LEN], char *err, size_t errlen)
{
	if (v->src == KEYSRC_PASSPHRASE && !v->kdf_pending) {
		/* opened with a passphrase but the KDF record vanished: do not guess */
		snprintf(err, errlen, "the keyring is missing but the passphrase's KDF record "
			 "is not: the store was damaged or edited");
		return STORE_REFUSED;
	}
	if (sc_random(dk, SC_KEY_LEN, err, errlen) != 0)
		return STORE_REFUSED;
	int rc = 0;
	if (v->src == KEYSRC_PASSPHRASE) {
		unsigned char kdf[1 + 4 + 16];
		kdf[0] = 1;
		store_put_u32(kdf + 1, v->iterations);
		memcpy(kdf + 5, v->salt, 16);
		rc = put(v, txn, "kdf", 3, kdf, sizeof kdf);
	}
	unsigned char chk[34], cur[4];
	if (rc == 0)
		rc = check_value(v, chk);
	if (rc == 0)
		rc = put(v, txn, "check", 5, chk, sizeof chk);
	sc_zero(chk, sizeof chk);
	if (rc == 0)
		rc = wrap_put(v, txn, 1, dk, err, errlen);
	store_put_u32(cur, 1);
	if (rc == 0)
		rc = put(v, txn, "current", 7, cur, 4);
	*id = 1;
	return rc;
}

static int audit_key_rewrap(struct secret_vault *v, struct store_txn *txn, const struct secret_vault *next,
			    char *err, size_t errlen);

static int current_id(struct secret_vault *v, struct store_txn *txn, uint32_t *id)
{
	struct store_val d;
	int rc = get(v, txn, "current", &d);
	if (rc)
		return rc;
	if (d.len != 4)
		return STORE_CORRUPTED;
	*id = store_get_u32(d.data);
	return 0;
}

int keyring_current(struct secret_vault *v, struct store_txn *txn, uint32_t *id,
		    unsigned char dk[SC_KEY_LEN], char *err, size_t errlen)
{
	int rc = keyring_check(v, txn, err, errlen);
	if (rc)
		return rc;
	rc = current_id(v, txn, id);
	if (rc == STORE_NOTFOUND)
		return create(v, txn, id, dk, err, errlen);
	if (rc)
		return rc;
	return keyring_get(v, txn, *id, dk, err, errlen);
}

static int max_id(struct secstore_cursor *cur, uint32_t id, void *ud)
{
	(void)cur;
	uint32_t *max = ud;
	if (id > *max)
		*max = id;
	return 0;
}

int keyring_add(struct secret_vault *v, struct store_txn *txn, uint32_t *old_id, uint32_t *new_id,
		char *err, size_t errlen)
{
	unsigned char dk[SC_KEY_LEN];
	int rc = keyring_current(v, txn, old_id, dk, err, errlen);
	sc_zero(dk, sizeof dk);
	if (rc)
		return rc;
	/* the highest id in use, so that an id is never reused */
	uint32_t max = *old_id;
	if ((rc = each_dk(v, txn, max_id, &max)) != 0)
		return rc;
	*new_id = max + 1;
	if (sc_random(dk, SC_KEY_LEN, err, errlen) != 0)
		return STORE_REFUSED;
	rc = wrap_put(v, txn, *new_id, dk, err, errlen);
	sc_zero(dk, sizeof dk);
	unsigned char c[4];
	store_put_u32(c, *new_id);
	if (rc == 0)
		rc = put(v, txn, "current", 7, c, 4);
	return rc;
}

struct retire_ctx {
	uint32_t keep;
	unsigned n;
};

static int retire_one(struct secstore_cursor *cur, uint32_t id, void *ud)
{
	struct retire_ctx *c = ud;
	if (id == c->keep)
		return 0;
	/* LMDB may keep the freed page's bytes in the file until reused: the
	 * wrapped key stays sealed under the master key (docs/security.md) */
	int rc = secstore_cursor_del(cur);
	if (rc == 0)
		c->n++;
	return rc;
}

int keyring_retire(struct secret_vault *v, struct store_txn *txn, uint32_t keep, unsigned *n)
{
	struct retire_ctx c = { keep, 0 };
	int rc = each_dk(v, txn, retire_one, &c);
	*n = c.n;
	return rc;
}

struct ids {
	uint32_t id[4096];
	size_t n;
};

static int count_one(struct secstore_cursor *cur, uint32_t id, void *ud)
{
	(void)cur;
	(void)id;
	(*(unsigned *)ud)++;
	return 0;
}

int keyring_count(struct secret_vault *v, struct store_txn *txn, unsigned *n)
{
	*n = 0;
	return each_dk(v, txn, count_one, n);
}

static int collect_id(struct secstore_cursor *cur, uint32_t id, void *ud)
{
	(void)cur;
	struct ids *s = ud;
	if (s->n == sizeof s->id / sizeof s->id[0])
		return STORE_REFUSED;
	s->id[s->n++] = id;
	return 0;
}

int keyring_rewrap(struct secret_vault *v, struct store_txn *txn, const struct secret_vault *next,
		   unsigned *n, char *err, size_t errlen)
{
	*n = 0;
	int rc = keyring_check(v, txn, err, errlen);
	if (rc)
		return rc;
	/* The ids first: the loop below writes into the database it walks. */
	struct ids *ids = calloc(1, sizeof *ids);
	if (!ids)
		return ENOMEM;
	if ((rc = each_dk(v, txn, collect_id, ids)) != 0) {
		if (rc == STORE_REFUSED)
			snprintf(err, errlen, "more than %zu data keys: run `soarctl secret rotate-key` "
				 "first (it retires the old ones)", ids->n);
		free(ids);
		return rc;
	}
	size_t nids = ids->n;
	unsigned char dk[SC_KEY_LEN];
	for (size_t i = 0; i < nids && rc == 0; i++) {
		rc = keyring_get(v, txn, ids->id[i], dk, err, errlen);
		if (rc == 0)
			rc = wrap_put((struct secret_vault *)next, txn, ids->id[i], dk, err, errlen);
	}
	sc_zero(dk, sizeof dk);
	free(ids);
	if (rc)
		return rc;
	*n = (unsigned)nids;
	if ((rc = audit_key_rewrap(v, txn, next, err, errlen)) != 0)
		return rc;
	if (nids == 0)
		return 0;   /* no keyring yet: the first `secret set` makes it, under next */
	unsigned char chk[34];
	rc = check_value(next, chk);
	if (rc == 0)
		rc = put(v, txn, "check", 5, chk, sizeof chk);
	sc_zero(chk, sizeof chk);
	if (rc == 0 && next->src == KEYSRC_PASSPHRASE) {
		unsigned char kdf[1 + 4 + 16];
		kdf[0] = 1;
		store_put_u32(kdf + 1, next->iterations);
		memcpy(kdf + 5, next->salt, 16);
		rc = put(v, txn, "kdf", 3, kdf, sizeof kdf);
	} else if (rc == 0) {
		struct store_val kk = { 3, "kdf" };
		rc = secstore_del(v->st, txn, SECSTORE_SECRET_KEYS, &kk);
		if (rc == STORE_NOTFOUND)
			rc = 0;
	}
	return rc;
}

/* ---- the audit log's chain key (audit.c; docs/security.md) ----
 *   "audit_chain"  u8 version 1 | u64 keyed_from | nonce[12] | wrapped key[32] |
 *                  tag[16]; AAD "soarctl-audit-chain-v1" | u8 version | u64 keyed_from */

#define AC_AAD "soarctl-audit-chain-v1"
#define AC_REC (1 + 8 + SC_NONCE_LEN + SC_KEY_LEN + SC_TAG_LEN)

static void ac_aad(unsigned char aad[sizeof AC_AAD - 1 + 9], const unsigned char *rec)
{
	memcpy(aad, AC_AAD, sizeof AC_AAD - 1);
	memcpy(aad + sizeof AC_AAD - 1, rec, 9);
}

static int ac_wrap_put(const struct secret_vault *v, struct store_txn *txn, uint64_t keyed_from,
		       const unsigned char key[SC_KEY_LEN], char *err, size_t errlen)
{
	unsigned char rec[AC_REC], aad[sizeof AC_AAD - 1 + 9];
	rec[0] = 1;
	store_put_u64(rec + 1, keyed_from);
	if (sc_random(rec + 9, SC_NONCE_LEN, err, errlen) != 0)
		return STORE_REFUSED;
	ac_aad(aad, rec);
	if (sc_seal(v->master, rec + 9, aad, sizeof aad, key, SC_KEY_LEN, rec + 9 + SC_NONCE_LEN,
		    rec + 9 + SC_NONCE_LEN + SC_KEY_LEN) != 0) {
		snprintf(err, errlen, "wrapping the audit key failed (mbedTLS)");
		return STORE_REFUSED;
	}
	return put((struct secret_vault *)v, txn, "audit_chain", 11, rec, sizeof rec);
}

int secret_audit_key(struct secret_vault *v, struct store_txn *txn, int create, uint64_t next_seq,
		     unsigned char key[32], uint64_t *keyed_from, char *err, size_t errlen)
{
	struct store_val d;
	int rc = get(v, txn, "audit_chain", &d);
	if (rc == STORE_NOTFOUND && create) {
		/* a wrong key must not start a chain that the right one cannot check */
		if ((rc = keyring_check(v, txn, err, errlen)) != 0)
			return rc;
		if (sc_random(key, SC_KEY_LEN, err, errlen) != 0)
			return STORE_REFUSED;
		*keyed_from = next_seq;
		return ac_wrap_put(v, txn, next_seq, key, err, errlen);
	}
	if (rc)
		return rc;
	const unsigned char *p = d.data;
	unsigned char aad[sizeof AC_AAD - 1 + 9];
	if (d.len == AC_REC && p[0] == 1) {
		ac_aad(aad, p);
		if (sc_open(v->master, p + 9, aad, sizeof aad, p + 9 + SC_NONCE_LEN, SC_KEY_LEN,
			    p + 9 + SC_NONCE_LEN + SC_KEY_LEN, key) == 0) {
			*keyed_from = store_get_u64(p + 1);
			return 0;
		}
	}
	snprintf(err, errlen, "the audit log's key does not open with the master key (from %s): "
		 "a wrong master key, or the key record was changed", v->source);
	return STORE_REFUSED;
}

/* For keyring_rewrap: the audit key under next's master key. 0, or an error. */
static int audit_key_rewrap(struct secret_vault *v, struct store_txn *txn, const struct secret_vault *next,
			    char *err, size_t errlen)
{
	unsigned char key[SC_KEY_LEN];
	uint64_t from;
	int rc = secret_audit_key(v, txn, 0, 0, key, &from, err, errlen);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc == 0)
		rc = ac_wrap_put(next, txn, from, key, err, errlen);
	sc_zero(key, sizeof key);
	return rc;
}
