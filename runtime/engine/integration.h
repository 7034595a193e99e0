/* integration.h - where integration files, their configuration and their
 * recorded fixtures are, for the `integration(...)` primitive
 * (prim_integration.c) and `soarctl integration` (cmd_integration.c).
 * No Lua here. See docs/integrations.md.
 *
 * Files:  $SOARCTL_INTEGRATIONS_DIR/NAME.lua first (a deployment's own), then the
 *         bundled directory (integrations/ beside the lua/ library).
 * Config: $SOARCTL_INTEGRATIONS_CONFIG, else DATADIR/integrations.json: one JSON
 *         object, integration name -> its settings (base_url, mock, record...).
 * Fixtures: <the integration's directory>/fixtures/NAME/FIXTURE.json.
 */
#ifndef SOAR_INTEGRATION_H
#define SOAR_INTEGRATION_H

#include <stddef.h>

/* 1 if `name` is a valid integration (or fixture) name: [a-z0-9_-]{1,63},
 * not starting with '_' or '-'. */
int integration_name_ok(const char *name);

/* The bundled integrations directory, given the lua/ library directory. */
void integration_bundled_dir(const char *lua_dir, char *out, size_t len);

/* Finds NAME.lua. Returns 0 with the path in `out`, or -1 with a message. */
int integration_find(const char *lua_dir, const char *name, char *out, size_t len,
		     char *err, size_t errlen);

/* Reads the whole config file. Returns 1 with *text (malloc'd, caller frees)
 * and *len, 0 when there is no config file, -1 with a message (unreadable). */
int integration_config_read(char **text, size_t *len, char *err, size_t errlen);

/* The fixture file of an integration found at `integration_path`. */
void integration_fixture_path(const char *integration_path, const char *name,
			      const char *fixture, char *out, size_t len);

/* Writes `data` to `path` atomically (temporary file in the same directory,
 * fsync, rename), creating the directory if needed. 0, or -1 with a message. */
int integration_write_file(const char *path, const char *data, size_t len,
			   char *err, size_t errlen);

/* Mock mode for every integration in this process (`soarctl run --mock`), or
 * when $SOARCTL_MOCK is "1". */
void integration_set_mock_all(int on);
int integration_mock_all(void);

/* `soarctl integration record NAME ...`: integration NAME records its live
 * exchanges as fixture FIXTURE in this process, as a `"record"` setting in the
 * config file would (NULL: stop). The operator's command, never a playbook's. */
void integration_set_record(const char *name, const char *fixture);
/* The fixture NAME records into, or NULL. */
const char *integration_record_for(const char *name);

/* Reads an integration's source (`path` as integration_find gave it), at most
 * 1 MiB. 0 with *text (malloc'd, caller frees) and *len, or -1 with a message. */
int integration_source_read(const char *path, char **text, size_t *len, char *err, size_t errlen);

/* The config file's path ($SOARCTL_INTEGRATIONS_CONFIG, else
 * DATADIR/integrations.json), malloc'd; NULL when there is no data directory. */
char *integration_config_path(void);
/* integration_config_read from the disk, whatever is installed. */
int integration_config_read_disk(char **text, size_t *len, char *err, size_t errlen);

/* ---- a frozen set: the daemon's reloadable integrations (integration_snap.c) ----
 *
 * Without one, integration_find, integration_source_read and
 * integration_config_read go to the disk at every call (the CLI). The daemon
 * reads every integration file and the config file into a snapshot, checks it
 * (integration_check.c) and installs it: from then on those calls answer from
 * the snapshot, so an edit on disk applies only when a reload (SIGHUP) has
 * checked it, and a broken edit never reaches a run. Readers copy what they
 * need under a lock, so the old snapshot may be freed as soon as it is
 * replaced. Fixtures stay on disk (data, not code). */
struct integ_snap;

/* Reads $SOARCTL_INTEGRATIONS_DIR then the bundled directory (the first file of
 * a name wins, as integration_find) and the config file. NULL with a message
 * naming the file. */
struct integ_snap *integ_snap_read(const char *lua_dir, char *err, size_t errlen);
void integ_snap_free(struct integ_snap *s);
int integ_snap_count(const struct integ_snap *s);
const char *integ_snap_name(const struct integ_snap *s, int i);
const char *integ_snap_path(const struct integ_snap *s, int i);
/* The config file's path and text; NULL when there is none. */
const char *integ_snap_config_path(const struct integ_snap *s);
const char *integ_snap_config(const struct integ_snap *s, size_t *len);
/* Hides the config file (1) or shows it again (0): checking the integration
 * files alone first tells which file to blame. */
void integ_snap_hide_config(struct integ_snap *s, int hide);
/* Installs s for every thread (NULL: the disk again). Returns the one it
 * replaces, which the caller frees. */
struct integ_snap *integ_snap_install(struct integ_snap *s);
/* For the calling thread only, ahead of the installed one (NULL: stop): a
 * candidate is checked with the same code runs use before it is installed. */
void integ_snap_use_here(struct integ_snap *s);

/* Loads every integration of s with `integration(name)` in a sandbox, first
 * without the config file, then with it, and checks the config file's shape
 * (integration_check.c). 0, or -1 with a message naming the file to blame. */
int integ_snap_check(struct integ_snap *s, const char *lua_dir, char *err, size_t errlen);

/* Private to integration.c: the answers of the snapshot in use, -1 when there
 * is none (go to the disk). find: 1 found (path in out), 0 not in it. source:
 * 1 (a copy), 0 not in it. config: 1 (a copy), 0 none, -2 out of memory. */
int integ_snap_find_(const char *name, char *out, size_t len);
int integ_snap_source_(const char *path, char **text, size_t *len);
int integ_snap_config_(char **text, size_t *len);

#endif
