/* daemon_api.c - the HTTP routes of `soarctl serve`.
 *
 * Every route but /healthz needs `Authorization: Bearer TOKEN` (an API token,
 * rbac.h) whose user holds the route's permission (access.c, beside the
 * command line's: one table each). EDLs may instead use a
 * per-list token or basic auth from DATADIR/edl-auth (firewalls cannot send
 * bearer tokens); the prompt routes also accept ?t=, a per-prompt link token
 * (daemon_prompt.c), never an API token in a URL.
 * Token checks are cached for AUTH_TTL seconds: rbac_token_auth writes an audit
 * entry per use, which would put an fsync on every alert. */
#include "prompt_form.h"
#include "access_rules.h"
#include "audit.h"
#include "case.h"
#include "daemon_int.h"
#include "daemon_selfservice.h"
#include "case_breached.h"
#include "sla_watch.h"
#include "daemon_prompt.h"
#include "daemon_warroom.h"
#include "dash.h"
#include "report.h"
#include "datadir.h"
#include "edl.h"
#include "json.h"
#include "metrics.h"
#include "rbac.h"
#include "runstore.h"
#include "slack.h"
#include "store_buf.h"
#include "store_full.h"
#include "store_watch.h"
#include "timefmt.h"

#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define AUTH_TTL 10
#define AUTH_SLOTS 64

struct auth_slot {
	unsigned char hash[32];
	char user[128];
	time_t until;
};

static struct auth_slot auth_cache[AUTH_SLOTS];

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);
	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/* The user of a bearer token (cached), or NULL with err. */
static const char *token_user(struct daemon *d, const char *token, char *err, size_t errlen)
{
	unsigned char h[32];
	mbedtls_sha256_ret((const unsigned char *)token, strlen(token), h, 0);
	time_t now = time(NULL);
	struct auth_slot *slot = &auth_cache[h[0] % AUTH_SLOTS];
	if (slot->until > now && memcmp(slot->hash, h, 32) == 0)
		return slot->user;
	char user[128];
	if (rbac_token_auth(d->st, token, user, sizeof user, err, errlen) != 0)
		return NULL;
	memcpy(slot->hash, h, 32);
	snprintf(slot->user, sizeof slot->user, "%s", user);
	slot->until = now + AUTH_TTL;
	return slot->user;
}

static const char *bearer(struct httpd_req *r)
{
	const char *a = httpd_header(r, "Authorization");
	if (a && strncasecmp(a, "Bearer ", 7) == 0)
		return a + 7;
	return NULL;
}

/* Checks the token and permission; answers 401/403 itself and returns NULL. */
static const char *require(struct daemon *d, struct httpd_req *r, unsigned perm,
			   const char *token)
{
	char err[512] = "";
	if (!token)
		token = bearer(r);
	if (!token) {
		httpd_error(r, 401, "unauthorized", "give an API token: Authorization: Bearer TOKEN "
			    "(make one with: soarctl user token [USER])", "WWW-Authenticate: Bearer");
		return NULL;
	}
	const char *user = token_user(d, token, err, sizeof err);
	if (!user) {
		httpd_error(r, 401, "unauthorized", err, "WWW-Authenticate: Bearer");
		return NULL;
	}
	char actor[160];
	snprintf(actor, sizeof actor, "http:%s", user);
	/* rbac_require audits a refusal, as on the command line. */
	if (rbac_require(d->st, user, actor, perm, httpd_path(r), err, sizeof err) != 0) {
		httpd_error(r, 403, "forbidden", err, NULL);
		return NULL;
	}
	return user;
}

static void reply_buf(struct httpd_req *r, unsigned status, const char *ctype,
		      struct store_buf *b, const char *extra)
{
	httpd_reply(r, status, ctype, b->p ? b->p : "", b->len, extra);
	store_buf_free(b);
}

/* "/a/b/c" -> segments. */
static int split(const char *path, char seg[6][256])
{
	int n = 0;
	for (const char *p = path; *p && n < 6;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t l = strcspn(p, "/");
		snprintf(seg[n++], 256, "%.*s", (int)l, p);
		p += l;
	}
	return n;
}

/* ---- cases, runs, jobs ---- */

/* A case lookup that found no case: none by that number or id (1), or a
 * reference that cannot be one (a 404 too, not a store failure). */
static int case_missing(int rc, const char *err)
{
	return rc == 1 || strstr(err, "is not a case number") != NULL;
}

static void get_cases(struct daemon *d, struct httpd_req *r)
{
	struct case_query q;
	memset(&q, 0, sizeof q);
	const char *v;
	if ((v = httpd_query(r, "status"))) {
		if (strcmp(v, "open") == 0)
			q.status_mask = 1u << CASE_NEW | 1u << CASE_ACTIVE | 1u << CASE_PENDING;
		else if (case_status_parse(v))
			q.status_mask = 1u << case_status_parse(v);
		else {
			httpd_error(r, 400, "bad_request", "status must be new, active, pending, closed "
				    "or open", NULL);
			return;
		}
	}
	q.type = httpd_query(r, "type");
	q.dedupe_key = httpd_query(r, "dedupe_key");
	q.cursor = httpd_query(r, "cursor");
	if ((v = httpd_query(r, "limit"))) {
		char *end;
		unsigned long l = strtoul(v, &end, 10);
		if (!*v || *end || l == 0) {
			httpd_error(r, 400, "bad_request", "limit must be a whole number from 1 (at most "
				    "1000 are returned)", NULL);
			return;
		}
		q.limit = l;
	}
	struct case_page page;
	char err[256] = "";
	const char *br = httpd_query(r, "breached");
	int breached = br && (strcmp(br, "1") == 0 || strcmp(br, "true") == 0);
	if ((breached ? case_search_breached(d->st, &q, now_ms(), 100000, &page, err, sizeof err)
		      : case_search(d->st, &q, &page, err, sizeof err)) != 0) {
		/* a cursor this query did not give is the client's mistake */
		int bad_cursor = q.cursor && strstr(err, "cursor") != NULL;
		httpd_error(r, bad_cursor ? 400 : 500, bad_cursor ? "bad_request" : "store", err, NULL);
		return;
	}
	struct store_buf b = {0};
	store_buf_str(&b, "{\"cases\":[");
	for (size_t i = 0; i < page.n; i++) {
		if (i)
			store_buf_str(&b, ",");
		case_rec_json(&page.items[i], now_ms(), &b);
	}
	store_buf_str(&b, "],\"next\":");
	store_buf_json(&b, page.next);
	store_buf_str(&b, "}");
	case_page_free(&page);
	reply_buf(r, 200, "application/json", &b, NULL);
}

