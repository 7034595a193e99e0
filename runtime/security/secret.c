/* secret.c - secret values: vault opening (which master key, is it the right
 * one), sealing and opening values, the read policy, grants, rotation.
 *
 * Value record (SECSTORE_SECRETS, key = the name), integers big endian:
 *   u8 version 1 | u32 data key id | i64 set_at_ms | u8 len, set_by |
 *   nonce[12] | ciphertext | tag[16]
 * AAD = "soarctl-secret-v1" | 0x00 | every byte before the nonce | the name.
 * So the spec's version, key id and name are authenticated, and so are who set
 * it and when; a value copied under another name, or any byte changed, fails. */
#include "secret_int.h"
#include "hex.h"

#include "audit.h"
#include "secstore.h"
#include "datadir.h"
#include "keyfile.h"
#include "redact.h"
#include "store_buf.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define VALUE_AAD "soarctl-secret-v1"
#define HDR_FIXED (1 + 4 + 8 + 1)
#define REKEY_BATCH 128

/* ---- records ---- */

struct rec {
	uint32_t key_id;
	int64_t set_at;
	const char *actor;
	size_t actor_len;
	const unsigned char *hdr, *nonce, *ct, *tag;
	size_t hdr_len, ct_len;
};

static int parse_rec(const void *data, size_t n, struct rec *r)
{
	const unsigned char *p = data;
	if (n < HDR_FIXED || p[0] != 1)
		return -1;
	r->key_id = store_get_u32(p + 1);
	r->set_at = (int64_t)store_get_u64(p + 5);
	r->actor_len = p[13];
	r->actor = (const char *)p + HDR_FIXED;
	r->hdr = p;
	r->hdr_len = HDR_FIXED + r->actor_len;
	if (n < r->hdr_len + SC_NONCE_LEN + SC_TAG_LEN)
		return -1;
	r->nonce = p + r->hdr_len;
	r->ct = r->nonce + SC_NONCE_LEN;
	r->ct_len = n - r->hdr_len - SC_NONCE_LEN - SC_TAG_LEN;
	r->tag = r->ct + r->ct_len;
	return 0;
}

static void aad_build(struct store_buf *a, const unsigned char *hdr, size_t hdr_len,
		      const char *name)
{
	store_buf_add(a, VALUE_AAD, sizeof VALUE_AAD); /* with its NUL as separator */
	store_buf_add(a, hdr, hdr_len);
	store_buf_str(a, name);
}

