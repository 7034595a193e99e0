/* case.c - case writes (create, update, close, note, attach, link) as group
 * commit apply functions, and reads of one case and its timeline.
 *
 * Every apply function checks everything first (refs exist, transition allowed,
 * no cycle) and only then writes, so a refused write leaves nothing behind and
 * other writers in the same batch are unaffected (store.h, STORE_REFUSED). */
#include "case_int.h"
#include "store_db_int.h"
#include "hex.h"

#include "audit.h"
#include "blob.h"
#include "json.h"
#include "uuid.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_TYPE "incident"
#define DEFAULT_SEVERITY CASE_SEV_MEDIUM

/* ---- helpers inside a transaction ---- */

int case_load(struct store *st, MDB_txn *txn, uint64_t seq, struct case_rec *out)
{
	unsigned char kb[8];
	store_put_u64(kb, seq);
	MDB_val k = { 8, kb }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_CASES), &k, &v);
	if (rc)
		return rc;
	return case_decode(seq, v.mv_data, v.mv_size, out) ? MDB_CORRUPTED : 0;
}

int case_resolve(struct store *st, MDB_txn *txn, const char *ref, uint64_t *seq)
{
	const char *p = ref + (*ref == '#');
	size_t dn = strspn(p, "0123456789");
	if (dn && !p[dn] && dn < 19) {
		*seq = strtoull(p, NULL, 10);
		unsigned char kb[8];
		store_put_u64(kb, *seq);
		MDB_val k = { 8, kb }, v;
		return mdb_get(txn, store_dbi(st, STORE_DB_CASES), &k, &v);
	}
	unsigned char u[16];
	if (uuid_parse(ref, u) != 0)
		return EINVAL;
	MDB_val k = { 16, u }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_CASE_UUID), &k, &v);
	if (rc)
		return rc;
	if (v.mv_size != 8)
		return MDB_CORRUPTED;
	*seq = store_get_u64(v.mv_data);
	return 0;
}

static int key_in(const struct case_keys *ks, const unsigned char *k, size_t len)
{
	for (size_t i = 0; i < ks->n; i++)
		if (ks->len[i] == len && memcmp(ks->k[i], k, len) == 0)
			return 1;
	return 0;
}

/* The key sets are about 16 keys each: heap them to keep the committer's stack small. */
int case_save(struct store *st, MDB_txn *txn, const struct case_rec *old,
	      const struct case_rec *rec)
{
	struct store_buf b = { 0 };
	int rc = case_encode(rec, &b) ? ENOMEM : 0;
	unsigned char kb[8];
	store_put_u64(kb, rec->seq);
	MDB_val k = { 8, kb }, v = { b.len, b.p };
	if (rc == 0)
		rc = mdb_put(txn, store_dbi(st, STORE_DB_CASES), &k, &v, old ? 0 : MDB_APPEND);
	store_buf_free(&b);
	if (rc)
		return rc;
	struct case_keys *nk = malloc(sizeof *nk), *ok = old ? malloc(sizeof *ok) : NULL;
	if (!nk || (old && !ok)) {
		free(nk);
		free(ok);
		return ENOMEM;
	}
	case_index_keys(rec, nk);
	if (old) {
		/* an entry deferred earlier in this batch must exist before it can move */
		if ((rc = store_flush_dups(st, txn)) != 0) {
			free(nk);
			free(ok);
			return rc;
		}
		case_index_keys(old, ok);
		for (size_t i = 0; i < ok->n && rc == 0; i++)
			if (!key_in(nk, ok->k[i], ok->len[i]))
				rc = case_index_del(st, txn, ok->k[i], ok->len[i]);
	}
	for (size_t i = 0; i < nk->n && rc == 0; i++)
		if (!old || !key_in(ok, nk->k[i], nk->len[i]))
			rc = case_index_put(st, txn, nk->k[i], nk->len[i]);
	free(nk);
	free(ok);
	if (rc == 0 && !old) {
		unsigned char u[16];
		uuid_parse(rec->id, u);
		MDB_val uk = { 16, u }, uv = { 8, kb };
		rc = mdb_put(txn, store_dbi(st, STORE_DB_CASE_UUID), &uk, &uv, 0);
	}
	return rc;
}

int case_entry_put(struct store *st, MDB_txn *txn, struct case_rec *rec, int kind,
		   int64_t now, const char *actor, const char *text, const char *data)
{
	rec->entries++;
	if (now > rec->updated)
		rec->updated = now;
	unsigned char kb[12];
	store_put_u64(kb, rec->seq);
	store_put_u32(kb + 8, rec->entries);
	struct store_buf b = { 0 };
	case_entry_encode(kind, now, actor, text, data, &b);
	if (b.oom) {
		store_buf_free(&b);
		return ENOMEM;
	}
	MDB_val k = { 12, kb }, v = { b.len, b.p };
	int rc = mdb_put(txn, store_dbi(st, STORE_DB_TIMELINE), &k, &v, 0);
	store_buf_free(&b);
	return rc;
}

/* Refusal helpers: say why, return STORE_REFUSED. */
__attribute__((format(printf, 3, 4)))
static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return STORE_REFUSED;
}

/* Resolve + load for a write; maps "not found" and bad refs to refusals. */
static int load_ref(struct store *st, MDB_txn *txn, const char *ref, struct case_rec *out,
		    int *notfound, char *err, size_t errlen)
{
	uint64_t seq;
	int rc = case_resolve(st, txn, ref, &seq);
	if (rc == EINVAL)
		return refuse(err, errlen, "'%s' is not a case number (#42) or case id", ref);
	if (rc == MDB_NOTFOUND) {
		if (notfound)
			*notfound = 1;
		return refuse(err, errlen, "case %s%s not found", *ref == '#' ||
			      strspn(ref, "0123456789") == strlen(ref) ? "#" : "", ref + (*ref == '#'));
	}
	if (rc == 0)
		rc = case_load(st, txn, seq, out);
	return rc;
}

static int64_t bool_value(const char *v)
{
	return strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0;
}

