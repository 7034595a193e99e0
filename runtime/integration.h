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

#endif
