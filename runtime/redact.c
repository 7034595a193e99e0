/* redact.c - per-run secret scrubbing (see redact.h).
 *
 * Patterns (every form of every value) are kept sorted by their first two bytes,
 * longest first, with a 64 Kbit bitmap of those two-byte prefixes: scanning text
 * that holds no secret costs one bit test per byte, and a hit costs a binary
 * search plus a memcmp per candidate. Aho-Corasick would bound the worst case
 * better, but its tables per run would be far larger than the few dozen
 * patterns a run holds. */
#include "redact.h"
#include "json.h"

#include "secret_crypto.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CORE_MIN 6 /* shortest base64 alignment part worth matching (36 bits) */

struct pattern {
	unsigned char *p;
	size_t len;
	unsigned secret;    /* index into secrets */
	unsigned key;       /* first two bytes, big endian */
};

struct secret_entry {
	char *name;
	unsigned char *value;
	size_t len;
	char *repl;         /* "[secret:NAME]" */
	size_t repl_len;
};

struct redact_set {
	pthread_rwlock_t lock;
	struct secret_entry *secrets;
	size_t nsecrets, capsecrets;
	struct pattern *pats;
	size_t npats, cappats;
	unsigned char bit2[65536 / 8];
	unsigned one[256];  /* 1-byte values: secret index + 1, else 0 */
};

struct redact_set *redact_new(void)
{
	struct redact_set *rs = calloc(1, sizeof *rs);
	if (rs)
		pthread_rwlock_init(&rs->lock, NULL);
	return rs;
}

void redact_free(struct redact_set *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->npats; i++) {
		sc_zero(rs->pats[i].p, rs->pats[i].len);
		free(rs->pats[i].p);
	}
	for (size_t i = 0; i < rs->nsecrets; i++) {
		sc_zero(rs->secrets[i].value, rs->secrets[i].len);
		free(rs->secrets[i].value);
		free(rs->secrets[i].name);
		free(rs->secrets[i].repl);
	}
	free(rs->pats);
	free(rs->secrets);
	pthread_rwlock_destroy(&rs->lock);
	free(rs);
}

size_t redact_count(const struct redact_set *rs)
{
	struct redact_set *m = (struct redact_set *)rs;
	pthread_rwlock_rdlock(&m->lock);
	size_t n = rs->nsecrets;
	pthread_rwlock_unlock(&m->lock);
	return n;
}

/* ---- building the forms of a value ---- */

/* A growable scratch buffer for one form. */
struct form {
	unsigned char *p;
	size_t len, cap;
	int oom;
};

static void form_put(struct form *f, const void *p, size_t n)
{
	if (f->oom)
		return;
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		while (cap < f->len + n)
			cap *= 2;
		unsigned char *np = malloc(cap);
		if (!np) {
			f->oom = 1;
			return;
		}
		if (f->p) {
			memcpy(np, f->p, f->len);
			sc_zero(f->p, f->len);
			free(f->p);
		}
		f->p = np;
		f->cap = cap;
	}
	memcpy(f->p + f->len, p, n);
	f->len += n;
}

