/* runstore.c - see runstore.h. Records are encoded from field tables (record.h), so each
 * record kind is described once. */
#include "runstore.h"
#include "store_db_int.h"
#include "audit.h"
#include "record.h"
#include "run_done_int.h"
#include "store_buf.h"
#include "uuid.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>

static const struct record_field run_fields[] = {
	RECORD_FIELD(1, REC_STR, run_rec, playbook), RECORD_FIELD(2, REC_STR, run_rec, path),
	RECORD_FIELD(3, REC_STR, run_rec, version), RECORD_FIELD(4, REC_STR, run_rec, hash),
	RECORD_FIELD(5, REC_STR, run_rec, inputs_json), RECORD_FIELD(6, REC_STR, run_rec, case_ref),
	RECORD_FIELD(7, REC_STR, run_rec, parent), RECORD_FIELD(8, REC_STR, run_rec, result_json),
	RECORD_FIELD(9, REC_STR, run_rec, error_json), RECORD_FIELD(10, REC_STR, run_rec, wait_kind),
	RECORD_FIELD(11, REC_STR, run_rec, wait_prompt), RECORD_FIELD(12, REC_I64, run_rec, wait_until),
	RECORD_FIELD(13, REC_INT, run_rec, status), RECORD_FIELD(14, REC_I64, run_rec, created),
	RECORD_FIELD(15, REC_I64, run_rec, updated), RECORD_FIELD(16, REC_I64, run_rec, finished),
	RECORD_FIELD(17, REC_U32, run_rec, steps), RECORD_FIELD(18, REC_I32, run_rec, owner_pid),
	RECORD_FIELD(19, REC_INT, run_rec, cancel_requested), RECORD_FIELD(20, REC_STR, run_rec, actor),
	RECORD_FIELD(21, REC_STR, run_rec, summary),
	RECORD_FIELD(22, REC_INT, run_rec, saved_declared), RECORD_FIELD(23, REC_I64, run_rec, saved_milli),
	{ 0, REC_STR, 0, 0 },
};

static const struct record_field journal_fields[] = {
	RECORD_FIELD(1, REC_STR, journal_entry, name), RECORD_FIELD(2, REC_STR, journal_entry, args),
	RECORD_FIELD(3, REC_STR, journal_entry, result_json), RECORD_FIELD(4, REC_STR, journal_entry, task),
	RECORD_FIELD(5, REC_STR, journal_entry, error), RECORD_FIELD(6, REC_I64, journal_entry, started),
	RECORD_FIELD(7, REC_I64, journal_entry, duration_us),
	{ 0, REC_STR, 0, 0 },
};

static const struct record_field prompt_fields[] = {
	RECORD_FIELD(13, REC_CHARS, prompt_rec, run_id),
	RECORD_FIELD(1, REC_U32, prompt_rec, step), RECORD_FIELD(2, REC_STR, prompt_rec, question),
	RECORD_FIELD(3, REC_STR, prompt_rec, spec_json), RECORD_FIELD(4, REC_STR, prompt_rec, to),
	RECORD_FIELD(5, REC_STR, prompt_rec, task), RECORD_FIELD(6, REC_STR, prompt_rec, default_json),
	RECORD_FIELD(7, REC_STR, prompt_rec, answer_json), RECORD_FIELD(8, REC_STR, prompt_rec, answered_by),
	RECORD_FIELD(9, REC_I64, prompt_rec, created), RECORD_FIELD(10, REC_I64, prompt_rec, timeout_at),
	RECORD_FIELD(11, REC_I64, prompt_rec, answered_at), RECORD_FIELD(12, REC_INT, prompt_rec, open),
	RECORD_FIELD(14, REC_STR, prompt_rec, notify_json), RECORD_FIELD(15, REC_STR, prompt_rec, state_json),
	RECORD_FIELD(16, REC_I64, prompt_rec, due_at), RECORD_FIELD(17, REC_STR, prompt_rec, escalated_to),
	{ 0, REC_STR, 0, 0 },
};

/* The status (tag 13) and cancel flag (tag 19) of an encoded run record. */
static int peek_status(const void *data, size_t len, int *status, int *cancel)
{
	const unsigned char *p = data, *end = p + len;
	while (p < end) {
		uint64_t tag, n, v;
		/* Every step reads this: one-byte tags and lengths without a call. */
		if (end - p >= 2 && p[0] < 0x80 && p[1] < 0x80) {
			tag = p[0];
			n = p[1];
			p += 2;
		} else if (store_varint_get(&p, end, &tag) || store_varint_get(&p, end, &n)) {
			return -1;
		}
		if (n > (uint64_t)(end - p))
			return -1;
		if (tag == 13 || tag == 19) {
			const unsigned char *q = p;
			if (store_varint_get(&q, p + n, &v))
				return -1;
			*(tag == 13 ? status : cancel) = (int)v;
		}
		p += n;
	}
	return 0;
}

int run_record_status(const void *data, size_t len)
{
	int status = -1, cancel = 0;
	return peek_status(data, len, &status, &cancel) == 0 ? status : -1;
}

void run_rec_free(struct run_rec *r) { record_free(run_fields, r); }
void prompt_rec_free(struct prompt_rec *p) { record_free(prompt_fields, p); }

