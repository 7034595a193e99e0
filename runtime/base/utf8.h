/* utf8.h - UTF-8 well-formedness, shared by the JSON codecs and the case store. */
#ifndef SOAR_UTF8_H
#define SOAR_UTF8_H

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) within avail bytes, or 0. */
size_t json_utf8_seq(const unsigned char *p, size_t avail);

#endif
