/* case_export.c - see case_export.h. Here because export reads the records and
 * import writes them with their index entries (case_int.h). */
#include "store_int.h" /* first: pthread.h wants _GNU_SOURCE before anything */
#include "case_int.h"
#include "case_export.h"

#include "base64.h"
#include "blob.h"
#include "hex.h"
#include "json.h"
#include "uuid.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 256

static void put_i64(struct store_buf *b, const char *name, int64_t v)
{
	store_buf_printf(b, ",\"%s\":%" PRId64, name, v);
}

static void put_str(struct store_buf *b, const char *name, const char *v)
{
	store_buf_printf(b, ",\"%s\":", name);
	store_buf_json(b, v);
}

/* The attachment's blob, base64, as "HEX":"B64" (once per case). */
static int put_blob(struct store *st, MDB_txn *txn, struct store_buf *b, const char *hex, int first)
{
	unsigned char sha[32];
	if (!hex || hex_decode_n(hex, strlen(hex), sha, 32) != 0)
		return 0;
	MDB_val k = { 32, sha }, v;
	if (mdb_get(txn, store_dbi(st, STORE_DB_BLOBS), &k, &v) != 0)
		return 0;
	size_t n = base64_encoded_len(v.mv_size, BASE64_PAD);
	char *enc = malloc(n + 1);
	if (!enc)
		return ENOMEM;
	base64_encode(v.mv_data, v.mv_size, enc, BASE64_PAD);
	store_buf_printf(b, "%s\"%s\":\"", first ? "" : ",", hex);
	store_buf_add(b, enc, n);
	store_buf_str(b, "\"");
	free(enc);
	return 0;
}

static int one_case(struct store *st, MDB_txn *txn, uint64_t seq, struct store_buf *b)
{
	struct case_rec c;
	int rc = case_load(st, txn, seq, &c);
	if (rc)
		return rc == MDB_NOTFOUND ? 0 : rc;
	store_buf_printf(b, "{\"format\":\"%s\",\"case\":{\"number\":%" PRIu64 ",\"id\":\"%s\"",
			 CASE_EXPORT_FORMAT, c.seq, c.id);
	put_str(b, "title", c.title);
	put_str(b, "type", c.type);
	put_str(b, "severity", case_severity_name(c.severity));
	put_str(b, "status", case_status_name(c.status));
	put_str(b, "owner", c.owner);
	put_str(b, "role", c.role);
	store_buf_str(b, ",\"labels\":[");
	for (size_t i = 0; i < c.nlabels; i++) {
		if (i)
			store_buf_str(b, ",");
		store_buf_json(b, c.labels[i]);
	}
	store_buf_printf(b, "],\"custom\":%s", c.custom_json ? c.custom_json : "null");
	store_buf_printf(b, ",\"source\":%s", c.source_json ? c.source_json : "null");
	put_i64(b, "created_ms", c.created);
	put_i64(b, "updated_ms", c.updated);
	put_i64(b, "closed_ms", c.closed);
	put_str(b, "close_reason", c.close_reason);
	put_str(b, "dedupe_key", c.dedupe_key);
	store_buf_printf(b, ",\"parent\":%" PRIu64, c.parent);
	put_i64(b, "sla_due_ms", c.sla_due);
	store_buf_printf(b, ",\"sla_pause_pending\":%s", c.sla_pause_pending ? "true" : "false");
	put_i64(b, "sla_paused_at_ms", c.sla_paused_at);
	put_i64(b, "sla_paused_ms", c.sla_paused_ms);
	store_buf_str(b, "},\"timeline\":[");
	unsigned char sk[12];
	store_put_u64(sk, seq);
	MDB_cursor *cur;
	struct store_buf blobs = { 0 };
	int nblobs = 0;
	if ((rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_TIMELINE), &cur)) != 0)
		goto out;
	MDB_val k = { 8, sk }, v;
	int first = 1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == 12 && !memcmp(k.mv_data, sk, 8);
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct case_entry e;
		if (case_entry_decode(store_get_u32((unsigned char *)k.mv_data + 8), v.mv_data,
				      v.mv_size, &e) != 0) {
			rc = MDB_CORRUPTED;
			break;
		}
		store_buf_printf(b, "%s{\"no\":%u,\"kind\":\"%s\",\"time_ms\":%" PRId64, first ? "" : ",",
				 e.no, case_entry_kind_name(e.kind), e.time);
		put_str(b, "actor", e.actor);
		put_str(b, "text", e.text);
		store_buf_printf(b, ",\"data\":%s}", e.data && *e.data ? e.data : "null");
		first = 0;
		if (e.kind == CASE_ENTRY_ATTACHMENT && e.data) {
			struct json_doc d = { 0 };
			char jerr[64];
			if (json_parse(&d, e.data, strlen(e.data), 4, jerr, sizeof jerr) == 0)
				rc = put_blob(st, txn, &blobs, json_text(json_get(&d, &d.n[0], "sha256")),
					      nblobs++ == 0);
			json_doc_free(&d);
		}
		case_entries_free(&e, 1);
		if (rc)
			break;
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND || rc == 0)
		rc = 0;
	else
		goto out;
	store_buf_str(b, "],\"related\":[");
	if ((rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASE_LINKS), &cur)) != 0)
		goto out;
	k = (MDB_val){ 8, sk };
	first = 1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == 16 && !memcmp(k.mv_data, sk, 8);
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		store_buf_printf(b, "%s%" PRIu64, first ? "" : ",",
				 store_get_u64((unsigned char *)k.mv_data + 8));
		first = 0;
	}
	mdb_cursor_close(cur);
	rc = rc == MDB_NOTFOUND ? 0 : rc;
	store_buf_str(b, "],\"attachments\":{");
	store_buf_add(b, blobs.p, blobs.len);
	store_buf_str(b, "}}");
	if (blobs.oom || b->oom)
		rc = ENOMEM;
