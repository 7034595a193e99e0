/* json.h - the one JSON reader and writer of the core, in plain C (no Lua).
 *
 * Every place that reads or writes JSON in C goes through here: ingestion and
 * the API (the tree), the case store's field checks (json_check), the `json` Lua
 * namespace (prim_json.c builds Lua values from the reader's events), the CLI,
 * the log, the HTTP server's errors and redaction (json_write_str). One reader
 * means one rule for every input (docs/architecture.md "One JSON codec"):
 *   - RFC 8259 only: no NaN/Infinity, hex, comments, trailing commas, leading
 *     zeros, raw control characters; UTF-8 checked (RFC 3629);
 *   - a number must be finite as a double: 1e999999 is refused, never inf;
 *   - a key appears at most once per object: {"a":1,"a":2} is refused (a reader
 *     that keeps the first and one that keeps the last would see two documents);
 *   - nesting is bounded by the caller's max_depth.
 * Errors read "<reason> at offset N" (bytes from 0); errors about a value say
 * where it is: `duplicate key "severity" in $.alert (keys must be unique) at offset 28`.
 */
#ifndef SOAR_JSON_H
#define SOAR_JSON_H

#include <stddef.h>

#define JSON_DEFAULT_MAX_DEPTH 128
#define JSON_MAX_DEPTH_LIMIT   1000

/* ---- UTF-8 ------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or 0. */
size_t json_utf8_seq(const unsigned char *p, size_t avail);

/* Sets up the "C" locale numbers are read and written in (newlocale mallocs):
 * callers under a watchdog's hard stop call it once inside a no-interrupt
 * region; the reader and writer call it themselves otherwise. */
void json_locale_init(void);

/* ---- writing ----------------------------------------------------------- */

/* A byte sink: appends n bytes; returns 0, or -1 to stop the writer. */
typedef int (*json_put_fn)(void *ctx, const char *s, size_t n);

enum json_esc_mode {
	JSON_ESC_STRICT,   /* a string that is not UTF-8 is an error (json.encode) */
	JSON_ESC_REPLACE,  /* each invalid byte becomes U+FFFD (logs, CLI, API output:
			      the text stays JSON whatever the input was) */
};

/* Writes s (n bytes) as a JSON string literal, quotes included: '"' '\\' and
 * \b \f \n \r \t in their short forms, other controls as \u00xx, everything else
 * as is (so the output of every writer of ours is byte-identical, which
 * redaction relies on). Returns 0; -1 when put failed; -2 in STRICT mode when s
 * is not UTF-8, with *bad (if not NULL) the offset of the first invalid byte. */
int json_write_str(const char *s, size_t n, enum json_esc_mode mode, json_put_fn put,
		   void *ctx, size_t *bad);

/* How many bytes at the start of s json_write_str copies unchanged (printable
 * ASCII but '"' and '\\', and well-formed UTF-8): a writer that finds the whole
 * string plain may copy it between quotes itself; any other goes through
 * json_write_str, so the escaping rules stay in one place. */
size_t json_str_plain(const char *s, size_t n);

/* A number in JSON: integers up to 2^53 exactly, others in the shortest %.17g
 * form that reads back as the same double, always in the "C" locale. Writes at
 * most 32 bytes and a NUL into out; returns the length, or 0 for NaN and
 * infinities (JSON has none). */
size_t json_fmt_number(char out[32], double d);

/* A growable, NUL-terminated output buffer. Initialise to {0}; `data` is
 * malloc'd and the caller frees it with json_buf_free (also after a failure). */
struct json_buf {
	char *data;
	size_t len;
	size_t cap;
};
void json_buf_free(struct json_buf *b);
/* json_put_fn for a struct json_buf (ctx); -1 when out of memory. */
int json_buf_put(void *ctx, const char *s, size_t n);

/* For messages: s with bytes other than printable ASCII (and '"', '\\') shown
 * as '?', cut after max bytes with "..."; out needs max + 4 bytes. Returns the
 * length written. */
size_t json_shown(char *out, const char *s, size_t len, size_t max);
/* A path segment naming member k: ".name" for identifiers, else ["shown"]. */
size_t json_path_key(char out[64], const char *k, size_t len);

/* ---- reading: events --------------------------------------------------- */

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

enum json_ev {
	JSON_EV_BEGIN,  /* an array or object opens (ev->type) */
	JSON_EV_END,    /* it closes: ev->type, ev->count members */
	JSON_EV_KEY,    /* an object member's name (a string, maybe in parts) */
	JSON_EV_VALUE,  /* a scalar: null, false, true, a number, a string (maybe in parts) */
};

enum json_num_kind {
	JSON_NUM_INT,     /* an integer literal of magnitude <= 2^53: num is exact */
	JSON_NUM_BIGINT,  /* an integer literal beyond 2^53: num is rounded, text exact */
	JSON_NUM_REAL,    /* a fraction or an exponent: num is the nearest double */
};

struct json_event {
	enum json_ev ev;
	enum json_type type;
	/* The parent: JSON_ARRAY, JSON_OBJECT, or JSON_NULL at the top level;
	 * index is this value's position in it (from 0). */
	enum json_type parent;
	size_t index;
	int depth;            /* of the value: 0 at the top */
	/* Strings and keys: decoded bytes. A string without escapes is one event
	 * pointing into the input; one with escapes may come in several parts:
	 * `more` is 1 on every part but the last. Numbers: the literal's text. */
	const char *s;
	size_t n;
	int more;
	double num;           /* numbers: always finite (see range_only) */
	enum json_num_kind kind;
	size_t count;         /* JSON_EV_END: members or elements */
	/* The value's text in the input: on scalars (and the last part of a string)
	 * from its first byte to just after its last; on BEGIN the opening bracket
	 * only; on END the whole container. */
	const char *raw;
	size_t rawlen;
};

