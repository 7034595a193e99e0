/* daemon_selfservice.c - see daemon_selfservice.h. */
#include "prompt_form.h"
#include "daemon_selfservice.h"
#include "audit.h"
#include "case_attachment.h"
#include "hex.h"
#include "hmac.h"
#include "input_check.h"
#include "json.h"
#include "metrics.h"
#include "mime.h"
#include "prim_json.h"
#include "randbytes.h"
#include "rbac.h"
#include "store_buf.h"

#include <ctype.h>
#include <lauxlib.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SESSION_COOKIE "soarctl_form"
#define SESSION_TTL (8 * 3600)
#define SESSION_SLOTS 256
#define FORM_MAX_FIELDS 64

/* ---- reading the declaration (daemon_pb.c) ---- */

static char *str_field(lua_State *L, int t, const char *k)
{
	lua_getfield(L, t, k);
	char *v = lua_type(L, -1) == LUA_TSTRING ? strdup(lua_tostring(L, -1)) : NULL;
	lua_pop(L, 1);
	return v;
}

static int by_input_name(const void *a, const void *b)
{
	return strcmp(((const struct pb_input *)a)->name, ((const struct pb_input *)b)->name);
}

/* A list of strings at idx into out (count in n); -1 when it is not one. */
static int str_list(lua_State *L, int idx, char ***out, int *n)
{
	if (!lua_istable(L, idx))
		return -1;
	int count = (int)lua_objlen(L, idx);
	*out = calloc((size_t)count + 1, sizeof **out);
	if (!*out)
		return -1;
	for (int i = 1; i <= count; i++) {
		lua_rawgeti(L, idx, i);
		int ok = lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER;
		if (ok)
			(*out)[(*n)++] = strdup(lua_tostring(L, -1));
		lua_pop(L, 1);
		if (!ok)
			return -1;
	}
	return 0;
}

static void free_list(char **v, int n);

