/* daemon_work.c - the worker threads. Tasks: start a playbook run on a case,
 * resume a waiting run, write a note. Runs are durable (engine.h): a run that
 * must wait parks in the store and the worker moves on; the loop thread resumes
 * it when its time or its answer has come.
 *
 * Each worker thread serves an event-driven run loop (runloop.h): new runs are
 * posted to the workers in turn and many run at once on each, their store
 * writes group-committed and their HTTP calls on the loop's transfer set.
 * Resumes run synchronously on the same thread (runloop has no resume yet)
 * with a sandbox made when first needed. The number of tasks not yet done is
 * bounded (d->cap): past it work_submit refuses and the HTTP side answers 429. */
#include "case.h"
#include "daemon_int.h"
#include "engine.h"
#include "log.h"
#include "metrics.h"
#include "runloop.h"

#include <stdatomic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void task_free(struct task *t)
{
	if (!t)
		return;
	if (t->set)
		pb_set_unref(t->set);
	free(t->input_json);
	free(t->text);
	free(t);
}

struct worker {
	struct daemon *d;
	struct runloop *rl;
	/* Runs of this loop in flight, and starts held back past `max_runs`
	 * (loop thread only). */
	size_t running;
	struct task *held, **held_tail;
	struct sandbox *sb;           /* for resumes and notes, made when needed */
	pthread_t th;
	int ready;
};

static struct worker *workers;
static int nworkers;
/* Most runs in flight on one loop (SOARCTL_WORKER_RUNS, default 5000; 0 =
 * no limit). A burst of alerts past it waits in the worker (still counted
 * against --queue) instead of each run opening its own connection, curl
 * handle and coroutine at once: with 20,000 alerts posted in a second, all
 * of them in flight spent most of the daemon's time in the kernel finding
 * ephemeral ports for 20,000 connections (2,100-3,000 runs/s); 2 x 2048 in
 * flight reuse their connections (11,600/s). But runs waiting on a slow API
 * hold their connection: 10,000 of them waiting on an API that answers in 1 s
 * took 3.6 s in waves of 2 x 2048, 2.0 s with 2 x 5000, which still gives
 * 10,500 runs/s in the burst. Runs that park (prompts, long sleeps) do not
 * count. */
#define WORKER_RUNS_DEFAULT 5000
static size_t max_runs;
static _Atomic unsigned next_worker;
static _Atomic long outstanding;  /* tasks posted, not done */

static void do_task(struct daemon *d, struct sandbox *sb, struct task *t);

static void rl_task(struct runloop *rl, void *arg);

static void rl_done(struct engine_run *e, int status, void *ud)
{
	struct task *t = ud;
	struct worker *w = t->w_;
	w->running--;
	if (w->held) {                       /* the next held start, posted: not from here */
		struct task *n = w->held;
		w->held = n->next;
		if (!w->held)
			w->held_tail = &w->held;
		if (runloop_post(w->rl, rl_task, n) != 0) {
			atomic_fetch_sub(&outstanding, 1);
			n->status = -1;
			daemon_post(t->d_, POST_TASK_DONE, n);
		}
	}
	snprintf(t->run_id, sizeof t->run_id, "%s", e->rec.id);
	t->status = status;
	if (status == RUN_SUCCEEDED)
		metric_add(M_RUNS_SUCCEEDED, 1);
	else if (status == RUN_WAITING)
		metric_add(M_RUNS_WAITING, 1);
	else {
		metric_add(M_RUNS_FAILED, 1);
		char *ej = engine_error_json(e);
		dlog(LOG_WARN, t->run_id, "run of %s failed: %s", t->pb->name,
		     ej ? ej : "invalid playbook or inputs");
		free(ej);
	}
	atomic_fetch_sub(&outstanding, 1);
	metric_set(M_QUEUE_DEPTH, atomic_load(&outstanding));
	daemon_post(t->d_, POST_TASK_DONE, t);
}

/* A note (a duplicate's count) from a loop thread goes to the store without
 * waiting: the loop's other runs must not stand still for its commit. The
 * task is done once the note is durable (note_done, on the committer). */
