/* daemon.h - `soarctl serve`: the parts of the daemon and what they share.
 *
 *   daemon.c          the libev main loop: signals (SIGTERM drains, SIGHUP
 *                     reloads), the tick (scheduler, waiting runs, job records),
 *                     the hand-back queue from workers and the store's committer
 *   daemon_pb.c       loading the playbooks directory (metadata read in a sandbox)
 *   daemon_work.c     the worker threads: a run loop each, a bound on tasks
 *   daemon_api.c      the HTTP routes (auth, cases, runs, jobs, prompts, EDL...)
 *   ingest.c          POST /api/v1/alerts: parse, pre-process, create cases
 *   jobs.c            scheduled jobs: next fires, overlap and missed-run policy,
 *                     their records in the store (pause, run now)
 *
 * Threads: everything but the workers and the store's committer runs on the
 * loop's thread; those two hand results back through daemon_post (an ev_async). */
#ifndef SOAR_DAEMON_H
#define SOAR_DAEMON_H

#include "cron.h"
#include "httpd.h"
#include "playbook.h"
#include "preproc.h"
#include "store.h"

#include <ev.h>
#include <pthread.h>
#include <stdint.h>

struct daemon_opts {
	const char *listen;       /* "127.0.0.1:8080" */
	int workers;
	const char *data_dir;
	const char *playbooks_dir;
	int mock;
	int log_json;
	size_t queue_cap;         /* worker task queue; 429 past it */
	double tick_s;            /* scheduler/waiting-run tick; default 0.25 */
};

enum job_overlap { OVERLAP_SKIP, OVERLAP_QUEUE, OVERLAP_ALLOW };
enum job_missed { MISSED_RUN_ONCE, MISSED_SKIP };

/* A playbook as loaded, with what the daemon reads from its table. */
struct pb_meta {
	char *name, *description, *path;
	struct playbook_src src;
	char *schedule, *tz;      /* NULL: not scheduled */
	struct cron_expr cron;
	enum job_overlap overlap;
	enum job_missed missed;
	int grace_s;              /* missed runs older than this are skipped */
	struct pp_match *triggers;
	int ntriggers;
	struct pp_rule *rules;
	int nrules;
};

/* One loaded playbooks directory; replaced as a whole on reload. Refcounted:
 * tasks in flight keep the set they started from. */
struct pb_set {
	struct pb_meta *pb;
	int n;
	const struct pp_rule **rules;  /* every playbook's rules, in file order */
	int nrules;
	int refs;                      /* atomic */
};

/* Loads every *.lua (not *_test.lua) of dir. NULL with a message naming the
 * file and the problem when any does not load. */
struct pb_set *pb_set_load(const char *dir, char *err, size_t errlen);
const struct pb_meta *pb_set_find(const struct pb_set *s, const char *name);
void pb_set_ref(struct pb_set *s);
void pb_set_unref(struct pb_set *s);

/* ---- scheduled jobs (jobs.c) ---- */
struct job {
	char name[128];
	const struct pb_meta *pb;      /* in the daemon's current set */
	int64_t next;                  /* next fire, Unix seconds; 0 none */
	int64_t last;                  /* last fire, seconds */
	int running;                   /* runs of this job in flight */
	int queued;                    /* overlap=queue: a fire waits */
	int paused;
	int64_t run_now_seen;          /* the last "run now" request acted on (ms) */
	int dirty_;                    /* private: its record needs saving */
};

/* ---- worker tasks (daemon_work.c) ---- */
enum task_kind { TASK_START, TASK_RESUME, TASK_NOTE };

struct task {
	enum task_kind kind;
	struct pb_set *set;            /* START: holds a ref */
	const struct pb_meta *pb;      /* START */
	char *input_json;              /* START: or NULL */
	char case_ref[40];             /* START: the case; NOTE: where */
	char run_id[37];               /* RESUME; out: the run */
	char job[128];                 /* START from a job: its name */
	char *text;                    /* NOTE */
	int status;                    /* out: the run's status (0 invalid, -1 error) */
	struct task *next;
	struct worker *w_;             /* private (daemon_work.c) */
	struct daemon *d_;
};

struct daemon;
/* Queues a task; -1 when the queue is full (the caller answers 429). Takes
 * ownership of t either way. */
int work_submit(struct daemon *d, struct task *t);
size_t work_depth(struct daemon *d);
void task_free(struct task *t);

/* Hands a finished task (or another event) back to the loop thread. */
enum post_kind { POST_TASK_DONE, POST_CASE_DONE };
void daemon_post(struct daemon *d, enum post_kind kind, void *p);

struct daemon {
	struct daemon_opts o;
	struct ev_loop *loop;
	struct store *st;
	struct httpd *http;
	struct pb_set *set;            /* current playbooks */
	struct integ_snap *integ;      /* current integrations and their config (installed) */
	struct job *jobs;
	int njobs;
	struct pp_window *window;
	ev_signal sigterm, sigint, sighup;
	ev_timer tick, drain_timer;
	ev_async wake;
	int stopping;
	/* the hand-back queue */
	pthread_mutex_t post_mu;
	struct post_item *posts;
	/* workers */
	int nthreads;
	size_t cap;
	int quit;
	/* runs the loop has queued and not seen finish: never twice at once */
	char (*inflight)[37];
	size_t ninflight, capinflight;
	/* auth cache (rbac_token_auth writes an audit entry per use) */
	struct auth_cache *auth;
	double started;
};

/* daemon_api.c */
void api_handle(struct httpd_req *r, void *ud);
/* The route's authentication, at the request's head (httpd_set_gate). */
void api_gate(struct httpd_req *r, void *ud);
/* ingest.c */
void ingest_alerts(struct daemon *d, struct httpd_req *r, const char *user);
void ingest_case_done(struct daemon *d, void *p);
void ingest_flush_dups(struct daemon *d);
/* jobs.c */
int jobs_rebuild(struct daemon *d, char *err, size_t errlen);
void jobs_tick(struct daemon *d, int64_t now);
void jobs_run_done(struct daemon *d, const char *job, int status);
int jobs_fire_now(struct daemon *d, const char *name, char *err, size_t errlen);
int jobs_set_paused(struct store *st, const char *name, int paused, char *err, size_t errlen);
int jobs_request_run(struct store *st, const char *name, char *err, size_t errlen);
/* The job records as JSON lines / an array, for `job list` and GET /api/v1/jobs. */
struct store_buf;
int jobs_list_json(struct store *st, struct store_buf *out, int array, char *err, size_t errlen);
/* daemon.c */
#include "log.h"
/* A formatted log line on stderr (text, or JSON with --log-json). */
__attribute__((format(printf, 3, 4)))
void dlog(enum log_level level, const char *run_id, const char *fmt, ...);
int work_init(struct daemon *d, char *err, size_t errlen);
void work_stop(struct daemon *d);
int work_busy(struct daemon *d);
void work_join(struct daemon *d);
/* Hands waiting (or interrupted) run `run_id` to a worker to resume: 0 queued,
 * 1 already on its way, -1 the queue is full (or no memory). */
int daemon_resume(struct daemon *d, const char *run_id);
int daemon_start_playbook(struct daemon *d, const struct pb_meta *pb, const char *case_ref,
			  const char *input_json, const char *job);
int daemon_main(const struct daemon_opts *o);

#endif
