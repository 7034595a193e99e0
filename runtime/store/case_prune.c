/* case_prune.c - removing a case and everything that hangs on it, and releasing
 * an old case's dedupe key, inside a write transaction: what retention
 * (retention.c) does to the cases its policy lets go. Here because it needs the
 * record codec and the index keys (case_int.h).
 *
 * A removed case leaves nothing that `store check` would call dangling: its
 * record, id entry, every index entry its record produces, its dedupe key,
 * timeline, links (both ways), indicator links (both ways); attachments lose a
 * reference and a blob no other case references goes too. The audit log keeps
 * what it said about the case (it is never pruned: docs/store.md "Retention"). */
#include "store_int.h" /* first: pthread.h wants _GNU_SOURCE before anything */
#include "case_int.h"
#include "case_prune_int.h"
#include "retention.h"

#include "hex.h"
#include "indicator.h"
#include "json.h"
#include "uuid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Deletes every key of `dbi` starting with prefix (plen bytes); calls each(k)
 * first when not NULL. */
static int del_prefix(MDB_txn *txn, MDB_dbi dbi, const void *prefix, size_t plen,
		      int (*each)(void *ud, const MDB_val *k, const MDB_val *v), void *ud,
		      uint64_t *count)
{
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, dbi, &cur);
	if (rc)
		return rc;
	MDB_val k = { plen, (void *)prefix }, v;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0) {
		if (each && (rc = each(ud, &k, &v)) != 0)
			break;
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		if (count)
			(*count)++;
		rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
		if (rc == EINVAL) /* deleted the last item */
			rc = MDB_NOTFOUND;
		if (rc == 0 && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0))
			break;
		/* after a delete the cursor stands on the next item already */
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

struct prune_ctx {
	struct store *st;
	MDB_txn *txn;
	uint64_t seq;
};