static void get_case(struct daemon *d, struct httpd_req *r, const char *ref)
{
	struct case_rec c;
	char err[256] = "";
	int rc = case_get(d->st, ref, &c, err, sizeof err);
	if (rc != 0) {
		httpd_error(r, case_missing(rc, err) ? 404 : 500, case_missing(rc, err) ? "not_found" : "store", err, NULL);
		return;
	}
	struct store_buf b = {0};
	case_rec_json(&c, now_ms(), &b);
	b.len--;        /* reopen the object: the task SLAs and the escalation */
	sla_case_json(d->st, c.seq, now_ms(), &b);
	store_buf_str(&b, "}");
	case_rec_free(&c);
	reply_buf(r, 200, "application/json", &b, NULL);
}


/* A JSON object of case fields into f: strings, numbers and booleans as text,
 * objects (custom, source) as their JSON, lists (labels) joined with commas. */
static int fields_from_json(const char *body, size_t len, struct case_fields *f, char *err,
			    size_t errlen)
{
	struct json_doc doc;
	if (json_parse(&doc, body, len, 0, err, errlen) != 0)
		return -1;
	const struct json_node *o = &doc.n[0];
	int rc = 0;
	if (o->type != JSON_OBJECT) {
		snprintf(err, errlen, "expected a JSON object of case fields");
		rc = -1;
	}
	for (int k = o->type == JSON_OBJECT ? o->child : -1; rc == 0 && k >= 0; k = doc.n[k].next) {
		const struct json_node *v = &doc.n[k];
		struct store_buf b = {0};
		if (v->type == JSON_ARRAY) {
			for (int i = 0; i < v->count; i++) {
				const char *t = json_text(json_at(&doc, v, i));
				store_buf_printf(&b, "%s%s", i ? "," : "", t ? t : "");
			}
		} else if (v->type == JSON_OBJECT) {
			store_buf_add(&b, v->raw, v->rawlen);
		} else {
			store_buf_str(&b, json_text(v));
		}
		const char *text = store_buf_cstr(&b);
		rc = case_fields_set(f, v->key, text ? text : "", err, errlen);
		store_buf_free(&b);
	}
	json_doc_free(&doc);
	return rc;
}

/* POST /api/v1/cases, POST /api/v1/cases/REF (update), POST .../REF/close.
 * Blocking writes on the loop thread (one commit, a few ms): these are people's
 * and tools' calls, not the alert path. */
static void write_case(struct daemon *d, struct httpd_req *r, const char *user, const char *ref,
		       int close)
{
	size_t len;
	const char *body = httpd_body(r, &len);
	char err[512] = "", actor[160];
	snprintf(actor, sizeof actor, "http:%s", user);
	struct case_rec c;
	int rc;
	if (close) {
		struct json_doc doc;
		const char *reason = NULL;
		if (json_parse(&doc, body, len, 0, err, sizeof err) == 0)
			reason = json_text(json_get(&doc, &doc.n[0], "reason"));
		rc = reason ? case_close(d->st, ref, reason, actor, &c, err, sizeof err) : -2;
		if (rc == -2)
			snprintf(err, sizeof err, "expected {\"reason\": \"...\"}");
		json_doc_free(&doc);
	} else {
		struct case_fields f;
		case_fields_init(&f);
		rc = fields_from_json(body, len, &f, err, sizeof err);
		int deduped = 0;
		if (rc == 0)
			rc = ref ? case_update(d->st, ref, &f, actor, &c, err, sizeof err)
				 : case_create(d->st, &f, actor, &c, &deduped, err, sizeof err);
		case_fields_free(&f);
	}
	if (rc != 0) {
		httpd_error(r, rc == 1 ? 404 : 400, rc == 1 ? "not_found" : "refused", err, NULL);
		return;
	}
	struct store_buf b = {0};
	case_rec_json(&c, now_ms(), &b);
	case_rec_free(&c);
	reply_buf(r, ref ? 200 : 201, "application/json", &b, NULL);
}

/* GET .../cases/REF/timeline[?from=N&limit=N] and .../children; POST
 * .../cases/REF/notes ({"text", "kind"?, "data"?}) and .../links ({"case",
 * "relation"?}): `soarctl case show`, `children`, `note` and `link`. */