void journal_entries_free(struct journal_entry *e, size_t n)
{
	for (size_t i = 0; e && i < n; i++)
		record_free(journal_fields, &e[i]);
	free(e);
}

static const char *const status_names[] = { "?", "running", "waiting", "succeeded", "failed", "cancelled" };

const char *run_status_name(int status)
{
	return status >= RUN_RUNNING && status <= RUN_CANCELLED ? status_names[status] : "?";
}

int run_status_parse(const char *s)
{
	for (int i = RUN_RUNNING; i <= RUN_CANCELLED; i++)
		if (strcmp(s, status_names[i]) == 0)
			return i;
	return 0;
}

/* ---- reads ---- */

static int id_key(const char *id, unsigned char key[16], char *err, size_t errlen)
{
	if (uuid_parse(id, key) != 0) {
		snprintf(err, errlen, "'%s' is not an id (expected a UUID like 01a2...-...)", id);
		return -1;
	}
	return 0;
}

static int get_rec(struct store *st, enum store_db db, const char *id, const struct record_field *fields,
		   void *rec, const char *what, char *err, size_t errlen)
{
	unsigned char key[16];
	if (id_key(id, key, err, errlen))
		return -1;
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen))
		return -1;
	MDB_val k = { 16, key }, v;
	int rc = mdb_get(txn, store_dbi(st, db), &k, &v);
	if (rc == MDB_NOTFOUND) {
		store_mdb_read_end(st, txn);
		snprintf(err, errlen, "no %s %s", what, id);
		return 1;
	}
	if (rc) {
		store_error(st, rc, what, err, errlen);
		store_mdb_read_end(st, txn);
		return -1;
	}
	rc = record_decode(v.mv_data, v.mv_size, fields, rec);
	store_mdb_read_end(st, txn);
	if (rc) {
		/* callers free only what succeeded: drop the strings decoded before the damage */
		record_free(fields, rec);
		snprintf(err, errlen, "%s %s: record is damaged", what, id);
		return -1;
	}
	return 0;
}

int run_get(struct store *st, const char *id, struct run_rec *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", id);
	return get_rec(st, STORE_DB_RUNS, id, run_fields, out, "run", err, errlen);
}

int prompt_get(struct store *st, const char *id, struct prompt_rec *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	snprintf(out->id, sizeof out->id, "%s", id);
	int rc = get_rec(st, STORE_DB_PROMPTS, id, prompt_fields, out, "prompt", err, errlen);
	return rc;
}

int journal_load(struct store *st, const char *run_id, struct journal_entry **out, size_t *n,
		 char *err, size_t errlen)
{
	unsigned char key[20];
	*out = NULL;
	*n = 0;
	if (id_key(run_id, key, err, errlen))
		return -1;
	MDB_txn *txn;
	MDB_cursor *cur;
	if (store_mdb_read_begin(st, &txn, err, errlen))
		return -1;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_JOURNAL), &cur);
	size_t cap = 0;
	if (rc == 0) {
		store_put_u32(key + 16, 0);
		MDB_val k = { 20, key }, v;
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			if (k.mv_size != 20 || memcmp(k.mv_data, key, 16) != 0)
				break;
			if (*n == cap) {
				cap = cap ? cap * 2 : 64;
				struct journal_entry *grown = realloc(*out, cap * sizeof **out);
				if (!grown) {
					rc = ENOMEM;
					break;
				}
				*out = grown;
			}
			struct journal_entry *e = &(*out)[*n];
			memset(e, 0, sizeof *e);
			e->no = store_get_u32((const unsigned char *)k.mv_data + 16);
			(*n)++;
			if (record_decode(v.mv_data, v.mv_size, journal_fields, e)) {
				rc = MDB_CORRUPTED;
				break;
			}
		}
		mdb_cursor_close(cur);
	}
	store_mdb_read_end(st, txn);
	if (rc && rc != MDB_NOTFOUND) {
		store_error(st, rc, "reading a journal", err, errlen);
		journal_entries_free(*out, *n);
		*out = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}

