/* daemon.c - the main loop of `soarctl serve` (see daemon.h). */
#include "daemon_int.h"
#include "httpd_tls.h"
#include "daemon_prompt.h"
#include "maint.h"
#include "store_watch.h"
#include "daemon_warroom.h"
#include "dash_hist.h"
#include "sla_escalate.h"
#include "secret.h"
#include "datadir.h"
#include "sharedir.h"
#include "integration.h"
#include "metrics.h"
#include "runstore.h"
#include "timefmt.h"
#include "uuid.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_LIMIT_S 9.0     /* SIGTERM: exit within 10 s whatever happens */

void dlog(enum log_level level, const char *run_id, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_emit(level, "serve", run_id, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1,
		 NULL);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- hand-back from other threads ---- */

struct post_item {
	enum post_kind kind;
	void *p;
	struct post_item *next;
};

void daemon_post(struct daemon *d, enum post_kind kind, void *p)
{
	struct post_item *it = malloc(sizeof *it);
	if (!it)
		abort(); /* nothing sane to do: the request would hang */
	it->kind = kind;
	it->p = p;
	pthread_mutex_lock(&d->post_mu);
	it->next = d->posts;
	d->posts = it;
	pthread_mutex_unlock(&d->post_mu);
	ev_async_send(d->loop, &d->wake);
}

/* ---- runs the loop has handed to workers ---- */

static int inflight_find(struct daemon *d, const char *id)
{
	for (size_t i = 0; i < d->ninflight; i++)
		if (strcmp(d->inflight[i], id) == 0)
			return (int)i;
	return -1;
}

static int inflight_add(struct daemon *d, const char *run_id)
{
	if (inflight_find(d, run_id) >= 0)
		return 1;
	if (d->ninflight == d->capinflight) {
		size_t cap = d->capinflight ? d->capinflight * 2 : 64;
		void *p = realloc(d->inflight, cap * sizeof *d->inflight);
		if (!p)
			return -1;
		d->inflight = p;
		d->capinflight = cap;
	}
	snprintf(d->inflight[d->ninflight++], 37, "%s", run_id);
	return 0;
}

static void inflight_del(struct daemon *d, const char *run_id)
{
	int i = inflight_find(d, run_id);
	if (i >= 0)
		memcpy(d->inflight[i], d->inflight[--d->ninflight], 37);
}

int daemon_resume(struct daemon *d, const char *run_id)
{
	int in = inflight_add(d, run_id);
	if (in != 0)
		return in;          /* 1: on its way already; -1: no memory */
	struct task *t = calloc(1, sizeof *t);
	if (!t) {
		inflight_del(d, run_id);
		return -1;
	}
	t->kind = TASK_RESUME;
	snprintf(t->run_id, sizeof t->run_id, "%s", run_id);
	if (work_submit(d, t) != 0) {   /* full; it freed t */
		inflight_del(d, run_id);
		return -1;
	}
	return 0;
}

/* A start task for pb, holding a ref on the current set; NULL out of memory. */
static struct task *start_task(struct daemon *d, const struct pb_meta *pb, const char *input_json)
{
	struct task *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->kind = TASK_START;
	t->set = d->set;
	pb_set_ref(d->set);
	t->pb = pb;
	if (input_json && !(t->input_json = strdup(input_json))) {
		task_free(t);
		return NULL;
	}
	return t;
}

int daemon_start_playbook(struct daemon *d, const struct pb_meta *pb, const char *case_ref,
			  const char *input_json, const char *job)
{
	struct task *t = start_task(d, pb, input_json);
	if (!t)
		return -1;
	if (case_ref)
		snprintf(t->case_ref, sizeof t->case_ref, "%s", case_ref);
	if (job)
		snprintf(t->job, sizeof t->job, "%s", job);
	return work_submit(d, t);
}

int daemon_start_playbook_as(struct daemon *d, const struct pb_meta *pb, const char *input_json,
			     const char *actor, char run_id[37])
{
	struct task *t = start_task(d, pb, input_json);
	if (!t)
		return -1;
	snprintf(t->actor, sizeof t->actor, "%s", actor);
	uuid_v7(t->run_id);
	snprintf(run_id, 37, "%s", t->run_id);
	return work_submit(d, t);
}

static void task_done(struct daemon *d, struct task *t)
{
	if (t->kind == TASK_RESUME)
		inflight_del(d, t->run_id);
	if (t->kind == TASK_START && t->job[0])
		jobs_run_done(d->sched, t->job, t->status);
	task_free(t);
}

static void on_wake(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)revents;
	struct daemon *d = w->data;
	pthread_mutex_lock(&d->post_mu);
	struct post_item *it = d->posts, *rev = NULL;
	d->posts = NULL;
	pthread_mutex_unlock(&d->post_mu);
	while (it) { /* oldest first */
		struct post_item *n = it->next;
		it->next = rev;
		rev = it;
		it = n;
	}
	for (it = rev; it;) {
		struct post_item *n = it->next;
		if (it->kind == POST_TASK_DONE)
			task_done(d, it->p);
		else if (it->kind == POST_WARROOM_DONE)
			warroom_api_done(d, it->p);
		else
			ingest_case_done(d, it->p);
		free(it);
		it = n;
	}
}