int pb_read_form(lua_State *L, int pb, struct pb_meta *m, char *err, size_t errlen)
{
	lua_getfield(L, pb, "inputs");                 /* stack: inputs */
	int spec = lua_gettop(L);
	if (lua_istable(L, spec)) {
		int count = 0;
		lua_pushnil(L);
		while (lua_next(L, spec)) {
			lua_pop(L, 1);
			count++;
		}
		m->inputs = calloc((size_t)count + 1, sizeof *m->inputs);
		lua_pushnil(L);
		while (m->inputs && lua_next(L, spec)) {   /* stack: inputs, name, decl */
			if (lua_type(L, -2) != LUA_TSTRING || !lua_istable(L, -1)) {
				lua_pop(L, 3);
				snprintf(err, errlen, "inputs must be a table of name = {type=...}");
				return -1;
			}
			int decl = lua_gettop(L);
			struct pb_input *in = &m->inputs[m->ninputs++];
			in->name = strdup(lua_tostring(L, -2));
			in->type = str_field(L, decl, "type");
			if (!in->type)
				in->type = strdup("any");
			in->label = str_field(L, decl, "label");
			in->description = str_field(L, decl, "description");
			lua_getfield(L, decl, "required");
			in->required = lua_toboolean(L, -1);
			lua_pop(L, 1);
			lua_getfield(L, decl, "default");
			if (!lua_isnil(L, -1)) {
				struct json_buf jb = {0};
				char jerr[128];
				if (json_encode_lua(L, lua_gettop(L), NULL, &jb, jerr, sizeof jerr) == 0)
					in->default_json = jb.data;
				else
					json_buf_free(&jb);
			}
			lua_pop(L, 1);
			lua_getfield(L, decl, "options");
			int bad = !lua_isnil(L, -1) &&
				  str_list(L, lua_gettop(L), &in->options, &in->noptions) != 0;
			lua_pop(L, 2);                     /* stack: inputs, name */
			if (bad) {
				lua_pop(L, 2);
				snprintf(err, errlen, "input '%s': options must be a list of strings",
					 in->name);
				return -1;
			}
		}
		if (m->ninputs > 1)
			qsort(m->inputs, (size_t)m->ninputs, sizeof *m->inputs, by_input_name);
	}
	lua_pop(L, 1);
	lua_getfield(L, pb, "form");                   /* stack: form */
	int f = lua_gettop(L);
	if (!lua_isnil(L, f)) {
		if (!lua_istable(L, f)) {
			lua_pop(L, 1);
			snprintf(err, errlen, "form must be a table: { title = ..., roles = {...} }");
			return -1;
		}
		m->form = calloc(1, sizeof *m->form);
		if (!m->form) {
			lua_pop(L, 1);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		m->form->title = str_field(L, f, "title");
		m->form->description = str_field(L, f, "description");
		lua_getfield(L, f, "roles");
		int bad = !lua_isnil(L, -1) &&
			  str_list(L, lua_gettop(L), &m->form->roles, &m->form->nroles) != 0;
		lua_pop(L, 1);
		lua_pushnil(L);
		const char *unknown = NULL;
		while (!unknown && lua_next(L, f)) {
			lua_pop(L, 1);
			const char *k = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "?";
			if (strcmp(k, "title") && strcmp(k, "description") && strcmp(k, "roles") &&
			    strcmp(k, "fields")) {
				snprintf(err, errlen, "form: unknown field '%s' (title, description, roles, "
					 "fields)", k);
				unknown = k;
				lua_pop(L, 1);
			}
		}
		if (unknown) {
			lua_pop(L, 1);
			return -1;
		}
		if (bad || !m->form->title) {
			lua_pop(L, 1);
			snprintf(err, errlen, bad ? "form.roles must be a list of role names"
						  : "form needs a title = \"...\"");
			return -1;
		}
		/* fields = {"a", "b"}: the order of the form's controls (inputs not
		 * named follow, by name). Lua tables keep no order of their own. */
		char **order = NULL;
		int norder = 0;
		lua_getfield(L, f, "fields");
		bad = !lua_isnil(L, -1) && str_list(L, lua_gettop(L), &order, &norder) != 0;
		lua_pop(L, 2);                     /* fields, form */
		for (int i = 0, at = 0; !bad && i < norder; i++) {
			int k = at;
			while (k < m->ninputs && strcmp(m->inputs[k].name, order[i]) != 0)
				k++;
			if (k == m->ninputs) {
				snprintf(err, errlen, "form.fields: '%s' is not a declared input (or named twice)",
					 order[i]);
				bad = 1;
				break;
			}
			struct pb_input x = m->inputs[k];   /* move it to `at`, keeping the rest's order */
			memmove(&m->inputs[at + 1], &m->inputs[at], (size_t)(k - at) * sizeof x);
			m->inputs[at++] = x;
		}
		if (bad && !err[0])
			snprintf(err, errlen, "form.fields must be a list of input names");
		free_list(order, norder);
		return bad ? -1 : 0;
	}
	lua_pop(L, 1);
	return 0;
}

static void free_list(char **v, int n)
{
	for (int i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

void pb_form_free(struct pb_meta *m)
{
	for (int i = 0; m->inputs && i < m->ninputs; i++) {
		struct pb_input *in = &m->inputs[i];
		free(in->name);
		free(in->type);
		free(in->label);
		free(in->description);
		free(in->default_json);
		free_list(in->options, in->noptions);
	}
	free(m->inputs);
	if (m->form) {
		free(m->form->title);
		free(m->form->description);
		free_list(m->form->roles, m->form->nroles);
		free(m->form);
	}
}

/* ---- sessions ---- */

struct session {
	unsigned char hash[32];   /* SHA-256 of the cookie's value */
	char user[128];
	time_t until;
};

static struct session sessions[SESSION_SLOTS];
static unsigned char csrf_key[32];
static int csrf_key_set;

static void sha256(const char *s, size_t n, unsigned char out[32])
{
	mbedtls_sha256_ret((const unsigned char *)s, n, out, 0);
}

/* The value of cookie `name` in the Cookie header, into out; 0 or -1. */
static int cookie(struct httpd_req *r, const char *name, char *out, size_t outlen)
{
	const char *c = httpd_header(r, "Cookie");
	size_t nl = strlen(name);
	while (c && *c) {
		c += strspn(c, " ;");
		size_t l = strcspn(c, ";");
		if (l > nl && strncmp(c, name, nl) == 0 && c[nl] == '=') {
			size_t vl = l - nl - 1;
			if (vl >= outlen)
				return -1;
			memcpy(out, c + nl + 1, vl);
			out[vl] = 0;
			return 0;
		}
		c += l;
	}
	return -1;
}

static struct session *session_find(struct httpd_req *r, char value[80])
{
	char v[80];
	if (cookie(r, SESSION_COOKIE, v, sizeof v) != 0 || strlen(v) != 64)
		return NULL;
	unsigned char h[32];
	sha256(v, 64, h);
	time_t now = time(NULL);
	for (int i = 0; i < SESSION_SLOTS; i++) {
		struct session *s = &sessions[i];
		if (s->until > now && memcmp(s->hash, h, 32) == 0) {
			if (value)
				memcpy(value, v, 65);
			return s;
		}
	}
	return NULL;
}

const char *ss_session_user(struct httpd_req *r)
{
	struct session *s = session_find(r, NULL);
	return s ? s->user : NULL;
}

/* The form's CSRF token for this session: HMAC(key, session value | form). */
static void csrf_token(const char *session_value, const char *form, char out[65])
{
	if (!csrf_key_set) {
		randbytes(csrf_key, sizeof csrf_key);
		csrf_key_set = 1;
	}
	const void *parts[] = { session_value, "|", form };
	const size_t lens[] = { strlen(session_value), 1, strlen(form) };
	unsigned char mac[32];
	hmac_sha256_parts(csrf_key, sizeof csrf_key, parts, lens, 3, mac);
	hex_encode(mac, 32, out);
	out[64] = 0;
}

static int ct_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);
	for (size_t i = 0; i < la && i < lb; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

/* ---- urlencoded bodies ---- */

struct field {
	char *name, *value;
};

static char *url_decode(const char *s, size_t n)
{
	char *out = malloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; out && i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
			   isxdigit((unsigned char)s[i + 2])) {
			char hx[3] = { s[i + 1], s[i + 2], 0 };
			if ((out[o++] = (char)strtol(hx, NULL, 16)) == 0) {
				free(out);    /* a NUL would cut the C string short: refused */
				return NULL;
			}
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	if (out)
		out[o] = 0;
	return out;
}

/* Splits an application/x-www-form-urlencoded body; -1 past FORM_MAX_FIELDS,
 * or when a value holds a NUL (no input takes one). */
static int parse_fields(const char *body, size_t len, struct field *f, int *n)
{
	*n = 0;
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && body[e] != '&')
			e++;
		if (e > i) {
			if (*n == FORM_MAX_FIELDS)
				return -1;
			const char *eq = memchr(body + i, '=', e - i);
			size_t kl = eq ? (size_t)(eq - (body + i)) : e - i;
			f[*n].name = url_decode(body + i, kl);
			f[*n].value = eq ? url_decode(eq + 1, (size_t)(body + e - eq - 1)) : strdup("");
			(*n)++;
			if (!f[*n - 1].name || !f[*n - 1].value)
				return -1;
		}
		i = e + 1;
	}
	return 0;
}

static void fields_free(struct field *f, int n)
{
	for (int i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].value);
	}
}