/* Checks that making `parent` the parent of `seq` creates no cycle. */
static int check_parent(struct store *st, MDB_txn *txn, uint64_t seq, uint64_t parent,
			char *err, size_t errlen)
{
	if (parent == seq)
		return refuse(err, errlen, "case #%llu cannot be its own parent",
			      (unsigned long long)seq);
	uint64_t p = parent;
	for (int depth = 0; p && depth < 10000; depth++) {
		struct case_rec r;
		int rc = case_load(st, txn, p, &r);
		if (rc == MDB_NOTFOUND && p == parent)
			return refuse(err, errlen, "parent case #%llu not found", (unsigned long long)p);
		if (rc)
			return rc;
		uint64_t up = r.parent;
		case_rec_free(&r);
		if (up == seq)
			return refuse(err, errlen, "case #%llu is an ancestor of #%llu: linking would "
				      "make a cycle", (unsigned long long)seq, (unsigned long long)parent);
		p = up;
	}
	return 0;
}

/* Scratch space for a working record's label list. */
struct labels_scratch {
	char buf[CASE_MAX_LABELS * (CASE_MAX_SHORT + 1) + 1];
};

/* Applies field values to `r` (a shallow copy of the old record, or zeroed for a
 * new one). Checks only; writes nothing. Describes changes in `changed`. */
static int apply_fields(struct case_rec *r, const struct case_fields *f, int creating,
			int64_t now, struct labels_scratch *ls, char *changed, size_t chlen,
			char *err, size_t errlen)
{
	changed[0] = '\0';
#define NOTE_CHANGE(name) do { \
		size_t l_ = strlen(changed); \
		snprintf(changed + l_, chlen - l_, "%s%s", l_ ? ", " : "", name); \
	} while (0)
	if (!creating) {
		if (CF_HAS(f, CF_DEDUPE))
			return refuse(err, errlen, "dedupe_key can only be set when a case is created");
		if (CF_HAS(f, CF_SOURCE))
			return refuse(err, errlen, "source can only be set when a case is created");
	}
	if (CF_HAS(f, CF_TITLE) && (!r->title || strcmp(r->title, f->v[CF_TITLE]))) {
		r->title = f->v[CF_TITLE];
		NOTE_CHANGE("title");
	}
	if (CF_HAS(f, CF_TYPE) && (!r->type || strcmp(r->type, f->v[CF_TYPE]))) {
		r->type = f->v[CF_TYPE];
		NOTE_CHANGE("type");
	}
	if (CF_HAS(f, CF_SEVERITY)) {
		int s = case_severity_parse(f->v[CF_SEVERITY]);
		if (s != r->severity) {
			r->severity = s;
			NOTE_CHANGE("severity");
		}
	}
	if (CF_HAS(f, CF_OWNER))
		r->owner = *f->v[CF_OWNER] ? f->v[CF_OWNER] : NULL;
	if (CF_HAS(f, CF_ROLE))
		r->role = *f->v[CF_ROLE] ? f->v[CF_ROLE] : NULL;
	if (CF_HAS(f, CF_CUSTOM)) {
		r->custom_json = f->v[CF_CUSTOM];
		NOTE_CHANGE("custom");
	}
	if (creating && CF_HAS(f, CF_DEDUPE))
		r->dedupe_key = f->v[CF_DEDUPE];
	if (creating && CF_HAS(f, CF_SOURCE))
		r->source_json = f->v[CF_SOURCE];
	if (CF_HAS(f, CF_LABELS) || f->nadd || f->ndel) {
		/* Build the new list in scratch: replacement or old +add -del. */
		char *out = ls->buf;
		const char *list[CASE_MAX_LABELS * 2];
		size_t n = 0;
		char tmp[CASE_MAX_LABELS * (CASE_MAX_SHORT + 1) + 1];
		if (CF_HAS(f, CF_LABELS)) {
			snprintf(tmp, sizeof tmp, "%s", f->v[CF_LABELS]);
			for (char *save = NULL, *t = strtok_r(tmp, ",", &save); t;
			     t = strtok_r(NULL, ",", &save))
				list[n++] = t;
		} else {
			for (size_t i = 0; i < r->nlabels; i++)
				list[n++] = r->labels[i];
		}
		for (size_t i = 0; i < f->nadd; i++)
			list[n++] = f->labels_add[i];
		size_t nl = 0;
		const char *newl[CASE_MAX_LABELS];
		for (size_t i = 0; i < n; i++) {
			int drop = 0;
			for (size_t j = 0; j < f->ndel && !drop; j++)
				drop = strcmp(list[i], f->labels_del[j]) == 0;
			for (size_t j = 0; j < nl && !drop; j++)
				drop = strcmp(list[i], newl[j]) == 0;
			if (drop)
				continue;
			if (nl >= CASE_MAX_LABELS)
				return refuse(err, errlen, "too many labels (at most %d)", CASE_MAX_LABELS);
			newl[nl++] = list[i];
		}
		int same = nl == r->nlabels;
		for (size_t i = 0; i < nl && same; i++)
			same = strcmp(newl[i], r->labels[i]) == 0;
		if (!same) {
			for (size_t i = 0; i < nl; i++) {
				size_t l = strlen(newl[i]);
				memcpy(out, newl[i], l + 1);
				r->labels[i] = out;
				out += l + 1;
			}
			r->nlabels = nl;
			NOTE_CHANGE("labels");
		}
	}
	if (CF_HAS(f, CF_SLA_DUE)) {
		int64_t t = 0;
		if (*f->v[CF_SLA_DUE])
			case_time_parse(f->v[CF_SLA_DUE], now, &t);
		if (t != r->sla_due) {
			r->sla_due = t;
			r->sla_paused_ms = 0;
			r->sla_paused_at = r->status == CASE_PENDING && r->sla_pause_pending ? now : 0;
			NOTE_CHANGE("sla_due");
		}
	}
	if (CF_HAS(f, CF_SLA_PAUSE)) {
		int p = (int)bool_value(f->v[CF_SLA_PAUSE]);
		if (p != r->sla_pause_pending) {
			if (!p && r->sla_paused_at) { /* stop pausing: bank the pause so far */
				r->sla_paused_ms += now - r->sla_paused_at;
				r->sla_paused_at = 0;
			} else if (p && r->status == CASE_PENDING) {
				r->sla_paused_at = now;
			}
			r->sla_pause_pending = p;
			NOTE_CHANGE("sla_pause_pending");
		}
	}
	if (CF_HAS(f, CF_STATUS)) {
		int to = case_status_parse(f->v[CF_STATUS]);
		if (creating) {
			/* Created closed (an alert a rule closes): with its reason. */
			if (to == CASE_CLOSED && !CF_HAS(f, CF_CLOSE_REASON))
				return refuse(err, errlen, "a case created closed needs a close_reason");
			if (to == CASE_CLOSED)
				r->closed = now;
			r->status = to;
		} else if (!case_transition_ok(r->status, to)) {
			return refuse(err, errlen, "case #%llu cannot go from %s to %s (allowed: new -> "
				      "active|pending|closed, active -> pending|closed, pending -> "
				      "active|closed, closed -> active)", (unsigned long long)r->seq,
				      case_status_name(r->status), case_status_name(to));
		} else if (to != r->status) {
			/* The SLA clock: pause entering pending, bank the pause leaving it. */
			if (r->status == CASE_PENDING && r->sla_paused_at) {
				r->sla_paused_ms += now - r->sla_paused_at;
				r->sla_paused_at = 0;
			}
			if (to == CASE_PENDING && r->sla_pause_pending && r->sla_due)
				r->sla_paused_at = now;
			if (to == CASE_CLOSED) {
				r->closed = now;
			} else if (r->status == CASE_CLOSED) {
				r->closed = 0;
				r->close_reason = NULL;
			}
			r->status = to;
		}
	}
	if (CF_HAS(f, CF_CLOSE_REASON)) {
		if (r->status != CASE_CLOSED)
			return refuse(err, errlen, "close_reason is only for closing: use status closed, "
				      "or `soarctl case close`");
		r->close_reason = f->v[CF_CLOSE_REASON];
	}
	if (creating && !r->title)
		return refuse(err, errlen, "a case needs a title");
	return 0;
