/* preproc.c - see preproc.h. */
#include "preproc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void strv_free(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void pp_match_free(struct pp_match *m)
{
	for (int i = 0; i < m->n; i++) {
		free(m->c[i].field);
		strv_free(m->c[i].values, m->c[i].nvalues);
	}
	free(m->c);
	memset(m, 0, sizeof *m);
}

void pp_rule_free(struct pp_rule *r)
{
	free(r->owner);
	pp_match_free(&r->match);
	strv_free(r->dedupe_fields, r->ndedupe);
	strv_free(r->link_fields, r->nlink);
	free(r->link_case);
	free(r->close_reason);
	strv_free(r->set_k, r->nset);
	strv_free(r->set_v, r->nset);
	free(r->playbook);
	memset(r, 0, sizeof *r);
}

int pp_match(const struct json_doc *d, const struct json_node *alert, const struct pp_match *m)
{
	for (int i = 0; i < m->n; i++) {
		const struct pp_cond *c = &m->c[i];
		const struct json_node *v = json_get(d, alert, c->field);
		int present = v && v->type != JSON_NULL && !(v->type == JSON_STRING && v->len == 0);
		if (c->nvalues == 0) {
			if (present != c->want_present)
				return 0;
			continue;
		}
		const char *t = json_text(v);
		if (!present || !t)
			return 0;
		int any = 0;
		for (int k = 0; k < c->nvalues && !any; k++)
			any = strcmp(t, c->values[k]) == 0;
		if (!any)
			return 0;
	}
	return 1;
}

/* ---- the window: open addressing on a power-of-two table ---- */

struct pp_entry {
	char *key;                /* NULL: empty; TOMB: deleted */
	char case_ref[40];
	int64_t until, seen;
	unsigned dups;
};

static char tomb_;
#define TOMB (&tomb_)

/* Duplicates counted on a case whose key then started a new window: kept
 * here until drained, so they are recorded on the right case. */
struct pp_spill {
	char *key;
	char case_ref[40];
	unsigned dups;
};

struct pp_window {
	struct pp_entry *t;
	size_t cap, used, live, max;
	struct pp_spill *spill;
	size_t nspill, capspill;
};

static void spill(struct pp_window *w, const struct pp_entry *e)
{
	if (!e->dups || !e->case_ref[0])
		return;
	if (w->nspill == w->capspill) {
		size_t cap = w->capspill ? w->capspill * 2 : 16;
		if (cap > 65536)
			return; /* bounded: a count may be lost, never memory */
		struct pp_spill *p = realloc(w->spill, cap * sizeof *p);
		if (!p)
			return;
		w->spill = p;
		w->capspill = cap;
	}
	struct pp_spill *sp = &w->spill[w->nspill];
	if (!(sp->key = strdup(e->key)))
		return;
	snprintf(sp->case_ref, sizeof sp->case_ref, "%s", e->case_ref);
	sp->dups = e->dups;
	w->nspill++;
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

struct pp_window *pp_window_new(size_t max_entries)
{
	struct pp_window *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->max = max_entries ? max_entries : 100000;
	w->cap = 1024;
	w->t = calloc(w->cap, sizeof *w->t);
	if (!w->t) {
		free(w);
		return NULL;
	}
	return w;
}

void pp_window_free(struct pp_window *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->cap; i++)
		if (w->t[i].key && w->t[i].key != TOMB)
			free(w->t[i].key);
	for (size_t i = 0; i < w->nspill; i++)
		free(w->spill[i].key);
	free(w->spill);
	free(w->t);
	free(w);
}

size_t pp_window_size(const struct pp_window *w) { return w->live; }

