/* prompt_form.c - a prompt's form: reading its spec, the one check of an
 * answer (every answer path comes here), and its plain HTML page. */
#include "prompt_form.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[] = {
	"string", "text", "number", "integer", "boolean", "choice", "choices", "date", NULL,
};

const char *pform_type_name(enum pform_type t) { return type_names[t]; }

int pform_type_parse(const char *name)
{
	for (int i = 0; name && type_names[i]; i++)
		if (strcmp(type_names[i], name) == 0)
			return i;
	return -1;
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

static char *dup0(const char *s) { return s ? dupn(s, strlen(s)) : NULL; }

static void free_list(char **l, int n)
{
	for (int i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

void pform_free(struct pform *pf)
{
	free_list(pf->options, pf->noptions);
	for (int i = 0; i < pf->nf; i++) {
		struct pform_field *f = &pf->f[i];
		free(f->name);
		free(f->label);
		free(f->help);
		free(f->default_json);
		free_list(f->options, f->noptions);
	}
	free(pf->f);
	memset(pf, 0, sizeof *pf);
}

/* A list of strings (options). 0, or -1 with err. */
static int read_options(const struct json_doc *d, const struct json_node *a, const char *where,
			char ***out, int *n, char *err, size_t errlen)
{
	if (!a || a->type != JSON_ARRAY || a->count == 0 || a->count > PFORM_MAX_OPTIONS) {
		snprintf(err, errlen, "%s must be a list of 1 to %d strings", where, PFORM_MAX_OPTIONS);
		return -1;
	}
	*out = calloc((size_t)a->count, sizeof **out);
	if (!*out) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < a->count; i++) {
		const struct json_node *o = json_at(d, a, i);
		if (o->type != JSON_STRING || o->len == 0) {
			snprintf(err, errlen, "%s[%d] is not a non-empty string", where, i + 1);
			return -1;
		}
		for (int j = 0; j < *n; j++)
			if (strcmp((*out)[j], o->str) == 0) {
				snprintf(err, errlen, "%s: '%s' is there twice", where, o->str);
				return -1;
			}
		(*out)[(*n)++] = dup0(o->str);
	}
	return 0;
}

static int name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64 || strcmp(s, "choice") == 0 || s[0] == '_')
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static const char *const field_keys[] = {
	"name", "type", "label", "help", "default", "required", "options", NULL,
};

/* One field from {type=, label=, ...} (or a bare "type" string). */
static int read_field(const struct json_doc *d, const struct json_node *v, const char *name,
		      struct pform_field *f, int strict, char *err, size_t errlen)
{
	char where[96];
	snprintf(where, sizeof where, "fields.%s", name);
	if (!name_ok(name)) {
		snprintf(err, errlen, "%s: a field name is 1-64 letters, digits, _ or - "
			 "(not starting with _, not \"choice\")", where);
		return -1;
	}
	f->name = dup0(name);
	f->required = -1;
	const char *type = NULL;
	if (v->type == JSON_STRING) {
		type = v->str;
	} else if (v->type == JSON_OBJECT) {
		for (int i = 0; strict && i < v->count; i++) {
			const struct json_node *m = json_at(d, v, i);
			int known = 0;
			for (const char *const *k = field_keys; *k && !known; k++)
				known = strcmp(*k, m->key) == 0;
			if (!known) {
				snprintf(err, errlen, "%s: unknown key '%s' (type, label, help, default, "
					 "required, options)", where, m->key);
				return -1;
			}
		}
		type = json_text(json_get(d, v, "type"));
		const struct json_node *lab = json_get(d, v, "label"), *help = json_get(d, v, "help");
		const struct json_node *req = json_get(d, v, "required"), *def = json_get(d, v, "default");
		if ((lab && lab->type != JSON_STRING) || (help && help->type != JSON_STRING)) {
			snprintf(err, errlen, "%s: label and help are strings", where);
			return -1;
		}
		f->label = lab ? dup0(lab->str) : NULL;
		f->help = help ? dup0(help->str) : NULL;
		if (req && req->type != JSON_TRUE && req->type != JSON_FALSE) {
			snprintf(err, errlen, "%s: required is true or false", where);
			return -1;
		}
		if (req)
			f->required = req->type == JSON_TRUE;
		if (def && def->type != JSON_NULL)
			f->default_json = dupn(def->raw, def->rawlen);
	} else {
		snprintf(err, errlen, "%s: give a type name or {type=, label=, help=, default=, ...}", where);
		return -1;
	}
	int t = pform_type_parse(type);
	if (t < 0) {
		snprintf(err, errlen, "%s: type must be one of string, text, number, integer, boolean, "
			 "choice, choices, date%s%s%s", where, type ? " (got \"" : "", type ? type : "",
			 type ? "\")" : "");
		return -1;
	}
	f->type = (enum pform_type)t;
	const struct json_node *opts = v->type == JSON_OBJECT ? json_get(d, v, "options") : NULL;
	if (f->type == PF_CHOICE || f->type == PF_CHOICES) {
		char w2[128];
		snprintf(w2, sizeof w2, "%s.options", where);
		if (read_options(d, opts, w2, &f->options, &f->noptions, err, errlen) != 0)
			return -1;
	} else if (opts) {
		snprintf(err, errlen, "%s: options are for choice and choices fields", where);
		return -1;
	}
	if (f->required < 0)   /* a box may stay unticked, a list empty */
		f->required = f->type != PF_BOOLEAN && f->type != PF_CHOICES;
	if (!f->label)
		f->label = dup0(name);
	return 0;
}

static int parse_doc(struct pform *pf, const struct json_doc *d, const struct json_node *opts,
		     const struct json_node *fields, int strict, char *err, size_t errlen)
{
	memset(pf, 0, sizeof *pf);
	if (!opts == !fields) {
		snprintf(err, errlen, "give either options (a list of choices) or fields (a form)");
		return -1;
	}
	if (opts) {
		pf->is_choice = 1;
		return read_options(d, opts, "options", &pf->options, &pf->noptions, err, errlen);
	}
	if ((fields->type != JSON_OBJECT && fields->type != JSON_ARRAY) || fields->count == 0 ||
	    fields->count > PFORM_MAX_FIELDS) {
		snprintf(err, errlen, "fields must be a table of name = type or {type=, label=, ...} "
			 "(or a list of {name=, type=, ...}), 1 to %d of them", PFORM_MAX_FIELDS);
		return -1;
	}
	pf->f = calloc((size_t)fields->count, sizeof *pf->f);
	if (!pf->f) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (int i = 0; i < fields->count; i++) {
		const struct json_node *v = json_at(d, fields, i);
		const char *name = v->key;
		char pos[32];
		if (fields->type == JSON_ARRAY) {
			name = v->type == JSON_OBJECT ? json_text(json_get(d, v, "name")) : NULL;
			if (!name) {
				snprintf(pos, sizeof pos, "[%d]", i + 1);
				snprintf(err, errlen, "fields%s: a field of a list needs name = \"...\"", pos);
				return -1;
			}
		}
		for (int j = 0; j < pf->nf; j++)
			if (strcmp(pf->f[j].name, name) == 0) {
				snprintf(err, errlen, "fields: '%s' is there twice", name);
				return -1;
			}
		pf->nf++;
		if (read_field(d, v, name, &pf->f[i], strict, err, errlen) != 0)
			return -1;
	}
	return 0;
}

int pform_parse(struct pform *pf, const char *spec_json, char *err, size_t errlen)
{
	struct json_doc d;
	memset(pf, 0, sizeof *pf);
	if (!spec_json || json_parse(&d, spec_json, strlen(spec_json), 0, err, errlen) != 0) {
		if (!spec_json)
			snprintf(err, errlen, "the prompt has no spec");
		return -1;
	}
	int rc = -1;
	if (d.n[0].type == JSON_OBJECT)
		rc = parse_doc(pf, &d, json_get(&d, &d.n[0], "options"), json_get(&d, &d.n[0], "fields"),
			       0, err, errlen);
	else
		snprintf(err, errlen, "the prompt's spec is not an object");
	json_doc_free(&d);
	return rc;
}

/* ---- values ---- */

void pform_result_free(struct pform_result *r)
{
	if (r->field_err) {
		for (int i = 0; i < r->nf_; i++)
			free(r->field_err[i]);
		free(r->field_err);
	}
	free(r->answer_json);
	r->answer_json = NULL;
	r->field_err = NULL;
}

static int valid_date(const char *s)
{
	int y, m, dd;
	char tail;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' ||
	    sscanf(s, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) != 3)
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (y < 1 || m < 1 || m > 12 || dd < 1)
		return 0;
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return dd <= days[m - 1] + (m == 2 && leap);
}

