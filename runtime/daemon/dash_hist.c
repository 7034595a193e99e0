/* dash_hist.c - the overview's histograms, kept and warmed (dash_hist.h).
 *
 * Each kept series holds its counts and the last index entry it counted (new
 * cases go at the end of their index key), so a render scans only what was
 * added since. A full count (up to every case in the window: 77-219 ms with a
 * million) is done by the warm thread at start, every HIST_FRESH seconds and
 * at each UTC midnight, which bounds what the increments can miss (a case
 * whose severity or type changed, one deleted, one written by another process
 * with an older clock). The slots are shared by the loop's thread and the
 * warm thread under one mutex; full counts run outside it. */
#include "dash_hist.h"

#include "case.h"
#include "daemon.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAY_MS 86400000LL
#define HIST_SLOTS 32
#define HIST_FRESH 600          /* seconds between full counts */
#define HIST_TYPES 8            /* types warmed (the overview shows 6) */

struct hist_slot {
	int by;
	char value[CASE_MAX_SHORT + 1];
	int64_t from;                  /* the window's first day */
	time_t full_at;                /* when last counted afresh; 0 = unused */
	unsigned char last[16];
	int has_last;
	uint64_t counts[DASH_HIST_DAYS];
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	struct store *st;
	int started, quit;
	int warm;                      /* the first pass is done */
	struct hist_slot slots[HIST_SLOTS];
} H = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t dash_hist_from(int64_t now)
{
	return (now / DAY_MS - (DASH_HIST_DAYS - 1)) * DAY_MS;
}

/* A full count of one series into *h (not shared yet). */
static int count_full(struct store *st, enum case_stat_by by, const char *value, int64_t from,
		      struct hist_slot *h, char *err, size_t errlen)
{
	memset(h, 0, sizeof *h);
	h->by = (int)by;
	snprintf(h->value, sizeof h->value, "%s", value ? value : "");
	h->from = from;
	if (case_stat_histogram_after(st, by, value, NULL, from, DAY_MS, DASH_HIST_DAYS, h->counts,
				      h->last, NULL, err, errlen) != 0)
		return -1;
	for (size_t k = 0; k < 16 && !h->has_last; k++)
		h->has_last = h->last[k] != 0;
	h->full_at = time(NULL);
	return 0;
}

/* With H.mu held: the slot kept for (by, value), or NULL. */
static struct hist_slot *find(enum case_stat_by by, const char *value)
{
	for (size_t i = 0; i < HIST_SLOTS; i++) {
		struct hist_slot *x = &H.slots[i];
		if (x->full_at && x->by == (int)by && strcmp(x->value, value ? value : "") == 0)
			return x;
	}
	return NULL;
}

/* With H.mu held: keeps a full count, in its series' slot or the oldest. */
static struct hist_slot *install(const struct hist_slot *n)
{
	struct hist_slot *h = find((enum case_stat_by)n->by, n->value);
	for (size_t i = 0; i < HIST_SLOTS && !h; i++)
		if (!H.slots[i].full_at)
			h = &H.slots[i];
	if (!h) {
		h = &H.slots[0];
		for (size_t i = 1; i < HIST_SLOTS; i++)
			if (H.slots[i].full_at < h->full_at)
				h = &H.slots[i];
	}
	*h = *n;
	return h;
}

int dash_hist_get(struct store *st, enum case_stat_by by, const char *value, int64_t from,
		  uint64_t *out, char *err, size_t errlen)
{
	/* With the warm thread running, its recounts keep the slots fresh; a
	 * slot far older than that (the thread stuck in a slow disk) is not. */
	pthread_mutex_lock(&H.mu);
	time_t stale = H.started ? 3 * HIST_FRESH : HIST_FRESH;
	struct hist_slot *h = find(by, value);
	if (h && h->from == from && time(NULL) - h->full_at < stale) {
		int rc = case_stat_histogram_after(st, by, value, h->has_last ? h->last : NULL, from,
						   DAY_MS, DASH_HIST_DAYS, h->counts, h->last, NULL,
						   err, errlen);
		for (size_t k = 0; k < 16 && !h->has_last; k++)
			h->has_last = h->last[k] != 0;
		if (rc != 0)
			h->full_at = 0;       /* counted afresh next time */
		else
			memcpy(out, h->counts, sizeof h->counts);
		pthread_mutex_unlock(&H.mu);
		return rc;
	}
	int warming = H.started && !H.warm;
	pthread_mutex_unlock(&H.mu);
	if (warming) {
		/* small stores count here (a few ms); large ones wait for the thread */
		uint64_t total = 0;
		if (case_stat_count(st, CASE_STAT_ALL, NULL, &total, err, errlen) != 0)
			return -1;
		if (total > DASH_HIST_SYNC_MAX)
			return 1;
	}
	struct hist_slot n;
	if (count_full(st, by, value, from, &n, err, errlen) != 0)
		return -1;
	pthread_mutex_lock(&H.mu);
	install(&n);
	pthread_mutex_unlock(&H.mu);
	memcpy(out, n.counts, sizeof n.counts);
	return 0;
}