/* Seals value under data key (id, dk) into out (appended). 0, or -1 (err). */
static int seal_rec(const unsigned char dk[SC_KEY_LEN], uint32_t id, const char *name,
		    int64_t set_at, const char *actor, size_t actor_len,
		    const void *value, size_t len, struct store_buf *out, char *err, size_t errlen)
{
	if (actor_len > 255)
		actor_len = 255;
	unsigned char hdr[HDR_FIXED];
	hdr[0] = 1;
	store_put_u32(hdr + 1, id);
	store_put_u64(hdr + 5, (uint64_t)set_at);
	hdr[13] = (unsigned char)actor_len;
	store_buf_add(out, hdr, sizeof hdr);
	store_buf_add(out, actor, actor_len);
	unsigned char nonce[SC_NONCE_LEN];
	if (sc_random(nonce, sizeof nonce, err, errlen) != 0)
		return -1;
	store_buf_add(out, nonce, sizeof nonce);
	size_t hdr_len = out->len - SC_NONCE_LEN;
	/* room for ciphertext and tag, then encrypt in place */
	size_t ct_at = out->len;
	unsigned char zero[256] = { 0 };
	for (size_t left = len + SC_TAG_LEN; left > 0;) {
		size_t n = left < sizeof zero ? left : sizeof zero;
		store_buf_add(out, zero, n);
		left -= n;
	}
	if (out->oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct store_buf aad = { 0 };
	aad_build(&aad, (const unsigned char *)out->p, hdr_len, name);
	unsigned char *ct = (unsigned char *)out->p + ct_at;
	int rc = aad.oom ? -1 : sc_seal(dk, nonce, aad.p, aad.len, value, len, ct, ct + len);
	store_buf_free(&aad);
	if (rc != 0)
		snprintf(err, errlen, "sealing the value failed (mbedTLS or out of memory)");
	return rc;
}

/* Opens record r of `name` with dk into buf (cap). 0, or -1 (err). */
static int open_rec(const unsigned char dk[SC_KEY_LEN], const struct rec *r, const char *name,
		    unsigned char *buf, size_t cap, char *err, size_t errlen)
{
	if (r->ct_len > cap) {
		snprintf(err, errlen, "secret %s: %zu bytes do not fit the caller's %zu-byte buffer",
			 name, r->ct_len, cap);
		return -1;
	}
	struct store_buf aad = { 0 };
	aad_build(&aad, r->hdr, r->hdr_len, name);
	int rc = aad.oom ? -1 : sc_open(dk, r->nonce, aad.p, aad.len, r->ct, r->ct_len, r->tag, buf);
	store_buf_free(&aad);
	if (rc != 0)
		snprintf(err, errlen, "secret %s fails authentication: its stored bytes were changed, "
			 "damaged or copied from another name; set it again", name);
	return rc;
}

/* ---- names and policy ---- */

int secret_name_check(const char *name, char *err, size_t errlen)
{
	const char *dot = name ? strchr(name, '.') : NULL;
	size_t n = name ? strlen(name) : 0;
	int ok = dot && dot > name && dot - name <= 63 && n - (size_t)(dot - name) - 1 >= 1 &&
		 n - (size_t)(dot - name) - 1 <= 96;
	for (const char *p = name; ok && p < dot; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
	for (const char *p = dot ? dot + 1 : NULL; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		     *p == '_' || *p == '-' || *p == '.';
	if (!ok)
		snprintf(err, errlen, "bad secret name '%.80s': use integration.key, e.g. "
			 "virustotal.api_key (integration: a-z 0-9 _ -, up to 63; key: letters, "
			 "digits, _ - ., up to 96)", name ? name : "");
	return ok ? 0 : -1;
}

int secret_policy(const struct secret_actor *a, const char *secret, int granted,
		  char *err, size_t errlen)
{
	if (!a || !a->name || !*a->name || !secret) {
		snprintf(err, errlen, "secret access denied: no integration or playbook is asking");
		return SECRET_DENIED;
	}
	if (a->kind == SECRET_ACTOR_INTEGRATION) {
		size_t n = strlen(a->name);
		if (strncmp(secret, a->name, n) == 0 && secret[n] == '.' && secret[n + 1])
			return 0;
		snprintf(err, errlen, "secret access denied: integration %s may read only its own "
			 "secrets (%s.*), not %s", a->name, a->name, secret);
		return SECRET_DENIED;
	}
	if (a->kind == SECRET_ACTOR_PLAYBOOK) {
		if (granted)
			return 0;
		snprintf(err, errlen, "secret access denied: playbook %s was not granted %s; an "
			 "admin can run `soarctl secret grant %s --playbook %s`",
			 a->name, secret, secret, a->name);
		return SECRET_DENIED;
	}
	snprintf(err, errlen, "secret access denied: unknown kind of reader");
	return SECRET_DENIED;
}

/* ---- the vault ---- */

static struct secret_vault *vault_alloc(void)
{
	/* one page of its own, locked so the master key is never swapped out */
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	mlock(p, 4096); /* best effort: RLIMIT_MEMLOCK may forbid it */
	madvise(p, 4096, MADV_DONTDUMP);
	return memset(p, 0, sizeof(struct secret_vault));
}

/* The vault audit.c keys entries with: the last one opened in this process
 * (a process works on one store; tests open several one after another). */
static pthread_mutex_t attached_lock = PTHREAD_MUTEX_INITIALIZER;
static struct secret_vault *attached;
static pid_t attached_pid;

static const struct audit_key_source audit_keys = { secret_vault_attached, secret_audit_key };

static void attach(struct secret_vault *v)
{
	audit_set_key_source(&audit_keys);
	pthread_mutex_lock(&attached_lock);
	attached = v;
	attached_pid = getpid();
	pthread_mutex_unlock(&attached_lock);
	audit_key_forget();
}

struct secret_vault *secret_vault_attached(struct store *st)
{
	pthread_mutex_lock(&attached_lock);
	struct secret_vault *v = attached && attached_pid == getpid() && attached->st == st
				 ? attached : NULL;
	pthread_mutex_unlock(&attached_lock);
	return v;
}

void secret_vault_close(struct secret_vault *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&attached_lock);
	if (attached == v)
		attached = NULL;
	pthread_mutex_unlock(&attached_lock);
	audit_key_forget();
	sc_zero(v, sizeof *v);
	munlock(v, 4096);
	munmap(v, 4096);
}

const char *secret_vault_source(const struct secret_vault *v)
{
	return v->source;
}

/* What the store says about its key, read before any key is sought: a
 * passphrase prompt or PBKDF2 must not run inside a read transaction. */
struct key_facts {
	int kdf;              /* keyring_kdf result */
	unsigned char salt[16];
	uint32_t iter;
	int has_keyring;
};

/* Fills v->master from the first source that is present. */
static int find_key(struct secret_vault *v, const char *datadir, const struct key_facts *kf,
		    char *err, size_t errlen)
{
	int r = keyfile_from_env(v->master, err, errlen);
	if (r < 0)
		return -1;
	if (r == 1) {
		v->src = KEYSRC_ENV;
		snprintf(v->source, sizeof v->source, "$SOARCTL_MASTER_KEY");
		return 0;
	}
	unsigned char salt[16];
	uint32_t iter = kf->iter;
	int kdf = kf->kdf, has_keyring = kf->has_keyring;
	memcpy(salt, kf->salt, sizeof salt);
	if (kdf < 0) {
		snprintf(err, errlen, "the store's passphrase record is malformed: restore the store "
			 "from a backup");
		return -1;
	}
	char pass[1024];
	r = keyfile_passphrase(kdf == 1, pass, sizeof pass, err, errlen);
	if (r < 0)
		return -1;
	if (r == 1) {
		v->src = KEYSRC_PASSPHRASE;
		snprintf(v->source, sizeof v->source, "passphrase");
		if (kdf == 1) {
			if (iter < KEYFILE_PBKDF2_MIN) {
				sc_zero(pass, sizeof pass);
				snprintf(err, errlen, "the store's passphrase uses %u PBKDF2 iterations, "
					 "fewer than the %u this soarctl accepts", (unsigned)iter,
					 KEYFILE_PBKDF2_MIN);
				return -1;
			}
		} else if (has_keyring) {
			sc_zero(pass, sizeof pass);
			snprintf(err, errlen, "a passphrase was given ($SOARCTL_PASSPHRASE) but this "
				 "store's secrets are protected by a key file or $SOARCTL_MASTER_KEY; "
				 "unset SOARCTL_PASSPHRASE");
			return -1;
		} else {
			/* a new store: the salt is written with the keyring on the first set */
			if (sc_random(salt, sizeof salt, err, errlen) != 0) {
				sc_zero(pass, sizeof pass);
				return -1;
			}
			iter = KEYFILE_PBKDF2_ITERATIONS;
			v->kdf_pending = 1;
		}
		memcpy(v->salt, salt, sizeof salt);
		v->iterations = iter;
		int rc = sc_pbkdf2(pass, strlen(pass), salt, sizeof salt, iter, v->master);
		sc_zero(pass, sizeof pass);
		if (rc != 0) {
			snprintf(err, errlen, "deriving the key from the passphrase failed");
			return -1;
		}
		return 0;
	}
	if (kdf == 1) {
		snprintf(err, errlen, "this store's secrets are protected by a passphrase: set "
			 "SOARCTL_PASSPHRASE, or run at a terminal to be asked");
		return -1;
	}
	char path[4096];
	keyfile_path(datadir, path, sizeof path);
	r = keyfile_read(path, v->master, err, errlen);
	if (r == 1) {
		snprintf(err, errlen, "no master key: %s does not exist and neither "
			 "$SOARCTL_MASTER_KEY nor $SOARCTL_PASSPHRASE is set; run `soarctl init` to "
			 "create a key file", path);
		return -1;
	}
	if (r != 0)
		return -1;
	v->src = KEYSRC_FILE;
	snprintf(v->source, sizeof v->source, "key file %.290s", path);
	return 0;
}

static int fsync_dir_of(const char *path);

/* The key file does not open the store: a rotation that committed but did not
 * get to rename PATH.new over PATH. If PATH.new opens it, finish the rename.
 * Returns 0 (v now holds that key) or `refused` unchanged. */
static int finish_rotation(struct secret_vault *v, struct store_txn *txn, const char *datadir, int refused)
{
	char path[4096], newpath[4200], e2[256];
	keyfile_path(datadir, path, sizeof path);
	snprintf(newpath, sizeof newpath, "%s.new", path);
	unsigned char old[SC_KEY_LEN];
	memcpy(old, v->master, SC_KEY_LEN);
	if (keyfile_read(newpath, v->master, e2, sizeof e2) == 0 &&
	    keyring_check(v, txn, e2, sizeof e2) == 0 && rename(newpath, path) == 0) {
		fsync_dir_of(path);
		fprintf(stderr, "soarctl: finished an interrupted master key rotation: %s is the "
			"key file now\n", path);
		sc_zero(old, sizeof old);
		return 0;
	}
	memcpy(v->master, old, SC_KEY_LEN);
	sc_zero(old, sizeof old);
	return refused;
}

struct secret_vault *secret_vault_open(struct store *st, const char *datadir,
				       char *err, size_t errlen)
{
	sc_harden_process();
	struct secret_vault *v = vault_alloc();
	if (!v) {
		snprintf(err, errlen, "secrets: out of memory");
		return NULL;
	}
	v->st = st;
	struct key_facts kf = { 0 };
	struct store_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0) {
		secret_vault_close(v);
		return NULL;
	}
	kf.kdf = keyring_kdf(st, txn, kf.salt, &kf.iter);
	struct store_val ck = { 5, "check" }, cd;
	kf.has_keyring = secstore_get(st, txn, SECSTORE_SECRET_KEYS, &ck, &cd) == 0;
	store_read_end(st, txn);
	int rc = find_key(v, datadir, &kf, err, errlen);
	if (rc == 0 && store_read_begin(st, &txn, err, errlen) != 0)
		rc = -1;
	else if (rc == 0) {
		rc = keyring_check(v, txn, err, errlen);
		if (rc == STORE_REFUSED && v->src == KEYSRC_FILE)
			rc = finish_rotation(v, txn, datadir, rc);
		if (rc != 0 && rc != STORE_REFUSED)
			store_error(st, rc, "reading the keyring", err, errlen);
		store_read_end(st, txn);
	}
	if (rc != 0) {
		secret_vault_close(v);
		return NULL;
	}
	attach(v);
	return v;
}

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static struct secret_vault *default_vault;
static pid_t default_pid;

struct secret_vault *secret_vault_default(char *err, size_t errlen)
{
	pthread_mutex_lock(&default_lock);
	if (default_vault && default_pid != getpid())
		default_vault = NULL; /* inherited over fork: the store is not ours */
	if (!default_vault) {
		struct store *st = store_default(err, errlen);
		if (st && (default_vault = secret_vault_open(st, datadir_get(), err, errlen)))
			default_pid = getpid();
	}
	struct secret_vault *v = default_vault;
	pthread_mutex_unlock(&default_lock);
	return v;
}

int secret_vault_prepare(struct store *st, const char *datadir, char *err, size_t errlen)
{
	struct store_txn *txn;
	int keyed = 0;
	if (store_read_begin(st, &txn, err, errlen) == 0) {
		struct store_val k = { 11, "audit_chain" }, d;
		keyed = secstore_get(st, txn, SECSTORE_SECRET_KEYS, &k, &d) == 0;
		store_read_end(st, txn);
	}
	const char *mk = getenv("SOARCTL_MASTER_KEY"), *pp = getenv("SOARCTL_PASSPHRASE");
	char path[4096];
	keyfile_path(datadir, path, sizeof path);
	int have = keyed || (mk && *mk) || (pp && *pp) || access(path, F_OK) == 0;
	if (!have)
		return 0;
	if (secret_vault_default(err, errlen))
		return 1;
	return keyed ? -1 : 0;
}

int secret_init_keyfile(const char *datadir, char *err, size_t errlen)
{
	const char *k = getenv("SOARCTL_MASTER_KEY"), *p = getenv("SOARCTL_PASSPHRASE");
	if ((k && *k) || (p && *p))
		return 0;
	char path[4096];
	return keyfile_create(keyfile_path(datadir, path, sizeof path), err, errlen);
}

/* ---- set, rm ---- */

static void json_details(struct store_buf *b, const char *k1, const char *v1, int raw1)
{
	store_buf_str(b, "{");
	if (k1) {
		store_buf_json(b, k1);
		store_buf_str(b, ":");
		if (raw1)
			store_buf_str(b, v1);
		else
			store_buf_json(b, v1);
	}
	store_buf_str(b, "}");
}

struct set_ctx {
	struct secret_vault *v;
	const char *name, *actor;
	const void *value;
	size_t len;
};

static int set_apply(struct store *st, struct store_txn *txn, void *ud, char *err, size_t errlen)
{
	struct set_ctx *c = ud;
	struct store_val k = { strlen(c->name), (void *)c->name }, old;
	int rc = secstore_get(st, txn, SECSTORE_SECRETS, &k, &old);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return rc;
	int replaced = rc == 0;
	uint32_t id;
	unsigned char dk[SC_KEY_LEN];
	if ((rc = keyring_current(c->v, txn, &id, dk, err, errlen)) != 0)
		return rc;
	struct store_buf rec = { 0 };
	const char *actor = c->actor ? c->actor : "";
	if (seal_rec(dk, id, c->name, store_now_ms(), actor, strlen(actor), c->value, c->len,
		     &rec, err, errlen) != 0) {
		sc_zero(dk, sizeof dk);
		store_buf_free(&rec);
		return ENOMEM; /* the keyring may have been written: fail the whole batch */
	}
	sc_zero(dk, sizeof dk);
	struct store_val d = { rec.len, rec.p };
	rc = secstore_put(st, txn, SECSTORE_SECRETS, &k, &d, 0);
	store_buf_free(&rec);
	if (rc == 0)
		rc = audit_append_txn(st, txn, actor, "secret.set", c->name,
				      replaced ? "{\"replaced\":true}" : "{\"replaced\":false}",
				      NULL, err, errlen);
	return rc;
}

static int write_result(struct store *st, int rc, const char *what, char *err, size_t errlen)
{
	(void)st;
	(void)what;
	(void)errlen;
	if (rc != 0 && !err[0])
		snprintf(err, errlen, "%s failed", what);
	return rc == 0 ? 0 : -1;
}

int secret_set(struct secret_vault *v, const char *name, const void *value, size_t len,
	       const char *actor, char *err, size_t errlen)
{
	if (secret_name_check(name, err, errlen) != 0)
		return -1;
	if (len == 0 || len > SECRET_MAX_VALUE) {
		snprintf(err, errlen, "secret %s: the value must be 1 to %d bytes (got %zu)",
			 name, SECRET_MAX_VALUE, len);
		return -1;
	}
	struct set_ctx c = { v, name, actor, value, len };
	err[0] = '\0';
	int rc = store_write(v->st, set_apply, &c, err, errlen);
	return write_result(v->st, rc, "storing the secret", err, errlen);
}

struct rm_ctx {
	struct secret_vault *v;
	const char *name, *actor;
	int not_found;
};

/* Deletes the grants of `name` (grant keys are playbook NUL name). */
static int drop_grants(struct store *st, struct store_txn *txn, const char *name)
{
	struct secstore_cursor *cur;
	int rc = secstore_cursor_open(st, txn, SECSTORE_GRANTS, &cur);
	if (rc)
		return rc;
	size_t n = strlen(name);
	struct store_val k, d;
	for (int r = secstore_cursor_get(cur, &k, &d, SECSTORE_FIRST); r == 0;
	     r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
		const char *key = k.data;
		const char *nul = memchr(key, 0, k.len);
		if (nul && (size_t)(key + k.len - nul - 1) == n && memcmp(nul + 1, name, n) == 0 &&
		    (rc = secstore_cursor_del(cur)) != 0)
			break;
	}
	secstore_cursor_close(cur);
	return rc;
}

static int rm_apply(struct store *st, struct store_txn *txn, void *ud, char *err, size_t errlen)
{
	struct rm_ctx *c = ud;
	c->not_found = 0;
	int rc = keyring_check(c->v, txn, err, errlen);
	if (rc)
		return rc;
	struct store_val k = { strlen(c->name), (void *)c->name };
	rc = secstore_del(st, txn, SECSTORE_SECRETS, &k);
	if (rc == STORE_NOTFOUND) {
		c->not_found = 1;
		snprintf(err, errlen, "no secret named %s (see `soarctl secret list`)", c->name);
		return STORE_REFUSED;
	}
	if (rc == 0)
		rc = drop_grants(st, txn, c->name);
	if (rc == 0)
		rc = audit_append_txn(st, txn, c->actor, "secret.rm", c->name, NULL, NULL, err, errlen);
	return rc;
}

int secret_rm(struct secret_vault *v, const char *name, const char *actor,
	      char *err, size_t errlen)
{
	if (secret_name_check(name, err, errlen) != 0)
		return -1;
	struct rm_ctx c = { v, name, actor, 0 };
	err[0] = '\0';
	int rc = store_write(v->st, rm_apply, &c, err, errlen);
	if (rc != 0 && c.not_found)
		return SECRET_NOT_FOUND;
	return write_result(v->st, rc, "removing the secret", err, errlen);
}

/* ---- reading ---- */

static int grant_key(struct store_buf *b, const char *playbook, const char *name)
{
	store_buf_str(b, playbook);
	store_buf_add(b, "", 1);
	store_buf_str(b, name);
	return b->oom ? -1 : 0;
}

int secret_get(struct secret_vault *v, const struct secret_actor *a, const char *name,
	       struct redact_set *rs, unsigned char *buf, size_t cap, size_t *len,
	       char *err, size_t errlen)
{
	*len = 0;
	if (secret_name_check(name, err, errlen) != 0)
		return -1;
	struct store_txn *txn;
	if (store_read_begin(v->st, &txn, err, errlen) != 0)
		return -1;
	int granted = 0, rc;
	if (a && a->kind == SECRET_ACTOR_PLAYBOOK && a->name) {
		struct store_buf gk = { 0 };
		struct store_val d;
		if (grant_key(&gk, a->name, name) == 0) {
			struct store_val k = { gk.len, gk.p };
			granted = secstore_get(v->st, txn, SECSTORE_GRANTS, &k, &d) == 0;
		}
		store_buf_free(&gk);
	}
	if (secret_policy(a, name, granted, err, errlen) != 0) {
		store_read_end(v->st, txn);
		char actor[200], aerr[256];
		snprintf(actor, sizeof actor, "%s:%s",
			 a && a->kind == SECRET_ACTOR_PLAYBOOK ? "playbook" : "integration",
			 a && a->name ? a->name : "?");
		audit_append(v->st, actor, "secret.denied", name, NULL, aerr, sizeof aerr);
		return SECRET_DENIED;
	}
	struct store_val k = { strlen(name), (void *)name }, d;
	rc = secstore_get(v->st, txn, SECSTORE_SECRETS, &k, &d);
	struct rec r;
	unsigned char dk[SC_KEY_LEN];
	int result = -1;
	if (rc == STORE_NOTFOUND) {
		snprintf(err, errlen, "no secret named %s: set it with `soarctl secret set %s`",
			 name, name);
		result = SECRET_NOT_FOUND;
	} else if (rc != 0) {
		store_error(v->st, rc, "reading a secret", err, errlen);
	} else if (parse_rec(d.data, d.len, &r) != 0) {
		snprintf(err, errlen, "secret %s fails authentication: its stored record is "
			 "malformed; set it again", name);
	} else if ((rc = keyring_get(v, txn, r.key_id, dk, err, errlen)) != 0) {
		if (rc != STORE_REFUSED)
			store_error(v->st, rc, "reading the keyring", err, errlen);
	} else {
		if (open_rec(dk, &r, name, buf, cap, err, errlen) == 0) {
			*len = r.ct_len;
			result = 0;
		}
		sc_zero(dk, sizeof dk);
	}
	store_read_end(v->st, txn);
	if (result == 0 && rs && redact_add(rs, name, buf, *len) != 0) {
		sc_zero(buf, *len);
		*len = 0;
		snprintf(err, errlen, "secret %s: out of memory registering it for redaction", name);
		return -1;
	}
	return result;
}

int secret_list(struct store *st, int (*cb)(const struct secret_info *i, void *ud), void *ud,
		char *err, size_t errlen)
{
	struct store_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct secstore_cursor *cur;
	int rc = secstore_cursor_open(st, txn, SECSTORE_SECRETS, &cur);
	if (rc == 0) {
		struct store_val k, d;
		for (int r = secstore_cursor_get(cur, &k, &d, SECSTORE_FIRST); r == 0;
		     r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
			struct rec rr;
			char name[SECRET_MAX_NAME + 1], by[256];
			snprintf(name, sizeof name, "%.*s", (int)k.len, (const char *)k.data);
			struct secret_info info = { name, "?", 0, 0, 0 };
			if (parse_rec(d.data, d.len, &rr) == 0) {
				snprintf(by, sizeof by, "%.*s", (int)rr.actor_len, rr.actor);
				info.set_by = by;
				info.set_at_ms = rr.set_at;
				info.key_id = rr.key_id;
				info.size = rr.ct_len;
			}
			if (cb(&info, ud) != 0)
				break;
		}
		secstore_cursor_close(cur);
	}
	store_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "listing secrets", err, errlen);
		return -1;
	}
	return 0;
}

