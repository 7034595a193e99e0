/* fuzz_json_sandbox.h - for the Lua JSON codec harnesses: runs a Lua chunk on
 * the fuzz input inside a real sandboxed state (sandbox_new: the run's
 * environment, its primitives, its memory cap and watchdog), as a playbook's
 * own code would call json.encode / json.decode. The chunk raises an error
 * starting "PROPERTY" when a property fails: that aborts (a finding). Any other
 * outcome (a value, nil, an error of the codec caught by the chunk, a limit) is
 * an answer. */
#ifndef SOAR_FUZZ_JSON_SANDBOX_H
#define SOAR_FUZZ_JSON_SANDBOX_H

#include "fuzz.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <string.h>

struct chunk_job {
	const char *code;
	const uint8_t *data;
	size_t size;
};

static inline int chunk_prepare(lua_State *L, int env, void *ud)
{
	struct chunk_job *j = ud;
	if (luaL_loadbuffer(L, j->code, strlen(j->code), "=fuzz") != 0)
		lua_error(L);
	lua_pushvalue(L, env);
	lua_setfenv(L, -2);                              /* stack: chunk */
	lua_pushlstring(L, (const char *)j->data, j->size); /* stack: chunk, input */
	return 1;
}

static inline int chunk_finish(lua_State *L, int nres, void *ud)
{
	(void)L;
	(void)nres;
	(void)ud;
	return 0;
}

static inline void run_chunk(const char *code, const uint8_t *data, size_t size)
{
	static struct sandbox *sb;
	char err[512];
	if (!sb && !(sb = sandbox_new(NULL, err, sizeof err))) {
		fprintf(stderr, "fuzz: sandbox_new: %s\n", err);
		exit(2);
	}
	struct chunk_job j = { code, data, size };
	struct sandbox_job job = { chunk_prepare, chunk_finish, &j };
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	struct sandbox_outcome out;
	memset(&out, 0, sizeof out);
	enum sandbox_status st = sandbox_exec(sb, &job, &lim, &out);
	if (st == SANDBOX_ERROR && out.message && strstr(out.message, "PROPERTY"))
		FUZZ_CHECK(0, "%s", out.message);
	FUZZ_CHECK(st == SANDBOX_OK || st == SANDBOX_OUT_OF_MEMORY,
		   "the chunk ended with status %d: %s", st, out.message ? out.message : "");
	sandbox_outcome_clear(&out);
}

#endif
