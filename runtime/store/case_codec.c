/* case_codec.c - the on-disk form of cases and timeline entries.
 *
 * A record is a version byte then record.h fields (tag, length, value; the one
 * record style of the store). Unknown tags are skipped, so a newer soarctl may
 * add fields without a migration; absent fields are unset. A case's strings are
 * decoded into one block (case_rec.mem_) and its labels are a repeated field,
 * so it is walked field by field (record_walk) rather than from a table.
 *
 * Version 1, written before the store had one record codec (until issue 11),
 * framed fields differently: a varint header (tag << 1 | wire), with wire 0 = a
 * varint value and wire 1 = length + bytes. Same tags, same meanings. Such
 * records are still read (a store from an older soarctl opens as it was) and
 * become version 2 when next written; nothing rewrites them in bulk.
 * tests/unit/test_case_v1.c opens a store written by the version 1 code
 * (tests/fixtures/store-v1/).
 */
#include "case_int.h"

#include "record.h"
#include "uuid.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC_V1 1        /* wire-typed fields: read only */
#define REC_VERSION 2   /* record.h fields */

enum {
	T_ID = 1, T_TITLE, T_TYPE, T_SEVERITY, T_STATUS, T_OWNER, T_ROLE, T_LABEL, T_CUSTOM,
	T_CREATED, T_UPDATED, T_CLOSED, T_CLOSE_REASON, T_DEDUPE, T_SOURCE, T_PARENT,
	T_SLA_DUE, T_SLA_PAUSE, T_SLA_PAUSED_AT, T_SLA_PAUSED_MS, T_ENTRIES,
};
enum { E_KIND = 1, E_TIME, E_ACTOR, E_TEXT, E_DATA };

/* The integer fields (their value is a varint), by tag bit. */
#define BIT(t) (1u << (t))
static const unsigned case_ints = BIT(T_SEVERITY) | BIT(T_STATUS) | BIT(T_CREATED) |
	BIT(T_UPDATED) | BIT(T_CLOSED) | BIT(T_PARENT) | BIT(T_SLA_DUE) | BIT(T_SLA_PAUSE) |
	BIT(T_SLA_PAUSED_AT) | BIT(T_SLA_PAUSED_MS) | BIT(T_ENTRIES);
static const unsigned entry_ints = BIT(E_KIND) | BIT(E_TIME);

#define put_int record_put_int
#define put_bytes record_put_bytes

static void put_str(struct store_buf *b, unsigned tag, const char *s)
{
	if (s)
		put_bytes(b, tag, s, strlen(s));
}

int case_encode(const struct case_rec *c, struct store_buf *b)
{
	unsigned char v = REC_VERSION, u[16];
	store_buf_add(b, &v, 1);
	if (uuid_parse(c->id, u) != 0)
		return -1;
	put_bytes(b, T_ID, u, 16);
	put_str(b, T_TITLE, c->title);
	put_str(b, T_TYPE, c->type);
	put_int(b, T_SEVERITY, (uint64_t)c->severity);
	put_int(b, T_STATUS, (uint64_t)c->status);
	put_str(b, T_OWNER, c->owner);
	put_str(b, T_ROLE, c->role);
	for (size_t i = 0; i < c->nlabels; i++)
		put_str(b, T_LABEL, c->labels[i]);
	put_str(b, T_CUSTOM, c->custom_json);
	put_int(b, T_CREATED, (uint64_t)c->created);
	put_int(b, T_UPDATED, (uint64_t)c->updated);
	put_int(b, T_CLOSED, (uint64_t)c->closed);
	put_str(b, T_CLOSE_REASON, c->close_reason);
	put_str(b, T_DEDUPE, c->dedupe_key);
	put_str(b, T_SOURCE, c->source_json);
	put_int(b, T_PARENT, c->parent);
	put_int(b, T_SLA_DUE, (uint64_t)c->sla_due);
	put_int(b, T_SLA_PAUSE, (uint64_t)c->sla_pause_pending);
	put_int(b, T_SLA_PAUSED_AT, (uint64_t)c->sla_paused_at);
	put_int(b, T_SLA_PAUSED_MS, (uint64_t)c->sla_paused_ms);
	put_int(b, T_ENTRIES, c->entries);
	return b->oom ? -1 : 0;
}

/* Called with each field: tag, its integer value (integer fields) or bytes. */
typedef void (*field_fn)(void *arg, unsigned tag, uint64_t iv, const unsigned char *p, size_t n);

struct walk2 {
	field_fn fn;
	void *arg;
	unsigned ints;    /* which tags are integers */
	int bad;
};

static void walk2_field(void *arg, unsigned tag, const unsigned char *p, size_t n)
{
	struct walk2 *w = arg;
	uint64_t v = 0;
	if (tag < 32 && (w->ints & BIT(tag))) {
		if (record_int(p, n, &v) != 0) {
			w->bad = 1;
			return;
		}
		w->fn(w->arg, tag, v, NULL, 0);
	} else {
		w->fn(w->arg, tag, 0, p, n);
	}
}

/* Version 1: wire-typed fields (read only, see the top of this file). */
static int walk_v1(const unsigned char *p, const unsigned char *end, field_fn fn, void *arg)
{
	while (p < end) {
		uint64_t h, v;
		if (store_varint_get(&p, end, &h) || store_varint_get(&p, end, &v))
			return -1;
		if (h & 1) {
			if (v > (uint64_t)(end - p))
				return -1;
			fn(arg, (unsigned)(h >> 1), 0, p, (size_t)v);
			p += v;
		} else {
			fn(arg, (unsigned)(h >> 1), v, NULL, 0);
		}
	}
	return 0;
}

