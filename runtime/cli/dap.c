/* dap.c - `soarctl debug --dap`: the debugger (engine/debugger.h) as a Debug
 * Adapter Protocol server on stdin/stdout, for VS Code, Neovim (nvim-dap) and
 * any DAP client. Messages are Content-Length framed JSON.
 *
 * The debugger is synchronous: it asks its front end for a command whenever
 * the run is paused or idle. Here that ask reads DAP requests, answers the
 * ones that only look (stackTrace, scopes, variables, evaluate) or set
 * breakpoints, and returns the debugger command of the first one that moves
 * the run (continue, next, stepIn, stepOut, stepBack, reverseContinue,
 * disconnect). Everything the session prints becomes `output` events; pauses
 * become `stopped` events; an ended run `exited` and `terminated`.
 *
 * A reader thread takes requests off stdin while the run executes, so that
 * `pause` reaches a playbook that never stops by itself: it is answered at
 * once and flags the debugger, which stops at the next line. Every other
 * request waits in a queue for the main thread. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* fopencookie */
#endif
#include "access.h"
#include "dap.h"
#include "cli.h"
#include "debugger.h"
#include "integration.h"
#include "json.h"
#include "prim_json.h"
#include "playbook.h"
#include "rbac.h"
#include "runout.h"
#include "store_buf.h"

#include <lauxlib.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DAP_BPS 256
#define MAX_MSG ((size_t)16 << 20)
/* variablesReference: 1 + a frame for its scope, TABLE_REF + a debugger
 * handle for a table's fields. */
#define TABLE_REF 1000000
#define MAX_SHOWN 400          /* characters of a value in the variables view */

struct msg {
	struct msg *next;
	char *body;
	size_t len;
};

struct dap {
	FILE *in, *proto;             /* requests; the protocol channel (stdout) */
	lua_State *J;                 /* decodes requests (main thread only) */
	int seq;                      /* atomic: both threads send */
	pthread_mutex_t send_mu;      /* one message on the wire at a time */
	pthread_mutex_t q_mu;
	pthread_cond_t q_cv;
	struct msg *q_head, *q_tail;  /* requests read, not yet handled */
	int q_eof;
	int pause_req;                /* atomic: set by a pause request */
	pthread_t reader;
	int have_reader;
	int closed;                   /* proto is closed: the reader sends nothing */
	struct dbg *d;
	/* Breakpoints: the debugger's ids, by the source (or "" for function ones). */
	struct { int id; char *source; } bps[MAX_DAP_BPS];
	int nbps, next_id;
	char *pending[MAX_DAP_BPS];   /* commands given before the debugger exists */
	int npending;
	int configured, started, quit;
	const char *first;            /* the command that starts the run */
	struct sandbox_limits limits;
};

/* ---- the wire ---- */

static void send_raw(struct dap *a, const char *json, size_t len)
{
	pthread_mutex_lock(&a->send_mu);
	if (a->closed) {
		pthread_mutex_unlock(&a->send_mu);
		return;
	}
	fprintf(a->proto, "Content-Length: %zu\r\n\r\n", len);
	fwrite(json, 1, len, a->proto);
	fflush(a->proto);
	pthread_mutex_unlock(&a->send_mu);
}

static int next_seq(struct dap *a)
{
	return __atomic_add_fetch(&a->seq, 1, __ATOMIC_RELAXED);
}

static void send_buf(struct dap *a, struct store_buf *b)
{
	char *s = store_buf_cstr(b);
	if (s)
		send_raw(a, s, b->len);
	store_buf_free(b);
}

static void event(struct dap *a, const char *name, const char *body_json)
{
	struct store_buf b = { 0 };
	store_buf_printf(&b, "{\"seq\":%d,\"type\":\"event\",\"event\":\"%s\"", next_seq(a), name);
	if (body_json)
		store_buf_printf(&b, ",\"body\":%s", body_json);
	store_buf_str(&b, "}");
	send_buf(a, &b);
}

