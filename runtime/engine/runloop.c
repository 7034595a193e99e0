/* runloop.c - see runloop.h. The committer thread reports durable writes through a
 * mutex-protected ready list and an eventfd; the transfers' set (http_multi.h)
 * reports finished ones; this thread continues those runs, one round at a time. */
#include "runloop.h"
#include "http.h"
#include "http_multi.h"
#include "log.h"
#include "store.h"

#include <errno.h>
#include <lauxlib.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct runloop_item {
	struct engine_run e;
	struct runloop *s;
	struct sandbox_task *task;
	runloop_done_fn done;
	void *ud;
	struct journal_batch *batch;   /* the batch its entry went out in */
	uint64_t batch_seq;            /* that batch's number */
	int nvalues;               /* a suspended step's values, kept on its coroutine */
	int rc;
	char err[256];
	struct runloop_item *next;     /* ready list, or a round's finished transfers */
	struct runloop_item *prev_all, *next_all;   /* every run in flight */
	/* An HTTP wait (runloop_http_wait). */
	struct http_xfer *xfer;        /* in the multi handle or on a timer */
	double due;                    /* retry timer: when to add it again (0 = none) */
	int (*wait_push)(lua_State *co, void *arg);
	void *wait_arg;
	void (*wait_release)(void *arg);
	int wait_done;                 /* finished: wait_arg is for runloop_http_take */
	int closing;                   /* its final record is in a batch */
	int write_wait;                /* waits for a write step (runloop_write_wait) */
	int status;                    /* as engine_epilogue returned, once closed */
	/* Its coroutine was lost with a hard-stopped interpreter (orphan_all). */
	int orphan;                    /* ORPHAN_* */
	int end_deferred;              /* ended with its entry still in a batch */
	struct runloop_item *replay_next;   /* the replay queue */
};

enum {
	ORPHAN_NONE = 0,
	ORPHAN_AWAIT,                  /* replayed once its entry in a batch is durable */
	ORPHAN_QUEUED,                 /* in the replay queue */
};

struct post {
	runloop_fn fn;
	void *arg;
	struct post *next;
};

struct runloop {
	struct store *st;
	struct sandbox *sb;
	size_t inflight, ended;
	/* Shared with other threads (the committer, posters), under mu. */
	pthread_mutex_t mu;
	struct runloop_item *ready, **ready_tail;
	struct post *posted, **posted_tail;
	int stop;
	int wake_pending;               /* the eventfd was written since the last grab */
	int efd;
	/* This thread's. */
	struct runloop_item *finished;  /* ended, final record durable: done callbacks due */
	struct http_multi *multi;
	size_t transfers;               /* transfers in the set */
	struct runloop_item **timers;   /* transfers waiting to retry */
	size_t ntimers, cap_timers;
	struct runloop_item *all;
	struct journal_batch *pending;  /* entries not yet submitted */
	uint64_t pending_seq, seq;      /* batches are numbered in submission order */
	/* Batches in flight and how many of their entries are still out. A batch
	 * whose entries were all handled is freed once the committer is past it:
	 * it may still be in the batch's done loop after the last callback. It is,
	 * when a later batch's callback comes (one committer, in order): under mu,
	 * cb_seq is the batch of the latest callback, released every batch before. */
	struct inflight_batch { struct journal_batch *b; size_t left; uint64_t seq; } *batches;
	size_t nbatches, cap_batches;
	uint64_t cb_seq, released;      /* under mu */
	/* Runs to replay on the fresh interpreter after a hard stop, in order. */
	struct runloop_item *replay, **replay_tail;
	struct runloop_stats stats;
};

/* The run executing on this thread, when a loop drives it. */
static __thread struct runloop_item *t_item;

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This thread's CPU time: what recovering from a hard stop costs, apart from
 * what other threads and processes take from it meanwhile. */
