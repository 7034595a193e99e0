/* audit.c - appending to, reading and verifying the hash-chained audit log
 * (formats in audit.h). Appends happen inside the store's write transaction:
 * LMDB has one writer at a time across processes, so reading the last entry and
 * writing the next cannot interleave with another append. */
#include "audit.h"
#include "store_db_int.h"
#include "hex.h"

#include "datadir.h"
#include "hex.h"
#include "secret_crypto.h"
#include "store_buf.h"

#include <errno.h>
#include <inttypes.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DOMAIN "soarctl-audit-v1"
#define HMAC_KEY_NAME "audit_hmac"
#define FIXED_HEAD (1 + 8 + 8)

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define sha256_starts mbedtls_sha256_starts
#define sha256_update mbedtls_sha256_update
#define sha256_finish mbedtls_sha256_finish
#else
#define sha256_starts mbedtls_sha256_starts_ret
#define sha256_update mbedtls_sha256_update_ret
#define sha256_finish mbedtls_sha256_finish_ret
#endif

/* Entry hash over the value's bytes before the hash field: SHA-256(DOMAIN || v),
 * as sc_sha256_2 computes it, with the context on the stack: a daemon run
 * appends four entries, and the generic md layer allocates one per call. */
static void entry_hash(const unsigned char *v, size_t n, unsigned char out[32])
{
	mbedtls_sha256_context c;
	mbedtls_sha256_init(&c);
	sha256_starts(&c, 0);
	sha256_update(&c, (const unsigned char *)DOMAIN, sizeof DOMAIN - 1);
	sha256_update(&c, v, n);
	sha256_finish(&c, out);
	mbedtls_sha256_free(&c);
}

/* ---- the keyed chain (docs/security.md, "Audit log") ----
 * Entries from `keyed_from` on are version 2: their hash is HMAC-SHA256 under
 * the chain key K (wrapped by the master key in the keyring, secret.h), so
 * that nobody without the master key can recompute them after an edit. The
 * head (last seq and hash, MAC'd under K) is kept in the keyring database
 * ("audit_head", written with every entry) and in a file outside the LMDB
 * environment (audit.head), so that cutting the tail shows. */

#define CHAIN_KEY "audit_chain"
#define HEAD_KEY "audit_head"
#define HEAD_LABEL "soarctl-audit-head-v1"
#define HEAD_REC (1 + 8 + 32 + 32)

/* The chain key, unwrapped once per process and record (the committer thread
 * appends; verify reads). */
static pthread_mutex_t key_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char key_rec[96], key_k[32];
static size_t key_rec_len;
static uint64_t key_from;
static const struct secret_vault *key_vault;

static const struct audit_key_source *key_source;

void audit_set_key_source(const struct audit_key_source *src)
{
	__atomic_store_n(&key_source, src, __ATOMIC_RELEASE);
}

/* HMAC-SHA256 under K (RFC 2104) with the SHA-256 states after the inner and
 * outer pads kept between calls: an entry and its head cost two MACs, and
 * hashing the two pad blocks again each time (and the md layer's allocation)
 * was half of their cost. Same values as any HMAC-SHA256. */
static pthread_mutex_t mac_lock = PTHREAD_MUTEX_INITIALIZER;
static mbedtls_sha256_context mac_in, mac_out;
static unsigned char mac_key[32];
static int mac_ready;

