/* watchdog.c - see watchdog.h.
 *
 * Synchronisation: `mu` of a watch guards gen/limits/stop between the run's thread
 * and the watchdog, so a stop decided for one run can never land on the next.
 * The signal handler reads only sig_atomic_t fields of its own thread's watch. */
#include "watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WATCH_MAX        1024
#define WATCH_TICK_NS    (10 * 1000 * 1000)
#define WATCH_SIGNAL     SIGURG
#define HARD_STOP_GRACE  0.2

const char watch_stop_message[] = "\x01soarctl: run stopped by the watchdog";

struct watch {
	pthread_mutex_t mu;
	pthread_t thread;
	clockid_t cpu_clock;
	unsigned gen;                   /* odd while a slice executes */
	double cpu_limit, wall_limit;
	double start_wall;              /* monotonic, set by the run's thread */
	/* Watchdog-private: when it first saw this slice, and escalation. */
	unsigned seen_gen;
	double seen_cpu;
	double stop_at;
	/* Paused by a debugger (watch_pause): depth, and where the pause began. */
	int paused;
	double pause_wall, pause_cpu;
	/* Shared with the signal handler. */
	volatile sig_atomic_t in_run;
	volatile sig_atomic_t stop;     /* enum watch_stop */
	volatile sig_atomic_t hard;
	volatile sig_atomic_t hooked;
	volatile sig_atomic_t noint;
	lua_State *volatile L;
	sigjmp_buf escape;
	sigset_t mask;                  /* the thread's mask, for after a hard stop */
};

static pthread_once_t wd_once = PTHREAD_ONCE_INIT;
static int wd_ok;
static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cv;
static atomic_int wd_sleeping;
static struct watch *wd_watches[WATCH_MAX];
static unsigned wd_count;

static __thread struct watch *t_watch;
static pthread_key_t t_watch_key;

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void stop_hook(lua_State *L, lua_Debug *ar)
{
	(void)ar;
	/* Lua code is running, so no no-interrupt region is open (a region never
	 * runs Lua code): a depth above 0 here was left by a region an error
	 * unwound. Clear it, or the hard stop would wait for it forever. */
	if (t_watch)
		t_watch->noint = 0;
	/* Keeps firing: a pcall that swallows this error meets it again at the very
	 * next instruction, until the run's body gives up. */
	lua_pushstring(L, watch_stop_message);
	lua_error(L);
}

static void on_signal(int sig)
{
	(void)sig;
	int saved = errno;
	struct watch *w = t_watch;
	if (w && w->in_run && w->stop) {
		/* The hook is installed even inside a no-interrupt region: lua_sethook
		 * is safe from a signal handler, and the hook only fires at the next VM
		 * instruction, which no region executes. Only the jump waits. */
		if (!w->hooked) {
			w->hooked = 1;
			lua_sethook(w->L, stop_hook, LUA_MASKCOUNT | LUA_MASKCALL | LUA_MASKRET, 1);
		} else if (w->hard && !w->noint) {
			siglongjmp(w->escape, 1);
		}
	}
	errno = saved;
}

/* Returns 1 if the watch's slice is still executing. Called with wd_mu held. */
static int check_watch(struct watch *w, double now)
{
	int active;
	pthread_mutex_lock(&w->mu);
	active = w->gen & 1;
	if (active) {
		struct timespec ts;
		double cpu = 0;
		if (clock_gettime(w->cpu_clock, &ts) == 0)
			cpu = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		if (w->seen_gen != w->gen) {    /* first sight of this slice */
			w->seen_gen = w->gen;
			w->seen_cpu = cpu;
			w->stop_at = 0;
		}
		if (w->paused) {
			/* A person is looking at the run: its clocks stand still. */
		} else if (!w->stop) {
			if (cpu - w->seen_cpu > w->cpu_limit)
				w->stop = WATCH_STOP_CPU;
			else if (now - w->start_wall > w->wall_limit)
				w->stop = WATCH_STOP_WALL;
			if (w->stop) {
				w->stop_at = now;
				pthread_kill(w->thread, WATCH_SIGNAL);
			}
		} else {
			/* Still running after the stop: escalate after the grace, and
			 * keep signalling in case the thread was in a no-interrupt region. */
			if (now - w->stop_at > HARD_STOP_GRACE)
				w->hard = 1;
			pthread_kill(w->thread, WATCH_SIGNAL);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return active;
}

static void *watchdog_main(void *arg)
{
	(void)arg;
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&wd_mu);
	for (;;) {
		/* Announce the sleep before the last look, so that a run starting
		 * concurrently either is seen here or sees wd_sleeping and wakes us. */
		atomic_store(&wd_sleeping, 1);
		int active = 0;
		double now = mono_now();
		for (unsigned i = 0; i < wd_count; i++)
			if (wd_watches[i])
				active |= check_watch(wd_watches[i], now);
		if (!active) {
			pthread_cond_wait(&wd_cv, &wd_mu);
			atomic_store(&wd_sleeping, 0);
			continue;
		}
		atomic_store(&wd_sleeping, 0);
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += WATCH_TICK_NS;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&wd_cv, &wd_mu, &ts);
	}
	return NULL;
}