/* Lists ids from an index whose keys are (byte, uuid), newest (highest uuid v7) first. */
static int list_index(struct store *st, enum store_db idx, enum store_db db, int first_byte,
		      const struct record_field *fields, size_t recsize, size_t idoff, size_t max,
		      void **out, size_t *n, char *err, size_t errlen)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	*out = NULL;
	*n = 0;
	if (store_mdb_read_begin(st, &txn, err, errlen))
		return -1;
	int rc = mdb_cursor_open(txn, store_dbi(st, idx), &cur);
	size_t cap = 0;
	char *arr = NULL;
	int lo = first_byte ? first_byte : 0, hi = first_byte ? first_byte : 255;
	for (int b = hi; rc == 0 && b >= lo; b--) {
		/* Start past the last key with this first byte and walk back. */
		unsigned char seek[17];
		seek[0] = (unsigned char)b;
		memset(seek + 1, 0xff, 16);
		MDB_val k = { 17, seek }, v;
		int r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		r = r == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV) : mdb_cursor_get(cur, &k, &v, MDB_LAST);
		for (; r == 0; r = mdb_cursor_get(cur, &k, &v, MDB_PREV)) {
			const unsigned char *kp = k.mv_data;
			if (k.mv_size != 17 || kp[0] != b)
				break;
			if (max && *n >= max)
				break;
			MDB_val rk = { 16, (void *)(kp + 1) }, rv;
			if (mdb_get(txn, store_dbi(st, db), &rk, &rv) != 0)
				continue;
			if (*n == cap) {
				cap = cap ? cap * 2 : 32;
				char *grown = realloc(arr, cap * recsize);
				if (!grown) {
					rc = ENOMEM;
					break;
				}
				arr = grown;
			}
			char *rec = arr + *n * recsize;
			memset(rec, 0, recsize);
			uuid_format(kp + 1, rec + idoff);
			(*n)++;
			if (record_decode(rv.mv_data, rv.mv_size, fields, rec)) {
				rc = MDB_CORRUPTED;
				break;
			}
		}
	}
	mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
	*out = arr;
	if (rc) {
		/* callers free only a list they got: drop the records decoded so far */
		for (size_t i = 0; i < *n; i++)
			record_free(fields, arr + i * recsize);
		free(arr);
		*out = NULL;
		*n = 0;
		store_error(st, rc, "listing", err, errlen);
		return -1;
	}
	return 0;
}

static int cmp_run_newest(const void *a, const void *b)
{
	return strcmp(((const struct run_rec *)b)->id, ((const struct run_rec *)a)->id);
}

int run_list(struct store *st, int status, size_t max, struct run_rec **out, size_t *n,
	     char *err, size_t errlen)
{
	int rc = list_index(st, STORE_DB_RUN_IDX, STORE_DB_RUNS, status, run_fields, sizeof **out,
			    offsetof(struct run_rec, id), status ? max : 0, (void **)out, n, err, errlen);
	if (rc == 0 && !status && *n > 1) {
		qsort(*out, *n, sizeof **out, cmp_run_newest);
		while (max && *n > max)
			run_rec_free(&(*out)[--(*n)]);
	}
	return rc;
}

int prompt_list(struct store *st, int open_only, size_t max, struct prompt_rec **out, size_t *n,
		char *err, size_t errlen)
{
	return list_index(st, STORE_DB_PROMPT_IDX, STORE_DB_PROMPTS, open_only ? 1 : 0, prompt_fields,
			  sizeof **out, offsetof(struct prompt_rec, id), max, (void **)out, n, err, errlen);
}

/* ---- writes ---- */

struct save_ctx {
	const struct run_rec *run;
	const struct journal_entry *entry;
	const struct prompt_rec *prompt;
	int replace_entry;
	const unsigned char *key;  /* the run id's 16 bytes when already parsed, else NULL */
	struct journal_write *w;   /* a step's write, in this transaction, or NULL */
	MDB_cursor *runs;          /* a cursor on the runs database to read with, or NULL */
	MDB_cursor *journal;       /* and one on the journal to put with, or NULL */
};

static int put_indexed_v(struct store *st, MDB_txn *txn, enum store_db db, enum store_db idx,
			 const unsigned char key[16], int old_byte, int new_byte,
			 const struct record_field *fields, const void *rec, const MDB_val *ival);

static int put_indexed(struct store *st, MDB_txn *txn, enum store_db db, enum store_db idx,
		       const unsigned char key[16], int old_byte, int new_byte,
		       const struct record_field *fields, const void *rec)
{
	return put_indexed_v(st, txn, db, idx, key, old_byte, new_byte, fields, rec, NULL);
}

/* The status index entry of a waiting run carries what a daemon needs to wake
 * it: until (ms, 8 bytes BE) and the prompt id (16 bytes, or none), so that
 * knowing every waiting run takes one scan of a small index. */
static int put_run(struct store *st, MDB_txn *txn, const unsigned char key[16], int old_status,
		   const struct run_rec *r)
{
	unsigned char w[24];
	MDB_val iv = { 0, w };
	if (r->status == RUN_WAITING) {
		store_put_u64(w, (uint64_t)r->wait_until);
		iv.mv_size = 8;
		if (r->wait_prompt && uuid_parse(r->wait_prompt, w + 8) == 0)
			iv.mv_size = 24;
	}
	int rc = put_indexed_v(st, txn, STORE_DB_RUNS, STORE_DB_RUN_IDX, key, old_status, r->status,
			       run_fields, r, r->status == RUN_WAITING ? &iv : NULL);
	/* Finished now: retention may compact its journal later (run_done.h). */
	if (rc == 0 && run_done_final(r->status) && !run_done_final(old_status) && !r->summary)
		rc = run_done_add(st, txn, key, r->finished ? r->finished : r->updated);
	return rc;
}