static void respond(struct dap *a, int req_seq, const char *cmd, int ok, const char *message,
		    const char *body_json)
{
	struct store_buf b = { 0 };
	store_buf_printf(&b, "{\"seq\":%d,\"type\":\"response\",\"request_seq\":%d,\"success\":%s,"
			 "\"command\":", next_seq(a), req_seq, ok ? "true" : "false");
	store_buf_json(&b, cmd);
	if (message) {
		store_buf_str(&b, ",\"message\":");
		store_buf_json(&b, message);
	}
	if (body_json)
		store_buf_printf(&b, ",\"body\":%s", body_json);
	store_buf_str(&b, "}");
	send_buf(a, &b);
}

/* Reads one frame's body from in (malloc'd), or NULL at the end of input or
 * on a damaged frame. */
static char *read_frame(FILE *in, size_t *lenp)
{
	char line[256];
	size_t len = 0;
	int have = 0;
	for (;;) {
		if (!fgets(line, sizeof line, in))
			return NULL;
		if (!strcmp(line, "\r\n") || !strcmp(line, "\n")) {
			if (have)
				break;
			continue;
		}
		if (!strncasecmp(line, "Content-Length:", 15)) {
			len = strtoul(line + 15, NULL, 10);
			have = 1;
		}
	}
	if (len == 0 || len > MAX_MSG)
		return NULL;
	char *body = malloc(len + 1);
	if (!body || fread(body, 1, len, in) != len) {
		free(body);
		return NULL;
	}
	body[len] = 0;
	*lenp = len;
	return body;
}

/* A pause request is answered here, at once, whatever the main thread does. */
static int take_pause(struct dap *a, const char *body, size_t len)
{
	struct json_doc doc;
	memset(&doc, 0, sizeof doc);
	char err[128];
	int taken = 0;
	if (json_parse(&doc, body, len, 0, err, sizeof err) == 0) {
		const char *cmd = json_text(json_get(&doc, &doc.n[0], "command"));
		double seq = 0;
		if (cmd && !strcmp(cmd, "pause")) {
			json_number(json_get(&doc, &doc.n[0], "seq"), &seq);
			__atomic_store_n(&a->pause_req, 1, __ATOMIC_RELEASE);
			respond(a, (int)seq, "pause", 1, NULL, NULL);
			taken = 1;
		}
	}
	json_doc_free(&doc);
	return taken;
}

static void *reader_main(void *arg)
{
	struct dap *a = arg;
	for (;;) {
		size_t len = 0;
		char *body = read_frame(a->in, &len);
		if (body && take_pause(a, body, len)) {
			free(body);
			continue;
		}
		struct msg *m = body ? calloc(1, sizeof *m) : NULL;
		pthread_mutex_lock(&a->q_mu);
		if (m) {
			m->body = body;
			m->len = len;
			if (a->q_tail)
				a->q_tail->next = m;
			else
				a->q_head = m;
			a->q_tail = m;
		} else {
			free(body);
			a->q_eof = 1;
		}
		pthread_cond_signal(&a->q_cv);
		pthread_mutex_unlock(&a->q_mu);
		if (!m)
			return NULL;
	}
}

/* Takes the next request and leaves it decoded at the top of a->J; 0, or -1
 * at the end of input or on a damaged frame. */
static int read_msg(struct dap *a)
{
	pthread_mutex_lock(&a->q_mu);
	while (!a->q_head && !a->q_eof)
		pthread_cond_wait(&a->q_cv, &a->q_mu);
	struct msg *m = a->q_head;
	if (m) {
		a->q_head = m->next;
		if (!a->q_head)
			a->q_tail = NULL;
	}
	pthread_mutex_unlock(&a->q_mu);
	if (!m)
		return -1;
	char err[200];
	lua_settop(a->J, 0);
	int rc = json_decode_push(a->J, m->body, m->len, NULL, err, sizeof err);
	free(m->body);
	free(m);
	if (rc != 0 || !lua_istable(a->J, -1)) {
		lua_settop(a->J, 0);
		lua_newtable(a->J);     /* answered as an unknown request */
	}
	return 0;
}