static void case_sub(struct daemon *d, struct httpd_req *r, const char *user, const char *ref,
		     const char *sub)
{
	char err[512] = "", actor[160];
	struct store_buf b = {0};
	snprintf(actor, sizeof actor, "http:%s", user);
	if (strcmp(sub, "timeline") == 0) {
		const char *f = httpd_query(r, "from"), *l = httpd_query(r, "limit");
		struct case_entry *e = NULL;
		size_t n = 0;
		int rc = case_timeline(d->st, ref, f ? (uint32_t)strtoul(f, NULL, 10) : 1,
				       l ? strtoul(l, NULL, 10) : 0, &e, &n, err, sizeof err);
		if (rc != 0) {
			httpd_error(r, case_missing(rc, err) ? 404 : 500, case_missing(rc, err) ? "not_found" : "store", err, NULL);
			return;
		}
		store_buf_str(&b, "{\"entries\":[");
		for (size_t i = 0; i < n; i++) {
			if (i)
				store_buf_str(&b, ",");
			case_entry_json(&e[i], &b);
		}
		store_buf_str(&b, "]}");
		case_entries_free(e, n);
		free(e);
		reply_buf(r, 200, "application/json", &b, NULL);
		return;
	}
	if (strcmp(sub, "children") == 0) {
		struct case_rec c;
		int rc = case_get(d->st, ref, &c, err, sizeof err);
		if (rc != 0) {
			httpd_error(r, case_missing(rc, err) ? 404 : 500, case_missing(rc, err) ? "not_found" : "store", err, NULL);
			return;
		}
		struct case_query q;
		memset(&q, 0, sizeof q);
		q.parent = c.seq;
		q.limit = 1000;
		case_rec_free(&c);
		struct case_page page;
		if (case_search(d->st, &q, &page, err, sizeof err) != 0) {
			httpd_error(r, 500, "store", err, NULL);
			return;
		}
		store_buf_str(&b, "{\"cases\":[");
		for (size_t i = 0; i < page.n; i++) {
			if (i)
				store_buf_str(&b, ",");
			case_rec_json(&page.items[i], now_ms(), &b);
		}
		store_buf_str(&b, "]}");
		case_page_free(&page);
		reply_buf(r, 200, "application/json", &b, NULL);
		return;
	}
	size_t len;
	const char *body = httpd_body(r, &len);
	struct json_doc doc;
	memset(&doc, 0, sizeof doc);
	if (json_parse(&doc, body, len, 0, err, sizeof err) != 0 || doc.n[0].type != JSON_OBJECT) {
		int parsed = doc.n != NULL;
		json_doc_free(&doc);
		httpd_error(r, 400, "bad_json", parsed ? "expected a JSON object" : err, NULL);
		return;
	}
	const struct json_node *o = &doc.n[0];
	int rc;
	if (strcmp(sub, "notes") == 0) {
		const char *text = json_text(json_get(&doc, o, "text"));
		const char *k = json_text(json_get(&doc, o, "kind"));
		const struct json_node *data = json_get(&doc, o, "data");
		int kind = k ? case_entry_kind_parse(k) : CASE_ENTRY_NOTE;
		char *dj = data && data->type != JSON_NULL ? strndup(data->raw, data->rawlen) : NULL;
		uint32_t no = 0;
		if (!text || !kind)
			rc = -2, snprintf(err, sizeof err, "expected {\"text\": \"...\"} (kind: note, "
					  "command, result, prompt or answer; data: JSON)");
		else
			rc = case_note(d->st, ref, kind, actor, text, dj, &no, err, sizeof err);
		free(dj);
		if (rc == 0)
			store_buf_printf(&b, "{\"entry\":%u}", no);
	} else {
		const char *other = json_text(json_get(&doc, o, "case"));
		const char *rel = json_text(json_get(&doc, o, "relation"));
		if (!other)
			rc = -2, snprintf(err, sizeof err, "expected {\"case\": REF, \"relation\": "
					  "\"related|parent|child\"}");
		else
			rc = case_link(d->st, ref, other, rel ? rel : "related", actor, err, sizeof err);
		if (rc == 0)
			store_buf_str(&b, "{\"linked\":true}");
	}
	json_doc_free(&doc);
	if (rc != 0) {
		store_buf_free(&b);
		int nf = rc == 1 || strstr(err, "not a case number") || strstr(err, "no case");
		httpd_error(r, nf ? 404 : 400, nf ? "not_found" : "refused", err, NULL);
		return;
	}
	reply_buf(r, strcmp(sub, "notes") == 0 ? 201 : 200, "application/json", &b, NULL);
}

/* POST /api/v1/runs/ID/resume: `soarctl runs resume`, handed to the workers (the
 * daemon resumes due runs by itself; this asks for one now). A waiting run
 * whose wait is not over replays to its wait and parks again. */
static void resume_run(struct daemon *d, struct httpd_req *r, const char *id)
{
	struct run_rec x;
	char err[256] = "";
	if (run_get(d->st, id, &x, err, sizeof err) != 0) {
		httpd_error(r, 404, "not_found", err, NULL);
		return;
	}
	int st = x.status;
	char rid[37];
	snprintf(rid, sizeof rid, "%s", x.id);
	run_rec_free(&x);
	if (st != RUN_WAITING) {
		snprintf(err, sizeof err, "run %s is %s; only waiting runs resume over HTTP", rid,
			 run_status_name(st));
		httpd_error(r, 409, "refused", err, NULL);
		return;
	}
	if (daemon_resume(d, rid) < 0) {   /* 1, already on its way, is queued too */
		httpd_error(r, 429, "overloaded", "the run queue is full; retry", "Retry-After: 1");
		return;
	}
	httpd_reply(r, 202, "application/json", "{\"queued\":true}", 15, NULL);
}