static void shown(char *out, size_t outlen, const char *v)
{
	char s[80];
	json_shown(s, v, strlen(v), 60);
	snprintf(out, outlen, "%s", s);
}

static const char *option_list(char **o, int n, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = 0;
	for (int i = 0; i < n && at + 1 < len; i++)
		at += (size_t)snprintf(buf + at, len - at, "%s%s", i ? ", " : "", o[i]);
	if (at >= len && len > 4)
		strcpy(buf + len - 4, "...");
	return buf;
}

static int in_options(char **o, int n, const char *v)
{
	for (int i = 0; i < n; i++)
		if (strcmp(o[i], v) == 0)
			return 1;
	return 0;
}

/* One scalar value of a field to JSON into b, or a message into msg. */
static int one_value(const struct pform_field *f, const char *v, struct store_buf *b, char *msg,
		     size_t msglen)
{
	char s[80], opts[300];
	shown(s, sizeof s, v);
	if (strlen(v) > PFORM_MAX_TEXT) {
		snprintf(msg, msglen, "is longer than %d characters", PFORM_MAX_TEXT);
		return -1;
	}
	switch (f->type) {
	case PF_STRING:
	case PF_TEXT:
		if (f->type == PF_STRING && strpbrk(v, "\r\n")) {
			snprintf(msg, msglen, "must be one line");
			return -1;
		}
		if (f->type == PF_TEXT && strchr(v, '\r')) {
			/* browsers post a textarea's lines with CRLF: one newline everywhere */
			struct store_buf t = { 0 };
			for (const char *c = v; *c; c++)
				if (!(c[0] == '\r' && c[1] == '\n'))
					store_buf_add(&t, c, 1);
			store_buf_json(b, store_buf_cstr(&t) ? t.p : "");
			store_buf_free(&t);
			return 0;
		}
		store_buf_json(b, v);
		return 0;
	case PF_NUMBER:
	case PF_INTEGER: {
		const char *p = v;
		while (*p == ' ')
			p++;
		char *end;
		errno = 0;
		double d = strtod(p, &end);
		while (*end == ' ')
			end++;
		int digits_only = 1;
		for (const char *q = p + (*p == '-' || *p == '+'); q < end && digits_only; q++)
			digits_only = *q >= '0' && *q <= '9';
		if (f->type == PF_INTEGER &&
		    (end == p || *end || !digits_only || fabs(d) > 9007199254740992.0)) {
			snprintf(msg, msglen, "must be a whole number, got \"%s\"", s);
			return -1;
		}
		/* strtod reads "inf", "nan", hex: a number is written in decimal. */
		int plain = end != p;
		for (const char *q = p; q < end && plain; q++)
			plain = strchr("0123456789+-.eE", *q) != NULL;
		if (!plain || *end || errno || !isfinite(d)) {
			snprintf(msg, msglen, "must be a number, got \"%s\"", s);
			return -1;
		}
		char num[32];
		json_fmt_number(num, d);
		store_buf_str(b, num);
		return 0;
	}
	case PF_BOOLEAN: {
		static const char *const yes[] = { "true", "yes", "on", "1", NULL };
		static const char *const no[] = { "false", "no", "off", "0", NULL };
		for (int i = 0; yes[i]; i++)
			if (strcmp(v, yes[i]) == 0) {
				store_buf_str(b, "true");
				return 0;
			}
		for (int i = 0; no[i]; i++)
			if (strcmp(v, no[i]) == 0) {
				store_buf_str(b, "false");
				return 0;
			}
		snprintf(msg, msglen, "must be true or false, got \"%s\"", s);
		return -1;
	}
	case PF_CHOICE:
	case PF_CHOICES:
		if (!in_options(f->options, f->noptions, v)) {
			snprintf(msg, msglen, "\"%s\" is not one of: %s", s,
				 option_list(f->options, f->noptions, opts, sizeof opts));
			return -1;
		}
		store_buf_json(b, v);
		return 0;
	case PF_DATE:
		if (!valid_date(v)) {
			snprintf(msg, msglen, "must be a date as YYYY-MM-DD, got \"%s\"", s);
			return -1;
		}
		store_buf_json(b, v);
		return 0;
	}
	return -1;
}

