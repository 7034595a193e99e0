/* ingest_json.c - see ingest_json.h. A recursive-descent reader: strict RFC
 * 8259 (no NaN, no comments, no trailing commas, no leading zeros), UTF-8
 * checked, nesting bounded. */
#include "ingest_json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

struct rd {
	struct ij_doc *d;
	const unsigned char *p, *s, *end;
	char *err;
	size_t errlen;
	int failed;
};

static int bad(struct rd *r, const char *why)
{
	if (!r->failed && r->err && r->errlen)
		snprintf(r->err, r->errlen, "at byte %zu: %s", (size_t)(r->p - r->s), why);
	r->failed = 1;
	return -1;
}

static void ws(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int new_node(struct rd *r)
{
	struct ij_doc *d = r->d;
	if (d->nn == d->cap) {
		int cap = d->cap ? d->cap * 2 : 16;
		struct ij_node *n = realloc(d->n, (size_t)cap * sizeof *n);
		if (!n)
			return bad(r, "out of memory");
		d->n = n;
		d->cap = cap;
	}
	struct ij_node *n = &d->n[d->nn];
	memset(n, 0, sizeof *n);
	n->child = n->next = -1;
	n->soff_ = n->koff_ = NONE;
	return d->nn++;
}

static int put(struct rd *r, const void *p, size_t n)
{
	struct ij_doc *d = r->d;
	if (d->slen + n + 1 > d->scap) {
		size_t cap = d->scap ? d->scap * 2 : 256;
		while (cap < d->slen + n + 1)
			cap *= 2;
		char *s = realloc(d->strs, cap);
		if (!s)
			return bad(r, "out of memory");
		d->strs = s;
		d->scap = cap;
	}
	memcpy(d->strs + d->slen, p, n);
	d->slen += n;
	return 0;
}

static int put_utf8(struct rd *r, uint32_t c)
{
	unsigned char b[4];
	size_t n;
	if (c < 0x80) { b[0] = (unsigned char)c; n = 1; }
	else if (c < 0x800) { b[0] = (unsigned char)(0xC0 | c >> 6); b[1] = (unsigned char)(0x80 | (c & 0x3F)); n = 2; }
	else if (c < 0x10000) { b[0] = (unsigned char)(0xE0 | c >> 12); b[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F)); b[2] = (unsigned char)(0x80 | (c & 0x3F)); n = 3; }
	else { b[0] = (unsigned char)(0xF0 | c >> 18); b[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F)); b[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F)); b[3] = (unsigned char)(0x80 | (c & 0x3F)); n = 4; }
	return put(r, b, n);
}

static int hex4(struct rd *r, uint32_t *v)
{
	*v = 0;
	if (r->end - r->p < 4)
		return bad(r, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		unsigned c = *r->p++;
		*v <<= 4;
		if (c >= '0' && c <= '9') *v |= c - '0';
		else if (c >= 'a' && c <= 'f') *v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F') *v |= c - 'A' + 10;
		else return bad(r, "bad \\u escape");
	}
	return 0;
}

/* A string at r->p (after its quote): decoded into strs; *off its offset. */
static int string(struct rd *r, size_t *off, size_t *len)
{
	*off = r->d->slen;
	for (;;) {
		const unsigned char *run = r->p;
		while (r->p < r->end && *r->p != '"' && *r->p != '\\' && *r->p >= 0x20 && *r->p < 0x80)
			r->p++;
		if (r->p > run && put(r, run, (size_t)(r->p - run)) != 0)
			return -1;
		if (r->p >= r->end)
			return bad(r, "unterminated string");
		unsigned c = *r->p;
		if (c == '"') {
			r->p++;
			break;
		}
		if (c < 0x20)
			return bad(r, "control character in string");
		if (c == '\\') {
			r->p++;
			if (r->p >= r->end)
				return bad(r, "unterminated string");
			char e = (char)*r->p++, o;
			switch (e) {
			case '"': o = '"'; break;
			case '\\': o = '\\'; break;
			case '/': o = '/'; break;
			case 'b': o = '\b'; break;
			case 'f': o = '\f'; break;
			case 'n': o = '\n'; break;
			case 'r': o = '\r'; break;
			case 't': o = '\t'; break;
			case 'u': {
				uint32_t u, lo;
				if (hex4(r, &u) != 0)
					return -1;
				if (u >= 0xDC00 && u <= 0xDFFF)
					return bad(r, "lone low surrogate");
				if (u >= 0xD800 && u <= 0xDBFF) {
					if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u')
						return bad(r, "lone high surrogate");
					r->p += 2;
					if (hex4(r, &lo) != 0)
						return -1;
					if (lo < 0xDC00 || lo > 0xDFFF)
						return bad(r, "bad surrogate pair");
					u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				}
				if (u == 0)
					return bad(r, "NUL in string");
				if (put_utf8(r, u) != 0)
					return -1;
				continue;
			}
			default: return bad(r, "bad escape");
			}
			if (put(r, &o, 1) != 0)
				return -1;
			continue;
		}
		/* UTF-8 multi-byte: check the sequence (no overlongs, no surrogates). */
		int n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
		if (!n || c > 0xF4 || r->end - r->p < n)
			return bad(r, "invalid UTF-8");
		for (int i = 1; i < n; i++)
			if ((r->p[i] & 0xC0) != 0x80)
				return bad(r, "invalid UTF-8");
		if ((c == 0xE0 && r->p[1] < 0xA0) || (c == 0xED && r->p[1] >= 0xA0) ||
		    (c == 0xF0 && r->p[1] < 0x90) || (c == 0xF4 && r->p[1] >= 0x90))
			return bad(r, "invalid UTF-8");
		if (put(r, r->p, (size_t)n) != 0)
			return -1;
		r->p += n;
	}
	*len = r->d->slen - *off;
	return put(r, "", 1); /* the NUL: strings are C strings */
}

