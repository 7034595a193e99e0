/* dash_svg.h - charts as inline SVG (no script, no inline style: they pass
 * the dashboard's CSP and need nothing else to show), for the dashboard's
 * pages and the report of `soarctl report --html`. */
#ifndef SOAR_DASH_SVG_H
#define SOAR_DASH_SVG_H

#include "store_buf.h"

#include <stddef.h>
#include <stdint.h>

/* Colours of the severities, index 1 (low) .. 4 (critical). */
extern const char *const dash_sev_colour[5];
/* Six colours for series without their own. */
extern const char *const dash_series_colour[6];

/* A stacked bar chart of nb time buckets (the first at `from`, each bucket_ms
 * long) and ns series: counts[s * nb + b]; with a legend. Names are escaped. */
void dash_svg_stacked(struct store_buf *b, const char *id, const uint64_t *counts, size_t ns,
		      size_t nb, const char *const *names, const char *const *colours, int64_t from,
		      int64_t bucket_ms);

#endif
