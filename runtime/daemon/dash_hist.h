/* dash_hist.h - the overview's 30-day histograms of new cases (by severity and
 * by type), kept between renders and warmed by a thread of their own, so that
 * no request counts a million index entries (dash_hist.c). */
#ifndef SOAR_DASH_HIST_H
#define SOAR_DASH_HIST_H

#include "case_stats.h"
#include "store.h"

#include <stddef.h>
#include <stdint.h>

#define DASH_HIST_DAYS 30

/* The window's first day (ms, UTC midnight) for a render at now_ms. */
int64_t dash_hist_from(int64_t now_ms);

/* The series for (by, value) over the window starting at `from`, into
 * out[DASH_HIST_DAYS]: from the kept counts plus the index entries added
 * since; counted afresh here only when nothing is kept (a type the warm thread
 * did not warm) or what is kept is stale. While the warm thread's first pass
 * is still going and the store holds more than DASH_HIST_SYNC_MAX cases,
 * returns 1 and leaves out alone: the page says the chart is being counted
 * rather than waiting for it. Thread-safe. 0, 1, or -1 with err. */
#define DASH_HIST_SYNC_MAX 100000
int dash_hist_get(struct store *st, enum case_stat_by by, const char *value, int64_t from,
		  uint64_t *out, char *err, size_t errlen);

/* Starts the thread that counts the series the overview shows (the four
 * severities and the commonest types) at once and again every 10 minutes and
 * at each UTC midnight. 0, or -1 (the pages then count on their own). */
int dash_hist_start(struct store *st);
/* 1 once the thread's first pass is done (every warmed series kept). */
int dash_hist_ready(void);
/* Stops it (before the store closes); waits for a count in progress. */
void dash_hist_stop(void);

#endif
