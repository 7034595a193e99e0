/* dash_roi.h - minutes saved (ROI): per succeeded run, the playbook's
 * `minutes_saved`; per playbook and per month, beside the time the automation
 * itself took, and whether it paid for its writing time (`minutes_to_build`),
 * as the XKCD "is it worth the time" table puts it. Read from the run records
 * (the newest `max_runs`) and the loaded playbooks; shared by the dashboard
 * and `soarctl report`. */
#ifndef SOAR_DASH_ROI_H
#define SOAR_DASH_ROI_H

#include "daemon.h"

#include <stddef.h>
#include <stdint.h>

struct roi_row {
	char playbook[128];
	uint64_t runs, succeeded, failed, waiting;
	uint64_t succeeded_month;     /* finished since month_start */
	double minutes_each;          /* the playbook's minutes_saved (0: not said), or the mean
	                               * per succeeded run once its tasks declare their own */
	uint64_t task_counted;        /* succeeded runs counted by their tasks' minutes_saved */
	double minutes_to_build;      /* 0: not said */
	double saved, saved_month;    /* minutes */
	double auto_minutes;          /* the succeeded runs' own time, created to finished */
	double days;                  /* span from its first run in the window to now */
};

struct roi {
	struct roi_row *rows;         /* malloc'd; most saved first */
	size_t n;
	uint64_t runs;                /* runs read */
	int truncated;                /* max_runs were read: older runs not counted */
	double saved, saved_month;
	uint64_t month_hist[12];      /* minutes saved per calendar month, [11] = this one */
};

/* Runs created at or after since_ms (0: all), newest first, at most max_runs.
 * `set` may be NULL (no minutes known). 0 or -1 with err. */
int roi_compute(struct store *st, const struct pb_set *set, int64_t since_ms, int64_t now_ms,
		size_t max_runs, struct roi *out, char *err, size_t errlen);
void roi_free(struct roi *r);
/* The first millisecond of the UTC calendar month holding `ms`, and of the
 * month `back` months before it. */
int64_t roi_month_start(int64_t ms, int back);

#endif
