/* case_json.c - a strict JSON syntax check (recursive descent, no allocation). */
#include "case_json.h"
#include "json.h"

#include <stdio.h>
#include <string.h>

struct jp {
	const char *s, *p, *end;
	const char *why;
};

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int value(struct jp *j, int depth);

static int string(struct jp *j)
{
	j->p++; /* opening quote */
	while (j->p < j->end) {
		unsigned char c = (unsigned char)*j->p++;
		if (c == '"')
			return 0;
		if (c < 0x20) {
			j->why = "control character in a string";
			return -1;
		}
		if (c >= 0x80) {
			size_t n = json_utf8_seq((const unsigned char *)j->p - 1, (size_t)(j->end - j->p + 1));
			if (!n) {
				j->why = "invalid UTF-8 in a string";
				return -1;
			}
			j->p += n - 1;
			continue;
		}
		if (c == '\\') {
			if (j->p >= j->end)
				break;
			char e = *j->p++;
			if (e == 'u') {
				for (int i = 0; i < 4; i++, j->p++)
					if (j->p >= j->end || !strchr("0123456789abcdefABCDEF", *j->p) || !*j->p) {
						j->why = "bad \\u escape";
						return -1;
					}
			} else if (!strchr("\"\\/bfnrt", e) || !e) {
				j->why = "bad escape in a string";
				return -1;
			}
		}
	}
	j->why = "unterminated string";
	return -1;
}

static int digits(struct jp *j)
{
	const char *start = j->p;
	while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
		j->p++;
	return j->p > start ? 0 : -1;
}

static int number(struct jp *j)
{
	if (*j->p == '-')
		j->p++;
	if (j->p < j->end && *j->p == '0')
		j->p++;
	else if (digits(j))
		goto bad;
	if (j->p < j->end && *j->p == '.') {
		j->p++;
		if (digits(j))
			goto bad;
	}
	if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
		j->p++;
		if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
			j->p++;
		if (digits(j))
			goto bad;
	}
	return 0;
bad:
	j->why = "bad number";
	return -1;
}

static int word(struct jp *j, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(j->end - j->p) >= n && memcmp(j->p, w, n) == 0) {
		j->p += n;
		return 0;
	}
	j->why = "unexpected character";
	return -1;
}

static int container(struct jp *j, int depth, char close)
{
	j->p++;
	ws(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	for (;;) {
		ws(j);
		if (close == '}') {
			if (j->p >= j->end || *j->p != '"') {
				j->why = "expected a string key";
				return -1;
			}
			if (string(j))
				return -1;
			ws(j);
			if (j->p >= j->end || *j->p != ':') {
				j->why = "expected ':'";
				return -1;
			}
			j->p++;
		}
		if (value(j, depth + 1))
			return -1;
		ws(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		j->why = close == '}' ? "expected ',' or '}'" : "expected ',' or ']'";
		return -1;
	}
}

static int value(struct jp *j, int depth)
{
	if (depth > 64) {
		j->why = "nested deeper than 64 levels";
		return -1;
	}
	ws(j);
	if (j->p >= j->end) {
		j->why = "unexpected end";
		return -1;
	}
	switch (*j->p) {
	case '{': return container(j, depth, '}');
	case '[': return container(j, depth, ']');
	case '"': return string(j);
	case 't': return word(j, "true");
	case 'f': return word(j, "false");
	case 'n': return word(j, "null");
	default:
		if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
			return number(j);
		j->why = "unexpected character";
		return -1;
	}
}

int case_json_check(const char *s, size_t len, int want_object, char *err, size_t errlen)
{
	struct jp j = { s, s, s + len, NULL };
	ws(&j);
	if (want_object && (j.p >= j.end || *j.p != '{')) {
		snprintf(err, errlen, "must be a JSON object ({...})");
		return -1;
	}
	if (value(&j, 0) == 0) {
		ws(&j);
		if (j.p == j.end)
			return 0;
		j.why = "text after the JSON value";
	}
	snprintf(err, errlen, "is not valid JSON: %s at byte %zu", j.why, (size_t)(j.p - s));
	return -1;
}
