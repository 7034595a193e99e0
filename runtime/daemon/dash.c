/* dash.c - the dashboard's routing, sign-in, sessions and CSRF (dash.h).
 *
 * Sign-in: POST /ui/login with an API token; the token is checked with
 * rbac_token_auth (audited, as every API use) and exchanged for a session whose
 * random id goes in an HttpOnly, SameSite=Strict cookie: the browser never
 * holds the token, and no other site can send the cookie. Every POST carries
 * the session's CSRF token (a form field, or X-CSRF-Token from app.js), checked
 * before anything is done. Every page and action names the access route whose
 * permission it needs, so a viewer can no more close a case here than with
 * the API; a refusal is audited by rbac_require, as on the API. */
#include "prompt_form.h"
#include "daemon_prompt.h"
#include "dash.h"

#include "access_rules.h"
#include "case.h"
#include "daemon_int.h"
#include "daemon_warroom.h"
#include "dash_assets.h"
#include "dash_session.h"
#include "rbac.h"
#include "runstore.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DASH_MAX_BODY (64u << 10)
#define PERM_SESSION (-1)   /* any signed-in user */
#define PERM_PUBLIC (-2)    /* no session needed (sign-in page, assets) */

/* What each page and action needs. A POST is an action. */
struct dash_route {
	const char *method, *pattern;   /* pattern segments after /ui; "*" = any one */
	int route;                      /* enum access_route, PERM_SESSION or PERM_PUBLIC */
};

static const struct dash_route routes[] = {
	{ "GET", "", ROUTE_CASES_READ },                 /* / : the overview */
	{ "GET", "login", PERM_PUBLIC },
	{ "POST", "login", PERM_PUBLIC },
	{ "POST", "logout", PERM_SESSION },
	{ "GET", "assets/*", PERM_PUBLIC },
	{ "GET", "cases", ROUTE_CASES_READ },
	{ "GET", "cases/*", ROUTE_CASES_READ },
	{ "POST", "cases/*/close", ROUTE_CASES_WRITE },
	{ "POST", "cases/*/note", ROUTE_CASES_WRITE },
	{ "POST", "cases/*/warroom", ROUTE_WARROOM },
	{ "GET", "runs", ROUTE_RUNS_READ },
	{ "GET", "runs/*", ROUTE_RUNS_READ },
	{ "POST", "runs/*/resume", ROUTE_RUNS_CONTROL },
	{ "POST", "runs/*/cancel", ROUTE_RUNS_CONTROL },
	{ "POST", "prompts/*/answer", ROUTE_PROMPT_ANSWER },
	{ "GET", "jobs", ROUTE_JOBS_READ },
	{ "GET", "edls", ROUTE_EDL },
	{ "GET", "playbooks", ROUTE_RUNS_READ },
	{ "GET", "events", ROUTE_CASES_READ },
};

/* Segments after "/ui" ("/" alone: none). */
static int dash_split(const char *path, char seg[6][256])
{
	if (strncmp(path, "/ui", 3) == 0)
		path += 3;
	int n = 0;
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		if (n == 6)
			return -1;
		size_t l = strcspn(p, "/");
		if (l >= 256)
			return -1;
		snprintf(seg[n++], 256, "%.*s", (int)l, p);
		p += l;
	}
	return n;
}

static const struct dash_route *match(const char *method, char seg[6][256], int n)
{
	if (strcmp(method, "HEAD") == 0)
		method = "GET";
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		const struct dash_route *rt = &routes[i];
		if (strcmp(rt->method, method) != 0)
			continue;
		int k = 0, ok = 1;
		for (const char *p = rt->pattern; *p && ok; k++) {
			size_t l = strcspn(p, "/");
			ok = k < n && ((l == 1 && *p == '*') || (strlen(seg[k]) == l &&
								 strncmp(seg[k], p, l) == 0));
			p += l;
			if (*p == '/')
				p++;
		}
		if (ok && k == n)
			return rt;
	}
	return NULL;
}

