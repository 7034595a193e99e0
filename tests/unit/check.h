/* check.h - the smallest test harness that reports well.
 * CHECK(cond) records a failure with file:line and goes on; the program's exit code
 * is the number of failures (capped), so ctest sees any failure. */
#ifndef SOAR_CHECK_H
#define SOAR_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond) do { \
	check_count++; \
	if (!(cond)) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *check_a_ = (a), *check_b_ = (b); \
	check_count++; \
	if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) { \
		check_failures++; \
		fprintf(stderr, "%s:%d: CHECK_STR failed: %s == %s\n  got:  \"%s\"\n  want: \"%s\"\n", \
			__FILE__, __LINE__, #a, #b, check_a_ ? check_a_ : "(null)", \
			check_b_ ? check_b_ : "(null)"); \
	} \
} while (0)

/* The string s contains part (prints both when it does not). */
#define CHECK_HAS(s, part) do { \
	const char *has_s_ = (s); \
	CHECK(has_s_ && strstr(has_s_, (part)) != NULL); \
	if (has_s_ && !strstr(has_s_, (part))) \
		fprintf(stderr, "  got: %s\n  want a part: %s\n", has_s_, (part)); \
} while (0)

#define CHECK_DONE() ( \
	fprintf(stderr, "%d checks, %d failed\n", check_count, check_failures), \
	check_failures > 100 ? 100 : check_failures)

#endif