static int put_indexed_v(struct store *st, MDB_txn *txn, enum store_db db, enum store_db idx,
			 const unsigned char key[16], int old_byte, int new_byte,
			 const struct record_field *fields, const void *rec, const MDB_val *ival)
{
	struct store_buf b = { 0 };
	record_encode(&b, fields, rec);
	if (b.oom) {
		store_buf_free(&b);
		return ENOMEM;
	}
	MDB_val k = { 16, (void *)key }, v = { b.len, b.p };
	int rc = mdb_put(txn, store_dbi(st, db), &k, &v, 0);
	store_buf_free(&b);
	unsigned char ik[17];
	memcpy(ik + 1, key, 16);
	MDB_val ikv = { 17, ik }, empty = { 0, "" };
	if (rc == 0 && old_byte >= 0 && old_byte != new_byte) {
		ik[0] = (unsigned char)old_byte;
		rc = mdb_del(txn, store_dbi(st, idx), &ikv, NULL);
		if (rc == MDB_NOTFOUND)
			rc = 0;
	}
	if (rc == 0 && (old_byte != new_byte || ival)) {
		ik[0] = (unsigned char)new_byte;
		MDB_val v2 = ival ? *ival : empty;
		rc = mdb_put(txn, store_dbi(st, idx), &ikv, &v2, 0);
	}
	return rc;
}

typedef int (*waiting_fn)(const unsigned char id[16], int64_t until, const unsigned char *prompt,
			  void *ud);

/* The waiting half of the status index, in txn: each entry's value holds until
 * (8 bytes) and the prompt id (16 more, when it waits on one). */
static int scan_waiting_txn(struct store *st, MDB_txn *txn, waiting_fn cb, void *ud)
{
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_RUN_IDX), &cur);
	if (rc)
		return rc;
	unsigned char seek[17] = { RUN_WAITING };
	MDB_val k = { 1, seek }, v;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const unsigned char *kp = k.mv_data, *vp = v.mv_data;
		if (k.mv_size != 17 || kp[0] != RUN_WAITING)
			break;
		int64_t until = v.mv_size >= 8 ? (int64_t)store_get_u64(vp) : 0;
		if (cb(kp + 1, until, v.mv_size >= 24 ? vp + 8 : NULL, ud) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int run_scan_waiting(struct store *st, waiting_fn cb, void *ud, char *err, size_t errlen)
{
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen))
		return -1;
	int rc = scan_waiting_txn(st, txn, cb, ud);
	store_mdb_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "listing waiting runs", err, errlen);
		return -1;
	}
	return 0;
}

static int apply_save(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct save_ctx *c = arg;
	unsigned char key[20];
	if (c->key)
		memcpy(key, c->key, 16);
	else if (uuid_parse(c->run->id, key) != 0) {
		snprintf(err, errlen, "bad run id %s", c->run->id);
		return STORE_REFUSED;
	}
	/* Check before writing: the stored status and cancellation. */
	MDB_val k = { 16, key }, v;
	int old_status = -1;
	/* A batch reads its runs and puts their entries in key order through one
	 * cursor each: LMDB looks on the cursor's page before descending from the
	 * root, and the entries of runs started together are neighbours. */
	int rc = c->runs ? mdb_cursor_get(c->runs, &k, &v, MDB_SET_KEY)
			 : mdb_get(txn, store_dbi(st, STORE_DB_RUNS), &k, &v);
	if (rc == 0) {
		/* Every step passes here: read the two fields without decoding it all. */
		int status = 0, cancel = 0;
		if (peek_status(v.mv_data, v.mv_size, &status, &cancel) == 0) {
			old_status = status;
			if ((status == RUN_CANCELLED || cancel) && c->run->status != RUN_CANCELLED) {
				snprintf(err, errlen, "run %s was cancelled", c->run->id);
				return STORE_REFUSED;
			}
		}
	} else if (rc != MDB_NOTFOUND) {
		return rc;
	}
	if (c->entry) {
		store_put_u32(key + 16, c->entry->no);
		MDB_val jk = { 20, key };
		/* A step written twice (two processes executing one run) is refused.
		 * Without a write of its own the entry's put is the first write: its
		 * MDB_NOOVERWRITE is the check (one descent instead of two a step). */
		unsigned jflags = c->replace_entry ? 0 : MDB_NOOVERWRITE;
		if (!c->replace_entry && c->w &&
		    mdb_get(txn, store_dbi(st, STORE_DB_JOURNAL), &jk, &v) == 0) {
			snprintf(err, errlen, "run %s already has step %u (is it running twice?)",
				 c->run->id, c->entry->no);
			return STORE_REFUSED;
		}
		const struct journal_entry *je = c->entry;
		struct journal_entry with_result;
		if (c->w) {
			/* The step's write, then its values into the entry: one transaction. */
			char werr[256] = "";
			rc = c->w->apply(st, store_txn_of(txn), c->w->ctx, werr, sizeof werr);
			if (rc != 0 && rc != STORE_REFUSED)
				return rc;
			if (rc == STORE_REFUSED && !werr[0])
				snprintf(werr, sizeof werr, "write refused");
			c->w->json.len = 0;
			c->w->json.oom = 0;
			if (c->w->result(c->w->ctx, rc, werr, &c->w->json) != 0 ||
			    !store_buf_cstr(&c->w->json))
				return ENOMEM;
			with_result = *je;
			with_result.result_json = c->w->json.p;
			je = &with_result;
		}
		unsigned char small[512], *heap;
		MDB_val jv;
		jv.mv_data = record_encode_in(small, sizeof small, &heap, &jv.mv_size, journal_fields, je);
		if (!jv.mv_data)
			rc = ENOMEM;
		else if (c->journal)
			rc = mdb_cursor_put(c->journal, &jk, &jv, jflags);
		else
			rc = mdb_put(txn, store_dbi(st, STORE_DB_JOURNAL), &jk, &jv, jflags);
		free(heap);
		if (rc == MDB_KEYEXIST) {
			snprintf(err, errlen, "run %s already has step %u (is it running twice?)",
				 c->run->id, c->entry->no);
			return STORE_REFUSED;
		}
		if (rc)
			return rc;
	}
	if (c->prompt) {
		unsigned char pk[16];
		if (uuid_parse(c->prompt->id, pk) != 0) {
			snprintf(err, errlen, "bad prompt id");
			return STORE_REFUSED;
		}
		rc = put_indexed(st, txn, STORE_DB_PROMPTS, STORE_DB_PROMPT_IDX, pk, -1,
				 c->prompt->open ? 1 : 0, prompt_fields, c->prompt);
		if (rc)
			return rc;
	}
	if (!c->run->status)
		return 0;
	rc = put_run(st, txn, key, old_status, c->run);
	/* Run start and end go to the audit log with the record, in one transaction. */
	int st_new = c->run->status;
	const char *action = NULL;
	if (old_status < 0)
		action = "run.start";
	else if (old_status != st_new &&
		 (st_new == RUN_SUCCEEDED || st_new == RUN_FAILED || st_new == RUN_CANCELLED))
		action = "run.end";
	if (rc == 0 && action) {
		char object[64], details[300];
		snprintf(object, sizeof object, "run %s", c->run->id);
		struct store_buf b = { 0 };
		store_buf_str(&b, "{\"playbook\":");
		store_buf_json(&b, c->run->playbook);
		store_buf_printf(&b, ",\"status\":\"%s\"}", run_status_name(st_new));
		snprintf(details, sizeof details, "%s", store_buf_cstr(&b) ? b.p : "{}");
		store_buf_free(&b);
		rc = audit_append_txn(st, store_txn_of(txn), c->run->actor ? c->run->actor : "soarctl", action, object,
				      details, NULL, err, errlen);
	}
	return rc;
}

