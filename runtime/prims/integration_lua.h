/* integration_lua.h - the C half of `integration()` that `soarctl integration`
 * needs too: loading an integration's manifest in a sandbox state. */
#ifndef SOAR_INTEGRATION_LUA_H
#define SOAR_INTEGRATION_LUA_H

#include <lua.h>

/* lua_CFunction: (name) -> manifest, scope, path, http. Evaluates NAME.lua in
 * its own environment, whose `http` is bound to a new, empty egress scope.
 * Raises when the file is missing or does not compile. */
int integration_load_manifest(lua_State *L);

#endif