static void kmac(const unsigned char k[32], const void *data, size_t len, unsigned char out[32])
{
	pthread_mutex_lock(&mac_lock);
	if (!mac_ready || !sc_equal(mac_key, k, 32)) {
		unsigned char pad[64];
		mbedtls_sha256_init(&mac_in);
		mbedtls_sha256_init(&mac_out);
		for (int i = 0; i < 64; i++)
			pad[i] = (unsigned char)((i < 32 ? k[i] : 0) ^ 0x36);
		sha256_starts(&mac_in, 0);
		sha256_update(&mac_in, pad, 64);
		for (int i = 0; i < 64; i++)
			pad[i] = (unsigned char)((i < 32 ? k[i] : 0) ^ 0x5c);
		sha256_starts(&mac_out, 0);
		sha256_update(&mac_out, pad, 64);
		sc_zero(pad, sizeof pad);
		memcpy(mac_key, k, 32);
		mac_ready = 1;
	}
	mbedtls_sha256_context c;
	unsigned char inner[32];
	mbedtls_sha256_init(&c);
	mbedtls_sha256_clone(&c, &mac_in);
	sha256_update(&c, data, len);
	sha256_finish(&c, inner);
	mbedtls_sha256_clone(&c, &mac_out);
	sha256_update(&c, inner, 32);
	sha256_finish(&c, out);
	mbedtls_sha256_free(&c);
	pthread_mutex_unlock(&mac_lock);
}

void audit_key_forget(void)
{
	pthread_mutex_lock(&mac_lock);
	if (mac_ready) {
		mbedtls_sha256_free(&mac_in);
		mbedtls_sha256_free(&mac_out);
	}
	mac_ready = 0;
	sc_zero(mac_key, sizeof mac_key);
	pthread_mutex_unlock(&mac_lock);
	pthread_mutex_lock(&key_lock);
	sc_zero(key_k, sizeof key_k);
	key_rec_len = 0;
	key_vault = NULL;
	pthread_mutex_unlock(&key_lock);
}

static int get_key(MDB_txn *txn, MDB_dbi dbi, const char *name, MDB_val *out)
{
	MDB_val k = { strlen(name), (void *)name };
	return mdb_get(txn, dbi, &k, out);
}

/* Whether the log is keyed, and K. *keyed 0: no chain key (a log written
 * before keys, or a store without a master key); with `create` and a vault,
 * the key is made here, keyed from next_seq. Returns 0, STORE_REFUSED (err)
 * or an LMDB code. */
static int chain_key(struct store *st, MDB_txn *txn, int create, uint64_t next_seq, int *keyed,
		     unsigned char k[32], uint64_t *from, char *err, size_t errlen)
{
	const struct audit_key_source *src = __atomic_load_n(&key_source, __ATOMIC_ACQUIRE);
	struct secret_vault *v = src ? src->vault_of(st) : NULL;
	MDB_val d;
	*keyed = 0;
	int rc = get_key(txn, store_dbi(st, STORE_DB_SECRET_KEYS), CHAIN_KEY, &d);
	if (rc == MDB_NOTFOUND) {
		if (!create || !v)
			return 0;
		rc = src->key(v, store_txn_of(txn), 1, next_seq, k, from, err, errlen);
		*keyed = rc == 0;
		return rc;
	}
	if (rc)
		return rc;
	if (!v) {
		snprintf(err, errlen, "the audit log is keyed with the master key, which this "
			 "process does not have: give it ($SOARCTL_MASTER_KEY, the key file, or "
			 "$SOARCTL_PASSPHRASE) and try again");
		return STORE_REFUSED;
	}
	pthread_mutex_lock(&key_lock);
	int cached = key_vault == v && key_rec_len == d.mv_size && d.mv_size <= sizeof key_rec &&
		     memcmp(key_rec, d.mv_data, d.mv_size) == 0;
	if (cached) {
		memcpy(k, key_k, 32);
		*from = key_from;
	}
	pthread_mutex_unlock(&key_lock);
	if (!cached) {
		if ((rc = src->key(v, store_txn_of(txn), 0, 0, k, from, err, errlen)) != 0)
			return rc;
		pthread_mutex_lock(&key_lock);
		if (d.mv_size <= sizeof key_rec) {
			memcpy(key_rec, d.mv_data, d.mv_size);
			key_rec_len = d.mv_size;
			memcpy(key_k, k, 32);
			key_from = *from;
			key_vault = v;
		}
		pthread_mutex_unlock(&key_lock);
	}
	*keyed = 1;
	return 0;
}

