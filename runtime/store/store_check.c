/* store_check.c - see store_check.h. The case direction "record -> its index
 * entries" is case_check's (case_query.c); this file adds the other direction
 * and the other databases. It reads case records through case_int.h (the
 * record codec and index keys), the one reason it sits beside them. */
#include "store_check.h"
#include "store_db_int.h"
#include "hex.h"

#include "blob.h"
#include "case_int.h"
#include "runstore.h"
#include "uuid.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 2, 3)))
static void problem(struct store_check_report *rep, const char *fmt, ...)
{
	rep->problems++;
	if (rep->kept == STORE_CHECK_KEEP)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rep->problem[rep->kept++], sizeof rep->problem[0], fmt, ap);
	va_end(ap);
}

static int has(MDB_txn *txn, MDB_dbi dbi, const void *k, size_t klen, MDB_val *out)
{
	MDB_val key = { klen, (void *)k }, v;
	int rc = mdb_get(txn, dbi, &key, &v);
	if (rc == 0 && out)
		*out = v;
	return rc == 0;
}

static void hex16(const unsigned char *p, char out[37])
{
	uuid_format(p, out);
}

/* One walk: calls fn for every (key, value) of db, counting them. */
typedef int (*walk_fn)(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		       struct store_check_report *rep, void *ud);

