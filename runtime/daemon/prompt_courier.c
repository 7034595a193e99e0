/* prompt_courier.c - the daemon's delivery of prompts (daemon_prompt.h).
 *
 * A prompt that declares notify/remind/escalate is written with due_at (ms):
 * when the courier must act next. One thread scans the open prompts once a
 * second and, for each one due: posts it to Slack (Block Kit buttons for
 * options, an "Answer" button opening a modal for a form) and emails each
 * addressee a link with a per-prompt token (prompt_link.h); later, reminders
 * (a thread reply, the email again) and the escalation (`escalated_to` may
 * answer too; told on Slack and by email). What was done and the next due
 * time are written back with the prompt, so a restarted daemon goes on where
 * it was. Work the HTTP side hands over (update the Slack message once
 * answered; open a modal on a click's trigger, valid 3 s) goes through a
 * small queue that wakes the thread at once.
 *
 * Slack's Web API root is the "slack" entry's base_url of the integrations
 * config (default https://slack.com), its bot token the vault's
 * slack.bot_token; email uses the "email" entry, as email.send does.
 */
#include "daemon_prompt.h"
#include "daemon_int.h"

#include "datadir.h"
#include "http.h"
#include "httpd.h"
#include "integration.h"
#include "json.h"
#include "log.h"
#include "mime.h"
#include "prompt_form.h"
#include "prompt_link.h"
#include "rbac.h"
#include "runstore.h"
#include "secret.h"
#include "smtp.h"
#include "store_buf.h"
#include "timefmt.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SCAN_MS 1000
#define RETRY_MS 30000
#define MAX_REMINDERS 10
#define MAX_ATTEMPTS 5

enum job_kind { JOB_UPDATE, JOB_MODAL };

struct job {
	enum job_kind kind;
	char id[37];
	char trigger[256];
	struct job *next;
};

static struct {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int started, quit;
	struct job *jobs;
	struct daemon *d;
} C = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void enqueue(enum job_kind kind, const char *id, const char *trigger)
{
	struct job *j = calloc(1, sizeof *j);
	if (!j)
		return;
	j->kind = kind;
	snprintf(j->id, sizeof j->id, "%s", id);
	snprintf(j->trigger, sizeof j->trigger, "%s", trigger ? trigger : "");
	pthread_mutex_lock(&C.mu);
	struct job **t = &C.jobs;
	while (*t)
		t = &(*t)->next;
	*t = j;
	pthread_cond_signal(&C.cv);
	pthread_mutex_unlock(&C.mu);
}

void dprompt_courier_answered(struct daemon *d, const char *id)
{
	(void)d;
	enqueue(JOB_UPDATE, id, NULL);
}

void dprompt_courier_modal(struct daemon *d, const char *id, const char *trigger_id)
{
	(void)d;
	enqueue(JOB_MODAL, id, trigger_id);
}

/* ---- configuration ---- */

struct conf {
	struct json_doc doc;
	int have;
	const struct json_node *slack, *email;
};

static void conf_load(struct conf *c)
{
	char *text = NULL, err[256];
	size_t len;
	memset(c, 0, sizeof *c);
	if (integration_config_read(&text, &len, err, sizeof err) == 1 &&
	    json_parse(&c->doc, text, len, 0, err, sizeof err) == 0) {
		c->have = 1;
		c->slack = json_get(&c->doc, &c->doc.n[0], "slack");
		c->email = json_get(&c->doc, &c->doc.n[0], "email");
	}
	free(text);
}

static void conf_free(struct conf *c)
{
	if (c->have)
		json_doc_free(&c->doc);
}

static const char *conf_str(const struct conf *c, const struct json_node *o, const char *k)
{
	const struct json_node *v = c->have && o ? json_get(&c->doc, o, k) : NULL;
	return v && v->type == JSON_STRING ? v->str : NULL;
}

/* A vault value for an integration (slack.bot_token, email.password), or 0. */
static int vault_value(const char *integ, const char *name, char *out, size_t cap)
{
	char err[256];
	size_t len = 0;
	struct secret_actor a = { SECRET_ACTOR_INTEGRATION, integ };
	struct secret_vault *v = datadir_get() ? secret_vault_default(err, sizeof err) : NULL;
	if (!v || secret_get(v, &a, name, NULL, (unsigned char *)out, cap - 1, &len, err, sizeof err) != 0)
		return 0;
	out[len] = 0;
	return 1;
}

