/* case_export.h - cases as JSON lines, for archives and SIEMs, and back:
 * one case a line with its timeline, its related links and the contents of its
 * attachments (base64), every time in ms, so that an import into another store
 * gives back the same cases (same numbers, ids, times and entries). Indicators
 * are their own records and are not in it. docs/store.md "Export and import". */
#ifndef SOAR_CASE_EXPORT_H
#define SOAR_CASE_EXPORT_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

#define CASE_EXPORT_FORMAT "soarctl-case-v1"

/* Calls cb with each case created in [since, until) (ms; until 0 = no end), in
 * number order within creation time, as one JSON line (no newline). A non-zero
 * cb return stops. Reads in chunks of a few hundred cases, each its own
 * snapshot (a long export does not hold one read transaction). Returns 0 or
 * -1 + err. *count receives the cases given to cb. */
int case_export(struct store *st, int64_t since, int64_t until,
		int (*cb)(const char *line, size_t len, void *ud), void *ud, uint64_t *count,
		char *err, size_t errlen);

enum { CASE_IMPORT_ADDED = 0, CASE_IMPORT_PRESENT = 1 };
/* Imports one line: CASE_IMPORT_ADDED, CASE_IMPORT_PRESENT (a case with its
 * id is already there: nothing written), or -1 with err (a bad line; a number
 * held by another case; a dedupe key held by another open case). */
int case_import(struct store *st, const char *line, size_t len, char *err, size_t errlen);

#endif