static const char *field_str(lua_State *J, int t, const char *k)
{
	lua_getfield(J, t, k);
	const char *s = lua_type(J, -1) == LUA_TSTRING ? lua_tostring(J, -1) : NULL;
	lua_pop(J, 1);          /* the string stays alive: it is in the table */
	return s;
}

static double field_num(lua_State *J, int t, const char *k, double dflt)
{
	lua_getfield(J, t, k);
	double v = lua_type(J, -1) == LUA_TNUMBER ? lua_tonumber(J, -1) : dflt;
	lua_pop(J, 1);
	return v;
}

static int field_bool(lua_State *J, int t, const char *k)
{
	lua_getfield(J, t, k);
	int v = lua_toboolean(J, -1);
	lua_pop(J, 1);
	return v;
}

/* Pushes t[k] if a table, else a new empty table. */
static int push_table(lua_State *J, int t, const char *k)
{
	lua_getfield(J, t, k);
	if (!lua_istable(J, -1)) {
		lua_pop(J, 1);
		lua_newtable(J);
	}
	return lua_gettop(J);
}

/* ---- output and stops ---- */

static ssize_t out_write(void *cookie, const char *buf, size_t size)
{
	struct dap *a = cookie;
	struct store_buf b = { 0 };
	store_buf_str(&b, "{\"category\":\"console\",\"output\":");
	store_buf_json_n(&b, buf, size);
	store_buf_str(&b, "}");
	char *s = store_buf_cstr(&b);
	if (s)
		event(a, "output", s);
	store_buf_free(&b);
	return (ssize_t)size;
}

static void on_stopped(void *ui, const char *reason, const char *text)
{
	struct dap *a = ui;
	struct store_buf b = { 0 };
	store_buf_printf(&b, "{\"reason\":\"%s\",\"threadId\":1,\"allThreadsStopped\":true,"
			 "\"description\":", reason);
	store_buf_json(&b, text);
	store_buf_str(&b, "}");
	char *s = store_buf_cstr(&b);
	if (s)
		event(a, "stopped", s);
	store_buf_free(&b);
}

static void on_ended(void *ui, int status)
{
	struct dap *a = ui;
	char body[64];
	snprintf(body, sizeof body, "{\"exitCode\":%d}", status == RUN_SUCCEEDED ? 0 : 1);
	event(a, "exited", body);
	event(a, "terminated", NULL);
}

/* ---- breakpoints ---- */

static void command(struct dap *a, const char *cmd)
{
	if (a->d) {
		dbg_command(a->d, cmd);
	} else if (a->npending < MAX_DAP_BPS) {
		a->pending[a->npending++] = strdup(cmd);
	}
}

static void drop_bps(struct dap *a, const char *source)
{
	for (int i = 0; i < a->nbps;) {
		if (!strcmp(a->bps[i].source, source)) {
			char cmd[32];
			snprintf(cmd, sizeof cmd, "delete %d", a->bps[i].id);
			command(a, cmd);
			free(a->bps[i].source);
			a->bps[i] = a->bps[--a->nbps];
		} else {
			i++;
		}
	}
}

/* "break WHERE [hits H] [if COND]" from a DAP breakpoint at t; its id. */
static int add_bp(struct dap *a, const char *where, const char *source, int t)
{
	if (a->nbps == MAX_DAP_BPS)
		return 0;
	struct store_buf b = { 0 };
	store_buf_printf(&b, "break %s", where);
	const char *hit = field_str(a->J, t, "hitCondition");
	if (hit && *hit) {
		store_buf_str(&b, " hits ");
		store_buf_str(&b, hit);
	}
	const char *cond = field_str(a->J, t, "condition");
	if (cond && *cond) {
		store_buf_str(&b, " if ");
		store_buf_str(&b, cond);
	}
	char *cmd = store_buf_cstr(&b);
	if (cmd)
		command(a, cmd);
	store_buf_free(&b);
	a->bps[a->nbps].id = ++a->next_id;
	a->bps[a->nbps++].source = strdup(source);
	return a->next_id;
}