static int blank(const char *v)
{
	return !v || v[strspn(v, " \t\r\n")] == 0;
}

/* A field's value into b: 1 written, 0 left out (optional and empty), -1 msg. */
static int field_value(const struct pform_field *f, pform_get_fn get, void *ud, int complete,
		       struct store_buf *b, char *msg, size_t msglen)
{
	const char *v0 = get(ud, f->name, 0);
	int given = v0 != NULL;
	if (f->type == PF_CHOICES) {
		if (!given && !complete && f->default_json) {
			store_buf_str(b, f->default_json);
			return 1;
		}
		int n = 0;
		store_buf_add(b, "[", 1);
		/* Getters may return one buffer: values are copied before the next. */
		char *seen[PFORM_MAX_OPTIONS];
		int ns = 0, rc = 0;
		for (int i = 0; rc == 0; i++) {
			const char *v = get(ud, f->name, i);
			if (!v)
				break;
			if (blank(v))
				continue;
			for (int j = 0; j < ns && rc == 0; j++)
				if (strcmp(seen[j], v) == 0) {
					char s[80];
					shown(s, sizeof s, v);
					snprintf(msg, msglen, "\"%s\" is chosen twice", s);
					rc = -1;
				}
			if (rc == 0 && ns == PFORM_MAX_OPTIONS) {
				snprintf(msg, msglen, "more values than options");
				rc = -1;
			}
			if (rc == 0) {
				seen[ns++] = dup0(v);
				if (n++)
					store_buf_add(b, ",", 1);
				rc = one_value(f, v, b, msg, msglen);
			}
		}
		for (int j = 0; j < ns; j++)
			free(seen[j]);
		if (rc != 0)
			return -1;
		store_buf_add(b, "]", 1);
		if (n == 0 && f->required) {
			snprintf(msg, msglen, "choose at least one");
			return -1;
		}
		return 1;
	}
	if (given && get(ud, f->name, 1)) {
		snprintf(msg, msglen, "give one value");
		return -1;
	}
	if (blank(v0)) {
		if (f->type == PF_BOOLEAN && given && !complete) {
			snprintf(msg, msglen, "must be true or false, got \"\"");
			return -1;
		}
		if (!complete && !given && f->default_json) {
			store_buf_str(b, f->default_json);
			return 1;
		}
		if (f->type == PF_BOOLEAN) {   /* an unticked box */
			store_buf_str(b, "false");
			return 1;
		}
		if (f->required) {
			snprintf(msg, msglen, "is required");
			return -1;
		}
		return 0;
	}
	return one_value(f, v0, b, msg, msglen) == 0 ? 1 : -1;
}

