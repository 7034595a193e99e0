/* store.c - opening the LMDB environment, schema and migrations, map growth,
 * read transactions, and the one function that turns LMDB codes into words. */
#include "store_int.h"
#include "run_done_int.h"
#include "store_full.h"

#include "datadir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const db_names[STORE_DB__COUNT] = {
	[STORE_DB_META] = "meta",
	[STORE_DB_CASES] = "cases",
	[STORE_DB_CASE_UUID] = "case_uuid",
	[STORE_DB_CASE_IDX] = "case_ix",
	[STORE_DB_CASE_DEDUPE] = "case_dedupe",
	[STORE_DB_CASE_DKEY] = "case_dkey",
	[STORE_DB_TIMELINE] = "timeline",
	[STORE_DB_CASE_LINKS] = "case_links",
	[STORE_DB_BLOBS] = "blobs",
	[STORE_DB_BLOB_META] = "blob_meta",
	[STORE_DB_INDICATORS] = "indicators",
	[STORE_DB_IND_IDX] = "ind_idx",
	[STORE_DB_IND_CASES] = "ind_cases",
	[STORE_DB_CASE_INDS] = "case_inds",
	[STORE_DB_RUNS] = "runs",
	[STORE_DB_RUN_IDX] = "run_idx",
	[STORE_DB_JOURNAL] = "journal",
	[STORE_DB_PROMPTS] = "prompts",
	[STORE_DB_PROMPT_IDX] = "prompt_idx",
	[STORE_DB_SECRETS] = "secrets",
	[STORE_DB_SECRET_KEYS] = "secret_keys",
	[STORE_DB_SECRET_GRANTS] = "secret_grants",
	[STORE_DB_USERS] = "users",
	[STORE_DB_ROLES] = "roles",
	[STORE_DB_TOKENS] = "tokens",
	[STORE_DB_AUDIT] = "audit",
	[STORE_DB_EDL_LISTS] = "edl_lists",
	[STORE_DB_EDL_ENTRIES] = "edl_entries",
	[STORE_DB_JOBS] = "jobs",
	[STORE_DB_RUN_DONE] = "run_done",
};

/* Flags beyond MDB_CREATE. A database whose flags change needs a new name and a
 * migration (LMDB refuses to reopen it with other flags). */
static const unsigned db_flags[STORE_DB__COUNT] = {
	[STORE_DB_CASE_IDX] = MDB_DUPSORT | MDB_DUPFIXED, /* key -> many (time, seq) */
	[STORE_DB_CASE_DKEY] = MDB_DUPSORT | MDB_DUPFIXED,
};

#define DEFAULT_MAP ((size_t)256 << 20)
#define DEFAULT_MAP_MAX ((size_t)1 << 40)
#define GROW_STEP_MAX ((size_t)4 << 30)

