/* bench_redact.c - what redaction costs on the run's write path, for
 * docs/PERFORMANCE.md. A run holding 10 secrets scrubs:
 *   line    one 140-byte log line with no secret and no line break
 *   multi   a 10-line, 1.4 KB text with no secret (line breaks inside)
 *   blob    8 MiB of log lines with a secret every 64 KiB
 * Prints the median of 7 rounds for each, in ns per call (line, multi) and
 * MB/s (blob). Usage: bench_redact [ROUNDS [line|multi|blob]]; with a case
 * named, only that one runs (for `perf stat -e instructions`, which a loaded
 * machine does not blur). */
#include "redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_d);
	return v[n / 2];
}

static volatile int sink;

/* ns per call of redact on text, over `iters` calls. */
static double per_call(struct redact_set *rs, const char *text, size_t len, int iters)
{
	double t0 = now_s();
	for (int i = 0; i < iters; i++) {
		char *o;
		size_t ol;
		int r = redact(rs, text, len, &o, &ol);
		sink += r;
		free(o);
	}
	return (now_s() - t0) * 1e9 / iters;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 7;
	if (rounds < 1 || rounds > 101)
		rounds = 7;
	struct redact_set *rs = redact_new();
	char name[32], val[64];
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "int%d.key", i);
		snprintf(val, sizeof val, "Secret-%d-%08xQ/x+", i, (unsigned)(i * 40503u));
		redact_add(rs, name, val, strlen(val));
	}
	const char line[] = "2024-05-01T10:00:00Z info step=http.request url=https://api.example/v3 "
			    "status=200 bytes=1234 Secret-notreally ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char multi[2048] = "";
	for (int i = 0; i < 10; i++) {
		strcat(multi, line);
		strcat(multi, "\n");
	}
	size_t n = 8u << 20;
	char *blob = malloc(n);
	for (size_t i = 0; i < n; i++)
		blob[i] = i % (sizeof line) == sizeof line - 1 ? '\n' : line[i % sizeof line];
	for (size_t at = 1000; at + 40 < n; at += 65536) {
		int k = (int)(at / 65536) % 10;
		snprintf(val, sizeof val, "Secret-%d-%08xQ/x+", k, (unsigned)(k * 40503u));
		memcpy(blob + at, val, strlen(val));
	}
	double a[101] = { 0 }, b[101] = { 0 }, c[101] = { 0 };
	const char *only = argc > 2 ? argv[2] : "";
	for (int r = 0; r < rounds; r++) {
		if (!*only || strcmp(only, "line") == 0)
			a[r] = per_call(rs, line, sizeof line - 1, 200000);
		if (!*only || strcmp(only, "multi") == 0)
			b[r] = per_call(rs, multi, strlen(multi), 20000);
		if (*only && strcmp(only, "blob") != 0)
			continue;
		double t0 = now_s();
		char *o;
		size_t ol;
		sink += redact(rs, blob, n, &o, &ol);
		free(o);
		c[r] = (double)n / (now_s() - t0) / 1e6;
	}
	printf("redact, 10 secrets, median of %d rounds:\n", rounds);
	printf("  line  (%zu B, no break)   %8.0f ns/call\n", sizeof line - 1, median(a, rounds));
	printf("  multi (%zu B, 10 lines)  %8.0f ns/call\n", strlen(multi), median(b, rounds));
	printf("  blob  (8 MiB, 128 hits)  %8.0f MB/s\n", median(c, rounds));
	free(blob);
	redact_free(rs);
	return 0;
}
