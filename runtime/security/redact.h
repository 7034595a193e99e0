/* redact.h - scrubbing secret values out of what a run writes.
 *
 * A run owns one redact set (opaque, per-run handle). Each secret the run opens
 * is added to it (secret_get does this when given the set), and every string the
 * run writes out (logs, output, errors, journal, case timeline) goes through
 * redact() first. Each value is searched in these forms:
 *   - raw bytes;
 *   - standard and URL-safe base64, padded and unpadded, and the part of each
 *     that is fixed whatever precedes the value inside a longer base64 text
 *     (the three byte alignments: "user:" + secret in HTTP Basic auth);
 *   - URL (percent) encoding, upper- and lowercase hex, and form encoding (+);
 *     every byte as %XX (both cases);
 *   - hex of the bytes, lower- and uppercase;
 *   - JSON string escaping (quotes, backslashes, controls), every byte as
 *     \u00XX (both cases), and the slash alone as "\/", "\u002f" or "\u002F".
 * Text with a line break between two non-blank bytes (MIME base64 at 76
 * columns, a folded header, a wrapped log line) is also scanned with those
 * breaks (and the blanks after them) taken out, so a form cut by a break is
 * found; the replacement then covers the break too.
 * Every occurrence becomes "[secret:NAME]"; overlapping matches merge into one.
 *
 * Limits (see docs/security.md): a value split across two separate writes, or
 * transformed otherwise (hashed, reversed, compressed, hex or %XX mixing upper
 * and lower case, \u escapes of some bytes only, a break inside a value that
 * holds a blank), is not found. Values shorter than 4 bytes are still redacted
 * raw, which may mangle unrelated text; the base64 alignment parts are used
 * only when at least 6 characters long.
 *
 * Threads: redact() may run on many threads at once with one redact_add()
 * between them (a read-write lock). Cost: one table lookup per input byte when
 * nothing matches (bitmap of the patterns' first two bytes), plus, for text
 * with inner line breaks, a copy without them and a second look at the last
 * token before each break (docs/PERFORMANCE.md). */
#ifndef SOAR_REDACT_H
#define SOAR_REDACT_H

#include <stddef.h>

struct redact_set;

/* A new empty set. The caller owns it: redact_free(). NULL when out of memory. */
struct redact_set *redact_new(void);

/* Zeroises every stored pattern and frees the set. NULL is fine. */
void redact_free(struct redact_set *rs);

/* Registers a secret value under its name (both copied). Adding the same name
 * and value again does nothing. Returns 0, or -1 when out of memory. An empty
 * value is ignored. */
int redact_add(struct redact_set *rs, const char *name, const void *value, size_t len);

/* How many distinct (name, value) pairs were added. */
size_t redact_count(const struct redact_set *rs);

/* Scrubs `in` (len bytes). Returns the number of replaced spans:
 *   0  nothing to hide: *out = NULL, write `in` as it is;
 *  >0  *out is a malloc'd copy with the replacements, NUL-terminated, *outlen
 *      its length; the caller frees it;
 *  -1  out of memory: *out = NULL, and the caller must NOT write `in`
 *      (write "[redaction failed]" or nothing).
 * `rs` may be NULL (returns 0). */
int redact(const struct redact_set *rs, const char *in, size_t len, char **out, size_t *outlen);

#endif