#undef NOTE_CHANGE
}

static int meta_next_seq(struct store *st, MDB_txn *txn, uint64_t *next)
{
	MDB_val k = { 8, "case_seq" }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_META), &k, &v);
	if (rc == MDB_NOTFOUND) {
		*next = 1;
		return 0;
	}
	if (rc)
		return rc;
	*next = v.mv_size == 8 ? store_get_u64(v.mv_data) + 1 : 1;
	return 0;
}

static int meta_put_seq(struct store *st, MDB_txn *txn, uint64_t seq)
{
	unsigned char b[8];
	store_put_u64(b, seq);
	MDB_val k = { 8, "case_seq" }, v = { 8, b };
	return mdb_put(txn, store_dbi(st, STORE_DB_META), &k, &v, 0);
}

static int dedupe_get(struct store *st, MDB_txn *txn, const char *key, uint64_t *seq)
{
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_CASE_DEDUPE), &k, &v);
	if (rc == 0)
		*seq = v.mv_size == 8 ? store_get_u64(v.mv_data) : 0;
	return rc;
}

static int dedupe_put(struct store *st, MDB_txn *txn, const char *key, uint64_t seq)
{
	unsigned char b[8];
	store_put_u64(b, seq);
	MDB_val k = { strlen(key), (void *)key }, v = { 8, b };
	return mdb_put(txn, store_dbi(st, STORE_DB_CASE_DEDUPE), &k, &v, 0);
}

/* Adds "child #N: TITLE" (linked) or "child #N STATUS_CHANGE" to the
 * parent's timeline: whoever owns the parent follows its children there. */
static int note_parent_text(struct store *st, MDB_txn *txn, uint64_t parent,
			    const struct case_rec *child, const char *change, const char *actor,
			    int64_t now)
{
	struct case_rec p;
	int rc = case_load(st, txn, parent, &p);
	if (rc)
		return rc;
	struct case_rec old = p;
	char text[CASE_MAX_TITLE + 800];
	if (change)
		snprintf(text, sizeof text, "child #%llu %s", (unsigned long long)child->seq, change);
	else
		snprintf(text, sizeof text, "child #%llu: %s", (unsigned long long)child->seq,
			 child->title ? child->title : "");
	rc = case_entry_put(st, txn, &p, change ? CASE_ENTRY_STATUS : CASE_ENTRY_LINK, now, actor,
			    text, NULL);
	if (rc == 0)
		rc = case_save(st, txn, &old, &p);
	case_rec_free(&p);
	return rc;
}

static int note_parent(struct store *st, MDB_txn *txn, uint64_t parent,
		       const struct case_rec *child, const char *actor, int64_t now)
{
	return note_parent_text(st, txn, parent, child, NULL, actor, now);
}

/* ---- create ---- */

struct create_ctx {
	const struct case_fields *f;
	const char *actor;
	struct case_rec out;
	int deduped;
	int no_out;               /* the caller does not want the record back */
	/* Prepared on the writer's thread (create_prepare), so that the committer
	 * only looks up the dedupe key, takes a number and puts bytes. */
	int prepared;
	int prep_rc;              /* 0, or STORE_REFUSED with prep_err */
	const char *dedupe;       /* the dedupe key, or NULL */
	int hold_dedupe;          /* the new case takes the key (it is not closed) */
	unsigned char uuid[16];
	char id[37];
	struct store_buf rec;     /* the encoded record */
	struct store_buf entry;   /* the encoded "created" timeline entry */
	struct store_buf keys;    /* index entries: u16 length, then case_keys bytes */
	char prep_err[256];
	struct labels_scratch ls;
};

/* Everything about a new case that needs no transaction: fields checked and
 * applied, id, record, timeline entry and index entries encoded, with the case
 * number left 0 (the committer patches it into the index entries). A case with
 * a parent is left to create_apply (the parent is resolved in the transaction),
 * as is any allocation failure here. */
static void create_prepare(struct create_ctx *c)
{
	const struct case_fields *f = c->f;
	c->prepared = 0;
	if (CF_HAS(f, CF_PARENT) && *f->v[CF_PARENT])
		return;
	int64_t now = store_now_ms();
	struct case_rec r = { 0 };
	uuid_v7(c->id);
	uuid_parse(c->id, c->uuid);
	memcpy(r.id, c->id, sizeof r.id);
	r.type = DEFAULT_TYPE;
	r.severity = DEFAULT_SEVERITY;
	r.status = CASE_NEW;
	r.created = r.updated = now;
	char changed[256];
	c->prep_rc = apply_fields(&r, f, 1, now, &c->ls, changed, sizeof changed, c->prep_err,
				  sizeof c->prep_err);
	if (c->prep_rc) {
		c->prepared = 1;
		return;
	}
	if (r.sla_due && r.status == CASE_PENDING && r.sla_pause_pending)
		r.sla_paused_at = now;
	r.entries = 1; /* what case_entry_put does for the "created" entry */
	c->dedupe = r.dedupe_key;
	c->hold_dedupe = r.status != CASE_CLOSED;   /* a closed case holds no key */
	case_entry_encode(CASE_ENTRY_CREATED, now, c->actor, r.title, NULL, &c->entry);
	case_encode(&r, &c->rec);
	struct case_keys *ks = malloc(sizeof *ks);
	if (ks) {
		case_index_keys(&r, ks);
		for (size_t i = 0; i < ks->n; i++) {
			unsigned char l[2] = { (unsigned char)(ks->len[i] >> 8), (unsigned char)ks->len[i] };
			store_buf_add(&c->keys, l, 2);
			store_buf_add(&c->keys, ks->k[i], ks->len[i]);
		}
		free(ks);
	}
	if (!ks || c->rec.oom || c->entry.oom || c->keys.oom) {
		store_buf_free(&c->rec);
		store_buf_free(&c->entry);
		store_buf_free(&c->keys);
		return;
	}
	c->prepared = 1;
}

