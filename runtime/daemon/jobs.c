/* jobs.c - scheduled jobs: playbooks with `schedule`. The loop thread keeps a
 * `struct job` per scheduled playbook; the store keeps a record per job name
 * (store/jobstore.c) so that the CLI can list next fire times and pause, resume
 * or run a job while the daemon runs. */
#include "daemon.h"
#include "jobstore.h"
#include "metrics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A scheduled playbook, on the loop thread. */
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

struct sched {
	struct daemon *d;
	struct job *jobs;
	int njobs;
};

struct sched *jobs_new(struct daemon *d)
{
	struct sched *s = calloc(1, sizeof *s);
	if (s)
		s->d = d;
	return s;
}

void jobs_free(struct sched *s)
{
	if (s) {
		free(s->jobs);
		free(s);
	}
}

int jobs_count(const struct sched *s) { return s ? s->njobs : 0; }

/* ---- the loop's side ---- */

static void save(struct sched *s, struct job *j)
{
	struct job_rec u;
	memset(&u, 0, sizeof u);
	const struct pb_meta *pb = j->pb;
	snprintf(u.schedule, sizeof u.schedule, "%s", pb->schedule);
	snprintf(u.tz, sizeof u.tz, "%s", pb->tz ? pb->tz : "UTC");
	snprintf(u.overlap, sizeof u.overlap, "%s",
		 pb->overlap == OVERLAP_QUEUE ? "queue" : pb->overlap == OVERLAP_ALLOW ? "allow" : "skip");
	snprintf(u.missed, sizeof u.missed, "%s", pb->missed == MISSED_SKIP ? "skip" : "run_once");
	u.last = j->last * 1000;
	u.next = j->next * 1000;
	u.running = j->running;
	char err[256];
	if (jobs_save(daemon_store(s->d), j->name, &u, err, sizeof err) != 0)
		dlog(LOG_WARN, NULL, "job %s: cannot save its record: %s", j->name, err);
}

static int64_t next_after(const struct job *j, int64_t t)
{
	int64_t n;
	char err[128];
	if (cron_next(&j->pb->cron, j->pb->tz, t, &n, err, sizeof err) != 0)
		return 0;
	return n;
}

static void fire(struct sched *s, struct job *j, const char *why)
{
	if (j->running && j->pb->overlap == OVERLAP_SKIP) {
		dlog(LOG_INFO, NULL, "job %s: %s fire skipped, a run is still going (overlap = skip)",
		     j->name, why);
		metric_add(M_JOB_SKIPPED, 1);
		return;
	}
	if (j->running && j->pb->overlap == OVERLAP_QUEUE) {
		j->queued = 1;
		return;
	}
	if (daemon_start_playbook(s->d, j->pb, NULL, NULL, j->name) != 0) {
		dlog(LOG_WARN, NULL, "job %s: queue full, fire skipped", j->name);
		metric_add(M_JOB_SKIPPED, 1);
		return;
	}
	j->running++;
	metric_add(M_JOB_FIRES, 1);
	dlog(LOG_INFO, NULL, "job %s: fired (%s)", j->name, why);
}