/* The daemon's address as people reach it: --public-url / $SOARCTL_PUBLIC_URL,
 * else where it listens, https:// when it serves TLS (daemon_base_url). */
static void public_base(struct daemon *d, char *out, size_t len)
{
	snprintf(out, len, "%s", daemon_base_url(d));
}

/* ---- Slack ---- */

static void mrkdwn(struct store_buf *b, const char *s)
{
	struct store_buf t = { 0 };
	for (; s && *s; s++) {
		if (*s == '&')
			store_buf_str(&t, "&amp;");
		else if (*s == '<')
			store_buf_str(&t, "&lt;");
		else if (*s == '>')
			store_buf_str(&t, "&gt;");
		else
			store_buf_add(&t, s, 1);
	}
	store_buf_json(b, store_buf_cstr(&t) ? t.p : "");
	store_buf_free(&t);
}

static void plain(struct store_buf *b, const char *s, size_t max)
{
	char cut[2100];
	snprintf(cut, sizeof cut, "%.*s", (int)max, s ? s : "");
	store_buf_printf(b, "{\"type\":\"plain_text\",\"text\":");
	store_buf_json(b, cut[0] ? cut : " ");
	store_buf_str(b, "}");
}

/* POST base/api/METHOD with a JSON body; on {"ok":true} 0 with the response's
 * channel and ts copied (when asked), else -1 with err. */
static int slack_call(const struct conf *c, const char *method, const char *json, char *ch,
		      size_t chlen, char *ts, size_t tslen, char *err, size_t errlen)
{
	const char *base = conf_str(c, c->slack, "base_url");
	char token[1024], url[1200], auth[1100];
	if (!vault_value("slack", "slack.bot_token", token, sizeof token)) {
		snprintf(err, errlen, "no Slack bot token: soarctl secret set slack.bot_token");
		return -1;
	}
	if (!base)
		base = "https://slack.com";
	size_t bl = strlen(base);
	while (bl && base[bl - 1] == '/')
		bl--;
	snprintf(url, sizeof url, "%.*s/api/%s", (int)bl, base, method);
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
	explicit_bzero(token, sizeof token);
	const char *hdr[] = { auth, "Content-Type: application/json; charset=utf-8" };
	struct http_request req;
	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.url = url;
	req.headers = hdr;
	req.nheaders = 2;
	req.body = json;
	req.body_len = strlen(json);
	req.timeout = 10;
	req.retries = 1;
	req.backoff = -1;
	struct http_response resp;
	char detail[300];
	enum http_err he = http_perform(&req, &resp, detail, sizeof detail);
	explicit_bzero(auth, sizeof auth);
	if (he != HTTP_OK) {
		snprintf(err, errlen, "Slack %s: %s", method, detail);
		return -1;
	}
	struct json_doc d;
	int rc = -1;
	if (resp.status != 200 || json_parse(&d, resp.body, resp.body_len, 0, NULL, 0) != 0) {
		snprintf(err, errlen, "Slack %s: HTTP %ld", method, resp.status);
	} else {
		const struct json_node *ok = json_get(&d, &d.n[0], "ok");
		if (ok && ok->type == JSON_TRUE) {
			const char *c2 = json_text(json_get(&d, &d.n[0], "channel"));
			const char *t2 = json_text(json_get(&d, &d.n[0], "ts"));
			if (ch)
				snprintf(ch, chlen, "%s", c2 ? c2 : "");
			if (ts)
				snprintf(ts, tslen, "%s", t2 ? t2 : "");
			rc = 0;
		} else {
			const char *e = json_text(json_get(&d, &d.n[0], "error"));
			snprintf(err, errlen, "Slack %s: %s", method, e ? e : "not ok");
		}
		json_doc_free(&d);
	}
	http_response_clear(&resp);
	return rc;
}

static void when_text(int64_t ms, char *out, size_t len)
{
	char err[64];
	if (timefmt_iso((double)ms / 1000.0, 0, NULL, out, len, err, sizeof err) < 0)
		snprintf(out, len, "?");
}