/* The head's MAC: HMAC(K, "h" | u64 seq | hash). 41 bytes: one SHA-256 block
 * after the inner pad; no entry starts with "h" (their first byte is 1 or 2). */
static void head_mac(const unsigned char k[32], uint64_t seq, const unsigned char hash[32],
		     unsigned char out[32])
{
	unsigned char b[1 + 8 + 32];
	b[0] = 'h';
	store_put_u64(b + 1, seq);
	memcpy(b + 9, hash, 32);
	kmac(k, b, sizeof b, out);
}

/* The head file: $SOARCTL_AUDIT_HEAD_FILE, else DATADIR/audit.head. 0 when
 * there is no data directory (a store opened by path, in tests). */
static int head_path(char *buf, size_t len)
{
	const char *e = getenv("SOARCTL_AUDIT_HEAD_FILE"), *dir = datadir_get();
	if (e && *e)
		return snprintf(buf, len, "%s", e) > 0;
	if (!dir || !*dir)
		return 0;
	return snprintf(buf, len, "%s/audit.head", dir) < (int)len;
}

/* Writes the head file (a new file renamed over the old: never half a line).
 * Not fsync'd: after a crash it may show an older head, never a newer one. */
static void head_file_write(uint64_t seq, const unsigned char hash[32], const unsigned char mac[32])
{
	char path[4200], tmp[4300], h[65], m[65];
	if (!head_path(path, sizeof path))
		return;
	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	hex_encode(hash, 32, h);
	hex_encode(mac, 32, m);
	int ok = fprintf(f, "%s %" PRIu64 " %s %s\n", HEAD_LABEL, seq, h, m) > 0;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path) != 0)
		unlink(tmp);
}

/* Reads the head file: 1 read (seq, hash, mac), 0 absent, -1 malformed. */
static int head_file_read(uint64_t *seq, unsigned char hash[32], unsigned char mac[32])
{
	char path[4200], line[300], h[80], m[80], label[40];
	unsigned long long s;
	if (!head_path(path, sizeof path))
		return 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	int ok = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	if (!ok || sscanf(line, "%39s %llu %79s %79s", label, &s, h, m) != 4 ||
	    strcmp(label, HEAD_LABEL) != 0 || hex_decode_n(h, strlen(h), hash, 32) != 0 ||
	    hex_decode_n(m, strlen(m), mac, 32) != 0)
		return -1;
	*seq = s;
	return 1;
}

/* At the first append of a write transaction, at most once a second, the
 * head committed before it goes to the head file: the head this transaction
 * writes is not durable yet (it may be rolled back), the one it reads is.
 * Once a second because a rename on the committer thread costs up to
 * milliseconds (ext4 flushes a file renamed over another): every commit
 * waited on it, and the daemon's sleeping runs came back a third slower. The
 * committer is one thread per process. */
static void head_file_sync(struct store *st, MDB_txn *txn)
{
	static __thread size_t last_txn;
	static __thread int64_t last_ms;
	static uint64_t written;
	size_t id = mdb_txn_id(txn);
	if (id == last_txn)
		return;
	last_txn = id;
	int64_t now = store_now_ms();
	if (now - last_ms < 1000 && now >= last_ms)
		return;
	last_ms = now;
	MDB_val d;
	if (get_key(txn, store_dbi(st, STORE_DB_SECRET_KEYS), HEAD_KEY, &d) != 0 ||
	    d.mv_size != HEAD_REC)
		return;
	const unsigned char *p = d.mv_data;
	uint64_t seq = store_get_u64(p + 1);
	if (seq <= __atomic_load_n(&written, __ATOMIC_RELAXED))
		return;
	head_file_write(seq, p + 9, p + 41);
	__atomic_store_n(&written, seq, __ATOMIC_RELAXED);
}

