/* case_breached.h - the cases of a query whose SLA is breached (`soarctl case
 * list --breached`, GET /api/v1/cases?breached=1). */
#ifndef SOAR_CASE_BREACHED_H
#define SOAR_CASE_BREACHED_H

#include "case.h"

/* case_search's filters, keeping only the cases case_sla_breached says are
 * breached as of `now` (a closed case: it closed late), up to q->limit (50 by
 * default). It reads the query's matches page by page, at most `scan_max`
 * cases; out->next is "" (no paging: narrow the query instead). */
int case_search_breached(struct store *st, const struct case_query *q, int64_t now,
			 size_t scan_max, struct case_page *out, char *err, size_t errlen);

#endif
