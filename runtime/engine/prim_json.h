/* prim_json.h - JSON between Lua values and text: the `json` Lua namespace and
 * the C helpers that the engine and other bindings use to decode into and encode
 * from a Lua state. Reading and string escaping are json.h's (one codec); this
 * file maps JSON values to Lua values.
 *
 * Mapping (both directions, see docs/lua-api.md "json"):
 *   object <-> table with string keys        array <-> table with keys 1..n
 *   null   <-> json.null (a light userdata)  empty array <-> table marked by json.array
 *   number <-> number; an integer literal beyond +-2^53 decodes to a string of its
 *              digits (a double would silently change it); integers up to 2^53
 *              encode exactly, other numbers in the shortest form that round-trips.
 * Text must be UTF-8: decode rejects invalid UTF-8, encode refuses strings that
 * are not UTF-8 (base64 binary data first). Decode refuses what json.h refuses:
 * duplicate keys, numbers that are not finite as a double.
 */
#ifndef SOAR_PRIM_JSON_H
#define SOAR_PRIM_JSON_H

#include "json.h"

#include <lua.h>
#include <stddef.h>

/* Encoded text lives in the C heap, outside the run's memory cap: bound it. */
#define JSON_DEFAULT_MAX_BYTES ((size_t)64 << 20)

struct json_opts {
	int pretty;        /* encode: newlines and two-space indent */
	int sort_keys;     /* encode: object keys in byte order (stable output) */
	int max_depth;     /* nesting limit of arrays + objects; 0 = default */
	size_t max_bytes;  /* encode: output limit; 0 = JSON_DEFAULT_MAX_BYTES */
};

/* Encodes the value at `idx` into `out` (appending). `opts` may be NULL.
 * Returns 0, or -1 with a message in err such as
 * "NaN is not valid JSON at $.alerts[3].score" (paths use Lua's 1-based indices).
 * Lua errors inside (out of memory, the watchdog's stop) are caught and reported
 * the same way; needs 3 free stack slots; leaves the stack as it was. */
int json_encode_lua(lua_State *L, int idx, const struct json_opts *opts,
		    struct json_buf *out, char *err, size_t errlen);

/* Decodes `s` (len bytes, need not be NUL-terminated) and pushes the value.
 * Returns 0 with one value pushed, or -1 with nothing pushed and a message in err
 * such as "expected ',' or ']' at offset 17" (offsets count bytes from 0).
 * `opts` may be NULL (only max_depth is used). Needs 3 free stack slots. */
int json_decode_push(lua_State *L, const char *s, size_t len, const struct json_opts *opts,
		     char *err, size_t errlen);

/* json.null, the value that stands for JSON null inside tables. */
void json_push_null(lua_State *L);
int json_is_null(lua_State *L, int idx);

#endif