int64_t store_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void store_error(const struct store *st, int rc, const char *what, char *err, size_t errlen)
{
	const char *dir = st ? st->dir : "the data directory";
	const char *w = what ? what : "store";
	switch (rc) {
	case MDB_MAP_FULL:
	case ENOSPC:
	case EDQUOT:
		if (st) {
			char full[4300];
			store_full_describe(st, full, sizeof full);
			snprintf(err, errlen, "%s: %s%s: free some disk space, or move the data "
				 "directory with --data", w, full, rc == MDB_MAP_FULL ?
				 " (the store reached its size limit)" : "");
		} else {
			snprintf(err, errlen, "%s: data directory is full (%s): free some disk space, "
				 "or move the data directory with --data", w, dir);
		}
		break;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
		snprintf(err, errlen, "%s: %s/store.mdb is not a store this soarctl can read "
			 "(another program's file, or a different LMDB format)", w, dir);
		break;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
		snprintf(err, errlen, "%s: the store in %s is damaged; restore it from a backup", w, dir);
		break;
	case MDB_PANIC:
		snprintf(err, errlen, "%s: the store hit a fatal error; restart soarctl", w);
		break;
	case MDB_READERS_FULL:
		snprintf(err, errlen, "%s: too many processes and threads are reading the store "
			 "at once; retry, or stop idle soarctl processes", w);
		break;
	case MDB_TXN_FULL:
	case MDB_BAD_VALSIZE:
		snprintf(err, errlen, "%s: the write is too large for one transaction", w);
		break;
	case MDB_DBS_FULL:
		snprintf(err, errlen, "%s: the store has more named databases than this soarctl "
			 "knows; it was probably written by a newer soarctl", w);
		break;
	case EACCES:
	case EPERM:
	case EROFS:
		snprintf(err, errlen, "%s: permission denied on %s: check its owner and mode, "
			 "or choose another directory with --data", w, dir);
		break;
	case ENOENT:
		snprintf(err, errlen, "%s: %s does not exist; run `soarctl init --data %s` first",
			 w, dir, dir);
		break;
	case ENOMEM:
		snprintf(err, errlen, "%s: out of memory", w);
		break;
	case EAGAIN:
	case EBUSY:
		snprintf(err, errlen, "%s: the store in %s is locked by another program", w, dir);
		break;
	default:
		snprintf(err, errlen, "%s: store error in %s: %s", w, dir, mdb_strerror(rc));
		break;
	}
}

MDB_dbi store_dbi(const struct store *st, enum store_db db)
{
	return st->dbi[db];
}

const char *store_db_name(enum store_db db)
{
	return db >= 0 && db < STORE_DB__COUNT ? db_names[db] : "?";
}

unsigned store_schema(const struct store *st)
{
	return st->schema;
}

/* ---- map growth ---- */

int store_grow(struct store *st)
{
	pthread_rwlock_wrlock(&st->resize_lock);
	MDB_envinfo info;
	mdb_env_info(st->env, &info);
	size_t cur = info.me_mapsize;
	int rc = 0;
	if (cur >= st->map_max) {
		rc = MDB_MAP_FULL;
	} else {
		/* Double while small, then bounded steps: the map is address space, not
		 * disk, but a huge jump would hide a runaway writer. */
		size_t step = cur < GROW_STEP_MAX ? cur : GROW_STEP_MAX;
		size_t want = cur + step;
		if (want > st->map_max)
			want = st->map_max;
		rc = mdb_env_set_mapsize(st->env, want);
		if (rc == 0) {
			pthread_mutex_lock(&st->q_lock);
			st->stats.resizes++;
			pthread_mutex_unlock(&st->q_lock);
		}
	}
	pthread_rwlock_unlock(&st->resize_lock);
	return rc;
}

/* Another process grew the map: adopt its size (needs no txn open here). */
static void adopt_resize(struct store *st)
{
	pthread_rwlock_wrlock(&st->resize_lock);
	mdb_env_set_mapsize(st->env, 0);
	pthread_rwlock_unlock(&st->resize_lock);
}

static int begin(struct store *st, unsigned flags, MDB_txn **txn)
{
	for (int tries = 0;; tries++) {
		pthread_rwlock_rdlock(&st->resize_lock);
		int rc = mdb_txn_begin(st->env, NULL, flags, txn);
		if (rc == 0)
			return 0;
		pthread_rwlock_unlock(&st->resize_lock);
		if (rc != MDB_MAP_RESIZED || tries > 8)
			return rc;
		adopt_resize(st);
	}
}

int store_mdb_read_begin(struct store *st, MDB_txn **txn, char *err, size_t errlen)
{
	if (st->pid != getpid()) {
		snprintf(err, errlen, "store: used in a child process after fork(); open it again there");
		return -1;
	}
	int rc = begin(st, MDB_RDONLY, txn);
	if (rc) {
		store_error(st, rc, "reading the store", err, errlen);
		return -1;
	}
	return 0;
}

void store_mdb_read_end(struct store *st, MDB_txn *txn)
{
	if (txn)
		mdb_txn_abort(txn);
	pthread_rwlock_unlock(&st->resize_lock);
}

