/* runscrub.h - what a run writes out never holds a secret it opened.
 *
 * Every secret value a run reads is registered in its redaction set; every
 * string the run writes out (log records, journal entries, case timeline text,
 * its result, its errors) passes through run_scrub first, which replaces the
 * value (and its base64, URL and JSON-escaped forms) with [secret:NAME]. */
#ifndef SOAR_RUNSCRUB_H
#define SOAR_RUNSCRUB_H

#include "runinfo.h"

#include <stddef.h>

/* The run's set, made on first use; NULL outside a run or out of memory. */
struct redact_set *run_redact_set(struct run_info *ri);

/* Scrubs s (len bytes) for the run ri (NULL: the run on this thread). Returns a
 * malloc'd copy when something was replaced (its length in *outlen), else NULL:
 * use s as it is. */
char *run_scrub(const struct run_info *ri, const char *s, size_t len, size_t *outlen);

/* Always a malloc'd copy (scrubbed when needed), NUL-terminated; NULL when s
 * is NULL or out of memory. The caller frees it. */
char *run_scrub_dup(const struct run_info *ri, const char *s, size_t len);

/* In place, for a malloc'd string the caller owns: replaces *s when needed. */
void run_scrub_str(const struct run_info *ri, char **s);

/* From a primitive, on the run's thread: pushes the scrubbed copy of s and
 * returns 1, or pushes nothing and returns 0 when s holds no secret. The copy
 * lives in libc's heap only inside a no-interrupt region, and a push that
 * raises (out of memory) leaves it to the next call to free. */
struct lua_State;
int run_scrub_push(struct lua_State *L, const char *s, size_t len);

#endif
