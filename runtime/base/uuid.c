/* uuid.c - see uuid.h. Plain C (the store keys runs by uuid_parse; the engine
 * makes run ids with uuid_v7); the `uuid` Lua namespace is prim_uuid.c.
 *
 * The only state is the last v7 timestamp of the calling thread (thread-local):
 * it keeps one thread's ids increasing; it holds no secret and no Lua value.
 */
#include "uuid.h"
#include "hex.h"
#include "randbytes.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void random_fill(void *buf, size_t n)
{
	if (randbytes(buf, n) != 0) {
		/* No sane fallback: a guessable id is worse than no id. */
		fprintf(stderr, "soarctl: getrandom failed: errno %d\n", errno);
		abort();
	}
}

void uuid_v4(char out[UUID_STR_LEN + 1])
{
	unsigned char b[16];
	random_fill(b, sizeof b);
	b[6] = (unsigned char)((b[6] & 0x0F) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80); /* variant 10 */
	uuid_format(b, out);
}

/* Time in units of 1/4096 ms: 48 bits of milliseconds, 12 bits of fraction. */
static _Thread_local uint64_t v7_last;

void uuid_v7(char out[UUID_STR_LEN + 1])
{
	unsigned char b[16];
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	uint64_t frac = (uint64_t)(ts.tv_nsec % 1000000) * 4096 / 1000000;
	uint64_t t = ms << 12 | frac;
	if (t <= v7_last) /* same tick, or the clock stepped back */
		t = v7_last + 1;
	v7_last = t;
	random_fill(b, sizeof b);
	ms = t >> 12;
	for (int i = 0; i < 6; i++)
		b[i] = (unsigned char)(ms >> (40 - 8 * i));
	b[6] = (unsigned char)(0x70 | ((t >> 8) & 0x0F)); /* version 7, fraction high */
	b[7] = (unsigned char)(t & 0xFF);
	b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);     /* variant 10 */
	uuid_format(b, out);
}

int uuid_valid(const char *s, size_t len)
{
	if (len != UUID_STR_LEN)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return 0;
		} else if (hex_digit((unsigned char)c) < 0) {
			return 0;
		}
	}
	return 1;
}

int uuid_parse(const char *s, unsigned char out[16])
{
	if (!s || strlen(s) != UUID_STR_LEN || !uuid_valid(s, UUID_STR_LEN))
		return -1;
	int j = 0;
	for (int i = 0; i < UUID_STR_LEN; i++) {
		if (s[i] == '-')
			continue;
		out[j / 2] = (unsigned char)((j % 2 ? out[j / 2] : 0) | hex_digit((unsigned char)s[i]) << (j % 2 ? 0 : 4));
		j++;
	}
	return 0;
}

void uuid_format(const unsigned char in[16], char out[UUID_STR_LEN + 1])
{
	int j = 0;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[j++] = '-';
		out[j++] = hex_lower[in[i] >> 4];
		out[j++] = hex_lower[in[i] & 15];
	}
	out[j] = 0;
}