static const char *field_get(const struct field *f, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(f[i].name, name) == 0)
			return f[i].value;
	return NULL;
}

/* ---- HTML ---- */

static const char page_headers[] =
	"Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
	"frame-ancestors 'none'; base-uri 'none'\n"
	"X-Frame-Options: DENY\nX-Content-Type-Options: nosniff\nReferrer-Policy: no-referrer\n"
	"Cache-Control: no-store";

static void page_open(struct store_buf *b, const char *title)
{
	store_buf_str(b, "<!doctype html><html lang=en><head><meta charset=utf-8>"
		      "<meta name=viewport content=\"width=device-width, initial-scale=1\"><title>");
	pform_html_escape(b, title);
	store_buf_str(b, " - soarctl</title><style>"
		      "body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#111}"
		      "label{display:block;font-weight:600;margin-top:1rem}"
		      "input[type=text],input[type=number],input[type=password],select,textarea{width:100%;"
		      "padding:.4rem;font:inherit;box-sizing:border-box;border:1px solid #555}"
		      ".help{color:#333;margin:.2rem 0 0;font-size:.9rem}"
		      "button{margin-top:1.5rem;padding:.5rem 1.2rem;font:inherit}"
		      "[role=alert]{border:2px solid #a00;padding:.5rem;color:#700}"
		      "[role=status]{border:2px solid #070;padding:.5rem}"
		      ":focus{outline:3px solid #05a}</style></head><body><main>");
}

static void page_close(struct store_buf *b)
{
	store_buf_str(b, "</main></body></html>");
}

static void reply_page(struct httpd_req *r, unsigned status, struct store_buf *b, const char *more)
{
	char extra[1024];
	snprintf(extra, sizeof extra, "%s%s%s", page_headers, more ? "\n" : "", more ? more : "");
	httpd_reply(r, status, "text/html; charset=utf-8", b->p ? b->p : "", b->len, extra);
	store_buf_free(b);
}