static void run_json(const struct run_rec *x, struct store_buf *b)
{
	store_buf_printf(b, "{\"id\":\"%s\",\"playbook\":", x->id);
	store_buf_json(b, x->playbook ? x->playbook : "");
	store_buf_printf(b, ",\"status\":\"%s\",\"case\":", run_status_name(x->status));
	if (x->case_ref)
		store_buf_json(b, x->case_ref);
	else
		store_buf_str(b, "null");
	store_buf_printf(b, ",\"created\":%lld,\"updated\":%lld,\"finished\":%lld,\"steps\":%u",
			 (long long)x->created, (long long)x->updated, (long long)x->finished,
			 x->steps);
	if (x->wait_kind) {
		store_buf_str(b, ",\"wait\":");
		store_buf_json(b, x->wait_kind);
	}
	if (x->wait_prompt)
		store_buf_printf(b, ",\"prompt\":\"%s\"", x->wait_prompt);
	store_buf_printf(b, ",\"result\":%s,\"error\":%s}", x->result_json ? x->result_json : "null",
			 x->error_json ? x->error_json : "null");
}

/* GET /api/v1/runs/ID/steps: the journal, as `soarctl runs show --json`. */
static void get_steps(struct daemon *d, struct httpd_req *r, const char *id)
{
	char err[256] = "";
	struct run_rec x;
	if (run_get(d->st, id, &x, err, sizeof err) != 0) {
		httpd_error(r, 404, "not_found", err, NULL);
		return;
	}
	struct journal_entry *j = NULL;
	size_t n = 0;
	int rc = journal_load(d->st, x.id, &j, &n, err, sizeof err);
	run_rec_free(&x);
	if (rc != 0) {
		httpd_error(r, 500, "store", err, NULL);
		return;
	}
	struct store_buf b = {0};
	store_buf_str(&b, "{\"steps\":[");
	for (size_t i = 0; i < n; i++) {
		store_buf_printf(&b, "%s{\"no\":%u,\"name\":", i ? "," : "", j[i].no);
		store_buf_json(&b, j[i].name ? j[i].name : "");
		store_buf_str(&b, ",\"args\":");
		if (j[i].args)
			store_buf_json(&b, j[i].args);
		else
			store_buf_str(&b, "null");
		store_buf_str(&b, ",\"task\":");
		if (j[i].task)
			store_buf_json(&b, j[i].task);
		else
			store_buf_str(&b, "null");
		store_buf_printf(&b, ",\"result\":%s,\"error\":",
				 j[i].result_json ? j[i].result_json : "null");
		if (j[i].error)
			store_buf_json(&b, j[i].error);
		else
			store_buf_str(&b, "null");
		store_buf_printf(&b, ",\"started_ms\":%lld}", (long long)j[i].started);
	}
	store_buf_str(&b, "]}");
	journal_entries_free(j, n);
	reply_buf(r, 200, "application/json", &b, NULL);
}

static void get_runs(struct daemon *d, struct httpd_req *r, const char *id)
{
	char err[256] = "";
	struct store_buf b = {0};
	if (id) {
		struct run_rec x;
		if (run_get(d->st, id, &x, err, sizeof err) != 0) {
			httpd_error(r, 404, "not_found", err, NULL);
			return;
		}
		run_json(&x, &b);
		run_rec_free(&x);
		reply_buf(r, 200, "application/json", &b, NULL);
		return;
	}
	const char *v = httpd_query(r, "status"), *l = httpd_query(r, "limit");
	struct run_rec *runs = NULL;
	size_t n = 0;
	if (run_list(d->st, v ? run_status_parse(v) : 0, l ? strtoul(l, NULL, 10) : 100, &runs, &n,
		     err, sizeof err) != 0) {
		httpd_error(r, 500, "store", err, NULL);
		return;
	}
	store_buf_str(&b, "{\"runs\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			store_buf_str(&b, ",");
		run_json(&runs[i], &b);
		run_rec_free(&runs[i]);
	}
	free(runs);
	store_buf_str(&b, "]}");
	reply_buf(r, 200, "application/json", &b, NULL);
}

static void jobs_route(struct daemon *d, struct httpd_req *r, int n, char seg[6][256])
{
	char err[256] = "";
	if (n == 3 && strcmp(httpd_method(r), "GET") == 0) {
		struct store_buf b = {0};
		store_buf_str(&b, "{\"jobs\":");
		if (jobs_list_json(d->st, &b, 1, err, sizeof err) != 0) {
			store_buf_free(&b);
			httpd_error(r, 500, "store", err, NULL);
			return;
		}
		store_buf_str(&b, "}");
		reply_buf(r, 200, "application/json", &b, NULL);
		return;
	}
	if (n == 5 && strcmp(httpd_method(r), "POST") == 0) {
		int rc;
		if (strcmp(seg[4], "run") == 0)
			rc = jobs_fire_now(d->sched, seg[3], err, sizeof err);
		else if (strcmp(seg[4], "pause") == 0 || strcmp(seg[4], "resume") == 0)
			rc = jobs_set_paused(d->st, seg[3], seg[4][0] == 'p', err, sizeof err);
		else {
			httpd_error(r, 404, "not_found", "POST /api/v1/jobs/NAME/run|pause|resume", NULL);
			return;
		}
		if (rc != 0) {
			httpd_error(r, 404, "not_found", err, NULL);
			return;
		}
		httpd_reply(r, 200, "application/json", "{\"ok\":true}", 11, NULL);
		return;
	}
	httpd_error(r, 405, "method_not_allowed", "GET /api/v1/jobs, POST /api/v1/jobs/NAME/ACTION",
		    NULL);
}

/* ---- prompts: daemon_prompt.c ---- */


