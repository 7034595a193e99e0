/* test_store.c - the LMDB store: error words, schema refusal, map growth with
 * readers running, group commit acknowledgements, refusal after fork, and two
 * processes writing at once; deferred duplicates; the schema 1 -> 2 migration. */
#include "check.h"
#include "store_db_int.h"

#include "case.h"
#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char err[512];
static char dir[256];

static void fresh_dir(const char *name)
{
	char cmd[700];
	snprintf(dir, sizeof dir, "/tmp/test_store.%d.%s", (int)getpid(), name);
	snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
	if (system(cmd) != 0)
		abort();
}

static void rm_dir(void)
{
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		abort();
}

static int new_case(struct store *st, const char *title, const char *extra_k,
		    const char *extra_v, uint64_t *seq, char *e, size_t elen)
{
	struct case_fields f;
	case_fields_init(&f);
	case_fields_set(&f, "title", title, e, elen);
	case_fields_set(&f, "labels", "a,b", e, elen);
	if (extra_k)
		case_fields_set(&f, extra_k, extra_v, e, elen);
	struct case_rec c;
	int rc = case_create(st, &f, "test", &c, NULL, e, elen);
	if (rc == 0) {
		if (seq)
			*seq = c.seq;
		case_rec_free(&c);
	}
	case_fields_free(&f);
	return rc;
}

static void test_errors(void)
{
	store_error(NULL, MDB_MAP_FULL, "writing", err, sizeof err);
	CHECK(strstr(err, "data directory is full") != NULL);
	store_error(NULL, MDB_CORRUPTED, "reading", err, sizeof err);
	CHECK(strstr(err, "damaged") != NULL);
	CHECK(store_open("/nonexistent/soarctl-test", NULL, err, sizeof err) == NULL);
	CHECK(strstr(err, "does not exist") != NULL);
	CHECK(store_open("/etc/hostname", NULL, err, sizeof err) == NULL);
	CHECK(strstr(err, "not a directory") != NULL);
}

static int put_schema(struct store *st, struct store_txn *stx_, void *ctx, char *e, size_t elen)
{
	MDB_txn *txn = store_mdb(stx_);
	(void)e; (void)elen;
	unsigned char b[4];
	store_put_u32(b, *(unsigned *)ctx);
	MDB_val k = { 6, "schema" }, v = { 4, b };
	return mdb_put(txn, store_dbi(st, STORE_DB_META), &k, &v, 0);
}

static void test_schema(void)
{
	fresh_dir("schema");
	struct store *st = store_open(dir, NULL, err, sizeof err);
	CHECK(st && store_schema(st) == STORE_SCHEMA_VERSION);
	unsigned future = STORE_SCHEMA_VERSION + 5;
	CHECK(store_write(st, put_schema, &future, err, sizeof err) == 0);
	store_close(st);
	st = store_open(dir, NULL, err, sizeof err);
	CHECK(st == NULL);
	CHECK(strstr(err, "store was written by a newer soarctl") != NULL);
	store_close(st);
	/* garbage where the store should be */
	char path[600];
	snprintf(path, sizeof path, "%s/store.mdb", dir);
	FILE *f = fopen(path, "w");
	for (int i = 0; f && i < 4096; i++)
		fputc('x', f);
	if (f)
		fclose(f);
	snprintf(path, sizeof path, "%s/store.mdb-lock", dir);
	unlink(path);
	CHECK(store_open(dir, NULL, err, sizeof err) == NULL);
	CHECK(strstr(err, "not a store") != NULL);
	rm_dir();
}

struct reader_arg {
	struct store *st;
	atomic_int stop;
	int failures, rounds;
};

static void *reader(void *p)
{
	struct reader_arg *a = p;
	char e[512];
	while (!atomic_load(&a->stop)) {
		struct case_query q = { 0 };
		struct case_page pg;
		q.label = "a";
		q.limit = 20;
		if (case_search(a->st, &q, &pg, e, sizeof e) != 0)
			a->failures++;
		else
			case_page_free(&pg);
		a->rounds++;
	}
	return NULL;
}

