/* cmd_store_retain.c - `soarctl store retain`: the daemon's retention pass
 * (maint.h reads the policy, retention.h applies it), once, in the foreground:
 * for a store without a daemon, and to see what a policy does. */
#include "cmd_store_retain.h"
#include "cli.h"

#include "maint.h"
#include "retention.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define CMD "store"

int store_retain(struct store *st, const char *dir, const char *actor, int json)
{
	struct maint *m = NULL;
	char err[1024];
	if (maint_load(dir, &m, err, sizeof err) != 0)
		return cli_fail(CMD, EXIT_USAGE, "%s", err);
	const struct retention_policy *p = maint_retention(m);
	if (!p) {
		maint_stop(m);
		return cli_fail(CMD, EXIT_FAIL, "no retention policy: put a \"retention\" object in "
				"%s/store.json (or the file $SOARCTL_STORE_CONFIG names); docs/store.md "
				"\"Retention\"", dir);
	}
	struct retention_counts c = { 0 };
	int rc = retention_pass(st, p, store_now_ms(), actor, NULL, &c, err, sizeof err);
	maint_stop(m);
	char j[512];
	retention_counts_json(&c, j, sizeof j);
	if (json)
		printf("%s\n", j);
	else
		printf("retention: %" PRIu64 " cases removed (%" PRIu64 " timeline entries), %" PRIu64
		       " run journals compacted (%" PRIu64 " entries), %" PRIu64 " expired EDL entries, %"
		       PRIu64 " dedupe keys released; %" PRIu64 " writes, the longest %.1f ms\n",
		       c.cases, c.timeline_entries, c.runs_compacted, c.journal_entries, c.edl_entries,
		       c.dedupe_keys, c.batches, (double)c.max_batch_us / 1000.0);
	if (rc)
		return cli_fail(CMD, EXIT_FAIL, "%s (what was done until then is kept)", err);
	return EXIT_OK;
}