static double thread_cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct runloop *runloop_new(struct store *st, const char *lua_dir, char *err, size_t errlen)
{
	struct runloop *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		free(s);
		return NULL;
	}
	s->multi = http_multi_new();
	if (!s->multi) {
		snprintf(err, errlen, "cannot start the HTTP transfers' set (epoll, libcurl)");
		close(s->efd);
		free(s);
		return NULL;
	}
	s->sb = sandbox_new(lua_dir, err, errlen);
	if (!s->sb) {
		http_multi_free(s->multi);
		close(s->efd);
		free(s);
		return NULL;
	}
	s->st = st;
	pthread_mutex_init(&s->mu, NULL);
	s->ready_tail = &s->ready;
	s->posted_tail = &s->posted;
	s->replay_tail = &s->replay;
	return s;
}

static void unlink_item(struct runloop *s, struct runloop_item *it)
{
	if (it->prev_all)
		it->prev_all->next_all = it->next_all;
	else
		s->all = it->next_all;
	if (it->next_all)
		it->next_all->prev_all = it->prev_all;
	it->prev_all = it->next_all = NULL;
}

/* Gives up an item's HTTP wait: the transfer leaves the multi handle or the
 * timers, and what the primitive left with the loop is released. */
static void drop_wait(struct runloop *s, struct runloop_item *it)
{
	if (it->xfer) {
		if (it->due > 0) {
			for (size_t i = 0; i < s->ntimers; i++)
				if (s->timers[i] == it) {
					s->timers[i] = s->timers[--s->ntimers];
					break;
				}
		} else {
			http_multi_remove(s->multi, it->xfer);
			s->transfers--;
		}
		it->xfer = NULL;
		it->due = 0;
	}
	if (it->wait_arg && it->wait_release)
		it->wait_release(it->wait_arg);
	it->wait_arg = NULL;
	it->wait_release = NULL;
	it->wait_done = 0;
	it->write_wait = 0;
}

static void free_item(struct runloop *s, struct runloop_item *it)
{
	drop_wait(s, it);
	unlink_item(s, it);
	sandbox_task_free(s->sb, it->task);
	engine_run_clear(&it->e);
	free(it);
}

static int nothing(struct store *st, struct store_txn *txn, void *ctx, char *err, size_t errlen)
{
	(void)st, (void)txn, (void)ctx, (void)err, (void)errlen;
	return 0;
}