struct json_reader;
/* Called for each event in document order. Returns 0 to go on; anything else
 * stops the reader (set the reason with json_reader_fail first). */
typedef int (*json_event_fn)(struct json_reader *r, const struct json_event *ev);

/* Callers that run under a watchdog's hard stop (prim_json.c) pass hooks that
 * mark the few regions where libc may allocate (strtod on long literals, locale
 * set-up); others pass NULL. */
struct json_read_opts {
	int max_depth;                  /* 0 = JSON_DEFAULT_MAX_DEPTH */
	/* Numbers: only check that they are finite; ev->num is then 0 unless kind
	 * is JSON_NUM_INT (the tree reads values on demand: json_number). */
	int range_only;
	void (*noint_enter)(void);
	void (*noint_leave)(void);
};

struct json_frame;

struct json_reader {
	void *ctx;                      /* the caller's */
	/* private */
	const unsigned char *s, *p, *end;
	json_event_fn fn;
	int max_depth, range_only;
	void (*noint_enter)(void), (*noint_leave)(void);
	const struct json_frame *top;   /* innermost open container (for paths) */
	const unsigned char *at;        /* the event being handled */
	int failed;
	char msg[300];
	char sbuf[512];                 /* decoded parts of escaped strings */
};

/* Reads exactly one JSON value from s (len bytes, need not be NUL-terminated)
 * and calls fn for each event. Returns 0, or -1 with the reason in r->msg
 * (json_reader_error). Allocates nothing: a consumer that unwinds out of fn
 * (a Lua error) leaks nothing here. */
int json_read(struct json_reader *r, const char *s, size_t len, const struct json_read_opts *o,
	      json_event_fn fn, void *ctx);
const char *json_reader_error(const struct json_reader *r);

/* For consumers: stops with "<reason> at offset N"; the offset is that of the
 * event being handled. Always returns -1. */
__attribute__((format(printf, 2, 3)))
int json_reader_fail(struct json_reader *r, const char *fmt, ...);
/* Stops with `duplicate key "K" in $.path at offset N`: call it from a KEY event
 * whose name the object already holds. */
int json_reader_dup_key(struct json_reader *r, const char *key, size_t len);

/* A hash of a member name for consumers' duplicate checks (a filter in front of
 * an exact comparison, so its quality only costs comparisons): FNV-1a of the
 * first 32 bytes and the length. */
static inline unsigned json_name_hash(const char *s, size_t n)
{
	unsigned h = 2166136261u ^ (unsigned)n;
	for (size_t i = 0; i < n && i < 32; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h ^ h >> 16;
}

/* ---- reading: a tree (C consumers) -------------------------------------- */

#define JSON_TREE_MAX_DEPTH 32

struct json_node {
	enum json_type type;
	const char *key;      /* in an object: the member's name (decoded, NUL-terminated) */
	const char *str;      /* strings: decoded, NUL-terminated; numbers: their text */
	size_t len;           /* of str */
	const char *raw;      /* the value's text in the input (valid while the input is) */
	size_t rawlen;
	int child;            /* first child's index, -1 none */
	int next;             /* next sibling's index, -1 none */
	int count;            /* children */
	size_t soff_, koff_;  /* private: offsets into strs while parsing */
	size_t kat_;          /* private: offset of the member name in the input */
	unsigned kh_;         /* private: hash of the member name */
	unsigned long long bloom_; /* private: objects: hashes of their names seen */
};

struct json_doc {
	struct json_node *n;  /* n[0] is the root */
	int nn, cap;
	char *strs;           /* decoded strings */
	size_t slen, scap;
};

/* Parses text (len bytes) into d, nesting at most max_depth (0 =
 * JSON_TREE_MAX_DEPTH). Strings holding \u0000 are refused (tree strings are C
 * strings). Returns 0, or -1 with the reason in err; d holds nothing after a
 * failure, and json_doc_free is safe either way. */
int json_parse(struct json_doc *d, const char *text, size_t len, int max_depth,
	       char *err, size_t errlen);
void json_doc_free(struct json_doc *d);

/* The member `key` of an object node, or NULL. */
const struct json_node *json_get(const struct json_doc *d, const struct json_node *obj,
				 const char *key);
/* Child k of an array or object, or NULL. */
const struct json_node *json_at(const struct json_doc *d, const struct json_node *arr, int k);
/* The value of a number node: 0, or -1 when v is not a number. */
int json_number(const struct json_node *v, double *out);
/* A scalar as text: strings decoded, numbers as written, "true"/"false"/"null";
 * NULL for arrays and objects (and for NULL). */
const char *json_text(const struct json_node *v);

/* Checks that s is exactly one JSON value under the rules above (an object when
 * want_object), nesting at most 64. Returns 0, or -1 with err saying what and
 * where, e.g. "is not valid JSON: duplicate key \"a\" in $ at offset 7". */
int json_check(const char *s, size_t len, int want_object, char *err, size_t errlen);

#endif
