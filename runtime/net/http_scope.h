/* http_scope.h - the `http` namespace bound to an egress scope, for code that
 * is not a playbook (integrations) and for C callers that reach the network on a
 * run's behalf (slack, webhooks).
 *
 * The global `http` of a playbook checks the playbook's declared hosts. An
 * integration gets its own `http` table whose functions carry a scope userdata
 * as an upvalue: sandboxed code can neither read nor change it. The scope also
 * carries what an integration's recorded fixtures need: replay (answer from a
 * fixture, never touch the network) or record (keep each real exchange).
 *
 * The userdata's environment table holds Lua-side data: `fixture` (a list of
 * exchanges to replay) and `recorded` (exchanges seen while recording).
 */
#ifndef SOAR_HTTP_SCOPE_H
#define SOAR_HTTP_SCOPE_H

#include "egress.h"

#include <lua.h>

enum http_fixture_mode { HTTP_LIVE = 0, HTTP_REPLAY, HTTP_RECORD };

struct http_scope {
	struct egress_scope egress;
	enum http_fixture_mode mode;
	/* Requests made inside one integration command share the command's step:
	 * their idempotency keys are "<run>-<step>.<n>". 0 = use the request's own. */
	unsigned step;
	unsigned sub;
	char run_id[40];
	char fixture_name[128];    /* for messages */
};

/* Pushes a new scope userdata (zeroed, with an empty environment table) and
 * returns it. Owned by Lua. */
struct http_scope *http_scope_push(lua_State *L);

/* Returns the scope at idx, or NULL if the value is not one. */
struct http_scope *http_scope_get(lua_State *L, int idx);

/* Pushes an `http` table (request, get, post, put, delete) bound to the scope at
 * `scope_idx`. */
void http_push_namespace(lua_State *L, int scope_idx);

#endif