static int walk(struct store *st, MDB_txn *txn, enum store_db db, walk_fn fn, void *ud,
		struct store_check_report *rep)
{
	MDB_cursor *cur = NULL;
	int rc = mdb_cursor_open(txn, store_dbi(st, db), &cur);
	MDB_val k, v;
	for (int op = MDB_FIRST; rc == 0; op = MDB_NEXT) {
		if ((rc = mdb_cursor_get(cur, &k, &v, op)) != 0)
			break;
		rep->checked++;
		rc = fn(st, txn, &k, &v, rep, ud);
	}
	if (cur)
		mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* ---- cases ---- */

/* The last case decoded, with its index keys: index entries of one case come
 * in runs often enough (timeline, links) that this saves most decodes. */
struct case_cache {
	uint64_t seq;
	int found;          /* 1 record decoded, 0 absent, -1 damaged */
	struct case_rec c;
	struct case_keys ks;
};

static int cache_load(struct store *st, MDB_txn *txn, struct case_cache *cc, uint64_t seq)
{
	if (cc->seq == seq && seq)
		return cc->found;
	if (cc->found == 1)
		case_rec_free(&cc->c);
	cc->seq = seq;
	int rc = case_load(st, txn, seq, &cc->c);
	cc->found = rc == 0 ? 1 : rc == MDB_NOTFOUND ? 0 : -1;
	if (cc->found == 1)
		case_index_keys(&cc->c, &cc->ks);
	return cc->found;
}

static int w_uuid(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		  struct store_check_report *rep, void *ud)
{
	char id[37] = "?";
	if (k->mv_size == 16)
		hex16(k->mv_data, id);
	if (k->mv_size != 16 || v->mv_size != 8) {
		problem(rep, "case_uuid: an entry of the wrong size (%s)", id);
		return 0;
	}
	uint64_t seq = store_get_u64(v->mv_data);
	int f = cache_load(st, txn, ud, seq);
	struct case_cache *cc = ud;
	if (f == 0)
		problem(rep, "case_uuid: id %s points at case #%" PRIu64 ", which does not exist", id, seq);
	else if (f == 1 && strcmp(cc->c.id, id) != 0)
		problem(rep, "case_uuid: id %s points at case #%" PRIu64 ", whose id is %s", id, seq,
			cc->c.id);
	return 0;
}

static int w_index(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		   struct store_check_report *rep, void *ud)
{
	struct case_cache *cc = ud;
	const unsigned char *kp = k->mv_data;
	int kind = k->mv_size ? kp[0] : '?';
	if (v->mv_size != 16) {
		problem(rep, "case index (kind %c): an entry of the wrong size", kind);
		return 0;
	}
	uint64_t seq = store_get_u64((const unsigned char *)v->mv_data + 8);
	int f = cache_load(st, txn, cc, seq);
	if (f == 0) {
		problem(rep, "case index (kind %c): an entry points at case #%" PRIu64
			", which does not exist", kind, seq);
		return 0;
	}
	if (f < 0)
		return 0; /* reported by case_check */
	for (size_t i = 0; i < cc->ks.n; i++)
		if (cc->ks.len[i] == k->mv_size + 16 && memcmp(cc->ks.k[i], kp, k->mv_size) == 0 &&
		    memcmp(cc->ks.k[i] + k->mv_size, v->mv_data, 16) == 0)
			return 0;
	problem(rep, "case index (kind %c): a stale entry for case #%" PRIu64
		" (the record does not have it)", kind, seq);
	return 0;
}

static int w_dedupe(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		    struct store_check_report *rep, void *ud)
{
	(void)k;
	if (v->mv_size != 8) {
		problem(rep, "case_dedupe: an entry of the wrong size");
		return 0;
	}
	uint64_t seq = store_get_u64(v->mv_data);
	if (cache_load(st, txn, ud, seq) == 0)
		problem(rep, "case_dedupe: key '%.*s' points at case #%" PRIu64 ", which does not exist",
			(int)(k->mv_size > 60 ? 60 : k->mv_size), (const char *)k->mv_data, seq);
	return 0;
}

struct tl_state {
	struct case_cache *cc;
	uint64_t attachments;
};

static int w_timeline(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		      struct store_check_report *rep, void *ud)
{
	struct tl_state *s = ud;
	if (k->mv_size != 12) {
		problem(rep, "timeline: an entry with a key of the wrong size");
		return 0;
	}
	uint64_t seq = store_get_u64(k->mv_data);
	uint32_t no = store_get_u32((const unsigned char *)k->mv_data + 8);
	int f = cache_load(st, txn, s->cc, seq);
	if (f == 0) {
		problem(rep, "timeline: entry %u of case #%" PRIu64 ", which does not exist", no, seq);
		return 0;
	}
	if (f == 1 && no > s->cc->c.entries)
		problem(rep, "timeline: entry %u of case #%" PRIu64 " beyond its count (%u)", no, seq,
			s->cc->c.entries);
	struct case_entry e;
	if (case_entry_decode(no, v->mv_data, v->mv_size, &e) != 0) {
		problem(rep, "timeline: entry %u of case #%" PRIu64 " does not decode", no, seq);
		return 0;
	}
	if (e.kind == CASE_ENTRY_ATTACHMENT) {
		s->attachments++;
		const char *h = e.data ? strstr(e.data, "\"sha256\":\"") : NULL;
		unsigned char sha[32];
		char hex[65] = "";
		if (h) {
			snprintf(hex, sizeof hex, "%.64s", h + 10);
		}
		if (!h || hex_decode_n(hex, strlen(hex), sha, 32) != 0)
			problem(rep, "timeline: attachment entry %u of case #%" PRIu64 " names no blob",
				no, seq);
		else if (!has(txn, store_dbi(st, STORE_DB_BLOBS), sha, 32, NULL))
			problem(rep, "attachment %u of case #%" PRIu64 ": blob %s is missing", no, seq, hex);
	}
	case_entries_free(&e, 1);
	return 0;
}

static int w_links(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		   struct store_check_report *rep, void *ud)
{
	(void)v;
	if (k->mv_size != 16) {
		problem(rep, "case_links: a key of the wrong size");
		return 0;
	}
	for (int i = 0; i < 2; i++) {
		uint64_t seq = store_get_u64((const unsigned char *)k->mv_data + 8 * i);
		if (cache_load(st, txn, ud, seq) == 0)
			problem(rep, "case_links: a link names case #%" PRIu64 ", which does not exist", seq);
	}
	return 0;
}

static int w_case_inds(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		       struct store_check_report *rep, void *ud)
{
	(void)v;
	uint64_t seq = k->mv_size > 8 ? store_get_u64(k->mv_data) : 0;
	if (cache_load(st, txn, ud, seq) == 0)
		problem(rep, "case_inds: an indicator link of case #%" PRIu64 ", which does not exist",
			seq);
	return 0;
}

static int w_ind_cases(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		       struct store_check_report *rep, void *ud)
{
	(void)v;
	uint64_t seq = k->mv_size > 9 ? store_get_u64((const unsigned char *)k->mv_data +
						      k->mv_size - 8) : 0;
	if (cache_load(st, txn, ud, seq) == 0)
		problem(rep, "ind_cases: an indicator names case #%" PRIu64 ", which does not exist", seq);
	/* the indicator itself: type u8, value (the key up to the 0x00 before seq) */
	else if (k->mv_size > 10 && !has(txn, store_dbi(st, STORE_DB_INDICATORS), k->mv_data,
					 k->mv_size - 9, NULL))
		problem(rep, "ind_cases: case #%" PRIu64 " is linked to an indicator that does not "
			"exist", seq);
	return 0;
}

/* ---- runs, journals, prompts ---- */

static int w_runs(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		  struct store_check_report *rep, void *ud)
{
	(void)ud;
	char id[37] = "?";
	if (k->mv_size != 16) {
		problem(rep, "runs: a key of the wrong size");
		return 0;
	}
	hex16(k->mv_data, id);
	int status = run_record_status(v->mv_data, v->mv_size);
	if (status < 0) {
		problem(rep, "runs: run %s does not decode", id);
		return 0;
	}
	unsigned char ik[17];
	ik[0] = (unsigned char)status;
	memcpy(ik + 1, k->mv_data, 16);
	if (!has(txn, store_dbi(st, STORE_DB_RUN_IDX), ik, 17, NULL))
		problem(rep, "run_idx: run %s (%s) has no index entry", id, run_status_name(status));
	return 0;
}

static int w_run_idx(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		     struct store_check_report *rep, void *ud)
{
	(void)v;
	(void)ud;
	char id[37] = "?";
	if (k->mv_size != 17) {
		problem(rep, "run_idx: an entry of the wrong size");
		return 0;
	}
	const unsigned char *kp = k->mv_data;
	hex16(kp + 1, id);
	MDB_val rv;
	if (!has(txn, store_dbi(st, STORE_DB_RUNS), kp + 1, 16, &rv))
		problem(rep, "run_idx: an entry for run %s, which does not exist", id);
	else if (run_record_status(rv.mv_data, rv.mv_size) != kp[0])
		problem(rep, "run_idx: a stale entry for run %s (status %s, the run is %s)", id,
			run_status_name(kp[0]), run_status_name(run_record_status(rv.mv_data, rv.mv_size)));
	return 0;
}

static int w_journal(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		     struct store_check_report *rep, void *ud)
{
	(void)v;
	unsigned char *last = ud; /* [17]: last run seen, [16] = 1 when it exists */
	char id[37] = "?";
	if (k->mv_size != 20) {
		problem(rep, "journal: a key of the wrong size");
		return 0;
	}
	if (memcmp(last, k->mv_data, 16) != 0) {
		memcpy(last, k->mv_data, 16);
		last[16] = (unsigned char)has(txn, store_dbi(st, STORE_DB_RUNS), k->mv_data, 16, NULL);
		if (!last[16]) {
			hex16(k->mv_data, id);
			problem(rep, "journal: entries of run %s, which does not exist", id);
		}
	}
	return 0;
}

static int w_prompt_idx(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
			struct store_check_report *rep, void *ud)
{
	(void)v;
	(void)ud;
	char id[37] = "?";
	if (k->mv_size != 17) {
		problem(rep, "prompt_idx: an entry of the wrong size");
		return 0;
	}
	hex16((const unsigned char *)k->mv_data + 1, id);
	if (!has(txn, store_dbi(st, STORE_DB_PROMPTS), (const unsigned char *)k->mv_data + 1, 16,
		 NULL))
		problem(rep, "prompt_idx: an entry for prompt %s, which does not exist", id);
	return 0;
}

/* ---- blobs, EDLs ---- */

static int w_blobs(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		   struct store_check_report *rep, void *ud)
{
	(void)ud;
	char hex[65] = "?";
	if (k->mv_size == 32)
		hex_encode(k->mv_data, 32, hex);
	MDB_val mv;
	if (k->mv_size != 32 || !has(txn, store_dbi(st, STORE_DB_BLOB_META), k->mv_data, 32, &mv))
		problem(rep, "blob_meta: blob %s has no size record", hex);
	else if (mv.mv_size < 8 || store_get_u64(mv.mv_data) != v->mv_size)
		problem(rep, "blob_meta: blob %s is %zu bytes, its record says otherwise", hex,
			v->mv_size);
	return 0;
}

static int w_blob_meta(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		       struct store_check_report *rep, void *ud)
{
	(void)v;
	(void)ud;
	char hex[65] = "?";
	if (k->mv_size == 32)
		hex_encode(k->mv_data, 32, hex);
	if (k->mv_size != 32 || !has(txn, store_dbi(st, STORE_DB_BLOBS), k->mv_data, 32, NULL))
		problem(rep, "blobs: the size record of blob %s has no content", hex);
	return 0;
}

static int w_edl(struct store *st, MDB_txn *txn, const MDB_val *k, const MDB_val *v,
		 struct store_check_report *rep, void *ud)
{
	(void)v;
	(void)ud;
	const char *p = k->mv_data;
	const char *z = memchr(p, 0, k->mv_size);
	if (!z) {
		problem(rep, "edl_entries: an entry without a list name");
		return 0;
	}
	if (!has(txn, store_dbi(st, STORE_DB_EDL_LISTS), p, (size_t)(z - p), NULL))
		problem(rep, "edl_entries: entries of list '%.*s', which does not exist",
			(int)(z - p > 60 ? 60 : z - p), p);
	return 0;
}

int store_check(struct store *st, struct store_check_report *rep, char *err, size_t errlen)
{
	memset(rep, 0, sizeof *rep);
	uint64_t entries = 0, ncases = 0;
	char e[256];
	if (store_verify(st, &entries, err, errlen) != 0)
		return -1;
	/* records -> their id and index entries (stops at its first finding) */
	if (case_check(st, &ncases, e, sizeof e) != 0)
		problem(rep, "cases: %s", e);
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	struct case_cache *cc = calloc(1, sizeof *cc);
	if (!cc) {
		store_mdb_read_end(st, txn);
		snprintf(err, errlen, "checking the store: out of memory");
		return -1;
	}
	struct tl_state tl = { cc, 0 };
	unsigned char last_run[17] = { 0 };
	last_run[16] = 1;
	struct { enum store_db db; walk_fn fn; void *ud; } steps[] = {
		{ STORE_DB_CASE_UUID, w_uuid, cc },
		{ STORE_DB_CASE_IDX, w_index, cc },
		{ STORE_DB_CASE_DKEY, w_index, cc },
		{ STORE_DB_CASE_DEDUPE, w_dedupe, cc },
		{ STORE_DB_TIMELINE, w_timeline, &tl },
		{ STORE_DB_CASE_LINKS, w_links, cc },
		{ STORE_DB_CASE_INDS, w_case_inds, cc },
		{ STORE_DB_IND_CASES, w_ind_cases, cc },
		{ STORE_DB_RUNS, w_runs, NULL },
		{ STORE_DB_RUN_IDX, w_run_idx, NULL },
		{ STORE_DB_JOURNAL, w_journal, last_run },
		{ STORE_DB_PROMPT_IDX, w_prompt_idx, NULL },
		{ STORE_DB_BLOBS, w_blobs, NULL },
		{ STORE_DB_BLOB_META, w_blob_meta, NULL },
		{ STORE_DB_EDL_ENTRIES, w_edl, NULL },
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0] && rc == 0; i++)
		rc = walk(st, txn, steps[i].db, steps[i].fn, steps[i].ud, rep);
	if (cc->found == 1)
		case_rec_free(&cc->c);
	free(cc);
	store_mdb_read_end(st, txn);
	if (rc) {
		store_error(st, rc, "checking the store", err, errlen);
		return -1;
	}
	return rep->problems ? 1 : 0;
}

