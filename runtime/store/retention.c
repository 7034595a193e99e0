/* retention.c - see retention.h. A pass is a sequence of small writes through
 * the group commit: each selects and changes at most `batch` items and remembers
 * where it stopped, so a write never holds the committer for long and the
 * daemon's case creates are committed between (and with) them. Every apply
 * function may run twice (store.h): the position and counts a write produced
 * are kept only once store_write returned 0. */
#include "retention.h"
#include "audit.h"
#include "case.h"
#include "case_prune_int.h"
#include "json.h"
#include "record.h"
#include "run_done_int.h"
#include "runstore.h"
#include "store_buf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_BATCH 200
#define MAX_BATCH 10000

int retention_duration(const char *s, int64_t *ms)
{
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 1e12)
		return -1;
	double mul = 1000;
	if (!strcmp(end, "ms"))
		mul = 1;
	else if (!strcmp(end, "s") || !*end)
		mul = 1000;
	else if (!strcmp(end, "m"))
		mul = 60e3;
	else if (!strcmp(end, "h"))
		mul = 3600e3;
	else if (!strcmp(end, "d"))
		mul = 86400e3;
	else
		return -1;
	*ms = (int64_t)(v * mul);
	return 0;
}

static int get_duration(const struct json_doc *d, const struct json_node *o, const char *name,
			int64_t *ms, char *err, size_t errlen)
{
	const struct json_node *v = json_get(d, o, name);
	if (!v || v->type == JSON_NULL)
		return 0;
	const char *t = v->type == JSON_NUMBER || v->type == JSON_STRING ? json_text(v) : NULL;
	if (!t || retention_duration(t, ms) != 0 || *ms <= 0) {
		snprintf(err, errlen, "retention: %s: a duration is a number of seconds or a text "
			 "like \"30d\", \"12h\", \"15m\", \"90s\"", name);
		return -1;
	}
	return 0;
}

static int known_keys(const struct json_doc *d, const struct json_node *o, const char *const *keys,
		      const char *where, char *err, size_t errlen)
{
	for (int i = 0; i < o->count; i++) {
		const struct json_node *m = json_at(d, o, i);
		int ok = 0;
		for (const char *const *k = keys; *k; k++)
			ok |= !strcmp(m->key, *k);
		if (!ok) {
			snprintf(err, errlen, "retention: %s: unknown setting \"%s\"", where, m->key);
			return -1;
		}
	}
	return 0;
}

static int parse_rule(const struct json_doc *d, const struct json_node *o, struct retention_rule *r,
		      size_t i, char *err, size_t errlen)
{
	static const char *const keys[] = { "type", "severity", "status", "older_than", NULL };
	char where[32];
	snprintf(where, sizeof where, "cases[%zu]", i);
	if (!o || o->type != JSON_OBJECT) {
		snprintf(err, errlen, "retention: %s: a rule is an object", where);
		return -1;
	}
	if (known_keys(d, o, keys, where, err, errlen))
		return -1;
	const char *t = json_text(json_get(d, o, "type"));
	if (t) {
		if (strlen(t) >= sizeof r->type) {
			snprintf(err, errlen, "retention: %s: type too long", where);
			return -1;
		}
		snprintf(r->type, sizeof r->type, "%s", t);
	}
	if ((t = json_text(json_get(d, o, "severity"))) && !(r->severity = case_severity_parse(t))) {
		snprintf(err, errlen, "retention: %s: severity is low, medium, high or critical", where);
		return -1;
	}
	if ((t = json_text(json_get(d, o, "status")))) {
		r->status = !strcmp(t, "open") ? -1 : case_status_parse(t);
		if (!r->status) {
			snprintf(err, errlen, "retention: %s: status is new, active, pending, closed "
				 "or open", where);
			return -1;
		}
	}
	if (get_duration(d, o, "older_than", &r->older_than_ms, err, errlen))
		return -1;
	if (r->older_than_ms <= 0) {
		snprintf(err, errlen, "retention: %s: older_than is required (\"90d\"): a rule "
			 "without an age would remove cases as they are made", where);
		return -1;
	}
	return 0;
}

