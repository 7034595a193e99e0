/* fuzz.h - shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c).
 *
 * Each harness defines LLVMFuzzerTestOneInput. Built with clang and
 * -fsanitize=fuzzer (SOAR_FUZZ=ON, `make fuzz`), it is a libFuzzer binary; in the
 * gcc builds it is linked with replay.c, which runs the seed corpus through it
 * once (ctest fuzz.NAME.replay), so every harness also compiles under gcc's
 * -Wall -Wextra -Werror and the corpus' regression inputs run in both builds.
 *
 * A property a harness checks that does not hold is a crash (FUZZ_CHECK aborts
 * with the reason), so libFuzzer saves the input like any sanitizer report. */
#ifndef SOAR_FUZZ_H
#define SOAR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond, ...)                                                   \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, \
				__LINE__, #cond);                               \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

/* A NUL-terminated copy of the input (the caller frees it). NULL when out of memory. */
char *fuzz_cstr(const uint8_t *data, size_t size);

/* A fresh directory for this process (under /dev/shm when it exists, so that
 * the store's fsyncs cost nothing; else $TMPDIR or /tmp), removed at exit.
 * Exits the process when it cannot be made. */
const char *fuzz_tmpdir(void);

#endif