out:
	store_buf_free(&blobs);
	case_rec_free(&c);
	return rc;
}

int case_export(struct store *st, int64_t since, int64_t until,
		int (*cb)(const char *line, size_t len, void *ud), void *ud, uint64_t *count,
		char *err, size_t errlen)
{
	unsigned char key[4];
	size_t klen = case_index_prefix(key, CASE_IX_ALL, CASE_SORT_CREATED, NULL, 0);
	unsigned char pos[16];
	store_put_u64(pos, (uint64_t)(since > 0 ? since : 0));
	store_put_u64(pos + 8, 0);
	*count = 0;
	for (;;) {
		MDB_txn *txn;
		if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
			return -1;
		MDB_cursor *cur = NULL;
		int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASE_IDX), &cur);
		size_t n = 0;
		struct store_buf lines = { 0 };
		size_t ends[CHUNK];
		int end = 0;
		MDB_val k = { klen, key }, d = { 16, pos };
		if (rc == 0)
			rc = mdb_cursor_get(cur, &k, &d, MDB_GET_BOTH_RANGE);
		while (rc == 0 && n < CHUNK) {
			if (until && (int64_t)store_get_u64(d.mv_data) >= until) {
				end = 1;
				break;
			}
			uint64_t seq = store_get_u64((unsigned char *)d.mv_data + 8);
			size_t before = lines.len;
			if ((rc = one_case(st, txn, seq, &lines)) != 0)
				break;
			if (lines.len > before)
				ends[n++] = lines.len;
			/* resume strictly after this entry */
			memcpy(pos, d.mv_data, 16);
			store_put_u64(pos + 8, seq + 1);
			rc = mdb_cursor_get(cur, &k, &d, MDB_NEXT_DUP);
		}
		if (rc == MDB_NOTFOUND) {
			end = 1;
			rc = 0;
		}
		if (cur)
			mdb_cursor_close(cur);
		store_mdb_read_end(st, txn);
		if (rc || lines.oom) {
			store_error(st, rc ? rc : ENOMEM, "exporting cases", err, errlen);
			store_buf_free(&lines);
			return -1;
		}
		size_t off = 0;
		for (size_t i = 0; i < n; i++) {
			int stop = cb(lines.p + off, ends[i] - off, ud);
			off = ends[i];
			(*count)++;
			if (stop) {
				store_buf_free(&lines);
				return 0;
			}
		}
		store_buf_free(&lines);
		if (end)
			return 0;
	}
}