static void add_err(struct pform_result *out, int idx, const char *label, const char *msg)
{
	size_t at = strlen(out->err);
	snprintf(out->err + at, sizeof out->err - at, "%s%s: %s", at ? "; " : "", label, msg);
	out->field_err[idx] = dup0(msg);
}

int pform_validate(const struct pform *pf, pform_get_fn get, void *ud, int complete,
		   struct pform_result *out)
{
	memset(out, 0, sizeof *out);
	int n = pf->is_choice ? 1 : pf->nf;
	out->nf_ = n;
	out->field_err = calloc((size_t)n, sizeof *out->field_err);
	if (!out->field_err) {
		snprintf(out->err, sizeof out->err, "out of memory");
		return -1;
	}
	struct store_buf b = { 0 };
	char msg[400];
	if (pf->is_choice) {
		struct pform_field f = { 0 };
		f.name = "choice";
		f.type = PF_CHOICE;
		f.options = pf->options;
		f.noptions = pf->noptions;
		f.required = 1;
		int rc = field_value(&f, get, ud, 0, &b, msg, sizeof msg);
		if (rc != 1) {
			if (rc == 0)
				snprintf(msg, sizeof msg, "is required (one of the prompt's options)");
			add_err(out, 0, "choice", msg);
			store_buf_free(&b);
			return -1;
		}
		out->answer_json = store_buf_cstr(&b);
		return 0;
	}
	int bad = 0, first = 1;
	store_buf_add(&b, "{", 1);
	for (int i = 0; i < pf->nf; i++) {
		const struct pform_field *f = &pf->f[i];
		struct store_buf v = { 0 };
		int rc = field_value(f, get, ud, complete, &v, msg, sizeof msg);
		if (rc < 0) {
			add_err(out, i, f->label ? f->label : f->name, msg);
			bad = 1;
		} else if (rc == 1) {
			store_buf_add(&b, ",", first ? 0 : 1);
			first = 0;
			store_buf_json(&b, f->name);
			store_buf_add(&b, ":", 1);
			store_buf_add(&b, v.p, v.len);
		}
		store_buf_free(&v);
	}
	store_buf_add(&b, "}", 1);
	if (bad) {
		store_buf_free(&b);
		return -1;
	}
	out->answer_json = store_buf_cstr(&b);
	return 0;
}