static int value(struct rd *r, int depth);

static int number(struct rd *r, int i)
{
	const unsigned char *s = r->p;
	if (r->p < r->end && *r->p == '-')
		r->p++;
	if (r->p >= r->end || *r->p < '0' || *r->p > '9')
		return bad(r, "bad value");
	if (*r->p == '0' && r->p + 1 < r->end && r->p[1] >= '0' && r->p[1] <= '9')
		return bad(r, "leading zero");
	while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
		r->p++;
	if (r->p < r->end && *r->p == '.') {
		r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return bad(r, "bad number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
		r->p++;
		if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
			r->p++;
		if (r->p >= r->end || *r->p < '0' || *r->p > '9')
			return bad(r, "bad number");
		while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	r->d->n[i].type = IJ_NUM;
	r->d->n[i].soff_ = r->d->slen;
	r->d->n[i].len = (size_t)(r->p - s);
	if (put(r, s, (size_t)(r->p - s)) != 0 || put(r, "", 1) != 0)
		return -1;
	return 0;
}

static int lit(struct rd *r, const char *w, int i, enum ij_type t)
{
	size_t n = strlen(w);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
		return bad(r, "bad value");
	r->p += n;
	r->d->n[i].type = t;
	return 0;
}

/* Parses a container's members; `obj` says whether they have keys. */
static int members(struct rd *r, int i, int obj, int depth)
{
	int last = -1;
	char close = obj ? '}' : ']';
	r->p++;
	ws(r);
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return 0;
	}
	for (;;) {
		size_t koff = NONE, klen;
		ws(r);
		if (obj) {
			if (r->p >= r->end || *r->p != '"')
				return bad(r, "expected a member name");
			r->p++;
			if (string(r, &koff, &klen) != 0)
				return -1;
			ws(r);
			if (r->p >= r->end || *r->p != ':')
				return bad(r, "expected ':'");
			r->p++;
		}
		int k = value(r, depth + 1);
		if (k < 0)
			return -1;
		r->d->n[k].koff_ = koff;
		if (last < 0)
			r->d->n[i].child = k;
		else
			r->d->n[last].next = k;
		last = k;
		r->d->n[i].count++;
		ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			return 0;
		}
		return bad(r, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

/* Returns the node's index, or -1. */
static int value(struct rd *r, int depth)
{
	if (depth > IJ_MAX_DEPTH)
		return bad(r, "nested too deeply");
	ws(r);
	if (r->p >= r->end)
		return bad(r, "unexpected end");
	int i = new_node(r);
	if (i < 0)
		return -1;
	const unsigned char *start = r->p;
	int rc;
	switch (*r->p) {
	case '{': r->d->n[i].type = IJ_OBJ; rc = members(r, i, 1, depth); break;
	case '[': r->d->n[i].type = IJ_ARR; rc = members(r, i, 0, depth); break;
	case '"': {
		size_t off, len;
		r->p++;
		rc = string(r, &off, &len);
		r->d->n[i].type = IJ_STR;
		r->d->n[i].soff_ = off;
		r->d->n[i].len = len;
		break;
	}
	case 't': rc = lit(r, "true", i, IJ_TRUE); break;
	case 'f': rc = lit(r, "false", i, IJ_FALSE); break;
	case 'n': rc = lit(r, "null", i, IJ_NULL); break;
	default: rc = number(r, i); break;
	}
	if (rc != 0)
		return -1;
	r->d->n[i].raw = (const char *)start;
	r->d->n[i].rawlen = (size_t)(r->p - start);
	return i;
}

int ij_parse(struct ij_doc *d, const char *text, size_t len, char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	struct rd r = {d, (const unsigned char *)text, (const unsigned char *)text,
		       (const unsigned char *)text + len, err, errlen, 0};
	/* A failed parse frees what it built: callers on the network path (bodies
	 * from anyone) need not remember to, and must not leak when they forget. */
	if (value(&r, 0) < 0) {
		ij_free(d);
		return -1;
	}
	ws(&r);
	if (r.p != r.end) {
		bad(&r, "trailing text");
		ij_free(d);
		return -1;
	}
	for (int i = 0; i < d->nn; i++) {
		struct ij_node *n = &d->n[i];
		if (n->soff_ != NONE)
			n->str = d->strs + n->soff_;
		if (n->koff_ != NONE)
			n->key = d->strs + n->koff_;
	}
	return 0;
}

void ij_free(struct ij_doc *d)
{
	free(d->n);
	free(d->strs);
	memset(d, 0, sizeof *d);
}

const struct ij_node *ij_get(const struct ij_doc *d, const struct ij_node *obj, const char *key)
{
	if (!obj || obj->type != IJ_OBJ)
		return NULL;
	for (int k = obj->child; k >= 0; k = d->n[k].next)
		if (d->n[k].key && strcmp(d->n[k].key, key) == 0)
			return &d->n[k];
	return NULL;
}

const struct ij_node *ij_at(const struct ij_doc *d, const struct ij_node *arr, int k)
{
	if (!arr || (arr->type != IJ_ARR && arr->type != IJ_OBJ))
		return NULL;
	int i = arr->child;
	while (i >= 0 && k-- > 0)
		i = d->n[i].next;
	return i >= 0 ? &d->n[i] : NULL;
}

const char *ij_text(const struct ij_node *v)
{
	if (!v)
		return NULL;
	switch (v->type) {
	case IJ_STR: case IJ_NUM: return v->str;
	case IJ_TRUE: return "true";
	case IJ_FALSE: return "false";
	case IJ_NULL: return "null";
	default: return NULL;
	}
}
