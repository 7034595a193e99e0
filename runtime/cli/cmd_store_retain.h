/* cmd_store_retain.h - `soarctl store retain`: one retention pass now. */
#ifndef SOAR_CMD_STORE_RETAIN_H
#define SOAR_CMD_STORE_RETAIN_H

#include "store.h"

int store_retain(struct store *st, const char *dir, const char *actor, int json);

#endif
