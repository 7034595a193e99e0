/* case_json.h - checks that text is one well-formed JSON value (RFC 8259: no
 * NaN/Infinity, no hex, no trailing commas, valid UTF-8 not required to be
 * checked beyond control characters), so the store only ever holds JSON that
 * any reader can parse. Private to the case store.
 *
 * Why not json.h: json_decode_push decodes into a Lua state, and the store is
 * below Lua (DESIGN.md: the store knows nothing of Lua); the CLI and C callers
 * check fields with no state at hand, and a fresh state costs ~180 us per check.
 * This check allocates nothing. Left to do: json.h rejects invalid UTF-8 and this
 * does not yet; share prim_json.c's utf8_seq through json.h to close the gap. */
#ifndef SOAR_CASE_JSON_H
#define SOAR_CASE_JSON_H

#include <stddef.h>

/* Returns 0 when `s` (len bytes) is exactly one JSON value (an object when
 * want_object), else -1 with `err` saying what and where. Depth is capped at 64. */
int case_json_check(const char *s, size_t len, int want_object, char *err, size_t errlen);

#endif