/* The prompt's message: the question, who it is for, and its buttons. */
static void message_json(const struct prompt_rec *p, const struct pform *pf, const char *channel,
			 struct store_buf *b)
{
	store_buf_str(b, "{\"channel\":");
	store_buf_json(b, channel);
	store_buf_str(b, ",\"text\":");
	store_buf_json(b, p->question);
	store_buf_str(b, ",\"blocks\":[{\"type\":\"section\",\"block_id\":\"soarctl_question\",\"text\":"
		      "{\"type\":\"mrkdwn\",\"text\":");
	mrkdwn(b, p->question);
	store_buf_str(b, "}},{\"type\":\"context\",\"elements\":[{\"type\":\"mrkdwn\",\"text\":");
	char ctx[400], until[64] = "";
	if (p->timeout_at)
		when_text(p->timeout_at, until, sizeof until);
	snprintf(ctx, sizeof ctx, "soarctl prompt %s%s%s%s%s", p->id, p->to ? " for " : "",
		 p->to ? p->to : "", until[0] ? ", answer before " : "", until);
	mrkdwn(b, ctx);
	store_buf_printf(b, "}]},{\"type\":\"actions\",\"block_id\":\"soarctl_prompt:%s\",\"elements\":[",
			 p->id);
	if (pf->is_choice) {
		for (int i = 0; i < pf->noptions && i < 25; i++) {
			store_buf_printf(b, "%s{\"type\":\"button\",\"action_id\":\"soarctl_answer_%d\",\"text\":",
					 i ? "," : "", i + 1);
			plain(b, pf->options[i], 75);
			store_buf_printf(b, ",\"value\":");
			char v[200];
			snprintf(v, sizeof v, "%s:%.150s", p->id, pf->options[i]);
			store_buf_json(b, v);
			store_buf_str(b, "}");
		}
	} else {
		store_buf_str(b, "{\"type\":\"button\",\"action_id\":\"soarctl_form\",\"style\":\"primary\",\"text\":");
		plain(b, "Answer...", 75);
		store_buf_printf(b, ",\"value\":\"%s:\"}", p->id);
	}
	store_buf_str(b, "]}]}");
}

static void option_json(struct store_buf *b, const char *o)
{
	store_buf_str(b, "{\"text\":");
	plain(b, o, 75);
	store_buf_str(b, ",\"value\":");
	char v[160];
	snprintf(v, sizeof v, "%.150s", o);
	store_buf_json(b, v);
	store_buf_str(b, "}");
}

/* One input block of the modal: block_id the field's name, action_id "v". */
static void input_json(struct store_buf *b, const struct pform_field *f)
{
	struct json_doc d;
	int hasdef = f->default_json && json_parse(&d, f->default_json, strlen(f->default_json), 0,
						   NULL, 0) == 0;
	const struct json_node *dv = hasdef ? &d.n[0] : NULL;
	store_buf_str(b, ",{\"type\":\"input\",\"block_id\":");
	store_buf_json(b, f->name);
	store_buf_printf(b, ",\"optional\":%s,\"label\":",
			 f->required && f->type != PF_BOOLEAN ? "false" : "true");
	plain(b, f->label, 2000);
	if (f->help) {
		store_buf_str(b, ",\"hint\":");
		plain(b, f->help, 2000);
	}
	store_buf_str(b, ",\"element\":{\"action_id\":\"v\",");
	switch (f->type) {
	case PF_BOOLEAN:
		store_buf_str(b, "\"type\":\"checkboxes\",\"options\":[");
		option_json(b, "true");
		store_buf_str(b, "]");
		if (dv && dv->type == JSON_TRUE) {
			store_buf_str(b, ",\"initial_options\":[");
			option_json(b, "true");
			store_buf_str(b, "]");
		}
		break;
	case PF_CHOICE:
	case PF_CHOICES:
		store_buf_printf(b, "\"type\":\"%s\",\"options\":[",
				 f->type == PF_CHOICE ? "static_select" : "multi_static_select");
		for (int i = 0; i < f->noptions; i++) {
			store_buf_add(b, ",", i ? 1 : 0);
			option_json(b, f->options[i]);
		}
		store_buf_str(b, "]");
		if (dv && f->type == PF_CHOICE && json_text(dv)) {
			store_buf_str(b, ",\"initial_option\":");
			option_json(b, json_text(dv));
		} else if (dv && dv->type == JSON_ARRAY && dv->count) {
			store_buf_str(b, ",\"initial_options\":[");
			for (int i = 0; i < dv->count; i++) {
				store_buf_add(b, ",", i ? 1 : 0);
				option_json(b, json_text(json_at(&d, dv, i)) ? json_text(json_at(&d, dv, i)) : "");
			}
			store_buf_str(b, "]");
		}
		break;
	case PF_DATE:
		store_buf_str(b, "\"type\":\"datepicker\"");
		if (dv && dv->type == JSON_STRING) {
			store_buf_str(b, ",\"initial_date\":");
			store_buf_json(b, dv->str);
		}
		break;
	default:
		/* numbers too: plain text, so our check's message is the one shown */
		store_buf_printf(b, "\"type\":\"plain_text_input\"%s",
				 f->type == PF_TEXT ? ",\"multiline\":true" : "");
		if (dv && json_text(dv) && dv->type != JSON_NULL) {
			store_buf_str(b, ",\"initial_value\":");
			store_buf_json(b, json_text(dv));
		}
	}
	store_buf_str(b, "}}");
	if (hasdef)
		json_doc_free(&d);
}

