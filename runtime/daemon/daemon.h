/* daemon.h - `soarctl serve`: the parts of the daemon and what they share.
 *
 *   daemon.c          the libev main loop: signals (SIGTERM drains, SIGHUP
 *                     reloads), the tick (scheduler, waiting runs, job records),
 *                     the hand-back queue from workers and the store's committer
 *   daemon_pb.c       loading the playbooks directory (metadata read in a sandbox)
 *   daemon_work.c     the worker threads: a run loop each, a bound on tasks
 *   daemon_api.c      the HTTP routes (auth, cases, runs, jobs, prompts, EDL...)
 *   ingest.c          POST /api/v1/alerts: parse, pre-process, create cases
 *   jobs.c            scheduled jobs: next fires, overlap and missed-run policy
 *                     (their records: store/jobstore.c)
 *
 * ingest.c and jobs.c see the daemon through the functions below (daemon_store,
 * daemon_start_playbook, work_submit...); struct daemon is in daemon_int.h, for
 * the loop, the workers and the routes.
 *
 * Threads: everything but the workers and the store's committer runs on the
 * loop's thread; those two hand results back through daemon_post (an ev_async). */
#ifndef SOAR_DAEMON_H
#define SOAR_DAEMON_H

#include "cron.h"
#include "httpd.h"
#include "playbook.h"
#include "preproc.h"
#include "jobstore.h"
#include "store.h"

#include <ev.h>
#include <pthread.h>
#include <stdint.h>

struct daemon;

struct daemon_opts {
	const char *listen;       /* "127.0.0.1:8080" */
	int workers;
	const char *data_dir;
	const char *playbooks_dir;
	int mock;
	int log_json;
	size_t queue_cap;         /* worker task queue; 429 past it */
	double tick_s;            /* scheduler/waiting-run tick; default 0.25 */
	const char *tls_cert;     /* PEM files: HTTPS when set (both); reread on SIGHUP */
	const char *tls_key;
	const char *public_url;   /* the base of links the daemon gives out, or NULL */
};

/* The base URL of links the daemon gives out (prompt forms, EDLs): the
 * configured public URL, else https:// (with TLS) or http:// and the address it
 * listens on. No trailing slash. */
const char *daemon_base_url(const struct daemon *d);

enum job_overlap { OVERLAP_SKIP, OVERLAP_QUEUE, OVERLAP_ALLOW };
enum job_missed { MISSED_RUN_ONCE, MISSED_SKIP };

/* A declared input, as the self-service form and the run API read it
 * (daemon_selfservice.c); the engine checks the same declaration again. */
struct pb_input {
	char *name, *type;        /* type: string number integer boolean table any */
	char *label, *description;    /* label defaults to the name; may be NULL */
	char *default_json;       /* the default as JSON, or NULL */
	int required;
	char **options;           /* one-of choices (`options = {...}`), or NULL */
	int noptions;
};

/* `form = { title =, description =, roles = {...} }`: the playbook may be
 * started from GET /forms/NAME by a member of one of the roles. */
struct pb_form {
	char *title, *description;
	char **roles;
	int nroles;
};

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
	struct pb_input *inputs;  /* sorted by name */
	int ninputs;
	struct pb_form *form;     /* NULL: no self-service form */
	double minutes_saved;     /* per succeeded run (ROI, dash_roi.c); 0 = not said */
	double minutes_to_build;  /* the time it took to write; 0 = not said */
	char *inputs_text;        /* "name (type = default): description" lines, for the
				   * dashboard; NULL: none */
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
	char actor[160];               /* START: who starts it ("http:alice"), or "" */
	char *text;                    /* NOTE */
	int status;                    /* out: the run's status (0 invalid, -1 error) */
	struct task *next;
	struct worker *w_;             /* private (daemon_work.c) */
	struct daemon *d_;
};

/* Queues a task; -1 when the queue is full (the caller answers 429). Takes
 * ownership of t either way. */
int work_submit(struct daemon *d, struct task *t);
size_t work_depth(struct daemon *d);
void task_free(struct task *t);

/* Hands a finished task (or another event) back to the loop thread. */
enum post_kind { POST_TASK_DONE, POST_CASE_DONE, POST_WARROOM_DONE };
void daemon_post(struct daemon *d, enum post_kind kind, void *p);


/* What ingest.c and jobs.c use of the daemon: struct daemon itself is private to
 * daemon.c, daemon_work.c and daemon_api.c (daemon_int.h). */
struct store *daemon_store(struct daemon *d);
/* The current playbook set (pb_set_ref to keep it past a reload). */
struct pb_set *daemon_playbooks(struct daemon *d);
/* The pre-processing dedupe window. */
struct pp_window *daemon_window(struct daemon *d);
/* 1 when n more tasks fit in the workers' queue. */
int daemon_queue_room(struct daemon *d, size_t n);

/* daemon_api.c */
void api_handle(struct httpd_req *r, void *ud);
/* The route's authentication, at the request's head (httpd_set_gate). */
void api_gate(struct httpd_req *r, void *ud);
/* ingest.c */
void ingest_alerts(struct daemon *d, struct httpd_req *r, const char *user);
void ingest_case_done(struct daemon *d, void *p);
void ingest_flush_dups(struct daemon *d);
/* jobs.c: the scheduler, its state its own. */
struct sched;
struct sched *jobs_new(struct daemon *d);
void jobs_free(struct sched *s);
int jobs_count(const struct sched *s);
int jobs_rebuild(struct sched *s, char *err, size_t errlen);
void jobs_tick(struct sched *s, int64_t now);
void jobs_run_done(struct sched *s, const char *job, int status);
int jobs_fire_now(struct sched *s, const char *name, char *err, size_t errlen);
/* the job records themselves: store/jobstore.h */
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
/* A run started by a person (the API, a form): as `actor` ("http:alice"), its id
 * chosen here so that the caller can answer with it (run_id, 37 bytes). 0, or
 * -1 when the queue is full. */
int daemon_start_playbook_as(struct daemon *d, const struct pb_meta *pb, const char *input_json,
			     const char *actor, char run_id[37]);
int daemon_main(const struct daemon_opts *o);

#endif