/* The per-store HMAC key for details; created (not yet written) when absent. */
static int hmac_key(struct store *st, MDB_txn *txn, unsigned char key[32], int *created,
		    char *err, size_t errlen)
{
	MDB_val k = { sizeof HMAC_KEY_NAME - 1, (void *)HMAC_KEY_NAME }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_SECRET_KEYS), &k, &v);
	*created = 0;
	if (rc == 0 && v.mv_size == 32) {
		memcpy(key, v.mv_data, 32);
		return 0;
	}
	if (rc != 0 && rc != MDB_NOTFOUND)
		return rc;
	if (sc_random(key, 32, err, errlen) != 0)
		return STORE_REFUSED;
	*created = 1;
	return 0;
}

static void put_str16(struct store_buf *b, const char *s)
{
	size_t n = strlen(s);
	unsigned char l[2] = { (unsigned char)(n >> 8), (unsigned char)n };
	store_buf_add(b, l, 2);
	store_buf_add(b, s, n);
}

int audit_append_txn(struct store *st, struct store_txn *stx, const char *actor,
		     const char *action, const char *object, const char *details_json,
		     uint64_t *seq_out, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx);
	actor = actor ? actor : "";
	object = object ? object : "";
	if (!action || !*action || strlen(actor) > AUDIT_MAX_FIELD ||
	    strlen(action) > AUDIT_MAX_FIELD || strlen(object) > AUDIT_MAX_FIELD) {
		snprintf(err, errlen, "audit: action missing, or actor/action/object longer than %d bytes",
			 AUDIT_MAX_FIELD);
		return STORE_REFUSED;
	}
	const char *details = details_json && *details_json ? details_json : "{}";
	unsigned char key[32];
	int created, rc = hmac_key(st, txn, key, &created, err, errlen);
	if (rc)
		return rc;
	struct store_buf d = { 0 }, b = { 0 };
	if (audit_scrub_details(key, details, strlen(details), &d, err, errlen) != 0) {
		sc_zero(key, sizeof key);
		store_buf_free(&d);
		return STORE_REFUSED;
	}
	if (d.len > AUDIT_MAX_DETAILS) {
		sc_zero(key, sizeof key);
		store_buf_free(&d);
		snprintf(err, errlen, "audit: details longer than %d bytes", AUDIT_MAX_DETAILS);
		return STORE_REFUSED;
	}
	MDB_dbi dbi = store_dbi(st, STORE_DB_AUDIT);
	if (created) {
		MDB_val k = { sizeof HMAC_KEY_NAME - 1, (void *)HMAC_KEY_NAME }, v = { 32, key };
		rc = mdb_put(txn, store_dbi(st, STORE_DB_SECRET_KEYS), &k, &v, 0);
	}
	sc_zero(key, sizeof key);
	/* the last entry: its seq and hash */
	uint64_t seq = 1;
	unsigned char prev[32] = { 0 };
	MDB_cursor *cur = NULL;
	if (rc == 0)
		rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc == 0) {
		MDB_val k, v;
		int r = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		if (r == 0 && k.mv_size == 8) {
			seq = store_get_u64(k.mv_data) + 1;
			if (v.mv_size >= 32)
				memcpy(prev, (const unsigned char *)v.mv_data + v.mv_size - 32, 32);
		} else if (r != MDB_NOTFOUND && r != 0) {
			rc = r;
		}
		mdb_cursor_close(cur);
	}
	int keyed = 0;
	unsigned char ck[32];
	uint64_t from = 0;
	if (rc == 0)
		rc = chain_key(st, txn, 1, seq, &keyed, ck, &from, err, errlen);
	if (rc == 0 && keyed)
		head_file_sync(st, txn);
	if (rc == 0) {
		unsigned char hdr[FIXED_HEAD];
		hdr[0] = keyed ? 2 : 1;
		store_put_u64(hdr + 1, seq);
		store_put_u64(hdr + 9, (uint64_t)store_now_ms());
		store_buf_add(&b, hdr, sizeof hdr);
		put_str16(&b, actor);
		put_str16(&b, action);
		put_str16(&b, object);
		unsigned char l4[4];
		store_put_u32(l4, (uint32_t)d.len);
		store_buf_add(&b, l4, 4);
		store_buf_add(&b, d.p, d.len);
		store_buf_add(&b, prev, 32);
		unsigned char h[32];
		if (!b.oom) {
			if (keyed)
				kmac(ck, b.p, b.len, h);
			else
				entry_hash((const unsigned char *)b.p, b.len, h);
			store_buf_add(&b, h, 32);
		}
		if (b.oom) {
			rc = ENOMEM;
		} else {
			unsigned char kb[8];
			store_put_u64(kb, seq);
			MDB_val k = { 8, kb }, v = { b.len, b.p };
			rc = mdb_put(txn, dbi, &k, &v, MDB_NOOVERWRITE);
		}
		if (rc == 0 && keyed) {
			unsigned char hr[HEAD_REC];
			hr[0] = 1;
			store_put_u64(hr + 1, seq);
			memcpy(hr + 9, h, 32);
			head_mac(ck, seq, h, hr + 41);
			MDB_val k = { sizeof HEAD_KEY - 1, (void *)HEAD_KEY }, v = { sizeof hr, hr };
			rc = mdb_put(txn, store_dbi(st, STORE_DB_SECRET_KEYS), &k, &v, 0);
		}
	}
	sc_zero(ck, sizeof ck);
	store_buf_free(&d);
	store_buf_free(&b);
	if (rc == 0 && seq_out)
		*seq_out = seq;
	return rc;
}