/* A 1 MiB map must grow under 3000 cases with 2 KiB of custom data each, while
 * readers search; then a small ceiling gives "data directory is full". */
static void test_growth(void)
{
	fresh_dir("growth");
	struct store_options o = { .map_size = 1 << 20 };
	struct store *st = store_open(dir, &o, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return;
	struct reader_arg ra = { .st = st };
	pthread_t th;
	pthread_create(&th, NULL, reader, &ra);
	char custom[2100];
	snprintf(custom, sizeof custom, "{\"pad\":\"%02000d\"}", 0);
	struct store_ticket *t = calloc(3000, sizeof *t);
	/* asynchronous submits: the committer batches them */
	int fails = 0;
	for (int i = 0; i < 3000; i++)
		if (new_case(st, "grow", "custom", custom, NULL, err, sizeof err) != 0 && fails++ < 3)
			fprintf(stderr, "create: %s\n", err);
	free(t);
	atomic_store(&ra.stop, 1);
	pthread_join(th, NULL);
	CHECK(fails == 0);
	CHECK(ra.failures == 0);
	struct store_stats s;
	store_get_stats(st, &s);
	CHECK(s.resizes > 0);
	CHECK(s.map_size > (1 << 20));
	uint64_t n = 0;
	CHECK(case_check(st, &n, err, sizeof err) == 0 && n == 3000);
	store_close(st);

	/* A ceiling: writes fail with the plain message, nothing half-written. */
	struct store_options o2 = { .map_size = 1 << 20, .map_max = 12 << 20 };
	st = store_open(dir, &o2, err, sizeof err);
	CHECK(st != NULL);
	int full = 0;
	for (int i = 0; i < 20000 && st && !full; i++)
		if (new_case(st, "fill", "custom", custom, NULL, err, sizeof err) != 0)
			full = 1;
	CHECK(full);
	/* the directory and its free space named; the map's limit said */
	CHECK(strstr(err, "the data directory ") != NULL && strstr(err, " is full (") != NULL &&
	      strstr(err, " free)") != NULL);
	CHECK(strstr(err, "(the store reached its size limit)") != NULL);
	if (st) {
		CHECK(case_check(st, &n, err, sizeof err) == 0);
		CHECK(store_verify(st, NULL, err, sizeof err) == 0);
	}
	store_close(st);
	rm_dir();
}

/* Many threads, each waiting for its own acknowledgement; plus callbacks. */
struct writer_arg {
	struct store *st;
	int n, fails;
	uint64_t seqs[200];
};

static void *writer(void *p)
{
	struct writer_arg *a = p;
	char e[512];
	for (int i = 0; i < a->n; i++)
		if (new_case(a->st, "concurrent", "type", "load", &a->seqs[i], e, sizeof e) != 0)
			a->fails++;
	return NULL;
}

static atomic_int callbacks;
static void on_done(struct store_ticket *t)
{
	if (t->rc == 0)
		atomic_fetch_add(&callbacks, 1);
}

static int noop_apply(struct store *st, struct store_txn *txn, void *ctx, char *e, size_t elen)
{
	(void)st; (void)txn; (void)ctx; (void)e; (void)elen;
	return 0;
}

static int refuse_apply(struct store *st, struct store_txn *txn, void *ctx, char *e, size_t elen)
{
	(void)st; (void)txn; (void)ctx;
	snprintf(e, elen, "no thanks");
	return STORE_REFUSED;
}

static void test_group_commit(void)
{
	fresh_dir("group");
	struct store *st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return;
	enum { T = 8, N = 100 };
	static struct writer_arg wa[T];
	pthread_t th[T];
	for (int i = 0; i < T; i++) {
		wa[i] = (struct writer_arg){ .st = st, .n = N };
		pthread_create(&th[i], NULL, writer, &wa[i]);
	}
	for (int i = 0; i < T; i++)
		pthread_join(th[i], NULL);
	int fails = 0;
	static unsigned char seen[T * N + 1];
	int dup = 0;
	for (int i = 0; i < T; i++) {
		fails += wa[i].fails;
		for (int j = 0; j < N; j++) {
			uint64_t s = wa[i].seqs[j];
			if (s < 1 || s > T * N || seen[s]++)
				dup++;
		}
	}
	CHECK(fails == 0);
	CHECK(dup == 0);
	struct store_stats s;
	store_get_stats(st, &s);
	CHECK(s.writes >= T * N);
	fprintf(stderr, "group commit: %llu writes in %llu commits\n",
		(unsigned long long)s.writes, (unsigned long long)s.commits);

	/* callbacks and a refusal in the middle of a batch */
	static struct store_ticket tk[500];
	for (int i = 0; i < 500; i++) {
		tk[i] = (struct store_ticket){ .apply = i == 250 ? refuse_apply : noop_apply,
					       .on_done = i % 2 ? on_done : NULL };
		store_submit(st, &tk[i]);
	}
	for (int i = 0; i < 500; i += 2)
		store_wait(st, &tk[i]);
	store_close(st); /* finishes queued work first */
	CHECK(atomic_load(&callbacks) == 250);
	CHECK(tk[250].rc == STORE_REFUSED && strcmp(tk[250].err, "no thanks") == 0);
	CHECK(tk[252].rc == 0);
	rm_dir();
}

/* A store opened before fork() is refused in the child; two processes write. */
static void test_processes(void)
{
	fresh_dir("procs");
	struct store *st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char e[512];
		int bad = new_case(st, "after fork", NULL, NULL, NULL, e, sizeof e) == 0 ||
			  !strstr(e, "after fork()");
		_exit(bad);
	}
	int status;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	store_close(st);

	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		if ((kids[k] = fork()) == 0) {
			char e[512];
			struct store *s2 = store_open(dir, NULL, e, sizeof e);
			if (!s2)
				_exit(2);
			static struct writer_arg a[4];
			pthread_t th[4];
			for (int i = 0; i < 4; i++) {
				a[i] = (struct writer_arg){ .st = s2, .n = 50 };
				pthread_create(&th[i], NULL, writer, &a[i]);
			}
			int fails = 0;
			for (int i = 0; i < 4; i++) {
				pthread_join(th[i], NULL);
				fails += a[i].fails;
			}
			store_close(s2);
			_exit(fails ? 1 : 0);
		}
	}
	for (int k = 0; k < 2; k++) {
		waitpid(kids[k], &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	st = store_open(dir, NULL, err, sizeof err);
	uint64_t n = 0;
	CHECK(st && case_check(st, &n, err, sizeof err) == 0);
	CHECK(n == 400);
	struct case_rec c;
	CHECK(st && case_get(st, "400", &c, err, sizeof err) == 0);
	case_rec_free(&c);
	store_close(st);
	rm_dir();
}

/* Another process grows the map under an open store (MDB_MAP_RESIZED). */
static void test_foreign_resize(void)
{
	fresh_dir("resized");
	struct store_options o = { .map_size = 1 << 20 };
	struct store *st = store_open(dir, &o, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return;
	uint64_t seq;
	CHECK(new_case(st, "before", NULL, NULL, &seq, err, sizeof err) == 0);
	store_close(st); /* no env open across fork */
	pid_t pid = fork();
	if (pid == 0) {
		char e[512], custom[4200];
		snprintf(custom, sizeof custom, "{\"pad\":\"%04000d\"}", 0);
		struct store *s2 = store_open(dir, &o, e, sizeof e);
		for (int i = 0; s2 && i < 1500; i++)
			if (new_case(s2, "child", "custom", custom, NULL, e, sizeof e))
				_exit(1);
		store_close(s2);
		_exit(s2 ? 0 : 2);
	}
	/* meanwhile, this process opens with the small map and keeps using it */
	st = store_open(dir, &o, err, sizeof err);
	int status, fails = 0;
	for (int i = 0; i < 200 && st; i++) {
		if (new_case(st, "parent", NULL, NULL, NULL, err, sizeof err))
			fails++;
		struct case_rec c;
		if (case_get(st, "1", &c, err, sizeof err) != 0)
			fails++;
		else
			case_rec_free(&c);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct case_query q = { .limit = 5 };
	struct case_page p;
	CHECK(st && case_search(st, &q, &p, err, sizeof err) == 0 && p.n == 5);
	case_page_free(&p);
	CHECK(fails == 0);
	uint64_t n = 0;
	CHECK(st && case_check(st, &n, err, sizeof err) == 0 && n == 1701);
	store_close(st);
	rm_dir();
}

/* ---- deferred duplicates (store_defer_dup) and the schema 1 -> 2 migration ---- */

static void dup16(unsigned char d[16], unsigned v)
{
	memset(d, 0, 16);
	d[15] = (unsigned char)v;
}

static int defer_apply(struct store *st, struct store_txn *stx_, void *ctx, char *e, size_t elen)
{
	MDB_txn *txn = store_mdb(stx_);
	(void)e;
	(void)elen;
	const unsigned *v = ctx; /* key letter, then values, 0-terminated */
	MDB_dbi db = store_dbi(st, STORE_DB_CASE_IDX);
	char key[2] = { 'Z', (char)v[0] };
	for (int i = 1; v[i]; i++) {
		unsigned char d[16];
		dup16(d, v[i]);
		int rc = store_defer_dup(st, txn, db, key, 2, d, 16);
		if (rc)
			return rc;
	}
	return 0;
}

/* Flushes, then reads what earlier writers of the batch deferred. */
static int flush_read_apply(struct store *st, struct store_txn *stx_, void *ctx, char *e, size_t elen)
{
	MDB_txn *txn = store_mdb(stx_);
	int *count = ctx;
	int rc = store_flush_dups(st, txn);
	if (rc)
		return rc;
	MDB_cursor *c;
	if ((rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASE_IDX), &c)) != 0)
		return rc;
	MDB_val k = { 2, "Zx" }, v;
	size_t n = 0;
	rc = mdb_cursor_get(c, &k, &v, MDB_SET_KEY);
	if (rc == 0)
		rc = mdb_cursor_count(c, &n);
	mdb_cursor_close(c);
	*count = rc ? -1 : (int)n;
	snprintf(e, elen, "read");
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static void dups_of(struct store *st, const char *key, char *out, size_t outlen)
{
	MDB_txn *txn;
	out[0] = '\0';
	if (store_mdb_read_begin(st, &txn, err, sizeof err) != 0)
		return;
	MDB_cursor *c;
	if (mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASE_IDX), &c) == 0) {
		MDB_val k = { strlen(key), (void *)key }, v;
		for (int op = MDB_SET_KEY; mdb_cursor_get(c, &k, &v, op) == 0; op = MDB_NEXT_DUP) {
			size_t l = strlen(out);
			snprintf(out + l, outlen - l, "%s%u", l ? "," : "",
				 (unsigned)((const unsigned char *)v.mv_data)[15]);
		}
		mdb_cursor_close(c);
	}
	store_mdb_read_end(st, txn);
}

