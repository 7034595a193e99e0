/* noint.h - regions the sandbox's hard stop must not interrupt, for code below
 * the sandbox (time zones loading, the store waiting on a lock...).
 *
 * The hard stop siglongjmps out of a run; inside libc's allocator, file I/O or a
 * lock that would leave the process broken. Code in base/ and store/ cannot
 * call the sandbox (it is a layer above), so the sandbox hands its enter and
 * leave functions down once (sandbox_new); until then, and in processes that
 * run no sandbox, a region costs a load and a branch. */
#ifndef SOAR_NOINT_H
#define SOAR_NOINT_H

void noint_enter(void);
void noint_leave(void);

/* Called by the sandbox; the same pair from any thread, any number of times. */
void noint_set_hooks(void (*enter)(void), void (*leave)(void));

/* 1 when libc's allocator is wrapped in regions (noint_malloc.c; not under ASan). */
int noint_malloc_guarded(void);

#endif