/* ---- normalising what a playbook gave ---- */

static void spec_field(struct store_buf *b, const struct pform_field *f)
{
	store_buf_str(b, "{\"name\":");
	store_buf_json(b, f->name);
	store_buf_printf(b, ",\"type\":\"%s\",\"label\":", pform_type_name(f->type));
	store_buf_json(b, f->label);
	if (f->help) {
		store_buf_str(b, ",\"help\":");
		store_buf_json(b, f->help);
	}
	if (f->default_json)
		store_buf_printf(b, ",\"default\":%s", f->default_json);
	store_buf_printf(b, ",\"required\":%s", f->required ? "true" : "false");
	if (f->noptions) {
		store_buf_str(b, ",\"options\":[");
		for (int i = 0; i < f->noptions; i++) {
			store_buf_add(b, ",", i ? 1 : 0);
			store_buf_json(b, f->options[i]);
		}
		store_buf_str(b, "]");
	}
	store_buf_str(b, "}");
}

/* A default goes through the same check as an answer. */
static int check_default(struct pform_field *f, char *err, size_t errlen)
{
	if (!f->default_json)
		return 0;
	/* A one-member object {name: default} for the JSON getter. */
	struct json_doc d;
	int rc = 0;
	struct store_buf w = { 0 }, out = { 0 };
	store_buf_str(&w, "{");
	store_buf_json(&w, f->name);
	store_buf_printf(&w, ":%s}", f->default_json);
	if (json_parse(&d, w.p, w.len, 0, err, errlen) != 0) {
		store_buf_free(&w);
		return -1;
	}
	struct pform_jsonsrc src = { &d, &d.n[0], "" };
	char msg[400];
	struct pform_field g = *f;
	g.default_json = NULL;
	g.required = 1;
	if (field_value(&g, pform_get_json, &src, 0, &out, msg, sizeof msg) != 1) {
		snprintf(err, errlen, "fields.%s: the default %s", f->name, msg);
		rc = -1;
	} else {
		free(f->default_json);
		f->default_json = store_buf_cstr(&out);  /* typed: "3" becomes 3 */
		out.p = NULL;
	}
	store_buf_free(&out);
	store_buf_free(&w);
	json_doc_free(&d);
	return rc;
}

char *pform_normalize(const char *options_json, const char *fields_json, char *err, size_t errlen)
{
	struct store_buf w = { 0 };
	store_buf_str(&w, "{");
	if (options_json)
		store_buf_printf(&w, "\"options\":%s", options_json);
	if (fields_json)
		store_buf_printf(&w, "%s\"fields\":%s", options_json ? "," : "", fields_json);
	store_buf_str(&w, "}");
	struct json_doc d;
	if (json_parse(&d, w.p, w.len, 0, err, errlen) != 0) {
		store_buf_free(&w);
		return NULL;
	}
	struct pform pf;
	char *out = NULL;
	int rc = parse_doc(&pf, &d, json_get(&d, &d.n[0], "options"), json_get(&d, &d.n[0], "fields"),
			   1, err, errlen);
	for (int i = 0; rc == 0 && i < pf.nf; i++)
		rc = check_default(&pf.f[i], err, errlen);
	if (rc == 0) {
		struct store_buf b = { 0 };
		if (pf.is_choice) {
			store_buf_str(&b, "{\"options\":");
			store_buf_str(&b, options_json);
		} else {
			store_buf_str(&b, "{\"fields\":[");
			for (int i = 0; i < pf.nf; i++) {
				store_buf_add(&b, ",", i ? 1 : 0);
				spec_field(&b, &pf.f[i]);
			}
			store_buf_str(&b, "]");
		}
		store_buf_str(&b, "}");
		out = store_buf_cstr(&b);
	}
	pform_free(&pf);
	json_doc_free(&d);
	store_buf_free(&w);
	return out;
}

/* ---- getters ---- */

/* Decodes a urlencoded value into out (bounded). */
static void url_decode(const char *s, const char *e, char *out, size_t outlen)
{
	size_t o = 0;
	for (; s < e && o + 1 < outlen; s++) {
		if (*s == '+')
			out[o++] = ' ';
		else if (*s == '%' && e - s > 2) {
			char hex[3] = { s[1], s[2], 0 };
			out[o++] = (char)strtol(hex, NULL, 16);
			s += 2;
		} else
			out[o++] = *s;
	}
	out[o] = 0;
}