static void test_deferred_dups(void)
{
	fresh_dir("dups");
	struct store *st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return;
	/* out of order, a duplicate, two keys; a reader later in the batch sees them */
	static const unsigned a[] = { 'x', 5, 3, 5, 0 }, b[] = { 'y', 1, 0 };
	int count = 0;
	struct store_ticket t1 = { .apply = defer_apply, .ctx = (void *)a };
	struct store_ticket t2 = { .apply = defer_apply, .ctx = (void *)b };
	struct store_ticket t3 = { .apply = flush_read_apply, .ctx = &count };
	store_submit(st, &t1);
	store_submit(st, &t2);
	store_submit(st, &t3);
	CHECK(store_wait(st, &t1) == 0 && store_wait(st, &t2) == 0 && store_wait(st, &t3) == 0);
	CHECK(count == 2);
	char got[200];
	dups_of(st, "Zx", got, sizeof got);
	CHECK_STR(got, "3,5");
	/* below the last entry (no append) and above it, in one batch */
	static const unsigned c[] = { 'x', 9, 4, 0 };
	CHECK(store_write(st, defer_apply, (void *)c, err, sizeof err) == 0);
	dups_of(st, "Zx", got, sizeof got);
	CHECK_STR(got, "3,4,5,9");
	dups_of(st, "Zy", got, sizeof got);
	CHECK_STR(got, "1");
	store_close(st);
	rm_dir();
}