int store_read_begin(struct store *st, struct store_txn **txn, char *err, size_t errlen)
{
	MDB_txn *t = NULL;
	int rc = store_mdb_read_begin(st, &t, err, errlen);
	*txn = store_txn_of(t);
	return rc;
}

void store_read_end(struct store *st, struct store_txn *txn)
{
	store_mdb_read_end(st, store_mdb(txn));
}

int store_write_begin(struct store *st, MDB_txn **txn)
{
	return begin(st, 0, txn);
}

void store_write_end(struct store *st)
{
	pthread_rwlock_unlock(&st->resize_lock);
}

/* ---- schema ---- */

/* Migrations: migrations[v] brings a store from schema v to v+1, inside the
 * opening write transaction. Version 0 is "empty file": nothing to convert. */
typedef int (*migration_fn)(struct store *st, MDB_txn *txn);
static const migration_fn migrations[STORE_SCHEMA_VERSION] = {
	[1] = case_index_migrate_v2, /* case_idx (one key per entry) -> case_ix (dupsort) */
	[2] = store_migrate_v3,      /* run_done: finished runs by time (migrate.c) */
};

static int schema_check(struct store *st, MDB_txn *txn, char *err, size_t errlen)
{
	MDB_val k = { 6, "schema" }, v;
	unsigned found = 0;
	int rc = mdb_get(txn, st->dbi[STORE_DB_META], &k, &v);
	if (rc == 0 && v.mv_size == 4)
		found = store_get_u32(v.mv_data);
	else if (rc != MDB_NOTFOUND) {
		store_error(st, rc ? rc : MDB_CORRUPTED, "opening the store", err, errlen);
		return -1;
	}
	if (found > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "opening the store: store was written by a newer soarctl "
			 "(schema %u; this soarctl knows up to %u): upgrade soarctl to use %s",
			 found, STORE_SCHEMA_VERSION, st->dir);
		return -1;
	}
	for (unsigned ver = found; ver < STORE_SCHEMA_VERSION; ver++) {
		if (migrations[ver] && (rc = migrations[ver](st, txn)) != 0) {
			snprintf(err, errlen, "opening the store: migrating schema %u to %u failed: %s",
				 ver, ver + 1, mdb_strerror(rc));
			return -1;
		}
	}
	if (found != STORE_SCHEMA_VERSION) {
		unsigned char buf[4];
		store_put_u32(buf, STORE_SCHEMA_VERSION);
		MDB_val nv = { 4, buf };
		if ((rc = mdb_put(txn, st->dbi[STORE_DB_META], &k, &nv, 0)) != 0) {
			store_error(st, rc, "opening the store", err, errlen);
			return -1;
		}
	}
	st->schema = STORE_SCHEMA_VERSION;
	return 0;
}

/* Opens the named databases and checks the schema in one write transaction,
 * growing the map if even that does not fit. */
static int open_dbs(struct store *st, char *err, size_t errlen)
{
	for (int tries = 0; tries < 8; tries++) {
		MDB_txn *txn;
		int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
		if (rc == MDB_MAP_RESIZED) {
			mdb_env_set_mapsize(st->env, 0);
			continue;
		}
		if (rc) {
			store_error(st, rc, "opening the store", err, errlen);
			return -1;
		}
		for (int i = 0; i < STORE_DB__COUNT && rc == 0; i++)
			rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE | db_flags[i], &st->dbi[i]);
		if (rc == 0 && schema_check(st, txn, err, errlen) != 0) {
			mdb_txn_abort(txn);
			return -1;
		}
		if (rc == 0)
			rc = mdb_txn_commit(txn);
		else
			mdb_txn_abort(txn);
		if (rc == MDB_MAP_FULL) {
			MDB_envinfo info;
			mdb_env_info(st->env, &info);
			mdb_env_set_mapsize(st->env, info.me_mapsize * 2);
			continue;
		}
		if (rc) {
			store_error(st, rc, "opening the store", err, errlen);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen, "opening the store: could not create its databases in %s", st->dir);
	return -1;
}

