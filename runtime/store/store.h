/* store.h - the LMDB environment under the data directory: opening it (schema
 * version, migrations, stale readers), growing its map, translating LMDB errors,
 * and the only write path: group commit (store_batch.c).
 *
 * Who sees what: this header and every public header of store/ name no LMDB
 * type: a transaction is an opaque `struct store_txn`, codes are STORE_*. The
 * record modules (case.c, blob.c, indicator.c, secstore.c ...) reach LMDB through
 * the private store_db_int.h; everything above them (security, the engine, the
 * daemon, the CLI) uses those modules' headers only, so that a second backend can
 * sit under them without their callers changing (docs/store.md, "The
 * interface a backend implements"). lint.layers refuses LMDB above store/.
 *
 * Threads: a struct store may be used from any number of threads at once.
 * Processes: any number of processes may open the same directory (LMDB's lock
 * file arbitrates); a store must never be used in a child after fork().
 *
 * The rule that makes map growth safe: mdb_env_set_mapsize() needs no
 * transaction open in this process. Every transaction is taken through this
 * module (readers with store_read_begin, writers only on the committer thread)
 * under `resize_lock`, which the resizer takes exclusively. So never wait for a
 * write (store_write/store_wait) while holding a read transaction.
 */
#ifndef SOAR_STORE_H
#define SOAR_STORE_H

#include <stddef.h>
#include <stdint.h>

/* The schema this soarctl writes. Bump it with a migration in store.c. */
#define STORE_SCHEMA_VERSION 3

/* The named databases. Key formats are documented in docs/store.md. */
enum store_db {
	STORE_DB_META,        /* "schema", "case_seq" -> u32/u64 big endian */
	STORE_DB_CASES,       /* seq u64 BE -> case record (case_codec.c) */
	STORE_DB_CASE_UUID,   /* uuid 16 bytes -> seq u64 BE */
	STORE_DB_CASE_IDX,    /* "case_ix": index key -> dups time u64, seq u64 (case_index.c) */
	STORE_DB_CASE_DEDUPE, /* dedupe key -> seq of the open case holding it */
	STORE_DB_CASE_DKEY,   /* "D" index entries: dedupe key -> dups time u64, seq u64 */
	STORE_DB_TIMELINE,    /* seq u64 BE, entry u32 BE -> timeline entry */
	STORE_DB_CASE_LINKS,  /* seq u64 BE, other seq u64 BE -> relation */
	STORE_DB_BLOBS,       /* sha256 32 bytes -> content */
	STORE_DB_BLOB_META,   /* sha256 32 bytes -> size u64, refs u64, created i64 */
	STORE_DB_INDICATORS,  /* type u8, normalised value -> indicator record */
	STORE_DB_IND_IDX,     /* verdict u8, type u8, value -> "" */
	STORE_DB_IND_CASES,   /* type u8, value, 0x00, seq u64 BE -> "" */
	STORE_DB_CASE_INDS,   /* seq u64 BE, type u8, value -> "" */
	STORE_DB_RUNS,        /* run uuid 16 bytes -> run record (runstore.c) */
	STORE_DB_RUN_IDX,     /* status u8, run uuid -> "" */
	STORE_DB_JOURNAL,     /* run uuid, step u32 BE -> journal entry */
	STORE_DB_PROMPTS,     /* prompt uuid 16 bytes -> prompt record */
	STORE_DB_PROMPT_IDX,  /* open u8, prompt uuid -> "" */
	/* security (docs/security.md) */
	STORE_DB_SECRETS,     /* secret name -> sealed value record (secret.c) */
	STORE_DB_SECRET_KEYS, /* "dk" u32 BE -> wrapped data key; "current", "check", "kdf", "audit_hmac" */
	STORE_DB_SECRET_GRANTS, /* playbook, 0x00, secret name -> granted by/at */
	STORE_DB_USERS,       /* user name -> user record (rbac.c) */
	STORE_DB_ROLES,       /* custom role name -> permission bits, created */
	STORE_DB_TOKENS,      /* token id 8 bytes -> sha256 of token, user, expiry (rbac_token.c) */
	STORE_DB_AUDIT,       /* seq u64 BE -> hash-chained entry (audit.c) */
	STORE_DB_EDL_LISTS,   /* EDL name -> type u8, cap u32 BE, created i64 BE (edl_store.c) */
	STORE_DB_EDL_ENTRIES, /* EDL name, 0x00, value -> expires i64 BE, added i64 BE, comment */
	STORE_DB_JOBS,         /* job (playbook) name -> daemon job state (jobs.c) */
	STORE_DB_RUN_DONE,     /* finished ms u64 BE, run uuid -> "": runs whose journal retention may compact (run_done.h) */
	STORE_DB__COUNT
};

struct store;

/* A transaction of the backend, read or write: opaque above store/. A read
 * transaction comes from store_read_begin; a write transaction is handed to an
 * apply function by the committer. Valid only until it ends. */
struct store_txn;

/* The codes a store operation returns besides 0, STORE_REFUSED (below) and an
 * errno value (ENOMEM ...). Their values are LMDB's, so that the LMDB backend
 * passes its codes through; store_error turns any of them into a sentence. */
