/* case_attachment.c - see case_attachment.h. The attachment entries of the
 * timeline are the index: each names its blob by SHA-256 (case.c attach_apply). */
#include "case_attachment.h"
#include "blob.h"
#include "case.h"
#include "json.h"
#include "store_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int case_attachment_get(struct store *st, const char *ref, const char *name, void **data,
			size_t *len, char sha256_hex[65], char *err, size_t errlen)
{
	*data = NULL;
	*len = 0;
	struct case_entry *e = NULL;
	size_t n = 0;
	int rc = case_timeline(st, ref, 1, 0, &e, &n, err, errlen);
	if (rc != 0)
		return rc;
	char sha[65] = "";
	struct store_buf names = { 0 };
	for (size_t i = n; i-- > 0 && !sha[0];) {
		if (e[i].kind != CASE_ENTRY_ATTACHMENT || !e[i].text || !e[i].data)
			continue;
		if (strcmp(e[i].text, name) != 0) {
			if (names.len < 400)
				store_buf_printf(&names, "%s%s", names.len ? ", " : "", e[i].text);
			continue;
		}
		struct json_doc d = { 0 };
		char jerr[128];
		if (json_parse(&d, e[i].data, strlen(e[i].data), 4, jerr, sizeof jerr) == 0) {
			const char *h = json_text(json_get(&d, &d.n[0], "sha256"));
			if (h && strlen(h) == 64)
				snprintf(sha, sizeof sha, "%s", h);
		}
		json_doc_free(&d);
	}
	case_entries_free(e, n);
	free(e);
	if (!sha[0]) {
		snprintf(err, errlen, "attachment '%.200s' not found on case %s (its attachments: %s)",
			 name, ref, names.len ? store_buf_cstr(&names) : "none");
		store_buf_free(&names);
		return 1;
	}
	store_buf_free(&names);
	rc = blob_get(st, sha, data, len, NULL, err, errlen);
	if (rc == 1)
		snprintf(err, errlen, "attachment '%.200s' of case %s: its content %s is missing from the "
			 "store (run `soarctl store check`)", name, ref, sha);
	if (rc != 0)
		return rc == 1 ? -1 : rc;
	if (!*data && (*data = malloc(1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (sha256_hex)
		memcpy(sha256_hex, sha, 65);
	return 0;
}