int run_save(struct store *st, const struct run_rec *r, const struct journal_entry *entry,
	     const struct prompt_rec *prompt, char *err, size_t errlen)
{
	struct save_ctx c = { r, entry, prompt, 0, NULL, NULL, NULL, NULL };
	return store_write(st, apply_save, &c, err, errlen);
}

int run_save_write(struct store *st, const struct run_rec *r, const struct journal_entry *entry,
		   struct journal_write *w, char *err, size_t errlen)
{
	struct save_ctx c = { r, entry, NULL, 0, NULL, w, NULL, NULL };
	return store_write(st, apply_save, &c, err, errlen);
}

int journal_replace(struct store *st, const char *run_id, const struct journal_entry *e,
		    char *err, size_t errlen)
{
	struct run_rec r;
	memset(&r, 0, sizeof r);
	snprintf(r.id, sizeof r.id, "%s", run_id);
	struct save_ctx c = { &r, e, NULL, 1, NULL, NULL, NULL, NULL };   /* status 0: the run record is untouched */
	return store_write(st, apply_save, &c, err, errlen);
}

struct answer_ctx {
	const char *id, *answer, *by;
	const char *state, *escalated_to;   /* prompt_set_delivery: no answer */
	int64_t due_at;
	int answered_ok;                     /* delivery: also after the answer */
};

static int apply_answer(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct answer_ctx *c = arg;
	unsigned char key[16];
	if (uuid_parse(c->id, key) != 0) {
		snprintf(err, errlen, "'%s' is not a prompt id", c->id);
		return STORE_REFUSED;
	}
	MDB_val k = { 16, key }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_PROMPTS), &k, &v);
	if (rc == MDB_NOTFOUND) {
		snprintf(err, errlen, "no prompt %s", c->id);
		return STORE_REFUSED;
	}
	if (rc)
		return rc;
	struct prompt_rec p;
	memset(&p, 0, sizeof p);
	if (record_decode(v.mv_data, v.mv_size, prompt_fields, &p)) {
		prompt_rec_free(&p);
		return MDB_CORRUPTED;
	}
	if (!c->answer) {   /* delivery state only */
		if (!p.open && !c->answered_ok) {
			prompt_rec_free(&p);
			return STORE_REFUSED;
		}
		free(p.state_json);
		p.state_json = c->state ? strdup(c->state) : NULL;
		p.due_at = p.open ? c->due_at : 0;
		if (c->escalated_to) {
			free(p.escalated_to);
			p.escalated_to = strdup(c->escalated_to);
		}
		rc = put_indexed(st, txn, STORE_DB_PROMPTS, STORE_DB_PROMPT_IDX, key, p.open ? 1 : 0,
				 p.open ? 1 : 0, prompt_fields, &p);
		prompt_rec_free(&p);
		return rc;
	}
	if (!p.open) {
		snprintf(err, errlen, "prompt %s was already answered%s%s", c->id,
			 p.answered_by ? " by " : "", p.answered_by ? p.answered_by : "");
		prompt_rec_free(&p);
		return STORE_REFUSED;
	}
	free(p.answer_json);
	free(p.answered_by);
	p.answer_json = strdup(c->answer);
	p.answered_by = strdup(c->by);
	p.answered_at = store_now_ms();
	p.open = 0;
	p.due_at = 0;
	rc = put_indexed(st, txn, STORE_DB_PROMPTS, STORE_DB_PROMPT_IDX, key, 1, 0, prompt_fields, &p);
	prompt_rec_free(&p);
	return rc;
}

