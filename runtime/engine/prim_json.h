/* prim_json.h - strict JSON (RFC 8259) between Lua values and text, for the core and
 * for the `json` Lua namespace (whose three functions live here too: they share
 * the codec's internals; prims/prims.c registers them).
 *
 * Mapping (both directions, see docs/lua-api.md "json"):
 *   object <-> table with string keys        array <-> table with keys 1..n
 *   null   <-> json.null (a light userdata)  empty array <-> table marked by json.array
 *   number <-> number; an integer literal beyond +-2^53 decodes to a string of its
 *              digits (a double would silently change it); integers up to 2^53
 *              encode exactly, other numbers in the shortest form that round-trips.
 * Text must be UTF-8: decode rejects invalid UTF-8, encode refuses strings that
 * are not UTF-8 (base64 binary data first).
 */
#ifndef SOAR_PRIM_JSON_H
#define SOAR_PRIM_JSON_H

#include <lua.h>
#include <stddef.h>

#include "json.h"

#define JSON_DEFAULT_MAX_DEPTH 128
#define JSON_MAX_DEPTH_LIMIT   1000
/* Encoded text lives in the C heap, outside the run's memory cap: bound it. */
#define JSON_DEFAULT_MAX_BYTES ((size_t)64 << 20)

struct json_opts {
	int pretty;        /* encode: newlines and two-space indent */
	int sort_keys;     /* encode: object keys in byte order (stable output) */
	int max_depth;     /* nesting limit of arrays + objects; 0 = default */
	size_t max_bytes;  /* encode: output limit; 0 = JSON_DEFAULT_MAX_BYTES */
};

/* Output of json_encode_lua. Initialise to {0}. `data` is malloc'd and
 * NUL-terminated once anything was written; the caller owns it and frees it with
 * json_buf_free (also after a failure). */
struct json_buf {
	char *data;
	size_t len;
	size_t cap;
};

void json_buf_free(struct json_buf *b);

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
