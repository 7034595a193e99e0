/* store_int.h - the store's private state, shared by store.c (open, resize,
 * errors) and store_batch.c (the committer). Not for other modules. */
#ifndef SOAR_STORE_INT_H
#define SOAR_STORE_INT_H

#include "store.h"

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
};

/* Grows the map after MDB_MAP_FULL; no transaction may be open in the process
 * (the caller holds none; this takes resize_lock exclusively). Returns 0, or
 * MDB_MAP_FULL when map_max is reached. */
int store_grow(struct store *st);

/* Begins a write transaction under resize_lock (shared); the caller releases the
 * lock with store_write_end after commit or abort. Committer thread only. */
int store_write_begin(struct store *st, MDB_txn **txn);
void store_write_end(struct store *st);

/* Finishes queued writes and stops the committer (store_close). */
void store_batch_stop(struct store *st);

#endif
