/* case_query.c - case search: pick the most selective indexed filter, walk its
 * key range in sort order from the cursor, check the other filters on each
 * record. The first page of an indexed query costs one seek plus one read per
 * result, whatever the store's size. */
#include "case_int.h"
#include "store_db_int.h"
#include "uuid.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_BUDGET 100000

void case_page_free(struct case_page *p)
{
	for (size_t i = 0; i < p->n; i++)
		case_rec_free(&p->items[i]);
	free(p->items);
	memset(p, 0, sizeof *p);
}

static int has_label(const struct case_rec *c, const char *l)
{
	for (size_t i = 0; i < c->nlabels; i++)
		if (strcmp(c->labels[i], l) == 0)
			return 1;
	return 0;
}

static int streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int matches(const struct case_rec *c, const struct case_query *q)
{
	if (q->status_mask && !(q->status_mask & (1u << c->status)))
		return 0;
	if (q->severity && c->severity != q->severity)
		return 0;
	if (q->type && !streq(c->type, q->type))
		return 0;
	if (q->owner && !streq(c->owner, q->owner))
		return 0;
	if (q->role && !streq(c->role, q->role))
		return 0;
	if (q->label && !has_label(c, q->label))
		return 0;
	if (q->dedupe_key && !streq(c->dedupe_key, q->dedupe_key))
		return 0;
	if (q->parent && c->parent != q->parent)
		return 0;
	if (q->created_from && c->created < q->created_from)
		return 0;
	if (q->created_to && c->created >= q->created_to)
		return 0;
	if (q->updated_from && c->updated < q->updated_from)
		return 0;
	if (q->updated_to && c->updated >= q->updated_to)
		return 0;
	return 1;
}

/* Chooses the index: the filter most likely to be selective. */
static size_t choose_prefix(const struct case_query *q, unsigned char *prefix)
{
	int sort = q->sort;
	unsigned char b;
	/* dedupe and parent entries exist in created order only (case_index.c) */
	if (q->dedupe_key && sort == CASE_SORT_CREATED)
		return case_index_prefix(prefix, CASE_IX_DEDUPE, sort, q->dedupe_key, strlen(q->dedupe_key));
	if (q->parent && sort == CASE_SORT_CREATED) {
		unsigned char p[8];
		store_put_u64(p, q->parent);
		return case_index_prefix(prefix, CASE_IX_PARENT, sort, p, 8);
	}
	if (q->label)
		return case_index_prefix(prefix, CASE_IX_LABEL, sort, q->label, strlen(q->label));
	if (q->owner)
		return case_index_prefix(prefix, CASE_IX_OWNER, sort, q->owner, strlen(q->owner));
	if (q->role)
		return case_index_prefix(prefix, CASE_IX_ROLE, sort, q->role, strlen(q->role));
	if (q->type)
		return case_index_prefix(prefix, CASE_IX_TYPE, sort, q->type, strlen(q->type));
	if (q->severity) {
		b = (unsigned char)q->severity;
		return case_index_prefix(prefix, CASE_IX_SEVERITY, sort, &b, 1);
	}
	if (q->status_mask && !(q->status_mask & (q->status_mask - 1))) {
		for (b = 1; b <= 4; b++)
			if (q->status_mask == 1u << b)
				break;
		return case_index_prefix(prefix, CASE_IX_STATUS, sort, &b, 1);
	}
	return case_index_prefix(prefix, CASE_IX_ALL, sort, NULL, 0);
}

/* Cursor text: sort letter, time, '.', seq  e.g. "c1714557600000.42". */
static int cursor_parse(const char *s, int sort, uint64_t *t, uint64_t *seq)
{
	char want = sort == CASE_SORT_UPDATED ? 'u' : 'c';
	if (!s || *s != want)
		return -1;
	char *end;
	errno = 0;
	*t = strtoull(s + 1, &end, 10);
	if (errno || *end != '.')
		return -1;
	*seq = strtoull(end + 1, &end, 10);
	return errno || *end ? -1 : 0;
}

