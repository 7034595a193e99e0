/* sla_watch.c - see sla_watch.h. */
#include "sla_watch.h"
#include "store_db_int.h"
#include "json.h"
#include "store_buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEY_MAX (6 + 8 + 36 + 1 + 256)

static size_t key_of(const struct sla_watch *w, unsigned char *k)
{
	memcpy(k, w->task ? "sla/t/" : "sla/c/", 6);
	store_put_u64(k + 6, w->case_seq);
	if (!w->task)
		return 14;
	size_t rl = strlen(w->run), pl = strlen(w->path);
	memcpy(k + 14, w->run, rl);
	k[14 + rl] = '/';
	memcpy(k + 15 + rl, w->path, pl);
	return 15 + rl + pl;
}

static void encode(const struct sla_watch *w, struct store_buf *b)
{
	store_buf_str(b, "{");
	if (w->task) {
		store_buf_str(b, "\"owner\":");
		store_buf_json(b, w->owner);
		store_buf_str(b, ",\"role\":");
		store_buf_json(b, w->role);
		store_buf_printf(b, ",\"due\":%lld,\"done\":%lld,\"ok\":%s,", (long long)w->due,
				 (long long)w->done, w->ok ? "true" : "false");
	}
	store_buf_printf(b, "\"fired\":%lld,\"on_breach\":%s}", (long long)w->fired,
			 w->on_breach ? w->on_breach : "null");
}

static int64_t num(const struct json_doc *d, const char *k)
{
	double v = 0;
	json_number(json_get(d, &d->n[0], k), &v);
	return (int64_t)v;
}

/* Decodes key + value into w (on_breach malloc'd). 0, or -1 when not a watch. */
static int decode(const MDB_val *k, const MDB_val *v, struct sla_watch *w)
{
	memset(w, 0, sizeof *w);
	const unsigned char *p = k->mv_data;
	if (k->mv_size < 14 || memcmp(p, "sla/", 4) != 0 || (p[4] != 'c' && p[4] != 't') || p[5] != '/')
		return -1;
	w->task = p[4] == 't';
	w->case_seq = store_get_u64(p + 6);
	if (w->task) {
		if (k->mv_size < 14 + 36 + 2)
			return -1;
		memcpy(w->run, p + 14, 36);
		snprintf(w->path, sizeof w->path, "%.*s", (int)(k->mv_size - 51), (const char *)p + 51);
	}
	struct json_doc d;
	if (json_parse(&d, v->mv_data, v->mv_size, 0, NULL, 0) != 0)
		return -1;
	const char *s;
	if ((s = json_text(json_get(&d, &d.n[0], "owner"))))
		snprintf(w->owner, sizeof w->owner, "%s", s);
	if ((s = json_text(json_get(&d, &d.n[0], "role"))))
		snprintf(w->role, sizeof w->role, "%s", s);
	w->due = num(&d, "due");
	w->done = num(&d, "done");
	w->fired = num(&d, "fired");
	const struct json_node *ok = json_get(&d, &d.n[0], "ok");
	w->ok = ok && ok->type == JSON_TRUE;
	const struct json_node *ob = json_get(&d, &d.n[0], "on_breach");
	if (ob && ob->type == JSON_OBJECT)
		w->on_breach = strndup(ob->raw, ob->rawlen);
	json_doc_free(&d);
	return 0;
}

void sla_watch_free(struct sla_watch *w, size_t n)
{
	for (size_t i = 0; w && i < n; i++)
		free(w[i].on_breach);
	free(w);
}

/* ---- writes ---- */

enum op { OP_PUT, OP_DONE, OP_CLAIM };

struct wctx {
	enum op op;
	struct sla_watch w;       /* OP_PUT: the record; OP_DONE/CLAIM: the key's parts */
	int64_t now;
	int result;               /* OP_CLAIM: 1 claimed */
};

static int apply(struct store *st, struct store_txn *stx_, void *arg, char *err, size_t errlen)
{
	MDB_txn *txn = store_mdb(stx_);
	struct wctx *c = arg;
	c->result = 0;
	unsigned char kb[KEY_MAX];
	MDB_val k = { key_of(&c->w, kb), kb }, v;
	MDB_dbi dbi = store_dbi(st, STORE_DB_META);
	struct sla_watch old;
	int have = mdb_get(txn, dbi, &k, &v) == 0 && decode(&k, &v, &old) == 0;
	struct sla_watch now = c->w;
	if (c->op == OP_PUT) {
		if (have)
			now.fired = old.fired;
	} else {
		if (!have)
			return 0;             /* nothing to mark (a task without a record) */
		now = old;
		if (c->op == OP_DONE) {
			now.done = c->now;
			now.ok = c->w.ok;
		} else if (!old.fired) {
			now.fired = c->now;
			c->result = 1;
		}
	}
	struct store_buf b = { 0 };
	encode(&now, &b);
	int rc = b.oom ? ENOMEM : 0;
	if (rc == 0 && (c->op != OP_CLAIM || c->result)) {
		MDB_val nv = { b.len, b.p };
		rc = mdb_put(txn, dbi, &k, &nv, 0);
	}
	store_buf_free(&b);
	if (have)
		free(old.on_breach);
	(void)err;
	(void)errlen;
	return rc;
}