static struct pp_entry *find(struct pp_window *w, const char *key)
{
	size_t i = hash(key) & (w->cap - 1);
	for (size_t n = 0; n < w->cap; n++, i = (i + 1) & (w->cap - 1)) {
		struct pp_entry *e = &w->t[i];
		if (!e->key)
			return NULL;
		if (e->key != TOMB && strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

static void del(struct pp_window *w, struct pp_entry *e)
{
	spill(w, e);
	free(e->key);
	e->key = TOMB;
	w->live--;
}

static int rehash(struct pp_window *w, size_t cap)
{
	struct pp_entry *t = calloc(cap, sizeof *t);
	if (!t)
		return -1;
	for (size_t i = 0; i < w->cap; i++) {
		struct pp_entry *e = &w->t[i];
		if (!e->key || e->key == TOMB)
			continue;
		size_t j = hash(e->key) & (cap - 1);
		while (t[j].key)
			j = (j + 1) & (cap - 1);
		t[j] = *e;
	}
	free(w->t);
	w->t = t;
	w->cap = cap;
	w->used = w->live;
	return 0;
}

/* Makes room: expired entries go; if still full, the older half goes (a
 * duplicate then gets a case of its own: memory stays bounded). */
static void sweep(struct pp_window *w, int64_t now)
{
	int64_t oldest = INT64_MAX, newest = 0;
	for (size_t i = 0; i < w->cap; i++) {
		struct pp_entry *e = &w->t[i];
		if (!e->key || e->key == TOMB)
			continue;
		if (e->until <= now && e->dups == 0)
			del(w, e);
		else {
			oldest = e->seen < oldest ? e->seen : oldest;
			newest = e->seen > newest ? e->seen : newest;
		}
	}
	if (w->live >= w->max) {
		int64_t mid = oldest + (newest - oldest) / 2;
		for (size_t i = 0; i < w->cap; i++) {
			struct pp_entry *e = &w->t[i];
			if (e->key && e->key != TOMB && e->seen <= mid)
				del(w, e);
		}
	}
}

void pp_window_put(struct pp_window *w, const char *key, const char *case_ref, int64_t now_ms,
		   int window_s)
{
	struct pp_entry *e = find(w, key);
	if (!e) {
		if (w->live >= w->max)
			sweep(w, now_ms);
		if ((w->used + 1) * 2 > w->cap && rehash(w, w->live * 4 > w->cap ? w->cap * 2 : w->cap) != 0)
			return;
		size_t i = hash(key) & (w->cap - 1);
		while (w->t[i].key && w->t[i].key != TOMB)
			i = (i + 1) & (w->cap - 1);
		e = &w->t[i];
		int fresh = !e->key;
		char *k = strdup(key);
		if (!k)
			return;
		memset(e, 0, sizeof *e);
		e->key = k;
		w->live++;
		if (fresh)
			w->used++;
	} else { /* a new window for the key: earlier duplicates stay with their case */
		spill(w, e);
		e->dups = 0;
	}
	snprintf(e->case_ref, sizeof e->case_ref, "%s", case_ref ? case_ref : "");
	e->seen = now_ms;
	e->until = now_ms + (int64_t)window_s * 1000;
}

void pp_window_set_case(struct pp_window *w, const char *key, const char *case_ref)
{
	struct pp_entry *e = find(w, key);
	if (e)
		snprintf(e->case_ref, sizeof e->case_ref, "%s", case_ref);
}

const char *pp_window_case(struct pp_window *w, const char *key)
{
	struct pp_entry *e = find(w, key);
	return e && e->case_ref[0] ? e->case_ref : NULL;
}

int pp_window_hit(struct pp_window *w, const char *key, int64_t now_ms, const char **case_ref)
{
	struct pp_entry *e = find(w, key);
	if (!e || e->until <= now_ms)
		return 0;
	e->dups++;
	*case_ref = e->case_ref;
	return 1;
}

void pp_window_drain(struct pp_window *w, void (*fn)(const char *key, const char *case_ref,
						     unsigned dups, void *ud), void *ud)
{
	for (size_t i = 0; i < w->nspill; i++) {
		fn(w->spill[i].key, w->spill[i].case_ref, w->spill[i].dups, ud);
		free(w->spill[i].key);
	}
	w->nspill = 0;
	for (size_t i = 0; i < w->cap; i++) {
		struct pp_entry *e = &w->t[i];
		if (!e->key || e->key == TOMB || !e->dups || !e->case_ref[0])
			continue;
		fn(e->key, e->case_ref, e->dups, ud);
		e->dups = 0;
	}
}

/* "f1:v1|f2:v2" of the key fields; 0 when one is missing. */
static int make_key(char *const *fields, int nfields, const struct json_doc *d,
		    const struct json_node *alert, char *out, size_t len)
{
	size_t n = 0;
	out[0] = 0;
	for (int i = 0; i < nfields; i++) {
		const struct json_node *v = json_get(d, alert, fields[i]);
		const char *t = json_text(v);
		if (!t || !*t || v->type == JSON_NULL)
			return 0;
		int k = snprintf(out + n, len - n, "%s%s:%s", i ? "|" : "", fields[i], t);
		if (k < 0 || (size_t)k >= len - n)
			return 0;
		n += (size_t)k;
	}
	return n > 0;
}

void pp_evaluate(const struct pp_rule *const *rules, int nrules, struct pp_window *w,
		 const struct json_doc *d, const struct json_node *alert, int64_t now_ms,
		 struct pp_result *out)
{
	memset(out, 0, sizeof *out);
	out->action = PP_CASE;
	for (int i = 0; i < nrules; i++) {
		const struct pp_rule *r = rules[i];
		if (!pp_match(d, alert, &r->match))
			continue;
		out->rule = r;
		if (r->drop) {
			out->action = PP_DROP;
			return;
		}
		if (r->nlink || r->link_case) {
			/* Linking needs the store (is the case there, open?): ingest.c
			 * does it. A field that is missing links nothing: a new case. */
			out->link = 1;
			const struct json_node *v = r->link_case ? json_get(d, alert, r->link_case) : NULL;
			const char *t = v && v->type != JSON_NULL ? json_text(v) : NULL;
			if (t && *t && strlen(t) < sizeof out->link_ref)
				snprintf(out->link_ref, sizeof out->link_ref, "%s", t);
			if (r->nlink)
				make_key(r->link_fields, r->nlink, d, alert, out->key, sizeof out->key);
			return;
		}
		if (r->ndedupe && make_key(r->dedupe_fields, r->ndedupe, d, alert, out->key,
					   sizeof out->key)) {
			const char *ref;
			if (pp_window_hit(w, out->key, now_ms, &ref)) {
				out->action = PP_DUPLICATE;
				snprintf(out->dup_case, sizeof out->dup_case, "%s", ref);
				return;
			}
			pp_window_put(w, out->key, "", now_ms, r->window_s ? r->window_s : 3600);
		}
		return;
	}
}