/* ---- grants ---- */

struct grant_ctx {
	const char *playbook, *name, *actor;
	int add, not_found;
};

static int grant_apply(struct store *st, struct store_txn *txn, void *ud, char *err, size_t errlen)
{
	struct grant_ctx *c = ud;
	c->not_found = 0;
	struct store_buf gk = { 0 }, det = { 0 };
	if (grant_key(&gk, c->playbook, c->name) != 0)
		return ENOMEM;
	struct store_val k = { gk.len, gk.p }, d;
	int rc;
	if (c->add) {
		struct store_val sk = { strlen(c->name), (void *)c->name };
		rc = secstore_get(st, txn, SECSTORE_SECRETS, &sk, &d);
		if (rc == STORE_NOTFOUND) {
			c->not_found = 1;
			snprintf(err, errlen, "no secret named %s: set it first", c->name);
			rc = STORE_REFUSED;
		}
		if (rc == 0) {
			unsigned char when[8];
			store_put_u64(when, (uint64_t)store_now_ms());
			struct store_val dv = { 8, when };
			rc = secstore_put(st, txn, SECSTORE_GRANTS, &k, &dv, 0);
		}
	} else {
		rc = secstore_del(st, txn, SECSTORE_GRANTS, &k);
		if (rc == STORE_NOTFOUND) {
			c->not_found = 1;
			snprintf(err, errlen, "playbook %s has no grant of %s", c->playbook, c->name);
			rc = STORE_REFUSED;
		}
	}
	json_details(&det, "playbook", c->playbook, 0);
	if (rc == 0)
		rc = audit_append_txn(st, txn, c->actor, c->add ? "secret.grant" : "secret.ungrant",
				      c->name, store_buf_cstr(&det), NULL, err, errlen);
	store_buf_free(&gk);
	store_buf_free(&det);
	return rc;
}

