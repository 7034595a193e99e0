/* indicator.h - indicators of compromise keyed by (type, normalised value),
 * with verdict, score, sources, tags, first/last seen, expiry and the cases
 * they appear in. Writes are durable on return (group commit). */
#ifndef SOAR_INDICATOR_H
#define SOAR_INDICATOR_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

enum indicator_type {
	IND_IPV4 = 1, IND_IPV6, IND_CIDR, IND_DOMAIN, IND_URL, IND_MD5, IND_SHA1, IND_SHA256,
	IND_EMAIL, IND__MAX
};
enum indicator_verdict { IND_UNKNOWN = 0, IND_BENIGN, IND_SUSPICIOUS, IND_MALICIOUS };

#define IND_MAX_VALUE 2048
#define IND_MAX_LIST 32           /* sources, tags */
#define IND_MAX_CASES 64          /* case numbers returned with a record */

const char *indicator_type_name(int type);      /* "ipv4"...; "?" */
int indicator_type_parse(const char *s);         /* 0 when unknown */
const char *indicator_verdict_name(int v);
int indicator_verdict_parse(const char *s);      /* -1 when unknown */

/* Validates and normalises `value` for `type` into out (IND_MAX_VALUE + 1):
 * ipv4/ipv6 canonical text (inet_ntop), cidr with the network address, domain
 * lower case without trailing dot (internationalised names as IDNA2008 A-labels,
 * idn.h), url with lower-case scheme and host (also A-labels), hashes lower-case
 * hex of the right length, email
 * with lower-case domain. Returns 0, or -1 with the reason in err. */
int indicator_normalise(int type, const char *value, char *out, char *err, size_t errlen);

struct indicator {
	int type;
	char value[IND_MAX_VALUE + 1];
	int verdict;
	int score;                          /* 0..100 */
	char *sources[IND_MAX_LIST], *tags[IND_MAX_LIST];
	size_t nsources, ntags;
	int64_t first_seen, last_seen, expires; /* ms; expires 0 = never */
	uint64_t cases[IND_MAX_CASES];      /* newest links first */
	size_t ncases;
	void *mem_;                         /* private */
};
void indicator_free(struct indicator *ind);

/* What indicator_set changes. Unset members (NULL / -1 / 0) leave the stored
 * value alone; sources and tags are added to the stored lists. */
struct indicator_update {
	int verdict;                        /* -1 = keep */
	int score;                          /* -1 = keep */
	const char *sources[IND_MAX_LIST], *tags[IND_MAX_LIST];
	size_t nsources, ntags;
	int64_t seen;                       /* sighting time; 0 = now */
	int64_t expires;                    /* 0 keep, -1 clear, else ms */
	const char *case_ref;               /* link to this case, or NULL */
};
void indicator_update_init(struct indicator_update *u);

/* Upserts. `value` is normalised first (invalid: -1, nothing written). `out`
 * (may be NULL) receives the stored record. */
int indicator_set(struct store *st, int type, const char *value,
		  const struct indicator_update *u, struct indicator *out, char *err, size_t errlen);

/* Returns 0, 1 not found, -1 invalid or failure. */
int indicator_get(struct store *st, int type, const char *value, struct indicator *out,
		  char *err, size_t errlen);

struct indicator_query {
	int type;                           /* 0 = any */
	int verdict;                        /* -1 = any */
	const char *tag;                    /* NULL = any */
	int min_score;                      /* 0 = any */
	size_t limit;                       /* 0 = 50, at most 1000 */
	const char *cursor;
};
struct indicator_page {
	struct indicator *items;            /* malloc'd; indicator_page_free */
	size_t n;
	char next[IND_MAX_VALUE * 2 + 8];   /* "" at the end */
};
void indicator_page_free(struct indicator_page *p);

/* Pages in (type, value) order, through the verdict index when a verdict is
 * given and the primary key otherwise (tag and score are checked per record). */
int indicator_search(struct store *st, const struct indicator_query *q,
		     struct indicator_page *out, char *err, size_t errlen);

/* Indicators linked to a case, as "type:value" strings (*out malloc'd array of
 * malloc'd strings; free each and the array). */
int indicator_of_case(struct store *st, uint64_t case_seq, char ***out, size_t *n,
		      char *err, size_t errlen);

struct store_buf;
void indicator_json(const struct indicator *ind, int64_t now, struct store_buf *out);

#endif
