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

#include "base64.h"
#include "hex.h"
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
	size_t maxlen;      /* longest pattern */
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

/* Appends n bytes for the caller to write; NULL once out of memory. Growing
 * zeroes the old copy: forms of a secret are secrets. */
static unsigned char *form_grow(struct form *f, size_t n)
{
	if (f->oom)
		return NULL;
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		while (cap < f->len + n)
			cap *= 2;
		unsigned char *np = malloc(cap);
		if (!np) {
			f->oom = 1;
			return NULL;
		}
		if (f->p) {
			memcpy(np, f->p, f->len);
			sc_zero(f->p, f->len);
			free(f->p);
		}
		f->p = np;
		f->cap = cap;
	}
	f->len += n;
	return f->p + f->len - n;
}

static void form_put(struct form *f, const void *p, size_t n)
{
	unsigned char *out = form_grow(f, n);
	if (out && n)
		memcpy(out, p, n);
}

static void form_clear(struct form *f)
{
	if (f->p) {
		sc_zero(f->p, f->cap);
		free(f->p);
	}
	memset(f, 0, sizeof *f);
}

/* Base64 (flags: alphabet) of `skip` zero bytes followed by v, without padding.
 * The first 3-byte group mixes the zeroes with v's first bytes; the rest of v
 * then starts on a group boundary and encodes on its own. */
static void b64(struct form *f, const unsigned char *v, size_t n, size_t skip, int flags)
{
	unsigned char head[3] = { 0, 0, 0 };
	size_t h = skip == 0 ? 0 : n < 3 - skip ? n : 3 - skip;
	memcpy(head + skip, v, h);
	char *out = (char *)form_grow(f, base64_encoded_len(skip + n, flags & BASE64_URL));
	if (!out)
		return;
	size_t o = base64_encode(head, skip + h, out, flags & BASE64_URL);
	base64_encode(v + h, n - h, out + o, flags & BASE64_URL);
	sc_zero(head, sizeof head);
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
	if (len > rs->maxlen)
		rs->maxlen = len;
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
	const char *hex = upper ? hex_upper : hex_lower;
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
	size_t start = f->len;   /* appended to what f already holds */
	json_write_str((const char *)v, n, JSON_ESC_REPLACE, form_sink, f, NULL);
	if (!f->oom && f->len >= start + 2) {
		memmove(f->p + start, f->p + start + 1, f->len - start - 2);
		f->len -= 2;
	}
}

/* Every byte as %XX (`upper` hex case): encoders that escape everything. */
static void pctall(struct form *f, const unsigned char *v, size_t n, int upper)
{
	const char *hex = upper ? hex_upper : hex_lower;
	for (size_t i = 0; i < n; i++) {
		char e[3] = { '%', hex[v[i] >> 4], hex[v[i] & 15] };
		form_put(f, e, 3);
	}
}

static void hexenc(struct form *f, const unsigned char *v, size_t n, int upper)
{
	const char *hex = upper ? hex_upper : hex_lower;
	for (size_t i = 0; i < n; i++) {
		char e[2] = { hex[v[i] >> 4], hex[v[i] & 15] };
		form_put(f, e, 2);
	}
}

/* JSON escapes other encoders choose: every byte as \u00XX (`all`), or only the
 * slash, as "\/" (slash 0) or "\u002f"/"\u002F" (slash 1/2); the rest as jsonenc. */
