/* warroom.c - see warroom.h. The parsing and typing of a line live in Lua
 * (lua/_repl.lua, beside the manifests they read); this file runs it under the
 * sandbox's limits and writes the timeline. */
#include "warroom.h"

#include "case.h"
#include "redact.h"
#include "runscrub.h"
#include "store_buf.h"
#include "uuid.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A refused line raises from R.prepare (the run fails: nothing ran); the
 * command's own error is caught and returned. Returns: qname, args as JSON,
 * result as JSON, result as text, error. */
static const char driver[] =
	"local line, mock = ...\n"
	"local R = require('_repl')\n"
	"local qname, args, call = R.prepare(line, mock)\n"
	"local ok, res, err = pcall(call)\n"
	"if not ok then res, err = nil, res end\n"
	"local aok, args_json = pcall(json.encode, args)\n"
	"if not aok then args_json = '{}' end\n"
	"local res_json = 'null'\n"
	"if res ~= nil then\n"
	"  local jok, j = pcall(json.encode, res)\n"
	"  res_json = jok and j or json.encode(tostring(res))\n"
	"end\n"
	"local text = res ~= nil and R.show(res) or nil\n"
	"if res == nil and err == nil then err = 'the command returned nothing' end\n"
	"return qname, args_json, res_json, text, err ~= nil and tostring(err) or nil\n";

static int prepare(lua_State *L, int env, void *ud)
{
	struct warroom_cmd *w = ud;
	if (luaL_loadbuffer(L, driver, sizeof driver - 1, "=warroom") != 0)
		lua_error(L);
	lua_pushvalue(L, env);
	lua_setfenv(L, -2);                     /* stack: driver */
	lua_pushstring(L, w->line);
	lua_pushboolean(L, w->mock);
	return 2;
}

/* A malloc'd copy of the string at idx with the command's secrets scrubbed, or
 * NULL when the value is nil. */
static char *dup_scrubbed(const struct warroom_cmd *w, const char *s, size_t len)
{
	return run_scrub_dup(&w->info, s, len);
}

static char *dup_at(const struct warroom_cmd *w, lua_State *L, int idx)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);
	return dup_scrubbed(w, s, len);
}

static int finish(lua_State *L, int nres, void *ud)
{
	struct warroom_cmd *w = ud;
	if (nres < 5)
		luaL_error(L, "war room: the driver returned %d values", nres);
	int base = lua_gettop(L) - nres;        /* stack: ..., qname, args, res, text, err */
	w->qname = dup_at(w, L, base + 1);
	w->args_json = dup_at(w, L, base + 2);
	w->result_json = dup_at(w, L, base + 3);
	w->text = dup_at(w, L, base + 4);
	w->error = dup_at(w, L, base + 5);
	w->ok = w->error == NULL;
	return 0;
}

/* "warroom:3: text" and "..._repl.lua:120: text" name our own code, which says
 * nothing to the person who typed the line: keep the text. */
static const char *past_position(const char *msg)
{
	const char *p = strstr(msg, "_repl.lua:");
	if (p)
		p += strlen("_repl.lua:");
	else if (strncmp(msg, "warroom:", 8) == 0)
		p = msg + 8;
	else
		return msg;
	while (*p >= '0' && *p <= '9')
		p++;
	if (*p == ':')
		p++;
	while (*p == ' ')
		p++;
	return p;
}

int warroom_run(struct sandbox *sb, const struct sandbox_limits *lim, struct warroom_cmd *w)
{
	if (!w->info.id[0])
		uuid_v7(w->info.id);
	if (!w->info.playbook[0])
		snprintf(w->info.playbook, sizeof w->info.playbook, "warroom");
	struct sandbox_job job = { prepare, finish, w };
	struct sandbox_outcome out;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	enum sandbox_status st = sandbox_exec(sb, &job, lim, &out);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	w->duration_ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	int rc = 0;
	if (st != SANDBOX_OK) {
		const char *msg = past_position(out.message ? out.message : "the command failed");
		free(w->error);
		w->error = dup_scrubbed(w, msg, strlen(msg));
		w->ok = 0;
		rc = -1;
	}
	sandbox_outcome_clear(&out);
	return rc;
}

int warroom_record(struct store *st, const char *case_ref, const char *actor,
		   const struct warroom_cmd *w, char *err, size_t errlen)
{
	struct store_buf data = { 0 };
	store_buf_str(&data, "{\"warroom\":true,\"command\":");
	store_buf_json(&data, w->qname ? w->qname : "");
	store_buf_printf(&data, ",\"args\":%s}", w->args_json ? w->args_json : "{}");
	char *data_json = store_buf_cstr(&data);
	char *line = dup_scrubbed(w, w->line, strlen(w->line));
	if (!data_json || !line) {
		store_buf_free(&data);
		free(line);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = case_note(st, case_ref, CASE_ENTRY_COMMAND, actor, line, data_json, NULL, err, errlen);
	store_buf_free(&data);
	free(line);
	if (rc != 0)
		return -1;
	struct store_buf text = { 0 };
	if (w->ok)
		store_buf_printf(&text, "%s: ok (%.1f ms)", w->qname, w->duration_ms);
	else
		store_buf_printf(&text, "%s failed: %s", w->qname ? w->qname : "command",
				 w->error ? w->error : "?");
	char *t = store_buf_cstr(&text);
	if (!t) {
		store_buf_free(&text);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = case_note(st, case_ref, CASE_ENTRY_RESULT, actor, t,
		       w->ok && w->result_json ? w->result_json : NULL, NULL, err, errlen);
	store_buf_free(&text);
	return rc == 0 ? 0 : -1;
}

void warroom_cmd_clear(struct warroom_cmd *w)
{
	free(w->qname);
	free(w->args_json);
	free(w->result_json);
	free(w->text);
	free(w->error);
	redact_free(w->info.redact);
	w->info.redact = NULL;
	w->qname = w->args_json = w->result_json = w->text = w->error = NULL;
}
