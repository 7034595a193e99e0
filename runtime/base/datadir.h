/* datadir.h - where soarctl keeps its data. */
#ifndef SOAR_DATADIR_H
#define SOAR_DATADIR_H

#include <stddef.h>

/* The data directory: `flag` (from --data) if not NULL, else $SOARCTL_DATA, else
 * $XDG_DATA_HOME/soarctl, else ~/.local/share/soarctl. Writes into `buf`; returns
 * buf, or NULL when no candidate exists (no HOME). Does not create anything. */
const char *datadir_resolve(const char *flag, char *buf, size_t len);

/* The process-wide data directory chosen by the command line (set once by main
 * or a command before any store is opened); NULL until set. */
void datadir_set(const char *path);
const char *datadir_get(void);

/* Creates the directory (and parents) with mode 0700 if absent. Returns 0, or -1
 * with a message in `err`. */
int datadir_create(const char *path, char *err, size_t errlen);

#endif