static struct dash_session *session_of(struct httpd_req *r)
{
	char sid[DASH_SID_LEN + 1];
	if (!dash_cookie_sid(httpd_header(r, "Cookie"), sid))
		return NULL;
	return dash_session_find(sid, time(NULL));
}

static const char SEC_HEADERS[] =
	"Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; "
	"img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
	"base-uri 'none'\nX-Frame-Options: DENY\nX-Content-Type-Options: nosniff\n"
	"Referrer-Policy: same-origin\nCache-Control: no-store";

static void html_status(struct httpd_req *r, unsigned status, const char *title, const char *msg,
			const char *extra)
{
	struct store_buf b = {0};
	store_buf_str(&b, "<!doctype html><meta charset=utf-8><title>soarctl</title>"
		      "<link rel=stylesheet href=\"/ui/assets/style.css\"><main><h1>");
	pform_html_escape(&b, title);
	store_buf_str(&b, "</h1><p class=err>");
	pform_html_escape(&b, msg);
	store_buf_str(&b, "</p><p><a href=\"/\">Overview</a> · <a href=\"/ui/login\">Sign in</a></p></main>");
	char hdr[1024];
	snprintf(hdr, sizeof hdr, "%s%s%s", SEC_HEADERS, extra ? "\n" : "", extra ? extra : "");
	httpd_reply(r, status, "text/html; charset=utf-8", b.p, b.len, hdr);
	store_buf_free(&b);
}

/* The permission check of a route for `user`; answers 403 and returns -1. */
static int check_perm(struct daemon *d, struct httpd_req *r, const char *user, int route)
{
	if (route < 0)
		return 0;
	char err[256] = "", actor[160];
	snprintf(actor, sizeof actor, "web:%s", user);
	if (rbac_require(d->st, user, actor, access_route_perm((enum access_route)route),
			 httpd_path(r), err, sizeof err) != 0) {
		html_status(r, 403, "Not allowed", err, NULL);
		return -1;
	}
	return 0;
}

void dash_gate(struct daemon *d, struct httpd_req *r)
{
	char seg[6][256];
	int n = dash_split(httpd_path(r), seg);
	const struct dash_route *rt = n < 0 ? NULL : match(httpd_method(r), seg, n);
	if (!rt) {
		html_status(r, 404, "Not found", "no such page", NULL);
		return;
	}
	int post = strcmp(rt->method, "POST") == 0;
	httpd_set_body_limit(r, post ? DASH_MAX_BODY : 0);
	if (rt->route == PERM_PUBLIC)
		return;
	struct dash_session *s = session_of(r);
	if (!s) {
		if (post)
			html_status(r, 401, "Signed out", "your session ended or never began: sign in "
				    "again", NULL);
		else
			httpd_reply(r, 303, "text/plain", "sign in\n", 8, "Location: /ui/login\n"
				    "Cache-Control: no-store");
		return;
	}
	if (check_perm(d, r, s->user, rt->route) != 0)
		return;
	httpd_set_user(r, s->user);
}

/* ---- page helpers ---- */

void dash_printf(struct dash_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	for (const char *p = fmt; *p; p++) {
		if (*p != '%') {
			const char *e = strchr(p, '%');
			size_t l = e ? (size_t)(e - p) : strlen(p);
			store_buf_add(&c->b, p, l);
			p += l - 1;
			continue;
		}
		p++;
		if (*p == 's')
			pform_html_escape(&c->b, va_arg(ap, const char *));
		else if (*p == 'd')
			store_buf_printf(&c->b, "%d", va_arg(ap, int));
		else if (*p == 'u')
			store_buf_printf(&c->b, "%u", va_arg(ap, unsigned));
		else if (strncmp(p, "lld", 3) == 0) {
			store_buf_printf(&c->b, "%lld", va_arg(ap, long long));
			p += 2;
		} else if (strncmp(p, "llu", 3) == 0) {
			store_buf_printf(&c->b, "%llu", va_arg(ap, unsigned long long));
			p += 2;
		} else if (strncmp(p, "ld", 2) == 0) {
			store_buf_printf(&c->b, "%ld", va_arg(ap, long));
			p++;
		} else if (strncmp(p, "zu", 2) == 0) {
			store_buf_printf(&c->b, "%zu", va_arg(ap, size_t));
			p++;
		} else if (strncmp(p, ".1f", 3) == 0) {
			store_buf_printf(&c->b, "%.1f", va_arg(ap, double));
			p += 2;
		} else if (*p == '%')
			store_buf_str(&c->b, "%");
		else
			break; /* a format this does not know: stop rather than guess */
	}
	va_end(ap);
}