/* One full count, kept; 1 when asked to stop. */
static int warm_one(enum case_stat_by by, const char *value, int64_t from)
{
	struct hist_slot n;
	char err[256];
	if (count_full(H.st, by, value, from, &n, err, sizeof err) == 0) {
		pthread_mutex_lock(&H.mu);
		install(&n);
		pthread_mutex_unlock(&H.mu);
	}
	pthread_mutex_lock(&H.mu);
	int quit = H.quit;
	pthread_mutex_unlock(&H.mu);
	return quit;
}

static void *warm(void *unused)
{
	(void)unused;
	for (;;) {
		int64_t now = now_ms(), from = dash_hist_from(now);
		int quit = 0;
		for (int s = 4; s >= 1 && !quit; s--) {
			char v[2] = { (char)('0' + s), 0 };
			quit = warm_one(CASE_STAT_SEVERITY, v, from);
		}
		char *names[HIST_TYPES] = { 0 };
		uint64_t counts[HIST_TYPES];
		char err[256];
		int nt = quit ? 0 : case_stat_types(H.st, HIST_TYPES, names, counts, err, sizeof err);
		for (int i = 0; i < nt; i++) {
			if (!quit)
				quit = warm_one(CASE_STAT_TYPE, names[i], from);
			free(names[i]);
		}
		pthread_mutex_lock(&H.mu);
		int first = !H.warm;
		H.warm = 1;
		pthread_mutex_unlock(&H.mu);
		if (first && !quit)
			dlog(LOG_INFO, NULL, "dashboard charts counted (%d series) in %lld ms", 4 + (nt > 0 ? nt : 0),
			     (long long)(now_ms() - now));
		/* next: in HIST_FRESH seconds, or at the next UTC midnight */
		int64_t next = now + HIST_FRESH * 1000LL, midnight = (now / DAY_MS + 1) * DAY_MS;
		if (midnight < next)
			next = midnight;
		struct timespec ts = { (time_t)(next / 1000), (long)(next % 1000) * 1000000L };
		pthread_mutex_lock(&H.mu);
		while (!H.quit && now_ms() < next)
			if (pthread_cond_timedwait(&H.cv, &H.mu, &ts) != 0 && now_ms() >= next)
				break;
		quit = H.quit;
		pthread_mutex_unlock(&H.mu);
		if (quit)
			return NULL;
	}
}

int dash_hist_start(struct store *st)
{
	if (H.started)
		return 0;
	H.st = st;
	H.quit = 0;
	H.warm = 0;
	if (pthread_create(&H.th, NULL, warm, NULL) != 0)
		return -1;
	pthread_mutex_lock(&H.mu);
	H.started = 1;
	pthread_mutex_unlock(&H.mu);
	return 0;
}

int dash_hist_ready(void)
{
	pthread_mutex_lock(&H.mu);
	int r = H.started && H.warm;
	pthread_mutex_unlock(&H.mu);
	return r;
}

void dash_hist_stop(void)
{
	pthread_mutex_lock(&H.mu);
	int started = H.started;
	H.quit = 1;
	pthread_cond_signal(&H.cv);
	pthread_mutex_unlock(&H.mu);
	if (!started)
		return;
	pthread_join(H.th, NULL);
	pthread_mutex_lock(&H.mu);
	H.started = 0;
	memset(H.slots, 0, sizeof H.slots);  /* counted against this store only */
	pthread_mutex_unlock(&H.mu);
}
