/* daemon_prompt.c - answering prompts over HTTP: the form page, the answer
 * endpoint (JSON or the form), per-prompt links, and Slack's interactive
 * callbacks (buttons, modals). Every path ends in submit(), and every value in
 * prompt_form.c's one check. */
#include "daemon_prompt.h"
#include "daemon_int.h"

#include "audit.h"
#include "httpd.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "prompt_form.h"
#include "prompt_link.h"
#include "rbac.h"
#include "runstore.h"
#include "slack.h"
#include "store_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char page_headers[] =
	"Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; form-action 'self'\n"
	"X-Frame-Options: DENY\nCache-Control: no-store\nReferrer-Policy: no-referrer";

static void reply_page(struct httpd_req *r, unsigned status, struct store_buf *b)
{
	httpd_reply(r, status, "text/html; charset=utf-8", b->p ? b->p : "", b->len, page_headers);
	store_buf_free(b);
}

/* The identity a link answers as: its addressee, "email:ADDRESS" for an address. */
static void link_by(const char *addressee, char *by, size_t len)
{
	snprintf(by, len, "%s%s", strchr(addressee, '@') && strncmp(addressee, "link", 4) != 0
		 ? "email:" : "", addressee);
}

int dprompt_gate_link(struct daemon *d, struct httpd_req *r, const char *id)
{
	(void)d;
	if (httpd_query(r, "token")) {
		httpd_error(r, 401, "unauthorized", "an API token is never accepted in a URL (it would "
			    "stay in logs and browser history): send Authorization: Bearer TOKEN, or "
			    "open the prompt's own link (?t=...)", NULL);
		return -1;
	}
	const char *t = httpd_query(r, "t");
	if (!t)
		return 0;
	char addr[300], err[300], by[320];
	int v = prompt_link_check(id, t, (int64_t)time(NULL), addr, sizeof addr, err, sizeof err);
	if (v != PROMPT_LINK_OK) {
		httpd_error(r, v == PROMPT_LINK_NO_KEY ? 503 : 403,
			    v == PROMPT_LINK_NO_KEY ? "not_configured" : "forbidden", err, NULL);
		return -1;
	}
	link_by(addr, by, sizeof by);
	httpd_set_user(r, by);
	return 1;
}

/* Is the request authenticated by a link (checked at the gate)? */
static int via_link(struct httpd_req *r)
{
	return httpd_query(r, "t") != NULL;
}

/* May `user` answer p: its addressee (user or role), or whom it escalated to. */
static int may_answer(struct daemon *d, const struct prompt_rec *p, const char *user)
{
	char err[256];
	if (!p->to)
		return 1;
	const char *who[2] = { p->to, p->escalated_to };
	for (int i = 0; i < 2; i++)
		if (who[i] && (strcmp(who[i], user) == 0 ||
			       rbac_member(d->st, user, who[i], err, sizeof err) == 1))
			return 1;
	return 0;
}

static void audit_as(struct daemon *d, const char *via, const char *by, const char *action,
		     const char *id, const char *details)
{
	char actor[360], aerr[128] = "";
	snprintf(actor, sizeof actor, "%s:%s", via, by);
	audit_append(d->st, actor, action, id, details, aerr, sizeof aerr);
}

/* The one way an answer is taken. `via`: "http", "link", "slack". `scoped`:
 * a link's token already names this prompt and its addressee. On a failed
 * check, res holds the messages (status 400). */
static int submit(struct daemon *d, const char *id, pform_get_fn get, void *ud, int complete,
		  const char *via, const char *by, int scoped, struct pform_result *res,
		  unsigned *status, char *err, size_t errlen)
{
	struct prompt_rec p;
	memset(res, 0, sizeof *res);
	*status = 404;
	if (prompt_get(d->st, id, &p, err, errlen) != 0)
		return -1;
	int rc = -1;
	*status = 409;
	struct pform pf;
	memset(&pf, 0, sizeof pf);
	if (!p.open) {
		snprintf(err, errlen, "prompt %s was already answered by %s", id,
			 p.answered_by ? p.answered_by : "?");
		goto out;
	}
	if (p.timeout_at && now_ms() >= p.timeout_at) {
		snprintf(err, errlen, "prompt %s timed out; its run goes on without this answer", id);
		goto out;
	}
	if (!scoped && !may_answer(d, &p, by)) {
		*status = 403;
		snprintf(err, errlen, "prompt %s is for %s; %s is not a member (an admin can add the "
			 "role: soarctl user role %s ...,%s)", id, p.to, by, by, p.to);
		struct store_buf det = { 0 };
		store_buf_str(&det, "{\"to\":");
		store_buf_json(&det, p.to);
		store_buf_str(&det, "}");
		audit_as(d, via, by, "prompt.denied", id, store_buf_cstr(&det));
		store_buf_free(&det);
		goto out;
	}
	*status = 500;
	if (pform_parse(&pf, p.spec_json, err, errlen) != 0)
		goto out;
	*status = 400;
	if (pform_validate(&pf, get, ud, complete, res) != 0) {
		snprintf(err, errlen, "%s", res->err);
		goto out;
	}
	*status = 409;
	if (prompt_answer(d->st, id, res->answer_json, by, err, errlen) != 0)
		goto out;
	audit_as(d, via, by, "prompt.answer", id, res->answer_json);
	metric_add(M_PROMPTS_ANSWERED, 1);
	daemon_resume(d, p.run_id); /* if full, the tick's scan resumes it */
	if (p.state_json && strstr(p.state_json, "\"ts\""))
		dprompt_courier_answered(d, id);
	*status = 200;
	rc = 0;
out:
	pform_free(&pf);
	prompt_rec_free(&p);
	return rc;
}

