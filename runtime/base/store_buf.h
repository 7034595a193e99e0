/* store_buf.h - a growable byte buffer for record encoding and JSON output.
 * The bytes are malloc'd and owned by the buffer until taken (b->p, free()). */
#ifndef SOAR_STORE_BUF_H
#define SOAR_STORE_BUF_H

#include <stddef.h>
#include <stdint.h>

struct store_buf {
	char *p;
	size_t len, cap;
	int oom;                  /* set once an allocation failed; appends stop */
};

void store_buf_add(struct store_buf *b, const void *p, size_t n);
/* Appends n bytes for the caller to write (an encoder writing in place) and
 * returns where they start, or NULL (and nothing appended) when out of memory. */
char *store_buf_grow(struct store_buf *b, size_t n);
void store_buf_str(struct store_buf *b, const char *s);
__attribute__((format(printf, 2, 3)))
void store_buf_printf(struct store_buf *b, const char *fmt, ...);
/* Appends `s` as a JSON string literal, quotes included (NULL -> null), with
 * json.h's escaper (bytes that are not UTF-8 become U+FFFD). */
void store_buf_json(struct store_buf *b, const char *s);
void store_buf_json_n(struct store_buf *b, const char *s, size_t n);
/* Unsigned LEB128 varint: the one varint of the store's records (record.h,
 * case_codec.c, indicator.c). */
void store_buf_varint(struct store_buf *b, uint64_t v);
/* Writes v's varint into out (up to 10 bytes; NULL: only counts); returns its length. */
size_t store_varint_put(unsigned char *out, uint64_t v);
/* NUL-terminates and returns the bytes (still owned by b). NULL if oom. */
char *store_buf_cstr(struct store_buf *b);
void store_buf_free(struct store_buf *b);

/* Reads a varint at *p (< end); advances *p. Returns -1 when truncated. */
int store_varint_get(const unsigned char **p, const unsigned char *end, uint64_t *v);

/* A short string: one length byte, then up to 255 bytes (longer is cut). */
void store_buf_str8(struct store_buf *b, const char *s);
/* Reads one into out (len bytes, NUL added); advances *p. -1 when truncated or
 * when it does not fit. */
int store_str8_get(const unsigned char **p, const unsigned char *end, char *out, size_t len);

#endif