static void form_clear(struct form *f)
{
	if (f->p) {
		sc_zero(f->p, f->cap);
		free(f->p);
	}
	memset(f, 0, sizeof *f);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Base64 of `skip` zero bytes followed by v, without padding. */
static void b64(struct form *f, const unsigned char *v, size_t n, size_t skip, const char *alpha)
{
	size_t total = skip + n;
	for (size_t i = 0; i < total; i += 3) {
		unsigned b[3] = { 0, 0, 0 };
		size_t have = total - i < 3 ? total - i : 3;
		for (size_t j = 0; j < have; j++)
			b[j] = i + j < skip ? 0 : v[i + j - skip];
		unsigned w = b[0] << 16 | b[1] << 8 | b[2];
		char out[4] = { alpha[w >> 18 & 63], alpha[w >> 12 & 63], alpha[w >> 6 & 63], alpha[w & 63] };
		form_put(f, out, have + 1);
	}
}

static int add_pattern(struct redact_set *rs, const unsigned char *p, size_t len, unsigned secret)
{
	if (len < 2) /* 1-byte raw values use `one`; shorter forms are never built */
		return 0;
	for (size_t i = 0; i < rs->npats; i++)
		if (rs->pats[i].len == len && memcmp(rs->pats[i].p, p, len) == 0)
			return 0;
	if (rs->npats == rs->cappats) {
		size_t cap = rs->cappats ? rs->cappats * 2 : 16;
		struct pattern *np = realloc(rs->pats, cap * sizeof *np);
		if (!np)
			return -1;
		rs->pats = np;
		rs->cappats = cap;
	}
	unsigned char *copy = malloc(len);
	if (!copy)
		return -1;
	memcpy(copy, p, len);
	rs->pats[rs->npats++] = (struct pattern){ copy, len, secret, (unsigned)p[0] << 8 | p[1] };
	return 0;
}

static int add_form(struct redact_set *rs, struct form *f, unsigned secret)
{
	int rc = f->oom ? -1 : add_pattern(rs, f->p, f->len, secret);
	form_clear(f);
	return rc;
}

static int unreserved(unsigned c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encoding: `upper` hex case; `plus` writes space as '+' (forms). */
static void urlenc(struct form *f, const unsigned char *v, size_t n, int upper, int plus)
{
	const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		if (unreserved(v[i])) {
			form_put(f, v + i, 1);
		} else if (plus && v[i] == ' ') {
			form_put(f, "+", 1);
		} else {
			char e[3] = { '%', hex[v[i] >> 4], hex[v[i] & 15] };
			form_put(f, e, 3);
		}
	}
}

static int form_sink(void *ctx, const char *s, size_t n)
{
	form_put(ctx, s, n);
	return 0;
}

/* The value as every JSON writer of ours escapes it (json.h's one escaper),
 * without the quotes. */
static void jsonenc(struct form *f, const unsigned char *v, size_t n)
{
	json_write_str((const char *)v, n, JSON_ESC_REPLACE, form_sink, f, NULL);
	if (!f->oom && f->len >= 2) {
		memmove(f->p, f->p + 1, f->len - 2);
		f->len -= 2;
	}
}

static int cmp_pattern(const void *a, const void *b)
{
	const struct pattern *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->len != y->len)
		return x->len > y->len ? -1 : 1; /* longest first */
	return 0;
}

static int add_forms(struct redact_set *rs, const unsigned char *v, size_t n, unsigned idx)
{
	struct form f = { 0 };
	int rc = 0;
	form_put(&f, v, n);
	rc |= add_form(rs, &f, idx);
	for (int a = 0; a < 2; a++) {
		const char *alpha = a ? B64URL : B64;
		b64(&f, v, n, 0, alpha);
		size_t unpadded = f.len;
		while (f.len % 4)
			form_put(&f, "=", 1);
		if (f.len != unpadded)
			rc |= add_pattern(rs, f.p, f.len, idx); /* padded */
		f.len = unpadded;
		rc |= add_form(rs, &f, idx);
		/* Alignment parts: characters of base64(k bytes + v) that depend only on v. */
		for (size_t k = 0; k < 3; k++) {
			b64(&f, v, n, k, alpha);
			size_t start = (8 * k + 5) / 6, end = 8 * (k + n) / 6;
			if (!f.oom && end > start && end - start >= CORE_MIN)
				rc |= add_pattern(rs, f.p + start, end - start, idx);
			rc |= f.oom ? -1 : 0;
			form_clear(&f);
		}
	}
	for (int u = 0; u < 2; u++)
		for (int plus = 0; plus < 2; plus++) {
			urlenc(&f, v, n, u, plus);
			rc |= add_form(rs, &f, idx);
		}
	jsonenc(&f, v, n);
	rc |= add_form(rs, &f, idx);
	return rc ? -1 : 0;
}

static void rebuild_index(struct redact_set *rs)
{
	if (rs->npats > 1)
		qsort(rs->pats, rs->npats, sizeof *rs->pats, cmp_pattern);
	memset(rs->bit2, 0, sizeof rs->bit2);
	for (size_t i = 0; i < rs->npats; i++)
		rs->bit2[rs->pats[i].key >> 3] |= (unsigned char)(1u << (rs->pats[i].key & 7));
}

