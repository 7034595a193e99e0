/* sharedir.h - where soarctl's bundled files are: the Lua library (lua/), the
 * bundled integrations (integrations/) and playbooks (playbooks/), found relative
 * to the running binary so an installed soarctl holds no source path. */
#ifndef SOAR_SHAREDIR_H
#define SOAR_SHAREDIR_H

/* The folder holding lua/, integrations/ and playbooks/, chosen once per process:
 *   1. $SOARCTL_SHARE_DIR when set and not empty;
 *   2. BINDIR/../share/soarctl when it holds lua/ (an installed soarctl:
 *      /usr/bin/soarctl -> /usr/share/soarctl), BINDIR from /proc/self/exe;
 *   3. a build tree: the source folder named in the file `soarctl-source-root`
 *      that CMake writes in the build folder, looked for in BINDIR and up to three
 *      folders above it (build/, build/tests/unit/, build/tools/bench/);
 *   4. else BINDIR/../share/soarctl all the same, so errors name where it looked.
 * Never NULL; the string lives as long as the process. */
const char *sharedir_root(void);

/* How the root was found: "env", "installed", "build" or "none" (case 4). */
const char *sharedir_origin(void);

/* $SOARCTL_LUA_DIR when set and not empty, else ROOT/lua. Never NULL. */
const char *sharedir_lua(void);

/* ROOT/playbooks: the bundled playbooks (playbook.load's last resort). */
const char *sharedir_playbooks(void);

#endif
