/* record.c - see record.h. */
#include "record.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

size_t record_encode_to(unsigned char *out, size_t cap, const struct record_field *f,
			const void *rec, int *partial)
{
	size_t len = 0;
	*partial = 0;
	for (; f->tag; f++) {
		const char *p = (const char *)rec + f->off;
		uint64_t v;
		switch (f->type) {
		case REC_CHARS:
		case REC_STR: {
			const char *s = f->type == REC_CHARS ? p : *(char *const *)p;
			if (!s || !*s)
				continue;
			size_t n = strlen(s);
			if (len + 2 * RECORD_VARINT_MAX + n > cap) {
				cap = 0;        /* counting only from here on */
				*partial = 1;
				len += store_varint_put(NULL, f->tag) + store_varint_put(NULL, n) + n;
				continue;
			}
			len += store_varint_put(out + len, f->tag);
			len += store_varint_put(out + len, n);
			memcpy(out + len, s, n);
			len += n;
			continue;
		}
		case REC_I64: v = (uint64_t)*(const int64_t *)p; break;
		case REC_U32: v = *(const uint32_t *)p; break;
		case REC_I32: v = (uint64_t)(uint32_t)*(const int32_t *)p; break;
		default: v = (uint64_t)(unsigned)*(const int *)p; break;
		}
		if (!v)
			continue;
		size_t n = store_varint_put(NULL, v);
		if (len + 2 * RECORD_VARINT_MAX + n > cap) {
			cap = 0;
			*partial = 1;
			len += store_varint_put(NULL, f->tag) + store_varint_put(NULL, n) + n;
			continue;
		}
		len += store_varint_put(out + len, f->tag);
		len += store_varint_put(out + len, n);
		len += store_varint_put(out + len, v);
	}
	return len;
}

unsigned char *record_encode_in(unsigned char *small, size_t cap, unsigned char **heap,
				size_t *n, const struct record_field *f, const void *rec)
{
	int partial;
	*heap = NULL;
	*n = record_encode_to(small, cap, f, rec, &partial);
	if (!partial)
		return small;
	size_t big = *n + 2 * RECORD_VARINT_MAX;
	if (!(*heap = malloc(big)))
		return NULL;
	record_encode_to(*heap, big, f, rec, &partial);
	return *heap;
}

void record_encode(struct store_buf *b, const struct record_field *f, const void *rec)
{
	unsigned char small[512], *heap;
	size_t n;
	unsigned char *p = record_encode_in(small, sizeof small, &heap, &n, f, rec);
	if (!p)
		b->oom = 1;
	else
		store_buf_add(b, p, n);
	free(heap);
}

int record_decode(const void *data, size_t len, const struct record_field *fields, void *rec)
{
	const unsigned char *p = data, *end = p + len;
	while (p < end) {
		uint64_t tag, n;
		if (store_varint_get(&p, end, &tag) || store_varint_get(&p, end, &n) ||
		    n > (uint64_t)(end - p))
			return -1;
		const struct record_field *f = fields;
		while (f->tag && f->tag != tag)
			f++;
		if (f->tag) {
			char *dst = (char *)rec + f->off;
			if (f->type == REC_CHARS) {
				size_t m = n < f->size - 1 ? n : f->size - 1;
				memcpy(dst, p, m);
				dst[m] = 0;
			} else if (f->type == REC_STR) {
				char *s = malloc(n + 1);
				if (!s)
					return -1;
				memcpy(s, p, n);
				s[n] = 0;
				free(*(char **)dst);
				*(char **)dst = s;
			} else {
				const unsigned char *q = p;
				uint64_t v;
				if (store_varint_get(&q, p + n, &v))
					return -1;
				if (f->type == REC_I64)
					*(int64_t *)dst = (int64_t)v;
				else if (f->type == REC_U32)
					*(uint32_t *)dst = (uint32_t)v;
				else if (f->type == REC_I32)
					*(int32_t *)dst = (int32_t)(uint32_t)v;
				else
					*(int *)dst = (int)v;
			}
		}
		p += n;
	}
	return 0;
}

void record_free(const struct record_field *f, void *rec)
{
	for (; f->tag; f++)
		if (f->type == REC_STR) {
			char **s = (char **)((char *)rec + f->off);
			free(*s);
			*s = NULL;
		}
}

/* One reserve a field: tag, length and value written in place. */
void record_put_int(struct store_buf *b, unsigned tag, uint64_t v)
{
	if (!v)
		return;
	unsigned char *o = (unsigned char *)store_buf_grow(b, 3 * RECORD_VARINT_MAX);
	if (!o)
		return;
	size_t n = store_varint_put(o, tag);
	size_t vn = store_varint_put(o + n + 1, v); /* a value's length (<= 10) is one byte */
	o[n] = (unsigned char)vn;
	b->len -= 3 * RECORD_VARINT_MAX - (n + 1 + vn);
}

void record_put_bytes(struct store_buf *b, unsigned tag, const void *p, size_t n)
{
	unsigned char *o = (unsigned char *)store_buf_grow(b, 2 * RECORD_VARINT_MAX + n);
	if (!o)
		return;
	size_t h = store_varint_put(o, tag);
	h += store_varint_put(o + h, n);
	memcpy(o + h, p, n);
	b->len -= 2 * RECORD_VARINT_MAX - h;
}

int record_walk(const void *data, size_t len,
		void (*fn)(void *arg, unsigned tag, const unsigned char *p, size_t n), void *arg)
{
	const unsigned char *p = data, *end = p + len;
	while (p < end) {
		uint64_t tag, n;
		if (store_varint_get(&p, end, &tag) || store_varint_get(&p, end, &n) ||
		    n > (uint64_t)(end - p) || tag > UINT_MAX)
			return -1;
		fn(arg, (unsigned)tag, p, (size_t)n);
		p += n;
	}
	return 0;
}

int record_int(const unsigned char *p, size_t n, uint64_t *v)
{
	const unsigned char *q = p;
	return store_varint_get(&q, p + n, v) ? -1 : 0;
}