/* ---- waiting runs: due sleeps, answered or timed-out prompts ---- */

struct due_ctx {
	struct daemon *d;
	int full;
};

static int resume_one(const unsigned char id[16], void *ud)
{
	struct due_ctx *c = ud;
	char run_id[37];
	uuid_format(id, run_id);
	if (daemon_resume(c->d, run_id) < 0) {  /* full: the next tick goes on */
		c->full = 1;
		return 1;
	}
	return 0;
}

/* One scan of the waiting runs' index (no record is read) finds the due ones,
 * however many wait. */
static void resume_due(struct daemon *d, int64_t now)
{
	static struct run_due_state seen;
	struct due_ctx c = { d, 0 };
	char err[256];
	if (run_scan_due(d->st, now, &seen, resume_one, &c, err, sizeof err) != 0)
		dlog(LOG_ERROR, NULL, "%s", err);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct daemon *d = w->data;
	if (d->stopping)
		return;
	int64_t now = now_ms();
	static int64_t last_flush;
	jobs_tick(d->sched, now);
	/* Every tick (250 ms): an answer given through the CLI resumes its run
	 * within 1 s with room for the resume itself; every 500 ms with the
	 * tick's jitter came to ~1 s. The scan reads only the waiting index. */
	resume_due(d, now);
	if (now - last_flush >= 2000) {
		last_flush = now;
		ingest_flush_dups(d);
	}
	static int64_t last_sla;
	if (now - last_sla >= 1000) {   /* breached SLAs escalate within about a second */
		last_sla = now;
		sla_sweep(d, now);
	}
	store_watch_tick(d->st, now); /* a full data directory: gauges, probe, recovery */
	metric_set(M_CONNECTIONS, d->http ? httpd_connections(d->http) : 0);
	metric_set(M_HTTP_CUT, d->http ? (int64_t)httpd_cut(d->http) : 0);
}

/* Runs left "running" by a daemon or a `soarctl run` that died (SIGKILL, power,
 * the drain limit at SIGTERM): nobody would ever finish them. Their journal holds
 * every step they took, so resuming replays to where they were. A run whose
 * process is alive is another process's business (engine_resume refuses it too). */
static void resume_interrupted(struct daemon *d)
{
	struct run_rec *runs = NULL;
	size_t n = 0, resumed = 0;
	char err[256];
	if (run_list(d->st, RUN_RUNNING, 100000, &runs, &n, err, sizeof err) != 0) {
		dlog(LOG_ERROR, NULL, "listing interrupted runs: %s", err);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct run_rec *r = &runs[i];
		pid_t pid = (pid_t)r->owner_pid;
		if (pid > 0 && (pid == getpid() || kill(pid, 0) == 0 || errno == EPERM))
			continue;
		int rc = daemon_resume(d, r->id);
		if (rc == 1)
			continue;
		if (rc < 0) {
			dlog(LOG_WARN, NULL, "queue full: %zu interrupted runs left for `soarctl runs resume`",
			     n - i);
			break;
		}
		resumed++;
	}
	if (resumed)
		dlog(LOG_INFO, NULL, "resuming %zu runs interrupted by a stop or crash", resumed);
	for (size_t i = 0; i < n; i++)
		run_rec_free(&runs[i]);
	free(runs);
}

