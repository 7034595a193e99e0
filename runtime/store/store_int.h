/* store_int.h - the store's private state, shared by store.c (open, resize,
 * errors) and store_batch.c (the committer). Not for other modules. */
#ifndef SOAR_STORE_INT_H
#define SOAR_STORE_INT_H

#include "store_db_int.h"

#include <pthread.h>
#include <sys/types.h>

struct store {
	MDB_env *env;
	MDB_dbi dbi[STORE_DB__COUNT];
	char dir[4096];
	unsigned schema;
	pid_t pid;               /* the process that opened it: refuse after fork */
	size_t map_max;
	int max_batch;

	/* Taken shared around every transaction, exclusively to resize the map. */
	pthread_rwlock_t resize_lock;

	/* The committer: a FIFO of tickets, one thread, started on first submit. */
	pthread_mutex_t q_lock;
	pthread_cond_t q_work;   /* committer waits for tickets */
	pthread_cond_t q_done;   /* writers wait for their ticket */
	struct store_ticket *q_head, *q_tail;
	int committer_running, stopping;
	pthread_t committer;

	struct store_stats stats; /* under q_lock */
	_Atomic int full;        /* the last write failed for want of space (store_full.c) */

	/* Deferred duplicates of the running batch (committer thread only): the
	 * entries, grouped by (dbi, key, data size) through a hash table of keys. */
	struct store_dup *dups;
	size_t ndups, capdups;
	struct store_dkey *dkeys;
	size_t ndkeys, capdkeys;
	size_t *slots;           /* open addressing: dkeys index + 1, 0 = free */
	size_t nslots;           /* a power of two, > 2 * ndkeys */
	unsigned char *arena;    /* keys (once per dkey) and data, back to back */
	size_t arena_len, arena_cap;
};

struct store_dup {
	size_t off;              /* data at arena + off */
	size_t next;             /* next entry of the same key, or SIZE_MAX */
};

struct store_dkey {
	MDB_dbi dbi;
	unsigned klen, dlen;
	uint64_t hash;
	size_t koff;             /* key at arena + koff */
	size_t first, last, n;   /* its entries, in the order deferred */
	int sorted;              /* each entry's data above the previous one's */
};

/* Grows the map after MDB_MAP_FULL; no transaction may be open in the process
 * (the caller holds none; this takes resize_lock exclusively). Returns 0, or
 * MDB_MAP_FULL when map_max is reached. */
int store_grow(struct store *st);

/* Begins a write transaction under resize_lock (shared); the caller releases the
 * lock with store_write_end after commit or abort. Committer thread only. */
int store_write_begin(struct store *st, MDB_txn **txn);
void store_write_end(struct store *st);

/* Migration 1 -> 2, provided by case_index.c (it knows the record format): drops
 * the old "case_idx" database and rebuilds the dupsort "case_ix" from the cases. */
int case_index_migrate_v2(struct store *st, MDB_txn *txn);

/* After each batch: rc 0 clears the full state, a lack of space sets it
 * (store_full.c). */
void store_full_note(struct store *st, int rc);
/* EIO from a commit on a file system with (almost) no space left is ENOSPC. */
int store_full_code(struct store *st, int rc);

/* Finishes queued writes and stops the committer (store_close). */
void store_batch_stop(struct store *st);

#endif
