/* daemon_warroom.c - POST /api/v1/cases/REF/warroom: the REPL's war room over
 * HTTP, so the dashboard (or any client) can run `!integration.command ...`
 * against a case. The command runs on a thread of its own with a fresh
 * sandbox (an integration call may take seconds; the loop never waits for it)
 * and lands on the timeline exactly as from `soarctl repl` (warroom.h); the
 * answer is sent back on the loop's thread. */
#include "daemon_int.h"
#include "daemon_warroom.h"

#include "case.h"
#include "json.h"
#include "rbac.h"
#include "store_buf.h"
#include "warroom.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* War-room commands running at once; past it 503 (each holds a thread and an
 * interpreter for as long as the vendor takes). */
#define WARROOM_MAX_CONCURRENT 8

static atomic_int running;

struct wr_job {
	struct daemon *d;
	struct httpd_req *req;         /* NULL once the client went away (loop thread) */
	int finished;                  /* loop thread */
	char case_ref[40];
	char actor[160];
	char *line;
	int mock;
	struct warroom_cmd w;
	int rc, recorded;
	char err[512];
};

static void job_free(struct wr_job *j)
{
	warroom_cmd_clear(&j->w);
	free(j->line);
	free(j);
}

/* httpd: the request ended (answered, or the client left). */
static void on_req_end(void *p)
{
	struct wr_job *j = p;
	j->req = NULL;
	if (j->finished)
		job_free(j);
}

static void *wr_thread(void *p)
{
	struct wr_job *j = p;
	char err[512];
	struct sandbox *sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err);
	if (!sb) {
		j->rc = -2;
		snprintf(j->err, sizeof j->err, "%s", err);
	} else {
		struct sandbox_limits lim;
		sandbox_limits_default(&lim);
		snprintf(j->w.info.playbook, sizeof j->w.info.playbook, "warroom");
		j->w.line = j->line;
		j->w.info.actor = j->actor;
		j->w.mock = j->mock;
		j->rc = warroom_run(sb, &lim, &j->w);
		if (j->rc == 0)
			j->recorded = warroom_record(j->d->st, j->case_ref, j->actor, &j->w, j->err,
						     sizeof j->err) == 0;
		sandbox_free(sb);
	}
	atomic_fetch_sub(&running, 1);
	daemon_post(j->d, POST_WARROOM_DONE, j);
	return NULL;
}

static void json_str_or_null(struct store_buf *b, const char *s)
{
	if (s)
		store_buf_json(b, s);
	else
		store_buf_str(b, "null");
}

void warroom_api_done(struct daemon *d, void *p)
{
	(void)d;
	struct wr_job *j = p;
	j->finished = 1;
	if (!j->req) {
		job_free(j);
		return;
	}
	struct httpd_req *r = j->req;
	if (j->rc == -2) {
		httpd_error(r, 500, "internal", j->err, NULL);
		return;
	}
	if (j->rc != 0) {                 /* the line was refused: nothing ran */
		httpd_error(r, 400, "bad_command", j->w.error ? j->w.error : "refused", NULL);
		return;
	}
	struct store_buf b = { 0 };
	store_buf_str(&b, "{\"case\":");
	store_buf_json(&b, j->case_ref);
	store_buf_str(&b, ",\"command\":");
	json_str_or_null(&b, j->w.qname);
	store_buf_printf(&b, ",\"args\":%s,\"ok\":%s,\"result\":%s,\"text\":",
			 j->w.args_json ? j->w.args_json : "{}", j->w.ok ? "true" : "false",
			 j->w.ok && j->w.result_json ? j->w.result_json : "null");
	json_str_or_null(&b, j->w.text);
	store_buf_str(&b, ",\"error\":");
	json_str_or_null(&b, j->w.error);
	store_buf_printf(&b, ",\"recorded\":%s,\"duration_ms\":%.3f}", j->recorded ? "true" : "false",
			 j->w.duration_ms);
	const char *body = store_buf_cstr(&b);
	if (body)
		httpd_reply(r, 200, "application/json", body, b.len, NULL);
	else
		httpd_error(r, 500, "internal", "out of memory", NULL);
	store_buf_free(&b);
}

void warroom_api(struct daemon *d, struct httpd_req *r, const char *user, const char *ref)
{
	char err[512];
	char actor[160];
	snprintf(actor, sizeof actor, "http:%s", user);
	if (rbac_require(d->st, user, actor, RBAC_PLAYBOOK_RUN, httpd_path(r), err, sizeof err) != 0) {
		httpd_error(r, 403, "forbidden", err, NULL);
		return;
	}
	size_t len;
	const char *body = httpd_body(r, &len);
	struct json_doc doc;
	if (json_parse(&doc, body ? body : "", body ? len : 0, 0, err, sizeof err) != 0) {
		httpd_error(r, 400, "bad_json", err, NULL);
		return;
	}
	const struct json_node *cmd = doc.n[0].type == JSON_OBJECT ? json_get(&doc, &doc.n[0], "command") : NULL;
	const struct json_node *mock = doc.n[0].type == JSON_OBJECT ? json_get(&doc, &doc.n[0], "mock") : NULL;
	if (!cmd || cmd->type != JSON_STRING) {
		json_doc_free(&doc);
		httpd_error(r, 400, "bad_request",
			    "expected {\"command\": \"!integration.command arg=value ...\"}", NULL);
		return;
	}
	struct case_rec c;
	if (case_get(d->st, ref, &c, err, sizeof err) != 0) {
		json_doc_free(&doc);
		httpd_error(r, 404, "not_found", err, NULL);
		return;
	}
	unsigned long long seq = (unsigned long long)c.seq;
	case_rec_free(&c);
	struct wr_job *j = calloc(1, sizeof *j);
	if (j) {
		size_t l = strlen(cmd->str);
		j->line = malloc(l + 2);
		if (j->line)
			snprintf(j->line, l + 2, "%s%s", cmd->str[0] == '!' ? "" : "!", cmd->str);
		snprintf(j->case_ref, sizeof j->case_ref, "%llu", seq);
	}
	int is_mock = mock && mock->type == JSON_TRUE;
	json_doc_free(&doc);
	if (!j || !j->line) {
		if (j)
			job_free(j);
		httpd_error(r, 500, "internal", "out of memory", NULL);
		return;
	}
	if (atomic_fetch_add(&running, 1) >= WARROOM_MAX_CONCURRENT) {
		atomic_fetch_sub(&running, 1);
		job_free(j);
		httpd_error(r, 503, "busy", "too many war-room commands at once; try again", "Retry-After: 1");
		return;
	}
	j->d = d;
	j->req = r;
	j->mock = is_mock;
	snprintf(j->actor, sizeof j->actor, "%s", actor);
	httpd_set_ud(r, j, on_req_end);
	httpd_suspend(r);
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &attr, wr_thread, j) != 0) {
		atomic_fetch_sub(&running, 1);
		j->rc = -2;
		snprintf(j->err, sizeof j->err, "cannot start a thread for the command");
		daemon_post(d, POST_WARROOM_DONE, j);
	}
	pthread_attr_destroy(&attr);
}
