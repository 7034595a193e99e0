/* prim_email.c - the `email` namespace: email.send over SMTP with libcurl.
 *
 * Settings come from the integrations config (docs/integrations.md), entry
 * "email": smtp_url ("smtp://host:587", "smtps://host:465"), from (default
 * sender), username, password (the vault's email.password wins when it exists),
 * ca_file, mock. STARTTLS is required unless the server is a local relay
 * (127.0.0.1, ::1, localhost) or the URL is smtps:// (TLS from the start).
 *
 * email.send is a journaled step ("email.send"): a resumed run does not send the
 * message again. Arguments are checked before anything is allocated in C; the
 * message is built (mime.c) and sent inside a no-interrupt region.
 */
#include "case_attachment.h"
#include "datadir.h"
#include "http.h"
#include "integration.h"
#include "prim_json.h"
#include "mime.h"
#include "prim.h"
#include "secret.h"
#include "step.h"
#include "store_buf.h"

#include "smtp.h"
#include <curl/curl.h>
#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SIG_SEND "email.send{from=string, to=string|{string}, cc=, bcc=, reply_to=string, " \
	"subject=string, text=string, html=string, attachments={{name=, content=, type=} | " \
	"{case=ref, name=}}}"
#define MAX_RCPT 100
#define MAX_ATT 20
#define MAX_MESSAGE ((size_t)32 << 20)

static const char *const fields[] = {
	"from", "to", "cc", "bcc", "reply_to", "subject", "text", "html", "attachments", NULL,
};

static const char *opt_string(lua_State *L, int t, const char *k, size_t *len)
{
	lua_getfield(L, t, k);
	const char *s = NULL;
	if (!lua_isnil(L, -1)) {
		if (lua_type(L, -1) != LUA_TSTRING)
			prim_usage(L, SIG_SEND, "%s is a %s, not a string", k, luaL_typename(L, -1));
		s = lua_tolstring(L, -1, len);
	}
	lua_pop(L, 1);
	return s;
}

/* to/cc/bcc: a string or a list of strings; appends to rcpt. */
static size_t addresses(lua_State *L, int t, const char *k, const char **out, size_t n)
{
	lua_getfield(L, t, k);
	size_t start = n;
	if (lua_type(L, -1) == LUA_TSTRING) {
		out[n++] = lua_tostring(L, -1);
	} else if (lua_istable(L, -1)) {
		for (int i = 1; i <= (int)lua_objlen(L, -1); i++) {
			lua_rawgeti(L, -1, i);
			if (lua_type(L, -1) != LUA_TSTRING)
				prim_usage(L, SIG_SEND, "%s[%d] is not a string", k, i);
			if (n >= MAX_RCPT)
				prim_usage(L, SIG_SEND, "more than %d recipients", MAX_RCPT);
			out[n++] = lua_tostring(L, -1);
			lua_pop(L, 1);        /* the list keeps the string alive */
		}
	} else if (!lua_isnil(L, -1)) {
		prim_usage(L, SIG_SEND, "%s must be an address or a list of addresses", k);
	}
	lua_pop(L, 1);
	for (size_t i = start; i < n; i++)
		if (!mime_address_ok(out[i]))
			prim_usage(L, SIG_SEND, "%s: '%s' is not an email address", k, out[i]);
	return n;
}

/* Reads the "email" entry of the integrations config onto the stack (a table,
 * or nil). */
static void push_config(lua_State *L)
{
	char *text;
	size_t len;
	char err[512];
	prim_noint_enter();
	int rc = integration_config_read(&text, &len, err, sizeof err);
	prim_noint_leave();
	if (rc < 0)
		luaL_error(L, "email.send: %s", err);
	if (rc == 0) {
		lua_pushnil(L);
		return;
	}
	rc = json_decode_push(L, text, len, NULL, err, sizeof err);
	prim_noint_enter();
	free(text);
	prim_noint_leave();
	if (rc != 0)
		luaL_error(L, "email.send: the integration config is not JSON: %s", err);
	if (lua_istable(L, -1))
		lua_getfield(L, -1, "email");
	else
		lua_pushnil(L);
	lua_remove(L, -2);
}

