/* case_attachment.h - reading a case's attachment back (case_attach in case.h
 * writes one): by the case and the name it was attached under. */
#ifndef SOAR_CASE_ATTACHMENT_H
#define SOAR_CASE_ATTACHMENT_H

#include "store.h"

#include <stddef.h>

/* The bytes of attachment `name` of case `ref`; when a name was attached more
 * than once, the latest. *data is malloc'd (free(); never NULL on success, even
 * for 0 bytes); sha256_hex (may be NULL) receives its address. Returns 0; 1 when
 * the case or the attachment does not exist (err says which, and lists the
 * case's attachment names); -1 on a failure. */
int case_attachment_get(struct store *st, const char *ref, const char *name, void **data,
			size_t *len, char sha256_hex[65], char *err, size_t errlen);

#endif