int redact_add(struct redact_set *rs, const char *name, const void *value, size_t len)
{
	if (!rs || len == 0)
		return 0;
	pthread_rwlock_wrlock(&rs->lock);
	int rc = 0;
	for (size_t i = 0; i < rs->nsecrets; i++) {
		struct secret_entry *e = &rs->secrets[i];
		if (e->len == len && strcmp(e->name, name) == 0 && sc_equal(e->value, value, len))
			goto out;
	}
	if (rs->nsecrets == rs->capsecrets) {
		size_t cap = rs->capsecrets ? rs->capsecrets * 2 : 4;
		struct secret_entry *ns = realloc(rs->secrets, cap * sizeof *ns);
		if (!ns) {
			rc = -1;
			goto out;
		}
		rs->secrets = ns;
		rs->capsecrets = cap;
	}
	struct secret_entry e = { 0 };
	e.name = strdup(name);
	e.value = malloc(len);
	size_t rl = strlen(name) + sizeof "[secret:]";
	e.repl = malloc(rl);
	if (!e.name || !e.value || !e.repl) {
		free(e.name);
		free(e.value);
		free(e.repl);
		rc = -1;
		goto out;
	}
	memcpy(e.value, value, len);
	e.len = len;
	e.repl_len = (size_t)snprintf(e.repl, rl, "[secret:%s]", name);
	unsigned idx = (unsigned)rs->nsecrets;
	rs->secrets[rs->nsecrets++] = e;
	if (len == 1 && !rs->one[e.value[0]])
		rs->one[e.value[0]] = idx + 1;
	/* On a partial failure the patterns added so far stay: more redaction, never less. */
	rc = add_forms(rs, value, len, idx);
	rebuild_index(rs);
out:
	pthread_rwlock_unlock(&rs->lock);
	return rc;
}

/* The longest pattern matching at s (n bytes left), or 0. */
static size_t match_at(const struct redact_set *rs, const unsigned char *s, size_t n,
		       unsigned *secret)
{
	if (n >= 2) {
		unsigned key = (unsigned)s[0] << 8 | s[1];
		if (rs->bit2[key >> 3] & (1u << (key & 7))) {
			/* first pattern with this key */
			size_t lo = 0, hi = rs->npats;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (rs->pats[mid].key < key)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (size_t i = lo; i < rs->npats && rs->pats[i].key == key; i++) {
				const struct pattern *p = &rs->pats[i];
				if (p->len <= n && memcmp(p->p, s, p->len) == 0) {
					*secret = p->secret;
					return p->len;
				}
			}
		}
	}
	if (rs->one[s[0]]) {
		*secret = rs->one[s[0]] - 1;
		return 1;
	}
	return 0;
}

struct outbuf {
	char *p;
	size_t len, cap;
};

static int out_put(struct outbuf *o, const void *p, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		while (cap < o->len + n + 1)
			cap *= 2;
		char *np = realloc(o->p, cap);
		if (!np)
			return -1;
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
	return 0;
}

int redact(const struct redact_set *rs, const char *in, size_t len, char **out, size_t *outlen)
{
	*out = NULL;
	if (outlen)
		*outlen = 0;
	if (!rs || len == 0)
		return 0;
	struct redact_set *m = (struct redact_set *)rs;
	pthread_rwlock_rdlock(&m->lock);
	const unsigned char *s = (const unsigned char *)in;
	struct outbuf o = { 0 };
	size_t copied = 0, span_start = 0, span_end = 0;
	unsigned span_secret = 0;
	int spans = 0, in_span = 0, rc = 0;
	for (size_t i = 0; i < len && rs->nsecrets; i++) {
		unsigned sec;
		size_t ml = match_at(rs, s + i, len - i, &sec);
		if (!ml)
			continue;
		if (in_span && i < span_end) {
			if (i + ml > span_end)
				span_end = i + ml; /* overlapping forms: one span */
			continue;
		}
		if (in_span) {
			const struct secret_entry *e = &rs->secrets[span_secret];
			if (out_put(&o, in + copied, span_start - copied) ||
			    out_put(&o, e->repl, e->repl_len))
				goto oom;
			copied = span_end;
		}
		in_span = 1;
		spans++;
		span_start = i;
		span_end = i + ml;
		span_secret = sec;
	}
	if (in_span) {
		const struct secret_entry *e = &rs->secrets[span_secret];
		if (out_put(&o, in + copied, span_start - copied) ||
		    out_put(&o, e->repl, e->repl_len) ||
		    out_put(&o, in + span_end, len - span_end))
			goto oom;
		o.p[o.len] = '\0';
		*out = o.p;
		if (outlen)
			*outlen = o.len;
		rc = spans;
	}
	pthread_rwlock_unlock(&m->lock);
	return rc;
oom:
	if (o.p) {
		sc_zero(o.p, o.len);
		free(o.p);
	}
	pthread_rwlock_unlock(&m->lock);
	return -1;
}
