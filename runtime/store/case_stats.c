/* case_stats.c - counts from the case indexes (case_stats.h). The "case_ix"
 * database is DUPSORT | DUPFIXED (case_index.c): one key per index value, its
 * 16-byte duplicates (time, seq) in time order, so a count is mdb_cursor_count
 * and a time range is one seek then whole pages of duplicates. */
#include "store_int.h" /* first: pthread.h wants _GNU_SOURCE before anything */
#include "case_int.h"
#include "case_stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The index key ("created" order) for (by, value); its length, or 0 when the
 * value cannot be one. */
static size_t stat_key(enum case_stat_by by, const char *value, unsigned char *k)
{
	unsigned char b;
	switch (by) {
	case CASE_STAT_ALL:
		return case_index_prefix(k, CASE_IX_ALL, CASE_SORT_CREATED, NULL, 0);
	case CASE_STAT_STATUS:
	case CASE_STAT_SEVERITY:
		if (!value || value[0] < '1' || value[0] > '4' || value[1])
			return 0;
		b = (unsigned char)(value[0] - '0');
		return case_index_prefix(k, by == CASE_STAT_STATUS ? CASE_IX_STATUS : CASE_IX_SEVERITY,
					 CASE_SORT_CREATED, &b, 1);
	case CASE_STAT_TYPE:
		if (!value || !*value || strlen(value) > CASE_MAX_SHORT)
			return 0;
		return case_index_prefix(k, CASE_IX_TYPE, CASE_SORT_CREATED, value, strlen(value));
	}
	return 0;
}

static int open_ix(struct store *st, MDB_txn **txn, MDB_cursor **cur, char *err, size_t errlen)
{
	if (store_mdb_read_begin(st, txn, err, errlen) != 0)
		return -1;
	int rc = mdb_cursor_open(*txn, store_dbi(st, STORE_DB_CASE_IDX), cur);
	if (rc) {
		store_mdb_read_end(st, *txn);
		store_error(st, rc, "reading the case index", err, errlen);
		return -1;
	}
	return 0;
}

static void close_ix(struct store *st, MDB_txn *txn, MDB_cursor *cur)
{
	mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
}

int case_stat_count(struct store *st, enum case_stat_by by, const char *value, uint64_t *n,
		    char *err, size_t errlen)
{
	unsigned char k[CASE_KEY_MAX];
	size_t kl = stat_key(by, value, k);
	*n = 0;
	if (!kl)
		return 0;
	MDB_txn *txn;
	MDB_cursor *cur;
	if (open_ix(st, &txn, &cur, err, errlen) != 0)
		return -1;
	MDB_val key = { kl, k }, data;
	int rc = mdb_cursor_get(cur, &key, &data, MDB_SET);
	if (rc == 0) {
		size_t c = 0;
		rc = mdb_cursor_count(cur, &c);
		*n = c;
	}
	close_ix(st, txn, cur);
	if (rc && rc != MDB_NOTFOUND) {
		store_error(st, rc, "counting cases", err, errlen);
		return -1;
	}
	return 0;
}

int case_stat_types(struct store *st, size_t max, char **names, uint64_t *counts,
		    char *err, size_t errlen)
{
	unsigned char k[3];
	size_t kl = case_index_prefix(k, CASE_IX_TYPE, CASE_SORT_CREATED, NULL, 0) - 1; /* 'T','c' */
	MDB_txn *txn;
	MDB_cursor *cur;
	if (open_ix(st, &txn, &cur, err, errlen) != 0)
		return -1;
	size_t nf = 0;
	MDB_val key = { kl, k }, data;
	int rc = mdb_cursor_get(cur, &key, &data, MDB_SET_RANGE);
	while (rc == 0 && key.mv_size >= 3 && memcmp(key.mv_data, k, kl) == 0) {
		const unsigned char *kb = key.mv_data;
		size_t c = 0;
		if ((rc = mdb_cursor_count(cur, &c)) != 0)
			break;
		/* keep the `max` largest, sorted by count (insertion: few types) */
		size_t at = nf;
		while (at > 0 && counts[at - 1] < c)
			at--;
		if (at < max) {
			char *name = strndup((const char *)kb + 3, kb[2]);
			if (!name) {
				rc = ENOMEM;
				break;
			}
			if (nf == max)
				free(names[--nf]);
			memmove(names + at + 1, names + at, (nf - at) * sizeof *names);
			memmove(counts + at + 1, counts + at, (nf - at) * sizeof *counts);
			names[at] = name;
			counts[at] = c;
			nf++;
		}
		rc = mdb_cursor_get(cur, &key, &data, MDB_NEXT_NODUP);
	}
	close_ix(st, txn, cur);
	if (rc && rc != MDB_NOTFOUND) {
		for (size_t i = 0; i < nf; i++)
			free(names[i]);
		store_error(st, rc, "listing case types", err, errlen);
		return -1;
	}
	return (int)nf;
}

