/* prompt_form.h - a prompt's form: its fields, the ONE check of an answer, and
 * its HTML page.
 *
 * Every way a person answers (the HTML form, the JSON API, Slack buttons and
 * modals, the emailed link, `soarctl prompt answer`) turns what was given into
 * strings per field name and calls pform_validate: an integer field refuses
 * "x" everywhere with the same message, and a value reaches the run only in
 * the field's type.
 *
 * A prompt's spec (prompt_rec.spec_json), as pform_normalize writes it:
 *   {"options":["approve","deny"]}                          one choice
 *   {"fields":[{"name":"n","type":"integer","label":"How many","help":"...",
 *               "default":3,"required":true,"options":[...]}]}   a form
 * Older prompts stored {"fields":{"n":"integer"}}; pform_parse reads both.
 * Field types: string, text (several lines), number, integer, boolean,
 * choice (one of options), choices (several of options), date (YYYY-MM-DD).
 */
#ifndef SOAR_PROMPT_FORM_H
#define SOAR_PROMPT_FORM_H

#include "json.h"
#include "store_buf.h"

#include <stddef.h>

enum pform_type {
	PF_STRING, PF_TEXT, PF_NUMBER, PF_INTEGER, PF_BOOLEAN, PF_CHOICE, PF_CHOICES, PF_DATE,
};

struct pform_field {
	char *name, *label, *help;
	enum pform_type type;
	char *default_json;   /* or NULL */
	char **options;       /* choice, choices */
	int noptions;
	int required;
};

struct pform {
	int is_choice;        /* {"options":[...]}: the answer is one option, named "choice" */
	char **options;
	int noptions;
	struct pform_field *f;
	int nf;
};

#define PFORM_MAX_FIELDS  50
#define PFORM_MAX_OPTIONS 100
#define PFORM_MAX_TEXT    10000   /* bytes of one string or text value */

/* "string", "text", ... ; pform_type_parse returns -1 for an unknown name. */
const char *pform_type_name(enum pform_type t);
int pform_type_parse(const char *name);

/* Reads a stored spec. 0, or -1 with err. pform_free is safe after either. */
int pform_parse(struct pform *pf, const char *spec_json, char *err, size_t errlen);
void pform_free(struct pform *pf);

/* From what a playbook gave (JSON of its options list, or of its fields: an
 * object name -> "type" | {type=, label=, ...} or a list of {name=, type=, ...}),
 * the spec to store: every key known, every type known, options given where a
 * type needs them, defaults valid for their field. Returns a malloc'd string,
 * or NULL with err ("fields.count: unknown key 'lable' (label, help, ...)"). */
char *pform_normalize(const char *options_json, const char *fields_json, char *err,
		      size_t errlen);

/* Values given for a field: the i-th value given for `name` (0, 1, ...), or NULL
 * when there are no more. A choice prompt's answer is named "choice". */
typedef const char *(*pform_get_fn)(void *ud, const char *name, int i);

struct pform_result {
	char *answer_json;    /* on success: the option as a JSON string, or the object */
	char **field_err;     /* nf entries (NULL: fine); for a choice prompt, one */
	char err[512];        /* every message joined: "count: must be a whole number..." */
	int nf_;              /* private: entries of field_err */
};
void pform_result_free(struct pform_result *r);

/* THE check. `complete`: the values come from a whole form (HTML, a Slack
 * modal), so a field left out is empty (an unticked box is false); otherwise
 * (JSON, CLI) a field left out takes its default. Returns 0 with answer_json,
 * or -1 with the messages. */
int pform_validate(const struct pform *pf, pform_get_fn get, void *ud, int complete,
		   struct pform_result *out);

/* Getters for the common sources. */
struct pform_urlenc {         /* an application/x-www-form-urlencoded body */
	const char *body;
	size_t len;
	char buf[PFORM_MAX_TEXT + 1];
};
const char *pform_get_urlenc(void *ud, const char *name, int i);

struct pform_jsonsrc {        /* an object: {"name": value, ...} (arrays: several) */
	const struct json_doc *doc;
	const struct json_node *obj;
	char buf[64];
};
const char *pform_get_json(void *ud, const char *name, int i);

/* The page: the question, the form (labels bound to inputs, help and errors
 * tied by aria-describedby, no script, no external asset), posting to
 * `action` (already URL-safe). Values shown are those of `get` when not NULL
 * (a form sent back with its errors), else the defaults; `res` (or NULL) gives
 * the messages. */
void pform_render_html(const struct pform *pf, const char *question, const char *action,
		       pform_get_fn get, void *ud, const struct pform_result *res,
		       struct store_buf *out);

/* HTML escaping for text and attribute values. */
void pform_html_escape(struct store_buf *b, const char *s);

/* The value of a stored answer as one line of text, for messages ("approve",
 * "count=3, reason=...")): malloc'd. */
char *pform_answer_text(const char *answer_json);

#endif
