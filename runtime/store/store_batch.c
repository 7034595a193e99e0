/* store_batch.c - group commit: every write of the process goes through one
 * committer thread that applies all queued writes in one LMDB write transaction
 * and syncs once. Durability costs one fsync per batch instead of per write, and
 * since the committer is the only writer in the process, the map can be grown
 * between batches with no transaction open. */
#include "store_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- deferred duplicates ---- */

static int arena_add(struct store *st, const void *p, size_t n, size_t *off)
{
	if (st->arena_cap - st->arena_len < n) {
		size_t cap = st->arena_cap ? st->arena_cap : 1 << 16;
		while (cap - st->arena_len < n)
			cap *= 2;
		unsigned char *a = realloc(st->arena, cap);
		if (!a)
			return ENOMEM;
		st->arena = a;
		st->arena_cap = cap;
	}
	*off = st->arena_len;
	memcpy(st->arena + st->arena_len, p, n);
	st->arena_len += n;
	return 0;
}

static uint64_t key_hash(MDB_dbi dbi, size_t dlen, const unsigned char *k, size_t n)
{
	uint64_t h = 1469598103934665603ull ^ dbi ^ (uint64_t)dlen << 32;
	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 1099511628211ull;
	return h ^ h >> 29;
}

/* Rebuilds the slot table at twice the size. */
static int slots_grow(struct store *st)
{
	size_t ns = st->nslots ? st->nslots * 2 : 256;
	size_t *s = calloc(ns, sizeof *s);
	if (!s)
		return ENOMEM;
	for (size_t i = 0; i < st->ndkeys; i++) {
		size_t j = st->dkeys[i].hash & (ns - 1);
		while (s[j])
			j = (j + 1) & (ns - 1);
		s[j] = i + 1;
	}
	free(st->slots);
	st->slots = s;
	st->nslots = ns;
	return 0;
}

int store_defer_dup(struct store *st, MDB_txn *txn, MDB_dbi dbi, const void *key,
		    size_t klen, const void *data, size_t dlen)
{
	(void)txn;
	if (st->ndups == st->capdups) {
		size_t cap = st->capdups ? st->capdups * 2 : 4096;
		struct store_dup *d = realloc(st->dups, cap * sizeof *d);
		if (!d)
			return ENOMEM;
		st->dups = d;
		st->capdups = cap;
	}
	if (2 * (st->ndkeys + 1) >= st->nslots && slots_grow(st) != 0)
		return ENOMEM;
	uint64_t h = key_hash(dbi, dlen, key, klen);
	size_t j = h & (st->nslots - 1);
	struct store_dkey *dk = NULL;
	for (; st->slots[j]; j = (j + 1) & (st->nslots - 1)) {
		struct store_dkey *c = &st->dkeys[st->slots[j] - 1];
		if (c->hash == h && c->dbi == dbi && c->klen == klen && c->dlen == dlen &&
		    memcmp(st->arena + c->koff, key, klen) == 0) {
			dk = c;
			break;
		}
	}
	size_t off, koff;
	if (!dk) {
		if (st->ndkeys == st->capdkeys) {
			size_t cap = st->capdkeys ? st->capdkeys * 2 : 256;
			struct store_dkey *k = realloc(st->dkeys, cap * sizeof *k);
			if (!k)
				return ENOMEM;
			st->dkeys = k;
			st->capdkeys = cap;
		}
		if (arena_add(st, key, klen, &koff) != 0)
			return ENOMEM;
	}
	if (arena_add(st, data, dlen, &off) != 0)
		return ENOMEM;
	size_t e = st->ndups++;
	st->dups[e] = (struct store_dup){ .off = off, .next = SIZE_MAX };
	if (!dk) {
		st->slots[j] = st->ndkeys + 1;
		st->dkeys[st->ndkeys++] = (struct store_dkey){ .dbi = dbi, .klen = (unsigned)klen,
			.dlen = (unsigned)dlen, .hash = h, .koff = koff, .first = e, .last = e, .n = 1,
			.sorted = 1 };
		return 0;
	}
	if (memcmp(st->arena + st->dups[dk->last].off, data, dlen) >= 0)
		dk->sorted = 0;
	st->dups[dk->last].next = e;
	dk->last = e;
	dk->n++;
	return 0;
}