int case_stat_histogram(struct store *st, enum case_stat_by by, const char *value, int64_t from,
			int64_t bucket_ms, size_t nbuckets, uint64_t *counts, uint64_t *scanned,
			char *err, size_t errlen)
{
	return case_stat_histogram_after(st, by, value, NULL, from, bucket_ms, nbuckets, counts, NULL,
					 scanned, err, errlen);
}

int case_stat_histogram_after(struct store *st, enum case_stat_by by, const char *value,
			      const unsigned char *after, int64_t from, int64_t bucket_ms,
			      size_t nbuckets, uint64_t *counts, unsigned char *last,
			      uint64_t *scanned, char *err, size_t errlen)
{
	unsigned char k[CASE_KEY_MAX], lo[16];
	size_t kl = stat_key(by, value, k);
	if (scanned)
		*scanned = 0;
	if (!kl || bucket_ms <= 0 || !nbuckets)
		return 0;
	int64_t to = from + bucket_ms * (int64_t)nbuckets;
	MDB_txn *txn;
	MDB_cursor *cur;
	if (open_ix(st, &txn, &cur, err, errlen) != 0)
		return -1;
	store_put_u64(lo, (uint64_t)(from < 0 ? 0 : from));
	memset(lo + 8, 0, 8);
	if (after && memcmp(after, lo, 16) > 0)
		memcpy(lo, after, 16);
	MDB_val key = { kl, k }, data = { 16, lo };
	uint64_t n = 0;
	/* a seek to the first duplicate at or after `from`, then whole pages of
	 * duplicates (DUPFIXED): MDB_GET_MULTIPLE gives the seek's page from its
	 * start, so the entries before `from` there are skipped */
	int rc = mdb_cursor_get(cur, &key, &data, MDB_GET_BOTH_RANGE);
	int done = 0;
	MDB_val k2, dm = { 0, NULL };
	if (rc == 0)
		rc = mdb_cursor_get(cur, &k2, &dm, MDB_GET_MULTIPLE);
	/* a key holding one case has no duplicate pages: GET_MULTIPLE says
	 * success and gives nothing; the seek's own item is the one */
	int single = rc == 0 && !dm.mv_data;
	if (single)
		dm = data;
	for (; rc == 0 && !done; rc = mdb_cursor_get(cur, &k2, &dm, MDB_NEXT_MULTIPLE)) {
		const unsigned char *p = dm.mv_data;
		for (size_t i = 0; i < dm.mv_size / 16; i++, p += 16) {
			int64_t t = (int64_t)store_get_u64(p);
			if (t < from || (after && memcmp(p, after, 16) <= 0))
				continue;
			if (t >= to) {
				done = 1;
				break;
			}
			n++;
			counts[(t - from) / bucket_ms]++;
			if (last)
				memcpy(last, p, 16);
		}
		if (single)
			break;
	}
	close_ix(st, txn, cur);
	if (scanned)
		*scanned = n;
	if (rc && rc != MDB_NOTFOUND) {
		store_error(st, rc, "counting cases over time", err, errlen);
		return -1;
	}
	return 0;
}
