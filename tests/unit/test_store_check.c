/* test_store_check.c - store_check finds each planted inconsistency: an index
 * entry without its case, a stale index entry, a case missing an index entry, a
 * deleted case record, a missing blob, journal entries and a run index entry of
 * a run that does not exist, a run without its index entry, an EDL entry
 * without its list, a timeline entry of no case. Each is planted with raw LMDB
 * writes, found (exit 1 from store_check, the problem named), and removed again:
 * the store is consistent before and after. */
#include "check.h"
#include "store_db_int.h"

#include "case.h"
#include "runstore.h"
#include "store.h"
#include "store_check.h"
#include "uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char err[1024];
static struct store *st;
static struct store_check_report rep;

/* A raw write: put (op 'p') or delete (op 'd') one (key, value) in db. */
struct raw {
	enum store_db db;
	int op;
	const void *k, *v;
	size_t klen, vlen;
};

static int raw_apply(struct store *s, struct store_txn *stx_, void *ctx, char *e, size_t elen)
{
	MDB_txn *txn = store_mdb(stx_);
	(void)e;
	(void)elen;
	struct raw *r = ctx;
	MDB_val k = { r->klen, (void *)r->k }, v = { r->vlen, (void *)r->v };
	if (r->op == 'p')
		return mdb_put(txn, store_dbi(s, r->db), &k, &v, 0);
	return mdb_del(txn, store_dbi(s, r->db), &k, r->vlen || r->v ? &v : NULL);
}

static void raw(enum store_db db, int op, const void *k, size_t klen, const void *v, size_t vlen)
{
	struct raw r = { db, op, k, v, klen, vlen };
	int rc = store_write(st, raw_apply, &r, err, sizeof err);
	CHECK(rc == 0);
	if (rc)
		fprintf(stderr, "  raw write: %s\n", err);
}

/* Reads one value (copied into buf). Returns its length, or -1. */
static long get(enum store_db db, const void *k, size_t klen, void *buf, size_t cap)
{
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, sizeof err) != 0)
		return -1;
	MDB_val key = { klen, (void *)k }, v;
	long n = -1;
	if (mdb_get(txn, store_dbi(st, db), &key, &v) == 0 && v.mv_size <= cap) {
		memcpy(buf, v.mv_data, v.mv_size);
		n = (long)v.mv_size;
	}
	store_mdb_read_end(st, txn);
	return n;
}

static int found(const char *part)
{
	for (size_t i = 0; i < rep.kept; i++)
		if (strstr(rep.problem[i], part))
			return 1;
	fprintf(stderr, "  no problem names '%s'; found %llu:\n", part,
		(unsigned long long)rep.problems);
	for (size_t i = 0; i < rep.kept; i++)
		fprintf(stderr, "    %s\n", rep.problem[i]);
	return 0;
}

static void expect_clean(const char *when)
{
	int rc = store_check(st, &rep, err, sizeof err);
	CHECK(rc == 0);
	if (rc) {
		fprintf(stderr, "  not clean %s (%d): %s\n", when, rc, rc < 0 ? err : rep.problem[0]);
	}
}

static void expect_problem(const char *part)
{
	CHECK(store_check(st, &rep, err, sizeof err) == 1);
	CHECK(found(part));
}

static void make_case(const char *title, const char *type, const char *labels)
{
	struct case_fields f;
	case_fields_init(&f);
	CHECK(case_fields_set(&f, "title", title, err, sizeof err) == 0);
	CHECK(case_fields_set(&f, "type", type, err, sizeof err) == 0);
	if (labels)
		CHECK(case_fields_set(&f, "labels", labels, err, sizeof err) == 0);
	struct case_rec c;
	CHECK(case_create(st, &f, "test", &c, NULL, err, sizeof err) == 0);
	case_rec_free(&c);
	case_fields_free(&f);
}