static int grant_change(struct store *st, const char *playbook, const char *name,
			const char *actor, int add, char *err, size_t errlen)
{
	if (secret_name_check(name, err, errlen) != 0)
		return -1;
	if (!playbook || !*playbook || strlen(playbook) > 128) {
		snprintf(err, errlen, "a playbook name (1 to 128 bytes) is needed");
		return -1;
	}
	struct grant_ctx c = { playbook, name, actor, add, 0 };
	err[0] = '\0';
	int rc = store_write(st, grant_apply, &c, err, errlen);
	if (rc != 0 && c.not_found)
		return SECRET_NOT_FOUND;
	return write_result(st, rc, "changing the grant", err, errlen);
}

int secret_grant(struct store *st, const char *playbook, const char *name, const char *actor,
		 char *err, size_t errlen)
{
	return grant_change(st, playbook, name, actor, 1, err, errlen);
}

int secret_ungrant(struct store *st, const char *playbook, const char *name, const char *actor,
		   char *err, size_t errlen)
{
	return grant_change(st, playbook, name, actor, 0, err, errlen);
}

int secret_grants(struct store *st, int (*cb)(const char *playbook, const char *secret, void *ud),
		  void *ud, char *err, size_t errlen)
{
	struct store_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct secstore_cursor *cur;
	int rc = secstore_cursor_open(st, txn, SECSTORE_GRANTS, &cur);
	if (rc == 0) {
		struct store_val k, d;
		for (int r = secstore_cursor_get(cur, &k, &d, SECSTORE_FIRST); r == 0;
		     r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
			char key[512];
			if (k.len >= sizeof key)
				continue;
			memcpy(key, k.data, k.len);
			key[k.len] = '\0';
			size_t pl = strlen(key);
			if (pl >= k.len)
				continue;
			if (cb(key, key + pl + 1, ud) != 0)
				break;
		}
		secstore_cursor_close(cur);
	}
	store_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "listing grants", err, errlen);
		return -1;
	}
	return 0;
}