struct append_ctx {
	const char *actor, *action, *object, *details;
};

static int append_apply(struct store *st, struct store_txn *txn, void *ud, char *err, size_t errlen)
{
	struct append_ctx *c = ud;
	return audit_append_txn(st, txn, c->actor, c->action, c->object, c->details, NULL,
				err, errlen);
}

int audit_append(struct store *st, const char *actor, const char *action, const char *object,
		 const char *details_json, char *err, size_t errlen)
{
	struct append_ctx c = { actor, action, object, details_json };
	return store_write(st, append_apply, &c, err, errlen) == 0 ? 0 : -1;
}

/* ---- reading ---- */

static int get16(const unsigned char **p, const unsigned char *end, const char **s, size_t *n)
{
	if (end - *p < 2)
		return -1;
	*n = (size_t)(*p)[0] << 8 | (*p)[1];
	*p += 2;
	if ((size_t)(end - *p) < *n)
		return -1;
	*s = (const char *)*p;
	*p += *n;
	return 0;
}

/* Decodes v into e (pointing into v). Returns 0, or -1 when malformed. */
static int decode(const unsigned char *v, size_t n, struct audit_entry *e)
{
	const unsigned char *p = v, *end = v + n;
	if (n < FIXED_HEAD + 6 + 4 + 64 || (p[0] != 1 && p[0] != 2))
		return -1;
	e->seq = store_get_u64(p + 1);
	e->time_ms = (int64_t)store_get_u64(p + 9);
	p += FIXED_HEAD;
	if (get16(&p, end, &e->actor, &e->actor_len) || get16(&p, end, &e->action, &e->action_len) ||
	    get16(&p, end, &e->object, &e->object_len))
		return -1;
	if (end - p < 4)
		return -1;
	e->details_len = store_get_u32(p);
	p += 4;
	if ((size_t)(end - p) != e->details_len + 64)
		return -1;
	e->details = (const char *)p;
	p += e->details_len;
	memcpy(e->prev, p, 32);
	memcpy(e->hash, p + 32, 32);
	return 0;
}