static void unregister_watch(void *p)
{
	struct watch *w = p;
	pthread_mutex_lock(&wd_mu);
	for (unsigned i = 0; i < wd_count; i++)
		if (wd_watches[i] == w)
			wd_watches[i] = NULL;
	pthread_mutex_unlock(&wd_mu);
	pthread_mutex_destroy(&w->mu);
	free(w);
}

static void watchdog_start(void)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wd_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_key_create(&t_watch_key, unregister_watch) != 0)
		return;

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigfillset(&sa.sa_mask);
	if (sigaction(WATCH_SIGNAL, &sa, NULL) != 0)
		return;

	pthread_t tid;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	/* The watchdog must not inherit a blocked signal mask issue: it blocks all. */
	wd_ok = pthread_create(&tid, &attr, watchdog_main, NULL) == 0;
	pthread_attr_destroy(&attr);
}

struct watch *watch_self(void)
{
	if (t_watch)
		return t_watch;
	pthread_once(&wd_once, watchdog_start);
	if (!wd_ok)
		return NULL;
	struct watch *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	pthread_mutex_init(&w->mu, NULL);
	w->thread = pthread_self();
	if (pthread_getcpuclockid(w->thread, &w->cpu_clock) != 0) {
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	pthread_mutex_lock(&wd_mu);
	unsigned slot = wd_count;
	for (unsigned i = 0; i < wd_count; i++)
		if (!wd_watches[i]) {
			slot = i;
			break;
		}
	if (slot == WATCH_MAX) {
		pthread_mutex_unlock(&wd_mu);
		pthread_mutex_destroy(&w->mu);
		free(w);
		return NULL;
	}
	wd_watches[slot] = w;
	if (slot == wd_count)
		wd_count++;
	pthread_mutex_unlock(&wd_mu);
	/* Make sure the watch signal is deliverable on this thread. */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, WATCH_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	pthread_sigmask(SIG_SETMASK, NULL, &w->mask);
	pthread_setspecific(t_watch_key, w);
	t_watch = w;
	return w;
}

void watch_begin(struct watch *w, lua_State *L, double cpu_seconds, double wall_seconds)
{
	pthread_mutex_lock(&w->mu);
	w->gen++;
	w->cpu_limit = cpu_seconds;
	w->wall_limit = wall_seconds;
	w->start_wall = mono_now();
	w->stop = WATCH_RUNNING;
	w->hard = 0;
	w->hooked = 0;
	w->noint = 0;      /* whatever an earlier slice left open is gone */
	w->paused = 0;
	w->L = L;
	w->in_run = 1;
	pthread_mutex_unlock(&w->mu);
	if (atomic_load(&wd_sleeping)) {
		pthread_mutex_lock(&wd_mu);
		pthread_cond_signal(&wd_cv);
		pthread_mutex_unlock(&wd_mu);
	}
}

enum watch_stop watch_end(struct watch *w)
{
	pthread_mutex_lock(&w->mu);
	w->in_run = 0;
	w->gen++;
	enum watch_stop why = (enum watch_stop)w->stop;
	w->stop = WATCH_RUNNING;
	w->hard = 0;
	w->L = NULL;
	pthread_mutex_unlock(&w->mu);
	return why;
}

static double thread_cpu(struct watch *w)
{
	struct timespec ts;
	if (clock_gettime(w->cpu_clock, &ts) != 0)
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void watch_pause(struct watch *w)
{
	pthread_mutex_lock(&w->mu);
	if ((w->gen & 1) && w->paused++ == 0) {
		w->pause_wall = mono_now();
		w->pause_cpu = thread_cpu(w);
	}
	pthread_mutex_unlock(&w->mu);
}

void watch_resume(struct watch *w)
{
	pthread_mutex_lock(&w->mu);
	if ((w->gen & 1) && w->paused > 0 && --w->paused == 0) {
		w->start_wall += mono_now() - w->pause_wall;
		/* seen_cpu is the watchdog's base for this slice; if it has not seen
		 * the slice yet, it takes its base later (the pause then counts, but
		 * only for the first tick's worth). */
		if (w->seen_gen == w->gen)
			w->seen_cpu += thread_cpu(w) - w->pause_cpu;
	}
	pthread_mutex_unlock(&w->mu);
}

sigjmp_buf *watch_escape(struct watch *w) { return &w->escape; }

void watch_restore_mask(struct watch *w)
{
	pthread_sigmask(SIG_SETMASK, &w->mask, NULL);
}

void watch_clear_hook(lua_State *L)
{
	lua_sethook(L, NULL, 0, 0);
}

void watch_noint_enter(void)
{
	struct watch *w = t_watch;
	if (w)
		w->noint++;
}

void watch_noint_leave(void)
{
	struct watch *w = t_watch;
	if (w && w->noint > 0)    /* never below 0: a reset may have come between */
		w->noint--;
}

int watch_noint_depth(void)
{
	struct watch *w = t_watch;
	return w ? w->noint : 0;
}

void watch_noint_reset(void)
{
	struct watch *w = t_watch;
	if (w)
		w->noint = 0;
}
