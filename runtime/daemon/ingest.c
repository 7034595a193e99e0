/* ingest.c - POST /api/v1/alerts: one alert (a JSON object with a "type") or
 * an array of them. Each alert goes through pre-processing (preproc.h) on the
 * loop thread, then becomes a case through case_create_submit: many creates
 * share one group-commit transaction, and the request is answered 202 only
 * when all of its cases are durable. Then the playbooks that a rule chose, or
 * whose triggers match, start runs on the new cases.
 *
 * Bounded: a request is refused with 429 and Retry-After when the worker queue
 * could not take its runs or too many requests already wait for the store. */
#include "case.h"
#include "daemon.h"
#include "store_full.h"
#include "json.h"
#include "metrics.h"
#include "store_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ALERTS_PER_REQUEST 10000
#define MAX_INFLIGHT_REQUESTS 1024

enum outcome { O_PENDING, O_CREATED, O_DUPLICATE, O_DROPPED, O_CLOSED, O_ERROR, O_LINKED };

struct ingest_req;

struct alert_item {
	struct ingest_req *q;
	const struct json_node *node;
	struct pp_result pp;
	struct case_fields f;
	struct case_create_req *creq;
	enum outcome out;
	char case_id[40];
	uint64_t seq;
	char err[260];
};

struct ingest_req {
	struct daemon *d;
	struct httpd_req *r;
	struct json_doc doc;
	struct pb_set *set;
	struct alert_item *items;
	int n, pending;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void req_free(struct ingest_req *q)
{
	for (int i = 0; i < q->n; i++)
		case_fields_free(&q->items[i].f);
	free(q->items);
	json_doc_free(&q->doc);
	pb_set_unref(q->set);
	free(q);
	metric_add(M_INFLIGHT_REQUESTS, -1);
}

static const char *outcome_name(enum outcome o)
{
	static const char *const n[] = {"pending", "created", "duplicate", "dropped", "closed",
					"error", "linked"};
	return n[o];
}

static void start_runs(struct ingest_req *q, struct alert_item *it)
{
	struct daemon *d = q->d;
	const struct pp_rule *rule = it->pp.rule;
	if (rule && rule->playbook) {
		const struct pb_meta *pb = pb_set_find(q->set, rule->playbook);
		if (!pb)
			dlog(LOG_WARN, NULL, "rule of %s names playbook %s, which is not loaded",
			     rule->owner, rule->playbook);
		else if (daemon_start_playbook(d, pb, it->case_id, NULL, NULL) != 0)
			metric_add(M_ALERTS_REJECTED, 1);
		return;
	}
	for (int i = 0; i < q->set->n; i++) {
		const struct pb_meta *pb = &q->set->pb[i];
		for (int k = 0; k < pb->ntriggers; k++)
			if (pp_match(&q->doc, it->node, &pb->triggers[k])) {
				if (daemon_start_playbook(d, pb, it->case_id, NULL, NULL) != 0)
					metric_add(M_ALERTS_REJECTED, 1);
				break;
			}
	}
}

static void answer(struct ingest_req *q)
{
	struct store_buf b = {0};
	int created = 0;
	/* A duplicate whose key's case was not durable yet when the window saw it
	 * (an alert of this same request, or of one still waiting): it may be now. */
	for (int i = 0; i < q->n; i++) {
		struct alert_item *it = &q->items[i];
		const char *ref;
		if (it->out == O_DUPLICATE && !it->case_id[0] && it->pp.key[0] &&
		    (ref = pp_window_case(daemon_window(q->d), it->pp.key)))
			snprintf(it->case_id, sizeof it->case_id, "%s", ref);
	}
	store_buf_str(&b, "{\"accepted\":");
	store_buf_printf(&b, "%d,\"alerts\":[", q->n);
	for (int i = 0; i < q->n; i++) {
		struct alert_item *it = &q->items[i];
		store_buf_printf(&b, "%s{\"status\":\"%s\"", i ? "," : "", outcome_name(it->out));
		if (it->case_id[0])
			store_buf_printf(&b, ",\"case\":\"%s\"", it->case_id);
		if (it->seq)
			store_buf_printf(&b, ",\"case_number\":%llu", (unsigned long long)it->seq);
		if (it->err[0]) {
			store_buf_str(&b, ",\"error\":");
			store_buf_json(&b, it->err);
		}
		store_buf_str(&b, "}");
		created += it->out == O_CREATED || it->out == O_CLOSED;
	}
	store_buf_str(&b, "]}");
	/* Runs start once the cases exist (their runs read them). */
	for (int i = 0; i < q->n; i++)
		if (q->items[i].out == O_CREATED)
			start_runs(q, &q->items[i]);
	/* nothing stored because the data directory is full: 507, not 202 */
	int errors = 0;
	for (int i = 0; i < q->n; i++)
		errors += q->items[i].out == O_ERROR;
	int full = q->n && errors == q->n && store_full(daemon_store(q->d));
	httpd_reply(q->r, full ? 507 : 202, "application/json", b.p ? b.p : "{}", b.len, NULL);
	store_buf_free(&b);
	(void)created;
	req_free(q);
}

/* A linked alert goes on its case's timeline, whole (up to 4 KiB), written by
 * a worker: a note is a store write, not for the loop thread. */
static void link_note(struct daemon *d, struct alert_item *it, const char *why)
{
	struct task *t = calloc(1, sizeof *t);
	char *text = malloc(4400);
	if (!t || !text) {
		free(t);
		free(text);
		return;
	}
	int n = (int)(it->node->rawlen < 4096 ? it->node->rawlen : 4096);
	snprintf(text, 4400, "alert linked (%s): %.*s%s", why, n, it->node->raw,
		 it->node->rawlen > 4096 ? "..." : "");
	t->kind = TASK_NOTE;
	snprintf(t->case_ref, sizeof t->case_ref, "%s", it->case_id);
	t->text = text;
	work_submit(d, t);
}

/* A link rule whose alert names a case: linked when that case exists and is
 * open (1); otherwise the alert goes on (0). A blocking read on the loop, only
 * for rules that ask for it. */
static int link_to_ref(struct daemon *d, struct alert_item *it)
{
	struct case_rec c;
	char err[256], why[100];
	if (case_get(daemon_store(d), it->pp.link_ref, &c, err, sizeof err) != 0)
		return 0;
	int open = c.status != CASE_CLOSED;
	if (open) {
		snprintf(it->case_id, sizeof it->case_id, "%s", c.id);
		it->seq = c.seq;
		it->out = O_LINKED;
		snprintf(why, sizeof why, "case %.60s", it->pp.link_ref);
		link_note(d, it, why);
	}
	case_rec_free(&c);
	return open;
}

/* The open case holding a dedupe key, when the store's answer to a submitted
 * create named none (a duplicate of a case made in the same batch). A read. */
static void case_of_key(struct daemon *d, struct alert_item *it)
{
	struct case_query cq;
	memset(&cq, 0, sizeof cq);
	cq.dedupe_key = it->pp.key;
	cq.status_mask = (1u << CASE_NEW) | (1u << CASE_ACTIVE) | (1u << CASE_PENDING);
	cq.limit = 1;
	struct case_page pg;
	char err[256];
	if (case_search(daemon_store(d), &cq, &pg, err, sizeof err) != 0)
		return;
	if (pg.n) {
		snprintf(it->case_id, sizeof it->case_id, "%s", pg.items[0].id);
		it->seq = pg.items[0].seq;
	}
	case_page_free(&pg);
}

/* On the committer thread: hand back to the loop. */
static void on_created(struct case_create_req *r, void *arg)
{
	(void)r;
	struct alert_item *it = arg;
	daemon_post(it->q->d, POST_CASE_DONE, it);
}

void ingest_case_done(struct daemon *d, void *p)
{
	(void)d;
	struct alert_item *it = p;
	struct ingest_req *q = it->q;
	struct case_rec c;
	int deduped = 0;
	char err[256];
	if (case_create_finish(it->creq, &c, &deduped, err, sizeof err) != 0) {
		it->out = O_ERROR;
		snprintf(it->err, sizeof it->err, "%s", err);
	} else {
		snprintf(it->case_id, sizeof it->case_id, "%s", c.id);
		it->seq = c.seq;
		if (deduped && !it->case_id[0] && it->pp.key[0])
			case_of_key(d, it);
		if (deduped && it->pp.link) {
			/* A link rule: an open case holds the key; the alert joins it. */
			it->out = O_LINKED;
			link_note(d, it, it->pp.key);
		} else if (deduped) {
			/* An open case already holds the key: the alert counts on it. */
			it->out = O_DUPLICATE;
			metric_add(M_ALERTS_DEDUPED, 1);
			if (it->pp.key[0]) {
				const char *ref;
				pp_window_put(daemon_window(d), it->pp.key, c.id, now_ms(),
					      it->pp.rule && it->pp.rule->window_s ? it->pp.rule->window_s : 3600);
				pp_window_hit(daemon_window(d), it->pp.key, now_ms(), &ref);
			}
		} else {
			if (it->pp.key[0] && !it->pp.link)
				pp_window_set_case(daemon_window(d), it->pp.key, c.id);
			if (it->pp.rule && it->pp.rule->close_reason) {
				it->out = O_CLOSED;    /* created closed by the rule */
				metric_add(M_ALERTS_CLOSED, 1);
			} else {
				it->out = O_CREATED;
				metric_add(M_CASES_CREATED, 1);
			}
		}
		case_rec_free(&c);
	}
	it->creq = NULL;
	if (--q->pending == 0)
		answer(q);
}

static int set_field(struct alert_item *it, const char *k, const char *v)
{
	char err[200];
	if (case_fields_set(&it->f, k, v, err, sizeof err) != 0) {
		snprintf(it->err, sizeof it->err, "%s", err);
		return -1;
	}
	return 0;
}

/* The case fields of an alert: its title/severity/owner/role/labels when it has
 * them (rules' `set` first), its type, the alert itself as source. */
static int build_fields(struct ingest_req *q, struct alert_item *it)
{
	const struct json_node *a = it->node;
	const struct pp_rule *rule = it->pp.rule;
	case_fields_init(&it->f);
	static const char *const names[] = {"title", "severity", "owner", "role", "labels"};
	const char *type = json_text(json_get(&q->doc, a, "type"));
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		const char *v = NULL;
		for (int k = 0; rule && k < rule->nset; k++)
			if (strcmp(rule->set_k[k], names[i]) == 0)
				v = rule->set_v[k];
		const struct json_node *n = json_get(&q->doc, a, names[i]);
		if (!v && n && n->type == JSON_STRING)
			v = n->str;
		if (i == 1 && v && !case_severity_parse(v))
			v = NULL; /* an alert's own severity scale: keep it in the source only */
		if (i == 0 && !v) {
			char title[300];
			const char *src = json_text(json_get(&q->doc, a, "src_ip"));
			snprintf(title, sizeof title, "%s alert%s%s", type, src ? " from " : "",
				 src ? src : "");
			if (set_field(it, "title", title) != 0)
				return -1;
			continue;
		}
		if (v && set_field(it, names[i], v) != 0)
			return -1;
	}
	char *raw = strndup(a->raw, a->rawlen);
	int rc = set_field(it, "type", type) || (raw && set_field(it, "source", raw));
	free(raw);
	if (rc)
		return -1;
	if (it->pp.key[0] && set_field(it, "dedupe_key", it->pp.key) != 0)
		return -1;
	if (rule && rule->close_reason &&
	    (set_field(it, "status", "closed") || set_field(it, "close_reason", rule->close_reason)))
		return -1;
	return 0;
}