int retention_parse(const char *json, size_t len, struct retention_policy *p, char *err,
		    size_t errlen)
{
	static const char *const keys[] = { "cases", "journals_after", "edl_expired",
					    "dedupe_keys_after", "batch", "every", "pause", NULL };
	memset(p, 0, sizeof *p);
	p->batch = DEFAULT_BATCH;
	p->every_ms = 60000;
	p->pause_ms = 2;
	struct json_doc d = { 0 };
	char jerr[200];
	if (json_parse(&d, json, len, 8, jerr, sizeof jerr) != 0) {
		snprintf(err, errlen, "retention: %s", jerr);
		return -1;
	}
	const struct json_node *o = &d.n[0];
	int rc = -1;
	if (o->type != JSON_OBJECT) {
		snprintf(err, errlen, "retention: the policy is a JSON object");
		goto out;
	}
	if (known_keys(&d, o, keys, "policy", err, errlen))
		goto out;
	const struct json_node *cases = json_get(&d, o, "cases");
	if (cases && cases->type != JSON_ARRAY) {
		snprintf(err, errlen, "retention: cases is an array of rules");
		goto out;
	}
	for (int i = 0; cases && i < cases->count; i++) {
		if (p->nrules == RETENTION_MAX_RULES) {
			snprintf(err, errlen, "retention: at most %d case rules", RETENTION_MAX_RULES);
			goto out;
		}
		if (parse_rule(&d, json_at(&d, cases, i), &p->rules[p->nrules++], (size_t)i, err, errlen))
			goto out;
	}
	if (get_duration(&d, o, "journals_after", &p->journals_after_ms, err, errlen) ||
	    get_duration(&d, o, "dedupe_keys_after", &p->dedupe_after_ms, err, errlen) ||
	    get_duration(&d, o, "every", &p->every_ms, err, errlen))
		goto out;
	const struct json_node *v = json_get(&d, o, "pause");
	if (v && (!json_text(v) || retention_duration(json_text(v), &p->pause_ms) != 0)) {
		snprintf(err, errlen, "retention: pause: a duration (\"2ms\")");
		goto out;
	}
	if ((v = json_get(&d, o, "edl_expired"))) {
		if (v->type != JSON_TRUE && v->type != JSON_FALSE) {
			snprintf(err, errlen, "retention: edl_expired is true or false");
			goto out;
		}
		p->edl_expired = v->type == JSON_TRUE;
	}
	if ((v = json_get(&d, o, "batch"))) {
		double b;
		if (json_number(v, &b) != 0 || b < 1 || b > MAX_BATCH || b != (double)(size_t)b) {
			snprintf(err, errlen, "retention: batch is a whole number from 1 to %d", MAX_BATCH);
			goto out;
		}
		p->batch = (size_t)b;
	}
	rc = 0;
out:
	json_doc_free(&d);
	return rc;
}

void retention_counts_json(const struct retention_counts *c, char *out, size_t outlen)
{
	snprintf(out, outlen,
		 "{\"cases\":%" PRIu64 ",\"timeline_entries\":%" PRIu64 ",\"runs_compacted\":%" PRIu64
		 ",\"journal_entries\":%" PRIu64 ",\"edl_entries\":%" PRIu64 ",\"dedupe_keys\":%" PRIu64
		 ",\"batches\":%" PRIu64 ",\"max_batch_ms\":%.1f,\"duration_ms\":%.0f}",
		 c->cases, c->timeline_entries, c->runs_compacted, c->journal_entries, c->edl_entries,
		 c->dedupe_keys, c->batches, (double)c->max_batch_us / 1000.0,
		 (double)c->duration_us / 1000.0);
}

/* ---- one batch ---- */

enum phase { PH_CASES, PH_JOURNALS, PH_EDL, PH_DEDUPE, PH_DONE };

struct pass {
	const struct retention_policy *p;
	int64_t now;
	/* where the pass stands (kept after each durable batch) */
	enum phase phase;
	size_t rule;
	unsigned char pos[16];          /* cases: last index entry examined */
	unsigned char ckey[512];        /* edl / dedupe: resume after this key */
	size_t ckeylen;
	int have_ckey;
	/* what the running batch produced (applied may run twice: rewritten each time) */
	struct pass_out {
		enum phase phase;
		size_t rule;
		unsigned char pos[16];
		unsigned char ckey[512];
		size_t ckeylen;
		int have_ckey;
		struct retention_counts c;
		int changed;
	} o;
	uint64_t *seqs;
};

