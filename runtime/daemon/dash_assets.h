/* dash_assets.h - the dashboard's files (runtime/daemon/web/: the stylesheet,
 * the script, the sign-in page), compiled into the binary at build time by
 * web/embed.cmake. */
#ifndef SOAR_DASH_ASSETS_H
#define SOAR_DASH_ASSETS_H

#include <stddef.h>

struct dash_asset {
	const char *name;            /* "style.css" */
	const unsigned char *data;   /* NUL-terminated too */
	size_t len;
};

/* The file named `name`, or NULL. */
const struct dash_asset *dash_asset_find(const char *name);

#endif
