/* store_batch.c - group commit: every write of the process goes through one
 * committer thread that applies all queued writes in one LMDB write transaction
 * and syncs once. Durability costs one fsync per batch instead of per write, and
 * since the committer is the only writer in the process, the map can be grown
 * between batches with no transaction open. */
#include "store_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Runs `list` (n tickets, linked by next_) in one transaction. Returns 0 when
 * committed (each ticket's rc says whether its own write was applied or refused),
 * or the LMDB code that sank the whole transaction; then `culprit` is the ticket
 * that met it (NULL when the commit itself failed). */
static int run_txn(struct store *st, struct store_ticket *list, int n,
		   struct store_ticket **culprit)
{
	*culprit = NULL;
	MDB_txn *txn;
	int rc = store_write_begin(st, &txn);
	if (rc)
		return rc;
	struct store_ticket *t = list;
	for (int i = 0; i < n; i++, t = t->next_) {
		t->err[0] = '\0';
		int r = t->apply(st, txn, t->ctx, t->err, sizeof t->err);
		if (r == 0 || r == STORE_REFUSED) {
			t->rc = r;
			if (r == STORE_REFUSED && !t->err[0])
				snprintf(t->err, sizeof t->err, "write refused");
			continue;
		}
		mdb_txn_abort(txn);
		store_write_end(st);
		*culprit = t;
		return r;
	}
	rc = mdb_txn_commit(txn);
	store_write_end(st);
	return rc;
}

static void fail_ticket(struct store *st, struct store_ticket *t, int rc)
{
	t->rc = -1;
	store_error(st, rc, "writing to the store", t->err, sizeof t->err);
}

/* One batch, growing the map and retrying while it is full. On any other LMDB
 * failure with more than one writer in the batch, each writer is retried alone
 * so one bad write cannot fail the others. */
static void run_batch(struct store *st, struct store_ticket *list, int n)
{
	for (;;) {
		struct store_ticket *culprit;
		int rc = run_txn(st, list, n, &culprit);
		if (rc == 0)
			return;
		if (rc == MDB_MAP_FULL && store_grow(st) == 0)
			continue;
		if (n == 1) {
			fail_ticket(st, list, rc);
			return;
		}
		struct store_ticket *t = list;
		for (int i = 0; i < n; i++) {
			struct store_ticket *next = t->next_;
			run_batch(st, t, 1);
			t = next;
		}
		pthread_mutex_lock(&st->q_lock);
		st->stats.retries_alone += (uint64_t)n;
		pthread_mutex_unlock(&st->q_lock);
		return;
	}
}

static void *committer_main(void *arg)
{
	struct store *st = arg;
	pthread_mutex_lock(&st->q_lock);
	for (;;) {
		while (!st->q_head && !st->stopping)
			pthread_cond_wait(&st->q_work, &st->q_lock);
		if (!st->q_head)
			break;
		/* Take up to max_batch tickets off the head of the queue. */
		struct store_ticket *list = st->q_head, *last = list;
		int n = 1;
		while (last->next_ && n < st->max_batch) {
			last = last->next_;
			n++;
		}
		st->q_head = last->next_;
		if (!st->q_head)
			st->q_tail = NULL;
		last->next_ = NULL;
		pthread_mutex_unlock(&st->q_lock);

		run_batch(st, list, n);

		/* on_done first (the ticket may be freed by its owner once done_ is set),
		 * then mark done under the lock and wake every waiter at once. */
		struct store_ticket *t = list;
		struct store_ticket *waiters = NULL;
		while (t) {
			struct store_ticket *next = t->next_;
			if (t->on_done) {
				t->on_done(t);
			} else {
				t->next_ = waiters;
				waiters = t;
			}
			t = next;
		}
		pthread_mutex_lock(&st->q_lock);
		st->stats.commits++;
		st->stats.writes += (uint64_t)n;
		for (t = waiters; t; t = t->next_)
			t->done_ = 1;
		pthread_cond_broadcast(&st->q_done);
	}
	pthread_mutex_unlock(&st->q_lock);
	return NULL;
}

void store_submit(struct store *st, struct store_ticket *t)
{
	t->done_ = 0;
	t->rc = 0;
	t->err[0] = '\0';
	t->next_ = NULL;
	if (st->pid != getpid()) {
		t->rc = -1;
		snprintf(t->err, sizeof t->err,
			 "store: used in a child process after fork(); open it again there");
		t->done_ = 1;
		if (t->on_done)
			t->on_done(t);
		return;
	}
	pthread_mutex_lock(&st->q_lock);
	if (!st->committer_running && !st->stopping) {
		if (pthread_create(&st->committer, NULL, committer_main, st) == 0)
			st->committer_running = 1;
	}
	if (!st->committer_running) {
		pthread_mutex_unlock(&st->q_lock);
		t->rc = -1;
		snprintf(t->err, sizeof t->err, "store: %s",
			 st->stopping ? "the store is closing" : "cannot start the committer thread");
		t->done_ = 1;
		if (t->on_done)
			t->on_done(t);
		return;
	}
	if (st->q_tail)
		st->q_tail->next_ = t;
	else
		st->q_head = t;
	st->q_tail = t;
	pthread_cond_signal(&st->q_work);
	pthread_mutex_unlock(&st->q_lock);
}

int store_wait(struct store *st, struct store_ticket *t)
{
	pthread_mutex_lock(&st->q_lock);
	while (!t->done_)
		pthread_cond_wait(&st->q_done, &st->q_lock);
	pthread_mutex_unlock(&st->q_lock);
	return t->rc;
}

int store_write(struct store *st, store_apply_fn apply, void *ctx, char *err, size_t errlen)
{
	struct store_ticket t = { .apply = apply, .ctx = ctx };
	store_submit(st, &t);
	int rc = store_wait(st, &t);
	if (rc != 0)
		snprintf(err, errlen, "%s", t.err);
	return rc;
}

void store_get_stats(struct store *st, struct store_stats *out)
{
	pthread_mutex_lock(&st->q_lock);
	*out = st->stats;
	pthread_mutex_unlock(&st->q_lock);
	MDB_envinfo info;
	mdb_env_info(st->env, &info);
	out->map_size = info.me_mapsize;
	MDB_stat ms;
	mdb_env_stat(st->env, &ms);
	out->used_bytes = (info.me_last_pgno + 1) * (size_t)ms.ms_psize;
}

/* Called by store_close: finishes queued writes, then stops the thread. */
void store_batch_stop(struct store *st)
{
	pthread_mutex_lock(&st->q_lock);
	st->stopping = 1;
	int running = st->committer_running;
	pthread_cond_signal(&st->q_work);
	pthread_mutex_unlock(&st->q_lock);
	if (running)
		pthread_join(st->committer, NULL);
	st->committer_running = 0;
}