static int put_watch(struct store *st, struct wctx *c, char *err, size_t errlen)
{
	return store_write(st, apply, c, err, errlen) == 0 ? 0 : -1;
}

int sla_watch_case(struct store *st, uint64_t seq, const char *on_breach_json, char *err,
		   size_t errlen)
{
	struct wctx c = { OP_PUT, { 0 }, 0, 0 };
	c.w.case_seq = seq;
	c.w.on_breach = (char *)on_breach_json;
	return put_watch(st, &c, err, errlen);
}

int sla_watch_task(struct store *st, const struct sla_watch *w, char *err, size_t errlen)
{
	if (strlen(w->run) != 36) {
		snprintf(err, errlen, "a task SLA needs its run's id");
		return -1;
	}
	struct wctx c = { OP_PUT, *w, 0, 0 };
	c.w.task = 1;
	return put_watch(st, &c, err, errlen);
}

int sla_task_done(struct store *st, uint64_t case_seq, const char *run, const char *path, int ok,
		  char *err, size_t errlen)
{
	struct wctx c = { OP_DONE, { 0 }, 0, 0 };
	c.w.task = 1;
	c.w.case_seq = case_seq;
	c.w.ok = ok;
	snprintf(c.w.run, sizeof c.w.run, "%s", run);
	snprintf(c.w.path, sizeof c.w.path, "%s", path);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c.now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return strlen(run) == 36 ? put_watch(st, &c, err, errlen) : 0;
}

int sla_claim(struct store *st, const struct sla_watch *w, int64_t now, char *err, size_t errlen)
{
	struct wctx c = { OP_CLAIM, *w, now, 0 };
	c.w.on_breach = NULL;
	if (put_watch(st, &c, err, errlen) != 0)
		return -1;
	return c.result;
}

/* ---- reads ---- */

void sla_case_json(struct store *st, uint64_t seq, int64_t now, struct store_buf *b)
{
	struct sla_watch *w = NULL;
	size_t n = 0;
	char err[200];
	store_buf_str(b, ",\"task_slas\":[");
	if (seq && sla_watch_list(st, seq, 0, &w, &n, err, sizeof err) != 0)
		n = 0;
	const struct sla_watch *cw = NULL;
	int k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!w[i].task) {
			cw = &w[i];
			continue;
		}
		int breached = w[i].done ? w[i].done > w[i].due : now > w[i].due;
		store_buf_str(b, k++ ? ",{\"task\":" : "{\"task\":");
		store_buf_json(b, w[i].path);
		store_buf_printf(b, ",\"run\":\"%s\",\"owner\":", w[i].run);
		store_buf_json(b, w[i].owner);
		store_buf_str(b, ",\"role\":");
		store_buf_json(b, w[i].role);
		store_buf_printf(b, ",\"due\":%lld,\"done\":", (long long)w[i].due);
		if (w[i].done)
			store_buf_printf(b, "%lld", (long long)w[i].done);
		else
			store_buf_str(b, "null");
		store_buf_printf(b, ",\"breached\":%s,\"escalated\":%s,\"on_breach\":%s}",
				 breached ? "true" : "false", w[i].fired ? "true" : "false",
				 w[i].on_breach ? w[i].on_breach : "null");
	}
	store_buf_str(b, "],\"sla_escalation\":");
	if (cw)
		store_buf_printf(b, "{\"on_breach\":%s,\"fired\":%lld}",
				 cw->on_breach ? cw->on_breach : "null", (long long)cw->fired);
	else
		store_buf_str(b, "null");
	sla_watch_free(w, n);
}

int sla_watch_list(struct store *st, uint64_t case_seq, int tasks_only, struct sla_watch **out,
		   size_t *n, char *err, size_t errlen)
{
	*out = NULL;
	*n = 0;
	MDB_txn *txn;
	if (store_mdb_read_begin(st, &txn, err, errlen) != 0)
		return -1;
	MDB_cursor *cur;
	int rc = mdb_cursor_open(txn, store_dbi(st, STORE_DB_META), &cur);
	if (rc) {
		store_mdb_read_end(st, txn);
		store_error(st, rc, "reading SLA watches", err, errlen);
		return -1;
	}
	size_t cap = 0;
	MDB_val k = { 4, "sla/" }, v;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 4 || memcmp(k.mv_data, "sla/", 4) != 0)
			break;
		struct sla_watch w;
		if (decode(&k, &v, &w) != 0)
			continue;
		if ((case_seq && w.case_seq != case_seq) || (tasks_only && !w.task)) {
			free(w.on_breach);
			continue;
		}
		if (*n == cap) {
			struct sla_watch *g = realloc(*out, (cap ? cap * 2 : 8) * sizeof *g);
			if (!g) {
				free(w.on_breach);
				break;
			}
			*out = g;
			cap = cap ? cap * 2 : 8;
		}
		(*out)[(*n)++] = w;
	}
	mdb_cursor_close(cur);
	store_mdb_read_end(st, txn);
	return 0;
}