/* ---- rotation ---- */

struct rot_ctx {
	struct secret_vault *v;
	const char *actor;
	struct secret_rotation *out;
	uint64_t batch; /* values re-encrypted by the last run of rekey_apply */
	int stale;      /* finish_apply found values under an old key */
};

static int begin_apply(struct store *st, struct store_txn *txn, void *ud, char *err, size_t errlen)
{
	struct rot_ctx *c = ud;
	int rc = keyring_add(c->v, txn, &c->out->old_key, &c->out->new_key, err, errlen);
	if (rc)
		return rc;
	char det[96];
	snprintf(det, sizeof det, "{\"old_key\":%u,\"new_key\":%u}", (unsigned)c->out->old_key,
		 (unsigned)c->out->new_key);
	return audit_append_txn(st, txn, c->actor, "secret.rotate-key.start", "keyring", det,
				NULL, err, errlen);
}

struct pending {
	char *name;
	struct store_buf rec;
};

static void pending_free(struct pending *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		store_buf_free(&p[i].rec);
	}
}

/* Re-encrypts up to REKEY_BATCH values still under an old key. All are opened
 * and sealed again before anything is written, so a value that fails
 * authentication refuses the batch cleanly (and names the value). */
static int rekey_apply(struct store *st, struct store_txn *txn, void *ud, char *err, size_t errlen)
{
	struct rot_ctx *c = ud;
	c->batch = 0;
	uint32_t cur_id, old_id = 0;
	unsigned char cur_dk[SC_KEY_LEN], old_dk[SC_KEY_LEN];
	int have_old = 0;
	int rc = keyring_current(c->v, txn, &cur_id, cur_dk, err, errlen);
	if (rc)
		return rc;
	struct pending *pend = calloc(REKEY_BATCH, sizeof *pend);
	size_t np = 0;
	unsigned char *plain = malloc(SECRET_MAX_VALUE);
	struct secstore_cursor *cur = NULL;
	if (!plain || !pend)
		rc = ENOMEM;
	if (rc == 0)
		rc = secstore_cursor_open(st, txn, SECSTORE_SECRETS, &cur);
	struct store_val k, d;
	for (int r = rc ? STORE_NOTFOUND : secstore_cursor_get(cur, &k, &d, SECSTORE_FIRST);
	     r == 0 && np < REKEY_BATCH; r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
		struct rec rr;
		char name[SECRET_MAX_NAME + 1];
		snprintf(name, sizeof name, "%.*s", (int)k.len, (const char *)k.data);
		if (parse_rec(d.data, d.len, &rr) != 0) {
			snprintf(err, errlen, "secret %s is malformed and cannot be re-encrypted: "
				 "remove it (`soarctl secret rm %s`) or set it again, then rotate again",
				 name, name);
			rc = STORE_REFUSED;
			break;
		}
		if (rr.key_id == cur_id)
			continue;
		if (!have_old || old_id != rr.key_id) {
			if ((rc = keyring_get(c->v, txn, rr.key_id, old_dk, err, errlen)) != 0)
				break;
			have_old = 1;
			old_id = rr.key_id;
		}
		if (open_rec(old_dk, &rr, name, plain, SECRET_MAX_VALUE, err, errlen) != 0) {
			size_t l = strlen(err);
			snprintf(err + l, errlen - l, " (rotation stopped; the old key is kept)");
			rc = STORE_REFUSED;
			break;
		}
		char actor[256];
		snprintf(actor, sizeof actor, "%.*s", (int)rr.actor_len, rr.actor);
		pend[np].name = strdup(name);
		memset(&pend[np].rec, 0, sizeof pend[np].rec);
		int s = seal_rec(cur_dk, cur_id, name, rr.set_at, actor, rr.actor_len, plain,
				 rr.ct_len, &pend[np].rec, err, errlen);
		sc_zero(plain, rr.ct_len);
		np++;
		if (s != 0 || !pend[np - 1].name) {
			rc = STORE_REFUSED;
			break;
		}
	}
	if (cur)
		secstore_cursor_close(cur);
	free(plain);
	sc_zero(cur_dk, sizeof cur_dk);
	sc_zero(old_dk, sizeof old_dk);
	for (size_t i = 0; rc == 0 && i < np; i++) {
		struct store_val pk = { strlen(pend[i].name), pend[i].name };
		struct store_val pd = { pend[i].rec.len, pend[i].rec.p };
		rc = secstore_put(st, txn, SECSTORE_SECRETS, &pk, &pd, 0);
	}
	if (rc == 0)
		c->batch = np;
	if (pend)
		pending_free(pend, np);
	free(pend);
	return rc;
}

