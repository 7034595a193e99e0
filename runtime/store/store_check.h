/* store_check.h - the store's consistency, across databases: every index entry
 * has its record and every record its index entries (cases, runs, prompts),
 * every journal and timeline entry its run or case, every attachment its blob,
 * every blob its size record, every EDL entry its list. For `soarctl store check`
 * and `restore`. */
#ifndef SOAR_STORE_CHECK_H
#define SOAR_STORE_CHECK_H

#include "store.h"

#define STORE_CHECK_KEEP 50   /* problems described; the rest only counted */

struct store_check_report {
	uint64_t checked;                 /* records and entries looked at */
	uint64_t problems;                /* found (all of them) */
	size_t kept;                      /* described in problem[] */
	char problem[STORE_CHECK_KEEP][200];
};

/* Walks the whole store in one read transaction (a consistent view while others
 * write). Returns 0 consistent, 1 problems (see rep), -1 could not read (err). */
int store_check(struct store *st, struct store_check_report *rep, char *err, size_t errlen);

/* Cases per case type, with the bytes of their records and timelines (keys and
 * values). *out is malloc'd (free it), in the order first met. 0, or -1 + err. */
struct store_type_count {
	char type[64];
	uint64_t cases, bytes;
};
int store_case_types(struct store *st, struct store_type_count **out, size_t *n, char *err,
		     size_t errlen);

#endif