static void create_unprepare(struct create_ctx *c)
{
	store_buf_free(&c->rec);
	store_buf_free(&c->entry);
	store_buf_free(&c->keys);
}

/* Puts with MDB_APPEND when the key is the largest so far (new numbers are), and
 * falls back to an ordinary put when it is not (ids from several threads). */
static int put_append(MDB_txn *txn, MDB_dbi db, MDB_val *k, MDB_val *v)
{
	int rc = mdb_put(txn, db, k, v, MDB_APPEND);
	return rc == MDB_KEYEXIST ? mdb_put(txn, db, k, v, 0) : rc;
}

static int create_apply(struct store *st, struct store_txn *stx_, void *arg, char *err,
                        size_t errlen);
static int update_apply(struct store *st, struct store_txn *stx_, void *arg, char *err,
                        size_t errlen);
static int note_apply(struct store *st, struct store_txn *stx_, void *arg, char *err,
                      size_t errlen);
static int attach_apply(struct store *st, struct store_txn *stx_, void *arg, char *err,
                        size_t errlen);
static int link_apply(struct store *st, struct store_txn *stx_, void *arg, char *err,
                      size_t errlen);
static int dedupe_get(struct store *st, MDB_txn *txn, const char *key, uint64_t *seq);
static int dedupe_put(struct store *st, MDB_txn *txn, const char *key, uint64_t seq);

/* The committer's part of a prepared create. */
static int create_apply_prepared(struct store *st, MDB_txn *txn, struct create_ctx *c,
				 char *err, size_t errlen)
{
	if (c->prep_rc) {
		snprintf(err, errlen, "%s", c->prep_err);
		return c->prep_rc;
	}
	int rc;
	uint64_t seq;
	if (c->dedupe) {
		rc = dedupe_get(st, txn, c->dedupe, &seq);
		if (rc == 0) {
			c->deduped = 1;
			return c->no_out ? 0 : case_load(st, txn, seq, &c->out);
		}
		if (rc != MDB_NOTFOUND)
			return rc;
	}
	if ((rc = meta_next_seq(st, txn, &seq)) != 0)
		return rc;
	unsigned char kb[12];
	store_put_u64(kb, seq);
	store_put_u32(kb + 8, 1);
	MDB_val tk = { 12, kb }, tv = { c->entry.len, c->entry.p };
	MDB_val ck = { 8, kb }, cv = { c->rec.len, c->rec.p };
	MDB_val uk = { 16, c->uuid }, uv = { 8, kb };
	if ((rc = put_append(txn, store_dbi(st, STORE_DB_TIMELINE), &tk, &tv)) ||
	    (rc = put_append(txn, store_dbi(st, STORE_DB_CASES), &ck, &cv)) ||
	    (rc = put_append(txn, store_dbi(st, STORE_DB_CASE_UUID), &uk, &uv)))
		return rc;
	unsigned char *p = (unsigned char *)c->keys.p, *end = p + c->keys.len;
	while (p < end) {
		size_t len = (size_t)p[0] << 8 | p[1];
		p += 2;
		store_put_u64(p + len - 8, seq);
		if ((rc = case_index_put(st, txn, p, len)) != 0)
			return rc;
		p += len;
	}
	if ((rc = meta_put_seq(st, txn, seq)) ||
	    (c->dedupe && c->hold_dedupe && (rc = dedupe_put(st, txn, c->dedupe, seq))))
		return rc;
	if (c->no_out) {
		c->out.seq = seq;
		memcpy(c->out.id, c->id, sizeof c->out.id);
		return 0;
	}
	return case_load(st, txn, seq, &c->out);
}

static int create_apply_inner(struct store *st, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
	struct create_ctx *c = arg;
	const struct case_fields *f = c->f;
	case_rec_free(&c->out);
	c->deduped = 0;
	if (c->prepared)
		return create_apply_prepared(st, txn, c, err, errlen);
	int64_t now = store_now_ms();
	int rc;
	uint64_t seq;

	if (CF_HAS(f, CF_DEDUPE)) {
		rc = dedupe_get(st, txn, f->v[CF_DEDUPE], &seq);
		if (rc == 0) {
			c->deduped = 1;
			return c->no_out ? 0 : case_load(st, txn, seq, &c->out);
		}
		if (rc != MDB_NOTFOUND)
			return rc;
	}
	struct case_rec r = { 0 };
	if ((rc = meta_next_seq(st, txn, &r.seq)) != 0)
		return rc;
	if (CF_HAS(f, CF_PARENT) && *f->v[CF_PARENT]) {
		struct case_rec p;
		if ((rc = load_ref(st, txn, f->v[CF_PARENT], &p, NULL, err, errlen)) != 0) {
			if (rc == STORE_REFUSED) {
				char why[200];
				snprintf(why, sizeof why, "%s", err);
				snprintf(err, errlen, "parent: %s", why);
			}
			return rc;
		}
		r.parent = p.seq;
		case_rec_free(&p);
	}
	uuid_v7(r.id);
	r.type = DEFAULT_TYPE;
	r.severity = DEFAULT_SEVERITY;
	r.status = CASE_NEW;
	r.created = r.updated = now;
	char changed[256];
	if ((rc = apply_fields(&r, f, 1, now, &c->ls, changed, sizeof changed, err, errlen)) != 0)
		return rc;
	if (r.sla_due && r.status == CASE_PENDING && r.sla_pause_pending)
		r.sla_paused_at = now;

	/* Checks done: write. */
	if ((rc = case_entry_put(st, txn, &r, CASE_ENTRY_CREATED, now, c->actor, r.title, NULL)) ||
	    (rc = case_save(st, txn, NULL, &r)) ||
	    (rc = meta_put_seq(st, txn, r.seq)) ||
	    (r.dedupe_key && r.status != CASE_CLOSED &&
	     (rc = dedupe_put(st, txn, r.dedupe_key, r.seq))) ||
	    (r.parent && (rc = note_parent(st, txn, r.parent, &r, c->actor, now))))
		return rc;
	if (c->no_out) {
		c->out.seq = r.seq; /* the number and id are all a fire-and-forget caller gets */
		memcpy(c->out.id, r.id, sizeof r.id);
		return 0;
	}
	return case_load(st, txn, r.seq, &c->out);
}

