/* store_buf.c - growable buffer, JSON string escaping, varints. */
#include "store_buf.h"
#include "json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct store_buf *b, size_t n)
{
	if (b->oom)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void store_buf_add(struct store_buf *b, const void *p, size_t n)
{
	if (n == 0 || reserve(b, n) != 0)
		return;
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

char *store_buf_grow(struct store_buf *b, size_t n)
{
	if (reserve(b, n) != 0)
		return NULL;
	b->len += n;
	return b->p + b->len - n;
}

void store_buf_str(struct store_buf *b, const char *s)
{
	store_buf_add(b, s, strlen(s));
}

void store_buf_printf(struct store_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char tmp[256];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		store_buf_add(b, tmp, (size_t)n);
		return;
	}
	if (reserve(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static int put_buf(void *ctx, const char *s, size_t n)
{
	store_buf_add(ctx, s, n);
	return 0;
}

void store_buf_json_n(struct store_buf *b, const char *s, size_t n)
{
	json_write_str(s, n, JSON_ESC_REPLACE, put_buf, b, NULL);
}

void store_buf_json(struct store_buf *b, const char *s)
{
	if (!s)
		store_buf_str(b, "null");
	else
		store_buf_json_n(b, s, strlen(s));
}

size_t store_varint_put(unsigned char *out, uint64_t v)
{
	size_t n = 0;
	do {
		unsigned char c = v & 0x7f;
		v >>= 7;
		if (out)
			out[n] = c | (v ? 0x80 : 0);
		n++;
	} while (v);
	return n;
}

void store_buf_varint(struct store_buf *b, uint64_t v)
{
	unsigned char tmp[10];
	store_buf_add(b, tmp, store_varint_put(tmp, v));
}

char *store_buf_cstr(struct store_buf *b)
{
	if (reserve(b, 0) != 0)
		return NULL;
	b->p[b->len] = '\0';
	return b->p;
}

void store_buf_free(struct store_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

int store_varint_get(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t r = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		unsigned char c = *(*p)++;
		r |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

void store_buf_str8(struct store_buf *b, const char *s)
{
	size_t n = strlen(s);
	if (n > 255)
		n = 255;
	unsigned char l = (unsigned char)n;
	store_buf_add(b, &l, 1);
	store_buf_add(b, s, n);
}

int store_str8_get(const unsigned char **p, const unsigned char *end, char *out, size_t len)
{
	if (*p >= end)
		return -1;
	size_t n = *(*p)++;
	if ((size_t)(end - *p) < n || n >= len)
		return -1;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
	return 0;
}