/* ---- signals ---- */

/* The integrations and their config as a checked snapshot (integration.h).
 * NULL with a message naming the file. */
static struct integ_snap *integrations_load(char *err, size_t errlen)
{
	const char *ld = getenv("SOARCTL_LUA_DIR");
	struct integ_snap *s = integ_snap_read(ld && *ld ? ld : sharedir_lua(), err, errlen);
	if (s && integ_snap_check(s, ld, err, errlen) != 0) {
		integ_snap_free(s);
		s = NULL;
	}
	return s;
}

static void loaded_line(struct daemon *d, const char *what)
{
	char cfg[4200] = "no config file";
	const char *cp = integ_snap_config_path(d->integ);
	if (cp)
		snprintf(cfg, sizeof cfg, "config %s", cp);
	dlog(LOG_INFO, NULL, "%s %d playbooks from %s, %d integrations, %s", what, d->set->n,
	     d->o.playbooks_dir, integ_snap_count(d->integ), cfg);
}

/* SIGHUP: playbooks, integrations and their config, all or nothing. Each part is
 * loaded and checked aside; any failure keeps everything that is loaded now, so
 * a run never sees new playbooks with old integrations or the reverse. */
static void reload(struct daemon *d)
{
	char err[1024];
	metric_add(M_RELOADS, 1);
	struct integ_snap *in = integrations_load(err, sizeof err);
	struct pb_set *s = in ? pb_set_load(d->o.playbooks_dir, err, sizeof err) : NULL;
	if (!s) {
		integ_snap_free(in);
		metric_add(M_RELOAD_FAILURES, 1);
		dlog(LOG_ERROR, NULL, "reload refused, keeping the loaded playbooks, integrations "
		     "and configuration: %s", err);
		return;
	}
	struct pb_set *old = d->set;
	d->set = s;
	jobs_rebuild(d->sched, err, sizeof err);
	pb_set_unref(old);
	integ_snap_free(integ_snap_install(in));
	d->integ = in;
	metric_set(M_PLAYBOOKS, s->n);
	loaded_line(d, "reloaded");
}

/* SIGHUP with TLS: the certificate and key files again (a renewed certificate).
 * New handshakes get the new ones; a file that does not load or check keeps the
 * one served now. */
static void reload_tls(struct daemon *d)
{
	if (!d->o.tls_cert || !httpd_is_tls(d->http))
		return;
	char err[1024];
	struct httpd_tls *t = httpd_tls_load(d->o.tls_cert, d->o.tls_key, err, sizeof err);
	if (!t) {
		metric_add(M_RELOAD_FAILURES, 1);
		dlog(LOG_ERROR, NULL, "TLS reload refused, keeping the certificate served now: %s", err);
		return;
	}
	dlog(LOG_INFO, NULL, "TLS certificate reloaded: serial %s from %s", httpd_tls_serial(t),
	     d->o.tls_cert);
	httpd_tls_use(t);
}

const char *daemon_base_url(const struct daemon *d)
{
	return d->base_url;
}