/* One reference fewer on an attachment's blob; the blob goes with its last. */
static int blob_unref(struct store *st, MDB_txn *txn, const unsigned char sha[32])
{
	MDB_val k = { 32, (void *)sha }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_BLOB_META), &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (v.mv_size < 24)
		return MDB_CORRUPTED;
	unsigned char m[64];
	size_t n = v.mv_size < sizeof m ? v.mv_size : sizeof m;
	memcpy(m, v.mv_data, n);
	uint64_t refs = store_get_u64(m + 8);
	if (refs > 1) {
		store_put_u64(m + 8, refs - 1);
		MDB_val nv = { n, m };
		return mdb_put(txn, store_dbi(st, STORE_DB_BLOB_META), &k, &nv, 0);
	}
	rc = mdb_del(txn, store_dbi(st, STORE_DB_BLOB_META), &k, NULL);
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = mdb_del(txn, store_dbi(st, STORE_DB_BLOBS), &k, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int timeline_each(void *ud, const MDB_val *k, const MDB_val *v)
{
	struct prune_ctx *c = ud;
	struct case_entry e;
	if (k->mv_size != 12 || case_entry_decode(store_get_u32((unsigned char *)k->mv_data + 8),
						  v->mv_data, v->mv_size, &e) != 0)
		return 0; /* a damaged entry goes with its case */
	int rc = 0;
	if (e.kind == CASE_ENTRY_ATTACHMENT && e.data) {
		struct json_doc d = { 0 };
		char jerr[64];
		if (json_parse(&d, e.data, strlen(e.data), 4, jerr, sizeof jerr) == 0) {
			const char *hex = json_text(json_get(&d, &d.n[0], "sha256"));
			unsigned char sha[32];
			if (hex && hex_decode_n(hex, strlen(hex), sha, 32) == 0)
				rc = blob_unref(c->st, c->txn, sha);
		}
		json_doc_free(&d);
	}
	case_entries_free(&e, 1);
	return rc;
}

/* A link (seq, other) goes both ways: delete (other, seq) too. */
static int link_each(void *ud, const MDB_val *k, const MDB_val *v)
{
	struct prune_ctx *c = ud;
	(void)v;
	if (k->mv_size != 16)
		return 0;
	unsigned char back[16];
	memcpy(back, (unsigned char *)k->mv_data + 8, 8);
	memcpy(back + 8, k->mv_data, 8);
	MDB_val bk = { 16, back };
	int rc = mdb_del(c->txn, store_dbi(c->st, STORE_DB_CASE_LINKS), &bk, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* case_inds (seq, type, value) has its twin ind_cases (type, value, 0, seq). */
static int ind_each(void *ud, const MDB_val *k, const MDB_val *v)
{
	struct prune_ctx *c = ud;
	(void)v;
	if (k->mv_size < 9 || k->mv_size > 8 + 1 + IND_MAX_VALUE)
		return 0;
	unsigned char back[IND_MAX_VALUE + 20];
	size_t tv = k->mv_size - 8;
	memcpy(back, (unsigned char *)k->mv_data + 8, tv);
	back[tv] = 0;
	memcpy(back + tv + 1, k->mv_data, 8);
	MDB_val bk = { tv + 9, back };
	int rc = mdb_del(c->txn, store_dbi(c->st, STORE_DB_IND_CASES), &bk, NULL);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int case_prune_txn(struct store *st, MDB_txn *txn, uint64_t seq, uint64_t *entries)
{
	struct case_rec c;
	int rc = case_load(st, txn, seq, &c);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : rc;
	struct case_keys *ks = malloc(sizeof *ks);
	if (!ks) {
		case_rec_free(&c);
		return ENOMEM;
	}
	case_index_keys(&c, ks);
	for (size_t i = 0; i < ks->n && rc == 0; i++)
		rc = case_index_del(st, txn, ks->k[i], ks->len[i]);
	free(ks);
	unsigned char id[16], sk[8];
	store_put_u64(sk, seq);
	if (rc == 0 && uuid_parse(c.id, id) == 0) {
		MDB_val k = { 16, id };
		rc = mdb_del(txn, store_dbi(st, STORE_DB_CASE_UUID), &k, NULL);
		rc = rc == MDB_NOTFOUND ? 0 : rc;
	}
	if (rc == 0 && c.dedupe_key && *c.dedupe_key) {
		MDB_val k = { strlen(c.dedupe_key), c.dedupe_key }, v;
		if (mdb_get(txn, store_dbi(st, STORE_DB_CASE_DEDUPE), &k, &v) == 0 && v.mv_size == 8 &&
		    store_get_u64(v.mv_data) == seq)
			rc = mdb_del(txn, store_dbi(st, STORE_DB_CASE_DEDUPE), &k, NULL);
	}
	struct prune_ctx pc = { st, txn, seq };
	if (rc == 0)
		rc = del_prefix(txn, store_dbi(st, STORE_DB_TIMELINE), sk, 8, timeline_each, &pc, entries);
	if (rc == 0)
		rc = del_prefix(txn, store_dbi(st, STORE_DB_CASE_LINKS), sk, 8, link_each, &pc, NULL);
	if (rc == 0)
		rc = del_prefix(txn, store_dbi(st, STORE_DB_CASE_INDS), sk, 8, ind_each, &pc, NULL);
	if (rc == 0) {
		MDB_val k = { 8, sk };
		rc = mdb_del(txn, store_dbi(st, STORE_DB_CASES), &k, NULL);
	}
	case_rec_free(&c);
	return rc;
}

int case_release_dedupe_txn(struct store *st, MDB_txn *txn, const MDB_val *key, uint64_t seq,
			    int64_t now)
{
	struct case_rec old, rec;
	int rc = case_load(st, txn, seq, &old);
	if (rc == MDB_NOTFOUND) /* a key naming no case: let it go */
		return mdb_del(txn, store_dbi(st, STORE_DB_CASE_DEDUPE), (MDB_val *)key, NULL);
	if (rc)
		return rc;
	if ((rc = case_load(st, txn, seq, &rec)) != 0) {
		case_rec_free(&old);
		return rc;
	}
	rec.dedupe_key = NULL; /* the string lives in rec's block: nothing to free */
	rc = case_entry_put(st, txn, &rec, CASE_ENTRY_UPDATE, now, "retention",
			    "dedupe key released (retention: the case is older than the policy's "
			    "dedupe_keys age)", NULL);
	if (rc == 0)
		rc = case_save(st, txn, &old, &rec);
	if (rc == 0)
		rc = mdb_del(txn, store_dbi(st, STORE_DB_CASE_DEDUPE), (MDB_val *)key, NULL);
	case_rec_free(&old);
	case_rec_free(&rec);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int case_created_txn(struct store *st, MDB_txn *txn, uint64_t seq, int64_t *created)
{
	struct case_rec c;
	int rc = case_load(st, txn, seq, &c);
	if (rc == 0) {
		*created = c.created;
		case_rec_free(&c);
	}
	return rc;
}

/* The index a rule walks: the most selective field it names, in updated order. */
static size_t rule_prefix(const struct retention_rule *r, unsigned char *out)
{
	unsigned char b;
	if (r->type[0])
		return case_index_prefix(out, CASE_IX_TYPE, CASE_SORT_UPDATED, r->type, strlen(r->type));
	if (r->status > 0) {
		b = (unsigned char)r->status;
		return case_index_prefix(out, CASE_IX_STATUS, CASE_SORT_UPDATED, &b, 1);
	}
	if (r->severity > 0) {
		b = (unsigned char)r->severity;
		return case_index_prefix(out, CASE_IX_SEVERITY, CASE_SORT_UPDATED, &b, 1);
	}
	return case_index_prefix(out, CASE_IX_ALL, CASE_SORT_UPDATED, NULL, 0);
}

static int rule_match(const struct retention_rule *r, const struct case_rec *c)
{
	if (r->type[0] && (!c->type || strcmp(r->type, c->type) != 0))
		return 0;
	if (r->severity > 0 && c->severity != r->severity)
		return 0;
	if (r->status > 0 && c->status != r->status)
		return 0;
	if (r->status < 0 && c->status == CASE_CLOSED)
		return 0;
	return 1;
}

int case_prune_select_txn(struct store *st, MDB_txn *txn, const struct retention_rule *r,
			  int64_t cutoff, unsigned char pos[16], uint64_t *seqs, size_t max,
			  size_t max_examine, size_t *n, int *done)
{
	*n = 0;
	*done = 0;
	int rc = store_flush_dups(st, txn);
	if (rc)
		return rc;
	unsigned char key[CASE_KEY_MAX];
	size_t klen = rule_prefix(r, key);
	MDB_cursor *cur;
	if ((rc = mdb_cursor_open(txn, case_index_dbi(st, key[0]), &cur)) != 0)
		return rc;
	/* Start strictly after the last entry examined (time, seq + 1). */
	unsigned char start[16];
	memcpy(start, pos, 16);
	store_put_u64(start + 8, store_get_u64(pos + 8) + 1);
	MDB_val k = { klen, key }, d = { 16, start };
	rc = mdb_cursor_get(cur, &k, &d, MDB_GET_BOTH_RANGE);
	size_t examined = 0;
	while (rc == 0 && *n < max && examined < max_examine) {
		if (d.mv_size != 16) {
			rc = MDB_CORRUPTED;
			break;
		}
		int64_t t = (int64_t)store_get_u64(d.mv_data);
		if (t >= cutoff) {
			*done = 1;
			break;
		}
		memcpy(pos, d.mv_data, 16);
		examined++;
		uint64_t seq = store_get_u64((unsigned char *)d.mv_data + 8);
		struct case_rec c;
		int lrc = case_load(st, txn, seq, &c);
		if (lrc == 0) {
			if (rule_match(r, &c))
				seqs[(*n)++] = seq;
			case_rec_free(&c);
		} else if (lrc != MDB_NOTFOUND) {
			rc = lrc;
			break;
		}
		rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT_DUP);
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND) {
		*done = 1;
		rc = 0;
	}
	return rc;
}