int audit_list(struct store *st, uint64_t from, size_t limit,
	       int (*cb)(const struct audit_entry *e, void *ud), void *ud,
	       char *err, size_t errlen)
{
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_AUDIT), &cur);
	if (rc) {
		store_error(st, rc, "reading the audit log", err, errlen);
		store_mdb_read_end(st, txn);
		return -1;
	}
	unsigned char kb[8];
	store_put_u64(kb, from);
	MDB_val k = { 8, kb }, v;
	size_t n = 0;
	for (int r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); r == 0;
	     r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct audit_entry e;
		if (decode(v.mv_data, v.mv_size, &e) != 0)
			continue;
		if (cb(&e, ud) != 0 || (limit && ++n >= limit))
			break;
	}
	mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
	return 0;
}

uint64_t audit_tail_from(struct store *st, size_t limit)
{
	struct audit_checkpoint cp;
	char err[256];
	if (audit_checkpoint(st, &cp, err, sizeof err) != 0 || cp.seq <= limit)
		return 1;
	return cp.seq - limit + 1;
}

int audit_checkpoint(struct store *st, struct audit_checkpoint *cp, char *err, size_t errlen)
{
	memset(cp, 0, sizeof *cp);
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_AUDIT), &cur);
	if (rc == 0) {
		MDB_val k, v;
		int r = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		if (r == 0 && k.mv_size == 8 && v.mv_size >= 32) {
			cp->seq = store_get_u64(k.mv_data);
			memcpy(cp->head, (const unsigned char *)v.mv_data + v.mv_size - 32, 32);
		} else if (r != MDB_NOTFOUND) {
			rc = r ? r : MDB_CORRUPTED;
		}
		mdb_cursor_close(cur);
	}
	store_mdb_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "reading the audit log", err, errlen);
		return -1;
	}
	return 0;
}

void audit_checkpoint_format(const struct audit_checkpoint *cp, char *buf, size_t len)
{
	char hex[65];
	hex_encode(cp->head, 32, hex);
	snprintf(buf, len, "%" PRIu64 ":%s", cp->seq, hex);
}

int audit_checkpoint_parse(const char *s, struct audit_checkpoint *cp)
{
	char *end;
	memset(cp, 0, sizeof *cp);
	if (!s || *s < '0' || *s > '9')
		return -1;
	unsigned long long seq = strtoull(s, &end, 10);
	if (*end != ':' || hex_decode_n(end + 1, strlen(end + 1), cp->head, 32) != 0)
		return -1;
	cp->seq = seq;
	return 0;
}

static int bad(struct audit_report *rep, uint64_t seq, const char *why)
{
	rep->first_bad = seq;
	snprintf(rep->why, sizeof rep->why, "%s", why);
	return 1;
}

/* The entry at seq's hash (the last 32 bytes), into out. 0 or -1. */
static int hash_at(struct store *st, MDB_txn *txn, uint64_t seq, unsigned char out[32])
{
	unsigned char kb[8];
	store_put_u64(kb, seq);
	MDB_val k = { 8, kb }, v;
	if (mdb_get(txn, store_dbi(st, STORE_DB_AUDIT), &k, &v) != 0 || v.mv_size < 32)
		return -1;
	memcpy(out, (const unsigned char *)v.mv_data + v.mv_size - 32, 32);
	return 0;
}

/* The keyed log's heads: the record in the keyring and the head file, against
 * the log as walked (rep->head). Returns 0 or 1 (bad, rep filled). */