/* The first case_ix entry of case `seq`: key into k (returns its length), dup into d. */
static size_t first_index_entry(uint64_t seq, unsigned char *k, unsigned char d[16])
{
	MDB_txn *txn;
	MDB_cursor *cur;
	size_t n = 0;
	CHECK(store_mdb_read_begin(st, &txn, err, sizeof err) == 0);
	CHECK(mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASE_IDX), &cur) == 0);
	MDB_val kv, v;
	for (int op = MDB_FIRST; mdb_cursor_get(cur, &kv, &v, op) == 0; op = MDB_NEXT)
		if (v.mv_size == 16 && store_get_u64((unsigned char *)v.mv_data + 8) == seq) {
			memcpy(k, kv.mv_data, kv.mv_size);
			memcpy(d, v.mv_data, 16);
			n = kv.mv_size;
			break;
		}
	mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
	return n;
}

int main(void)
{
	char dir[256], cmd[600];
	snprintf(dir, sizeof dir, "/tmp/test_store_check.%d", (int)getpid());
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
	if (system(cmd) != 0)
		return 1;
	st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return CHECK_DONE();
	make_case("first", "phishing", "a,b");
	make_case("second", "malware", NULL);
	char hex[65];
	CHECK(case_attach(st, "1", "note.txt", "attached bytes", 14, "test", hex, err, sizeof err) == 0);
	struct run_rec r;
	memset(&r, 0, sizeof r);
	uuid_v7(r.id);
	r.playbook = "pb";
	r.status = RUN_SUCCEEDED;
	r.created = r.updated = r.finished = store_now_ms();
	struct journal_entry je;
	memset(&je, 0, sizeof je);
	CHECK(run_save(st, &r, NULL, NULL, err, sizeof err) == 0);
	expect_clean("at first");
	CHECK(rep.checked > 10);

	/* 1. an index entry whose case does not exist */
	unsigned char zk[2] = { 'Z', 'c' }, zd[16];
	store_put_u64(zd, 1);
	store_put_u64(zd + 8, 99);
	raw(STORE_DB_CASE_IDX, 'p', zk, 2, zd, 16);
	expect_problem("points at case #99, which does not exist");
	raw(STORE_DB_CASE_IDX, 'd', zk, 2, zd, 16);
	expect_clean("after 1");

	/* 2. a stale entry: the case exists, its record has no such entry */
	store_put_u64(zd + 8, 1);
	raw(STORE_DB_CASE_IDX, 'p', zk, 2, zd, 16);
	expect_problem("stale entry for case #1");
	raw(STORE_DB_CASE_IDX, 'd', zk, 2, zd, 16);
	expect_clean("after 2");

	/* 3. a case missing one of its index entries */
	unsigned char ik[600], id[16];
	size_t iklen = first_index_entry(1, ik, id);
	CHECK(iklen > 0);
	raw(STORE_DB_CASE_IDX, 'd', ik, iklen, id, 16);
	expect_problem("misses index entry");
	raw(STORE_DB_CASE_IDX, 'p', ik, iklen, id, 16);
	expect_clean("after 3");

	/* 4. a case record deleted, its id and index entries left */
	unsigned char seq2[8], rec2[65536];
	store_put_u64(seq2, 2);
	long n2 = get(STORE_DB_CASES, seq2, 8, rec2, sizeof rec2);
	CHECK(n2 > 0);
	raw(STORE_DB_CASES, 'd', seq2, 8, NULL, 0);
	expect_problem("points at case #2, which does not exist");
	CHECK(found("case_uuid: id"));
	CHECK(found("timeline: entry 1 of case #2"));
	raw(STORE_DB_CASES, 'p', seq2, 8, rec2, (size_t)n2);
	expect_clean("after 4");

	/* 5. an attachment's blob gone (content and size record) */
	unsigned char sha[32], blob[64], meta[64];
	for (int i = 0; i < 32; i++)
		sscanf(hex + 2 * i, "%2hhx", &sha[i]);
	long nb = get(STORE_DB_BLOBS, sha, 32, blob, sizeof blob);
	long nm = get(STORE_DB_BLOB_META, sha, 32, meta, sizeof meta);
	CHECK(nb == 14 && nm > 0);
	raw(STORE_DB_BLOBS, 'd', sha, 32, NULL, 0);
	expect_problem("is missing");
	CHECK(found("has no content"));
	raw(STORE_DB_BLOB_META, 'd', sha, 32, NULL, 0);
	expect_problem("is missing");
	raw(STORE_DB_BLOBS, 'p', sha, 32, blob, (size_t)nb);
	expect_problem("has no size record");
	raw(STORE_DB_BLOB_META, 'p', sha, 32, meta, (size_t)nm);
	expect_clean("after 5");

	/* 6. journal entries of a run that does not exist */
	unsigned char jk[20];
	memset(jk, 0xab, 16);
	store_put_u32(jk + 16, 1);
	raw(STORE_DB_JOURNAL, 'p', jk, 20, "x", 1);
	expect_problem("journal: entries of run abababab");
	raw(STORE_DB_JOURNAL, 'd', jk, 20, NULL, 0);
	expect_clean("after 6");

	/* 7. a run index entry of no run; 8. a run without its index entry */
	unsigned char rk[17];
	rk[0] = RUN_RUNNING;
	memset(rk + 1, 0xcd, 16);
	raw(STORE_DB_RUN_IDX, 'p', rk, 17, "", 0);
	expect_problem("run_idx: an entry for run cdcdcdcd");
	raw(STORE_DB_RUN_IDX, 'd', rk, 17, NULL, 0);
	rk[0] = RUN_SUCCEEDED;
	CHECK(uuid_parse(r.id, rk + 1) == 0);
	raw(STORE_DB_RUN_IDX, 'd', rk, 17, NULL, 0);
	expect_problem("has no index entry");
	rk[0] = RUN_RUNNING;
	raw(STORE_DB_RUN_IDX, 'p', rk, 17, "", 0);
	expect_problem("a stale entry for run");
	raw(STORE_DB_RUN_IDX, 'd', rk, 17, NULL, 0);
	rk[0] = RUN_SUCCEEDED;
	raw(STORE_DB_RUN_IDX, 'p', rk, 17, "", 0);
	expect_clean("after 7-8");

	/* 9. an EDL entry of no list */
	raw(STORE_DB_EDL_ENTRIES, 'p', "ghost\0" "203.0.113.7", 17, "entry", 5);
	expect_problem("entries of list 'ghost'");
	raw(STORE_DB_EDL_ENTRIES, 'd', "ghost\0" "203.0.113.7", 17, NULL, 0);
	expect_clean("after 9");

	/* 10. a timeline entry of no case */
	unsigned char tk[12], tv[4096];
	store_put_u64(tk, 1);
	store_put_u32(tk + 8, 1);
	long nt = get(STORE_DB_TIMELINE, tk, 12, tv, sizeof tv);
	CHECK(nt > 0);
	store_put_u64(tk, 77);
	raw(STORE_DB_TIMELINE, 'p', tk, 12, tv, (size_t)nt);
	expect_problem("entry 1 of case #77, which does not exist");
	raw(STORE_DB_TIMELINE, 'd', tk, 12, NULL, 0);
	expect_clean("at the end");

	/* stats: per case type */
	struct store_type_count *t;
	size_t nt2;
	CHECK(store_case_types(st, &t, &nt2, err, sizeof err) == 0);
	CHECK(nt2 == 2);
	int seen = 0;
	for (size_t i = 0; i < nt2; i++)
		seen += (strcmp(t[i].type, "phishing") == 0 || strcmp(t[i].type, "malware") == 0) &&
			t[i].cases == 1 && t[i].bytes > 0;
	CHECK(seen == 2);
	free(t);

	store_close(st);
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		CHECK(0);
	return CHECK_DONE();
}