int store_case_types(struct store *st, struct store_type_count **out, size_t *n, char *err,
		     size_t errlen)
{
	*out = NULL;
	*n = 0;
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	MDB_cursor *cur = NULL, *tcur = NULL;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASES), &cur);
	if (rc == 0)
		rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_TIMELINE), &tcur);
	struct store_type_count *t = NULL;
	size_t nt = 0;
	MDB_val k, v;
	for (int op = MDB_FIRST; rc == 0; op = MDB_NEXT) {
		if ((rc = mdb_cursor_get(cur, &k, &v, op)) != 0)
			break;
		struct case_rec c;
		uint64_t seq = k.mv_size == 8 ? store_get_u64(k.mv_data) : 0;
		const char *type = "(damaged)";
		int ok = seq && case_decode(seq, v.mv_data, v.mv_size, &c) == 0;
		if (ok)
			type = c.type && c.type[0] ? c.type : "(none)";
		size_t i;
		for (i = 0; i < nt && strcmp(t[i].type, type) != 0; i++)
			;
		if (i == nt) {
			struct store_type_count *g = realloc(t, (nt + 1) * sizeof *t);
			if (!g) {
				rc = ENOMEM;
				if (ok)
					case_rec_free(&c);
				break;
			}
			t = g;
			memset(&t[nt], 0, sizeof *t);
			snprintf(t[nt].type, sizeof t[nt].type, "%s", type);
			nt++;
		}
		if (ok)
			case_rec_free(&c);
		t[i].cases++;
		t[i].bytes += k.mv_size + v.mv_size;
		/* its timeline: keys seq, entry no */
		MDB_val tk = { 8, k.mv_data }, tv;
		int trc = mdb_cursor_get(tcur, &tk, &tv, MDB_SET_RANGE);
		while (trc == 0 && tk.mv_size >= 8 && memcmp(tk.mv_data, k.mv_data, 8) == 0) {
			t[i].bytes += tk.mv_size + tv.mv_size;
			trc = mdb_cursor_get(tcur, &tk, &tv, MDB_NEXT);
		}
	}
	if (rc == MDB_NOTFOUND)
		rc = 0;
	if (cur)
		mdb_cursor_close(cur);
	if (tcur)
		mdb_cursor_close(tcur);
	store_mdb_read_end(st, txn);
	if (rc) {
		free(t);
		store_error(st, rc, "counting cases by type", err, errlen);
		return -1;
	}
	*out = t;
	*n = nt;
	return 0;
}