static int walk(const void *data, size_t size, unsigned ints, field_fn fn, void *arg)
{
	const unsigned char *p = data;
	if (size < 1)
		return -1;
	if (p[0] == REC_V1)
		return walk_v1(p + 1, p + size, fn, arg);
	if (p[0] != REC_VERSION)
		return -1;
	struct walk2 w = { fn, arg, ints, 0 };
	return record_walk(p + 1, size - 1, walk2_field, &w) != 0 || w.bad ? -1 : 0;
}

struct dec {
	struct case_rec *c;
	char *mem;        /* where the next string goes */
	int bad;
};

static char *dup_into(struct dec *d, const unsigned char *p, size_t n)
{
	char *s = d->mem;
	memcpy(s, p, n);
	s[n] = '\0';
	d->mem += n + 1;
	return s;
}

static void dec_field(void *arg, unsigned tag, uint64_t iv, const unsigned char *p, size_t n)
{
	struct dec *d = arg;
	struct case_rec *c = d->c;
	switch (tag) {
	case T_ID:
		if (n == 16)
			uuid_format(p, c->id);
		else
			d->bad = 1;
		break;
	case T_TITLE: c->title = dup_into(d, p, n); break;
	case T_TYPE: c->type = dup_into(d, p, n); break;
	case T_SEVERITY: c->severity = (int)iv; break;
	case T_STATUS: c->status = (int)iv; break;
	case T_OWNER: c->owner = dup_into(d, p, n); break;
	case T_ROLE: c->role = dup_into(d, p, n); break;
	case T_LABEL:
		if (c->nlabels < CASE_MAX_LABELS)
			c->labels[c->nlabels++] = dup_into(d, p, n);
		break;
	case T_CUSTOM: c->custom_json = dup_into(d, p, n); break;
	case T_CREATED: c->created = (int64_t)iv; break;
	case T_UPDATED: c->updated = (int64_t)iv; break;
	case T_CLOSED: c->closed = (int64_t)iv; break;
	case T_CLOSE_REASON: c->close_reason = dup_into(d, p, n); break;
	case T_DEDUPE: c->dedupe_key = dup_into(d, p, n); break;
	case T_SOURCE: c->source_json = dup_into(d, p, n); break;
	case T_PARENT: c->parent = iv; break;
	case T_SLA_DUE: c->sla_due = (int64_t)iv; break;
	case T_SLA_PAUSE: c->sla_pause_pending = (int)iv; break;
	case T_SLA_PAUSED_AT: c->sla_paused_at = (int64_t)iv; break;
	case T_SLA_PAUSED_MS: c->sla_paused_ms = (int64_t)iv; break;
	case T_ENTRIES: c->entries = (uint32_t)iv; break;
	default: break; /* a newer field: ignored */
	}
}

int case_decode(uint64_t seq, const void *p, size_t n, struct case_rec *out)
{
	memset(out, 0, sizeof *out);
	/* Every string fits in n bytes plus a NUL each (at most n of them). */
	char *mem = malloc(2 * n + 1);
	if (!mem)
		return -1;
	struct dec d = { out, mem, 0 };
	out->mem_ = mem;
	out->seq = seq;
	if (walk(p, n, case_ints, dec_field, &d) != 0 || d.bad || !out->id[0]) {
		case_rec_free(out);
		return -1;
	}
	return 0;
}

void case_rec_free(struct case_rec *c)
{
	if (!c)
		return;
	free(c->mem_);
	memset(c, 0, sizeof *c);
}

void case_entry_encode(int kind, int64_t time, const char *actor, const char *text,
		       const char *data, struct store_buf *b)
{
	unsigned char v = REC_VERSION;
	store_buf_add(b, &v, 1);
	put_int(b, E_KIND, (uint64_t)kind);
	put_int(b, E_TIME, (uint64_t)time);
	put_str(b, E_ACTOR, actor);
	put_str(b, E_TEXT, text);
	put_str(b, E_DATA, data);
}

static void dec_entry(void *arg, unsigned tag, uint64_t iv, const unsigned char *p, size_t n)
{
	struct case_entry *e = arg;
	char **dst = NULL;
	switch (tag) {
	case E_KIND: e->kind = (int)iv; return;
	case E_TIME: e->time = (int64_t)iv; return;
	case E_ACTOR: dst = &e->actor; break;
	case E_TEXT: dst = &e->text; break;
	case E_DATA: dst = &e->data; break;
	default: return;
	}
	free(*dst);
	*dst = malloc(n + 1);
	if (*dst) {
		memcpy(*dst, p, n);
		(*dst)[n] = '\0';
	}
}

int case_entry_decode(uint32_t no, const void *p, size_t n, struct case_entry *out)
{
	memset(out, 0, sizeof *out);
	out->no = no;
	if (walk(p, n, entry_ints, dec_entry, out) != 0) {
		case_entries_free(out, 1);
		memset(out, 0, sizeof *out);
		return -1;
	}
	return 0;
}

void case_entries_free(struct case_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++) {
		free(e[i].actor);
		free(e[i].text);
		free(e[i].data);
	}
}
