/* pool.h - a pool of sandboxed interpreter states shared by threads.
 *
 * Building a state costs ~0.2 ms; a run on a warm one a few microseconds. A
 * thread takes a state for a run (or a batch of runs) and gives it back; states
 * are built on demand up to `max`, then takers wait. A state carries nothing
 * from one run to the next (sandbox.h), so any state serves any run. */
#ifndef SOAR_POOL_H
#define SOAR_POOL_H

#include "sandbox.h"

struct sandbox_pool;

/* max: most states at once (>= 1). NULL with a message when out of memory. */
struct sandbox_pool *sandbox_pool_new(unsigned max, const char *lua_dir, char *err, size_t errlen);
/* Frees every state; none may be taken. */
void sandbox_pool_free(struct sandbox_pool *p);

/* An idle state, a new one, or (at max) the next one given back. NULL with a
 * message only when a state cannot be built. */
struct sandbox *sandbox_pool_take(struct sandbox_pool *p, char *err, size_t errlen);
void sandbox_pool_give(struct sandbox_pool *p, struct sandbox *sb);

/* States built so far (for tests and benchmarks). */
unsigned sandbox_pool_built(struct sandbox_pool *p);

#endif