static void next_phase(struct pass_out *o)
{
	o->phase++;
	o->rule = 0;
	memset(o->pos, 0, sizeof o->pos);
	o->have_ckey = 0;
	o->ckeylen = 0;
}

static int batch_cases(struct store *st, MDB_txn *txn, struct pass *ps)
{
	struct pass_out *o = &ps->o;
	if (o->rule >= ps->p->nrules) {
		next_phase(o);
		return 0;
	}
	const struct retention_rule *r = &ps->p->rules[o->rule];
	size_t n = 0;
	int done = 0;
	int rc = case_prune_select_txn(st, txn, r, ps->now - r->older_than_ms, o->pos, ps->seqs,
				       ps->p->batch, ps->p->batch * 20, &n, &done);
	for (size_t i = 0; i < n && rc == 0; i++) {
		rc = case_prune_txn(st, txn, ps->seqs[i], &o->c.timeline_entries);
		o->c.cases++;
	}
	o->changed = n > 0;
	if (rc == 0 && done) {
		o->rule++;
		memset(o->pos, 0, sizeof o->pos);
	}
	return rc;
}

/* The fields of a run record the compaction reads (runstore.c's tags). */
struct run_peek {
	int status;
	char *summary;
};
static const struct record_field run_peek_fields[] = {
	RECORD_FIELD(13, REC_INT, run_peek, status), RECORD_FIELD(21, REC_STR, run_peek, summary),
	{ 0, REC_STR, 0, 0 },
};
struct step_peek {
	char *name, *error;
	int64_t duration_us;
};
static const struct record_field step_peek_fields[] = {
	RECORD_FIELD(1, REC_STR, step_peek, name), RECORD_FIELD(5, REC_STR, step_peek, error),
	RECORD_FIELD(7, REC_I64, step_peek, duration_us),
	{ 0, REC_STR, 0, 0 },
};

#define SUMMARY_NAMES 24

/* Replaces a finished run's journal by a summary in its record (tag 21):
 * {"steps":N,"errors":E,"duration_ms":D,"calls":{"name":count...},"compacted":MS}.
 * The result (or error) stays in the record as it was. */