struct note_job {
	struct store_ticket t;         /* first: on_done gets the ticket */
	struct case_note_req *req;
	struct task *task;
	struct daemon *d;
};

static void note_done(struct store_ticket *tk)
{
	struct note_job *j = (struct note_job *)tk;
	if (tk->rc != 0)
		dlog(LOG_WARN, NULL, "note on case %s: %s", j->task->case_ref, tk->err);
	case_note_free(j->req);
	atomic_fetch_sub(&outstanding, 1);
	metric_set(M_QUEUE_DEPTH, atomic_load(&outstanding));
	daemon_post(j->d, POST_TASK_DONE, j->task);
	free(j);
}

/* 0 when submitted (note_done finishes the task), else -1. */
static int note_submit(struct daemon *d, struct task *t)
{
	char err[256];
	struct note_job *j = calloc(1, sizeof *j);
	if (!j)
		return -1;
	j->req = case_note_prepare(t->case_ref, CASE_ENTRY_NOTE, "serve:preprocess", t->text, NULL,
				   err, sizeof err);
	if (!j->req) {
		dlog(LOG_WARN, NULL, "note on case %s: %s", t->case_ref, err);
		free(j);
		return -1;
	}
	j->task = t;
	j->d = d;
	j->t.apply = case_note_apply;
	j->t.ctx = j->req;
	j->t.on_done = note_done;
	store_submit(d->st, &j->t);
	return 0;
}

/* On a worker's loop thread. */
static void rl_task(struct runloop *rl, void *arg)
{
	struct task *t = arg;
	struct worker *w = t->w_;
	struct daemon *d = w->d;
	if (t->kind == TASK_NOTE && note_submit(d, t) == 0)
		return;
	if (t->kind == TASK_START) {
		if (max_runs && w->running >= max_runs) {
			t->next = NULL;
			*w->held_tail = t;
			w->held_tail = &t->next;
			return;
		}
		struct engine_options eo;
		memset(&eo, 0, sizeof eo);
		sandbox_limits_default(&eo.limits);
		eo.case_ref = t->case_ref[0] ? t->case_ref : NULL;
		eo.actor = t->actor[0] ? t->actor : NULL;
		eo.run_id = t->run_id[0] ? t->run_id : NULL;
		metric_add(M_RUNS_STARTED, 1);
		w->running++;
		if (runloop_start(rl, &t->pb->src, t->input_json, &eo, rl_done, t) == 0)
			return;
		w->running--;
		t->status = -1;
	} else if (t->kind != TASK_NOTE) {     /* a note that could not be submitted is dropped */
		char err[256];
		if (!w->sb && !(w->sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err)))
			dlog(LOG_ERROR, NULL, "worker: %s", err);
		if (w->sb)
			do_task(d, w->sb, t);
	}
	atomic_fetch_sub(&outstanding, 1);
	metric_set(M_QUEUE_DEPTH, atomic_load(&outstanding));
	daemon_post(d, POST_TASK_DONE, t);
}

int work_submit(struct daemon *d, struct task *t)
{
	if (d->quit || atomic_load(&outstanding) >= (long)d->cap) {
		task_free(t);
		return -1;
	}
	struct worker *w = &workers[atomic_fetch_add(&next_worker, 1) % (unsigned)nworkers];
	t->w_ = w;
	t->d_ = d;
	atomic_fetch_add(&outstanding, 1);
	metric_set(M_QUEUE_DEPTH, atomic_load(&outstanding));
	if (runloop_post(w->rl, rl_task, t) != 0) {
		atomic_fetch_sub(&outstanding, 1);
		task_free(t);
		return -1;
	}
	return 0;
}

size_t work_depth(struct daemon *d)
{
	(void)d;
	return (size_t)atomic_load(&outstanding);
}

static void count_status(int status)
{
	if (status == RUN_SUCCEEDED)
		metric_add(M_RUNS_SUCCEEDED, 1);
	else if (status == RUN_WAITING)
		metric_add(M_RUNS_WAITING, 1);
	else
		metric_add(M_RUNS_FAILED, 1);
}

