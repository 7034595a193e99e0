/* dash_roi.c - minutes saved per playbook and month (dash_roi.h). */
#include "dash_roi.h"

#include "runstore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int64_t roi_month_start(int64_t ms, int back)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	tm.tm_mday = 1;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mon -= back;
	while (tm.tm_mon < 0) {
		tm.tm_mon += 12;
		tm.tm_year--;
	}
	return (int64_t)timegm(&tm) * 1000;
}

static struct roi_row *row_for(struct roi *r, const char *name, size_t *cap)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->rows[i].playbook, name) == 0)
			return &r->rows[i];
	if (r->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct roi_row *p = realloc(r->rows, nc * sizeof *p);
		if (!p)
			return NULL;
		r->rows = p;
		*cap = nc;
	}
	struct roi_row *w = &r->rows[r->n++];
	memset(w, 0, sizeof *w);
	snprintf(w->playbook, sizeof w->playbook, "%s", name);
	return w;
}

static int by_saved(const void *a, const void *b)
{
	const struct roi_row *x = a, *y = b;
	if (x->saved != y->saved)
		return x->saved < y->saved ? 1 : -1;
	return strcmp(x->playbook, y->playbook);
}

int roi_compute(struct store *st, const struct pb_set *set, int64_t since_ms, int64_t now_ms,
		size_t max_runs, struct roi *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct run_rec *runs = NULL;
	size_t n = 0, cap = 0;
	if (run_list(st, 0, max_runs, &runs, &n, err, errlen) != 0)
		return -1;
	out->truncated = max_runs && n == max_runs;
	int64_t month = roi_month_start(now_ms, 0);
	int64_t months[12];
	for (int i = 0; i < 12; i++)
		months[i] = roi_month_start(now_ms, 11 - i);
	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		struct run_rec *x = &runs[i];
		if (rc == 0 && x->created >= since_ms) {
			struct roi_row *w = row_for(out, x->playbook ? x->playbook : "?", &cap);
			if (!w) {
				snprintf(err, errlen, "out of memory counting runs");
				rc = -1;
			} else {
				out->runs++;
				w->runs++;
				double d = (double)(now_ms - x->created) / 86400000.0;
				if (d > w->days)
					w->days = d;
				const struct pb_meta *pb = set ? pb_set_find(set, w->playbook) : NULL;
				if (pb) {
					w->minutes_each = pb->minutes_saved;
					w->minutes_to_build = pb->minutes_to_build;
				}
				if (x->status == RUN_SUCCEEDED) {
					/* The run's completed tasks' own figures when any
					 * declared one, else the playbook's. */
					double each = w->minutes_each;
					if (x->saved_declared) {
						each = (double)x->saved_milli / 1000.0;
						w->task_counted++;
					}
					w->succeeded++;
					w->saved += each;
					int64_t fin = x->finished ? x->finished : x->updated;
					if (fin > x->created)
						w->auto_minutes += (double)(fin - x->created) / 60000.0;
					if (fin >= month) {
						w->succeeded_month++;
						w->saved_month += each;
					}
					for (int m = 11; m >= 0; m--)
						if (fin >= months[m]) {
							out->month_hist[m] += (uint64_t)(each + 0.5);
							break;
						}
				} else if (x->status == RUN_FAILED || x->status == RUN_CANCELLED)
					w->failed++;
				else if (x->status == RUN_WAITING)
					w->waiting++;
			}
		}
		run_rec_free(x);
	}
	free(runs);
	if (rc != 0) {
		roi_free(out);
		return -1;
	}
	for (size_t i = 0; i < out->n; i++) {
		struct roi_row *w = &out->rows[i];
		if (w->task_counted && w->succeeded)
			w->minutes_each = w->saved / (double)w->succeeded;
		out->saved += out->rows[i].saved;
		out->saved_month += out->rows[i].saved_month;
	}
	if (out->n)
		qsort(out->rows, out->n, sizeof *out->rows, by_saved);
	return 0;
}

void roi_free(struct roi *r)
{
	free(r->rows);
	memset(r, 0, sizeof *r);
}