const char *pform_get_urlenc(void *ud, const char *name, int i)
{
	struct pform_urlenc *u = ud;
	size_t nl = strlen(name);
	int seen = 0;
	for (const char *p = u->body, *end = u->body + u->len; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;
		char key[80];
		const char *eq = memchr(p, '=', (size_t)(e - p));
		if (eq && (size_t)(eq - p) < sizeof key * 3) {
			url_decode(p, eq, key, sizeof key);
			if (strlen(key) == nl && memcmp(key, name, nl) == 0 && seen++ == i) {
				url_decode(eq + 1, e, u->buf, sizeof u->buf);
				return u->buf;
			}
		}
		p = e + 1;
	}
	return NULL;
}

static const char *json_scalar(struct pform_jsonsrc *s, const struct json_node *v)
{
	if (!v || v->type == JSON_NULL || v->type == JSON_ARRAY || v->type == JSON_OBJECT)
		return v && (v->type == JSON_ARRAY || v->type == JSON_OBJECT) ? "[a list or object]" : NULL;
	if (v->type == JSON_NUMBER) {
		snprintf(s->buf, sizeof s->buf, "%.*s", (int)v->len, v->str);
		return s->buf;
	}
	return json_text(v);
}

const char *pform_get_json(void *ud, const char *name, int i)
{
	struct pform_jsonsrc *s = ud;
	const struct json_node *v = s->obj ? json_get(s->doc, s->obj, name) : NULL;
	if (!v)
		return NULL;
	if (v->type == JSON_ARRAY)
		return i < v->count ? json_scalar(s, json_at(s->doc, v, i)) : NULL;
	return i == 0 ? json_scalar(s, v) : NULL;
}

/* ---- the page ---- */

void pform_html_escape(struct store_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': store_buf_str(b, "&lt;"); break;
		case '>': store_buf_str(b, "&gt;"); break;
		case '&': store_buf_str(b, "&amp;"); break;
		case '"': store_buf_str(b, "&quot;"); break;
		case '\'': store_buf_str(b, "&#39;"); break;
		default: store_buf_add(b, s, 1);
		}
	}
}

/* The default of a field as text for an input's value (strings unquoted). */
static int default_has(const struct pform_field *f, const char *v)
{
	if (!f->default_json)
		return 0;
	struct json_doc d;
	if (json_parse(&d, f->default_json, strlen(f->default_json), 0, NULL, 0) != 0)
		return 0;
	int hit = 0;
	const struct json_node *r = &d.n[0];
	if (r->type == JSON_ARRAY) {
		for (int i = 0; i < r->count && !hit; i++) {
			const char *t = json_text(json_at(&d, r, i));
			hit = t && strcmp(t, v) == 0;
		}
	} else {
		const char *t = json_text(r);
		hit = t && strcmp(t, v) == 0;
	}
	json_doc_free(&d);
	return hit;
}

static void default_text(const struct pform_field *f, struct store_buf *b)
{
	if (!f->default_json)
		return;
	struct json_doc d;
	if (json_parse(&d, f->default_json, strlen(f->default_json), 0, NULL, 0) == 0) {
		const char *t = json_text(&d.n[0]);
		if (t && d.n[0].type != JSON_NULL)
			pform_html_escape(b, t);
		json_doc_free(&d);
	}
}

/* Is option v selected: in what was posted, else in the default. */
static int selected(const struct pform_field *f, pform_get_fn get, void *ud, const char *v)
{
	if (!get)
		return f->type == PF_BOOLEAN ? default_has(f, "true") : default_has(f, v);
	for (int i = 0;; i++) {
		const char *g = get(ud, f->name, i);
		if (!g)
			return 0;
		if (strcmp(g, v) == 0 || (f->type == PF_BOOLEAN && strcmp(v, "true") == 0 &&
					  (strcmp(g, "on") == 0 || strcmp(g, "yes") == 0 || strcmp(g, "1") == 0)))
			return 1;
	}
}

static void describedby(struct store_buf *b, const struct pform_field *f, const char *msg)
{
	if (!f->help && !msg)
		return;
	store_buf_str(b, " aria-describedby=\"");
	if (f->help) {
		store_buf_str(b, "h-");
		pform_html_escape(b, f->name);
	}
	if (msg) {
		store_buf_str(b, f->help ? " e-" : "e-");
		pform_html_escape(b, f->name);
	}
	store_buf_str(b, "\"");
	if (msg)
		store_buf_str(b, " aria-invalid=\"true\"");
}