/* The sign-in page: the API token, once; then a session cookie. */
static void signin_page(struct httpd_req *r, const char *next, const char *problem)
{
	struct store_buf b = {0};
	page_open(&b, "Sign in");
	store_buf_str(&b, "<h1>Sign in</h1>");
	if (problem) {
		store_buf_str(&b, "<p role=alert>");
		pform_html_escape(&b, problem);
		store_buf_str(&b, "</p>");
	}
	store_buf_str(&b, "<form method=post action=\"/forms/login\">"
		      "<input type=hidden name=next value=\"");
	pform_html_escape(&b, next);
	store_buf_str(&b, "\"><label for=token>API token</label>"
		      "<input type=password id=token name=token required autocomplete=current-password "
		      "aria-describedby=token-help>"
		      "<p class=help id=token-help>Your soarctl API token (<code>soarctl user token</code>). "
		      "It is sent once; a session cookie keeps you signed in for 8 hours.</p>"
		      "<button type=submit>Sign in</button></form>");
	page_close(&b);
	reply_page(r, problem ? 401 : 200, &b, NULL);
}

/* May `user` use this playbook's form (or start it over the API)? */
static int may_use(struct daemon *d, const struct pb_meta *pb, const char *user)
{
	if (!pb->form || pb->form->nroles == 0)
		return 1;
	char err[128];
	for (int i = 0; i < pb->form->nroles; i++)
		if (rbac_member(daemon_store(d), user, pb->form->roles[i], err, sizeof err) == 1)
			return 1;
	return 0;
}