int prompt_answer(struct store *st, const char *id, const char *answer_json, const char *by,
		  char *err, size_t errlen)
{
	struct answer_ctx c = { id, answer_json, by, NULL, NULL, 0, 0 };
	return store_write(st, apply_answer, &c, err, errlen);
}

size_t runstore_txn_id(struct store *st)
{
	MDB_txn *txn;
	char err[128];
	if (store_mdb_read_begin(st, &txn, err, sizeof err) != 0)
		return 0;
	size_t id = mdb_txn_id(txn);
	store_mdb_read_end(st, txn);
	return id;
}

int prompt_put_txn(struct store *st, struct store_txn *stx, const struct prompt_rec *p, char *err,
		   size_t errlen)
{
	MDB_txn *txn = store_mdb(stx);
	unsigned char key[16];
	if (uuid_parse(p->id, key) != 0) {
		snprintf(err, errlen, "bad prompt id");
		return STORE_REFUSED;
	}
	return put_indexed(st, txn, STORE_DB_PROMPTS, STORE_DB_PROMPT_IDX, key, -1, p->open ? 1 : 0,
			   prompt_fields, p);
}

int prompt_set_delivery(struct store *st, const char *id, const char *state_json, int64_t due_at,
			const char *escalated_to, int answered_ok, char *err, size_t errlen)
{
	struct answer_ctx c = { id, NULL, NULL, state_json, escalated_to, due_at, answered_ok };
	return store_write(st, apply_answer, &c, err, errlen);
}

static int apply_cancel(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	const char *id = arg;
	unsigned char key[16];
	if (uuid_parse(id, key) != 0) {
		snprintf(err, errlen, "'%s' is not a run id", id);
		return STORE_REFUSED;
	}
	MDB_val k = { 16, key }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_RUNS), &k, &v);
	if (rc == MDB_NOTFOUND) {
		snprintf(err, errlen, "no run %s", id);
		return STORE_REFUSED;
	}
	if (rc)
		return rc;
	struct run_rec r;
	memset(&r, 0, sizeof r);
	if (record_decode(v.mv_data, v.mv_size, run_fields, &r)) {
		run_rec_free(&r);
		return MDB_CORRUPTED;
	}
	snprintf(r.id, sizeof r.id, "%s", id);
	int old = r.status;
	if (old != RUN_RUNNING && old != RUN_WAITING) {
		snprintf(err, errlen, "run %s has already %s", id, run_status_name(old));
		run_rec_free(&r);
		return STORE_REFUSED;
	}
	r.cancel_requested = 1;
	r.updated = store_now_ms();
	if (old == RUN_WAITING) {
		r.status = RUN_CANCELLED;
		r.finished = r.updated;
	}
	rc = put_run(st, txn, key, old, &r);
	if (rc == 0 && r.status == RUN_CANCELLED) {
		char object[64];
		snprintf(object, sizeof object, "run %s", id);
		rc = audit_append_txn(st, store_txn_of(txn), "soarctl", "run.cancel", object, NULL, NULL, err, errlen);
	}
	run_rec_free(&r);
	return rc;
}

/* ---- claiming a run: one process executes it ---- */

struct claim_ctx {
	struct run_rec *r;
	uint32_t njournal;
	int32_t pid;
	int grew;
};

static int pid_alive(int32_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static int apply_claim(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct claim_ctx *c = arg;
	unsigned char key[20];
	if (uuid_parse(c->r->id, key) != 0) {
		snprintf(err, errlen, "bad run id %s", c->r->id);
		return STORE_REFUSED;
	}
	MDB_val k = { 16, key }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_RUNS), &k, &v);
	if (rc == MDB_NOTFOUND) {
		snprintf(err, errlen, "no run %s", c->r->id);
		return STORE_REFUSED;
	}
	if (rc)
		return rc;
	struct run_rec now;
	memset(&now, 0, sizeof now);
	if (record_decode(v.mv_data, v.mv_size, run_fields, &now)) {
		run_rec_free(&now);
		return MDB_CORRUPTED;
	}
	snprintf(now.id, sizeof now.id, "%s", c->r->id);
	int old = now.status;
	if (old == RUN_RUNNING && now.owner_pid != c->pid && pid_alive(now.owner_pid)) {
		snprintf(err, errlen, "run %s is running in process %d", c->r->id, (int)now.owner_pid);
		rc = STORE_REFUSED;
	} else if (old != RUN_WAITING && old != RUN_RUNNING) {
		snprintf(err, errlen, "run %s has %s; only waiting or interrupted runs resume",
			 c->r->id, run_status_name(old));
		rc = STORE_REFUSED;
	} else if (now.cancel_requested) {
		snprintf(err, errlen, "run %s was cancelled", c->r->id);
		rc = STORE_REFUSED;
	} else {
		/* The caller replays the journal it read. More entries here than it
		 * read: a process that resumed it and parked it again meanwhile, or a
		 * writer killed inside its commit (its transaction is durable, but
		 * readers see it only after the next commit, this one). Either way the
		 * run is ours now and the caller reads the journal again. */
		store_put_u32(key + 16, c->njournal + 1);
		MDB_val jk = { 20, key };
		c->grew = mdb_get(txn, store_dbi(st, STORE_DB_JOURNAL), &jk, &v) == 0;
	}
	if (rc == 0) {
		now.status = RUN_RUNNING;
		now.owner_pid = c->pid;
		now.updated = store_now_ms();
		rc = put_run(st, txn, key, old, &now);
	}
	if (rc == 0) {
		run_rec_free(c->r);
		*c->r = now;
	} else {
		run_rec_free(&now);
	}
	return rc;
}