static int check_heads(struct store *st, MDB_txn *txn, const unsigned char k[32],
		       struct audit_report *rep)
{
	char why[256];
	uint64_t last = rep->head.seq;
	unsigned char mac[32];
	MDB_val d;
	int rc = get_key(txn, store_dbi(st, STORE_DB_SECRET_KEYS), HEAD_KEY, &d);
	if (rc != 0 || d.mv_size != HEAD_REC) {
		if (rc == MDB_NOTFOUND && last < rep->keyed_from)
			return 0; /* keyed, but no keyed entry committed yet */
		return bad(rep, last, "the head record of the keyed log is missing or malformed: "
			   "it was deleted or changed");
	}
	const unsigned char *p = d.mv_data;
	uint64_t hseq = store_get_u64(p + 1);
	head_mac(k, hseq, p + 9, mac);
	if (p[0] != 1 || !sc_equal(mac, p + 41, 32))
		return bad(rep, last, "the head record fails authentication: it was forged or changed");
	if (hseq > last) {
		snprintf(why, sizeof why, "the log was truncated: the head record says %" PRIu64
			 " entries, the log ends at %" PRIu64, hseq, last);
		return bad(rep, last + 1, why);
	}
	if (hseq < last || !sc_equal(p + 9, rep->head.head, 32)) {
		snprintf(why, sizeof why, "the head record (entry %" PRIu64 ") is not the log's last "
			 "entry (%" PRIu64 "): an old head was put back, or entries were added "
			 "without the key", hseq, last);
		return bad(rep, hseq < last ? hseq + 1 : last, why);
	}
	/* The head file lags by at most the last write of each process; it must
	 * never be ahead of the log, and the entry it names must be unchanged. */
	uint64_t fseq;
	unsigned char fh[32], fmac[32], eh[32];
	int fr = head_file_read(&fseq, fh, fmac);
	rep->head_file = fr;
	if (fr < 0)
		return bad(rep, last, "the head file is malformed: it was changed");
	if (fr == 0)
		return 0;
	head_mac(k, fseq, fh, mac);
	if (!sc_equal(mac, fmac, 32))
		return bad(rep, last, "the head file fails authentication: it was forged, or "
			   "belongs to another store");
	if (fseq > last) {
		snprintf(why, sizeof why, "the log was truncated or rolled back: the head file says "
			 "%" PRIu64 " entries, the log (and its head record) end at %" PRIu64,
			 fseq, last);
		return bad(rep, last + 1, why);
	}
	if (fseq > 0 && (hash_at(st, txn, fseq, eh) != 0 || !sc_equal(eh, fh, 32))) {
		snprintf(why, sizeof why, "entry %" PRIu64 " differs from the head file's: the log "
			 "was rewritten", fseq);
		return bad(rep, fseq, why);
	}
	return 0;
}