/* A form value (application/x-www-form-urlencoded), decoded into out. */
int form_value(const char *body, size_t len, const char *name, char *out, size_t outlen)
{
	size_t nl = strlen(name);
	for (const char *p = body, *end = body + len; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;
		if ((size_t)(e - p) > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
			size_t o = 0;
			for (const char *s = p + nl + 1; s < e && o + 1 < outlen; s++) {
				if (*s == '+')
					out[o++] = ' ';
				else if (*s == '%' && e - s > 2) {
					char hex[3] = {s[1], s[2], 0};
					out[o++] = (char)strtol(hex, NULL, 16);
					s += 2;
				} else
					out[o++] = *s;
			}
			out[o] = 0;
			return 1;
		}
		p = e + 1;
	}
	return 0;
}


/* ---- EDL ---- */

/* DATADIR/edl-auth: "LIST token TOKEN" or "LIST basic USER PASSWORD" lines. */
static int edl_own_auth(struct httpd_req *r, const char *list)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/edl-auth", datadir_get() ? datadir_get() : ".");
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	struct stat sb;
	if (fstat(fileno(f), &sb) != 0 || (sb.st_mode & 077)) { /* others could read it */
		fclose(f);
		return 0;
	}
	const char *authz = httpd_header(r, "Authorization");
	const char *qtok = httpd_query(r, "token");
	char line[1024];
	int ok = 0;
	while (!ok && fgets(line, sizeof line, f)) {
		char name[128], kind[16], a[256], b[256] = "";
		int n = sscanf(line, "%127s %15s %255s %255s", name, kind, a, b);
		if (n < 3 || strcmp(name, list) != 0)
			continue;
		if (strcmp(kind, "token") == 0) {
			const char *t = authz && strncasecmp(authz, "Bearer ", 7) == 0 ? authz + 7 : qtok;
			ok = t && ct_equal(t, a);
		} else if (strcmp(kind, "basic") == 0 && n == 4 && authz &&
			   strncasecmp(authz, "Basic ", 6) == 0) {
			char user[256], pass[256];
			ok = httpd_basic_auth(r, user, sizeof user, pass, sizeof pass) == 0 &&
			     ct_equal(user, a) & ct_equal(pass, b);
		}
	}
	fclose(f);
	return ok;
}

struct edl_out {
	struct store_buf b;
	unsigned char hash[32];
};

static int edl_line(const struct edl_entry *e, void *ud)
{
	struct edl_out *o = ud;
	store_buf_str(&o->b, e->value);
	store_buf_str(&o->b, "\n");
	return 0;
}

static void get_edl(struct daemon *d, struct httpd_req *r, const char *name)
{
	struct edl_out o;
	memset(&o, 0, sizeof o);
	char err[256] = "";
	int rc = edl_each(d->st, name, NULL, edl_line, &o, err, sizeof err);
	if (rc != 0) {
		store_buf_free(&o.b);
		httpd_error(r, rc == EDL_NOT_FOUND ? 404 : 500, rc == EDL_NOT_FOUND ? "not_found" : "store",
			    err, NULL);
		return;
	}
	mbedtls_sha256_ret((const unsigned char *)(o.b.p ? o.b.p : ""), o.b.len, o.hash, 0);
	char etag[40], extra[128];
	snprintf(etag, sizeof etag, "\"");
	for (int i = 0; i < 12; i++)
		snprintf(etag + 1 + 2 * i, sizeof etag - 1 - 2 * (size_t)i, "%02x", o.hash[i]);
	strcat(etag, "\"");
	snprintf(extra, sizeof extra, "ETag: %s\nCache-Control: no-cache", etag);
	const char *inm = httpd_header(r, "If-None-Match");
	if (inm && (strstr(inm, etag) || strcmp(inm, "*") == 0)) {
		store_buf_free(&o.b);
		httpd_reply(r, 304, NULL, "", 0, extra);
		return;
	}
	reply_buf(r, 200, "text/plain; charset=utf-8", &o.b, extra);
}

/* GET /api/v1/report?since=30d&format=json|html|text: `soarctl report` over
 * HTTP (the monthly_report playbook fetches the HTML to mail it). */
static void get_report(struct daemon *d, struct httpd_req *r)
{
	const char *since = httpd_query(r, "since"), *fmt = httpd_query(r, "format");
	int64_t span;
	if (report_parse_since(since ? since : "30d", &span) != 0) {
		httpd_error(r, 400, "bad_request", "since takes a duration up to a year: 30d, 12h, 2w, "
			    "90m", NULL);
		return;
	}
	enum report_format f = REPORT_JSON;
	if (fmt && strcmp(fmt, "html") == 0)
		f = REPORT_HTML;
	else if (fmt && strcmp(fmt, "text") == 0)
		f = REPORT_TEXT;
	else if (fmt && strcmp(fmt, "json") != 0) {
		httpd_error(r, 400, "bad_request", "format is json, html or text", NULL);
		return;
	}
	struct store_buf b = {0};
	char err[256] = "";
	if (report_build(d->st, d->set, span, now_ms(), f, 0, &b, err, sizeof err) != 0) {
		store_buf_free(&b);
		httpd_error(r, 500, "store", err, NULL);
		return;
	}
	reply_buf(r, 200, f == REPORT_HTML ? "text/html; charset=utf-8" : f == REPORT_TEXT ?
		  "text/plain; charset=utf-8" : "application/json", &b,
		  f == REPORT_HTML ? "Content-Security-Policy: default-src 'none'; style-src "
		  "'unsafe-inline'\nX-Content-Type-Options: nosniff" : NULL);
}

/* ---- the router ---- */