static void jsonalt(struct form *f, const unsigned char *v, size_t n, int all, int slash,
		    int upper)
{
	const char *hex = upper ? hex_upper : hex_lower;
	for (size_t i = 0; i < n; i++) {
		if (all) {
			char e[6] = { '\\', 'u', '0', '0', hex[v[i] >> 4], hex[v[i] & 15] };
			form_put(f, e, 6);
		} else if (v[i] == '/') {
			form_put(f, slash == 0 ? "\\/" : slash == 1 ? "\\u002f" : "\\u002F",
				 slash == 0 ? 2 : 6);
		} else {
			jsonenc(f, v + i, 1);
		}
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
		int alpha = a ? BASE64_URL : 0;
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
	for (int u = 0; u < 2; u++) {
		pctall(&f, v, n, u);
		rc |= add_form(rs, &f, idx);
		hexenc(&f, v, n, u);
		rc |= add_form(rs, &f, idx);
		jsonalt(&f, v, n, 1, 0, u);
		rc |= add_form(rs, &f, idx);
	}
	if (memchr(v, '/', n))
		for (int sl = 0; sl < 3; sl++) {
			jsonalt(&f, v, n, 0, sl, 0);
			rc |= add_form(rs, &f, idx);
		}
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

/* The longest pattern matching at s (n bytes left), or 0. Inlined: it runs
 * once per input byte. */
static inline __attribute__((always_inline)) size_t match_at(const struct redact_set *rs, const unsigned char *s, size_t n,
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

/* Spans to replace, in the input's offsets. */
struct span {
	size_t start, end;
	unsigned secret;
};

struct spans {
	struct span *v;
	size_t n, cap;
};

static int span_add(struct spans *sp, size_t start, size_t end, unsigned secret)
{
	if (sp->n && start < sp->v[sp->n - 1].end && start >= sp->v[sp->n - 1].start) {
		if (end > sp->v[sp->n - 1].end)
			sp->v[sp->n - 1].end = end; /* overlapping forms: one span */
		return 0;
	}
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 8;
		struct span *nv = realloc(sp->v, cap * sizeof *nv);
		if (!nv)
			return -1;
		sp->v = nv;
		sp->cap = cap;
	}
	sp->v[sp->n++] = (struct span){ start, end, secret };
	return 0;
}

/* Where the unwrapped text joins two pieces: from t-offset `at` on, the
 * input offset is the t-offset plus `shift`. */
struct join {
	size_t at, shift;
};

static size_t unmap(const struct join *j, size_t nj, size_t x)
{
	size_t lo = 0, hi = nj; /* the last join at or before x */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (j[mid].at <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return x + (lo ? j[lo - 1].shift : 0);
}

/* Finds the patterns starting in s[from, to) (s holds len bytes). With
 * joins, s is the unwrapped text and offsets are mapped back to the input's.
 * -1 when out of memory. */
static int scan(const struct redact_set *rs, const unsigned char *s, size_t from, size_t to,
		size_t len, const struct join *j, size_t nj, struct spans *sp)
{
	for (size_t i = from; i < to; i++) {
		unsigned sec;
		size_t ml = match_at(rs, s + i, len - i, &sec);
		if (!ml)
			continue;
		size_t a = j ? unmap(j, nj, i) : i, b = j ? unmap(j, nj, i + ml - 1) + 1 : i + ml;
		if (span_add(sp, a, b, sec) != 0)
			return -1;
	}
	return 0;
}

static int is_break(unsigned char c)
{
	return c == '\r' || c == '\n';
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || is_break(c);
}

/* A line break between two non-blank bytes: wrapped text (MIME base64 at 76
 * columns, a folded header, a long token broken by a logger), where a secret's
 * form may be cut in two. */
static int inner_at(const unsigned char *s, const unsigned char *end, const unsigned char *p)
{
	const unsigned char *a = p, *b = p;
	while (a > s && is_break(a[-1]))
		a--;
	while (b < end && is_space(*b))
		b++;
	return a > s && !is_space(a[-1]) && b < end;
}

static int has_inner_break(const unsigned char *s, size_t len)
{
	const unsigned char *end = s + len;
	for (int c = '\n'; c; c = c == '\n' ? '\r' : 0)
		for (const unsigned char *p = s; (p = memchr(p, c, (size_t)(end - p))) != NULL; p++)
			if (inner_at(s, end, p))
				return 1;
	return 0;
}

/* The second pass: the text with every run of line breaks (and the blanks that
 * follow them, as in a folded header) that sits between two non-blank bytes
 * taken out. Only a match that crosses a join is new, so only the positions
 * between the last blank before a join (no encoded form holds a blank) and the
 * join, at most the longest pattern's length, are tried again. */
static int scan_unwrapped(const struct redact_set *rs, const unsigned char *s, size_t len,
			  struct spans *sp)
{
	unsigned char *t = malloc(len);
	struct join *j = NULL;
	size_t n = 0, nj = 0, capj = 0;
	int rc = -1;
	if (!t)
		return -1;
	int cr = memchr(s, '\r', len) != NULL;
	for (size_t i = 0; i < len;) {
		if (!cr) { /* the usual text: copy up to the next LF at once */
			const unsigned char *nl = memchr(s + i, '\n', len - i);
			size_t chunk = nl ? (size_t)(nl - s) - i : len - i;
			memcpy(t + n, s + i, chunk);
			n += chunk;
			i += chunk;
			if (i == len)
				break;
		}
		if (is_break(s[i]) && n && !is_space(t[n - 1])) {
			size_t k = i;
			while (k < len && is_space(s[k]))
				k++;
			if (k < len) {
				if (nj == capj) {
					capj = capj ? capj * 2 : 16;
					struct join *nv = realloc(j, capj * sizeof *nv);
					if (!nv)
						goto out;
					j = nv;
				}
				j[nj++] = (struct join){ n, k - n };
				i = k; /* joined: the breaks and the blanks after them go */
				continue;
			}
		}
		t[n++] = s[i++];
	}
	rc = 0;
	size_t done = 0, reach = rs->maxlen ? rs->maxlen - 1 : 0;
	for (size_t k = 0; k < nj && rc == 0; k++) {
		size_t from = j[k].at > reach ? j[k].at - reach : 0;
		if (from < done)
			from = done;
		/* a form cut by the break has no blank before it: start after the last one */
		for (size_t b = j[k].at; b > from; b--)
			if (is_space(t[b - 1])) {
				from = b;
				break;
			}
		rc = scan(rs, t, from, j[k].at, n, j, nj, sp);
		done = j[k].at;
	}
out:
	sc_zero(t, n);
	free(t);
	free(j);
	return rc;
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->end > y->end ? -1 : x->end < y->end;
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
	struct spans sp = { 0 };
	struct outbuf o = { 0 };
	int rc = 0;
	if (rs->nsecrets) {
		size_t first;
		if (scan(rs, s, 0, len, len, NULL, 0, &sp) != 0)
			goto oom;
		first = sp.n;
		if (has_inner_break(s, len)) {
			if (scan_unwrapped(rs, s, len, &sp) != 0)
				goto oom;
			if (sp.n > first)
				qsort(sp.v, sp.n, sizeof *sp.v, cmp_span);
		}
	}
	if (sp.n) {
		size_t copied = 0, k = 0;
		int spans = 0;
		while (k < sp.n) {
			size_t start = sp.v[k].start, end = sp.v[k].end;
			unsigned sec = sp.v[k].secret;
			for (k++; k < sp.n && sp.v[k].start < end; k++)
				if (sp.v[k].end > end)
					end = sp.v[k].end;
			const struct secret_entry *e = &rs->secrets[sec];
			if (out_put(&o, in + copied, start - copied) || out_put(&o, e->repl, e->repl_len))
				goto oom;
			copied = end;
			spans++;
		}
		if (out_put(&o, in + copied, len - copied))
			goto oom;
		o.p[o.len] = '\0';
		*out = o.p;
		if (outlen)
			*outlen = o.len;
		rc = spans;
	}
	free(sp.v);
	pthread_rwlock_unlock(&m->lock);
	return rc;
oom:
	free(sp.v);
	if (o.p) {
		sc_zero(o.p, o.len);
		free(o.p);
	}
	pthread_rwlock_unlock(&m->lock);
	return -1;
}