int case_create(struct store *st, const struct case_fields *f, const char *actor,
		struct case_rec *out, int *deduped, char *err, size_t errlen)
{
	struct create_ctx *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->f = f;
	c->actor = actor;
	c->no_out = out == NULL;
	create_prepare(c);
	int rc = store_write(st, create_apply, c, err, errlen);
	create_unprepare(c);
	if (rc == 0) {
		if (out)
			*out = c->out;
		else
			case_rec_free(&c->out);
		if (deduped)
			*deduped = c->deduped;
	} else {
		case_rec_free(&c->out);
	}
	free(c);
	return rc == 0 ? 0 : -1;
}

struct case_create_req {
	struct store_ticket t;      /* first: on_done gets the ticket */
	struct create_ctx c;
	struct store *st;
	void (*done)(struct case_create_req *r, void *arg);
	void *arg;
};

static void create_done(struct store_ticket *t)
{
	struct case_create_req *r = (struct case_create_req *)t;
	if (r->done)
		r->done(r, r->arg);
}

struct case_create_req *case_create_submit(struct store *st, const struct case_fields *f,
					   const char *actor,
					   void (*done)(struct case_create_req *r, void *arg),
					   void *arg)
{
	/* malloc, not calloc: the label scratch is large and written before read */
	struct case_create_req *r = malloc(sizeof *r);
	if (!r)
		return NULL;
	memset(r, 0, offsetof(struct case_create_req, c) + offsetof(struct create_ctx, ls));
	memset(&r->st, 0, sizeof *r - offsetof(struct case_create_req, st));
	r->c.f = f;
	r->c.actor = actor;
	r->c.no_out = 1; /* finish fills number and id only; case_get for the rest */
	r->st = st;
	r->done = done;
	r->arg = arg;
	r->t.apply = create_apply;
	r->t.ctx = &r->c;
	if (done)
		r->t.on_done = create_done;
	create_prepare(&r->c);
	store_submit(st, &r->t);
	return r;
}

int case_create_finish(struct case_create_req *r, struct case_rec *out, int *deduped,
		       char *err, size_t errlen)
{
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = r->done ? r->t.rc : store_wait(r->st, &r->t);
	create_unprepare(&r->c);
	if (rc == 0) {
		if (out)
			*out = r->c.out;
		else
			case_rec_free(&r->c.out);
		if (deduped)
			*deduped = r->c.deduped;
	} else {
		snprintf(err, errlen, "%s", r->t.err);
		case_rec_free(&r->c.out);
	}
	free(r);
	return rc == 0 ? 0 : -1;
}

/* ---- get ---- */

static int read_ref(struct store *st, MDB_txn *txn, const char *ref, struct case_rec *out,
		    char *err, size_t errlen)
{
	uint64_t seq;
	int rc = case_resolve(st, txn, ref, &seq);
	if (rc == 0)
		rc = case_load(st, txn, seq, out);
	if (rc == EINVAL) {
		snprintf(err, errlen, "'%s' is not a case number (#42) or case id", ref);
		return -1;
	}
	if (rc == MDB_NOTFOUND) {
		snprintf(err, errlen, "case %s not found", ref);
		return 1;
	}
	if (rc) {
		store_error(st, rc, "reading a case", err, errlen);
		return -1;
	}
	return 0;
}

int case_get(struct store *st, const char *ref, struct case_rec *out, char *err, size_t errlen)
{
	MDB_txn *txn;
	memset(out, 0, sizeof *out);
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	int rc = read_ref(st, txn, ref, out, err, errlen);
	store_mdb_read_end(st, txn);
	return rc;
}

/* ---- update and close ---- */

struct update_ctx {
	const char *ref;
	const struct case_fields *f;
	const char *actor;
	struct case_rec out;
	int notfound;
	struct labels_scratch ls;
};