static int compact_run(struct store *st, MDB_txn *txn, const unsigned char id[16], int64_t now,
		       struct retention_counts *c)
{
	MDB_val k = { 16, (void *)id }, v;
	int rc = mdb_get(txn, store_dbi(st, STORE_DB_RUNS), &k, &v);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	struct run_peek rp = { 0 };
	if (record_decode(v.mv_data, v.mv_size, run_peek_fields, &rp) != 0 || !run_done_final(rp.status) ||
	    rp.summary) {
		record_free(run_peek_fields, &rp);
		return 0; /* damaged, resumed or already compacted: only the entry goes */
	}
	record_free(run_peek_fields, &rp);
	struct { char name[64]; uint64_t n; } names[SUMMARY_NAMES];
	size_t nnames = 0;
	uint64_t steps = 0, errors = 0, other = 0;
	int64_t dur = 0;
	MDB_cursor *cur;
	if ((rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_JOURNAL), &cur)) != 0)
		return rc;
	MDB_val jk = { 16, (void *)id }, jv;
	rc = mdb_cursor_get(cur, &jk, &jv, MDB_SET_RANGE);
	while (rc == 0 && jk.mv_size == 20 && memcmp(jk.mv_data, id, 16) == 0) {
		struct step_peek sp = { 0 };
		if (record_decode(jv.mv_data, jv.mv_size, step_peek_fields, &sp) == 0) {
			steps++;
			errors += sp.error != NULL;
			dur += sp.duration_us;
			const char *nm = sp.name ? sp.name : "?";
			size_t i = 0;
			while (i < nnames && strcmp(names[i].name, nm) != 0)
				i++;
			if (i == nnames && nnames < SUMMARY_NAMES) {
				snprintf(names[i].name, sizeof names[i].name, "%s", nm);
				names[i].n = 0;
				nnames++;
			}
			if (i < nnames)
				names[i].n++;
			else
				other++;
		}
		record_free(step_peek_fields, &sp);
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		c->journal_entries++;
		rc = mdb_cursor_get(cur, &jk, &jv, MDB_GET_CURRENT);
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND || rc == EINVAL)
		rc = 0;
	if (rc)
		return rc;
	struct store_buf s = { 0 };
	store_buf_printf(&s, "{\"steps\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"duration_ms\":%.1f,"
			 "\"calls\":{", steps, errors, (double)dur / 1000.0);
	for (size_t i = 0; i < nnames; i++) {
		if (i)
			store_buf_str(&s, ",");
		store_buf_json(&s, names[i].name);
		store_buf_printf(&s, ":%" PRIu64, names[i].n);
	}
	if (other)
		store_buf_printf(&s, "%s\"(other)\":%" PRIu64, nnames ? "," : "", other);
	store_buf_printf(&s, "},\"compacted\":%" PRId64 "}", now);
	/* Re-read: the deletes may have moved the record's page. Append field 21
	 * (tag, length, bytes) to the record as it is: a record is its fields in
	 * any order, and an older soarctl skips the tag. */
	if ((rc = mdb_get(txn, store_dbi(st, STORE_DB_RUNS), &k, &v)) == 0 && !s.oom) {
		struct store_buf r = { 0 };
		store_buf_add(&r, v.mv_data, v.mv_size);
		unsigned char hdr[2 * RECORD_VARINT_MAX];
		size_t h = store_varint_put(hdr, 21);
		h += store_varint_put(hdr + h, s.len);
		store_buf_add(&r, hdr, h);
		store_buf_add(&r, s.p, s.len);
		MDB_val nv = { r.len, r.p };
		rc = r.oom ? ENOMEM : mdb_put(txn, store_dbi(st, STORE_DB_RUNS), &k, &nv, 0);
		store_buf_free(&r);
		if (rc == 0)
			c->runs_compacted++;
	} else if (rc == 0) {
		rc = ENOMEM;
	}
	store_buf_free(&s);
	return rc;
}

static int batch_journals(struct store *st, MDB_txn *txn, struct pass *ps)
{
	struct pass_out *o = &ps->o;
	if (!ps->p->journals_after_ms) {
		next_phase(o);
		return 0;
	}
	int64_t cutoff = ps->now - ps->p->journals_after_ms;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_RUN_DONE), &cur);
	if (rc)
		return rc;
	size_t n = 0;
	MDB_val k, v;
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0 && n < ps->p->batch) {
		if (k.mv_size != 24 || (int64_t)store_get_u64(k.mv_data) >= cutoff)
			break;
		unsigned char id[16];
		memcpy(id, (unsigned char *)k.mv_data + 8, 16);
		/* The entry first (the compaction's deletes move the cursor's pages). */
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		mdb_cursor_close(cur);
		cur = NULL;
		if ((rc = compact_run(st, txn, id, ps->now, &o->c)) != 0)
			break;
		n++;
		if ((rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_RUN_DONE), &cur)) != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	}
	if (cur)
		mdb_cursor_close(cur);
	o->changed = n > 0;
	if (rc == MDB_NOTFOUND || (rc == 0 && n < ps->p->batch)) {
		next_phase(o);
		rc = 0;
	}
	return rc;
}

/* EDL entries and dedupe keys carry no time order: walk the keys from where
 * the last batch stopped. */
typedef int (*key_fn)(struct store *st, MDB_txn *txn, struct pass *ps, const MDB_val *k,
		      const MDB_val *v, int *drop);

static int edl_key(struct store *st, MDB_txn *txn, struct pass *ps, const MDB_val *k,
		   const MDB_val *v, int *drop)
{
	(void)st, (void)txn, (void)k;
	int64_t exp = v->mv_size >= 8 ? (int64_t)store_get_u64(v->mv_data) : 0;
	*drop = exp > 0 && exp <= ps->now;
	return 0;
}