void runloop_free(struct runloop *s)
{
	if (!s)
		return;
	/* Batches in flight: the committer holds pointers to them and to the runs
	 * of their entries. Wait until every callback came, then until the
	 * committer is past them (a write that does nothing, behind them). */
	if (s->pending) {
		journal_batch_free(s->pending);
		s->pending = NULL;
	}
	for (;;) {
		size_t left = 0;
		for (size_t i = 0; i < s->nbatches; i++)
			left += s->batches[i].left;
		if (left == 0)
			break;
		pthread_mutex_lock(&s->mu);
		struct runloop_item *r = s->ready;
		s->ready = NULL;
		s->ready_tail = &s->ready;
		pthread_mutex_unlock(&s->mu);
		if (!r) {
			struct pollfd pfd = { .fd = s->efd, .events = POLLIN };
			uint64_t v;
			if (poll(&pfd, 1, 100) > 0 && read(s->efd, &v, sizeof v) < 0) {
				/* raced with another reader: nothing to do */
			}
			continue;
		}
		for (; r; r = r->next)
			for (size_t i = 0; i < s->nbatches; i++)
				if (s->batches[i].b == r->batch)
					s->batches[i].left--;
	}
	if (s->nbatches > 0) {
		char err[256];
		store_write(s->st, nothing, NULL, err, sizeof err);
		for (size_t i = 0; i < s->nbatches; i++)
			journal_batch_free(s->batches[i].b);
		s->nbatches = 0;
	}
	while (s->all)
		free_item(s, s->all);
	for (struct post *p = s->posted, *n; p; p = n) {
		n = p->next;
		free(p);
	}
	free(s->timers);
	free(s->batches);
	sandbox_free(s->sb);
	http_multi_free(s->multi);
	close(s->efd);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

size_t runloop_inflight(const struct runloop *s) { return s->inflight; }

void runloop_get_stats(const struct runloop *s, struct runloop_stats *out) { *out = s->stats; }

struct runloop *runloop_current(void)
{
	return t_item ? t_item->s : NULL;
}

/* Under s->mu: wakes the loop's thread unless a wake is already on its way. */
static void wake_locked(struct runloop *s)
{
	if (s->wake_pending)
		return;
	s->wake_pending = 1;
	uint64_t one = 1;
	while (write(s->efd, &one, sizeof one) < 0 && errno == EINTR)
		;
}

/* On the committer thread. */
static void on_durable(void *arg, int rc, const char *err)
{
	struct runloop_item *it = arg;
	struct runloop *s = it->s;
	pthread_mutex_lock(&s->mu);
	if (it->batch_seq != s->cb_seq) {
		s->released = s->cb_seq;
		s->cb_seq = it->batch_seq;
	}
	it->rc = rc;
	if (rc)
		snprintf(it->err, sizeof it->err, "%s", err);
	it->next = NULL;
	*s->ready_tail = it;
	s->ready_tail = &it->next;
	wake_locked(s);
	pthread_mutex_unlock(&s->mu);
}

int runloop_post(struct runloop *s, runloop_fn fn, void *arg)
{
	struct post *p = malloc(sizeof *p);
	if (!p)
		return -1;
	p->fn = fn;
	p->arg = arg;
	p->next = NULL;
	pthread_mutex_lock(&s->mu);
	*s->posted_tail = p;
	s->posted_tail = &p->next;
	wake_locked(s);
	pthread_mutex_unlock(&s->mu);
	return 0;
}

void runloop_stop(struct runloop *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	wake_locked(s);
	pthread_mutex_unlock(&s->mu);
}

/* Adds a write of run `it` to this round's batch: it is submitted with the
 * others when the round ends, and on_durable hands the run back. 0, or -1
 * when out of memory. */
static int queue_write(struct runloop *s, struct runloop_item *it, const struct run_rec *rec,
		       const struct journal_entry *entry, struct journal_write *w)
{
	sandbox_noint_enter();
	if (!s->pending) {
		s->pending = journal_batch_new();
		s->pending_seq = ++s->seq;
	}
	int rc = s->pending ? journal_batch_add(s->pending, rec, it->e.rec.id, it->e.key, entry, w,
						it) : -1;
	sandbox_noint_leave();
	if (rc != 0)
		return -1;
	it->batch = s->pending;
	it->batch_seq = s->pending_seq;
	return 0;
}

int runloop_step_wait(lua_State *L, struct engine_run *e, const struct run_rec *rec,
		    const struct journal_entry *entry, int n)
{
	struct runloop_item *it = e->async;
	/* The values stay on the coroutine's stack while it is suspended. */
	it->nvalues = n;
	/* Held until this round of runs is done, then submitted together. */
	if (queue_write(it->s, it, rec, entry, NULL) != 0)
		return luaL_error(L, "%s: out of memory", entry->name);
	return sandbox_suspend_with(L, n);
}

int runloop_write_wait(lua_State *L, struct engine_run *e, const struct run_rec *rec,
		       const struct journal_entry *entry, struct journal_write *w,
		       int (*push)(lua_State *co, void *arg), void *arg, void (*release)(void *arg))
{
	struct runloop_item *it = e->async;
	if (queue_write(it->s, it, rec, entry, w) != 0) {
		sandbox_noint_enter();
		release(arg);
		sandbox_noint_leave();
		return luaL_error(L, "%s: out of memory", entry->name);
	}
	it->wait_push = push;
	it->wait_arg = arg;
	it->wait_release = release;
	it->wait_done = 0;
	it->write_wait = 1;
	return sandbox_suspend(L);
}

/* Puts a transfer (back) into the multi handle. 0, or -1. */
static int add_transfer(struct runloop *s, struct runloop_item *it)
{
	if (http_multi_add(s->multi, it->xfer, it) != 0)
		return -1;
	s->transfers++;
	return 0;
}

int runloop_http_wait(lua_State *L, struct http_xfer *x, int (*push)(lua_State *co, void *arg),
		      void *arg, void (*release)(void *arg))
{
	struct runloop_item *it = t_item;
	if (!it)
		return luaL_error(L, "runloop_http_wait: no run loop drives this run");
	struct runloop *s = it->s;
	it->xfer = x;
	it->due = 0;
	sandbox_noint_enter();
	int rc = add_transfer(s, it);
	sandbox_noint_leave();
	if (rc != 0) {
		it->xfer = NULL;
		sandbox_noint_enter();
		release(arg);
		sandbox_noint_leave();
		return luaL_error(L, "http.request: cannot add the transfer to the run loop");
	}
	it->wait_push = push;
	it->wait_arg = arg;
	it->wait_release = release;
	it->wait_done = 0;
	return sandbox_suspend(L);
}

void *runloop_http_take(void)
{
	struct runloop_item *it = t_item;
	if (!it || !it->wait_done)
		return NULL;
	void *arg = it->wait_arg;
	it->wait_arg = NULL;
	it->wait_release = NULL;
	it->wait_done = 0;
	return arg;
}

static void flush(struct runloop *s)
{
	if (!s->pending)
		return;
	if (s->nbatches == s->cap_batches) {
		size_t cap = s->cap_batches ? s->cap_batches * 2 : 16;
		struct inflight_batch *g = realloc(s->batches, cap * sizeof *g);
		if (!g)
			abort();            /* cannot track it: nothing sane to do */
		s->batches = g;
		s->cap_batches = cap;
	}
	s->batches[s->nbatches++] = (struct inflight_batch){ s->pending, journal_batch_size(s->pending),
							     s->pending_seq };
	struct journal_batch *b = s->pending;
	s->pending = NULL;
	journal_batch_submit(s->st, b, on_durable);
}

/* One entry of `b` was handled. */
static void batch_entry_done(struct runloop *s, struct journal_batch *b)
{
	for (size_t i = 0; i < s->nbatches; i++)
		if (s->batches[i].b == b) {
			s->batches[i].left--;
			return;
		}
}

/* Frees the batches that are done and that the committer is past. */
static void free_batches(struct runloop *s, uint64_t released)
{
	for (size_t i = 0; i < s->nbatches;) {
		if (s->batches[i].left == 0 && s->batches[i].seq <= released) {
			journal_batch_free(s->batches[i].b);
			s->batches[i] = s->batches[--s->nbatches];
		} else {
			i++;
		}
	}
}

/* The step's values were left on the coroutine's stack by the yield. */
static int push_values(lua_State *co, void *arg)
{
	(void)co;
	struct runloop_item *it = arg;
	return it->nvalues;
}

/* The run ended (or waits, parked): its final record goes out in this
 * round's batch like a journal entry (one commit for the ends of many runs,
 * no thread waiting on it); handle_ready finishes it once durable. */
static void end_item(struct runloop *s, struct runloop_item *it)
{
	drop_wait(s, it);
	int status = engine_epilogue_begin(&it->e);
	if (status < 0 && queue_write(s, it, &it->e.rec, NULL, NULL) == 0) {
		it->closing = 1;
		return;
	}
	if (status < 0) {                     /* out of memory: write it here */
		char err[512];
		int rc = run_save(s->st, &it->e.rec, NULL, NULL, err, sizeof err);
		status = engine_epilogue_end(&it->e, rc, err);
	}
	it->status = status;
	it->next = s->finished;
	s->finished = it;
}

static void closed_items(struct runloop *s, struct runloop_item *list)
{
	while (list) {
		struct runloop_item *it = list;
		list = it->next;
		if (it->done)
			it->done(&it->e, it->status, it->ud);
		unlink_item(s, it);
		engine_run_clear(&it->e);
		free(it);
		s->inflight--;
		s->ended++;
	}
}

/* Ends a run that cannot go on, with `msg` as its error. */
static void fail_item(struct runloop *s, struct runloop_item *it, enum sandbox_status status,
		      const char *msg)
{
	sandbox_task_free(s->sb, it->task);
	it->task = NULL;
	it->e.pb.status = PLAYBOOK_FAILED;
	sandbox_outcome_clear(&it->e.pb.outcome);
	it->e.pb.outcome.status = status;
	it->e.pb.outcome.message = strdup(msg);
	end_item(s, it);
}

/* ---- hard stops ----
 * A run that a hard stop ends (a loop the JIT compiled, a long C call) takes
 * the interpreter with it: the sandbox drops the state's heap whole, and the
 * coroutine of every other run suspended on it is gone. Those runs are
 * durable, so each is replayed on the fresh state (engine_rewind: from the
 * top, recorded steps returning their recorded results) once everything it
 * wrote is durable:
 * - waiting on its journal entry (or a write step's entry) in a batch: when
 *   the entry is durable (handle_ready), so the replay reads it and a case
 *   note is neither lost nor written twice;
 * - waiting on an HTTP request (in flight, on a retry timer, or done but not
 *   yet continued): at once; the transfer is cancelled and the replay sends
 *   the request again, with the same Idempotency-Key (run and step), as
 *   after a crash. Keeping the transfer would need the replay to match it to
 *   a request it has not made yet; a request is cheaper than that code.
 * The replays run from the loop (run_replays), one after another: one that
 * meets a hard stop of its own (the replayed run is the hostile one) fails,
 * and the runs that stop orphaned join the queue again. */
static void queue_replay(struct runloop *s, struct runloop_item *it)
{
	it->orphan = ORPHAN_QUEUED;
	it->replay_next = NULL;
	*s->replay_tail = it;
	s->replay_tail = &it->replay_next;
}

/* Run `stopped` was hard-stopped (its outcome says the state was discarded):
 * every run with a coroutine had it on that state. */
static void orphan_all(struct runloop *s, const struct runloop_item *stopped)
{
	size_t n = 0;
	double t0 = mono(), c0 = thread_cpu();
	s->stats.hard_stops++;
	for (struct runloop_item *it = s->all; it; it = it->next_all) {
		if (!it->task)
			continue;            /* ending, or orphaned already */
		sandbox_task_free(s->sb, it->task);     /* the struct only: its state is gone */
		it->task = NULL;
		s->stats.orphaned++;
		n++;
		if (it->batch) {
			/* A write step's journal_write stays the batch's until done. */
			it->orphan = ORPHAN_AWAIT;
			continue;
		}
		drop_wait(s, it);
		queue_replay(s, it);
	}
	s->stats.replay_seconds += mono() - t0;
	s->stats.replay_cpu_seconds += thread_cpu() - c0;
	char msg[256];
	int len = snprintf(msg, sizeof msg, "a hard stop of this run replaced its interpreter; the %zu "
			   "other runs suspended on it are replayed from their journals", n);
	log_emit(LOG_WARN, "runloop", stopped->e.rec.id, msg, (size_t)len, NULL);
}

/* After a start or a continue: keep it in flight, or end it. */
static void settle(struct runloop *s, struct runloop_item *it, enum playbook_status st)
{
	if (st == PLAYBOOK_SUSPENDED)
		return;
	it->task = NULL;
	if (it->e.pb.outcome.state_discarded)
		orphan_all(s, it);
	if (it->batch) {
		/* A hard stop can land after the run queued a step's entry and
		 * before it suspended. Its final record waits for that entry (a run
		 * has at most one entry in a batch); handle_ready ends it. */
		it->end_deferred = 1;
		return;
	}
	end_item(s, it);
}

/* Executes an orphaned run again from the top against its journal. */
static void replay(struct runloop *s, struct runloop_item *it)
{
	char err[256], msg[512];
	double t0 = mono(), c0 = thread_cpu();
	it->orphan = ORPHAN_NONE;
	it->wait_done = 0;
	if (engine_rewind(&it->e, err, sizeof err) != 0) {
		snprintf(msg, sizeof msg, "a hard stop of another run replaced the interpreter this run "
			 "was suspended on, and its journal could not be read to replay it: %s; "
			 "start the playbook again once the store reads", err);
		fail_item(s, it, SANDBOX_INTERNAL, msg);
		return;
	}
	struct runloop_item *prev = t_item;
	t_item = it;
	enum playbook_status st = playbook_start(s->sb, &it->e.pb, &it->task);
	t_item = prev;
	s->stats.replayed++;
	s->stats.replay_seconds += mono() - t0;
	s->stats.replay_cpu_seconds += thread_cpu() - c0;
	settle(s, it, st);
}

/* Returns 1 if a run was replayed. */
static int run_replays(struct runloop *s)
{
	int progress = 0;
	while (s->replay) {
		struct runloop_item *it = s->replay;
		s->replay = it->replay_next;
		if (!s->replay)
			s->replay_tail = &s->replay;
		it->replay_next = NULL;
		replay(s, it);
		progress = 1;
	}
	return progress;
}

static void resume(struct runloop *s, struct runloop_item *it,
		   int (*push)(lua_State *co, void *arg), void *arg)
{
	if (it->orphan)
		return;              /* its coroutine is gone: it is replayed instead */
	struct runloop_item *prev = t_item;
	t_item = it;
	enum playbook_status st = playbook_continue(s->sb, &it->e.pb, it->task, push, arg);
	t_item = prev;
	settle(s, it, st);
}

int runloop_start(struct runloop *s, const struct playbook_src *src, const char *input_json,
		const struct engine_options *opt, runloop_done_fn done, void *ud)
{
	struct runloop_item *it = calloc(1, sizeof *it);
	if (!it)
		return -1;
	it->s = s;
	it->done = done;
	it->ud = ud;
	engine_setup(s->st, src, NULL, 0, input_json, opt, &it->e);
	engine_prologue(&it->e);
	it->e.async = it;
	it->next_all = s->all;
	if (s->all)
		s->all->prev_all = it;
	s->all = it;
	s->inflight++;
	struct runloop_item *prev = t_item;
	t_item = it;
	enum playbook_status st = playbook_start(s->sb, &it->e.pb, &it->task);
	t_item = prev;
	settle(s, it, st);
	return 0;
}

/* Journal entries made durable (or not): continue those runs. */
static void handle_ready(struct runloop *s, struct runloop_item *batch)
{
	while (batch) {
		struct runloop_item *it = batch;
		batch = it->next;
		batch_entry_done(s, it->batch);
		it->batch = NULL;
		if (it->closing) {
			it->closing = 0;
			it->status = engine_epilogue_end(&it->e, it->rc, it->err);
			it->next = s->finished;
			s->finished = it;
		} else if (it->end_deferred) {
			it->end_deferred = 0;
			end_item(s, it);     /* its outcome stands, whatever the entry's */
		} else if (it->rc != 0) {
			/* The journal could not be written: the run cannot go on. */
			char msg[300];
			snprintf(msg, sizeof msg, "journal write failed: %s", it->err);
			fail_item(s, it, SANDBOX_ERROR, msg);
		} else if (it->orphan) {
			/* Durable now: the replay reads this entry (orphan_all). */
			drop_wait(s, it);    /* a write step's values: the journal has them */
			it->e.recorded = 1;
			queue_replay(s, it);
		} else if (it->write_wait) {
			/* A write step: its values come from the write (journal_write). */
			int (*push)(lua_State *, void *) = it->wait_push;
			void *arg = it->wait_arg;
			void (*release)(void *) = it->wait_release;
			it->wait_push = NULL;
			it->wait_arg = NULL;
			it->wait_release = NULL;
			it->write_wait = 0;
			it->e.recorded = 1;
			resume(s, it, push, arg);
			release(arg);
		} else {
			it->e.recorded = 1;
			resume(s, it, push_values, it);
		}
	}
}

/* Finished transfers (and redirect hops, retries). Returns 1 if a run went on. */
static int drive_curl(struct runloop *s)
{
	if (s->transfers == 0)
		return 0;
	http_multi_drive(s->multi);
	struct runloop_item *done = NULL, **tail = &done;
	struct http_xfer *x;
	int rc;
	void *ud;
	while ((x = http_multi_done(s->multi, &rc, &ud))) {
		struct runloop_item *it = ud;
		s->transfers--;
		switch (http_xfer_done(it->xfer, rc)) {
		case HTTP_XFER_AGAIN:
			if (add_transfer(s, it) == 0)
				continue;
			break;                            /* cannot: done with the hop's outcome */
		case HTTP_XFER_WAIT: {
			if (s->ntimers == s->cap_timers) {
				size_t cap = s->cap_timers ? s->cap_timers * 2 : 16;
				struct runloop_item **t = realloc(s->timers, cap * sizeof *t);
				if (!t)
					break;
				s->timers = t;
				s->cap_timers = cap;
			}
			it->due = mono() + http_xfer_delay(it->xfer);
			s->timers[s->ntimers++] = it;
			continue;
		}
		case HTTP_XFER_DONE:
			break;
		}
		it->xfer = NULL;
		it->next = NULL;
		*tail = it;
		tail = &it->next;
	}
	int progress = done != NULL;
	while (done) {
		struct runloop_item *it = done;
		done = it->next;
		it->wait_done = 1;
		resume(s, it, it->wait_push, it->wait_arg);
	}
	return progress;
}

/* Retry waits that are over go back into the multi handle. Returns the
 * milliseconds until the next one (-1: none). */
static int run_timers(struct runloop *s)
{
	double t = mono(), next = -1;
	for (size_t i = 0; i < s->ntimers;) {
		struct runloop_item *it = s->timers[i];
		if (it->due <= t) {
			s->timers[i] = s->timers[--s->ntimers];
			it->due = 0;
			if (add_transfer(s, it) != 0) {
				/* Should not happen; finish with what the last attempt got. */
				it->xfer = NULL;
				it->wait_done = 1;
				resume(s, it, it->wait_push, it->wait_arg);
			}
			continue;
		}
		if (next < 0 || it->due - t < next)
			next = it->due - t;
		i++;
	}
	return next < 0 ? -1 : (int)(next * 1000) + 1;
}

static size_t loop(struct runloop *s, int serve)
{
	size_t ended0 = s->ended;
	for (;;) {
		flush(s);
		pthread_mutex_lock(&s->mu);
		struct runloop_item *ready = s->ready;
		s->ready = NULL;
		s->ready_tail = &s->ready;
		struct post *posts = s->posted;
		s->posted = NULL;
		s->posted_tail = &s->posted;
		s->wake_pending = 0;
		int stop = s->stop;
		uint64_t released = s->released;
		pthread_mutex_unlock(&s->mu);
		struct runloop_item *closed = s->finished;
		s->finished = NULL;
		int progress = ready || posts || closed;
		closed_items(s, closed);
		while (posts) {
			struct post *p = posts;
			posts = p->next;
			p->fn(s, p->arg);
			free(p);
		}
		handle_ready(s, ready);
		free_batches(s, released);
		progress |= drive_curl(s);
		progress |= run_replays(s);
		int timeout = run_timers(s);
		if (progress || s->pending || s->replay)
			continue;
		if (s->inflight == 0 && (!serve || stop)) {
			if (serve) {
				pthread_mutex_lock(&s->mu);
				s->stop = 0;          /* the next runloop_serve serves again */
				pthread_mutex_unlock(&s->mu);
			}
			break;
		}
		if (timeout < 0 || timeout > 1000)
			timeout = 1000;
		int ht = s->transfers ? http_multi_timeout(s->multi) : -1;
		if (ht >= 0 && ht < timeout)
			timeout = ht;
		struct pollfd pfd[2] = { { .fd = s->efd, .events = POLLIN },
					 { .fd = http_multi_fd(s->multi), .events = POLLIN } };
		poll(pfd, 2, timeout);
		uint64_t v;
		if (read(s->efd, &v, sizeof v) < 0) {
			/* EAGAIN: woken by a transfer or the timeout */
		}
	}
	return s->ended - ended0;
}

size_t runloop_run(struct runloop *s)
{
	return loop(s, 0);
}

size_t runloop_serve(struct runloop *s)
{
	return loop(s, 1);
}