void dash_csrf_field(struct dash_ctx *c)
{
	dash_printf(c, "<input type=hidden name=csrf value=\"%s\">", c->s->csrf);
}

int dash_may(struct dash_ctx *c, int route)
{
	return (c->perms_ok >> route) & 1u;
}

void dash_page_start(struct dash_ctx *c, const char *title)
{
	dash_printf(c, "<!doctype html><html lang=en><head><meta charset=utf-8><title>%s · soarctl"
		    "</title><meta name=viewport content=\"width=device-width\">"
		    "<meta name=csrf content=\"%s\"><link rel=stylesheet href=\"/ui/assets/style.css\">"
		    "<script src=\"/ui/assets/app.js\" defer></script></head><body><header>"
		    "<b>soarctl</b><a href=\"/\">Overview</a><a href=\"/ui/cases\">Cases</a>"
		    "<a href=\"/ui/runs\">Runs</a><a href=\"/ui/jobs\">Jobs</a><a href=\"/ui/edls\">EDLs"
		    "</a><a href=\"/ui/playbooks\">Playbooks</a><form method=post action=\"/ui/logout\">",
		    title, c->s->csrf);
	dash_csrf_field(c);
	dash_printf(c, "<span id=whoami>%s</span> <button>Sign out</button></form></header><main>"
		    "<h1>%s</h1>", c->s->user, title);
}

void dash_page_end(struct dash_ctx *c)
{
	store_buf_str(&c->b, "</main></body></html>\n");
	httpd_reply(c->r, 200, "text/html; charset=utf-8", c->b.p, c->b.len, SEC_HEADERS);
	store_buf_free(&c->b);
}

void dash_message(struct dash_ctx *c, unsigned status, const char *title, const char *msg)
{
	store_buf_free(&c->b);
	html_status(c->r, status, title, msg, NULL);
}

/* ---- sign-in ---- */

static void login_page(struct httpd_req *r, unsigned status, const char *error)
{
	const struct dash_asset *a = dash_asset_find("login.html");
	const char *tpl = a ? (const char *)a->data : "{{error}}";
	const char *at = strstr(tpl, "{{error}}");
	struct store_buf b = {0};
	store_buf_add(&b, tpl, at ? (size_t)(at - tpl) : strlen(tpl));
	if (error) {
		store_buf_str(&b, "<p class=err id=login-error>");
		pform_html_escape(&b, error);
		store_buf_str(&b, "</p>");
	}
	if (at)
		store_buf_str(&b, at + 9);
	httpd_reply(r, status, "text/html; charset=utf-8", b.p, b.len, SEC_HEADERS);
	store_buf_free(&b);
}

/* 1 when the request's Origin (if any) is this host: a sign-in posted from
 * another site (login CSRF: the victim signed in as the attacker) is refused.
 * Browsers send Origin on every cross-site POST; "null" (a sandboxed frame, a
 * page with Referrer-Policy no-referrer, which is why the pages here say
 * same-origin) is refused too. */
static int same_origin(struct httpd_req *r)
{
	const char *o = httpd_header(r, "Origin"), *h = httpd_header(r, "Host");
	if (!o)
		return 1;
	const char *p = strstr(o, "://");
	return p && h && strcmp(p + 3, h) == 0;
}