/* ---- the page and the answer endpoint ---- */

/* The form's action: the answer endpoint, with the link's token when the
 * page was opened with one (the daemon authenticates at a request's head,
 * before any body, so the token rides in the URL). */
static void action_url(struct httpd_req *r, const char *id, struct store_buf *b)
{
	store_buf_printf(b, "/api/v1/prompts/%s/answer", id);
	const char *t = httpd_query(r, "t");
	if (t) {
		store_buf_str(b, "?t=");
		for (const unsigned char *c = (const unsigned char *)t; *c; c++) {
			if ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			    strchr("-_.~", *c))
				store_buf_add(b, (const char *)c, 1);
			else
				store_buf_printf(b, "%%%02X", *c);
		}
	}
}

static void notice_page(struct httpd_req *r, unsigned status, const char *title, const char *text)
{
	struct store_buf b = { 0 };
	store_buf_str(&b, "<!doctype html><html lang=en><meta charset=utf-8><title>");
	pform_html_escape(&b, title);
	store_buf_str(&b, " - soarctl</title><main><h1>");
	pform_html_escape(&b, title);
	store_buf_str(&b, "</h1><p role=status>");
	pform_html_escape(&b, text);
	store_buf_str(&b, "</p></main></html>");
	reply_page(r, status, &b);
}

void dprompt_form(struct daemon *d, struct httpd_req *r, const char *id)
{
	struct prompt_rec p;
	char err[512] = "";
	if (prompt_get(d->st, id, &p, err, sizeof err) != 0) {
		httpd_error(r, 404, "not_found", err, NULL);
		return;
	}
	if (!p.open) {
		char msg[400];
		snprintf(msg, sizeof msg, "This prompt was already answered by %s.",
			 p.answered_by ? p.answered_by : "?");
		notice_page(r, 200, p.question ? p.question : "Prompt", msg);
		prompt_rec_free(&p);
		return;
	}
	struct pform pf;
	if (pform_parse(&pf, p.spec_json, err, sizeof err) != 0) {
		httpd_error(r, 500, "store", err, NULL);
	} else {
		struct store_buf act = { 0 }, b = { 0 };
		action_url(r, id, &act);
		pform_render_html(&pf, p.question, store_buf_cstr(&act), NULL, NULL, NULL, &b);
		store_buf_free(&act);
		reply_page(r, 200, &b);
	}
	pform_free(&pf);
	prompt_rec_free(&p);
}