static int finish_apply(struct store *st, struct store_txn *txn, void *ud, char *err, size_t errlen)
{
	struct rot_ctx *c = ud;
	c->stale = 0;
	uint32_t cur_id;
	unsigned char dk[SC_KEY_LEN];
	int rc = keyring_current(c->v, txn, &cur_id, dk, err, errlen);
	sc_zero(dk, sizeof dk);
	if (rc)
		return rc;
	struct secstore_cursor *cur;
	if ((rc = secstore_cursor_open(st, txn, SECSTORE_SECRETS, &cur)) != 0)
		return rc;
	struct store_val k, d;
	for (int r = secstore_cursor_get(cur, &k, &d, SECSTORE_FIRST); r == 0;
	     r = secstore_cursor_get(cur, &k, &d, SECSTORE_NEXT)) {
		struct rec rr;
		if (parse_rec(d.data, d.len, &rr) != 0 || rr.key_id != cur_id) {
			c->stale = 1;
			break;
		}
	}
	secstore_cursor_close(cur);
	if (c->stale) {
		snprintf(err, errlen, "values under an old key remain");
		return STORE_REFUSED;
	}
	unsigned n;
	if ((rc = keyring_retire(c->v, txn, cur_id, &n)) != 0)
		return rc;
	c->out->retired = n;
	char det[128];
	snprintf(det, sizeof det, "{\"new_key\":%u,\"reencrypted\":%" PRIu64 ",\"retired\":%u}",
		 (unsigned)cur_id, c->out->reencrypted, n);
	return audit_append_txn(st, txn, c->actor, "secret.rotate-key", "keyring", det, NULL,
				err, errlen);
}