/* Turns the store in `dir` back into schema 1: the index in "case_idx" (one
 * key per entry, no dupsort) and no "case_ix". */
static void make_schema1(void)
{
	char path[600];
	snprintf(path, sizeof path, "%s/store.mdb", dir);
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi meta, ix, old;
	CHECK(mdb_env_create(&env) == 0 && mdb_env_set_maxdbs(env, 64) == 0 &&
	      mdb_env_open(env, path, MDB_NOSUBDIR, 0600) == 0 && mdb_txn_begin(env, NULL, 0, &txn) == 0);
	CHECK(mdb_dbi_open(txn, "case_ix", MDB_DUPSORT, &ix) == 0 && mdb_drop(txn, ix, 1) == 0);
	CHECK(mdb_dbi_open(txn, "case_idx", MDB_CREATE, &old) == 0);
	MDB_val k = { 5, "stale" }, v = { 0, "" };
	CHECK(mdb_put(txn, old, &k, &v, 0) == 0);
	unsigned char one[4] = { 0, 0, 0, 1 };
	MDB_val sk = { 6, "schema" }, sv = { 4, one };
	CHECK(mdb_dbi_open(txn, "meta", 0, &meta) == 0 && mdb_put(txn, meta, &sk, &sv, 0) == 0);
	CHECK(mdb_txn_commit(txn) == 0);
	mdb_env_close(env);
}

