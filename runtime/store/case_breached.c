/* case_breached.c - see case_breached.h. The SLA depends on the time and on
 * pauses, so it is not an index: the matches are read and tested. */
#include "case_breached.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int case_search_breached(struct store *st, const struct case_query *q, int64_t now,
			 size_t scan_max, struct case_page *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	size_t want = q->limit ? q->limit : 50, scanned = 0;
	struct case_query pq = *q;
	pq.limit = 1000;
	char cursor[64] = "";
	out->items = calloc(want, sizeof *out->items);
	if (!out->items) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (;;) {
		struct case_page p;
		pq.cursor = cursor[0] ? cursor : q->cursor;
		if (case_search(st, &pq, &p, err, errlen) != 0) {
			case_page_free(out);
			return -1;
		}
		for (size_t i = 0; i < p.n && out->n < want; i++)
			if (case_sla_breached(&p.items[i], now)) {
				out->items[out->n++] = p.items[i];     /* moved: out owns it */
				memset(&p.items[i], 0, sizeof p.items[i]);
			}
		scanned += p.n;
		out->scanned += p.scanned;
		snprintf(cursor, sizeof cursor, "%s", p.next);
		case_page_free(&p);
		if (out->n == want || !cursor[0] || scanned >= scan_max)
			break;
	}
	return 0;
}