static void on_drain_check(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct daemon *d = w->data;
	int busy = work_busy(d);
	unsigned inflight = (unsigned)metric_get(M_INFLIGHT_REQUESTS);
	if ((busy == 0 && inflight == 0) || timefmt_now() - d->started > DRAIN_LIMIT_S) {
		if (busy || inflight)
			dlog(LOG_WARN, NULL, "drain time is up with %d tasks still running; they "
			     "resume at the next start", busy);
		ev_break(loop, EVBREAK_ALL);
	}
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	struct daemon *d = w->data;
	if (w->signum == SIGHUP) {
		reload(d);
		reload_tls(d);
		return;
	}
	if (d->stopping)
		return;
	d->stopping = 1;
	d->started = timefmt_now(); /* now the drain's start */
	dlog(LOG_INFO, NULL, "stopping: no new connections, finishing what is in flight");
	httpd_quiesce(d->http);
	ingest_flush_dups(d);
	work_stop(d);
	ev_timer_init(&d->drain_timer, on_drain_check, 0.05, 0.05);
	d->drain_timer.data = d;
	ev_timer_start(loop, &d->drain_timer);
}

int daemon_main(const struct daemon_opts *o)
{
	static struct daemon dd;
	struct daemon *d = &dd;
	char err[1024];
	d->o = *o;
	if (!d->o.queue_cap)
		d->o.queue_cap = 10000;
	if (d->o.tick_s <= 0)
		d->o.tick_s = 0.25;
	d->cap = d->o.queue_cap;
	d->started = timefmt_now();
	log_configure(log_min_level(), o->log_json);
	if (o->mock)
		integration_set_mock_all(1);
	if (!(d->st = store_default(err, sizeof err))) {
		dlog(LOG_ERROR, NULL, "%s", err);
		return 1;
	}
	/* the master key keys the audit log: without it a keyed store refuses writes */
	if (secret_vault_prepare(d->st, o->data_dir, err, sizeof err) < 0) {
		dlog(LOG_ERROR, NULL, "the audit log is keyed and the master key did not open: %s",
		     err);
		return 1;
	}
	/* retention and scheduled backups (store.json): a bad file stops the start */
	static struct maint *upkeep;
	if (maint_load(o->data_dir, &upkeep, err, sizeof err) != 0) {
		dlog(LOG_ERROR, NULL, "store configuration: %s", err);
		return 2;
	}
	if (!(d->integ = integrations_load(err, sizeof err)) ||
	    !(d->set = pb_set_load(o->playbooks_dir, err, sizeof err))) {
		dlog(LOG_ERROR, NULL, "%s", err);
		return 2;
	}
	integ_snap_install(d->integ);
	loaded_line(d, "loaded");
	metric_set(M_PLAYBOOKS, d->set->n);
	d->window = pp_window_new(200000);
	d->sched = jobs_new(d);
	pthread_mutex_init(&d->post_mu, NULL);
	d->loop = EV_DEFAULT;
	signal(SIGPIPE, SIG_IGN);
	if (work_init(d, err, sizeof err) != 0) {
		dlog(LOG_ERROR, NULL, "%s", err);
		return 1;
	}
	struct httpd_limits lim;
	memset(&lim, 0, sizeof lim);
	const char *e;
	if ((e = getenv("SOARCTL_MAX_BODY")))
		lim.max_body = strtoul(e, NULL, 10);
	if ((e = getenv("SOARCTL_CONN_TIMEOUT")))
		lim.timeout_s = (unsigned)strtoul(e, NULL, 10);
	if ((e = getenv("SOARCTL_MAX_CONNS")))
		lim.max_conns = (unsigned)strtoul(e, NULL, 10);
	if ((e = getenv("SOARCTL_HEAD_TIMEOUT")))
		lim.head_timeout_s = (unsigned)strtoul(e, NULL, 10);
	if ((e = getenv("SOARCTL_MAX_CONNS_PER_IP"))) /* 0: no cap (behind a proxy) */
		lim.max_per_ip = strtoul(e, NULL, 10) ? (unsigned)strtoul(e, NULL, 10) : ~0u;
	if ((e = getenv("SOARCTL_CONN_RESERVE")))
		lim.reserve = (unsigned)strtoul(e, NULL, 10);
	struct httpd_tls *tls = NULL;
	if (o->tls_cert || o->tls_key) {
		tls = httpd_tls_load(o->tls_cert, o->tls_key, err, sizeof err);
		if (!tls) {
			dlog(LOG_ERROR, NULL, "cannot serve HTTPS: %s", err);
			work_stop(d);
			work_join(d);
			return 1;
		}
		dlog(LOG_INFO, NULL, "TLS: certificate serial %s from %s", httpd_tls_serial(tls),
		     o->tls_cert);
	}
	d->http = httpd_start_tls(d->loop, o->listen, &lim, tls, api_handle, d, err, sizeof err);
	if (d->http) /* authentication and routing at the head, before any body */
		httpd_set_gate(d->http, api_gate);
	if (!d->http) {
		dlog(LOG_ERROR, NULL, "%s", err);
		work_stop(d);
		work_join(d);
		return 1;
	}
	ev_async_init(&d->wake, on_wake);
	d->wake.data = d;
	ev_async_start(d->loop, &d->wake);
	jobs_rebuild(d->sched, err, sizeof err);
	ev_signal_init(&d->sigterm, on_signal, SIGTERM);
	ev_signal_init(&d->sigint, on_signal, SIGINT);
	ev_signal_init(&d->sighup, on_signal, SIGHUP);
	d->sigterm.data = d->sigint.data = d->sighup.data = d;
	ev_signal_start(d->loop, &d->sigterm);
	ev_signal_start(d->loop, &d->sigint);
	ev_signal_start(d->loop, &d->sighup);
	ev_timer_init(&d->tick, on_tick, 0., d->o.tick_s);
	d->tick.data = d;
	ev_timer_start(d->loop, &d->tick);
	resume_interrupted(d);
	if (o->public_url && *o->public_url) {
		snprintf(d->base_url, sizeof d->base_url, "%s", o->public_url);
	} else {
		/* the address as given, with the port bound (port 0 picks one) */
		const char *colon = strrchr(o->listen, ':');
		int hl = colon ? (int)(colon - o->listen) : (int)strlen(o->listen);
		snprintf(d->base_url, sizeof d->base_url, "%s://%.*s:%u", tls ? "https" : "http", hl,
			 o->listen, httpd_port(d->http));
	}
	size_t bl = strlen(d->base_url);
	while (bl && d->base_url[bl - 1] == '/')
		d->base_url[--bl] = '\0';
	if (dprompt_courier_start(d) != 0)
		dlog(LOG_ERROR, NULL, "cannot start the prompt courier: prompts are not delivered");
	if (dash_hist_start(d->st) != 0)
		dlog(LOG_WARN, NULL, "cannot start the dashboard's histogram thread: the overview counts them itself");
	/* One line a test or a supervisor can wait for. */
	dlog(LOG_INFO, NULL, "listening on %s (port %u), %d workers, %d playbooks, %d jobs%s; "
	     "links: %s", o->listen, httpd_port(d->http), d->nthreads, d->set->n,
	     jobs_count(d->sched), o->mock ? ", mock mode" : "", d->base_url);
	if (upkeep && maint_start(upkeep, d->st, err, sizeof err) != 0)
		dlog(LOG_ERROR, NULL, "%s", err);
	ev_run(d->loop, 0);
	maint_stop(upkeep); /* a retention pass stops after its current write */
	/* Stopping: the drain timer broke the loop. Tasks still running finish their
	 * step or are abandoned with the process (the journal resumes them). */
	if (work_busy(d) != 0) {
		/* A worker is still inside a run: leave without unwinding under it
		 * (its journal resumes the run at the next start). */
		dlog(LOG_WARN, NULL, "stopped with work in flight");
		_exit(0);
	}
	dprompt_courier_stop();
	dash_hist_stop();
	work_join(d);
	httpd_stop(d->http);
	jobs_free(d->sched);
	dlog(LOG_INFO, NULL, "stopped");
	return 0;
}

struct store *daemon_store(struct daemon *d) { return d->st; }
struct pb_set *daemon_playbooks(struct daemon *d) { return d->set; }
struct pp_window *daemon_window(struct daemon *d) { return d->window; }
int daemon_queue_room(struct daemon *d, size_t n) { return work_depth(d) + n <= d->cap; }