struct store *store_open(const char *dir, const struct store_options *opt,
			 char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof *st);
	if (!st) {
		snprintf(err, errlen, "opening the store: out of memory");
		return NULL;
	}
	snprintf(st->dir, sizeof st->dir, "%s", dir);
	st->pid = getpid();
	st->map_max = opt && opt->map_max ? opt->map_max : DEFAULT_MAP_MAX;
	st->max_batch = opt && opt->max_batch > 0 ? opt->max_batch : 1024;
	size_t map = opt && opt->map_size ? opt->map_size : DEFAULT_MAP;
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	/* Readers must not starve a resize: prefer the writer (no read txn nests). */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&st->resize_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	pthread_mutex_init(&st->q_lock, NULL);
	pthread_cond_init(&st->q_work, NULL);
	pthread_cond_init(&st->q_done, NULL);

	struct stat sb;
	if (stat(dir, &sb) != 0) {
		store_error(st, errno, "opening the store", err, errlen);
		goto fail;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "opening the store: %s is not a directory", dir);
		goto fail;
	}
	char path[4200];
	snprintf(path, sizeof path, "%s/store.mdb", dir);
	int rc = mdb_env_create(&st->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(st->env, 64);
	if (rc == 0)
		rc = mdb_env_set_mapsize(st->env, map);
	/* NOSUBDIR: one file plus its lock beside the other data; NOTLS: read
	 * transactions are not tied to threads, so the committer and callers mix. */
	if (rc == 0)
		rc = mdb_env_open(st->env, path, MDB_NOSUBDIR | MDB_NOTLS, 0600);
	if (rc) {
		store_error(st, rc, "opening the store", err, errlen);
		goto fail;
	}
	/* A process killed while reading leaves its slot; clear such slots now. */
	int dead = 0;
	mdb_reader_check(st->env, &dead);
	if (open_dbs(st, err, errlen) != 0)
		goto fail;
	return st;
fail:
	if (st->env)
		mdb_env_close(st->env);
	pthread_rwlock_destroy(&st->resize_lock);
	pthread_mutex_destroy(&st->q_lock);
	pthread_cond_destroy(&st->q_work);
	pthread_cond_destroy(&st->q_done);
	free(st);
	return NULL;
}

/* Read-only: MDB_RDONLY | MDB_NOLOCK, so nothing is written, not even a lock
 * file (a backup on read-only media opens). NOLOCK is safe only because no one
 * writes a backup; never use this on a live data directory. */
struct store *store_open_readonly(const char *dir, char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof *st);
	if (!st) {
		snprintf(err, errlen, "opening the store: out of memory");
		return NULL;
	}
	snprintf(st->dir, sizeof st->dir, "%s", dir);
	st->pid = getpid();
	st->max_batch = 1;
	pthread_rwlock_init(&st->resize_lock, NULL);
	pthread_mutex_init(&st->q_lock, NULL);
	pthread_cond_init(&st->q_work, NULL);
	pthread_cond_init(&st->q_done, NULL);
	char path[4200];
	snprintf(path, sizeof path, "%s/store.mdb", dir);
	MDB_txn *txn = NULL;
	struct stat sb;
	int rc = stat(path, &sb) != 0 ? errno : 0;
	if (rc == 0)
		rc = mdb_env_create(&st->env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(st->env, 64);
	/* the map must cover the file: LMDB takes the larger of this and the file */
	if (rc == 0)
		rc = mdb_env_open(st->env, path, MDB_NOSUBDIR | MDB_NOTLS | MDB_RDONLY | MDB_NOLOCK,
				  0600);
	if (rc == 0)
		rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &txn);
	if (rc) {
		if (rc == ENOENT)
			snprintf(err, errlen, "opening the store: %s does not exist", path);
		else
			store_error(st, rc, "opening the store", err, errlen);
		goto fail;
	}
	for (int i = 0; i < STORE_DB__COUNT; i++) {
		rc = mdb_dbi_open(txn, db_names[i], db_flags[i], &st->dbi[i]);
		if (rc) {
			if (rc == MDB_NOTFOUND)
				snprintf(err, errlen, "opening the store: %s has no database '%s' "
					 "(not a store of this soarctl, or damaged)", path, db_names[i]);
			else
				store_error(st, rc, "opening the store", err, errlen);
			goto fail;
		}
	}
	MDB_val k = { 6, "schema" }, v;
	rc = mdb_get(txn, st->dbi[STORE_DB_META], &k, &v);
	if (rc || v.mv_size != 4) {
		snprintf(err, errlen, "opening the store: %s records no schema version "
			 "(not a store of this soarctl, or damaged)", path);
		goto fail;
	}
	st->schema = store_get_u32(v.mv_data);
	if (st->schema != STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "opening the store: %s has schema %u; this soarctl reads "
			 "schema %u read-only%s", path, st->schema, STORE_SCHEMA_VERSION,
			 st->schema > STORE_SCHEMA_VERSION ? ": upgrade soarctl" : "");
		goto fail;
	}
	/* the handles stay valid for the environment's life after this commit */
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc) {
		store_error(st, rc, "opening the store", err, errlen);
		goto fail;
	}
	return st;
