/* case_index.c - the composite keys that make case queries a cursor seek.
 *
 * The "case_ix" database is MDB_DUPSORT | MDB_DUPFIXED. Key: kind (1 byte) |
 * sort ('c' created, 'u' updated) | value length (1) | value. Each key holds
 * sorted 16-byte duplicates: time (8, big endian) | seq (8, big endian). Within
 * one key the entries are in time order, so "the newest 50 open cases of type
 * phishing" is one seek to that key's last duplicate and 50 steps back. A key is
 * stored once, however many cases it holds, and new cases go at the end of each
 * key's duplicates (MDB_APPENDDUP): pages fill completely and a put does not
 * search the leaf. The dedupe-key entries (kind 'D', one key per case, usually
 * unique) live in their own database "case_dkey" with the same layout, so that
 * "case_ix" holds a few hundred keys at most and its other puts stay shallow.
 */
#include "store_int.h" /* first: pthread.h wants _GNU_SOURCE before anything */
#include "case_int.h"


#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t case_index_prefix(unsigned char *out, int kind, int sort, const void *v, size_t vlen)
{
	out[0] = (unsigned char)kind;
	out[1] = sort == CASE_SORT_UPDATED ? 'u' : 'c';
	out[2] = (unsigned char)vlen;
	if (vlen)
		memcpy(out + 3, v, vlen);
	return 3 + vlen;
}

static void add(struct case_keys *ks, const struct case_rec *c, int kind, int sort,
		const void *v, size_t vlen)
{
	if (ks->n >= sizeof ks->len / sizeof ks->len[0] || vlen > CASE_MAX_SHORT)
		return;
	unsigned char *k = ks->k[ks->n];
	size_t n = case_index_prefix(k, kind, sort, v, vlen);
	store_put_u64(k + n, (uint64_t)(sort == CASE_SORT_UPDATED ? c->updated : c->created));
	store_put_u64(k + n + 8, c->seq);
	ks->len[ks->n++] = n + 16;
}

static void add_str(struct case_keys *ks, const struct case_rec *c, int kind, int sort,
		    const char *s)
{
	if (s && *s)
		add(ks, c, kind, sort, s, strlen(s));
}

void case_index_keys(const struct case_rec *c, struct case_keys *ks)
{
	ks->n = 0;
	for (int sort = CASE_SORT_CREATED; sort <= CASE_SORT_UPDATED; sort++) {
		unsigned char b;
		add(ks, c, CASE_IX_ALL, sort, NULL, 0);
		b = (unsigned char)c->status;
		add(ks, c, CASE_IX_STATUS, sort, &b, 1);
		b = (unsigned char)c->severity;
		add(ks, c, CASE_IX_SEVERITY, sort, &b, 1);
		add_str(ks, c, CASE_IX_TYPE, sort, c->type);
		add_str(ks, c, CASE_IX_OWNER, sort, c->owner);
		add_str(ks, c, CASE_IX_ROLE, sort, c->role);
		for (size_t i = 0; i < c->nlabels; i++)
			add_str(ks, c, CASE_IX_LABEL, sort, c->labels[i]);
	}
	/* Children and dedupe-key lookups are small sets: created order is enough,
	 * and a dedupe key is usually unique, so each entry is a random insert:
	 * one per case, not two. */
	if (c->parent) {
		unsigned char p[8];
		store_put_u64(p, c->parent);
		add(ks, c, CASE_IX_PARENT, CASE_SORT_CREATED, p, 8);
	}
	add_str(ks, c, CASE_IX_DEDUPE, CASE_SORT_CREATED, c->dedupe_key);
}

MDB_dbi case_index_dbi(struct store *st, int kind)
{
	return store_dbi(st, kind == CASE_IX_DEDUPE ? STORE_DB_CASE_DKEY : STORE_DB_CASE_IDX);
}

/* Puts are deferred to the end of the batch (store_defer_dup): the batch's
 * entries of one key then go in with one call, appended after its last one. */
int case_index_put(struct store *st, MDB_txn *txn, const unsigned char *k, size_t len)
{
	return store_defer_dup(st, txn, case_index_dbi(st, k[0]), k, len - 16, k + len - 16, 16);
}

int case_index_del(struct store *st, MDB_txn *txn, const unsigned char *k, size_t len)
{
	MDB_val key = { len - 16, (void *)k }, data = { 16, (void *)(k + len - 16) };
	int rc = store_flush_dups(st, txn);
	if (rc)
		return rc;
	rc = mdb_del(txn, case_index_dbi(st, k[0]), &key, &data);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Schema 1 kept one key per index entry in "case_idx" (no dupsort). Drop it and
 * rebuild the entries from the case records. */
int case_index_migrate_v2(struct store *st, MDB_txn *txn)
{
	MDB_dbi old;
	int rc = mdb_dbi_open(txn, "case_idx", 0, &old);
	if (rc == 0)
		rc = mdb_drop(txn, old, 1);
	else if (rc == MDB_NOTFOUND)
		rc = 0;
	MDB_cursor *cur = NULL;
	if (rc == 0)
		rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASES), &cur);
	struct case_keys *ks = rc ? NULL : malloc(sizeof *ks);
	if (rc == 0 && !ks)
		rc = ENOMEM;
	MDB_val k, v;
	for (int op = MDB_FIRST; rc == 0; op = MDB_NEXT) {
		if ((rc = mdb_cursor_get(cur, &k, &v, op)) != 0)
			break;
		struct case_rec c;
		if (k.mv_size != 8 || case_decode(store_get_u64(k.mv_data), v.mv_data, v.mv_size, &c)) {
			rc = MDB_CORRUPTED;
			break;
		}
		case_index_keys(&c, ks);
		for (size_t i = 0; i < ks->n && rc == 0; i++)
			rc = case_index_put(st, txn, ks->k[i], ks->len[i]);
		case_rec_free(&c);
	}
	if (cur)
		mdb_cursor_close(cur);
	free(ks);
	if (rc == MDB_NOTFOUND)
		rc = 0;
	return rc ? rc : store_flush_dups(st, txn);
}
