/* case_stats.h - counts of cases for dashboards and reports, read from the
 * case indexes alone (no record is decoded), so that they stay cheap with a
 * million cases: a count per status, severity or type is one cursor count,
 * and a histogram over time walks only the 16-byte index entries in its range.
 * A new file beside case_query.c so that the query interface stays as it is. */
#ifndef SOAR_CASE_STATS_H
#define SOAR_CASE_STATS_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

enum case_stat_by { CASE_STAT_ALL, CASE_STAT_STATUS, CASE_STAT_SEVERITY, CASE_STAT_TYPE };

/* How many cases hold `value` for `by` (status/severity: the number as text,
 * "1".."4"; type: the type; ALL: value ignored). 0 or -1 with err. */
int case_stat_count(struct store *st, enum case_stat_by by, const char *value, uint64_t *n,
		    char *err, size_t errlen);

/* The distinct case types, with their counts, most first (at most max).
 * names[i] is malloc'd (free each). Returns the number found, or -1. */
int case_stat_types(struct store *st, size_t max, char **names, uint64_t *counts,
		    char *err, size_t errlen);

/* Cases created in [from, from + nbuckets * bucket_ms), counted per bucket
 * into counts[] (added to, not zeroed), for one value of `by` as in
 * case_stat_count. `scanned` (may be NULL) gets the index entries read.
 * 0 or -1. */
int case_stat_histogram(struct store *st, enum case_stat_by by, const char *value, int64_t from,
			int64_t bucket_ms, size_t nbuckets, uint64_t *counts, uint64_t *scanned,
			char *err, size_t errlen);

/* The same, resumable: counts only the entries after `after` (16 bytes: the
 * index entry's time and number, big endian; NULL: from the range's start)
 * and sets `last` (16 bytes, may be NULL) to the last entry counted, or
 * leaves it when none was. A caller keeping counts between calls (the
 * dashboard) scans only what came since: new cases go at the end of their
 * index key. */
int case_stat_histogram_after(struct store *st, enum case_stat_by by, const char *value,
			      const unsigned char *after, int64_t from, int64_t bucket_ms,
			      size_t nbuckets, uint64_t *counts, unsigned char *last,
			      uint64_t *scanned, char *err, size_t errlen);

#endif
