/* jobstore.h - the records of scheduled jobs in the store (see jobstore.c): what
 * `soarctl job` and GET /api/v1/jobs show, and the requests (pause, run now) the
 * daemon's scheduler (daemon/jobs.c) acts on. */
#ifndef SOAR_JOBSTORE_H
#define SOAR_JOBSTORE_H

#include "store.h"

#include <stdint.h>

struct job_rec {
	char schedule[256], tz[64], overlap[8], missed[12];
	int paused, running;
	int64_t last, next, run_now;      /* ms */
};

/* The CLI's and the API's requests; 1 (STORE_REFUSED) with a message when no
 * such job has a record. */
int jobs_set_paused(struct store *st, const char *name, int paused, char *err, size_t errlen);
int jobs_request_run(struct store *st, const char *name, char *err, size_t errlen);

/* The job records as JSON lines / an array, for `job list` and GET /api/v1/jobs. */
struct store_buf;
int jobs_list_json(struct store *st, struct store_buf *out, int array, char *err, size_t errlen);

/* The daemon's side: writes every field of r but paused and run_now (which the
 * CLI owns); reads the record of `name` (0, or -1: none or unreadable, r zeroed). */
int jobs_save(struct store *st, const char *name, const struct job_rec *r, char *err, size_t errlen);
int jobs_read(struct store *st, const char *name, struct job_rec *r);

#endif