static const char *cfg_str(lua_State *L, int cfg, const char *k)
{
	if (!lua_istable(L, cfg))
		return NULL;
	lua_getfield(L, cfg, k);
	const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
	lua_pop(L, 1);
	return s;
}

/* The SMTP password: the vault's email.password, else the config's. Pushes it
 * (or nil). */
static void push_password(lua_State *L, int cfg)
{
	char err[256];
	size_t len = 0;
	struct secret_actor actor = { SECRET_ACTOR_INTEGRATION, "email" };
	prim_noint_enter();
	unsigned char *buf = malloc(SECRET_MAX_VALUE);
	struct secret_vault *v = buf && datadir_get() ? secret_vault_default(err, sizeof err) : NULL;
	int rc = v ? secret_get(v, &actor, "email.password", NULL, buf, SECRET_MAX_VALUE, &len, err, sizeof err)
		   : -1;
	prim_noint_leave();
	if (rc == 0)
		lua_pushlstring(L, (const char *)buf, len);
	else if (cfg_str(L, cfg, "password"))
		lua_pushstring(L, cfg_str(L, cfg, "password"));
	else
		lua_pushnil(L);
	prim_noint_enter();
	if (buf)
		explicit_bzero(buf, SECRET_MAX_VALUE);
	free(buf);
	prim_noint_leave();
}

/* The bytes of attachments read from cases, owned by a userdata on the stack
 * until the call ends: freed by its __gc whatever way the call leaves. */
#define ATTBOX_MT "soarctl.email.attbox"
struct attbox {
	void *p[MAX_ATT];
};

static int attbox_gc(lua_State *L)
{
	struct attbox *b = lua_touserdata(L, 1);
	for (int i = 0; b && i < MAX_ATT; i++) {
		free(b->p[i]);
		b->p[i] = NULL;
	}
	return 0;
}

static struct attbox *attbox_new(lua_State *L)
{
	struct attbox *b = lua_newuserdata(L, sizeof *b);
	memset(b, 0, sizeof *b);
	if (luaL_newmetatable(L, ATTBOX_MT)) {
		lua_pushcfunction(L, attbox_gc);
		lua_setfield(L, -2, "__gc");
	}
	lua_setmetatable(L, -2);
	return b;
}