static void modal(struct daemon *d, const struct conf *c, const char *id, const char *trigger)
{
	struct prompt_rec p;
	struct pform pf;
	char err[512];
	memset(&pf, 0, sizeof pf);
	if (prompt_get(d->st, id, &p, err, sizeof err) != 0)
		return;
	if (pform_parse(&pf, p.spec_json, err, sizeof err) == 0 && !pf.is_choice) {
		struct store_buf b = { 0 };
		store_buf_str(&b, "{\"trigger_id\":");
		store_buf_json(&b, trigger);
		store_buf_printf(&b, ",\"view\":{\"type\":\"modal\",\"callback_id\":\"soarctl_prompt\","
				 "\"private_metadata\":\"%s\",\"title\":", p.id);
		plain(&b, "Answer the prompt", 24);
		store_buf_str(&b, ",\"submit\":");
		plain(&b, "Submit", 24);
		store_buf_str(&b, ",\"close\":");
		plain(&b, "Cancel", 24);
		store_buf_str(&b, ",\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":");
		mrkdwn(&b, p.question);
		store_buf_str(&b, "}}");
		for (int i = 0; i < pf.nf; i++)
			input_json(&b, &pf.f[i]);
		store_buf_str(&b, "]}}");
		if (slack_call(c, "views.open", store_buf_cstr(&b), NULL, 0, NULL, 0, err, sizeof err) != 0)
			dlog(LOG_WARN, p.run_id, "prompt %s: %s", p.id, err);
		store_buf_free(&b);
	}
	pform_free(&pf);
	prompt_rec_free(&p);
}

/* ---- state ---- */

struct state {
	int sent, attempts, reminders, escalated, emailed;
	char channel[64], ts[64];
	char error[420];
};

static void state_read(const char *json, struct state *s)
{
	memset(s, 0, sizeof *s);
	struct json_doc d;
	if (!json || json_parse(&d, json, strlen(json), 0, NULL, 0) != 0)
		return;
	const struct json_node *r = &d.n[0];
	double v;
	if (json_number(json_get(&d, r, "attempts"), &v) == 0)
		s->attempts = (int)v;
	if (json_number(json_get(&d, r, "reminders"), &v) == 0)
		s->reminders = (int)v;
	if (json_number(json_get(&d, r, "emailed"), &v) == 0)
		s->emailed = (int)v;
	const struct json_node *x = json_get(&d, r, "sent");
	s->sent = x && x->type == JSON_TRUE;
	x = json_get(&d, r, "escalated");
	s->escalated = x && x->type == JSON_TRUE;
	const struct json_node *sl = json_get(&d, r, "slack");
	const char *ch = json_text(json_get(&d, sl, "channel")), *ts = json_text(json_get(&d, sl, "ts"));
	snprintf(s->channel, sizeof s->channel, "%s", ch ? ch : "");
	snprintf(s->ts, sizeof s->ts, "%s", ts ? ts : "");
	json_doc_free(&d);
}

static char *state_write(const struct state *s)
{
	struct store_buf b = { 0 };
	store_buf_printf(&b, "{\"sent\":%s,\"attempts\":%d,\"reminders\":%d,\"emailed\":%d,\"escalated\":%s",
			 s->sent ? "true" : "false", s->attempts, s->reminders, s->emailed,
			 s->escalated ? "true" : "false");
	if (s->ts[0]) {
		store_buf_str(&b, ",\"slack\":{\"channel\":");
		store_buf_json(&b, s->channel);
		store_buf_str(&b, ",\"ts\":");
		store_buf_json(&b, s->ts);
		store_buf_str(&b, "}");
	}
	if (s->error[0]) {
		store_buf_str(&b, ",\"error\":");
		store_buf_json(&b, s->error);
	}
	store_buf_str(&b, "}");
	return store_buf_cstr(&b);
}

/* ---- email ---- */

/* The address of an addressee: itself, or the user's. "" when none. */
static void address_of(struct daemon *d, const char *who, char *out, size_t len)
{
	char err[128];
	out[0] = 0;
	if (strchr(who, '@'))
		snprintf(out, len, "%s", who);
	else
		rbac_user_contact(d->st, who, NULL, 0, out, len, err, sizeof err);
}

static int send_mail(struct daemon *d, const struct conf *c, const struct prompt_rec *p,
		     const char *addressee, const char *why, char *err, size_t errlen)
{
	char addr[260];
	address_of(d, addressee, addr, sizeof addr);
	if (!addr[0] || !mime_address_ok(addr)) {
		snprintf(err, errlen, "no email address for %s (soarctl user set %s --email ADDRESS)",
			 addressee, addressee);
		return -1;
	}
	const char *url = conf_str(c, c->email, "smtp_url"), *from = conf_str(c, c->email, "from");
	const struct json_node *mock = c->have && c->email ? json_get(&c->doc, c->email, "mock") : NULL;
	if (!url && !(mock && mock->type == JSON_TRUE) && !integration_mock_all()) {
		snprintf(err, errlen, "no SMTP server: set \"smtp_url\" in the \"email\" entry of the "
			 "integrations config");
		return -1;
	}
	if (!from) {
		snprintf(err, errlen, "no sender: set \"from\" in the \"email\" entry");
		return -1;
	}
	char tok[PROMPT_LINK_MAX], base[600], link[1200];
	int64_t exp = prompt_link_expiry(p->created, p->timeout_at);
	if (prompt_link_make(p->id, addressee, exp, tok, err, errlen) != PROMPT_LINK_OK)
		return -1;
	public_base(d, base, sizeof base);
	snprintf(link, sizeof link, "%s/prompts/%s?t=%s", base, p->id, tok);
	explicit_bzero(tok, sizeof tok);
	char until[64], subject[400];
	when_text(exp * 1000, until, sizeof until);
	/* A subject is one line: the question's first (its whole text is the body). */
	size_t first = strcspn(p->question, "\r\n");
	snprintf(subject, sizeof subject, "%s%.*s%s", why, (int)(first > 300 ? 300 : first), p->question,
		 first > 300 || p->question[first] ? " ..." : "");
	struct store_buf text = { 0 }, html = { 0 }, msg = { 0 };
	store_buf_printf(&text, "%s\n\nAnswer here (the link is for you only, answers once, and "
			 "works until %s):\n%s\n\nsoarctl prompt %s, run %s\n", p->question, until, link,
			 p->id, p->run_id);
	store_buf_str(&html, "<!doctype html><p>");
	pform_html_escape(&html, p->question);
	store_buf_str(&html, "</p><p><a href=\"");
	pform_html_escape(&html, link);
	store_buf_printf(&html, "\">Answer the prompt</a> (for you only; answers once; until %s)</p>"
			 "<p>soarctl prompt %s, run %s</p>", until, p->id, p->run_id);
	explicit_bzero(link, sizeof link);
	const char *to[1] = { addr };
	struct mime_message m;
	memset(&m, 0, sizeof m);
	m.from = from;
	m.to = to;
	m.nto = 1;
	m.subject = subject;
	m.text = store_buf_cstr(&text);
	m.text_len = text.len;
	m.html = store_buf_cstr(&html);
	m.html_len = html.len;
	char msgid[160];
	mime_message_id(from, msgid, sizeof msgid);
	m.message_id = msgid;
	m.date = time(NULL);
	int rc = mime_build(&m, &msg, err, errlen);
	if (rc == 0 && url && !(mock && mock->type == JSON_TRUE) && !integration_mock_all()) {
		char pw[1024] = "";
		if (!vault_value("email", "email.password", pw, sizeof pw) && conf_str(c, c->email, "password"))
			snprintf(pw, sizeof pw, "%s", conf_str(c, c->email, "password"));
		struct smtp_conf sc = { url, conf_str(c, c->email, "username"), pw[0] ? pw : NULL,
					conf_str(c, c->email, "ca_file") };
		const char *kind = NULL;
		char detail[300];
		rc = smtp_send(&sc, from, to, 1, msg.p, msg.len, &kind, detail, sizeof detail);
		explicit_bzero(pw, sizeof pw);
		if (rc != 0)
			snprintf(err, errlen, "email to %s: %s: %s", addr, kind, detail);
	}
	/* the link was in these: zeroised */
	if (text.p)
		explicit_bzero(text.p, text.len);
	if (html.p)
		explicit_bzero(html.p, html.len);
	if (msg.p)
		explicit_bzero(msg.p, msg.len);
	store_buf_free(&text);
	store_buf_free(&html);
	store_buf_free(&msg);
	return rc;
}

/* Users of a role (or the one user) named `who`, for an escalation. */
struct members {
	struct daemon *d;
	const char *role;
	char names[32][65];
	int n;
};

static int member_cb(const struct rbac_user_info *u, void *ud)
{
	struct members *m = ud;
	char err[128];
	if (!u->disabled && m->n < 32 && rbac_member(m->d->st, u->name, m->role, err, sizeof err) == 1)
		snprintf(m->names[m->n++], sizeof m->names[0], "%s", u->name);
	return 0;
}

static void members_of(struct daemon *d, const char *who, struct members *m)
{
	char err[128], sid[40], mail[260];
	memset(m, 0, sizeof *m);
	m->d = d;
	m->role = who;
	if (rbac_user_contact(d->st, who, sid, sizeof sid, mail, sizeof mail, err, sizeof err) == 0) {
		snprintf(m->names[m->n++], sizeof m->names[0], "%s", who);
		return;
	}
	rbac_user_list(d->st, member_cb, m, err, sizeof err);
}

/* ---- the steps ---- */

static void thread_reply(const struct conf *c, const struct state *s, const char *text,
			 char *err, size_t errlen)
{
	struct store_buf b = { 0 };
	store_buf_str(&b, "{\"channel\":");
	store_buf_json(&b, s->channel);
	store_buf_str(&b, ",\"thread_ts\":");
	store_buf_json(&b, s->ts);
	store_buf_str(&b, ",\"text\":");
	store_buf_json(&b, text);
	store_buf_str(&b, "}");
	slack_call(c, "chat.postMessage", store_buf_cstr(&b), NULL, 0, NULL, 0, err, errlen);
	store_buf_free(&b);
}

struct notify {
	struct json_doc doc;
	int ok;
	const char *channel, *xto;
	const struct json_node *emails;
	double remind, after;
};

static void notify_read(const char *json, struct notify *n)
{
	memset(n, 0, sizeof *n);
	if (!json || json_parse(&n->doc, json, strlen(json), 0, NULL, 0) != 0)
		return;
	n->ok = 1;
	const struct json_node *r = &n->doc.n[0];
	n->channel = json_text(json_get(&n->doc, json_get(&n->doc, r, "slack"), "channel"));
	n->emails = json_get(&n->doc, json_get(&n->doc, r, "email"), "to");
	json_number(json_get(&n->doc, r, "remind"), &n->remind);
	const struct json_node *x = json_get(&n->doc, r, "escalate");
	json_number(json_get(&n->doc, x, "after"), &n->after);
	n->xto = json_text(json_get(&n->doc, x, "to"));
}

static void email_all(struct daemon *d, const struct conf *c, const struct prompt_rec *p,
		      const struct notify *n, const char *why, struct state *s)
{
	char err[400];
	for (int i = 0; n->emails && i < n->emails->count; i++) {
		const char *to = json_text(json_at(&n->doc, n->emails, i));
		if (!to)
			continue;
		if (send_mail(d, c, p, to, why, err, sizeof err) == 0) {
			s->emailed++;
		} else {
			snprintf(s->error, sizeof s->error, "%s", err);
			dlog(LOG_WARN, p->run_id, "prompt %s: %s", p->id, err);
		}
	}
}

static void deliver(struct daemon *d, const struct prompt_rec *p, int64_t now)
{
	struct conf c;
	struct notify n;
	struct state s;
	struct pform pf;
	char err[400] = "";
	conf_load(&c);
	notify_read(p->notify_json, &n);
	state_read(p->state_json, &s);
	memset(&pf, 0, sizeof pf);
	const char *escalate_to = NULL;
	int64_t due = 0;
	s.error[0] = 0;
	if (!n.ok || pform_parse(&pf, p->spec_json, err, sizeof err) != 0)
		goto save;   /* nothing this courier can do: due 0 */
	if (!s.sent) {
		int failed = 0;
		if (n.channel) {
			struct store_buf b = { 0 };
			message_json(p, &pf, n.channel, &b);
			if (slack_call(&c, "chat.postMessage", store_buf_cstr(&b), s.channel, sizeof s.channel,
				       s.ts, sizeof s.ts, err, sizeof err) == 0) {
				dlog(LOG_INFO, p->run_id, "prompt %s: posted to Slack %s", p->id, s.channel);
			} else {
				failed = 1;
				snprintf(s.error, sizeof s.error, "%s", err);
				dlog(LOG_WARN, p->run_id, "prompt %s: %s", p->id, err);
			}
			store_buf_free(&b);
		}
		email_all(d, &c, p, &n, "Your answer is needed: ", &s);
		s.attempts++;
		if (failed && s.attempts < MAX_ATTEMPTS) {
			due = now + RETRY_MS;
			goto save;
		}
		s.sent = 1;
	} else {
		int64_t rem = n.remind > 0 ? p->created + (int64_t)((s.reminders + 1) * n.remind * 1000) : 0;
		if (rem && rem <= now && s.reminders < MAX_REMINDERS) {
			s.reminders++;
			if (s.ts[0])
				thread_reply(&c, &s, "Reminder: this prompt still needs an answer.", err, sizeof err);
			email_all(d, &c, p, &n, "Reminder: ", &s);
			dlog(LOG_INFO, p->run_id, "prompt %s: reminder %d sent", p->id, s.reminders);
		}
		int64_t esc = n.after > 0 && n.xto && !s.escalated ? p->created + (int64_t)(n.after * 1000) : 0;
		if (esc && esc <= now) {
			s.escalated = 1;
			escalate_to = n.xto;
			struct members m;
			members_of(d, n.xto, &m);
			struct store_buf t = { 0 };
			store_buf_printf(&t, "Escalated to %s: no answer after %.0f s.", n.xto, n.after);
			for (int i = 0; i < m.n; i++) {
				char sid[40] = "", e2[128];
				rbac_user_contact(d->st, m.names[i], sid, sizeof sid, NULL, 0, e2, sizeof e2);
				if (sid[0])
					store_buf_printf(&t, " <@%s>", sid);
			}
			if (s.ts[0])
				thread_reply(&c, &s, store_buf_cstr(&t), err, sizeof err);
			store_buf_free(&t);
			for (int i = 0; i < m.n; i++) {
				char e3[400];
				if (send_mail(d, &c, p, m.names[i], "Escalated to you: ", e3, sizeof e3) == 0)
					s.emailed++;
				else
					dlog(LOG_WARN, p->run_id, "prompt %s: %s", p->id, e3);
			}
			dlog(LOG_INFO, p->run_id, "prompt %s: escalated to %s", p->id, n.xto);
		}
	}
	/* The next step: a reminder, or the escalation. */
	if (n.remind > 0 && s.reminders < MAX_REMINDERS)
		due = p->created + (int64_t)((s.reminders + 1) * n.remind * 1000);
	if (n.after > 0 && n.xto && !s.escalated) {
		int64_t esc = p->created + (int64_t)(n.after * 1000);
		if (!due || esc < due)
			due = esc;
	}
	if (due && due <= now)
		due = now + 1;
save:;
	char *st = state_write(&s);
	if (prompt_set_delivery(d->st, p->id, st, due, escalate_to, 0, err, sizeof err) != 0 && err[0])
		dlog(LOG_WARN, p->run_id, "prompt %s: %s", p->id, err);
	free(st);
	pform_free(&pf);
	if (n.ok)
		json_doc_free(&n.doc);
	conf_free(&c);
}

/* The message, once answered: who answered, and what. */
int dprompt_slack_answered(struct store *st, const char *id, char *err, size_t errlen)
{
	struct prompt_rec p;
	int rc = 0;
	if (prompt_get(st, id, &p, err, errlen) != 0)
		return -1;
	struct state s;
	state_read(p.state_json, &s);
	if (!p.open && s.ts[0]) {
		struct conf c;
		conf_load(&c);
		char *ans = pform_answer_text(p.answer_json);
		struct store_buf line = { 0 }, b = { 0 };
		store_buf_printf(&line, "Answered by %s: %s", p.answered_by ? p.answered_by : "?",
				 ans ? ans : "");
		free(ans);
		store_buf_str(&b, "{\"channel\":");
		store_buf_json(&b, s.channel);
		store_buf_str(&b, ",\"ts\":");
		store_buf_json(&b, s.ts);
		store_buf_str(&b, ",\"text\":");
		store_buf_json(&b, store_buf_cstr(&line));
		store_buf_str(&b, ",\"blocks\":[{\"type\":\"section\",\"text\":{\"type\":\"mrkdwn\",\"text\":");
		mrkdwn(&b, p.question);
		store_buf_str(&b, "}},{\"type\":\"section\",\"block_id\":\"soarctl_answered\",\"text\":"
			      "{\"type\":\"mrkdwn\",\"text\":");
		mrkdwn(&b, store_buf_cstr(&line));
		store_buf_str(&b, "}}]}");
		rc = slack_call(&c, "chat.update", store_buf_cstr(&b), NULL, 0, NULL, 0, err, errlen);
		store_buf_free(&line);
		store_buf_free(&b);
		conf_free(&c);
	}
	prompt_rec_free(&p);
	return rc;
}

static void update_answered(struct daemon *d, const char *id)
{
	char err[400];
	if (dprompt_slack_answered(d->st, id, err, sizeof err) != 0)
		dlog(LOG_WARN, NULL, "prompt %s: %s", id, err);
}

/* Reads the open prompts only when the store changed since the last look or
 * a due time seen then has come: many waiting prompts cost an idle daemon
 * one read transaction a second. */
static void scan(struct daemon *d, int64_t now)
{
	static size_t last_txn;
	static int64_t next_due;
	struct prompt_rec *ps = NULL;
	size_t n = 0, txn_id = runstore_txn_id(d->st);
	char err[256];
	if (txn_id && txn_id == last_txn && (!next_due || now < next_due))
		return;
	if (prompt_list(d->st, 1, 0, &ps, &n, err, sizeof err) != 0) {
		dlog(LOG_ERROR, NULL, "prompt courier: %s", err);
		return;
	}
	last_txn = txn_id;
	next_due = 0;
	for (size_t i = 0; i < n; i++) {
		if (ps[i].due_at && ps[i].due_at <= now && !C.quit)
			deliver(d, &ps[i], now);   /* writes: the next scan reads again */
		else if (ps[i].due_at && (!next_due || ps[i].due_at < next_due))
			next_due = ps[i].due_at;
		prompt_rec_free(&ps[i]);
	}
	free(ps);
}

static void *courier(void *arg)
{
	struct daemon *d = arg;
	int64_t next_scan = 0;
	pthread_mutex_lock(&C.mu);
	while (!C.quit) {
		struct job *j = C.jobs;
		C.jobs = NULL;
		pthread_mutex_unlock(&C.mu);
		struct conf c;
		int loaded = 0;
		while (j) {
			struct job *nx = j->next;
			if (j->kind == JOB_MODAL) {
				if (!loaded) {
					conf_load(&c);
					loaded = 1;
				}
				modal(d, &c, j->id, j->trigger);
			} else {
				update_answered(d, j->id);
			}
			free(j);
			j = nx;
		}
		if (loaded)
			conf_free(&c);
		int64_t now = now_ms();
		if (now >= next_scan) {
			scan(d, now);
			next_scan = now + SCAN_MS;
		}
		pthread_mutex_lock(&C.mu);
		if (!C.quit && !C.jobs) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			int64_t wait = next_scan - now_ms();
			if (wait < 1)
				wait = 1;
			ts.tv_sec += wait / 1000;
			ts.tv_nsec += (long)(wait % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&C.cv, &C.mu, &ts);
		}
	}
	pthread_mutex_unlock(&C.mu);
	return NULL;
}

int dprompt_courier_start(struct daemon *d)
{
	C.d = d;
	C.quit = 0;
	if (pthread_create(&C.th, NULL, courier, d) != 0)
		return -1;
	C.started = 1;
	return 0;
}

void dprompt_courier_stop(void)
{
	if (!C.started)
		return;
	pthread_mutex_lock(&C.mu);
	C.quit = 1;
	pthread_cond_signal(&C.cv);
	pthread_mutex_unlock(&C.mu);
	pthread_join(C.th, NULL);
	C.started = 0;
	while (C.jobs) {
		struct job *n = C.jobs->next;
		free(C.jobs);
		C.jobs = n;
	}
}
