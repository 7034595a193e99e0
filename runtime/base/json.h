/* json.h - plain-C JSON helpers, below Lua: UTF-8 well-formedness, shared by
 * the Lua codec (engine/prim_json.c) and the case store. */
#ifndef SOAR_JSON_H
#define SOAR_JSON_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) within avail bytes, or 0. */
size_t json_utf8_seq(const unsigned char *p, size_t avail);

#endif