void ingest_alerts(struct daemon *d, struct httpd_req *r, const char *user)
{
	(void)user;
	size_t len;
	const char *body = httpd_body(r, &len);
	if (metric_get(M_INFLIGHT_REQUESTS) >= MAX_INFLIGHT_REQUESTS) {
		metric_add(M_ALERTS_REJECTED, 1);
		httpd_error(r, 429, "overloaded", "too many requests waiting; retry", "Retry-After: 1");
		return;
	}
	struct ingest_req *q = calloc(1, sizeof *q);
	if (!q) {
		httpd_error(r, 503, "overloaded", "out of memory", "Retry-After: 1");
		return;
	}
	metric_add(M_INFLIGHT_REQUESTS, 1);
	q->d = d;
	q->r = r;
	q->set = daemon_playbooks(d);
	pb_set_ref(q->set);
	char err[200];
	if (json_parse(&q->doc, body, len, 0, err, sizeof err) != 0) {
		char msg[260];
		snprintf(msg, sizeof msg, "the body is not JSON: %s", err);
		httpd_error(r, 400, "bad_json", msg, NULL);
		req_free(q);
		return;
	}
	const struct json_node *root = &q->doc.n[0];
	int n = root->type == JSON_ARRAY ? root->count : 1;
	if (n == 0 || n > MAX_ALERTS_PER_REQUEST) {
		httpd_error(r, n ? 413 : 400, n ? "too_large" : "bad_request",
			    n ? "at most 10000 alerts a request" : "an empty array", NULL);
		req_free(q);
		return;
	}
	if (!daemon_queue_room(d, (size_t)n)) {
		metric_add(M_ALERTS_REJECTED, n);
		httpd_error(r, 429, "overloaded", "the run queue is full; retry", "Retry-After: 1");
		req_free(q);
		return;
	}
	q->items = calloc((size_t)n, sizeof *q->items);
	q->n = n;
	for (int i = 0; i < n; i++) {
		const struct json_node *a = root->type == JSON_ARRAY ? json_at(&q->doc, root, i) : root;
		const struct json_node *t = json_get(&q->doc, a, "type");
		if (a->type != JSON_OBJECT || !t || t->type != JSON_STRING || !t->len) {
			snprintf(err, sizeof err, "alert %d: an object with a \"type\" string", i);
			httpd_error(r, 400, "bad_alert", err, NULL);
			req_free(q);
			return;
		}
		q->items[i].node = a;
		q->items[i].q = q;
	}
	metric_add(M_ALERTS_RECEIVED, n);
	int64_t now = now_ms();
	for (int i = 0; i < n; i++) {
		struct alert_item *it = &q->items[i];
		pp_evaluate(q->set->rules, q->set->nrules, daemon_window(d), &q->doc, it->node, now, &it->pp);
		if (it->pp.action == PP_DROP) {
			it->out = O_DROPPED;
			metric_add(M_ALERTS_DROPPED, 1);
			continue;
		}
		if (it->pp.action == PP_DUPLICATE) {
			it->out = O_DUPLICATE;
			snprintf(it->case_id, sizeof it->case_id, "%s", it->pp.dup_case);
			metric_add(M_ALERTS_DEDUPED, 1);
			continue;
		}
		if (it->pp.link && it->pp.link_ref[0] && link_to_ref(d, it))
			continue;
		if (build_fields(q, it) != 0) {
			it->out = O_ERROR;
			continue;
		}
		q->pending++;
	}
	if (q->pending == 0) {
		answer(q);
		return;
	}
	httpd_suspend(r);
	for (int i = 0; i < n; i++) {
		struct alert_item *it = &q->items[i];
		if (it->out != O_PENDING)
			continue;
		it->creq = case_create_submit(daemon_store(d), &it->f, "serve:ingest", on_created, it);
		if (!it->creq) { /* out of memory: counted as done at once */
			it->out = O_ERROR;
			snprintf(it->err, sizeof it->err, "out of memory");
			if (--q->pending == 0) {
				answer(q);
				return;
			}
		}
	}
}

static void note_dups(const char *key, const char *case_ref, unsigned dups, void *ud)
{
	struct daemon *d = ud;
	struct task *t = calloc(1, sizeof *t);
	if (!t)
		return;
	t->kind = TASK_NOTE;
	snprintf(t->case_ref, sizeof t->case_ref, "%s", case_ref);
	char buf[512];
	snprintf(buf, sizeof buf, "%u duplicate alert%s (%s) within the dedupe window", dups,
		 dups == 1 ? "" : "s", key);
	t->text = strdup(buf);
	work_submit(d, t);
}

void ingest_flush_dups(struct daemon *d)
{
	if (daemon_window(d))
		pp_window_drain(daemon_window(d), note_dups, d);
}