static void dups_reset(struct store *st)
{
	st->ndups = 0;
	st->arena_len = 0;
	if (st->ndkeys)
		memset(st->slots, 0, st->nslots * sizeof *st->slots);
	st->ndkeys = 0;
}

static _Thread_local size_t sort_size;

static int data_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sort_size);
}

/* Puts the n sorted duplicates at tmp (dlen bytes each) of `key` with
 * MDB_MULTIPLE: appended after the key's last duplicate when they all sort after
 * it, else (a clock step, an older write) inserted where they belong. */
static int put_run(MDB_cursor *cur, MDB_val *key, unsigned char *tmp, size_t dlen, size_t n)
{
	size_t done = 0;
	unsigned flags = MDB_MULTIPLE | MDB_APPENDDUP;
	while (done < n) {
		MDB_val data[2] = { { dlen, tmp + done * dlen }, { n - done, NULL } };
		int rc = mdb_cursor_put(cur, key, data, flags);
		if (rc == 0)
			return 0;
		if (rc != MDB_KEYEXIST)
			return rc;
		/* data[1].mv_size entries went in; the next one is not after the last */
		done += data[1].mv_size;
		if (!(flags & MDB_APPENDDUP)) {
			done++; /* already there (a duplicate of an existing entry) */
			continue;
		}
		flags = MDB_MULTIPLE;
	}
	return 0;
}

int store_flush_dups(struct store *st, MDB_txn *txn)
{
	if (!st->ndkeys)
		return 0;
	size_t maxn = 0, maxd = 0;
	for (size_t i = 0; i < st->ndkeys; i++) {
		if (st->dkeys[i].n > maxn)
			maxn = st->dkeys[i].n;
		if (st->dkeys[i].dlen > maxd)
			maxd = st->dkeys[i].dlen;
	}
	unsigned char *tmp = malloc(maxn * (maxd ? maxd : 1));
	int rc = tmp ? 0 : ENOMEM;
	MDB_cursor *cur = NULL;
	MDB_dbi cur_dbi = 0;
	for (size_t i = 0; i < st->ndkeys && rc == 0; i++) {
		const struct store_dkey *dk = &st->dkeys[i];
		size_t n = 0;
		for (size_t e = dk->first; e != SIZE_MAX; e = st->dups[e].next)
			memcpy(tmp + n++ * dk->dlen, st->arena + st->dups[e].off, dk->dlen);
		if (!dk->sorted) {
			sort_size = dk->dlen;
			qsort(tmp, n, dk->dlen, data_cmp);
		}
		if (!cur || cur_dbi != dk->dbi) {
			if (cur)
				mdb_cursor_close(cur);
			cur = NULL;
			rc = mdb_cursor_open(txn, dk->dbi, &cur);
			cur_dbi = dk->dbi;
		}
		MDB_val key = { dk->klen, st->arena + dk->koff };
		if (rc == 0)
			rc = put_run(cur, &key, tmp, dk->dlen, n);
	}
	if (cur)
		mdb_cursor_close(cur);
	free(tmp);
	dups_reset(st);
	return rc;
}

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
	dups_reset(st);
	struct store_ticket *t = list;
	for (int i = 0; i < n; i++, t = t->next_) {
		t->err[0] = '\0';
		int r = t->apply(st, store_txn_of(txn), t->ctx, t->err, sizeof t->err);
		if (r == 0 || r == STORE_REFUSED) {
			t->rc = r;
			if (r == STORE_REFUSED && !t->err[0])
				snprintf(t->err, sizeof t->err, "write refused");
			continue;
		}
		mdb_txn_abort(txn);
		store_write_end(st);
		dups_reset(st);
		*culprit = t;
		return r;
	}
	rc = store_flush_dups(st, txn);
	if (rc) {
		/* no one ticket to blame: run_batch retries each alone */
		mdb_txn_abort(txn);
		store_write_end(st);
		*culprit = list;
		return rc;
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
		if (rc == 0) {
			store_full_note(st, 0);
			return;
		}
		if (rc == MDB_MAP_FULL && store_grow(st) == 0)
			continue;
		rc = store_full_code(st, rc);
		store_full_note(st, rc);
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