static void help_and_error(struct store_buf *b, const struct pform_field *f, const char *msg)
{
	if (f->help) {
		store_buf_str(b, "<p class=help id=\"h-");
		pform_html_escape(b, f->name);
		store_buf_str(b, "\">");
		pform_html_escape(b, f->help);
		store_buf_str(b, "</p>");
	}
	if (msg) {
		store_buf_str(b, "<p class=error id=\"e-");
		pform_html_escape(b, f->name);
		store_buf_str(b, "\">");
		pform_html_escape(b, msg);
		store_buf_str(b, "</p>");
	}
}

static void render_field(struct store_buf *b, const struct pform_field *f, pform_get_fn get,
			 void *ud, const char *msg)
{
	const char *n = f->name;
	store_buf_str(b, "<div class=field>");
	if (f->type == PF_CHOICE || f->type == PF_CHOICES) {
		/* A group of radios or boxes: a fieldset named by its legend. */
		store_buf_str(b, "<fieldset");
		describedby(b, f, msg);
		store_buf_str(b, "><legend>");
		pform_html_escape(b, f->label);
		if (f->required && f->type == PF_CHOICE)
			store_buf_str(b, " <span class=req>(required)</span>");
		store_buf_str(b, "</legend>");
		help_and_error(b, f, msg);
		for (int i = 0; i < f->noptions; i++) {
			store_buf_printf(b, "<div class=opt><input type=%s id=\"f-",
					 f->type == PF_CHOICE ? "radio" : "checkbox");
			pform_html_escape(b, n);
			store_buf_printf(b, "-%d\" name=\"", i);
			pform_html_escape(b, n);
			store_buf_str(b, "\" value=\"");
			pform_html_escape(b, f->options[i]);
			store_buf_str(b, "\"");
			if (selected(f, get, ud, f->options[i]))
				store_buf_str(b, " checked");
			store_buf_str(b, "> <label for=\"f-");
			pform_html_escape(b, n);
			store_buf_printf(b, "-%d\">", i);
			pform_html_escape(b, f->options[i]);
			store_buf_str(b, "</label></div>");
		}
		store_buf_str(b, "</fieldset></div>");
		return;
	}
	if (f->type == PF_BOOLEAN) {
		store_buf_str(b, "<div class=opt><input type=checkbox id=\"f-");
		pform_html_escape(b, n);
		store_buf_str(b, "\" name=\"");
		pform_html_escape(b, n);
		store_buf_str(b, "\" value=true");
		if (selected(f, get, ud, "true"))
			store_buf_str(b, " checked");
		describedby(b, f, msg);
		store_buf_str(b, "> <label for=\"f-");
		pform_html_escape(b, n);
		store_buf_str(b, "\">");
		pform_html_escape(b, f->label);
		store_buf_str(b, "</label></div>");
		help_and_error(b, f, msg);
		store_buf_str(b, "</div>");
		return;
	}
	store_buf_str(b, "<label for=\"f-");
	pform_html_escape(b, n);
	store_buf_str(b, "\">");
	pform_html_escape(b, f->label);
	if (f->required)
		store_buf_str(b, " <span class=req>(required)</span>");
	store_buf_str(b, "</label>");
	help_and_error(b, f, msg);
	/* Numbers are text inputs with a numeric keyboard: the server's check,
	 * the same as every other path's, says what is wrong (a browser's own
	 * number input would drop "x" silently). */
	static const char *const kind[] = {
		[PF_STRING] = "type=text", [PF_NUMBER] = "type=text inputmode=decimal",
		[PF_INTEGER] = "type=text inputmode=numeric", [PF_DATE] = "type=date",
	};
	const char *value = get ? get(ud, n, 0) : NULL;
	if (f->type == PF_TEXT) {
		store_buf_str(b, "<textarea rows=5 cols=60 id=\"f-");
	} else {
		store_buf_printf(b, "<input %s id=\"f-", kind[f->type]);
	}
	pform_html_escape(b, n);
	store_buf_str(b, "\" name=\"");
	pform_html_escape(b, n);
	store_buf_str(b, "\"");
	if (f->required)
		store_buf_str(b, " aria-required=\"true\"");
	describedby(b, f, msg);
	if (f->type == PF_TEXT) {
		store_buf_str(b, ">");
		if (get)
			pform_html_escape(b, value);
		else
			default_text(f, b);
		store_buf_str(b, "</textarea></div>");
		return;
	}
	store_buf_str(b, " value=\"");
	if (get)
		pform_html_escape(b, value);
	else
		default_text(f, b);
	store_buf_str(b, "\"></div>");
}