static void set_breakpoints(struct dap *a, int seq, int args)
{
	lua_State *J = a->J;
	int src = push_table(J, args, "source");
	const char *path = field_str(J, src, "path");
	if (!path) {
		respond(a, seq, "setBreakpoints", 0, "source.path is missing", NULL);
		return;
	}
	drop_bps(a, path);
	int list = push_table(J, args, "breakpoints");
	struct store_buf b = { 0 };
	store_buf_str(&b, "{\"breakpoints\":[");
	int n = (int)lua_objlen(J, list);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(J, list, i);
		int t = lua_gettop(J);
		int line = (int)field_num(J, t, "line", 0);
		char where[4200];
		snprintf(where, sizeof where, "%s:%d", path, line);
		int id = add_bp(a, where, path, t);
		store_buf_printf(&b, "%s{\"id\":%d,\"verified\":%s,\"line\":%d}", i > 1 ? "," : "", id,
				 id ? "true" : "false", line);
		lua_settop(J, t - 1);
	}
	store_buf_str(&b, "]}");
	char *body = store_buf_cstr(&b);
	respond(a, seq, "setBreakpoints", 1, NULL, body ? body : "{\"breakpoints\":[]}");
	store_buf_free(&b);
}

static void set_function_breakpoints(struct dap *a, int seq, int args)
{
	lua_State *J = a->J;
	drop_bps(a, "");
	int list = push_table(J, args, "breakpoints");
	struct store_buf b = { 0 };
	store_buf_str(&b, "{\"breakpoints\":[");
	int n = (int)lua_objlen(J, list);
	for (int i = 1; i <= n; i++) {
		lua_rawgeti(J, list, i);
		int t = lua_gettop(J);
		const char *name = field_str(J, t, "name");
		int id = name ? add_bp(a, name, "", t) : 0;
		store_buf_printf(&b, "%s{\"id\":%d,\"verified\":%s}", i > 1 ? "," : "", id,
				 id ? "true" : "false");
		lua_settop(J, t - 1);
	}
	store_buf_str(&b, "]}");
	char *body = store_buf_cstr(&b);
	respond(a, seq, "setFunctionBreakpoints", 1, NULL, body ? body : "{\"breakpoints\":[]}");
	store_buf_free(&b);
}

/* ---- looking ---- */

struct collect {
	struct store_buf b;
	int n;
};

static void frame_cb(void *ud, int level, const char *name, const char *source, int line)
{
	struct collect *c = ud;
	store_buf_printf(&c->b, "%s{\"id\":%d,\"name\":", c->n++ ? "," : "", level);
	store_buf_json(&c->b, name);
	store_buf_str(&c->b, ",\"source\":{\"path\":");
	store_buf_json(&c->b, source);
	const char *slash = strrchr(source, '/');
	store_buf_str(&c->b, ",\"name\":");
	store_buf_json(&c->b, slash ? slash + 1 : source);
	store_buf_printf(&c->b, "},\"line\":%d,\"column\":1}", line);
}

static void var_cb(void *ud, const char *name, const char *value, const char *kind, int ref)
{
	struct collect *c = ud;
	store_buf_printf(&c->b, "%s{\"name\":", c->n++ ? "," : "");
	store_buf_json(&c->b, name);
	store_buf_str(&c->b, ",\"value\":");
	size_t len = strlen(value);
	if (len > MAX_SHOWN) {
		/* Cut on a character boundary; the text was scrubbed whole before. */
		size_t cut = MAX_SHOWN;
		while (cut > 0 && ((unsigned char)value[cut] & 0xC0) == 0x80)
			cut--;
		char *shown = malloc(cut + 4);
		if (shown) {
			memcpy(shown, value, cut);
			memcpy(shown + cut, "\xe2\x80\xa6", 4);
			store_buf_json(&c->b, shown);
			free(shown);
		} else {
			store_buf_json(&c->b, "...");
		}
	} else {
		store_buf_json(&c->b, value);
	}
	store_buf_str(&c->b, ",\"type\":");
	store_buf_json(&c->b, kind);
	store_buf_printf(&c->b, ",\"variablesReference\":%d}", ref ? TABLE_REF + ref : 0);
}