int run_claim(struct store *st, struct run_rec *r, uint32_t njournal, int *grew, char *err,
	      size_t errlen)
{
	struct claim_ctx c = { r, njournal, (int32_t)getpid(), 0 };
	int rc = store_write(st, apply_claim, &c, err, errlen);
	*grew = rc == 0 && c.grew;
	return rc;
}

/* ---- waking waiting runs ---- */

struct due_scan {
	MDB_txn *txn;
	MDB_dbi prompts_open;
	int64_t now, next;
	int (*cb)(const unsigned char id[16], void *ud);
	void *ud;
	int stopped;
};

static int due_one(const unsigned char id[16], int64_t until, const unsigned char *prompt, void *ud)
{
	struct due_scan *d = ud;
	int due;
	if (prompt) {
		/* A prompt: answered (out of the open half of its index) or timed out. */
		unsigned char pk[17] = { 1 };
		memcpy(pk + 1, prompt, 16);
		MDB_val pkv = { 17, pk }, pv;
		due = (until && until <= d->now) || mdb_get(d->txn, d->prompts_open, &pkv, &pv) == MDB_NOTFOUND;
	} else {
		due = until <= d->now;   /* a sleep; 0: a child run not started yet */
	}
	if (!due) {
		if (until && until < d->next)
			d->next = until;
		return 0;
	}
	d->next = 0;   /* handed over, or skipped as in flight: look again */
	return d->stopped = d->cb(id, d->ud) != 0;
}

int run_scan_due(struct store *st, int64_t now, struct run_due_state *s,
		 int (*cb)(const unsigned char id[16], void *ud), void *ud, char *err, size_t errlen)
{
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen))
		return -1;
	size_t txn_id = mdb_txn_id(txn);
	if (s && s->txn == txn_id && now < s->next) {
		store_mdb_read_end(st, txn);
		return 0;
	}
	struct due_scan d = { txn, store_dbi(st, STORE_DB_PROMPT_IDX), now, INT64_MAX, cb, ud, 0 };
	int rc = scan_waiting_txn(st, txn, due_one, &d);
	store_mdb_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "listing waiting runs", err, errlen);
		return -1;
	}
	if (s) {
		/* Stopped early (the caller's queue was full): look again next time. */
		s->txn = d.stopped ? 0 : txn_id;
		s->next = d.next;
	}
	return 0;
}

int run_cancel(struct store *st, const char *id, char *err, size_t errlen)
{
	return store_write(st, apply_cancel, (void *)id, err, errlen);
}

/* ---- appending to journals without waiting (event-driven runs) ---- */

struct batch_entry {
	unsigned char key[16];          /* the run id, parsed once on the loop's thread */
	struct run_rec run;             /* the caller's record (its strings not copied), or only the id */
	struct journal_entry entry;     /* owned copies */
	int has_entry;                  /* else only the record (a run's end) */
	struct journal_write *w;        /* the step's write, or NULL (not owned) */
	struct save_ctx ctx;
	void *arg;
	int rc;
	char err[200];
};

/* The entries' strings live in chunks freed with the batch: one allocation
 * per 64 KiB instead of five a step. */
struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct journal_batch {
	struct store_ticket ticket;
	struct batch_entry *e;
	size_t n, cap;
	void (*done)(void *arg, int rc, const char *err);
	struct arena_chunk *chunks;
	int oom;
};

static char *arena_dup(struct journal_batch *b, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	struct arena_chunk *c = b->chunks;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 65536 ? n : 65536;
		c = malloc(sizeof *c + cap);
		if (!c) {
			b->oom = 1;
			return NULL;
		}
		c->used = 0;
		c->cap = cap;
		c->next = b->chunks;
		b->chunks = c;
	}
	char *p = c->data + c->used;
	memcpy(p, s, n);
	c->used += n;
	return p;
}

struct journal_batch *journal_batch_new(void)
{
	return calloc(1, sizeof(struct journal_batch));
}

