/* prim_sla.h - the `on_breach` option of case.create/update and task(): what
 * the daemon does once when the SLA is breached (store/sla_watch.h,
 * daemon/sla_escalate.c). Shared by prim_case.c and prim_flow.c. */
#ifndef SOAR_PRIM_SLA_H
#define SOAR_PRIM_SLA_H

#include <lua.h>

/* Checks the on_breach table at idx:
 *   { notify = { email = "a@x" | {...}, slack = "#channel", text = "..." },
 *     reassign = "owner" | { owner = "...", role = "..." },
 *     severity = "raise" | "low" | "medium" | "high" | "critical",
 *     playbook = "name" }
 * (at least one; misuse raises a usage error naming sig) and pushes it as
 * JSON text (keys sorted). Returns that string (valid while it stays on the
 * stack). */
const char *prim_sla_on_breach(lua_State *L, int idx, const char *sig);

#endif
