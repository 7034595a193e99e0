/* prim_secret.c - `secret.get(name)`: a playbook reads a secret only when an
 * admin granted it to that playbook (`soarctl secret grant PLAYBOOK NAME`); the
 * policy is enforced in C (secret_get), integrations read theirs through their
 * context. The value is registered for scrubbing before it is returned. */
#include "datadir.h"
#include "prim.h"
#include "runscrub.h"
#include "sandbox.h"
#include "secret.h"

#include <stdlib.h>
#include <string.h>

#define GET_SIG "secret.get(name: string)"

static int l_get(lua_State *L)
{
	size_t nlen;
	const char *name = prim_check_string(L, 1, GET_SIG, &nlen);
	if (nlen == 0 || nlen > SECRET_MAX_NAME)
		prim_usage(L, GET_SIG, "a secret name is 1 to %d characters", SECRET_MAX_NAME);
	struct run_info *ri = sandbox_current();
	if (!ri)
		return luaL_error(L, "secret.get: not inside a run");
	struct secret_actor actor = { SECRET_ACTOR_PLAYBOOK, ri->playbook };
	char err[256];
	size_t len = 0;
	prim_noint_enter();
	unsigned char *buf = malloc(SECRET_MAX_VALUE);
	struct secret_vault *v = buf && datadir_get() ? secret_vault_default(err, sizeof err) : NULL;
	int rc = !buf ? -1 : v ? secret_get(v, &actor, name, run_redact_set(ri), buf, SECRET_MAX_VALUE,
					     &len, err, sizeof err) : -1;
	prim_noint_leave();
	if (rc == 0)
		lua_pushlstring(L, (const char *)buf, len);
	if (buf) {
		memset(buf, 0, SECRET_MAX_VALUE);
		free(buf);
	}
	if (rc == 0)
		return 1;
	lua_pushnil(L);
	lua_pushstring(L, rc == SECRET_DENIED ? "denied" : rc == SECRET_NOT_FOUND ? "not_found" : "error");
	lua_pushstring(L, err);
	return 3;
}

int prim_open_secret(lua_State *L)
{
	static const luaL_Reg fns[] = {
		{ "get", l_get },
		{ NULL, NULL },
	};
	lua_newtable(L);
	luaL_register(L, NULL, fns);
	return 1;
}