static void test_migration(void)
{
	fresh_dir("migrate");
	struct store *st = store_open(dir, NULL, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		return;
	for (int i = 0; i < 300; i++)
		CHECK(new_case(st, "old case", "owner", i % 3 ? "alice" : "bob", NULL, err, sizeof err) == 0);
	store_close(st);
	make_schema1();
	st = store_open(dir, NULL, err, sizeof err);
	CHECK(st && store_schema(st) == STORE_SCHEMA_VERSION);
	if (!st)
		return;
	uint64_t n = 0;
	CHECK(case_check(st, &n, err, sizeof err) == 0 && n == 300);
	struct case_query q = { .owner = "bob", .limit = 1000 };
	struct case_page pg;
	CHECK(case_search(st, &q, &pg, err, sizeof err) == 0 && pg.n == 100);
	case_page_free(&pg);
	MDB_txn *txn;
	MDB_dbi old;
	CHECK(store_mdb_read_begin(st, &txn, err, sizeof err) == 0);
	CHECK(mdb_dbi_open(txn, "case_idx", 0, &old) == MDB_NOTFOUND);
	store_mdb_read_end(st, txn);
	store_close(st);
	rm_dir();
}

int main(void)
{
	test_deferred_dups();
	test_migration();
	test_errors();
	test_schema();
	test_growth();
	test_group_commit();
	test_processes();
	test_foreign_resize();
	return CHECK_DONE();
}