int journal_batch_add(struct journal_batch *b, const struct run_rec *rec, const char *run_id,
		      const unsigned char *key, const struct journal_entry *e,
		      struct journal_write *w, void *arg)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct batch_entry *grown = realloc(b->e, cap * sizeof *grown);
		if (!grown)
			return -1;
		b->e = grown;
		b->cap = cap;
	}
	struct batch_entry *x = &b->e[b->n++];
	memset(&x->run, 0, sizeof x->run);
	x->rc = 0;
	x->err[0] = 0;
	if (rec)                        /* its first or last write: the record too */
		x->run = *rec;          /* not copied: unchanged until done (runstore.h) */
	size_t idlen = strnlen(run_id, sizeof x->run.id - 1);
	memcpy(x->run.id, run_id, idlen);
	x->run.id[idlen] = 0;
	if (key)
		memcpy(x->key, key, 16);
	else if (uuid_parse(run_id, x->key) != 0) {
		b->n--;
		return -1;
	}
	b->oom = 0;
	x->has_entry = e != NULL;
	x->w = w;
	if (e) {
		x->entry = *e;
		x->entry.name = arena_dup(b, e->name);
		x->entry.args = arena_dup(b, e->args);
		x->entry.result_json = arena_dup(b, e->result_json);
		x->entry.task = arena_dup(b, e->task);
		x->entry.error = arena_dup(b, e->error);
	} else {
		memset(&x->entry, 0, sizeof x->entry);
	}
	x->arg = arg;
	if (b->oom) {
		b->n--;
		return -1;
	}
	return 0;
}

size_t journal_batch_size(const struct journal_batch *b) { return b->n; }

/* One transaction for all entries; an entry refused (its run was cancelled)
 * does not sink the others. */
/* Only a journal entry: no record, no write of its own (most steps). */
static int plain_entry(const struct batch_entry *x)
{
	return x->has_entry && !x->w && !x->run.status;
}

/* Entries with other writes first, in the order they came; then the plain
 * entries by run id. The entries of a batch were all in flight at once (a run
 * has one in a batch), so any order is one the runs could have taken; key
 * order makes consecutive reads of the runs database land on pages already
 * found. */
static int batch_order(const void *pa, const void *pb)
{
	const struct batch_entry *a = *(const struct batch_entry *const *)pa;
	const struct batch_entry *b = *(const struct batch_entry *const *)pb;
	int pla = plain_entry(a), plb = plain_entry(b);
	if (pla != plb)
		return pla - plb;
	int c = pla ? memcmp(a->key, b->key, 16) : 0;
	if (c)
		return c;
	return a < b ? -1 : a > b;
}

static int apply_batch(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct journal_batch *b = arg;
	(void)err;
	(void)errlen;
	if (b->n == 0)
		return 0;
	struct batch_entry **order = malloc(b->n * sizeof *order);
	if (!order)
		return ENOMEM;
	MDB_cursor *runs, *journal = NULL;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_RUNS), &runs);
	if (rc == 0 && (rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_JOURNAL), &journal)) != 0)
		mdb_cursor_close(runs);
	if (rc) {
		free(order);
		return rc;
	}
	for (size_t i = 0; i < b->n; i++)
		order[i] = &b->e[i];
	/* Often in order already: the loop goes on with runs in the order their
	 * entries came back, and run ids grow with time (UUIDv7). */
	size_t sorted = 1;
	while (sorted < b->n && batch_order(&order[sorted - 1], &order[sorted]) < 0)
		sorted++;
	if (sorted < b->n)
		qsort(order, b->n, sizeof *order, batch_order);
	for (size_t i = 0; i < b->n && rc == 0; i++) {
		struct batch_entry *x = order[i];
		x->ctx = (struct save_ctx){ &x->run, x->has_entry ? &x->entry : NULL, NULL, 0, x->key,
					    x->w, runs, journal };
		x->err[0] = 0;
		x->rc = apply_save(st, store_txn_of(txn), &x->ctx, x->err, sizeof x->err);
		if (x->rc != 0 && x->rc != STORE_REFUSED)
			rc = x->rc;
	}
	mdb_cursor_close(journal);
	mdb_cursor_close(runs);
	free(order);
	return rc;
}

static void batch_done(struct store_ticket *t)
{
	struct journal_batch *b = (struct journal_batch *)t;
	/* The callback of the last entry may free the batch: read all first. */
	size_t n = b->n;
	int trc = t->rc;
	char terr[sizeof t->err];
	memcpy(terr, t->err, sizeof terr);
	void (*done)(void *, int, const char *) = b->done;
	for (size_t i = 0; i < n; i++) {
		struct batch_entry *x = &b->e[i];
		void *arg = x->arg;
		int rc = trc ? trc : x->rc;
		char err[sizeof x->err];
		memcpy(err, trc ? terr : x->err, sizeof err);
		err[sizeof err - 1] = 0;
		done(arg, rc, err);   /* after the last one, b may be gone */
	}
}

void journal_batch_submit(struct store *st, struct journal_batch *b,
			  void (*done)(void *arg, int rc, const char *err))
{
	b->done = done;
	b->ticket.apply = apply_batch;
	b->ticket.ctx = b;
	b->ticket.on_done = batch_done;
	store_submit(st, &b->ticket);
}

void journal_batch_free(struct journal_batch *b)
{
	if (!b)
		return;
	for (struct arena_chunk *c = b->chunks, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(b->e);
	free(b);
}
