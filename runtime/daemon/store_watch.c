/* store_watch.c - see store_watch.h. */
#include "store_watch.h"
#include "daemon.h"
#include "metrics.h"
#include "store_full.h"

#include <stdio.h>

static int was_full;
static int64_t last_probe, last_let_through;

void store_watch_message(struct store *st, char *msg, size_t msglen)
{
	char d[4300];
	store_full_describe(st, d, sizeof d);
	snprintf(msg, msglen, "%s: writes are refused until space is freed (reads go on; "
		 "nothing acknowledged was lost)", d);
}

void store_watch_tick(struct store *st, int64_t now)
{
	int full = store_full(st);
	if (full && now - last_probe >= 1000) {
		last_probe = now;
		char err[512];
		if (store_probe(st, err, sizeof err) == 0)
			full = store_full(st);
	}
	metric_set(M_STORE_FULL, full);
	metric_set(M_STORE_FREE_BYTES, store_free_bytes(st));
	if (full != was_full) {
		char msg[4600];
		store_watch_message(st, msg, sizeof msg);
		if (full)
			dlog(LOG_ERROR, NULL, "%s; write requests get 507", msg);
		else
			dlog(LOG_INFO, NULL, "the data directory has room again: writes accepted");
		was_full = full;
	}
}

int store_watch_refuse(struct store *st, int64_t now, char *msg, size_t msglen)
{
	if (!store_full(st))
		return 0;
	if (now - last_let_through >= 1000) {
		last_let_through = now; /* this one tries: it may find space */
		return 0;
	}
	store_watch_message(st, msg, msglen);
	return 1;
}