static void respond_collect(struct dap *a, int seq, const char *cmd, struct collect *c)
{
	char *body = store_buf_cstr(&c->b);
	respond(a, seq, cmd, body != NULL, body ? NULL : "out of memory", body);
	store_buf_free(&c->b);
}

/* ---- requests ---- */

static void launch(struct dap *a, int seq, const char *cmd, int args);

/* Handles one request; returns a debugger command that moves the run
 * (malloc'd), or NULL when it only looked or set something. */
static char *dispatch(struct dap *a)
{
	lua_State *J = a->J;
	int msg = lua_gettop(J);
	int seq = (int)field_num(J, msg, "seq", 0);
	const char *cmd = field_str(J, msg, "command");
	int args = push_table(J, msg, "arguments");
	if (!cmd)
		cmd = "";
	if (!strcmp(cmd, "initialize")) {
		respond(a, seq, cmd, 1, NULL,
			"{\"supportsConfigurationDoneRequest\":true,\"supportsStepBack\":true,"
			"\"supportsConditionalBreakpoints\":true,\"supportsHitConditionalBreakpoints\":true,"
			"\"supportsFunctionBreakpoints\":true,\"supportsEvaluateForHovers\":true,"
			"\"supportsTerminateRequest\":true}");
		event(a, "initialized", NULL);
	} else if (!strcmp(cmd, "launch") || !strcmp(cmd, "attach")) {
		launch(a, seq, cmd, args);
	} else if (!strcmp(cmd, "setBreakpoints")) {
		set_breakpoints(a, seq, args);
	} else if (!strcmp(cmd, "setFunctionBreakpoints")) {
		set_function_breakpoints(a, seq, args);
	} else if (!strcmp(cmd, "setExceptionBreakpoints")) {
		respond(a, seq, cmd, 1, NULL, "{\"breakpoints\":[]}");
	} else if (!strcmp(cmd, "configurationDone")) {
		respond(a, seq, cmd, 1, NULL, NULL);
		a->configured = 1;
	} else if (!strcmp(cmd, "threads")) {
		respond(a, seq, cmd, 1, NULL, "{\"threads\":[{\"id\":1,\"name\":\"playbook run\"}]}");
	} else if (!strcmp(cmd, "stackTrace")) {
		struct collect c = { { 0 }, 0 };
		store_buf_str(&c.b, "{\"stackFrames\":[");
		int n = a->d ? dbg_frames(a->d, frame_cb, &c) : 0;
		store_buf_printf(&c.b, "],\"totalFrames\":%d}", n);
		respond_collect(a, seq, cmd, &c);
	} else if (!strcmp(cmd, "scopes")) {
		char body[160];
		int frame = (int)field_num(J, args, "frameId", 0);
		snprintf(body, sizeof body, "{\"scopes\":[{\"name\":\"Locals\",\"variablesReference\":%d,"
			 "\"expensive\":false}]}", frame + 1);
		respond(a, seq, cmd, 1, NULL, body);
	} else if (!strcmp(cmd, "variables")) {
		struct collect c = { { 0 }, 0 };
		store_buf_str(&c.b, "{\"variables\":[");
		int ref = (int)field_num(J, args, "variablesReference", 0);
		if (a->d && ref > TABLE_REF)
			dbg_children(a->d, ref - TABLE_REF, var_cb, &c);
		else if (a->d && ref > 0)
			dbg_variables(a->d, ref - 1, var_cb, &c);
		store_buf_str(&c.b, "]}");
		respond_collect(a, seq, cmd, &c);
	} else if (!strcmp(cmd, "evaluate")) {
		const char *expr = field_str(J, args, "expression");
		int ok = 0;
		char *text = a->d && expr ? dbg_evaluate(a->d, (int)field_num(J, args, "frameId", 0), expr, &ok)
			     : strdup("nothing to evaluate");
		struct store_buf b = { 0 };
		store_buf_str(&b, "{\"result\":");
		store_buf_json(&b, text ? text : "");
		store_buf_str(&b, ",\"variablesReference\":0}");
		char *body = store_buf_cstr(&b);
		respond(a, seq, cmd, ok, ok ? NULL : text, ok ? body : NULL);
		store_buf_free(&b);
		free(text);
	} else if (!strcmp(cmd, "continue")) {
		respond(a, seq, cmd, 1, NULL, "{\"allThreadsContinued\":true}");
		return strdup("continue");
	} else if (!strcmp(cmd, "next") || !strcmp(cmd, "stepIn") || !strcmp(cmd, "stepOut")) {
		respond(a, seq, cmd, 1, NULL, NULL);
		return strdup(!strcmp(cmd, "next") ? "next" : !strcmp(cmd, "stepIn") ? "step" : "finish");
	} else if (!strcmp(cmd, "stepBack")) {
		respond(a, seq, cmd, 1, NULL, NULL);
		return strdup("back 1");
	} else if (!strcmp(cmd, "reverseContinue")) {
		/* Replays from the start to the last breakpoint before here. */
		respond(a, seq, cmd, 1, NULL, NULL);
		return strdup("rcontinue");
	} else if (!strcmp(cmd, "disconnect") || !strcmp(cmd, "terminate")) {
		respond(a, seq, cmd, 1, NULL, NULL);
		a->quit = 1;
		return strdup("quit");
	} else {
		char m[128];
		snprintf(m, sizeof m, "soarctl debug does not support '%s'", cmd);
		respond(a, seq, cmd, 0, m, NULL);
	}
	lua_settop(J, msg);
	return NULL;
}

