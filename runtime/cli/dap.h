/* dap.h - `soarctl debug --dap`: the debugger over the Debug Adapter Protocol
 * on stdin/stdout (see dap.c, docs/debugging.md). */
#ifndef SOAR_DAP_H
#define SOAR_DAP_H

#include "sandbox.h"

/* Serves one debug session; `data` is the data directory flag (or NULL).
 * Returns the exit status. */
int dap_main(const char *data, const struct sandbox_limits *lim);

#endif
