/* audit.c - appending to, reading and verifying the hash-chained audit log
 * (formats in audit.h). Appends happen inside the store's write transaction:
 * LMDB has one writer at a time across processes, so reading the last entry and
 * writing the next cannot interleave with another append. */
#include "audit.h"
#include "hex.h"

#include "secret_crypto.h"
#include "store_buf.h"

#include <errno.h>
#include <inttypes.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int audit_append_txn(struct store *st, MDB_txn *txn, const char *actor, const char *action,
		     const char *object, const char *details_json, uint64_t *seq_out,
		     char *err, size_t errlen)
{
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
	if (rc == 0) {
		unsigned char hdr[FIXED_HEAD];
		hdr[0] = 1;
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
	}
	store_buf_free(&d);
	store_buf_free(&b);
	if (rc == 0 && seq_out)
		*seq_out = seq;
	return rc;
}

struct append_ctx {
	const char *actor, *action, *object, *details;
};

static int append_apply(struct store *st, MDB_txn *txn, void *ud, char *err, size_t errlen)
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
	if (n < FIXED_HEAD + 6 + 4 + 64 || p[0] != 1)
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
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_AUDIT), &cur);
	if (rc) {
		store_error(st, rc, "reading the audit log", err, errlen);
		store_read_end(st, txn);
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
	store_read_end(st, txn);
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
	if (store_read_begin(st, &txn, err, errlen) != 0)
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
	store_read_end(st, txn);
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

int audit_verify(struct store *st, const struct audit_checkpoint *cp,
		 struct audit_report *rep, char *err, size_t errlen)
{
	memset(rep, 0, sizeof *rep);
	MDB_txn *txn;
	if (store_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_AUDIT), &cur);
	if (rc) {
		store_error(st, rc, "reading the audit log", err, errlen);
		store_read_end(st, txn);
		return -1;
	}
	int result = 0;
	uint64_t expect = 1;
	unsigned char prev[32] = { 0 };
	char why[256];
	MDB_val k, v;
	for (int r = mdb_cursor_get(cur, &k, &v, MDB_FIRST); r == 0 && !result;
	     r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct audit_entry e;
		uint64_t kseq = k.mv_size == 8 ? store_get_u64(k.mv_data) : 0;
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
		unsigned char h[32];
		entry_hash(v.mv_data, v.mv_size - 32, h);
		if (e.seq != kseq)
			result = bad(rep, kseq, "the entry holds another sequence number: entries "
				     "were moved or swapped");
		else if (!sc_equal(h, e.hash, 32))
			result = bad(rep, kseq, "the entry's hash does not match its contents: "
				     "it was changed");
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
	if (!result && cp && cp->seq > 0) {
		if (rep->head.seq < cp->seq) {
			snprintf(why, sizeof why, "the log was truncated: the checkpoint has %" PRIu64
				 " entries, the log %" PRIu64, cp->seq, rep->head.seq);
			result = bad(rep, rep->head.seq + 1, why);
		} else {
			unsigned char kb[8];
			store_put_u64(kb, cp->seq);
			MDB_val ck = { 8, kb }, cv;
			if (mdb_get(txn, store_dbi(st, STORE_DB_AUDIT), &ck, &cv) != 0 || cv.mv_size < 32 ||
			    !sc_equal((const unsigned char *)cv.mv_data + cv.mv_size - 32, cp->head, 32))
				result = bad(rep, cp->seq, "the entry differs from the checkpoint: the log "
					     "was rewritten at or before it");
		}
	}
	mdb_cursor_close(cur);
	store_read_end(st, txn);
	return result;
}