/* Routing and authentication happen at a request's head (api_gate), before any
 * of its body is read: an unauthenticated client can make the daemon hold no
 * body, and no route can forget its check. api_handle, once the body is in,
 * routes the same way and runs the route. */
enum route_id {
	R_NONE, R_HEALTHZ, R_METRICS, R_EDL, R_PROMPT_FORM, R_SLACK, R_ALERTS, R_ANSWER,
	R_CASE_SUB, R_CASE_WRITE, R_RUN_RESUME, R_RUN_STEPS, R_RUN_CANCEL, R_CASES, R_RUNS,
	R_JOBS, R_JOB_ACTION, R_WARROOM, R_OPENAPI, R_DASH, R_REPORT,
	/* self-service and attachments (daemon_selfservice.c) */
	R_FORMS, R_FORM_PAGE, R_FORM_SUBMIT, R_FORM_LOGIN, R_PB_RUNS, R_ATTACHMENT
};

/* docs/openapi.json, embedded by the build (CMakeLists.txt). */
extern const unsigned char soar_openapi_json[];
extern const size_t soar_openapi_json_len;
enum route_auth {
	AUTH_NONE,
	AUTH_TOKEN,   /* Authorization: Bearer */
	AUTH_PROMPT,  /* bearer, or ?t= a per-prompt link token (emailed links) */
	AUTH_EDL,     /* the list's own token or basic auth (edl-auth), or a bearer token */
	AUTH_SLACK,   /* Slack's signature over the body: checked with the body, small */
	AUTH_FORM,    /* the forms' session cookie or a bearer token; the pages answer a
	               * sign-in page without either, a post is refused (401) */
	AUTH_LOGIN,   /* none: the sign-in post itself (a token in a small body) */
	AUTH_DASH     /* the dashboard's session cookie (dash.c checks it and the role) */
};

struct route {
	enum route_id id;
	enum route_auth auth;
	unsigned perm;
	int body;              /* takes a body */
	unsigned status;       /* R_NONE: 404 or 405, with msg */
	const char *msg;
};

#define SLACK_MAX_BODY (64u << 10)  /* Slack's payloads are a few KiB */
#define LOGIN_MAX_BODY 4096u          /* a token and where to go next */

static void resolve(const char *m, char seg[6][256], int n, struct route *rt)
{
	int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0, post = strcmp(m, "POST") == 0;
	memset(rt, 0, sizeof *rt);
	rt->status = 404;
	rt->msg = "no such endpoint";
#define TO(i, a, p, b) (rt->id = (i), rt->auth = (a), rt->perm = (p), rt->body = (b))
	if (n == 0 || strcmp(seg[0], "ui") == 0)
		TO(R_DASH, AUTH_DASH, 0, 1);
	else if (n == 1 && strcmp(seg[0], "healthz") == 0 && get)
		TO(R_HEALTHZ, AUTH_NONE, 0, 0);
	else if (n == 1 && strcmp(seg[0], "metrics") == 0 && get)
		TO(R_METRICS, AUTH_TOKEN, access_route_perm(ROUTE_METRICS), 0);
	else if (n == 2 && strcmp(seg[0], "edl") == 0 && get) {
		if (edl_name_ok(seg[1]))
			TO(R_EDL, AUTH_EDL, access_route_perm(ROUTE_EDL), 0);
		else
			rt->msg = "no such list";
	} else if (n == 2 && strcmp(seg[0], "prompts") == 0 && get)
		TO(R_PROMPT_FORM, AUTH_PROMPT, access_route_perm(ROUTE_PROMPT_FORM), 0);
	else if (n == 2 && strcmp(seg[0], "slack") == 0 && strcmp(seg[1], "interactive") == 0 && post)
		TO(R_SLACK, AUTH_SLACK, 0, 1);
	else if (n == 1 && strcmp(seg[0], "forms") == 0 && get)
		TO(R_FORMS, AUTH_FORM, access_route_perm(ROUTE_FORMS), 0);
	else if (n == 2 && strcmp(seg[0], "forms") == 0 && strcmp(seg[1], "login") == 0 && post)
		TO(R_FORM_LOGIN, AUTH_LOGIN, 0, 1);
	else if (n == 2 && strcmp(seg[0], "forms") == 0 && get)
		TO(R_FORM_PAGE, AUTH_FORM, access_route_perm(ROUTE_FORMS), 0);
	else if (n == 2 && strcmp(seg[0], "forms") == 0 && post)
		TO(R_FORM_SUBMIT, AUTH_FORM, access_route_perm(ROUTE_FORMS), 1);
	else if (n >= 3 && strcmp(seg[0], "api") == 0 && strcmp(seg[1], "v1") == 0) {
		const char *what = seg[2];
		int cases = strcmp(what, "cases") == 0, runs = strcmp(what, "runs") == 0;
		if (strcmp(what, "openapi.json") == 0 && n == 3 && get)
			TO(R_OPENAPI, AUTH_TOKEN, 0, 0);  /* any user, any role */
		else if (strcmp(what, "alerts") == 0 && n == 3 && post)
			TO(R_ALERTS, AUTH_TOKEN, access_route_perm(ROUTE_ALERTS), 1);
		else if (strcmp(what, "prompts") == 0 && n == 5 && strcmp(seg[4], "answer") == 0 && post)
			TO(R_ANSWER, AUTH_PROMPT, access_route_perm(ROUTE_PROMPT_ANSWER), 1);
		else if (cases && n == 5 && post &&
			 (strcmp(seg[4], "notes") == 0 || strcmp(seg[4], "links") == 0))
			TO(R_CASE_SUB, AUTH_TOKEN, access_route_perm(ROUTE_CASES_WRITE), 1);
		else if (cases && n == 5 && get &&
			 (strcmp(seg[4], "timeline") == 0 || strcmp(seg[4], "children") == 0))
			TO(R_CASE_SUB, AUTH_TOKEN, access_route_perm(ROUTE_CASES_READ), 0);
		else if (cases && post && n == 5 && strcmp(seg[4], "warroom") == 0)
			TO(R_WARROOM, AUTH_TOKEN, access_route_perm(ROUTE_WARROOM), 1);
		else if (cases && post && n == 5 && strcmp(seg[4], "close") != 0)
			rt->msg = "POST /api/v1/cases/REF/close|notes|links|warroom";
		else if (cases && post && n <= 5)
			TO(R_CASE_WRITE, AUTH_TOKEN, access_route_perm(ROUTE_CASES_WRITE), 1);
		else if (runs && post && n == 5 && strcmp(seg[4], "resume") == 0)
			TO(R_RUN_RESUME, AUTH_TOKEN, access_route_perm(ROUTE_RUNS_CONTROL), 1);
		else if (runs && get && n == 5 && strcmp(seg[4], "steps") == 0)
			TO(R_RUN_STEPS, AUTH_TOKEN, access_route_perm(ROUTE_RUNS_READ), 0);
		else if (runs && post && n == 5 && strcmp(seg[4], "cancel") == 0)
			TO(R_RUN_CANCEL, AUTH_TOKEN, access_route_perm(ROUTE_RUNS_CONTROL), 1);
		else if (cases && get && n == 6 && strcmp(seg[4], "attachments") == 0)
			TO(R_ATTACHMENT, AUTH_TOKEN, access_route_perm(ROUTE_CASES_READ), 0);
		else if (strcmp(what, "playbooks") == 0 && n == 5 && strcmp(seg[4], "runs") == 0 && post)
			TO(R_PB_RUNS, AUTH_TOKEN, access_route_perm(ROUTE_PLAYBOOK_START), 1);
		else if (cases && get && n <= 4)
			TO(R_CASES, AUTH_TOKEN, access_route_perm(ROUTE_CASES_READ), 0);
		else if (strcmp(what, "report") == 0 && n == 3 && get)
			TO(R_REPORT, AUTH_TOKEN, access_route_perm(ROUTE_CASES_READ), 0);
		else if (runs && get && n <= 4)
			TO(R_RUNS, AUTH_TOKEN, access_route_perm(ROUTE_RUNS_READ), 0);
		else if (strcmp(what, "jobs") == 0) {
			if (n == 3 && strcmp(m, "GET") == 0)
				TO(R_JOBS, AUTH_TOKEN, access_route_perm(ROUTE_JOBS_READ), 0);
			else if (n == 5 && strcmp(m, "POST") == 0) {
				if (strcmp(seg[4], "run") == 0 || strcmp(seg[4], "pause") == 0 ||
				    strcmp(seg[4], "resume") == 0)
					TO(R_JOB_ACTION, AUTH_TOKEN, access_route_perm(ROUTE_JOBS_MANAGE), 1);
				else
					rt->msg = "POST /api/v1/jobs/NAME/run|pause|resume";
			} else {
				rt->status = 405;
				rt->msg = "GET /api/v1/jobs, POST /api/v1/jobs/NAME/ACTION";
			}
		}
	}
#undef TO
}