void dprompt_answer(struct daemon *d, struct httpd_req *r, const char *id)
{
	size_t len;
	const char *body = httpd_body(r, &len);
	const char *ct = httpd_header(r, "Content-Type");
	char err[600] = "", by[320];
	int scoped = via_link(r);
	snprintf(by, sizeof by, "%s", httpd_user(r));   /* the gate's: a user, or a link's addressee */
	/* The HTML form posts urlencoded; API clients JSON (whatever their
	 * Content-Type says: curl -d labels JSON as a form). */
	size_t sp = strspn(body, " \t\r\n");
	int form = ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0 &&
		   !(sp < len && body[sp] == '{');
	struct pform_result res;
	unsigned status;
	int rc;
	if (form) {
		struct pform_urlenc *u = malloc(sizeof *u);
		if (!u) {
			httpd_error(r, 500, "oom", "out of memory", NULL);
			return;
		}
		u->body = body;
		u->len = len;
		int complete = pform_get_urlenc(u, "_form", 0) != NULL;
		rc = submit(d, id, pform_get_urlenc, u, complete, scoped ? "link" : "http", by, scoped, &res,
			    &status, err, sizeof err);
		if (rc == 0) {
			notice_page(r, 200, "Thank you", "Your answer was recorded; the playbook goes on.");
		} else if (status == 400 && res.field_err) {
			/* The form again, with what was typed and what is wrong. */
			struct prompt_rec p;
			struct pform pf;
			memset(&pf, 0, sizeof pf);
			if (prompt_get(d->st, id, &p, err, sizeof err) == 0) {
				if (pform_parse(&pf, p.spec_json, err, sizeof err) == 0) {
					struct store_buf act = { 0 }, b = { 0 };
					action_url(r, id, &act);
					pform_render_html(&pf, p.question, store_buf_cstr(&act), pform_get_urlenc, u,
							  &res, &b);
					store_buf_free(&act);
					reply_page(r, 400, &b);
				} else {
					httpd_error(r, 500, "store", err, NULL);
				}
				pform_free(&pf);
				prompt_rec_free(&p);
			} else {
				httpd_error(r, 404, "not_found", err, NULL);
			}
		} else {
			notice_page(r, status, "The answer was not recorded", err);
		}
		free(u);
		pform_result_free(&res);
		return;
	}
	struct json_doc doc;
	if (json_parse(&doc, body, len, 0, err, sizeof err) != 0) {
		httpd_error(r, 400, "bad_json", err, NULL);
		return;
	}
	/* {"choice": OPTION} or {"fields": {...}}: the getter reads either. */
	const struct json_node *f = json_get(&doc, &doc.n[0], "fields");
	struct pform_jsonsrc src = { &doc, f && f->type == JSON_OBJECT ? f : &doc.n[0], "" };
	if (doc.n[0].type != JSON_OBJECT) {
		json_doc_free(&doc);
		httpd_error(r, 400, "bad_request", "send {\"choice\": OPTION} or {\"fields\": {...}}", NULL);
		return;
	}
	rc = submit(d, id, pform_get_json, &src, 0, scoped ? "link" : "http", by, scoped, &res, &status,
		    err, sizeof err);
	json_doc_free(&doc);
	pform_result_free(&res);
	if (rc == 0)
		httpd_reply(r, 200, "application/json", "{\"ok\":true}", 11, NULL);
	else
		httpd_error(r, status, status == 404 ? "not_found" : status == 409 ? "conflict"
			    : status == 403 ? "forbidden" : status == 400 ? "bad_request" : "store", err, NULL);
}

/* ---- Slack ---- */

