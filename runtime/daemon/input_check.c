/* input_check.c - see input_check.h. The types are the engine's (playbook.c
 * check_input): string, number, integer, boolean, table, any. */
#include "input_check.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int one_of(const struct pb_input *in, const char *s, char *err, size_t errlen)
{
	if (!in->noptions)
		return 0;
	for (int i = 0; i < in->noptions; i++)
		if (strcmp(in->options[i], s) == 0)
			return 0;
	char shown[84];
	json_shown(shown, s, strlen(s), 80);
	size_t n = (size_t)snprintf(err, errlen, "input '%s' must be one of ", in->name);
	for (int i = 0; i < in->noptions && n < errlen; i++)
		n += (size_t)snprintf(err + n, errlen - n, "%s%s", i ? ", " : "", in->options[i]);
	if (n < errlen)
		snprintf(err + n, errlen - n, "; got \"%s\"", shown);
	return -1;
}

static const char *article(const char *type)
{
	return type[0] == 'i' || type[0] == 'a' ? "an" : "a";
}

int input_check_json(const struct pb_input *in, const struct json_node *v, char *err, size_t errlen)
{
	const char *t = in->type;
	int ok;
	double d;
	if (strcmp(t, "any") == 0)
		ok = 1;
	else if (strcmp(t, "string") == 0)
		ok = v->type == JSON_STRING;
	else if (strcmp(t, "number") == 0)
		ok = v->type == JSON_NUMBER;
	else if (strcmp(t, "integer") == 0)
		ok = v->type == JSON_NUMBER && json_number(v, &d) == 0 && d == floor(d) &&
		     fabs(d) < 9007199254740992.0;
	else if (strcmp(t, "boolean") == 0)
		ok = v->type == JSON_TRUE || v->type == JSON_FALSE;
	else
		ok = v->type == JSON_OBJECT || v->type == JSON_ARRAY;
	if (!ok) {
		char shown[84];
		if (v->type == JSON_STRING) {
			json_shown(shown, v->str, v->len, 80);
			snprintf(err, errlen, "input '%s' must be %s %s, got the string \"%s\"", in->name,
				 article(t), t, shown);
		} else {
			json_shown(shown, v->raw, v->rawlen, 80);
			snprintf(err, errlen, "input '%s' must be %s %s, got %s", in->name, article(t), t,
				 shown);
		}
		return -1;
	}
	if (in->noptions) {
		const char *s = json_text(v);
		return one_of(in, s ? s : "", err, errlen);
	}
	return 0;
}

int input_from_text(const struct pb_input *in, const char *text, struct store_buf *out, char *err,
		    size_t errlen)
{
	const char *t = in->type;
	char shown[84];
	json_shown(shown, text, strlen(text), 80);
	if (one_of(in, text, err, errlen) != 0)
		return -1;
	if (strcmp(t, "string") == 0) {
		store_buf_json(out, text);
		return 0;
	}
	if (strcmp(t, "boolean") == 0) {
		int v = -1;
		if (!strcmp(text, "true") || !strcmp(text, "on") || !strcmp(text, "yes") || !strcmp(text, "1"))
			v = 1;
		else if (!strcmp(text, "false") || !strcmp(text, "off") || !strcmp(text, "no") ||
			 !strcmp(text, "0") || !*text)
			v = 0;
		if (v < 0) {
			snprintf(err, errlen, "input '%s' must be true or false, got \"%s\"", in->name, shown);
			return -1;
		}
		store_buf_str(out, v ? "true" : "false");
		return 0;
	}
	if (strcmp(t, "number") == 0 || strcmp(t, "integer") == 0) {
		char *end;
		errno = 0;
		double d = strtod(text, &end);
		int ok = *text && !*end && !errno && isfinite(d) && !strpbrk(text, "xXpP \t");
		if (ok && t[0] == 'i')
			ok = d == floor(d) && fabs(d) < 9007199254740992.0;
		if (!ok) {
			snprintf(err, errlen, "input '%s' must be %s %s, got \"%s\"", in->name, article(t), t,
				 shown);
			return -1;
		}
		char num[32];
		json_fmt_number(num, d);
		store_buf_str(out, num);
		return 0;
	}
	/* table and any: JSON text (any: a plain word is taken as a string) */
	char jerr[160];
	if (json_check(text, strlen(text), 0, jerr, sizeof jerr) == 0) {
		int table = strcmp(t, "table") == 0;
		size_t sp = strspn(text, " \t\r\n");
		if (table && text[sp] != '{' && text[sp] != '[') {
			snprintf(err, errlen, "input '%s' must be a table (a JSON object or array)", in->name);
			return -1;
		}
		store_buf_str(out, text);
		return 0;
	}
	if (strcmp(t, "any") == 0) {
		store_buf_json(out, text);
		return 0;
	}
	snprintf(err, errlen, "input '%s' must be a table in JSON: %s", in->name, jerr);
	return -1;
}
