/* uuid.h - RFC 9562 UUIDs for the core (run ids) and the `uuid` Lua namespace.
 *
 * Both write the lowercase canonical form, 36 characters and a NUL, into `out`
 * (the caller's buffer). Randomness comes from getrandom(2); if the kernel cannot
 * provide it (Linux < 3.17) they abort rather than hand out guessable ids.
 */
#ifndef SOAR_UUID_H
#define SOAR_UUID_H

#include <stddef.h>

#define UUID_STR_LEN 36

/* Version 4: 122 random bits. */
void uuid_v4(char out[UUID_STR_LEN + 1]);

/* Version 7: 48-bit Unix time in milliseconds, then 12 bits of sub-millisecond
 * time (RFC 9562 section 6.2, method 3), then 62 random bits. Ids made by one
 * thread are strictly increasing even if the clock steps back; ids from different
 * threads are ordered by time to within the clock's resolution. */
void uuid_v7(char out[UUID_STR_LEN + 1]);

/* 1 if s (len bytes) is the 8-4-4-4-12 hex form (either case, any version), else 0. */
int uuid_valid(const char *s, size_t len);

/* The 16 bytes of a UUID and back, for keys in the store. parse returns 0, or -1 when s
 * is not the canonical 36-character form. */
int uuid_parse(const char *s, unsigned char out[16]);
void uuid_format(const unsigned char in[16], char out[UUID_STR_LEN + 1]);

#endif