/* A Slack form value (payload=...), decoded: malloc'd, or NULL. */
static char *slack_payload(const char *body, size_t len)
{
	/* The payload may be larger than one form value: decoded whole. */
	char *out = NULL;
	const char *p = NULL;
	for (const char *s = body; s && s < body + len;) {
		if ((size_t)(body + len - s) > 8 && strncmp(s, "payload=", 8) == 0) {
			p = s + 8;
			break;
		}
		const char *amp = memchr(s, '&', (size_t)(body + len - s));
		s = amp ? amp + 1 : NULL;
	}
	if (!p)
		return NULL;
	const char *e = memchr(p, '&', (size_t)(body + len - p));
	if (!e)
		e = body + len;
	out = malloc((size_t)(e - p) + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (const char *s = p; s < e; s++) {
		if (*s == '+')
			out[o++] = ' ';
		else if (*s == '%' && e - s > 2) {
			char hex[3] = { s[1], s[2], 0 };
			out[o++] = (char)strtol(hex, NULL, 16);
			s += 2;
		} else
			out[o++] = *s;
	}
	out[o] = 0;
	if (strlen(out) != o) {  /* a NUL inside: not JSON */
		free(out);
		return NULL;
	}
	return out;
}

/* view_submission's state.values: {BLOCK(field name): {ACTION: {type, value |
 * selected_option | selected_options | selected_date}}}. */
struct slack_values {
	const struct json_doc *doc;
	const struct json_node *values;
};

static const char *slack_get(void *ud, const char *name, int i)
{
	struct slack_values *s = ud;
	const struct json_node *blk = s->values ? json_get(s->doc, s->values, name) : NULL;
	const struct json_node *act = blk && blk->type == JSON_OBJECT ? json_at(s->doc, blk, 0) : NULL;
	if (!act || act->type != JSON_OBJECT)
		return NULL;
	const struct json_node *v;
	if ((v = json_get(s->doc, act, "selected_options")) && v->type == JSON_ARRAY)
		return i < v->count ? json_text(json_get(s->doc, json_at(s->doc, v, i), "value")) : NULL;
	if (i != 0)
		return NULL;
	if ((v = json_get(s->doc, act, "selected_option")) && v->type == JSON_OBJECT)
		return json_text(json_get(s->doc, v, "value"));
	if ((v = json_get(s->doc, act, "selected_date")) && v->type == JSON_STRING)
		return v->str;
	v = json_get(s->doc, act, "value");
	return v && v->type == JSON_STRING ? v->str : NULL;
}

struct one_choice {
	const char *choice;
};

static const char *choice_get(void *ud, const char *name, int i)
{
	const struct one_choice *c = ud;
	return strcmp(name, "choice") == 0 && i == 0 ? c->choice : NULL;
}

int dprompt_answer_choice(struct daemon *d, const char *id, const char *choice, const char *by,
			  char *err, size_t errlen, int *http_status)
{
	struct one_choice c = { choice };
	struct pform_result res;
	unsigned status;
	int rc = submit(d, id, choice_get, &c, 0, "web", by, 0, &res, &status, err, errlen);
	pform_result_free(&res);
	*http_status = (int)status;
	return rc;
}

static void slack_reply(struct httpd_req *r, unsigned status, const char *json)
{
	httpd_reply(r, status, "application/json", json, strlen(json), NULL);
}

/* The soarctl user of a Slack payload's user.id, or a refusal answered. */
static int slack_user(struct daemon *d, struct httpd_req *r, const struct json_doc *doc,
		      char *user, size_t ulen, char *sid, size_t slen)
{
	const char *id = json_text(json_get(doc, json_get(doc, &doc->n[0], "user"), "id"));
	char err[300];
	snprintf(sid, slen, "%s", id ? id : "");
	int rc = rbac_user_by_slack(d->st, sid, user, ulen, err, sizeof err);
	if (rc == 0 && rbac_check(d->st, user, RBAC_PROMPT_ANSWER, err, sizeof err) == 0)
		return 0;
	if (rc == 0)
		snprintf(err, sizeof err, "user %s may not answer prompts (permission prompt.answer)", user);
	else if (rc == RBAC_NOT_FOUND)
		snprintf(err, sizeof err, "Slack user %s is not a soarctl user: an admin maps it with "
			 "`soarctl user set NAME --slack-id %s`", sid[0] ? sid : "(none)", sid[0] ? sid : "ID");
	char aerr[128];
	audit_append(d->st, "slack", "prompt.denied", sid[0] ? sid : "?", NULL, aerr, sizeof aerr);
	httpd_error(r, 403, "forbidden", err, NULL);
	return -1;
}

static void view_errors(struct httpd_req *r, const struct pform *pf, const struct pform_result *res,
			const char *msg)
{
	/* Slack shows each message under its block: {"response_action":"errors"}. */
	struct store_buf b = { 0 };
	store_buf_str(&b, "{\"response_action\":\"errors\",\"errors\":{");
	int n = 0;
	for (int i = 0; res && res->field_err && i < pf->nf; i++) {
		if (!res->field_err[i])
			continue;
		store_buf_add(&b, ",", n++ ? 1 : 0);
		store_buf_json(&b, pf->f[i].name);
		store_buf_add(&b, ":", 1);
		store_buf_json(&b, res->field_err[i]);
	}
	if (!n && pf->nf) {
		store_buf_json(&b, pf->f[0].name);
		store_buf_add(&b, ":", 1);
		store_buf_json(&b, msg);
	}
	store_buf_str(&b, "}}");
	httpd_reply(r, 200, "application/json", b.p, b.len, NULL);
	store_buf_free(&b);
}

static void slack_view(struct daemon *d, struct httpd_req *r, const struct json_doc *doc)
{
	const struct json_node *view = json_get(doc, &doc->n[0], "view");
	const char *cb = json_text(json_get(doc, view, "callback_id"));
	const char *id = json_text(json_get(doc, view, "private_metadata"));
	if (!cb || strcmp(cb, "soarctl_prompt") != 0 || !id || strlen(id) != 36) {
		httpd_error(r, 400, "bad_request", "not a soarctl prompt's modal (callback_id "
			    "soarctl_prompt, private_metadata PROMPT_ID)", NULL);
		return;
	}
	char user[128], sid[64], err[600];
	if (slack_user(d, r, doc, user, sizeof user, sid, sizeof sid) != 0)
		return;
	struct slack_values sv = { doc, json_get(doc, json_get(doc, view, "state"), "values") };
	struct pform_result res;
	unsigned status;
	if (submit(d, id, slack_get, &sv, 1, "slack", user, 0, &res, &status, err, sizeof err) == 0) {
		slack_reply(r, 200, "{\"response_action\":\"clear\"}");
	} else {
		struct prompt_rec p;
		struct pform pf;
		memset(&pf, 0, sizeof pf);
		char e2[200];
		if (prompt_get(d->st, id, &p, e2, sizeof e2) == 0) {
			pform_parse(&pf, p.spec_json, e2, sizeof e2);
			prompt_rec_free(&p);
		}
		view_errors(r, &pf, status == 400 ? &res : NULL, err);
		pform_free(&pf);
	}
	pform_result_free(&res);
}

static void slack_action(struct daemon *d, struct httpd_req *r, const struct json_doc *doc)
{
	const struct json_node *root = &doc->n[0];
	const struct json_node *act = json_at(doc, json_get(doc, root, "actions"), 0);
	const char *val = json_text(json_get(doc, act, "value"));
	const char *colon = val ? strchr(val, ':') : NULL;
	if (!colon || colon - val != 36) {
		httpd_error(r, 400, "bad_request", "no prompt button in the payload (value PROMPT_ID:OPTION)",
			    NULL);
		return;
	}
	char id[37], user[128], sid[64], err[600];
	snprintf(id, sizeof id, "%.36s", val);
	if (slack_user(d, r, doc, user, sizeof user, sid, sizeof sid) != 0)
		return;
	const char *action_id = json_text(json_get(doc, act, "action_id"));
	if (action_id && strcmp(action_id, "soarctl_form") == 0) {
		/* A form: the modal opens on the click's trigger (valid 3 s). */
		struct prompt_rec p;
		if (prompt_get(d->st, id, &p, err, sizeof err) != 0) {
			httpd_error(r, 404, "not_found", err, NULL);
			return;
		}
		int ok = p.open && may_answer(d, &p, user);
		if (!ok)
			snprintf(err, sizeof err, p.open ? "prompt %s is for %s; %s is not a member"
				 : "prompt %s was already answered", id, p.to ? p.to : "", user);
		prompt_rec_free(&p);
		const char *trigger = json_text(json_get(doc, root, "trigger_id"));
		if (!ok || !trigger) {
			httpd_error(r, ok ? 400 : 409, ok ? "bad_request" : "conflict",
				    ok ? "no trigger_id in the payload" : err, NULL);
			return;
		}
		dprompt_courier_modal(d, id, trigger);
		slack_reply(r, 200, "{}");
		return;
	}
	struct one_choice c = { colon + 1 };
	struct pform_result res;
	unsigned status;
	if (submit(d, id, choice_get, &c, 0, "slack", user, 0, &res, &status, err, sizeof err) == 0)
		slack_reply(r, 200, "{\"text\":\"Answer recorded.\"}");
	else
		httpd_error(r, status, "refused", err, NULL);
	pform_result_free(&res);
}

void dprompt_slack(struct daemon *d, struct httpd_req *r)
{
	const char *secret = getenv("SOARCTL_SLACK_SIGNING_SECRET");
	size_t len;
	const char *body = httpd_body(r, &len);
	if (!secret || !*secret) {
		httpd_error(r, 503, "not_configured", "no Slack signing secret "
			    "(SOARCTL_SLACK_SIGNING_SECRET)", NULL);
		return;
	}
	const char *ts = httpd_header(r, "X-Slack-Request-Timestamp");
	const char *sig = httpd_header(r, "X-Slack-Signature");
	enum slack_verdict v = slack_verify(secret, strlen(secret), ts ? ts : "", body, len,
					    sig ? sig : "", (int64_t)time(NULL));
	if (v != SLACK_OK) {
		httpd_error(r, 401, "unauthorized", slack_verdict_name(v), NULL);
		return;
	}
	char *payload = slack_payload(body, len), err[300] = "";
	if (!payload) {
		httpd_error(r, 400, "bad_request", "no payload", NULL);
		return;
	}
	struct json_doc doc;
	if (json_parse(&doc, payload, strlen(payload), 0, err, sizeof err) != 0) {
		free(payload);
		httpd_error(r, 400, "bad_json", err, NULL);
		return;
	}
	const char *type = json_text(json_get(&doc, &doc.n[0], "type"));
	if (type && strcmp(type, "view_submission") == 0)
		slack_view(d, r, &doc);
	else if (!type || strcmp(type, "block_actions") == 0)
		slack_action(d, r, &doc);
	else
		slack_reply(r, 200, "{}");   /* view_closed and others: nothing to do */
	json_doc_free(&doc);
	free(payload);
}
