/* bench_malloc_guard.c - what the no-interrupt wrappers around libc's allocator
 * (runtime/base/noint_malloc.c) cost: malloc+free pairs per second through them and
 * through glibc's own entry points, on a thread with a watch (a run thread).
 * Usage: bench_malloc_guard [PAIRS] [REPEATS] */
#include "sandbox.h"
#include "watchdog.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

extern void *__libc_malloc(size_t n);
extern void __libc_free(void *p);

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	long pairs = argc > 1 ? atol(argv[1]) : 20000000;
	int repeats = argc > 2 ? atoi(argv[2]) : 5;
	watch_self();   /* this thread counts its regions, as a run thread does */
	printf("guarded: %s\n", sandbox_malloc_guarded() ? "yes" : "no (ASan build)");
	for (int r = 0; r < repeats; r++) {
		double t0 = now();
		for (long i = 0; i < pairs; i++) {
			void *volatile p = malloc((size_t)(i & 255) + 16);
			free(p);
		}
		double t1 = now();
		for (long i = 0; i < pairs; i++) {
			void *volatile p = __libc_malloc((size_t)(i & 255) + 16);
			__libc_free(p);
		}
		double t2 = now();
		printf("guarded %.1f ns/pair, glibc %.1f ns/pair\n", (t1 - t0) / (double)pairs * 1e9,
		       (t2 - t1) / (double)pairs * 1e9);
	}
	return 0;
}