int jobs_rebuild(struct sched *s, char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	int64_t now = (int64_t)time(NULL);
	const struct pb_set *set = daemon_playbooks(s->d);
	int n = 0;
	for (int i = 0; i < set->n; i++)
		n += set->pb[i].schedule != NULL;
	struct job *jobs = calloc((size_t)n + 1, sizeof *jobs);
	int k = 0, first = s->jobs == NULL;
	for (int i = 0; i < set->n; i++) {
		const struct pb_meta *pb = &set->pb[i];
		if (!pb->schedule)
			continue;
		struct job *j = &jobs[k++];
		snprintf(j->name, sizeof j->name, "%s", pb->name);
		j->pb = pb;
		for (int o = 0; o < s->njobs; o++) /* a reload keeps what is running */
			if (strcmp(s->jobs[o].name, j->name) == 0) {
				j->running = s->jobs[o].running;
				j->queued = s->jobs[o].queued;
				j->last = s->jobs[o].last;
				j->run_now_seen = s->jobs[o].run_now_seen;
			}
		/* The stored record: when did it last fire (missed runs), pause state. */
		struct job_rec r;
		jobs_read(daemon_store(s->d), j->name, &r);
		j->paused = r.paused;
		/* The reference for missed fires: the last fire, or for a job that
		 * never fired the fire it was waiting for when the daemon stopped
		 * (its saved `next`), so a new job down across its first fire still
		 * runs it once. */
		int64_t ref = 0;
		if (first) {
			j->run_now_seen = r.run_now;
			j->last = r.last / 1000;
			ref = j->last > 0 ? j->last : r.next > 0 ? r.next / 1000 - 1 : 0;
		}
		j->next = next_after(j, now);
		if (first && ref > 0 && !j->paused) {
			/* Missed: a fire due after the last one and before now. Grace is
			 * about the latest of them (down for two days, an hourly job with
			 * an hour's grace still runs once): is one due in the last
			 * grace_s seconds? */
			int64_t missed = next_after(j, ref);
			int64_t from = now - pb->grace_s - 1 > ref ? now - pb->grace_s - 1 : ref;
			int64_t recent = next_after(j, from);
			if (missed && missed <= now) {
				if (pb->missed == MISSED_RUN_ONCE && recent && recent <= now) {
					j->last = now;
					fire(s, j, "missed while the daemon was down");
				} else {
					dlog(LOG_INFO, NULL, "job %s: missed fire skipped (policy or grace)",
					     j->name);
					metric_add(M_JOB_SKIPPED, 1);
				}
			}
		}
		save(s, j);
	}
	free(s->jobs);
	s->jobs = jobs;
	s->njobs = k;
	metric_set(M_JOBS, k);
	return 0;
}

void jobs_tick(struct sched *s, int64_t now_ms)
{
	int64_t now = now_ms / 1000;
	static int64_t last_poll;
	int poll = now_ms - last_poll >= 1000;
	if (poll)
		last_poll = now_ms;
	for (int i = 0; i < s->njobs; i++) {
		struct job *j = &s->jobs[i];
		int changed = 0;
		if (poll) {
			struct job_rec r;
			if (jobs_read(daemon_store(s->d), j->name, &r) == 0) {
				j->paused = r.paused;
				if (r.run_now > j->run_now_seen) {
					j->run_now_seen = r.run_now;
					j->last = now; /* a fire on request is a fire: LAST shows it */
					fire(s, j, "run now");
					changed = 1;
				}
			}
		}
		if (j->next && j->next <= now) {
			if (!j->paused) {
				j->last = now;
				fire(s, j, "schedule");
			}
			j->next = next_after(j, now);
			changed = 1;
		}
		j->dirty_ = changed;
	}
	/* Records are saved after the loop, not in the middle of fires. */
	for (int i = 0; i < s->njobs; i++)
		if (s->jobs[i].dirty_) {
			s->jobs[i].dirty_ = 0;
			save(s, &s->jobs[i]);
		}
}

void jobs_run_done(struct sched *s, const char *name, int status)
{
	(void)status;
	for (int i = 0; i < s->njobs; i++) {
		struct job *j = &s->jobs[i];
		if (strcmp(j->name, name) != 0)
			continue;
		if (j->running)
			j->running--;
		if (j->queued && !j->running) {
			j->queued = 0;
			fire(s, j, "queued");
		}
		save(s, j);
	}
}

int jobs_fire_now(struct sched *s, const char *name, char *err, size_t errlen)
{
	for (int i = 0; i < s->njobs; i++)
		if (strcmp(s->jobs[i].name, name) == 0) {
			s->jobs[i].last = (int64_t)time(NULL);
			fire(s, &s->jobs[i], "API");
			save(s, &s->jobs[i]);
			return 0;
		}
	snprintf(err, errlen, "no job %s", name);
	return 1;
}
