/* noint_malloc.c - libc's allocator, made a no-interrupt region for the watchdog.
 *
 * The hard stop (sandbox/watchdog.h) leaves a run with siglongjmp from wherever its
 * thread is. Landing inside malloc would leave the arena's lock held and the
 * next allocation on that arena would deadlock. The sandbox's own code marks
 * its C heap calls, but a run's thread also allocates inside libcurl, LMDB,
 * PCRE2, stdio and every helper they call; rather than trust each call site,
 * this file replaces the allocator's entry points (glibc supports replacing
 * malloc: "Replacing malloc" in its manual) with ones that enter a
 * no-interrupt region around glibc's own implementation (__libc_malloc ...).
 * It lives in base/ because everything links it; the sandbox hands its region
 * functions down (noint.h). Cost: two atomic loads, two indirect calls and a
 * thread-local increment and decrement per call.
 *
 * Not under AddressSanitizer, which replaces the allocator itself.
 */
#include "noint.h"

#include <errno.h>
#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__)
#define SOAR_GUARD_MALLOC 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SOAR_GUARD_MALLOC 0
#endif
#endif
#ifndef SOAR_GUARD_MALLOC
#define SOAR_GUARD_MALLOC 1
#endif

int noint_malloc_guarded(void) { return SOAR_GUARD_MALLOC; }

#if SOAR_GUARD_MALLOC
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t n);
extern void *__libc_valloc(size_t n);
extern void *__libc_pvalloc(size_t n);

void *malloc(size_t n)
{
	noint_enter();
	void *p = __libc_malloc(n);
	noint_leave();
	return p;
}

void *calloc(size_t n, size_t size)
{
	noint_enter();
	void *p = __libc_calloc(n, size);
	noint_leave();
	return p;
}

void *realloc(void *old, size_t n)
{
	noint_enter();
	void *p = __libc_realloc(old, n);
	noint_leave();
	return p;
}

void free(void *p)
{
	noint_enter();
	__libc_free(p);
	noint_leave();
}

void *memalign(size_t align, size_t n)
{
	noint_enter();
	void *p = __libc_memalign(align, n);
	noint_leave();
	return p;
}

void *aligned_alloc(size_t align, size_t n)
{
	return memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	if (align < sizeof(void *) || (align & (align - 1)) != 0)
		return EINVAL;
	void *p = memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t n)
{
	noint_enter();
	void *p = __libc_valloc(n);
	noint_leave();
	return p;
}

void *pvalloc(size_t n)
{
	noint_enter();
	void *p = __libc_pvalloc(n);
	noint_leave();
	return p;
}
#endif