/* The first key after the one the last batch stopped at (or the first). */
static int resume_at(MDB_cursor *cur, const struct pass_out *o, MDB_val *k, MDB_val *v)
{
	if (!o->have_ckey)
		return mdb_cursor_get(cur, k, v, MDB_FIRST);
	*k = (MDB_val){ o->ckeylen, (void *)o->ckey };
	int rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (rc == 0 && k->mv_size == o->ckeylen && !memcmp(k->mv_data, o->ckey, o->ckeylen))
		rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
	return rc;
}

static void remember_key(struct pass_out *o, const MDB_val *k)
{
	if (k->mv_size <= sizeof o->ckey) {
		memcpy(o->ckey, k->mv_data, k->mv_size);
		o->ckeylen = k->mv_size;
		o->have_ckey = 1;
	}
}

static int walk_keys(struct store *st, MDB_txn *txn, struct pass *ps, enum store_db db, key_fn fn,
		     uint64_t *count)
{
	struct pass_out *o = &ps->o;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, db), &cur);
	if (rc)
		return rc;
	MDB_val k, v;
	rc = resume_at(cur, o, &k, &v);
	size_t n = 0, examined = 0;
	while (rc == 0 && n < ps->p->batch && examined < ps->p->batch * 20) {
		examined++;
		remember_key(o, &k);
		int drop = 0;
		if ((rc = fn(st, txn, ps, &k, &v, &drop)) != 0)
			break;
		if (drop) {
			if ((rc = mdb_cursor_del(cur, 0)) != 0)
				break;
			n++;
			(*count)++;
			rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
			if (rc == EINVAL)
				rc = MDB_NOTFOUND;
		} else {
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
	}
	mdb_cursor_close(cur);
	o->changed = n > 0;
	if (rc == MDB_NOTFOUND) {
		next_phase(o);
		rc = 0;
	}
	return rc;
}

static int batch_edl(struct store *st, MDB_txn *txn, struct pass *ps)
{
	if (!ps->p->edl_expired) {
		next_phase(&ps->o);
		return 0;
	}
	return walk_keys(st, txn, ps, STORE_DB_EDL_ENTRIES, edl_key, &ps->o.c.edl_entries);
}

/* Dedupe keys: collected in the walk, released after it (a release rewrites
 * the case and its index entries; the cursor must not stand in between). */