static int update_apply_inner(struct store *st, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
	struct update_ctx *c = arg;
	const struct case_fields *f = c->f;
	case_rec_free(&c->out);
	c->notfound = 0;
	int64_t now = store_now_ms();
	struct case_rec old;
	int rc = load_ref(st, txn, c->ref, &old, &c->notfound, err, errlen);
	if (rc)
		return rc;
	struct case_rec r = old;
	char changed[256];
	rc = apply_fields(&r, f, 0, now, &c->ls, changed, sizeof changed, err, errlen);
	uint64_t new_parent = old.parent;
	if (rc == 0 && CF_HAS(f, CF_PARENT)) {
		new_parent = 0;
		if (*f->v[CF_PARENT]) {
			struct case_rec p;
			rc = load_ref(st, txn, f->v[CF_PARENT], &p, NULL, err, errlen);
			if (rc == 0) {
				new_parent = p.seq;
				case_rec_free(&p);
				if (new_parent != old.parent)
					rc = check_parent(st, txn, old.seq, new_parent, err, errlen);
			}
		}
		r.parent = new_parent;
	}
	if (rc) {
		case_rec_free(&old);
		return rc;
	}

	/* Checks done: write the entries that say what changed, then the record. */
	char text[700];
	if (r.status != old.status) {
		if (r.status == CASE_CLOSED)
			snprintf(text, sizeof text, "%s -> closed: %s", case_status_name(old.status),
				 r.close_reason ? r.close_reason : "");
		else
			snprintf(text, sizeof text, "%s -> %s", case_status_name(old.status),
				 case_status_name(r.status));
		rc = case_entry_put(st, txn, &r, CASE_ENTRY_STATUS, now, c->actor, text, NULL);
		if (rc == 0 && r.parent && r.parent == old.parent)
			rc = note_parent_text(st, txn, r.parent, &r, text, c->actor, now);
		if (rc == 0 && r.dedupe_key) {
			uint64_t holder;
			int dr = dedupe_get(st, txn, r.dedupe_key, &holder);
			MDB_val dk = { strlen(r.dedupe_key), r.dedupe_key };
			if (r.status == CASE_CLOSED && dr == 0 && holder == r.seq)
				rc = mdb_del(txn, store_dbi(st, STORE_DB_CASE_DEDUPE), &dk, NULL);
			else if (old.status == CASE_CLOSED && dr == MDB_NOTFOUND)
				rc = dedupe_put(st, txn, r.dedupe_key, r.seq);
			else if (dr && dr != MDB_NOTFOUND)
				rc = dr;
		}
	}
	int owner_changed = (r.owner == NULL) != (old.owner == NULL) ||
			    (r.owner && strcmp(r.owner, old.owner));
	int role_changed = (r.role == NULL) != (old.role == NULL) ||
			   (r.role && strcmp(r.role, old.role));
	if (rc == 0 && (owner_changed || role_changed)) {
		snprintf(text, sizeof text, "%s%s%s%s%s%s", owner_changed ? "owner: " : "",
			 owner_changed ? (r.owner ? r.owner : "(none)") : "",
			 owner_changed && role_changed ? ", " : "", role_changed ? "role: " : "",
			 role_changed ? (r.role ? r.role : "(none)") : "", "");
		rc = case_entry_put(st, txn, &r, CASE_ENTRY_ASSIGN, now, c->actor, text, NULL);
	}
	if (rc == 0 && new_parent != old.parent) {
		if (new_parent)
			snprintf(text, sizeof text, "parent: #%llu", (unsigned long long)new_parent);
		else
			snprintf(text, sizeof text, "parent removed (was #%llu)",
				 (unsigned long long)old.parent);
		rc = case_entry_put(st, txn, &r, CASE_ENTRY_LINK, now, c->actor, text, NULL);
		if (rc == 0 && new_parent)
			rc = note_parent(st, txn, new_parent, &r, c->actor, now);
	}
	if (rc == 0 && changed[0]) {
		snprintf(text, sizeof text, "changed: %s", changed);
		rc = case_entry_put(st, txn, &r, CASE_ENTRY_UPDATE, now, c->actor, text, NULL);
	}
	if (rc == 0 && r.entries != old.entries)
		rc = case_save(st, txn, &old, &r);
	if (rc == 0)
		rc = case_load(st, txn, old.seq, &c->out);
	case_rec_free(&old);
	return rc;
}

int case_update(struct store *st, const char *ref, const struct case_fields *f,
		const char *actor, struct case_rec *out, char *err, size_t errlen)
{
	struct update_ctx *c = calloc(1, sizeof *c);
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	c->ref = ref;
	c->f = f;
	c->actor = actor;
	int rc = store_write(st, update_apply, c, err, errlen);
	int notfound = c->notfound;
	if (rc == 0 && out)
		*out = c->out;
	else
		case_rec_free(&c->out);
	free(c);
	return rc == 0 ? 0 : notfound ? 1 : -1;
}

int case_close(struct store *st, const char *ref, const char *reason, const char *actor,
	       struct case_rec *out, char *err, size_t errlen)
{
	if (!reason || !*reason) {
		snprintf(err, errlen, "closing a case needs a reason (e.g. \"false positive\", "
			 "\"resolved\")");
		return -1;
	}
	struct case_fields f;
	case_fields_init(&f);
	int rc = -1;
	if (case_fields_set(&f, "status", "closed", err, errlen) == 0 &&
	    case_fields_set(&f, "close_reason", reason, err, errlen) == 0)
		rc = case_update(st, ref, &f, actor, out, err, errlen);
	case_fields_free(&f);
	return rc;
}

/* ---- timeline ---- */

struct note_ctx {
	const char *ref, *actor, *text, *data;
	int kind, notfound;
	uint32_t no;
};

static int note_apply_inner(struct store *st, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
	struct note_ctx *c = arg;
	c->notfound = 0;
	struct case_rec r;
	int rc = load_ref(st, txn, c->ref, &r, &c->notfound, err, errlen);
	if (rc)
		return rc;
	struct case_rec old = r;
	rc = case_entry_put(st, txn, &r, c->kind, store_now_ms(), c->actor, c->text, c->data);
	if (rc == 0)
		rc = case_save(st, txn, &old, &r);
	c->no = r.entries;
	case_rec_free(&r);
	return rc;
}

/* The checks of a note's arguments, before any transaction. 0 or -1 with err. */
static int note_check(int kind, const char *text, const char *data, char *err, size_t errlen)
{
	if (kind != CASE_ENTRY_NOTE && kind != CASE_ENTRY_COMMAND && kind != CASE_ENTRY_RESULT &&
	    kind != CASE_ENTRY_PROMPT && kind != CASE_ENTRY_ANSWER) {
		snprintf(err, errlen, "entry kind '%s' cannot be added directly: use note, command, "
			 "result, prompt or answer", case_entry_kind_name(kind));
		return -1;
	}
	if (!text || strlen(text) > CASE_MAX_TEXT) {
		snprintf(err, errlen, "a timeline entry needs text of at most %d bytes", CASE_MAX_TEXT);
		return -1;
	}
	char why[200];
	if (data && *data && (strlen(data) > CASE_MAX_TEXT ||
			      json_check(data, strlen(data), 0, why, sizeof why))) {
		snprintf(err, errlen, "entry data %s", strlen(data) > CASE_MAX_TEXT ?
			 "is too large" : why);
		return -1;
	}
	return 0;
}

int case_note(struct store *st, const char *ref, int kind, const char *actor,
	      const char *text, const char *data, uint32_t *no, char *err, size_t errlen)
{
	if (note_check(kind, text, data, err, errlen) != 0)
		return -1;
	struct note_ctx c = { ref, actor, text, data && *data ? data : NULL, kind, 0, 0 };
	int rc = store_write(st, note_apply, &c, err, errlen);
	if (rc == 0 && no)
		*no = c.no;
	return rc == 0 ? 0 : c.notfound ? 1 : -1;
}

struct case_note_req {
	struct note_ctx c;
	char *ref, *actor, *text, *data;      /* the copies c points to */
};

void case_note_free(struct case_note_req *r)
{
	if (!r)
		return;
	free(r->ref);
	free(r->actor);
	free(r->text);
	free(r->data);
	free(r);
}