#define STORE_NOTFOUND  (-30798) /* no such key (MDB_NOTFOUND) */
#define STORE_KEYEXIST  (-30799) /* the key exists and was not to be replaced */
#define STORE_CORRUPTED (-30796) /* a record or page does not decode */
#define STORE_FULL      (-30792) /* the data file reached its maximum size */

/* A key or value as the store holds it: read-only, valid until the transaction
 * ends (never free it, never write to it). */
struct store_val {
	size_t len;
	const void *data;
};

struct store_options {
	size_t map_size;     /* initial map size; 0 = 256 MiB */
	size_t map_max;      /* growth stops here ("data directory is full"); 0 = 1 TiB */
	int max_batch;       /* most writes per transaction; 0 = 1024 */
};

/* Opens (creating if absent) the store in directory `dir` (file store.mdb and
 * its lock file store.mdb-lock), clears stale reader slots, creates the named
 * databases and runs migrations. Returns NULL with a message in `err` on
 * failure. `opt` may be NULL. The caller owns the result: store_close(). */
struct store *store_open(const char *dir, const struct store_options *opt,
			 char *err, size_t errlen);

/* Opens the store in `dir` read-only without a lock file (MDB_NOLOCK): for a
 * backup that no process writes (restore checks one before using it). The
 * schema must be this soarctl's. Writes through it fail. Close with store_close. */
struct store *store_open_readonly(const char *dir, char *err, size_t errlen);

/* Stops the committer (after finishing queued writes) and closes the env. NULL ok. */
void store_close(struct store *st);

/* The process-wide store at datadir_get(), opened on first use (thread-safe).
 * NULL with a message when no data directory is set or it cannot be opened.
 * Owned by the process: do not close it. */
struct store *store_default(char *err, size_t errlen);

/* Closes the process-wide store, so that the next store_default opens the
 * data directory set then (`soarctl test` gives each file a scratch one).
 * Only between runs: no handle from the old store may be in use. */
void store_default_release(void);

/* The LMDB name of a named database ("cases", "journal" ...). */
const char *store_db_name(enum store_db db);

/* Schema version found in the file (after migrations, = STORE_SCHEMA_VERSION). */
unsigned store_schema(const struct store *st);

/* Translates a store (LMDB) or errno code met while doing `what` into a sentence a
 * person can act on, written to `err`. The one place LMDB codes become words. */
void store_error(const struct store *st, int rc, const char *what, char *err, size_t errlen);

/* ---- reading ---- */

/* Begins a read-only transaction: a consistent snapshot of every record until
 * store_read_end, on this thread (the LMDB backend handles MDB_MAP_RESIZED from
 * other processes). Returns 0, or -1 with `err` set. */
int store_read_begin(struct store *st, struct store_txn **txn, char *err, size_t errlen);
void store_read_end(struct store *st, struct store_txn *txn);

/* ---- writing (group commit) ---- */

/* What an apply function returns besides 0 and a STORE_* or errno code: the write was
 * refused for a reason in `err` (bad transition, not found...) BEFORE anything was
 * put into the transaction. Apply functions must check first and write after;
 * that is what lets one batch hold many writers without nested transactions. */
#define STORE_REFUSED (-1)

/* Called on the committer thread inside the batch's write transaction. May run
 * more than once (the batch is retried after the map grows, or alone after
 * another writer's LMDB failure), so it must not change anything outside `txn`
 * except its own result fields, which it rewrites on every run. */
typedef int (*store_apply_fn)(struct store *st, struct store_txn *txn, void *ctx,
			      char *err, size_t errlen);

/* One queued write. Owned by the caller, which must keep it alive until it is
 * done (store_wait returned, or on_done was called). */
struct store_ticket {
	store_apply_fn apply;
	void *ctx;
	/* Optional: called on the committer thread once the write is durable or
	 * failed, instead of (or as well as) store_wait. Must not block or write. */
	void (*on_done)(struct store_ticket *t);
	/* results, valid once done */
	int rc;          /* 0 durable, STORE_REFUSED, or -1 store failure */
	char err[256];
	/* private */
	int done_;
	struct store_ticket *next_;
};

/* Queues a write; returns at once. rc/err of the ticket hold the outcome once done. */
void store_submit(struct store *st, struct store_ticket *t);

/* Blocks until `t` is done; returns t->rc (0 = committed and synced). */
int store_wait(struct store *st, struct store_ticket *t);

/* Submit + wait. Returns 0 when durable, else copies the message to `err`. */
int store_write(struct store *st, store_apply_fn apply, void *ctx, char *err, size_t errlen);

/* Checks the structure of every named database (a cheap check after a crash).
 * *entries (may be NULL) receives the total entry count. Returns 0 or -1. */
int store_verify(struct store *st, uint64_t *entries, char *err, size_t errlen);

/* Counters for benchmarks and tests. */
struct store_stats {
	uint64_t commits, writes, resizes, retries_alone;
	size_t map_size;
	size_t used_bytes;       /* pages in use in the file x page size */
};
void store_get_stats(struct store *st, struct store_stats *out);

/* ---- helpers for record modules ---- */

static inline void store_put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) { p[i] = (unsigned char)v; v >>= 8; }
}
static inline uint64_t store_get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++) v = v << 8 | p[i];
	return v;
}
static inline void store_put_u32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--) { p[i] = (unsigned char)v; v >>= 8; }
}
static inline uint32_t store_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Wall clock in milliseconds since the Unix epoch. */
int64_t store_now_ms(void);

#endif