static void do_task(struct daemon *d, struct sandbox *sb, struct task *t)
{
	struct sandbox_limits lim;
	sandbox_limits_default(&lim); /* not runopts_init: it resets logging */
	char err[512];
	if (t->kind == TASK_START) {
		struct engine_options eo;
		memset(&eo, 0, sizeof eo);
		eo.limits = lim;
		eo.case_ref = t->case_ref[0] ? t->case_ref : NULL;
		eo.actor = t->actor[0] ? t->actor : NULL;
		eo.run_id = t->run_id[0] ? t->run_id : NULL;
		struct engine_run e;
		metric_add(M_RUNS_STARTED, 1);
		int status = engine_start(sb, d->st, &t->pb->src, NULL, 0, t->input_json, &eo, &e);
		if (status > 0)
			engine_run_children(sb, &e, &lim);
		snprintf(t->run_id, sizeof t->run_id, "%s", e.rec.id);
		t->status = status;
		count_status(status);
		if (status == RUN_FAILED || status == 0) {
			char *ej = engine_error_json(&e);
			dlog(LOG_WARN, t->run_id, "run of %s failed: %s", t->pb->name,
				 ej ? ej : "invalid playbook or inputs");
			free(ej);
		}
		engine_run_clear(&e);
	} else if (t->kind == TASK_RESUME) {
		struct engine_run e;
		metric_add(M_RUNS_RESUMED, 1);
		int status = engine_resume(sb, d->st, t->run_id, &lim, &e, err, sizeof err);
		if (status > 0)
			engine_run_children(sb, &e, &lim);
		else
			dlog(LOG_WARN, t->run_id, "resume failed: %s", err);
		t->status = status;
		if (status > 0)
			count_status(status);
		engine_run_clear(&e);
	} else if (t->kind == TASK_NOTE) {
		if (case_note(d->st, t->case_ref, CASE_ENTRY_NOTE, "serve:preprocess", t->text,
			      NULL, NULL, err, sizeof err) != 0)
			dlog(LOG_WARN, NULL, "note on case %s: %s", t->case_ref, err);
	}
}

static void *rl_worker(void *arg)
{
	struct worker *w = arg;
	runloop_serve(w->rl);
	return NULL;
}

int work_init(struct daemon *d, char *err, size_t errlen)
{
	d->nthreads = d->o.workers > 0 ? d->o.workers : 2;
	nworkers = d->nthreads;
	workers = calloc((size_t)nworkers, sizeof *workers);
	if (!workers) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	const char *mr = getenv("SOARCTL_WORKER_RUNS");
	max_runs = mr ? strtoul(mr, NULL, 10) : WORKER_RUNS_DEFAULT;
	for (int i = 0; i < nworkers; i++) {
		workers[i].d = d;
		workers[i].held_tail = &workers[i].held;
		if (!(workers[i].rl = runloop_new(d->st, getenv("SOARCTL_LUA_DIR"), err, errlen)))
			return -1;
	}
	for (int i = 0; i < nworkers; i++)
		if (pthread_create(&workers[i].th, NULL, rl_worker, &workers[i]) != 0) {
			snprintf(err, errlen, "cannot start worker threads");
			return -1;
		}
	return 0;
}

/* Asks the workers to stop: runloop_serve drains (posted work runs, runs in
 * flight end); runs waiting in the store are picked up at the next start. */
void work_stop(struct daemon *d)
{
	d->quit = 1;
	for (int i = 0; i < nworkers; i++)
		runloop_stop(workers[i].rl);
}

int work_busy(struct daemon *d)
{
	(void)d;
	return (int)atomic_load(&outstanding);
}

void work_join(struct daemon *d)
{
	for (int i = 0; i < nworkers; i++) {
		pthread_join(workers[i].th, NULL);
		runloop_free(workers[i].rl);
		if (workers[i].sb)
			sandbox_free(workers[i].sb);
	}
	free(workers);
	workers = NULL;
	nworkers = 0;
	d->nthreads = 0;
}