static void login_post(struct daemon *d, struct httpd_req *r)
{
	if (!same_origin(r)) {
		login_page(r, 403, "sign-in refused: the form was posted from another site");
		return;
	}
	size_t len;
	const char *body = httpd_body(r, &len);
	char token[256] = "", user[128], err[256] = "";
	if (!form_value(body, len, "token", token, sizeof token) || !token[0]) {
		login_page(r, 400, "give an API token");
		return;
	}
	int rc = rbac_token_auth(d->st, token, user, sizeof user, err, sizeof err);
	memset(token, 0, sizeof token);
	if (rc != 0) {
		login_page(r, 401, "that token is not valid (unknown, revoked, expired, or its user is "
			   "disabled): create one with soarctl user token");
		return;
	}
	struct dash_session *s = dash_session_new(user, time(NULL));
	if (!s) {
		login_page(r, 500, "no randomness for a session id: try again");
		return;
	}
	char hdr[512];
	snprintf(hdr, sizeof hdr, "Set-Cookie: soar_session=%s; Path=/; HttpOnly; SameSite=Strict; "
		 "Max-Age=%d\nLocation: /\nCache-Control: no-store", s->sid, DASH_SESSION_TTL);
	httpd_reply(r, 303, "text/plain", "signed in\n", 10, hdr);
}

static void asset(struct httpd_req *r, const char *name)
{
	const struct dash_asset *a = dash_asset_find(name);
	const char *dot = strrchr(name, '.');
	if (!a || !dot || strcmp(name, "login.html") == 0) {
		html_status(r, 404, "Not found", "no such file", NULL);
		return;
	}
	const char *ct = strcmp(dot, ".css") == 0 ? "text/css; charset=utf-8"
			 : strcmp(dot, ".js") == 0 ? "text/javascript; charset=utf-8"
			 : "application/octet-stream";
	httpd_reply(r, 200, ct, (const char *)a->data, a->len,
		    "Cache-Control: max-age=300\nX-Content-Type-Options: nosniff");
}

/* ---- actions (POST) ---- */

static void redirect(struct httpd_req *r, const char *to)
{
	char hdr[700];
	snprintf(hdr, sizeof hdr, "Location: %s\nCache-Control: no-store", to);
	httpd_reply(r, 303, "text/plain", "done\n", 5, hdr);
}

static void action(struct dash_ctx *c, const char *body, size_t len)
{
	struct daemon *d = c->d;
	const char *what = c->seg[0];
	char err[300] = "", actor[160], to[600], text[8192] = "";
	snprintf(actor, sizeof actor, "web:%s", c->s->user);
	if (strcmp(what, "logout") == 0) {
		dash_session_end(c->s);
		httpd_reply(c->r, 303, "text/plain", "signed out\n", 11,
			    "Set-Cookie: soar_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0\n"
			    "Location: /ui/login\nCache-Control: no-store");
		return;
	}
	if (strcmp(what, "cases") == 0) {
		const char *ref = c->seg[1], *act = c->seg[2];
		snprintf(to, sizeof to, "/ui/cases/%s", ref);
		int rc;
		if (strcmp(act, "close") == 0) {
			form_value(body, len, "reason", text, sizeof text);
			rc = case_close(d->st, ref, text[0] ? text : "closed from the dashboard", actor,
					NULL, err, sizeof err);
		} else if (strcmp(act, "note") == 0) {
			form_value(body, len, "text", text, sizeof text);
			if (!text[0]) {
				dash_message(c, 400, "Nothing to add", "write the note's text");
				return;
			}
			rc = case_note(d->st, ref, CASE_ENTRY_NOTE, actor, text, NULL, NULL, err, sizeof err);
		} else {
			warroom_api(d, c->r, c->s->user, ref); /* answers itself (JSON) */
			return;
		}
		if (rc != 0)
			dash_message(c, rc == 1 ? 404 : 409, "Refused", err);
		else
			redirect(c->r, to);
		return;
	}
	if (strcmp(what, "runs") == 0) {
		const char *id = c->seg[1];
		snprintf(to, sizeof to, "/ui/runs/%s", id);
		if (strcmp(c->seg[2], "cancel") == 0) {
			if (run_cancel(d->st, id, err, sizeof err) != 0)
				dash_message(c, 409, "Refused", err);
			else
				redirect(c->r, to);
			return;
		}
		struct run_rec x;
		if (run_get(d->st, id, &x, err, sizeof err) != 0) {
			dash_message(c, 404, "Not found", err);
			return;
		}
		int st = x.status;
		run_rec_free(&x);
		if (st != RUN_WAITING)
			dash_message(c, 409, "Refused", "only a waiting run resumes");
		else if (daemon_resume(d, id) < 0)
			dash_message(c, 429, "Busy", "the run queue is full; try again in a moment");
		else
			redirect(c->r, to);
		return;
	}
	if (strcmp(what, "prompts") == 0) {
		char choice[512] = "", back[300] = "";
		int status;
		form_value(body, len, "choice", choice, sizeof choice);
		form_value(body, len, "back", back, sizeof back);
		if (dprompt_answer_choice(d, c->seg[1], choice[0] ? choice : NULL, c->s->user, err,
					  sizeof err, &status) != 0) {
			dash_message(c, (unsigned)status, "Answer refused", err);
			return;
		}
		/* back: only a path of this site */
		redirect(c->r, back[0] == '/' && back[1] != '/' && !strpbrk(back, "\r\n\\") ? back : "/");
		return;
	}
	dash_message(c, 404, "Not found", "no such action");
}