static char *read_line(void *ui, const char *prompt)
{
	(void)prompt;
	struct dap *a = ui;
	if (!a->started) {
		a->started = 1;
		return strdup(a->first ? a->first : "run");
	}
	while (!a->quit) {
		if (read_msg(a) != 0)
			return NULL;
		char *c = dispatch(a);
		if (c)
			return c;
	}
	return NULL;
}

/* ---- the session ---- */

struct launch_cfg {
	char *program, *run_id, *input_json;
	int dry, mock, stop_on_entry;
	int have;
};
static struct launch_cfg lc;

static void launch(struct dap *a, int seq, const char *cmd, int args)
{
	lua_State *J = a->J;
	const char *program = field_str(J, args, "program");
	const char *run_id = field_str(J, args, "runId");
	if (!program && !run_id) {
		respond(a, seq, cmd, 0, "launch wants \"program\" (a playbook file), attach wants "
			"\"runId\" (a recorded run)", NULL);
		return;
	}
	lc.program = program ? strdup(program) : NULL;
	lc.run_id = run_id ? strdup(run_id) : NULL;
	lc.dry = field_bool(J, args, "dry");
	lc.mock = field_bool(J, args, "mock");
	lc.stop_on_entry = field_bool(J, args, "stopOnEntry");
	lua_getfield(J, args, "inputs");
	if (lua_istable(J, -1)) {
		struct json_buf jb = { 0 };
		char err[200];
		if (json_encode_lua(J, lua_gettop(J), NULL, &jb, err, sizeof err) == 0)
			lc.input_json = jb.data;
		else
			json_buf_free(&jb);
	}
	lua_pop(J, 1);
	lc.have = 1;
	respond(a, seq, cmd, 1, NULL, NULL);
}