int secret_rotate(struct secret_vault *v, const char *actor, struct secret_rotation *out,
		  char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct rot_ctx c = { v, actor ? actor : "", out, 0, 0 };
	err[0] = '\0';
	if (store_write(v->st, begin_apply, &c, err, errlen) != 0)
		return write_result(v->st, -1, "starting the rotation", err, errlen);
	for (int round = 0; round < 4; round++) {
		do {
			err[0] = '\0';
			if (store_write(v->st, rekey_apply, &c, err, errlen) != 0)
				return write_result(v->st, -1, "re-encrypting", err, errlen);
			out->reencrypted += c.batch;
		} while (c.batch > 0);
		err[0] = '\0';
		if (store_write(v->st, finish_apply, &c, err, errlen) == 0)
			return 0;
		if (!c.stale)
			return write_result(v->st, -1, "finishing the rotation", err, errlen);
	}
	snprintf(err, errlen, "rotation did not converge: values under an old key keep "
		 "appearing (a malformed record?); run it again");
	return -1;
}

/* ---- the master key ---- */

static const char *const src_names[] = { "env", "passphrase", "file" };

struct master_ctx {
	struct secret_vault *v, *next;
	const char *actor;
	unsigned rewrapped;
};

static int master_apply(struct store *st, struct store_txn *txn, void *ud, char *err, size_t errlen)
{
	struct master_ctx *c = ud;
	unsigned n = 0;
	int rc = keyring_count(c->v, txn, &n);
	if (rc)
		return rc;
	/* The entry first: it is keyed with the audit key as the old master key
	 * unwraps it; keyring_rewrap then wraps that key under the new one. */
	char det[96];
	snprintf(det, sizeof det, "{\"from\":\"%s\",\"to\":\"%s\",\"data_keys\":%u}",
		 src_names[c->v->src], src_names[c->next->src], n);
	rc = audit_append_txn(st, txn, c->actor, "secret.rotate-master", "keyring", det, NULL,
			      err, errlen);
	if (rc)
		return rc;
	return keyring_rewrap(c->v, txn, c->next, &c->rewrapped, err, errlen);
}

static int fsync_dir_of(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof dir, ".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	close(fd);
	return rc;
}