static void roles_text(const struct pb_meta *pb, char *out, size_t len)
{
	size_t n = 0;
	out[0] = 0;
	for (int i = 0; pb->form && i < pb->form->nroles && n < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%s%s", i ? ", " : "", pb->form->roles[i]);
}

/* ---- the routes ---- */

void ss_login(struct daemon *d, struct httpd_req *r)
{
	size_t len;
	const char *body = httpd_body(r, &len);
	struct field f[FORM_MAX_FIELDS];
	int n = 0;
	if (parse_fields(body, len, f, &n) != 0) {
		fields_free(f, n);
		httpd_error(r, 400, "bad_request", "expected a sign-in form (token, next)", NULL);
		return;
	}
	const char *token = field_get(f, n, "token"), *next = field_get(f, n, "next");
	/* Back to a form of ours only: never an open redirect. */
	char to[300] = "/forms";
	if (next && strncmp(next, "/forms", 6) == 0 && (next[6] == 0 || next[6] == '/') &&
	    strlen(next) < sizeof to && !strpbrk(next, "\\\r\n\"<> ") && !strstr(next, "//"))
		snprintf(to, sizeof to, "%s", next);
	char user[128], err[256] = "";
	if (!token || !*token ||
	    rbac_token_auth(daemon_store(d), token, user, sizeof user, err, sizeof err) != 0) {
		fields_free(f, n);
		signin_page(r, to, "That token was not accepted (unknown, revoked or expired). "
			    "Make one with: soarctl user token");
		return;
	}
	fields_free(f, n);
	/* A new session in the oldest slot. */
	unsigned char raw[32];
	char value[65];
	randbytes(raw, sizeof raw);
	hex_encode(raw, sizeof raw, value);
	value[64] = 0;
	struct session *slot = &sessions[0];
	for (int i = 1; i < SESSION_SLOTS; i++)
		if (sessions[i].until < slot->until)
			slot = &sessions[i];
	sha256(value, 64, slot->hash);
	snprintf(slot->user, sizeof slot->user, "%s", user);
	slot->until = time(NULL) + SESSION_TTL;
	char actor[160], aerr[128];
	snprintf(actor, sizeof actor, "http:%s", user);
	audit_append(daemon_store(d), actor, "forms.signin", user, NULL, aerr, sizeof aerr);
	char extra[600];
	snprintf(extra, sizeof extra,
		 "Set-Cookie: " SESSION_COOKIE "=%s; Path=/forms; HttpOnly; SameSite=Strict; Max-Age=%d\n"
		 "Location: %s\nCache-Control: no-store", value, SESSION_TTL, to);
	static const char moved[] = "<!doctype html><meta charset=utf-8><p>Signed in.</p>";
	httpd_reply(r, 303, "text/html; charset=utf-8", moved, sizeof moved - 1, extra);
}

static int wants_json(struct httpd_req *r)
{
	const char *a = httpd_header(r, "Accept");
	const char *f = httpd_query(r, "format");
	return (f && strcmp(f, "json") == 0) || (a && strstr(a, "application/json") && !strstr(a, "text/html"));
}

void ss_forms_list(struct daemon *d, struct httpd_req *r, const char *user)
{
	if (!user) {
		signin_page(r, "/forms", NULL);
		return;
	}
	struct pb_set *set = daemon_playbooks(d);
	int json = wants_json(r);
	struct store_buf b = {0};
	if (json) {
		store_buf_str(&b, "{\"forms\":[");
	} else {
		page_open(&b, "Forms");
		store_buf_str(&b, "<h1>Forms</h1><p>Signed in as ");
		pform_html_escape(&b, user);
		store_buf_str(&b, ".</p><ul>");
	}
	int shown = 0;
	for (int i = 0; i < set->n; i++) {
		const struct pb_meta *pb = &set->pb[i];
		if (!pb->form || !may_use(d, pb, user))
			continue;
		if (json) {
			store_buf_str(&b, shown ? ",{\"name\":" : "{\"name\":");
			store_buf_json(&b, pb->name);
			store_buf_str(&b, ",\"title\":");
			store_buf_json(&b, pb->form->title);
			store_buf_str(&b, ",\"url\":\"/forms/");
			store_buf_str(&b, pb->name);
			store_buf_str(&b, "\"}");
		} else {
			store_buf_str(&b, "<li><a href=\"/forms/");
			pform_html_escape(&b, pb->name);
			store_buf_str(&b, "\">");
			pform_html_escape(&b, pb->form->title);
			store_buf_str(&b, "</a>");
			if (pb->form->description) {
				store_buf_str(&b, ": ");
				pform_html_escape(&b, pb->form->description);
			}
			store_buf_str(&b, "</li>");
		}
		shown++;
	}
	if (json) {
		store_buf_str(&b, "]}");
		httpd_reply(r, 200, "application/json", b.p, b.len, "Cache-Control: no-store");
		store_buf_free(&b);
		return;
	}
	store_buf_str(&b, "</ul>");
	if (!shown)
		store_buf_str(&b, "<p>No form is open to your roles.</p>");
	page_close(&b);
	reply_page(r, 200, &b, NULL);
}

/* ` id="in-NAME" name="NAME"` and, as the input needs, ` required` and
 * ` aria-describedby="help-NAME"`: what ties a control to its label and help. */
static void control_attrs(struct store_buf *b, const struct pb_input *in, int required)
{
	store_buf_str(b, " id=\"in-");
	pform_html_escape(b, in->name);
	store_buf_str(b, "\" name=\"");
	pform_html_escape(b, in->name);
	store_buf_str(b, "\"");
	if (required && in->required)
		store_buf_str(b, " required");
	if (in->description) {
		store_buf_str(b, " aria-describedby=\"help-");
		pform_html_escape(b, in->name);
		store_buf_str(b, "\"");
	}
}

/* A form input's HTML: label, control, help, all tied together for screen
 * readers (label for=, aria-describedby). `value` is the submitted text, or
 * NULL for the default. */
static void render_input(struct store_buf *b, const struct pb_input *in, const char *value)
{
	char def[512] = "";
	if (in->default_json) {
		struct json_doc d = {0};
		if (json_parse(&d, in->default_json, strlen(in->default_json), 0, NULL, 0) == 0) {
			const char *t = d.n[0].type == JSON_OBJECT || d.n[0].type == JSON_ARRAY ? NULL
												  : json_text(&d.n[0]);
			snprintf(def, sizeof def, "%s", t ? t : in->default_json);
		}
		json_doc_free(&d);
	}
	const char *v = value ? value : def;
	store_buf_str(b, "<label for=\"in-");
	pform_html_escape(b, in->name);
	store_buf_str(b, "\">");
	pform_html_escape(b, in->label ? in->label : in->name);
	if (in->required)
		store_buf_str(b, " (required)");
	store_buf_str(b, "</label>");
	const char *t = in->type;
	if (in->noptions) {
		store_buf_str(b, "<select");
		control_attrs(b, in, 1);
		store_buf_str(b, ">");
		for (int i = 0; i < in->noptions; i++) {
			store_buf_str(b, strcmp(in->options[i], v) == 0 ? "<option selected>" : "<option>");
			pform_html_escape(b, in->options[i]);
			store_buf_str(b, "</option>");
		}
		store_buf_str(b, "</select>");
	} else if (strcmp(t, "boolean") == 0) {
		store_buf_str(b, "<input type=checkbox value=true");
		control_attrs(b, in, 0);      /* unchecked is false: never required */
		store_buf_str(b, !strcmp(v, "true") || !strcmp(v, "on") ? " checked>" : ">");
	} else if (strcmp(t, "table") == 0 || strcmp(t, "any") == 0) {
		store_buf_str(b, "<textarea rows=4");
		control_attrs(b, in, 1);
		store_buf_str(b, ">");
		pform_html_escape(b, v);
		store_buf_str(b, "</textarea>");
	} else {
		int num = strcmp(t, "number") == 0 || strcmp(t, "integer") == 0;
		store_buf_printf(b, "<input type=%s%s", num ? "number" : "text",
				 !num ? "" : t[0] == 'i' ? " step=1" : " step=any");
		control_attrs(b, in, 1);
		store_buf_str(b, " value=\"");
		pform_html_escape(b, v);
		store_buf_str(b, "\">");
	}
	if (in->description) {
		store_buf_str(b, "<p class=help id=\"help-");
		pform_html_escape(b, in->name);
		store_buf_str(b, "\">");
		pform_html_escape(b, in->description);
		store_buf_str(b, "</p>");
	}
}

/* The playbook of a form route, or an answer (404/403) and NULL. */
static const struct pb_meta *form_of(struct daemon *d, struct httpd_req *r, const char *name,
				     const char *user, int need_form)
{
	const struct pb_meta *pb = pb_set_find(daemon_playbooks(d), name);
	if (!pb || (need_form && !pb->form)) {
		char msg[300];
		snprintf(msg, sizeof msg, need_form ? "no form named '%.200s' (GET /forms lists yours)"
						    : "no playbook named '%.200s'", name);
		httpd_error(r, 404, "not_found", msg, NULL);
		return NULL;
	}
	if (!may_use(d, pb, user)) {
		char roles[300], msg[600], actor[160], aerr[128];
		roles_text(pb, roles, sizeof roles);
		snprintf(msg, sizeof msg, "%s may be started by members of %s; %s is not one "
			 "(an admin can add the role: soarctl user role %s ...)", name, roles, user, user);
		snprintf(actor, sizeof actor, "http:%s", user);
		audit_append(daemon_store(d), actor, "access.denied", name, "{\"form_roles\":true}", aerr,
			     sizeof aerr);
		httpd_error(r, 403, "forbidden", msg, NULL);
		return NULL;
	}
	return pb;
}

static void form_render(struct httpd_req *r, const struct pb_meta *pb, const char *session_value,
			const struct field *f, int nf, const char *problem)
{
	struct store_buf b = {0};
	page_open(&b, pb->form->title);
	store_buf_str(&b, "<h1>");
	pform_html_escape(&b, pb->form->title);
	store_buf_str(&b, "</h1>");
	if (pb->form->description) {
		store_buf_str(&b, "<p>");
		pform_html_escape(&b, pb->form->description);
		store_buf_str(&b, "</p>");
	}
	if (problem) {
		store_buf_str(&b, "<p role=alert id=problem>");
		pform_html_escape(&b, problem);
		store_buf_str(&b, "</p>");
	}
	store_buf_str(&b, "<form method=post action=\"/forms/");
	pform_html_escape(&b, pb->name);
	store_buf_str(&b, "\">");
	if (session_value) {
		char csrf[65];
		csrf_token(session_value, pb->name, csrf);
		store_buf_printf(&b, "<input type=hidden name=_csrf value=\"%s\">", csrf);
	}
	for (int i = 0; i < pb->ninputs; i++)
		render_input(&b, &pb->inputs[i], f ? field_get(f, nf, pb->inputs[i].name) : NULL);
	store_buf_str(&b, "<button type=submit>Start</button></form>");
	page_close(&b);
	reply_page(r, problem ? 400 : 200, &b, NULL);
}

void ss_form_page(struct daemon *d, struct httpd_req *r, const char *name, const char *user)
{
	if (!user) {
		char next[300];
		snprintf(next, sizeof next, "/forms/%.200s", name);
		signin_page(r, next, NULL);
		return;
	}
	const struct pb_meta *pb = form_of(d, r, name, user, 1);
	if (!pb)
		return;
	char sv[80];
	struct session *s = session_find(r, sv);
	form_render(r, pb, s ? sv : NULL, NULL, 0, NULL);
}

/* Starts the run as `user` and audits it; answers 429 itself on a full queue. */
static int start_as(struct daemon *d, struct httpd_req *r, const struct pb_meta *pb,
		    const char *user, const char *input_json, const char *via, char run_id[37])
{
	char actor[160];
	snprintf(actor, sizeof actor, "http:%s", user);
	if (daemon_start_playbook_as(d, pb, input_json, actor, run_id) != 0) {
		httpd_error(r, 429, "overloaded", "the run queue is full; retry", "Retry-After: 1");
		return -1;
	}
	/* The audit names the inputs given, never their values (a form may carry
	 * anything a person typed). */
	struct store_buf det = {0};
	store_buf_printf(&det, "{\"run\":\"%s\",\"via\":\"%s\",\"inputs\":[", run_id, via);
	struct json_doc doc = {0};
	if (json_parse(&doc, input_json, strlen(input_json), 0, NULL, 0) == 0)
		for (int k = doc.n[0].child, i = 0; k >= 0; k = doc.n[k].next, i++) {
			if (i)
				store_buf_str(&det, ",");
			store_buf_json(&det, doc.n[k].key);
		}
	json_doc_free(&doc);
	store_buf_str(&det, "]}");
	char aerr[128];
	audit_append(daemon_store(d), actor, "playbook.start", pb->name, store_buf_cstr(&det), aerr,
		     sizeof aerr);
	store_buf_free(&det);
	dlog(LOG_INFO, run_id, "%s started by %s (%s)", pb->name, user, via);
	return 0;
}

void ss_form_submit(struct daemon *d, struct httpd_req *r, const char *name, const char *user)
{
	const struct pb_meta *pb = form_of(d, r, name, user, 1);
	if (!pb)
		return;
	size_t len;
	const char *body = httpd_body(r, &len);
	struct field f[FORM_MAX_FIELDS];
	int nf = 0;
	if (parse_fields(body, len, f, &nf) != 0) {
		fields_free(f, nf);
		httpd_error(r, 400, "bad_request", "expected the form's fields (urlencoded, at most 64)",
			    NULL);
		return;
	}
	/* A browser's post rides on the session cookie: it must carry the page's
	 * CSRF token, and come from this host when the browser says where from.
	 * A post with a bearer token carries no ambient credential. */
	char sv[80];
	struct session *s = httpd_header(r, "Authorization") ? NULL : session_find(r, sv);
	if (s) {
		char want[65];
		csrf_token(sv, pb->name, want);
		const char *got = field_get(f, nf, "_csrf");
		const char *origin = httpd_header(r, "Origin"), *host = httpd_header(r, "Host");
		int origin_ok = 1;
		if (origin && strcmp(origin, "null") != 0) {
			const char *h = strstr(origin, "://");
			origin_ok = h && host && strcmp(h + 3, host) == 0;
		}
		if (!got || !ct_eq(got, want) || !origin_ok) {
			fields_free(f, nf);
			char actor[160], aerr[128];
			snprintf(actor, sizeof actor, "http:%s", user);
			audit_append(daemon_store(d), actor, "access.denied", pb->name,
				     "{\"csrf\":true}", aerr, sizeof aerr);
			httpd_error(r, 403, "forbidden", "the form's CSRF token is missing or wrong, or the "
				    "post came from another site: reload the form and submit again", NULL);
			return;
		}
	}
	char err[512] = "";
	for (int i = 0; i < nf && !err[0]; i++) {
		int known = strcmp(f[i].name, "_csrf") == 0;
		for (int k = 0; k < pb->ninputs && !known; k++)
			known = strcmp(pb->inputs[k].name, f[i].name) == 0;
		if (!known)
			snprintf(err, sizeof err, "unknown field '%.100s'", f[i].name);
	}
	struct store_buf in = {0};
	store_buf_str(&in, "{");
	int first = 1;
	for (int k = 0; k < pb->ninputs && !err[0]; k++) {
		const struct pb_input *x = &pb->inputs[k];
		const char *v = field_get(f, nf, x->name);
		int is_bool = strcmp(x->type, "boolean") == 0 && !x->noptions;
		if (!is_bool && (!v || !*v)) {
			if (x->required && !x->default_json)
				snprintf(err, sizeof err, "%s is required", x->label ? x->label : x->name);
			continue;                    /* not given: the default applies */
		}
		if (!first)
			store_buf_str(&in, ",");
		first = 0;
		store_buf_json(&in, x->name);
		store_buf_str(&in, ":");
		if (input_from_text(x, v ? v : "false", &in, err, sizeof err) != 0)
			break;
	}
	store_buf_str(&in, "}");
	if (err[0]) {
		form_render(r, pb, s ? sv : NULL, f, nf, err);
		fields_free(f, nf);
		store_buf_free(&in);
		return;
	}
	fields_free(f, nf);
	char run_id[37];
	if (start_as(d, r, pb, user, store_buf_cstr(&in), "form", run_id) != 0) {
		store_buf_free(&in);
		return;
	}
	store_buf_free(&in);
	struct store_buf b = {0};
	page_open(&b, pb->form->title);
	store_buf_str(&b, "<h1>");
	pform_html_escape(&b, pb->form->title);
	store_buf_str(&b, "</h1><p role=status>Started: run <code id=run>");
	store_buf_str(&b, run_id);
	store_buf_str(&b, "</code> of ");
	pform_html_escape(&b, pb->name);
	store_buf_str(&b, ", as ");
	pform_html_escape(&b, user);
	store_buf_str(&b, ".</p><p><a href=\"/forms\">All forms</a></p>");
	page_close(&b);
	reply_page(r, 201, &b, NULL);
}

void ss_api_start(struct daemon *d, struct httpd_req *r, const char *name, const char *user)
{
	const struct pb_meta *pb = form_of(d, r, name, user, 0);
	if (!pb)
		return;
	size_t len;
	const char *body = httpd_body(r, &len);
	if (len == 0 || len == strspn(body, " \t\r\n"))
		body = "{}", len = 2;
	struct json_doc doc = {0};
	char err[512] = "";
	if (json_parse(&doc, body, len, 0, err, sizeof err) != 0) {
		httpd_error(r, 400, "bad_json", err, NULL);
		return;
	}
	const struct json_node *o = &doc.n[0];
	if (o->type != JSON_OBJECT)
		snprintf(err, sizeof err, "expected a JSON object of inputs: {\"name\": value, ...}");
	for (int k = o->type == JSON_OBJECT ? o->child : -1; k >= 0 && !err[0]; k = doc.n[k].next) {
		const struct pb_input *x = NULL;
		for (int i = 0; i < pb->ninputs && !x; i++)
			if (strcmp(pb->inputs[i].name, doc.n[k].key) == 0)
				x = &pb->inputs[i];
		if (!x) {
			size_t n = (size_t)snprintf(err, sizeof err, "unknown input '%.100s' (%s takes: ",
						    doc.n[k].key, pb->name);
			for (int i = 0; i < pb->ninputs && n < sizeof err; i++)
				n += (size_t)snprintf(err + n, sizeof err - n, "%s%s", i ? ", " : "",
						      pb->inputs[i].name);
			if (n < sizeof err)
				snprintf(err + n, sizeof err - n, "%s)", pb->ninputs ? "" : "none");
		} else {
			input_check_json(x, &doc.n[k], err, sizeof err);
		}
	}
	for (int i = 0; i < pb->ninputs && !err[0]; i++)
		if (pb->inputs[i].required && !pb->inputs[i].default_json &&
		    !json_get(&doc, o, pb->inputs[i].name))
			snprintf(err, sizeof err, "missing required input '%s'", pb->inputs[i].name);
	json_doc_free(&doc);
	if (err[0]) {
		httpd_error(r, 400, "bad_input", err, NULL);
		return;
	}
	char *input = strndup(body, len), run_id[37];
	if (!input) {
		httpd_error(r, 500, "internal", "out of memory", NULL);
		return;
	}
	int rc = start_as(d, r, pb, user, input, "api", run_id);
	free(input);
	if (rc != 0)
		return;
	struct store_buf b = {0};
	store_buf_printf(&b, "{\"run\":\"%s\",\"playbook\":", run_id);
	store_buf_json(&b, pb->name);
	store_buf_printf(&b, ",\"status\":\"queued\",\"url\":\"/api/v1/runs/%s\"}", run_id);
	char loc[80];
	snprintf(loc, sizeof loc, "Location: /api/v1/runs/%s", run_id);
	httpd_reply(r, 201, "application/json", b.p, b.len, loc);
	store_buf_free(&b);
}

void ss_attachment(struct daemon *d, struct httpd_req *r, const char *ref, const char *name)
{
	void *data;
	size_t len;
	char err[600] = "", sha[65];
	int rc = case_attachment_get(daemon_store(d), ref, name, &data, &len, sha, err, sizeof err);
	if (rc != 0) {
		int nf = rc == 1 || strstr(err, "not a case number");
		httpd_error(r, nf ? 404 : 500, nf ? "not_found" : "store", err, NULL);
		return;
	}
	struct store_buf h = {0};
	store_buf_str(&h, "Content-Disposition: ");
	mime_content_disposition(&h, name);
	store_buf_printf(&h, "\nX-Content-Type-Options: nosniff\nContent-Security-Policy: "
			 "default-src 'none'; sandbox\nCache-Control: private, no-store\n"
			 "ETag: \"%.32s\"", sha);
	httpd_reply(r, 200, mime_type_for_name(name), data, len, store_buf_cstr(&h));
	store_buf_free(&h);
	free(data);
}