int audit_verify(struct store *st, const struct audit_checkpoint *cp,
		 struct audit_report *rep, char *err, size_t errlen)
{
	memset(rep, 0, sizeof *rep);
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	unsigned char k[32];
	int keyed = 0;
	uint64_t from = 0;
	int rc = chain_key(st, txn, 0, 0, &keyed, k, &from, err, errlen);
	const struct audit_key_source *ks = __atomic_load_n(&key_source, __ATOMIC_ACQUIRE);
	if (rc == STORE_REFUSED && !(ks && ks->vault_of(st))) {
		snprintf(err, errlen, "the audit log is keyed with the master key: give it to verify "
			 "the log ($SOARCTL_MASTER_KEY, the key file, or $SOARCTL_PASSPHRASE)");
		rep->need_key = 1;
		store_mdb_read_end(st, txn);
		return -1;
	}
	int result = 0;
	if (rc == STORE_REFUSED) {
		snprintf(rep->why, sizeof rep->why, "%s", err);
		rep->first_bad = 1;
		store_mdb_read_end(st, txn);
		return 1;
	}
	MDB_cursor *cur = NULL;
	if (rc == 0)
		rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_AUDIT), &cur);
	if (rc) {
		store_error(st, rc, "reading the audit log", err, errlen);
		store_mdb_read_end(st, txn);
		return -1;
	}
	rep->keyed_from = keyed ? from : 0;
	uint64_t expect = 1;
	unsigned char prev[32] = { 0 };
	char why[256];
	MDB_val kk, v;
	for (int r = mdb_cursor_get(cur, &kk, &v, MDB_FIRST); r == 0 && !result;
	     r = mdb_cursor_get(cur, &kk, &v, MDB_NEXT)) {
		struct audit_entry e;
		uint64_t kseq = kk.mv_size == 8 ? store_get_u64(kk.mv_data) : 0;
		if (kseq != expect) {
			snprintf(why, sizeof why, kseq > expect
				 ? "entry %" PRIu64 " is missing (the next entry is %" PRIu64 "): deleted"
				 : "entry %" PRIu64 " is followed by an out-of-order key (%" PRIu64 ")",
				 expect, kseq);
			result = bad(rep, expect, why);
			break;
		}
		if (decode(v.mv_data, v.mv_size, &e) != 0) {
			result = bad(rep, kseq, "the entry does not decode: bytes changed, added or cut");
			break;
		}
		int version = ((const unsigned char *)v.mv_data)[0];
		int want = keyed && kseq >= from ? 2 : 1;
		unsigned char h[32];
		if (version == 2 && keyed)
			kmac(k, v.mv_data, v.mv_size - 32, h);
		else
			entry_hash(v.mv_data, v.mv_size - 32, h);
		if (version != want) {
			snprintf(why, sizeof why, want == 2
				 ? "the entry is not keyed, though the log is keyed from entry %" PRIu64
				   ": it was rewritten without the key"
				 : keyed ? "the entry is keyed, though the log is keyed only from entry %"
				   PRIu64 ": the key record was changed"
				 : "the entry is keyed, but the store holds no audit key: the key "
				   "record was deleted", from);
			result = bad(rep, kseq, why);
		} else if (e.seq != kseq)
			result = bad(rep, kseq, "the entry holds another sequence number: entries "
				     "were moved or swapped");
		else if (!sc_equal(h, e.hash, 32))
			result = bad(rep, kseq, version == 2
				     ? "the entry's MAC does not match its contents: it was changed"
				     : "the entry's hash does not match its contents: it was changed");
		else if (!sc_equal(prev, e.prev, 32))
			result = bad(rep, kseq, "the entry does not chain to the one before it: "
				     "an earlier entry was changed, removed or reordered");
		if (result)
			break;
		memcpy(prev, e.hash, 32);
		rep->entries++;
		rep->head.seq = kseq;
		memcpy(rep->head.head, e.hash, 32);
		expect++;
	}
	if (!result && keyed)
		result = check_heads(st, txn, k, rep);
	if (!result && !keyed) {
		MDB_val d;
		uint64_t fs;
		unsigned char fh[32], fm[32];
		if (get_key(txn, store_dbi(st, STORE_DB_SECRET_KEYS), HEAD_KEY, &d) == 0 ||
		    head_file_read(&fs, fh, fm) != 0)
			result = bad(rep, 1, "the log has a head but the store holds no audit key: the "
				     "key record was deleted");
	}
	if (!result && cp && cp->seq > 0) {
		if (rep->head.seq < cp->seq) {
			snprintf(why, sizeof why, "the log was truncated: the checkpoint has %" PRIu64
				 " entries, the log %" PRIu64, cp->seq, rep->head.seq);
			result = bad(rep, rep->head.seq + 1, why);
		} else {
			unsigned char ch[32];
			if (hash_at(st, txn, cp->seq, ch) != 0 || !sc_equal(ch, cp->head, 32))
				result = bad(rep, cp->seq, "the entry differs from the checkpoint: the log "
					     "was rewritten at or before it");
		}
	}
	/* intact: the head file catches up with the log */
	if (!result && keyed && rep->head.seq >= from) {
		unsigned char mac[32];
		head_mac(k, rep->head.seq, rep->head.head, mac);
		head_file_write(rep->head.seq, rep->head.head, mac);
		if (rep->head_file == 0)
			rep->head_file = 2;
	}
	sc_zero(k, sizeof k);
	mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
	return result;
}
