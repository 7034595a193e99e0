/* edl.h - external dynamic lists: the text files of IPs, domains or URLs that a
 * firewall fetches (PAN-OS formats), kept as entries in the store.
 *
 * A list has a type fixed when it is created (on its first add): ip, domain or
 * url, and a cap on its entries. Entries are normalised and validated for the
 * list's type (edl.c), may expire (expired ones are left out of every read and
 * export, and purged when the list is full or exported), and carry a comment.
 *
 * Formats (PAN-OS, "Formatting Guidelines for an External Dynamic List"):
 *   ip      IPv4 or IPv6 address, CIDR block (host bits cleared), or a range
 *           "first-last" of one family with first <= last
 *   domain  a host name, or "*.example.com" (the wildcard only as the whole
 *           leftmost label); lower-cased, internationalised names as A-labels
 *           (idn.h: one form for NFC, NFD, full-width spellings)
 *   url     host[:port][/path] WITHOUT a scheme; the host part lower-cased (an
 *           internationalised host as A-labels, without wildcards); '*'
 *           and '^' wildcards allowed as whole tokens (as PAN-OS URL lists)
 *
 * Store: STORE_DB_EDL_LISTS (name -> type u8, cap u32, created i64) and
 * STORE_DB_EDL_ENTRIES (name, 0x00, value -> expires i64, added i64, comment).
 * Writes are durable when they return (group commit).
 */
#ifndef SOAR_EDL_H
#define SOAR_EDL_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

enum edl_type { EDL_IP = 1, EDL_DOMAIN, EDL_URL };

#define EDL_DEFAULT_CAP 50000     /* PAN-OS's per-list limit on many models */
#define EDL_MAX_CAP     1000000
#define EDL_MAX_VALUE   2048
#define EDL_MAX_NAME    63
#define EDL_MAX_COMMENT 255

/* Return code for a refusal (invalid value, full list, wrong type, bad name):
 * the reason is in err. Other failures are -1. */
#define EDL_REFUSED 1
#define EDL_NOT_FOUND 2

const char *edl_type_name(int type);           /* "ip", "domain", "url", "?" */
int edl_type_parse(const char *s);             /* 0 when unknown */

/* [a-z0-9_.-]{1,63}, starting with a letter or digit: also a file name. */
int edl_name_ok(const char *name);

/* Normalises `in` for `type` into out (EDL_MAX_VALUE + 1 bytes). 0, or -1 with
 * the reason ("'10.0.0.300' is not an IPv4 address"). */
int edl_normalise(int type, const char *in, char *out, char *err, size_t errlen);

/* The type a value most likely has (for a list's first add without a type). */
int edl_guess_type(const char *value);

struct edl_entry {
	char value[EDL_MAX_VALUE + 1];
	int64_t added_ms, expires_ms;  /* expires 0 = never */
	char comment[EDL_MAX_COMMENT + 1];
};

struct edl_list_info {
	char name[EDL_MAX_NAME + 1];
	int type;
	uint32_t cap;
	uint32_t entries;              /* unexpired */
	int64_t created_ms;
};

struct edl_add_opts {
	int type;                      /* 0: the list's, or guessed for a new list */
	uint32_t cap;                  /* for a new list; 0 = EDL_DEFAULT_CAP */
	int64_t expires_ms;            /* 0 = never */
	const char *comment;           /* NULL = keep the entry's comment */
};

/* Adds (or refreshes the expiry and comment of) an entry. *added = 1 when it was
 * not in the list. Returns 0, EDL_REFUSED or -1. */
int edl_add(struct store *st, const char *list, const char *value, const struct edl_add_opts *o,
	    int *added, char *err, size_t errlen);

/* Removes an entry. *removed = 0 when it was not there. 0, EDL_REFUSED or -1. */
int edl_remove(struct store *st, const char *list, const char *value, int *removed,
	       char *err, size_t errlen);

/* Whether an unexpired entry equal to `value` (normalised) is in the list;
 * `out` (may be NULL) receives it. 0 (*has set), EDL_REFUSED or -1. */
int edl_has(struct store *st, const char *list, const char *value, int *has,
	    struct edl_entry *out, char *err, size_t errlen);

/* Calls cb for each unexpired entry in value order, starting after `after`
 * (NULL = from the first); a nonzero return stops. 0, EDL_NOT_FOUND or -1. */
int edl_each(struct store *st, const char *list, const char *after,
	     int (*cb)(const struct edl_entry *e, void *ud), void *ud, char *err, size_t errlen);

/* One list's description. 0, EDL_NOT_FOUND or -1. */
int edl_info(struct store *st, const char *list, struct edl_list_info *out, char *err, size_t errlen);

/* Calls cb for each list in name order. 0 or -1. */
int edl_lists(struct store *st, int (*cb)(const struct edl_list_info *l, void *ud), void *ud,
	      char *err, size_t errlen);

/* Deletes the expired entries of a list; *purged counts them. 0 or -1. */
int edl_purge(struct store *st, const char *list, uint64_t *purged, char *err, size_t errlen);

/* Writes the unexpired entries, one a line, to `path` atomically (a temporary
 * file in the same directory, fsync, rename): a firewall fetching it never sees
 * half a list. *count gets the number of lines. 0, EDL_NOT_FOUND or -1. */
int edl_export(struct store *st, const char *list, const char *path, uint64_t *count,
	       char *err, size_t errlen);

/* DATADIR/edl/LIST.txt: where edl.export writes from a playbook. */
int edl_default_path(const char *list, char *out, size_t len, char *err, size_t errlen);

#endif