/* ---- import ---- */

struct import_ctx {
	struct case_rec rec;
	struct json_doc *d;
	const struct json_node *timeline, *related, *attachments;
	int present;
};

static int64_t num_i64(const struct json_doc *d, const struct json_node *o, const char *k)
{
	double v = 0;
	json_number(json_get(d, o, k), &v);
	return (int64_t)v;
}

static const char *str_or_null(const struct json_doc *d, const struct json_node *o, const char *k)
{
	const struct json_node *v = json_get(d, o, k);
	return v && v->type == JSON_STRING && v->len ? v->str : NULL;
}

/* A JSON value's own text (objects kept as written), or NULL for null. */
static char *raw_or_null(const struct json_node *v)
{
	if (!v || v->type == JSON_NULL)
		return NULL;
	char *s = malloc(v->rawlen + 1);
	if (s) {
		memcpy(s, v->raw, v->rawlen);
		s[v->rawlen] = 0;
	}
	return s;
}

static int import_blob(struct store *st, MDB_txn *txn, struct import_ctx *x, const char *data,
		       int64_t created)
{
	struct json_doc d = { 0 };
	char jerr[64];
	int rc = 0;
	if (json_parse(&d, data, strlen(data), 4, jerr, sizeof jerr) != 0)
		return 0;
	const char *hex = json_text(json_get(&d, &d.n[0], "sha256"));
	unsigned char sha[32];
	const struct json_node *a = hex ? json_get(x->d, x->attachments, hex) : NULL;
	if (a && a->type == JSON_STRING && hex_decode_n(hex, strlen(hex), sha, 32) == 0) {
		unsigned char *raw = malloc(BASE64_DECODED_MAX(a->len) + 1);
		size_t n, bad;
		if (!raw)
			rc = ENOMEM;
		else if (base64_decode(a->str, a->len, raw, &n, 0, &bad) == 0)
			rc = blob_put_txn(st, store_txn_of(txn), sha, raw, n, created);
		free(raw);
	}
	json_doc_free(&d);
	return rc;
}