void api_gate(struct httpd_req *r, void *ud)
{
	struct daemon *d = ud;
	char seg[6][256];
	int n = split(httpd_path(r), seg);
	struct route rt;
	resolve(httpd_method(r), seg, n, &rt);
	metric_add(M_HTTP_REQUESTS, 1);
	if (rt.id == R_EDL || (n == 2 && strcmp(seg[0], "edl") == 0))
		metric_add(M_EDL_REQUESTS, 1);
	if (rt.id == R_NONE) {
		httpd_error(r, rt.status, rt.status == 405 ? "method_not_allowed" : "not_found", rt.msg,
			    NULL);
		return;
	}
	if (!rt.body)
		httpd_set_body_limit(r, 0);
	const char *user = NULL;
	switch (rt.auth) {
	case AUTH_NONE:
		return;
	case AUTH_DASH:
		dash_gate(d, r);
		return;
	case AUTH_TOKEN:
		user = require(d, r, rt.perm, NULL);
		break;
	case AUTH_PROMPT: {
		/* A per-prompt link (?t=), else a bearer token; never an API token
		 * in the URL (daemon_prompt.c). */
		int lk = dprompt_gate_link(d, r, rt.id == R_ANSWER ? seg[3] : seg[1]);
		if (lk)
			return;
		user = require(d, r, rt.perm, NULL);
		break;
	}
	case AUTH_EDL:
		if (edl_own_auth(r, seg[1]))
			return;
		user = require(d, r, rt.perm, NULL);
		break;
	case AUTH_LOGIN:
		httpd_set_body_limit(r, LOGIN_MAX_BODY);
		return;
	case AUTH_FORM: {
		/* A bearer token wins; else the session cookie; else the pages show
		 * the sign-in page and a post is refused before its body is read. */
		const char *su = bearer(r) ? NULL : ss_session_user(r);
		if (su) {
			char err[256] = "", actor[160];
			snprintf(actor, sizeof actor, "http:%s", su);
			if (rbac_require(d->st, su, actor, rt.perm, httpd_path(r), err, sizeof err) != 0) {
				httpd_error(r, 403, "forbidden", err, NULL);
				return;
			}
			user = su;
		} else if (httpd_header(r, "Authorization")) {
			user = require(d, r, rt.perm, NULL);
		} else if (rt.body) {
			httpd_error(r, 401, "unauthorized", "sign in at GET /forms (or give "
				    "Authorization: Bearer TOKEN)", "WWW-Authenticate: Bearer");
			return;
		}
		break;
	}
	case AUTH_SLACK: {
		/* The signature covers the body, so the body is read, but only with
		 * the signature's headers there, and only a small one. */
		const char *secret = getenv("SOARCTL_SLACK_SIGNING_SECRET");
		if (!secret || !*secret)
			httpd_error(r, 503, "not_configured", "no Slack signing secret "
				    "(SOARCTL_SLACK_SIGNING_SECRET)", NULL);
		else if (!httpd_header(r, "X-Slack-Request-Timestamp") ||
			 !httpd_header(r, "X-Slack-Signature"))
			httpd_error(r, 401, "unauthorized", "no Slack signature (X-Slack-Signature, "
				    "X-Slack-Request-Timestamp)", NULL);
		else
			httpd_set_body_limit(r, SLACK_MAX_BODY);
		return;
	}
	}
	if (user)
		httpd_set_user(r, user);
	/* a full data directory: writes get 507 at once (store_watch.c) */
	char full[4800];
	const char *m = httpd_method(r);
	if (user && strcmp(m, "GET") && strcmp(m, "HEAD") && store_watch_refuse(d->st, (int64_t)(timefmt_now() * 1000), full,
						 sizeof full))
		httpd_error(r, 507, "insufficient_storage", full, "Retry-After: 5");
}