struct case_note_req *case_note_prepare(const char *ref, int kind, const char *actor,
					const char *text, const char *data, char *err, size_t errlen)
{
	if (note_check(kind, text, data, err, errlen) != 0)
		return NULL;
	struct case_note_req *r = calloc(1, sizeof *r);
	if (r) {
		r->ref = strdup(ref);
		r->actor = strdup(actor ? actor : "?");
		r->text = strdup(text);
		r->data = data && *data ? strdup(data) : NULL;
	}
	if (!r || !r->ref || !r->actor || !r->text || (data && *data && !r->data)) {
		case_note_free(r);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->c = (struct note_ctx){ r->ref, r->actor, r->text, r->data, kind, 0, 0 };
	return r;
}

int case_note_apply(struct store *st, struct store_txn *txn, void *req, char *err, size_t errlen)
{
	struct case_note_req *r = req;
	return note_apply(st, txn, &r->c, err, errlen);
}

uint32_t case_note_number(const struct case_note_req *r)
{
	return r->c.no;
}

int case_timeline(struct store *st, const char *ref, uint32_t from, size_t max,
		  struct case_entry **out, size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct case_rec r;
	int ret = read_ref(st, txn, ref, &r, err, errlen);
	if (ret != 0) {
		store_mdb_read_end(st, txn);
		return ret;
	}
	uint64_t seq = r.seq;
	size_t total = r.entries >= from ? r.entries - (from ? from - 1 : 0) : 0;
	case_rec_free(&r);
	if (max && total > max)
		total = max;
	MDB_cursor *cur = NULL;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_TIMELINE), &cur);
	struct case_entry *e = total ? calloc(total, sizeof *e) : NULL;
	if (rc == 0 && total && !e)
		rc = ENOMEM;
	unsigned char kb[12];
	store_put_u64(kb, seq);
	store_put_u32(kb + 8, from ? from : 1);
	MDB_val k = { 12, kb }, v;
	size_t got = 0;
	for (int op = MDB_SET_RANGE; rc == 0 && got < total; op = MDB_NEXT) {
		rc = mdb_cursor_get(cur, &k, &v, op);
		if (rc == MDB_NOTFOUND || (rc == 0 && (k.mv_size != 12 ||
						      store_get_u64(k.mv_data) != seq))) {
			rc = 0;
			break;
		}
		if (rc == 0 && case_entry_decode(store_get_u32((unsigned char *)k.mv_data + 8),
						 v.mv_data, v.mv_size, &e[got++]) != 0)
			rc = MDB_CORRUPTED;
	}
	if (cur)
		mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
	if (rc) {
		case_entries_free(e, got);
		free(e);
		store_error(st, rc, "reading a timeline", err, errlen);
		return -1;
	}
	*out = e;
	*n = got;
	return 0;
}

/* ---- attachments ---- */

struct attach_ctx {
	const char *ref, *actor, *name;
	const void *data;
	size_t len;
	unsigned char sha[32];
	int notfound;
};

static int attach_apply_inner(struct store *st, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
	struct attach_ctx *c = arg;
	c->notfound = 0;
	struct case_rec r;
	int rc = load_ref(st, txn, c->ref, &r, &c->notfound, err, errlen);
	if (rc)
		return rc;
	struct case_rec old = r;
	int64_t now = store_now_ms();
	char hex[65];
	hex_encode(c->sha, 32, hex);
	struct store_buf d = { 0 };
	store_buf_str(&d, "{\"sha256\":\"");
	store_buf_str(&d, hex);
	store_buf_printf(&d, "\",\"size\":%zu,\"name\":", c->len);
	store_buf_json(&d, c->name);
	store_buf_str(&d, "}");
	rc = d.oom ? ENOMEM : blob_put_txn(st, store_txn_of(txn), c->sha, c->data, c->len, now);
	if (rc == 0)
		rc = case_entry_put(st, txn, &r, CASE_ENTRY_ATTACHMENT, now, c->actor, c->name,
				    store_buf_cstr(&d));
	if (rc == 0)
		rc = case_save(st, txn, &old, &r);
	store_buf_free(&d);
	case_rec_free(&r);
	return rc;
}

int case_attach(struct store *st, const char *ref, const char *name, const void *data,
		size_t len, const char *actor, char sha256_hex[65], char *err, size_t errlen)
{
	if (blob_check_size(len, err, errlen) != 0)
		return -1;
	if (!name || !*name || strlen(name) > CASE_MAX_SHORT || strpbrk(name, "\n\r\t")) {
		snprintf(err, errlen, "an attachment needs a name of 1 to %d bytes on one line",
			 CASE_MAX_SHORT);
		return -1;
	}
	struct attach_ctx c = { ref, actor, name, data, len, { 0 }, 0 };
	/* Hash here, on the caller's thread, to keep the committer's batch short. */
	blob_sha256(data, len, c.sha);
	int rc = store_write(st, attach_apply, &c, err, errlen);
	if (rc == 0 && sha256_hex)
		hex_encode(c.sha, 32, sha256_hex);
	return rc == 0 ? 0 : c.notfound ? 1 : -1;
}

/* ---- links ---- */

struct link_ctx {
	const char *ref, *other, *actor;
	int relation; /* 0 related, 1 parent, 2 child */
	int notfound;
};