int case_search(struct store *st, const struct case_query *q, struct case_page *out,
		char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	size_t limit = q->limit ? q->limit : 50;
	if (limit > 1000)
		limit = 1000;
	if (q->sort != CASE_SORT_CREATED && q->sort != CASE_SORT_UPDATED) {
		snprintf(err, errlen, "sort must be created or updated");
		return -1;
	}
	uint64_t ct = 0, cseq = 0;
	if (q->cursor && *q->cursor && cursor_parse(q->cursor, q->sort, &ct, &cseq) != 0) {
		snprintf(err, errlen, "cursor '%s' is not one this query returned (was the sort "
			 "order changed?)", q->cursor);
		return -1;
	}
	int has_cursor = q->cursor && *q->cursor;
	unsigned char key[CASE_KEY_MAX];
	size_t plen = choose_prefix(q, key);
	/* The sort time's own range narrows the walk; the other is checked per record. */
	uint64_t lo = (uint64_t)(q->sort == CASE_SORT_UPDATED ? q->updated_from : q->created_from);
	uint64_t hi = (uint64_t)(q->sort == CASE_SORT_UPDATED ? q->updated_to : q->created_to);
	if (!hi)
		hi = UINT64_MAX;

	out->items = calloc(limit, sizeof *out->items);
	if (!out->items) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0) {
		case_page_free(out);
		return -1;
	}
	MDB_cursor *cur = NULL;
	int rc = mdb_cursor_open(txn, case_index_dbi(st, key[0]), &cur);
	/* The index key, then a position among its (time, seq) duplicates. */
	MDB_val k = { plen, key }, v;
	unsigned char start[16];
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
	int step;
	if (!q->ascending) {
		/* The last duplicate strictly below the start. */
		store_put_u64(start, has_cursor ? ct : hi);
		store_put_u64(start + 8, has_cursor ? cseq : 0);
		v.mv_size = 16;
		v.mv_data = start;
		if (rc == 0) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE);
			if (rc == 0) {
				rc = mdb_cursor_get(cur, &k, &v, MDB_PREV_DUP);
			} else if (rc == MDB_NOTFOUND) {
				k = (MDB_val){ plen, key };
				rc = mdb_cursor_get(cur, &k, &v, MDB_SET_KEY);
				if (rc == 0)
					rc = mdb_cursor_get(cur, &k, &v, MDB_LAST_DUP);
			}
		}
		step = MDB_PREV_DUP;
	} else {
		store_put_u64(start, has_cursor ? ct : lo);
		store_put_u64(start + 8, has_cursor ? cseq + 1 : 0);
		v.mv_size = 16;
		v.mv_data = start;
		if (rc == 0)
			rc = mdb_cursor_get(cur, &k, &v, MDB_GET_BOTH_RANGE);
		step = MDB_NEXT_DUP;
	}
	uint64_t last_t = 0, last_seq = 0;
	int more = 0;
	while (rc == 0) {
		if (v.mv_size != 16)
			break;
		const unsigned char *kp = v.mv_data;
		uint64_t t = store_get_u64(kp), seq = store_get_u64(kp + 8);
		if (t < lo || t >= hi) {
			if ((!q->ascending && t < lo) || (q->ascending && t >= hi))
				break;
		} else {
			if (out->n == limit || out->scanned >= SCAN_BUDGET) {
				more = 1;
				break;
			}
			out->scanned++;
			struct case_rec c;
			rc = case_load(st, txn, seq, &c);
			if (rc)
				break;
			if (matches(&c, q))
				out->items[out->n++] = c;
			else
				case_rec_free(&c);
			last_t = t;
			last_seq = seq;
		}
		rc = mdb_cursor_get(cur, &k, &v, step);
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (cur)
		mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
	if (rc) {
		case_page_free(out);
		store_error(st, rc, "searching cases", err, errlen);
		return -1;
	}
	if (more)
		snprintf(out->next, sizeof out->next, "%c%" PRIu64 ".%" PRIu64,
			 q->sort == CASE_SORT_UPDATED ? 'u' : 'c', last_t, last_seq);
	return 0;
}

int case_check(struct store *st, uint64_t *ncases, char *err, size_t errlen)
{
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	MDB_cursor *cur = NULL, *icur = NULL, *dcur = NULL;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASES), &cur);
	if (rc == 0)
		rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASE_IDX), &icur);
	if (rc == 0)
		rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASE_DKEY), &dcur);
	MDB_val k, v;
	uint64_t n = 0, max = 0;
	int bad = 0;
	struct case_keys *ks = malloc(sizeof *ks);
	if (!ks)
		rc = ENOMEM;
	for (int op = MDB_FIRST; rc == 0 && !bad; op = MDB_NEXT) {
		rc = mdb_cursor_get(cur, &k, &v, op);
		if (rc)
			break;
		struct case_rec c;
		uint64_t seq = k.mv_size == 8 ? store_get_u64(k.mv_data) : 0;
		if (!seq || case_decode(seq, v.mv_data, v.mv_size, &c) != 0) {
			snprintf(err, errlen, "case record %llu does not decode", (unsigned long long)seq);
			bad = 1;
			break;
		}
		n++;
		max = seq;
		unsigned char u[16];
		uuid_parse(c.id, u);
		MDB_val uk = { 16, u }, uv;
		if (mdb_get(txn, store_dbi(st, STORE_DB_CASE_UUID), &uk, &uv) != 0 ||
		    uv.mv_size != 8 || store_get_u64(uv.mv_data) != seq) {
			snprintf(err, errlen, "case #%llu has no id entry", (unsigned long long)seq);
			bad = 1;
		}
		case_index_keys(&c, ks);
		for (size_t i = 0; i < ks->n && !bad; i++) {
			MDB_val ik = { ks->len[i] - 16, ks->k[i] }, iv = { 16, ks->k[i] + ks->len[i] - 16 };
			MDB_cursor *ic = ks->k[i][0] == CASE_IX_DEDUPE ? dcur : icur;
			if (mdb_cursor_get(ic, &ik, &iv, MDB_GET_BOTH) != 0) {
				snprintf(err, errlen, "case #%llu misses index entry %zu (kind %c)",
					 (unsigned long long)seq, i, ks->k[i][0]);
				bad = 1;
			}
		}
		case_rec_free(&c);
	}
	free(ks);
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (rc == 0 && !bad && n) {
		MDB_val mk = { 8, "case_seq" }, mv;
		if (mdb_get(txn, store_dbi(st, STORE_DB_META), &mk, &mv) != 0 || mv.mv_size != 8 ||
		    store_get_u64(mv.mv_data) < max) {
			snprintf(err, errlen, "the case number counter is behind case #%llu",
				 (unsigned long long)max);
			bad = 1;
		}
	}
	if (cur)
		mdb_cursor_close(cur);
	if (icur)
		mdb_cursor_close(icur);
	if (dcur)
		mdb_cursor_close(dcur);
	store_mdb_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "checking cases", err, errlen);
		return -1;
	}
	if (ncases)
		*ncases = n;
	return bad ? -1 : 0;
}
