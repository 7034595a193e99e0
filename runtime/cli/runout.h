/* runout.h - how a run's outcome is shown: text for people, one JSON object for
 * scripts, and the exit code. Shared by run, runs resume and prompt answer. */
#ifndef SOAR_RUNOUT_H
#define SOAR_RUNOUT_H

#include "engine.h"

/* `status` is what engine_start/engine_resume returned (0 = invalid playbook).
 * Prints the outcome for `cmd` and returns the exit code:
 * 0 succeeded, 1 failed or cancelled, 2 invalid, 3 waiting. */
int runout_print(const char *cmd, const struct engine_run *e, int status, int json);

/* Opens the store of the data directory (--data, else the default); prints why
 * not and returns NULL on failure. A directory without a store (absent, or not
 * made by `soarctl init`) is never created here: the process exits with
 * EXIT_USAGE and "no data directory at DIR; run soarctl init --data DIR".
 * `create` is kept for the callers' sake and no longer creates anything. */
/* Returns if `dir` holds a store made by `soarctl init`; else prints "no data
 * directory at DIR; run soarctl init --data DIR" and exits with EXIT_USAGE. */
void runout_need_store(const char *cmd, const char *dir);

struct store *runout_open_store(const char *cmd, const char *data_flag, int create);

#endif