static int apply_import(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct import_ctx *x = arg;
	struct case_rec *c = &x->rec;
	x->present = 0;
	unsigned char u[16], sk[8];
	uuid_parse(c->id, u);
	store_put_u64(sk, c->seq);
	MDB_val uk = { 16, u }, v, kk = { 8, sk };
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_CASE_UUID), &uk, &v);
	if (rc == 0) {
		x->present = 1;
		return 0;
	}
	if (rc != MDB_NOTFOUND)
		return rc;
	if ((rc = mdb_get(txn, store_dbi(st, STORE_DB_CASES), &kk, &v)) == 0) {
		snprintf(err, errlen, "case #%" PRIu64 " (%s): this store already has a case #%" PRIu64
			 " with another id: import into a new data directory", c->seq, c->id, c->seq);
		return STORE_REFUSED;
	}
	if (rc != MDB_NOTFOUND)
		return rc;
	int holds_key = c->dedupe_key && c->status != CASE_CLOSED;
	if (holds_key) {
		MDB_val dk = { strlen(c->dedupe_key), c->dedupe_key };
		if ((rc = mdb_get(txn, store_dbi(st, STORE_DB_CASE_DEDUPE), &dk, &v)) == 0) {
			snprintf(err, errlen, "case #%" PRIu64 ": its dedupe key is held by open case #%"
				 PRIu64 " here", c->seq, v.mv_size == 8 ? store_get_u64(v.mv_data) : 0);
			return STORE_REFUSED;
		}
		if (rc != MDB_NOTFOUND)
			return rc;
	}
	/* check done; now write */
	struct store_buf b = { 0 };
	if (case_encode(c, &b)) {
		store_buf_free(&b);
		return ENOMEM;
	}
	MDB_val cv = { b.len, b.p };
	rc = mdb_put(txn, store_dbi(st, STORE_DB_CASES), &kk, &cv, 0);
	store_buf_free(&b);
	MDB_val sv = { 8, sk };
	if (rc == 0)
		rc = mdb_put(txn, store_dbi(st, STORE_DB_CASE_UUID), &uk, &sv, 0);
	if (rc == 0 && holds_key) {
		MDB_val dk = { strlen(c->dedupe_key), c->dedupe_key };
		rc = mdb_put(txn, store_dbi(st, STORE_DB_CASE_DEDUPE), &dk, &sv, 0);
	}
	struct case_keys *ks = rc ? NULL : malloc(sizeof *ks);
	if (rc == 0 && !ks)
		rc = ENOMEM;
	if (ks) {
		case_index_keys(c, ks);
		for (size_t i = 0; i < ks->n && rc == 0; i++)
			rc = case_index_put(st, txn, ks->k[i], ks->len[i]);
		free(ks);
	}
	/* the number counter stays above every number in the store */
	MDB_val mk = { 8, "case_seq" };
	if (rc == 0 && (rc = mdb_get(txn, store_dbi(st, STORE_DB_META), &mk, &v)) == MDB_NOTFOUND)
		rc = 0, v.mv_size = 0;
	if (rc == 0 && (v.mv_size != 8 || store_get_u64(v.mv_data) < c->seq))
		rc = mdb_put(txn, store_dbi(st, STORE_DB_META), &mk, &sv, 0);
	for (int i = 0; rc == 0 && x->timeline && i < x->timeline->count; i++) {
		const struct json_node *e = json_at(x->d, x->timeline, i);
		char *data = raw_or_null(json_get(x->d, e, "data"));
		struct store_buf eb = { 0 };
		case_entry_encode(case_entry_kind_parse(str_or_null(x->d, e, "kind")),
				  num_i64(x->d, e, "time_ms"), str_or_null(x->d, e, "actor"),
				  str_or_null(x->d, e, "text"), data, &eb);
		unsigned char tk[12];
		memcpy(tk, sk, 8);
		store_put_u32(tk + 8, (uint32_t)num_i64(x->d, e, "no"));
		MDB_val tkv = { 12, tk }, tv = { eb.len, eb.p };
		rc = eb.oom ? ENOMEM : mdb_put(txn, store_dbi(st, STORE_DB_TIMELINE), &tkv, &tv, 0);
		store_buf_free(&eb);
		/* an attachment entry: its blob, one reference per entry as case_attach does */
		const char *kind = str_or_null(x->d, e, "kind");
		if (rc == 0 && data && kind && !strcmp(kind, "attachment") && x->attachments)
			rc = import_blob(st, txn, x, data, c->created);
		free(data);
	}
	/* related links both ways, with the cases already here */
	for (int i = 0; rc == 0 && x->related && i < x->related->count; i++) {
		double o = 0;
		json_number(json_at(x->d, x->related, i), &o);
		unsigned char ok[8], l1[16], l2[16];
		store_put_u64(ok, (uint64_t)o);
		MDB_val ov = { 8, ok };
		if (mdb_get(txn, store_dbi(st, STORE_DB_CASES), &ov, &v) != 0)
			continue;
		memcpy(l1, sk, 8), memcpy(l1 + 8, ok, 8);
		memcpy(l2, ok, 8), memcpy(l2 + 8, sk, 8);
		MDB_val k1 = { 16, l1 }, k2 = { 16, l2 }, rel = { 7, "related" };
		rc = mdb_put(txn, store_dbi(st, STORE_DB_CASE_LINKS), &k1, &rel, 0);
		if (rc == 0)
			rc = mdb_put(txn, store_dbi(st, STORE_DB_CASE_LINKS), &k2, &rel, 0);
	}
	return rc;
}