static int l_send(lua_State *L)
{
	if (!lua_istable(L, 1))
		prim_usage(L, SIG_SEND, "argument 1 is %s, not a table",
			   lua_isnoneornil(L, 1) ? "missing" : luaL_typename(L, 1));
	lua_settop(L, 1);
	lua_pushnil(L);
	while (lua_next(L, 1)) {
		lua_pop(L, 1);
		int known = 0;
		for (const char *const *f = fields; *f && !known; f++)
			known = lua_type(L, -1) == LUA_TSTRING && strcmp(*f, lua_tostring(L, -1)) == 0;
		if (!known)
			prim_usage(L, SIG_SEND, "unknown field %s", lua_type(L, -1) == LUA_TSTRING
				   ? lua_tostring(L, -1) : luaL_typename(L, -1));
	}
	struct mime_message m;
	memset(&m, 0, sizeof m);
	const char *rcpt[MAX_RCPT * 3];
	size_t nto = addresses(L, 1, "to", rcpt, 0);
	size_t ncc = addresses(L, 1, "cc", rcpt, nto) - nto;
	size_t nall = addresses(L, 1, "bcc", rcpt, nto + ncc);
	if (nall == 0)
		prim_usage(L, SIG_SEND, "no recipient: give to, cc or bcc");
	m.to = rcpt;
	m.nto = nto;
	m.cc = rcpt + nto;
	m.ncc = ncc;
	m.subject = opt_string(L, 1, "subject", NULL);
	m.text = opt_string(L, 1, "text", &m.text_len);
	m.html = opt_string(L, 1, "html", &m.html_len);
	m.reply_to = opt_string(L, 1, "reply_to", NULL);
	const char *from = opt_string(L, 1, "from", NULL);
	struct mime_attachment att[MAX_ATT];
	char att_case[MAX_ATT][48];            /* {case=ref, name=}: the case, else "" */
	memset(att_case, 0, sizeof att_case);
	lua_getfield(L, 1, "attachments");
	if (!lua_isnil(L, -1)) {
		if (!lua_istable(L, -1))
			prim_usage(L, SIG_SEND, "attachments must be a list of {name=, content=, type=}");
		int a = lua_gettop(L);
		for (int i = 1; i <= (int)lua_objlen(L, a); i++) {
			if (m.natt == MAX_ATT)
				prim_usage(L, SIG_SEND, "more than %d attachments", MAX_ATT);
			lua_rawgeti(L, a, i);
			if (!lua_istable(L, -1))
				prim_usage(L, SIG_SEND, "attachments[%d] is not a table", i);
			int t = lua_gettop(L);
			struct mime_attachment *x = &att[m.natt++];
			lua_getfield(L, t, "case");
			int ct = lua_type(L, -1);
			if (ct == LUA_TNUMBER || ct == LUA_TSTRING) {
				size_t rl;
				const char *ref = lua_tolstring(L, -1, &rl);
				if (rl == 0 || rl >= sizeof att_case[0])
					prim_usage(L, SIG_SEND, "attachments[%d].case is not a case "
						   "reference", i);
				memcpy(att_case[m.natt - 1], ref, rl + 1);
			} else if (ct != LUA_TNIL) {
				prim_usage(L, SIG_SEND, "attachments[%d].case is a %s, not a case "
					   "reference", i, luaL_typename(L, -1));
			}
			lua_pop(L, 1);
			if (att_case[m.natt - 1][0]) {
				lua_getfield(L, t, "name");
				lua_getfield(L, t, "content");
				lua_getfield(L, t, "type");
				if (lua_type(L, -3) != LUA_TSTRING || !lua_isnil(L, -2) ||
				    !(lua_isnil(L, -1) || lua_type(L, -1) == LUA_TSTRING))
					prim_usage(L, SIG_SEND, "attachments[%d]: {case=ref, name=string "
						   "[, type=string]} (the content is the case's)", i);
				x->name = lua_tostring(L, -3);
				x->type = lua_tostring(L, -1);
				x->content = NULL;
				x->len = 0;
				lua_pop(L, 3);
				continue;
			}
			lua_getfield(L, t, "name");
			lua_getfield(L, t, "content");
			lua_getfield(L, t, "type");
			if (lua_type(L, -3) != LUA_TSTRING || lua_type(L, -2) != LUA_TSTRING ||
			    !(lua_isnil(L, -1) || lua_type(L, -1) == LUA_TSTRING))
				prim_usage(L, SIG_SEND, "attachments[%d] needs name and content strings", i);
			x->name = lua_tostring(L, -3);
			x->content = lua_tolstring(L, -2, &x->len);
			x->type = lua_tostring(L, -1);
			lua_pop(L, 3);          /* the attachment table keeps them */
		}
	}
	m.att = att;

	char sum[160];
	snprintf(sum, sizeof sum, "email.send to %zu recipient%s", nall, nall == 1 ? "" : "s");
	int n = step_replay(L, "email.send");
	if (n >= 0)
		return n;

	push_config(L);
	int cfg = lua_gettop(L);
	if (!from)
		from = cfg_str(L, cfg, "from");
	if (!from)
		prim_usage(L, SIG_SEND, "no sender: give from, or set \"from\" in the email config");
	m.from = from;
	m.date = time(NULL);
	char msgid[160];
	mime_message_id(from, msgid, sizeof msgid);
	m.message_id = msgid;
	int mock = integration_mock_all() || (lua_istable(L, cfg) && (lua_getfield(L, cfg, "mock"),
						lua_toboolean(L, -1)));
	lua_settop(L, cfg);
	const char *url = cfg_str(L, cfg, "smtp_url");
	if (!mock && !url)
		return luaL_error(L, "email.send: no SMTP server: set \"smtp_url\" in the \"email\" entry of "
				  "the integrations config (docs/integrations.md)");
	if (url && strncmp(url, "smtp://", 7) != 0 && strncmp(url, "smtps://", 8) != 0)
		return luaL_error(L, "email.send: smtp_url must start with smtp:// or smtps://");
	const char *user = cfg_str(L, cfg, "username");
	const char *ca_file = cfg_str(L, cfg, "ca_file");
	push_password(L, cfg);
	const char *password = lua_tostring(L, -1);

	/* Attachments named by case: read now (not when replaying), held by a box. */
	struct attbox *ab = NULL;
	for (size_t i = 0; i < m.natt; i++) {
		if (!att_case[i][0])
			continue;
		if (!ab)
			ab = attbox_new(L);
		char aerr[600];
		size_t alen = 0;
		prim_noint_enter();
		struct store *st = store_default(aerr, sizeof aerr);
		int arc = st ? case_attachment_get(st, att_case[i], att[i].name, &ab->p[i], &alen, NULL,
						   aerr, sizeof aerr) : -1;
		prim_noint_leave();
		if (arc != 0) {
			lua_pushnil(L);
			lua_pushstring(L, arc == 1 ? "not_found" : "store");
			lua_pushstring(L, aerr);
			step_record(L, "email.send", sum, 3);
			return 3;
		}
		att[i].content = ab->p[i];
		att[i].len = alen;
		if (!att[i].type)
			att[i].type = mime_type_for_name(att[i].name);
	}

	struct store_buf msg = { 0 };
	char err[512];
	prim_noint_enter();
	int rc = mime_build(&m, &msg, err, sizeof err);
	prim_noint_leave();
	if (rc != 0) {
		prim_noint_enter();
		store_buf_free(&msg);
		prim_noint_leave();
		prim_usage(L, SIG_SEND, "%s", err);
	}
	if (msg.len > MAX_MESSAGE) {
		prim_noint_enter();
		store_buf_free(&msg);
		prim_noint_leave();
		lua_pushnil(L);
		lua_pushliteral(L, "too_large");
		lua_pushfstring(L, "the message is larger than %d MiB", (int)(MAX_MESSAGE >> 20));
		step_record(L, "email.send", sum, 3);
		return 3;
	}
	if (mock) {
		prim_noint_enter();
		store_buf_free(&msg);
		prim_noint_leave();
		lua_createtable(L, 0, 3);
		lua_pushstring(L, msgid);
		lua_setfield(L, -2, "id");
		lua_pushinteger(L, (lua_Integer)nall);
		lua_setfield(L, -2, "recipients");
		lua_pushboolean(L, 1);
		lua_setfield(L, -2, "mock");
		step_record(L, "email.send", sum, 1);
		return 1;
	}

	char ebuf[CURL_ERROR_SIZE] = "";
	const char *kind = NULL;
	struct smtp_conf sc = { url, user, password, ca_file };
	prim_noint_enter();
	int sent = smtp_send(&sc, from, rcpt, nall, msg.p, msg.len, &kind, ebuf, sizeof ebuf);
	store_buf_free(&msg);
	prim_noint_leave();
	int nres;
	if (sent == 0) {
		lua_createtable(L, 0, 2);
		lua_pushstring(L, msgid);
		lua_setfield(L, -2, "id");
		lua_pushinteger(L, (lua_Integer)nall);
		lua_setfield(L, -2, "recipients");
		nres = 1;
	} else {
		lua_pushnil(L);
		lua_pushstring(L, kind);
		lua_pushstring(L, ebuf);
		nres = 3;
	}
	step_record(L, "email.send", sum, nres);
	return nres;
}

static const luaL_Reg email_fns[] = {
	{ "send", l_send },
	{ NULL, NULL },
};

int prim_open_email(lua_State *L)
{
	lua_createtable(L, 0, 1);
	luaL_register(L, NULL, email_fns);
	return 1;
}