static int link_apply_inner(struct store *st, MDB_txn *txn, void *arg, char *err, size_t errlen)
{
	struct link_ctx *c = arg;
	c->notfound = 0;
	struct case_rec a, b;
	int rc = load_ref(st, txn, c->ref, &a, &c->notfound, err, errlen);
	if (rc)
		return rc;
	if ((rc = load_ref(st, txn, c->other, &b, &c->notfound, err, errlen)) != 0) {
		case_rec_free(&a);
		return rc;
	}
	int64_t now = store_now_ms();
	struct case_rec child = c->relation == 2 ? b : a, parent = c->relation == 2 ? a : b;
	if (c->relation == 0) {
		if (a.seq == b.seq) {
			rc = refuse(err, errlen, "a case cannot be linked to itself");
			goto out;
		}
		unsigned char kb[16];
		store_put_u64(kb, a.seq);
		store_put_u64(kb + 8, b.seq);
		MDB_val k = { 16, kb }, v;
		rc = mdb_get(txn, store_dbi(st, STORE_DB_CASE_LINKS), &k, &v);
		if (rc == 0)
			goto out; /* already linked: nothing to do */
		if (rc != MDB_NOTFOUND)
			goto out;
		MDB_val rv = { 7, "related" };
		if ((rc = mdb_put(txn, store_dbi(st, STORE_DB_CASE_LINKS), &k, &rv, 0)) != 0)
			goto out;
		store_put_u64(kb, b.seq);
		store_put_u64(kb + 8, a.seq);
		if ((rc = mdb_put(txn, store_dbi(st, STORE_DB_CASE_LINKS), &k, &rv, 0)) != 0)
			goto out;
		for (int side = 0; side < 2 && rc == 0; side++) {
			struct case_rec *x = side ? &b : &a, *y = side ? &a : &b, old = *x;
			char text[CASE_MAX_TITLE + 64];
			snprintf(text, sizeof text, "related: #%llu %s", (unsigned long long)y->seq,
				 y->title ? y->title : "");
			rc = case_entry_put(st, txn, x, CASE_ENTRY_LINK, now, c->actor, text, NULL);
			if (rc == 0)
				rc = case_save(st, txn, &old, x);
		}
		goto out;
	}
	if (child.parent == parent.seq)
		goto out; /* already so */
	if ((rc = check_parent(st, txn, child.seq, parent.seq, err, errlen)) != 0)
		goto out;
	struct case_rec old = child;
	child.parent = parent.seq;
	char text[64];
	snprintf(text, sizeof text, "parent: #%llu", (unsigned long long)parent.seq);
	rc = case_entry_put(st, txn, &child, CASE_ENTRY_LINK, now, c->actor, text, NULL);
	if (rc == 0)
		rc = case_save(st, txn, &old, &child);
	if (rc == 0)
		rc = note_parent(st, txn, parent.seq, &child, c->actor, now);
out:
	case_rec_free(&a);
	case_rec_free(&b);
	return rc;
}

int case_link(struct store *st, const char *ref, const char *other, const char *relation,
	      const char *actor, char *err, size_t errlen)
{
	struct link_ctx c = { ref, other, actor, -1, 0 };
	if (!relation || strcmp(relation, "related") == 0)
		c.relation = 0;
	else if (strcmp(relation, "parent") == 0)
		c.relation = 1;
	else if (strcmp(relation, "child") == 0)
		c.relation = 2;
	else {
		snprintf(err, errlen, "unknown relation '%s': use related, parent or child", relation);
		return -1;
	}
	int rc = store_write(st, link_apply, &c, err, errlen);
	return rc == 0 ? 0 : c.notfound ? 1 : -1;
}

int case_related(struct store *st, const char *ref, uint64_t **out, size_t *n,
		 char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct case_rec r;
	int ret = read_ref(st, txn, ref, &r, err, errlen);
	if (ret != 0) {
		store_mdb_read_end(st, txn);
		return ret;
	}
	MDB_cursor *cur = NULL;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASE_LINKS), &cur);
	unsigned char kb[16];
	store_put_u64(kb, r.seq);
	store_put_u64(kb + 8, 0);
	MDB_val k = { 16, kb }, v;
	size_t cap = 0;
	for (int op = MDB_SET_RANGE; rc == 0; op = MDB_NEXT) {
		rc = mdb_cursor_get(cur, &k, &v, op);
		if (rc == MDB_NOTFOUND || (rc == 0 && store_get_u64(k.mv_data) != r.seq)) {
			rc = 0;
			break;
		}
		if (rc == 0 && *n == cap) {
			cap = cap ? cap * 2 : 8;
			uint64_t *p = realloc(*out, cap * sizeof *p);
			if (!p) {
				rc = ENOMEM;
				break;
			}
			*out = p;
		}
		if (rc == 0)
			(*out)[(*n)++] = store_get_u64((unsigned char *)k.mv_data + 8);
	}
	if (cur)
		mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
	case_rec_free(&r);
	if (rc) {
		free(*out);
		*out = NULL;
		*n = 0;
		store_error(st, rc, "reading links", err, errlen);
		return -1;
	}
	return 0;
}

/* ---- audit: every change to a case is in the audit log, in the same
 * transaction as the change (issue: secrets, access, audit) ---- */

static int audit_case(struct store *st, MDB_txn *txn, const char *actor, const char *action,
		      uint64_t seq, const char *ref, const char *detail, char *err, size_t errlen)
{
	char object[96], details[256];
	if (seq)
		snprintf(object, sizeof object, "case #%llu", (unsigned long long)seq);
	else
		snprintf(object, sizeof object, "case %.80s", ref ? ref : "?");
	struct store_buf b = { 0 };
	if (detail) {
		store_buf_str(&b, "{\"what\":");
		store_buf_json(&b, detail);
		store_buf_str(&b, "}");
	}
	const char *dj = detail ? store_buf_cstr(&b) : NULL;
	snprintf(details, sizeof details, "%s", dj ? dj : "");
	store_buf_free(&b);
	return audit_append_txn(st, store_txn_of(txn), actor ? actor : "?", action, object,
				details[0] ? details : NULL, NULL, err, errlen);
}

static int create_apply(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct create_ctx *c = arg;
	int rc = create_apply_inner(st, txn, arg, err, errlen);
	if (rc != 0 || c->deduped)
		return rc;
	return audit_case(st, txn, c->actor, "case.create", c->out.seq, c->out.id, NULL, err, errlen);
}

static int update_apply(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct update_ctx *c = arg;
	int rc = update_apply_inner(st, txn, arg, err, errlen);
	return rc ? rc : audit_case(st, txn, c->actor, "case.update", c->out.seq, c->ref, NULL, err, errlen);
}

static int note_apply(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct note_ctx *c = arg;
	int rc = note_apply_inner(st, txn, arg, err, errlen);
	return rc ? rc : audit_case(st, txn, c->actor, "case.note", 0, c->ref, NULL, err, errlen);
}

static int attach_apply(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct attach_ctx *c = arg;
	int rc = attach_apply_inner(st, txn, arg, err, errlen);
	return rc ? rc : audit_case(st, txn, c->actor, "case.attach", 0, c->ref, c->name, err, errlen);
}

static int link_apply(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct link_ctx *c = arg;
	int rc = link_apply_inner(st, txn, arg, err, errlen);
	return rc ? rc : audit_case(st, txn, c->actor, "case.link", 0, c->ref, c->other, err, errlen);
}