int case_import(struct store *st, const char *line, size_t len, char *err, size_t errlen)
{
	struct json_doc d = { 0 };
	char jerr[256];
	if (json_parse(&d, line, len, 0, jerr, sizeof jerr) != 0) {
		snprintf(err, errlen, "not a JSON line: %s", jerr);
		return -1;
	}
	const struct json_node *root = &d.n[0], *c;
	const char *fmt = root->type == JSON_OBJECT ? str_or_null(&d, root, "format") : NULL;
	if (!fmt || strcmp(fmt, CASE_EXPORT_FORMAT) != 0 || !(c = json_get(&d, root, "case")) ||
	    c->type != JSON_OBJECT) {
		snprintf(err, errlen, "not a case export line (format \"%s\" from soarctl case "
			 "export)", CASE_EXPORT_FORMAT);
		json_doc_free(&d);
		return -1;
	}
	struct import_ctx x;
	memset(&x, 0, sizeof x);
	x.d = &d;
	struct case_rec *r = &x.rec;
	r->seq = (uint64_t)num_i64(&d, c, "number");
	const char *id = str_or_null(&d, c, "id");
	r->title = (char *)str_or_null(&d, c, "title");
	r->type = (char *)str_or_null(&d, c, "type");
	r->owner = (char *)str_or_null(&d, c, "owner");
	r->role = (char *)str_or_null(&d, c, "role");
	r->close_reason = (char *)str_or_null(&d, c, "close_reason");
	r->dedupe_key = (char *)str_or_null(&d, c, "dedupe_key");
	r->severity = case_severity_parse(str_or_null(&d, c, "severity") ? str_or_null(&d, c, "severity") : "");
	r->status = case_status_parse(str_or_null(&d, c, "status") ? str_or_null(&d, c, "status") : "");
	r->created = num_i64(&d, c, "created_ms");
	r->updated = num_i64(&d, c, "updated_ms");
	r->closed = num_i64(&d, c, "closed_ms");
	r->parent = (uint64_t)num_i64(&d, c, "parent");
	r->sla_due = num_i64(&d, c, "sla_due_ms");
	const struct json_node *pp = json_get(&d, c, "sla_pause_pending");
	r->sla_pause_pending = pp && pp->type == JSON_TRUE;
	r->sla_paused_at = num_i64(&d, c, "sla_paused_at_ms");
	r->sla_paused_ms = num_i64(&d, c, "sla_paused_ms");
	const struct json_node *labels = json_get(&d, c, "labels");
	for (int i = 0; labels && labels->type == JSON_ARRAY && i < labels->count &&
			i < CASE_MAX_LABELS; i++)
		r->labels[r->nlabels++] = (char *)json_at(&d, labels, i)->str;
	r->custom_json = raw_or_null(json_get(&d, c, "custom"));
	r->source_json = raw_or_null(json_get(&d, c, "source"));
	x.timeline = json_get(&d, root, "timeline");
	x.related = json_get(&d, root, "related");
	x.attachments = json_get(&d, root, "attachments");
	if (x.timeline && x.timeline->type != JSON_ARRAY)
		x.timeline = NULL;
	if (x.related && x.related->type != JSON_ARRAY)
		x.related = NULL;
	if (x.attachments && x.attachments->type != JSON_OBJECT)
		x.attachments = NULL;
	r->entries = x.timeline ? (uint32_t)x.timeline->count : 0;
	int rc = -1;
	if (!r->seq || !id || !uuid_valid(id, strlen(id)) || !r->title || !r->severity || !r->status ||
	    !r->created) {
		snprintf(err, errlen, "a case needs number, id, title, severity, status and created_ms");
		goto out;
	}
	snprintf(r->id, sizeof r->id, "%s", id);
	for (int i = 0; x.timeline && i < x.timeline->count; i++) {
		const struct json_node *e = json_at(&d, x.timeline, i);
		if (!e || e->type != JSON_OBJECT || !case_entry_kind_parse(str_or_null(&d, e, "kind") ?
					str_or_null(&d, e, "kind") : "") || num_i64(&d, e, "no") < 1) {
			snprintf(err, errlen, "case #%" PRIu64 ": timeline entry %d has no kind or number",
				 r->seq, i + 1);
			goto out;
		}
	}
	char werr[512];
	int wrc = store_write(st, apply_import, &x, werr, sizeof werr);
	if (wrc != 0) {
		snprintf(err, errlen, "%s", werr);
		goto out;
	}
	rc = x.present ? CASE_IMPORT_PRESENT : CASE_IMPORT_ADDED;
out:
	free(r->custom_json);
	free(r->source_json);
	json_doc_free(&d);
	return rc;
}