void pform_render_html(const struct pform *pf, const char *question, const char *action,
		       pform_get_fn get, void *ud, const struct pform_result *res,
		       struct store_buf *b)
{
	store_buf_str(b, "<!doctype html><html lang=en><meta charset=utf-8>"
		      "<meta name=viewport content=\"width=device-width,initial-scale=1\"><title>");
	pform_html_escape(b, question);
	store_buf_str(b, " - soarctl</title><style>"
		      "body{font:16px/1.5 system-ui,sans-serif;max-width:42em;margin:2em auto;padding:0 1em;color:#111}"
		      "label,legend{font-weight:600}.field{margin:1.2em 0}.help{color:#444;margin:.2em 0}"
		      ".error{color:#a40000;font-weight:600;margin:.2em 0}.req{font-weight:400;color:#444}"
		      "input[type=text],input[type=date],textarea{display:block;font:inherit;padding:.3em;"
		      "max-width:100%;border:1px solid #555}fieldset{border:1px solid #999}"
		      "button{font:inherit;padding:.4em 1.2em;margin:.2em}.summary{border:2px solid #a40000;"
		      "padding:.5em 1em}:focus{outline:3px solid #0b5fff}</style><main><h1>");
	pform_html_escape(b, question);
	store_buf_str(b, "</h1>");
	int n = pf->is_choice ? 1 : pf->nf;
	if (res && res->field_err) {
		store_buf_str(b, "<div class=summary role=alert><h2>The answer was not recorded</h2><ul>");
		for (int i = 0; i < n; i++) {
			if (!res->field_err[i])
				continue;
			store_buf_str(b, "<li><a href=\"#f-");
			pform_html_escape(b, pf->is_choice ? "choice" : pf->f[i].name);
			store_buf_str(b, pf->is_choice ? "\">" : "\">");
			pform_html_escape(b, pf->is_choice ? "choice" : pf->f[i].label);
			store_buf_str(b, ": ");
			pform_html_escape(b, res->field_err[i]);
			store_buf_str(b, "</a></li>");
		}
		store_buf_str(b, "</ul></div>");
	}
	store_buf_str(b, "<form method=post action=\"");
	pform_html_escape(b, action);
	store_buf_str(b, "\"><input type=hidden name=_form value=1>");
	if (pf->is_choice) {
		store_buf_str(b, "<p id=f-choice>Choose one:</p><div role=group aria-labelledby=f-choice>");
		for (int i = 0; i < pf->noptions; i++) {
			store_buf_str(b, "<button type=submit name=choice value=\"");
			pform_html_escape(b, pf->options[i]);
			store_buf_str(b, "\">");
			pform_html_escape(b, pf->options[i]);
			store_buf_str(b, "</button> ");
		}
		store_buf_str(b, "</div>");
	} else {
		for (int i = 0; i < pf->nf; i++)
			render_field(b, &pf->f[i], get, ud, res && res->field_err ? res->field_err[i] : NULL);
		store_buf_str(b, "<button type=submit>Submit answer</button>");
	}
	store_buf_str(b, "</form></main></html>");
}

char *pform_answer_text(const char *answer_json)
{
	struct json_doc d;
	struct store_buf b = { 0 };
	if (!answer_json || json_parse(&d, answer_json, strlen(answer_json), 0, NULL, 0) != 0)
		return dup0(answer_json ? answer_json : "");
	const struct json_node *r = &d.n[0];
	if (r->type == JSON_OBJECT) {
		for (int i = 0; i < r->count; i++) {
			const struct json_node *m = json_at(&d, r, i);
			store_buf_printf(&b, "%s%s=", i ? ", " : "", m->key);
			const char *t = json_text(m);
			if (t)
				store_buf_str(&b, t);
			else
				store_buf_add(&b, m->raw, m->rawlen);
		}
	} else {
		const char *t = json_text(r);
		if (t)
			store_buf_str(&b, t);
		else
			store_buf_add(&b, r->raw, r->rawlen);
	}
	json_doc_free(&d);
	char *s = store_buf_cstr(&b);
	return s ? s : dup0("");
}