/* The new key, by kind, into next. Key file: a fresh key in PATH.new (the
 * store's commit decides which of the two files is the key). */
static int next_key(struct secret_vault *next, int to, const char *keyfile, const char *newfile,
		    char *err, size_t errlen)
{
	next->src = (enum key_source)to;
	if (to == KEYSRC_FILE) {
		snprintf(next->source, sizeof next->source, "key file %.290s", keyfile);
		unlink(newfile);   /* left by a rotation that never committed */
		if (keyfile_create(newfile, err, errlen) != 1) {
			if (!err[0])
				snprintf(err, errlen, "cannot create %s", newfile);
			return -1;
		}
		return keyfile_read(newfile, next->master, err, errlen) == 0 ? 0 : -1;
	}
	if (to == KEYSRC_ENV) {
		snprintf(next->source, sizeof next->source, "$SOARCTL_NEW_MASTER_KEY");
		const char *h = getenv("SOARCTL_NEW_MASTER_KEY");
		if (!h || hex_decode_n(h, strlen(h), next->master, SC_KEY_LEN) != 0) {
			snprintf(err, errlen, "set $SOARCTL_NEW_MASTER_KEY to the new key: 64 hex digits "
				 "(`head -c32 /dev/urandom | xxd -p -c64`)");
			return -1;
		}
		return 0;
	}
	snprintf(next->source, sizeof next->source, "passphrase");
	char pass[1024], again[1024];
	const char *env = getenv("SOARCTL_NEW_PASSPHRASE");
	int rc = 0;
	if (env && *env) {
		snprintf(pass, sizeof pass, "%s", env);
	} else if (!isatty(STDIN_FILENO) ||
		   keyfile_read_noecho("New passphrase: ", pass, sizeof pass) < 0 ||
		   keyfile_read_noecho("Again: ", again, sizeof again) < 0) {
		snprintf(err, errlen, "set $SOARCTL_NEW_PASSPHRASE, or run at a terminal to be asked");
		rc = -1;
	} else if (strcmp(pass, again) != 0) {
		snprintf(err, errlen, "the two passphrases differ; nothing was changed");
		rc = -1;
	}
	sc_zero(again, sizeof again);
	if (rc == 0 && strlen(pass) < 12) {
		snprintf(err, errlen, "the new passphrase is shorter than 12 characters");
		rc = -1;
	}
	if (rc == 0 && sc_random(next->salt, sizeof next->salt, err, errlen) != 0)
		rc = -1;
	if (rc == 0) {
		next->iterations = KEYFILE_PBKDF2_ITERATIONS;
		if (sc_pbkdf2(pass, strlen(pass), next->salt, sizeof next->salt, next->iterations,
			      next->master) != 0) {
			snprintf(err, errlen, "deriving the key from the passphrase failed");
			rc = -1;
		}
	}
	sc_zero(pass, sizeof pass);
	return rc;
}

int secret_rotate_master(struct secret_vault *v, const char *datadir, const char *to,
			 const char *actor, struct secret_master_rotation *out, char *err,
			 size_t errlen)
{
	memset(out, 0, sizeof *out);
	int kind = v->src;
	if (to && strcmp(to, "file") == 0)
		kind = KEYSRC_FILE;
	else if (to && strcmp(to, "env") == 0)
		kind = KEYSRC_ENV;
	else if (to && strcmp(to, "passphrase") == 0)
		kind = KEYSRC_PASSPHRASE;
	else if (to) {
		snprintf(err, errlen, "--to takes file, env or passphrase, not '%.40s'", to);
		return -1;
	}
	char keyfile[4096], newfile[4200];
	keyfile_path(datadir, keyfile, sizeof keyfile);
	snprintf(newfile, sizeof newfile, "%s.new", keyfile);
	struct secret_vault *next = vault_alloc();
	if (!next) {
		snprintf(err, errlen, "secrets: out of memory");
		return -1;
	}
	next->st = v->st;
	err[0] = '\0';
	int rc = next_key(next, kind, keyfile, newfile, err, errlen);
	struct master_ctx c = { v, next, actor ? actor : "", 0 };
	if (rc == 0 && store_write(v->st, master_apply, &c, err, errlen) != 0)
		rc = write_result(v->st, -1, "re-wrapping the data keys", err, errlen);
	if (rc != 0) {
		if (kind == KEYSRC_FILE)
			unlink(newfile);
		secret_vault_close(next);
		return -1;
	}
	/* Committed: the new key is the key. A crash before this rename is finished
	 * by the next vault_open (the old file no longer opens, PATH.new does). */
	out->data_keys = c.rewrapped;
	out->to = src_names[kind];
	if (kind == KEYSRC_FILE) {
		if (rename(newfile, keyfile) != 0 || fsync_dir_of(keyfile) != 0) {
			snprintf(err, errlen, "the store now needs the key in %s, but renaming it to %s "
				 "failed (%s): rename it by hand", newfile, keyfile, strerror(errno));
			secret_vault_close(next);
			return -1;
		}
	} else if (v->src == KEYSRC_FILE) {
		/* The old key opens nothing now; a copy left behind would only mislead. */
		if (unlink(keyfile) == 0)
			out->keyfile_removed = 1;
	}
	/* From here this process holds the new key. */
	memcpy(v->master, next->master, SC_KEY_LEN);
	v->src = next->src;
	memcpy(v->source, next->source, sizeof v->source);
	memcpy(v->salt, next->salt, sizeof v->salt);
	v->iterations = next->iterations;
	v->kdf_pending = 0;
	secret_vault_close(next);
	return 0;
}