fail:
	if (txn)
		mdb_txn_abort(txn);
	if (st->env)
		mdb_env_close(st->env);
	pthread_rwlock_destroy(&st->resize_lock);
	pthread_mutex_destroy(&st->q_lock);
	pthread_cond_destroy(&st->q_work);
	pthread_cond_destroy(&st->q_done);
	free(st);
	return NULL;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->pid == getpid()) {
		store_batch_stop(st);
		mdb_env_close(st->env);
	}
	/* In a forked child the env belongs to the parent: leak it rather than touch it. */
	else
		return;
	free(st->dups);
	free(st->dkeys);
	free(st->slots);
	free(st->arena);
	pthread_rwlock_destroy(&st->resize_lock);
	pthread_mutex_destroy(&st->q_lock);
	pthread_cond_destroy(&st->q_work);
	pthread_cond_destroy(&st->q_done);
	free(st);
}

/* ---- the process-wide store ---- */

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static struct store *default_store;
static char default_dir[4096];

struct store *store_default(char *err, size_t errlen)
{
	pthread_mutex_lock(&default_lock);
	const char *dir = datadir_get();
	struct store *st = default_store;
	if (st && st->pid != getpid())
		st = default_store = NULL; /* inherited over fork: never touch it */
	if (st && dir && strcmp(dir, default_dir) != 0) {
		snprintf(err, errlen, "store: the data directory changed from %s to %s while in use",
			 default_dir, dir);
		st = NULL;
	} else if (!st) {
		if (!dir) {
			snprintf(err, errlen, "store: no data directory is set: pass --data DIR "
				 "or set SOARCTL_DATA");
		} else {
			char derr[512];
			if (datadir_create(dir, derr, sizeof derr) != 0)
				snprintf(err, errlen, "store: %s", derr);
			else if ((st = store_open(dir, NULL, err, errlen)) != NULL) {
				default_store = st;
				snprintf(default_dir, sizeof default_dir, "%s", dir);
			}
		}
	}
	pthread_mutex_unlock(&default_lock);
	return st;
}

void store_default_release(void)
{
	pthread_mutex_lock(&default_lock);
	if (default_store && default_store->pid == getpid())
		store_close(default_store);
	default_store = NULL;
	default_dir[0] = '\0';
	pthread_mutex_unlock(&default_lock);
}

int store_verify(struct store *st, uint64_t *entries, char *err, size_t errlen)
{
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	uint64_t total = 0;
	int rc = 0;
	for (int i = 0; i < STORE_DB__COUNT && rc == 0; i++) {
		MDB_stat ms;
		rc = mdb_stat(txn, st->dbi[i], &ms);
		if (rc == 0)
			total += ms.ms_entries;
		else
			store_error(st, rc, db_names[i], err, errlen);
	}
	store_mdb_read_end(st, txn);
	if (entries)
		*entries = total;
	return rc ? -1 : 0;
}