void api_handle(struct httpd_req *r, void *ud)
{
	struct daemon *d = ud;
	char seg[6][256];
	int n = split(httpd_path(r), seg);
	struct route rt;
	resolve(httpd_method(r), seg, n, &rt);
	const char *user = httpd_user(r);
	/* Fail closed: a route that needs a user and has none never runs (the
	 * gate answers first; this holds if it ever did not run). */
	if (rt.id == R_NONE || ((rt.auth == AUTH_TOKEN || rt.auth == AUTH_PROMPT ||
				 (rt.auth == AUTH_FORM && rt.body)) && !user)) {
		httpd_error(r, rt.id == R_NONE ? rt.status : 401,
			    rt.id == R_NONE ? "not_found" : "unauthorized",
			    rt.id == R_NONE ? rt.msg : "not authenticated", NULL);
		return;
	}
	char err[256] = "";
	switch (rt.id) {
	case R_NONE:
		break;
	case R_HEALTHZ:
		if (d->stopping) {
			httpd_error(r, 503, "stopping", "the daemon is stopping", NULL);
		} else if (store_full(d->st)) {
			char full[4800];
			store_watch_message(d->st, full, sizeof full);
			httpd_error(r, 507, "store_full", full, NULL);
		} else
			httpd_reply(r, 200, "application/json", "{\"status\":\"ok\"}", 15, NULL);
		break;
	case R_METRICS: {
		struct store_buf b = {0};
		metrics_render(&b);
		reply_buf(r, 200, "text/plain; version=0.0.4", &b, NULL);
		break;
	}
	case R_EDL:
		get_edl(d, r, seg[1]);
		break;
	case R_PROMPT_FORM:
		dprompt_form(d, r, seg[1]);
		break;
	case R_SLACK:
		dprompt_slack(d, r);
		break;
	case R_ALERTS:
		ingest_alerts(d, r, user);
		break;
	case R_ANSWER:
		dprompt_answer(d, r, seg[3]);
		break;
	case R_CASE_SUB:
		case_sub(d, r, user, seg[3], seg[4]);
		break;
	case R_CASE_WRITE:
		write_case(d, r, user, n >= 4 ? seg[3] : NULL, n == 5);
		break;
	case R_RUN_RESUME:
		resume_run(d, r, seg[3]);
		break;
	case R_RUN_STEPS:
		get_steps(d, r, seg[3]);
		break;
	case R_RUN_CANCEL:
		if (run_cancel(d->st, seg[3], err, sizeof err) != 0)
			httpd_error(r, strncmp(err, "no run", 6) == 0 ? 404 : 409,
				    strncmp(err, "no run", 6) == 0 ? "not_found" : "refused", err, NULL);
		else
			httpd_reply(r, 200, "application/json", "{\"ok\":true}", 11, NULL);
		break;
	case R_CASES:
		if (n == 3)
			get_cases(d, r);
		else
			get_case(d, r, seg[3]);
		break;
	case R_RUNS:
		get_runs(d, r, n == 4 ? seg[3] : NULL);
		break;
	case R_JOBS:
	case R_JOB_ACTION:
		jobs_route(d, r, n, seg);
		break;
	case R_WARROOM:
		warroom_api(d, r, user, seg[3]);
		break;
	case R_FORMS:
		ss_forms_list(d, r, user);
		break;
	case R_FORM_PAGE:
		ss_form_page(d, r, seg[1], user);
		break;
	case R_FORM_SUBMIT:
		ss_form_submit(d, r, seg[1], user);
		break;
	case R_FORM_LOGIN:
		ss_login(d, r);
		break;
	case R_PB_RUNS:
		ss_api_start(d, r, seg[3], user);
		break;
	case R_ATTACHMENT:
		ss_attachment(d, r, seg[3], seg[5]);
		break;
	case R_OPENAPI:
		httpd_reply(r, 200, "application/json", (const char *)soar_openapi_json,
			    soar_openapi_json_len, NULL);
		break;
	case R_DASH:
		dash_handle(d, r);
		break;
	case R_REPORT:
		get_report(d, r);
		break;
	}
}