int dap_main(const char *data, const struct sandbox_limits *lim)
{
	/* Static: the reader thread may still be blocked on stdin when this
	 * returns, and the process exits under it. */
	static struct dap a;
	memset(&a, 0, sizeof a);
	a.in = stdin;
	pthread_mutex_init(&a.send_mu, NULL);
	pthread_mutex_init(&a.q_mu, NULL);
	pthread_cond_init(&a.q_cv, NULL);
	/* The protocol owns stdout: anything else printed goes to stderr. */
	int fd = dup(STDOUT_FILENO);
	a.proto = fd >= 0 ? fdopen(fd, "w") : NULL;
	a.J = luaL_newstate();
	if (!a.proto || !a.J)
		return cli_fail("debug", EXIT_FAIL, "cannot start the adapter");
	dup2(STDERR_FILENO, STDOUT_FILENO);
	a.limits = *lim;
	if (pthread_create(&a.reader, NULL, reader_main, &a) != 0)
		return cli_fail("debug", EXIT_FAIL, "cannot start the adapter's reader");
	a.have_reader = 1;
	/* Until launch or attach: initialize, breakpoints, configurationDone. */
	while (!lc.have || !a.configured) {
		if (read_msg(&a) != 0 || a.quit)
			goto out;
		char *c = dispatch(&a);
		free(c);
		if (a.quit)
			goto out;
	}
	if (lc.mock)
		integration_set_mock_all(1);
	char err[512];
	struct store *st = access_open("debug", NULL, data, 1, NULL);
	struct playbook_src src;
	memset(&src, 0, sizeof src);
	struct sandbox *sb = NULL;
	if (!st || (lc.program && playbook_load_file(lc.program, &src, err, sizeof err) != 0) ||
	    !(sb = sandbox_new(getenv("SOARCTL_LUA_DIR"), err, sizeof err))) {
		if (!st)
			snprintf(err, sizeof err, "cannot open the data directory");
		char body[700];
		struct store_buf b = { 0 };
		store_buf_str(&b, "{\"category\":\"stderr\",\"output\":");
		store_buf_json(&b, err);
		store_buf_str(&b, "}");
		char *s = store_buf_cstr(&b);
		snprintf(body, sizeof body, "%s", s ? s : "{}");
		store_buf_free(&b);
		event(&a, "output", body);
		event(&a, "terminated", NULL);
		playbook_src_free(&src);
		goto out;
	}
	static cookie_io_functions_t io = { NULL, out_write, NULL, NULL };
	FILE *out = fopencookie(&a, "w", io);
	if (out)
		setvbuf(out, NULL, _IOLBF, 0);
	struct dbg_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.sb = sb;
	cfg.st = st;
	cfg.src = lc.run_id ? NULL : &src;
	cfg.input_json = lc.input_json;
	cfg.opt.limits = *lim;
	char user[128], actor[160];
	snprintf(actor, sizeof actor, "dap:%s", rbac_os_user(user, sizeof user));
	cfg.opt.actor = actor;
	cfg.run_id = lc.run_id;
	cfg.dry = lc.dry;
	cfg.out = out ? out : stderr;
	cfg.read_line = read_line;
	cfg.ui = &a;
	cfg.stopped = on_stopped;
	cfg.ended = on_ended;
	cfg.pause_req = &a.pause_req;
	a.d = dbg_new(&cfg, err, sizeof err);
	if (a.d) {
		for (int i = 0; i < a.npending; i++)
			dbg_command(a.d, a.pending[i]);
		a.first = lc.stop_on_entry ? "step" : "run";
		dbg_session(a.d);
		dbg_free(a.d);
	} else {
		fprintf(cfg.out, "%s\n", err);
		event(&a, "terminated", NULL);
	}
	/* Answer what is left (a disconnect after the end) before going. */
	a.d = NULL;
	while (!a.quit && read_msg(&a) == 0)
		free(dispatch(&a));
	if (out)
		fclose(out);
	sandbox_free(sb);
	playbook_src_free(&src);
out:
	for (int i = 0; i < a.npending; i++)
		free(a.pending[i]);
	for (int i = 0; i < a.nbps; i++)
		free(a.bps[i].source);
	free(lc.program);
	free(lc.run_id);
	free(lc.input_json);
	lua_close(a.J);
	pthread_mutex_lock(&a.send_mu);
	a.closed = 1;
	fclose(a.proto);
	pthread_mutex_unlock(&a.send_mu);
	if (a.have_reader)
		pthread_detach(a.reader);
	return EXIT_OK;
}
