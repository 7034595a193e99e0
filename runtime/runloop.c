/* runloop.c - see runloop.h. The committer thread reports durable writes through a
 * mutex-protected ready list; this thread continues those runs in order. */
#include "runloop.h"

#include <lauxlib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct runloop_item {
	struct engine_run e;
	struct runloop *s;
	struct sandbox_task *task;
	runloop_done_fn done;
	void *ud;
	struct journal_batch *batch;   /* the batch its entry went out in */
	int values_ref, nvalues;
	int rc;
	char err[256];
	struct runloop_item *next;
};

struct runloop {
	struct store *st;
	struct sandbox *sb;
	size_t inflight;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct runloop_item *ready, **ready_tail;
	struct journal_batch *pending;  /* entries not yet submitted */
	/* Batches in flight and how many of their entries are still out. */
	struct inflight_batch { struct journal_batch *b; size_t left; } *batches;
	size_t nbatches, cap_batches;
};

struct runloop *runloop_new(struct store *st, const char *lua_dir, char *err, size_t errlen)
{
	struct runloop *s = calloc(1, sizeof *s);
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->sb = sandbox_new(lua_dir, err, errlen);
	if (!s->sb) {
		free(s);
		return NULL;
	}
	s->st = st;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->ready_tail = &s->ready;
	return s;
}

void runloop_free(struct runloop *s)
{
	if (!s)
		return;
	free(s->batches);
	sandbox_free(s->sb);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

size_t runloop_inflight(const struct runloop *s) { return s->inflight; }

/* On the committer thread. */
static void on_durable(void *arg, int rc, const char *err)
{
	struct runloop_item *it = arg;
	struct runloop *s = it->s;
	pthread_mutex_lock(&s->mu);
	it->rc = rc;
	if (rc)
		snprintf(it->err, sizeof it->err, "%s", err);
	it->next = NULL;
	*s->ready_tail = it;
	s->ready_tail = &it->next;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int runloop_step_wait(lua_State *L, struct engine_run *e, const struct run_rec *rec,
		    const struct journal_entry *entry, int n)
{
	struct runloop_item *it = e->async;
	lua_createtable(L, n, 0);
	for (int i = 1; i <= n; i++) {
		lua_pushvalue(L, -n - 1 + i - 1);
		lua_rawseti(L, -2, i);
	}
	it->values_ref = luaL_ref(L, LUA_REGISTRYINDEX);
	it->nvalues = n;
	struct runloop *s = it->s;
	sandbox_noint_enter();
	/* Held until this round of runs is done, then submitted together. */
	if (!s->pending)
		s->pending = journal_batch_new();
	int rc = s->pending ? journal_batch_add(s->pending, rec, e->rec.id, entry, it) : -1;
	sandbox_noint_leave();
	if (rc != 0)
		return luaL_error(L, "%s: out of memory", entry->name);
	it->batch = s->pending;
	return sandbox_suspend(L);
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
	s->batches[s->nbatches++] = (struct inflight_batch){ s->pending, journal_batch_size(s->pending) };
	struct journal_batch *b = s->pending;
	s->pending = NULL;
	journal_batch_submit(s->st, b, on_durable);
}

/* One entry of `b` was handled: free the batch after its last. */
static void batch_entry_done(struct runloop *s, struct journal_batch *b)
{
	for (size_t i = 0; i < s->nbatches; i++)
		if (s->batches[i].b == b) {
			if (--s->batches[i].left == 0) {
				journal_batch_free(b);
				s->batches[i] = s->batches[--s->nbatches];
			}
			return;
		}
}

static int push_values(lua_State *co, void *arg)
{
	struct runloop_item *it = arg;
	lua_rawgeti(co, LUA_REGISTRYINDEX, it->values_ref);
	for (int i = 1; i <= it->nvalues; i++)
		lua_rawgeti(co, -i, i);
	lua_remove(co, -it->nvalues - 1);
	luaL_unref(co, LUA_REGISTRYINDEX, it->values_ref);
	it->values_ref = LUA_NOREF;
	return it->nvalues;
}

static void end_item(struct runloop *s, struct runloop_item *it)
{
	int status = engine_epilogue(&it->e);
	if (it->done)
		it->done(&it->e, status, it->ud);
	engine_run_clear(&it->e);
	free(it);
	s->inflight--;
}

/* After a start or a continue: keep it in flight, or end it. */
static void settle(struct runloop *s, struct runloop_item *it, enum playbook_status st)
{
	if (st == PLAYBOOK_SUSPENDED)
		return;
	it->task = NULL;
	end_item(s, it);
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
	it->values_ref = LUA_NOREF;
	engine_setup(s->st, src, NULL, 0, input_json, opt, &it->e);
	engine_prologue(&it->e);
	it->e.async = it;
	s->inflight++;
	settle(s, it, playbook_start(s->sb, &it->e.pb, &it->task));
	return 0;
}

size_t runloop_run(struct runloop *s)
{
	size_t ended = 0;
	while (s->inflight > 0) {
		flush(s);
		pthread_mutex_lock(&s->mu);
		while (!s->ready)
			pthread_cond_wait(&s->cv, &s->mu);
		struct runloop_item *batch = s->ready;
		s->ready = NULL;
		s->ready_tail = &s->ready;
		pthread_mutex_unlock(&s->mu);
		while (batch) {
			struct runloop_item *it = batch;
			batch = it->next;
			batch_entry_done(s, it->batch);
			it->batch = NULL;
			size_t before = s->inflight;
			if (it->rc != 0) {
				/* The journal could not be written: the run cannot go on. */
				sandbox_task_free(s->sb, it->task);
				it->task = NULL;
				it->e.pb.status = PLAYBOOK_FAILED;
				sandbox_outcome_clear(&it->e.pb.outcome);
				it->e.pb.outcome.status = SANDBOX_ERROR;
				char msg[300];
				snprintf(msg, sizeof msg, "journal write failed: %s", it->err);
				it->e.pb.outcome.message = strdup(msg);
				end_item(s, it);
			} else {
				it->e.recorded = 1;
				settle(s, it, playbook_continue(s->sb, &it->e.pb, it->task, push_values, it));
			}
			ended += before - s->inflight;
		}
	}
	return ended;
}