static int batch_dedupe(struct store *st, MDB_txn *txn, struct pass *ps)
{
	struct pass_out *o = &ps->o;
	if (!ps->p->dedupe_after_ms) {
		next_phase(o);
		return 0;
	}
	int64_t cutoff = ps->now - ps->p->dedupe_after_ms;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_CASE_DEDUPE), &cur);
	if (rc)
		return rc;
	struct store_buf keys = { 0 };
	size_t n = 0, examined = 0;
	MDB_val k, v;
	rc = resume_at(cur, o, &k, &v);
	while (rc == 0 && n < ps->p->batch && examined < ps->p->batch * 20) {
		examined++;
		remember_key(o, &k);
		if (v.mv_size == 8 && k.mv_size < 256) {
			uint64_t seq = store_get_u64(v.mv_data);
			int64_t created = 0;
			if (case_created_txn(st, txn, seq, &created) != 0)
				created = INT64_MAX; /* no such case: case_check reports it */
			if (created < cutoff) {
				unsigned char hdr[9] = { (unsigned char)k.mv_size };
				memcpy(hdr + 1, v.mv_data, 8);
				store_buf_add(&keys, hdr, 9);
				store_buf_add(&keys, k.mv_data, k.mv_size);
				n++;
			}
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	int end = rc == MDB_NOTFOUND;
	if (end)
		rc = 0;
	if (keys.oom)
		rc = ENOMEM;
	for (size_t off = 0; rc == 0 && off < keys.len;) {
		const unsigned char *e = (const unsigned char *)keys.p + off;
		MDB_val key = { e[0], (void *)(e + 9) };
		rc = case_release_dedupe_txn(st, txn, &key, store_get_u64(e + 1), ps->now);
		o->c.dedupe_keys++;
		off += 9 + e[0];
	}
	store_buf_free(&keys);
	o->changed = n > 0;
	if (rc == 0 && end)
		next_phase(o);
	return rc;
}

static int apply_batch(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	(void)err, (void)errlen;
	struct pass *ps = arg;
	struct pass_out *o = &ps->o;
	memset(o, 0, sizeof *o);
	o->phase = ps->phase;
	o->rule = ps->rule;
	memcpy(o->pos, ps->pos, sizeof o->pos);
	memcpy(o->ckey, ps->ckey, ps->ckeylen);
	o->ckeylen = ps->ckeylen;
	o->have_ckey = ps->have_ckey;
	/* Go on to the next part when one has nothing to do, within this write. */
	int rc = 0;
	while (rc == 0 && o->phase != PH_DONE && !o->changed) {
		enum phase before = o->phase;
		size_t rule = o->rule;
		switch (o->phase) {
		case PH_CASES: rc = batch_cases(st, txn, ps); break;
		case PH_JOURNALS: rc = batch_journals(st, txn, ps); break;
		case PH_EDL: rc = batch_edl(st, txn, ps); break;
		case PH_DEDUPE: rc = batch_dedupe(st, txn, ps); break;
		default: break;
		}
		if (o->phase == before && o->rule == rule && !o->changed)
			break; /* examined its share without a change: a write of its own */
	}
	return rc;
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int retention_pass(struct store *st, const struct retention_policy *p, int64_t now,
		   const char *actor, volatile int *stop, struct retention_counts *c,
		   char *err, size_t errlen)
{
	struct pass ps;
	memset(&ps, 0, sizeof ps);
	ps.p = p;
	ps.now = now;
	struct retention_counts total = { 0 };
	if (!(ps.seqs = malloc((p->batch ? p->batch : 1) * sizeof *ps.seqs))) {
		snprintf(err, errlen, "retention: out of memory");
		return -1;
	}
	int rc = 0;
	int64_t start = mono_us();
	while (ps.phase != PH_DONE && !(stop && *stop)) {
		int64_t t0 = mono_us();
		if (store_write(st, apply_batch, &ps, err, errlen) != 0) {
			rc = -1;
			break;
		}
		int64_t us = mono_us() - t0;
		struct retention_counts *b = &ps.o.c;
		total.cases += b->cases;
		total.timeline_entries += b->timeline_entries;
		total.runs_compacted += b->runs_compacted;
		total.journal_entries += b->journal_entries;
		total.edl_entries += b->edl_entries;
		total.dedupe_keys += b->dedupe_keys;
		total.batches++;
		if (us > total.max_batch_us)
			total.max_batch_us = us;
		ps.phase = ps.o.phase;
		ps.rule = ps.o.rule;
		memcpy(ps.pos, ps.o.pos, sizeof ps.pos);
		memcpy(ps.ckey, ps.o.ckey, ps.o.ckeylen);
		ps.ckeylen = ps.o.ckeylen;
		ps.have_ckey = ps.o.have_ckey;
		if (p->pause_ms > 0 && ps.phase != PH_DONE) {
			struct timespec ts = { p->pause_ms / 1000, (long)(p->pause_ms % 1000) * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	free(ps.seqs);
	total.duration_us = mono_us() - start;
	uint64_t changed = total.cases + total.runs_compacted + total.edl_entries + total.dedupe_keys;
	if (changed) {
		char details[512], aerr[256];
		retention_counts_json(&total, details, sizeof details);
		if (audit_append(st, actor ? actor : "retention", "store.retention", "store", details,
				 aerr, sizeof aerr) != 0 && rc == 0) {
			snprintf(err, errlen, "retention: the pass's audit entry: %s", aerr);
			rc = -1;
		}
	}
	c->cases += total.cases;
	c->timeline_entries += total.timeline_entries;
	c->runs_compacted += total.runs_compacted;
	c->journal_entries += total.journal_entries;
	c->edl_entries += total.edl_entries;
	c->dedupe_keys += total.dedupe_keys;
	c->batches += total.batches;
	if (total.max_batch_us > c->max_batch_us)
		c->max_batch_us = total.max_batch_us;
	c->duration_us += total.duration_us;
	return rc;
}