void dash_handle(struct daemon *d, struct httpd_req *r)
{
	struct dash_ctx c;
	memset(&c, 0, sizeof c);
	c.d = d;
	c.r = r;
	c.nseg = dash_split(httpd_path(r), c.segbuf);
	const struct dash_route *rt = c.nseg < 0 ? NULL : match(httpd_method(r), c.segbuf, c.nseg);
	if (!rt) {
		html_status(r, 404, "Not found", "no such page", NULL);
		return;
	}
	for (int i = 0; i < 6; i++)
		c.seg[i] = i < c.nseg ? c.segbuf[i] : "";
	int post = strcmp(rt->method, "POST") == 0;
	if (rt->route == PERM_PUBLIC) {
		if (strcmp(c.seg[0], "assets") == 0)
			asset(r, c.seg[1]);
		else if (post)
			login_post(d, r);
		else
			login_page(r, 200, NULL);
		return;
	}
	/* Fail closed: the gate let it through, but check again. */
	c.s = session_of(r);
	const char *user = httpd_user(r);
	if (!c.s || !user || strcmp(user, c.s->user) != 0) {
		html_status(r, 401, "Signed out", "sign in again", NULL);
		return;
	}
	if (post) {
		size_t len;
		const char *body = httpd_body(r, &len);
		char tok[DASH_CSRF_LEN + 8] = "";
		const char *h = httpd_header(r, "X-CSRF-Token");
		if (h)
			snprintf(tok, sizeof tok, "%s", h);
		else
			form_value(body, len, "csrf", tok, sizeof tok);
		if (!dash_session_csrf_ok(c.s, tok)) {
			html_status(r, 403, "Refused", "the form's CSRF token is missing or wrong: reload "
				    "the page and submit it again", NULL);
			return;
		}
		action(&c, body, len);
		return;
	}
	/* which actions to offer: the same checks, without auditing */
	char err[256];
	for (int i = 0; i < ROUTE_COUNT; i++)
		if (rbac_check(d->st, c.s->user, access_route_perm((enum access_route)i), err,
			       sizeof err) == 0)
			c.perms_ok |= 1u << i;
	const char *p = c.seg[0];
	if (c.nseg == 0)
		dash_overview(&c);
	else if (strcmp(p, "cases") == 0)
		c.nseg == 1 ? dash_cases(&c) : dash_case(&c, c.seg[1]);
	else if (strcmp(p, "runs") == 0)
		c.nseg == 1 ? dash_runs(&c) : dash_run(&c, c.seg[1]);
	else if (strcmp(p, "jobs") == 0)
		dash_jobs(&c);
	else if (strcmp(p, "edls") == 0)
		dash_edls(&c);
	else if (strcmp(p, "playbooks") == 0)
		dash_playbooks(&c);
	else if (strcmp(p, "events") == 0)
		dash_events(&c);
	else
		html_status(r, 404, "Not found", "no such page", NULL);
}
