/* case_fields.c - names, validation of field values, times, SLA arithmetic and
 * JSON output: everything about a case that needs no store. */
#include "case_int.h"
#include "uuid.h"
#include "json.h"
#include "timefmt.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const sev_names[] = { NULL, "low", "medium", "high", "critical" };
static const char *const status_names[] = { NULL, "new", "active", "pending", "closed" };

const char *case_severity_name(int s)
{
	return s >= 1 && s <= 4 ? sev_names[s] : "?";
}

int case_severity_parse(const char *s)
{
	for (int i = 1; i <= 4; i++)
		if (s && strcmp(s, sev_names[i]) == 0)
			return i;
	return 0;
}

const char *case_status_name(int s)
{
	return s >= 1 && s <= 4 ? status_names[s] : "?";
}

int case_status_parse(const char *s)
{
	for (int i = 1; i <= 4; i++)
		if (s && strcmp(s, status_names[i]) == 0)
			return i;
	return 0;
}

int case_transition_ok(int from, int to)
{
	/* rows: from; columns: to (new, active, pending, closed) */
	static const unsigned char ok[5][5] = {
		[CASE_NEW] = { 0, 1, 1, 1, 1 },
		[CASE_ACTIVE] = { 0, 0, 1, 1, 1 },
		[CASE_PENDING] = { 0, 0, 1, 1, 1 },
		[CASE_CLOSED] = { 0, 0, 1, 0, 1 },
	};
	if (from < 1 || from > 4 || to < 1 || to > 4)
		return 0;
	return from == to || ok[from][to];
}

static const char *const entry_names[CASE_ENTRY__MAX] = {
	NULL, "created", "note", "command", "result", "attachment", "status", "assign",
	"link", "prompt", "answer", "update",
};

const char *case_entry_kind_name(int k)
{
	return k >= 1 && k < CASE_ENTRY__MAX ? entry_names[k] : "?";
}

int case_entry_kind_parse(const char *s)
{
	for (int i = 1; i < CASE_ENTRY__MAX; i++)
		if (s && strcmp(s, entry_names[i]) == 0)
			return i;
	return 0;
}

/* ---- SLA ---- */

int64_t case_sla_effective_due(const struct case_rec *c, int64_t now)
{
	if (!c->sla_due)
		return 0;
	int64_t due = c->sla_due + c->sla_paused_ms;
	if (c->sla_paused_at && now > c->sla_paused_at)
		due += now - c->sla_paused_at;
	return due;
}

int case_sla_breached(const struct case_rec *c, int64_t now)
{
	if (!c->sla_due)
		return 0;
	int64_t at = c->status == CASE_CLOSED && c->closed ? c->closed : now;
	return at > case_sla_effective_due(c, at);
}

/* ---- times ---- */

int case_time_parse(const char *s, int64_t now, int64_t *out)
{
	if (!s || !*s)
		return -1;
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	char *end;
	if (*s == '+' || *s == '-') {
		errno = 0;
		double n = strtod(s + 1, &end);
		if (errno || end == s + 1 || n < 0 || n > 1e7)
			return -1;
		double unit;
		switch (*end) {
		case 's': unit = 1e3; break;
		case 'm': unit = 60e3; break;
		case 'h': unit = 3600e3; break;
		case 'd': unit = 86400e3; break;
		case 'w': unit = 7 * 86400e3; break;
		default: return -1;
		}
		if (end[1])
			return -1;
		int64_t delta = (int64_t)(n * unit);
		*out = *s == '+' ? now + delta : now - delta;
		return 0;
	}
	if (*s == '@') {
		errno = 0;
		double sec = strtod(s + 1, &end);
		if (errno || end == s + 1 || *end || sec < 0 || sec > 253402300799.0)
			return -1;
		*out = (int64_t)(sec * 1000.0 + 0.5);
		return 0;
	}
	/* RFC 3339 / ISO 8601 (timefmt.h): a date, or a date and time; no offset = UTC */
	double t;
	char why[80];
	if (timefmt_parse(s, strlen(s), NULL, &t, why, sizeof why) != 0 || t < 0)
		return -1;
	*out = (int64_t)llround(t * 1000.0);
	return 0;
}

char *case_time_format(int64_t ms, char *buf, size_t len)
{
	return timefmt_ms(ms, buf, len);
}

/* ---- fields ---- */

static const char *const field_names[CF__COUNT] = {
	"title", "type", "severity", "status", "owner", "role", "labels", "custom",
	"dedupe_key", "source", "parent", "sla_due", "sla_pause_pending", "close_reason",
};
const char *const case_field_names =
	"title, type, severity, status, owner, role, labels, custom, dedupe_key, source, "
	"parent, sla_due, sla_pause_pending, close_reason";

void case_fields_init(struct case_fields *f)
{
	memset(f, 0, sizeof *f);
}

void case_fields_free(struct case_fields *f)
{
	for (int i = 0; i < CF__COUNT; i++)
		free(f->v[i]);
	for (size_t i = 0; i < f->nadd; i++)
		free(f->labels_add[i]);
	for (size_t i = 0; i < f->ndel; i++)
		free(f->labels_del[i]);
	memset(f, 0, sizeof *f);
}

/* Short identifiers: printable, no control characters; labels also no commas
 * or spaces (they are listed comma-separated). */
static int check_short(const char *name, const char *v, int label, char *err, size_t errlen)
{
	size_t n = strlen(v);
	if (n > CASE_MAX_SHORT) {
		snprintf(err, errlen, "%s is too long (%zu bytes; at most %d)", name, n, CASE_MAX_SHORT);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f || (label && (c == ',' || c == ' '))) {
			snprintf(err, errlen, "%s '%s' contains %s", name, v,
				 c == ',' ? "a comma" : c == ' ' ? "a space" : "a control character");
			return -1;
		}
	}
	return 0;
}

static int set_labels(struct case_fields *f, const char *v, char *err, size_t errlen)
{
	char *copy = strdup(v);
	if (!copy)
		goto oom;
	char *list[CASE_MAX_LABELS];
	size_t n = 0;
	int inc = -1; /* 1 incremental (+x/-x), 0 replacement */
	for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		size_t tl = strlen(tok);
		while (tl && tok[tl - 1] == ' ')
			tok[--tl] = '\0';
		if (!*tok)
			continue;
		int this_inc = *tok == '+' || *tok == '-';
		if (inc >= 0 && inc != this_inc) {
			snprintf(err, errlen, "labels: give either a list (a,b) or changes (+a,-b), not both");
			goto fail;
		}
		inc = this_inc;
		if (check_short("label", tok + this_inc, 1, err, errlen))
			goto fail;
		if (this_inc && !tok[1]) {
			snprintf(err, errlen, "labels: '%s' names no label", tok);
			goto fail;
		}
		if (n >= CASE_MAX_LABELS) {
			snprintf(err, errlen, "too many labels (at most %d)", CASE_MAX_LABELS);
			goto fail;
		}
		list[n++] = tok;
	}
	if (inc == 1) {
		for (size_t i = 0; i < n; i++) {
			char **dst = list[i][0] == '+' ? f->labels_add : f->labels_del;
			size_t *cnt = list[i][0] == '+' ? &f->nadd : &f->ndel;
			if (*cnt >= CASE_MAX_LABELS) {
				snprintf(err, errlen, "too many label changes (at most %d)", CASE_MAX_LABELS);
				goto fail;
			}
			if (!(dst[(*cnt)++] = strdup(list[i] + 1)))
				goto oom;
		}
		free(copy);
		return 0;
	}
	/* A replacement list: kept as one normalised comma-joined string. */
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(list[i]);
		memmove(copy + out, list[i], l);
		out += l;
		copy[out++] = ',';
	}
	copy[out ? out - 1 : 0] = '\0';
	free(f->v[CF_LABELS]);
	f->v[CF_LABELS] = copy;
	f->set |= 1u << CF_LABELS;
	return 0;
fail:
	free(copy);
	return -1;
oom:
	free(copy);
	snprintf(err, errlen, "out of memory");
	return -1;
}

int case_fields_set(struct case_fields *f, const char *name, const char *value,
		    char *err, size_t errlen)
{
	int i;
	for (i = 0; i < CF__COUNT; i++)
		if (strcmp(name, field_names[i]) == 0)
			break;
	if (i == CF__COUNT) {
		snprintf(err, errlen, "unknown case field '%s'; known fields: %s", name, case_field_names);
		return -1;
	}
	if (!value) {
		snprintf(err, errlen, "%s needs a value", name);
		return -1;
	}
	char why[200];
	int64_t t;
	switch (i) {
	case CF_TITLE:
		if (!*value || strlen(value) > CASE_MAX_TITLE) {
			snprintf(err, errlen, "title must be 1 to %d bytes", CASE_MAX_TITLE);
			return -1;
		}
		for (const char *p = value; *p; p++)
			if ((unsigned char)*p < 0x20 && *p != '\t') {
				snprintf(err, errlen, "title contains a control character");
				return -1;
			}
		break;
	case CF_SEVERITY:
		if (!case_severity_parse(value)) {
			snprintf(err, errlen, "bad severity '%s': use low, medium, high or critical", value);
			return -1;
		}
		break;
	case CF_STATUS:
		if (!case_status_parse(value)) {
			snprintf(err, errlen, "bad status '%s': use new, active, pending or closed", value);
			return -1;
		}
		break;
	case CF_TYPE: case CF_OWNER: case CF_ROLE: case CF_DEDUPE: case CF_CLOSE_REASON:
		if (check_short(name, value, 0, err, errlen))
			return -1;
		if ((i == CF_TYPE || i == CF_DEDUPE) && !*value) {
			snprintf(err, errlen, "%s must not be empty", name);
			return -1;
		}
		break;
	case CF_LABELS:
		return set_labels(f, value, err, errlen);
	case CF_CUSTOM: case CF_SOURCE:
		if (strlen(value) > CASE_MAX_JSON) {
			snprintf(err, errlen, "%s is larger than %d bytes", name, CASE_MAX_JSON);
			return -1;
		}
		if (json_check(value, strlen(value), i == CF_CUSTOM, why, sizeof why)) {
			snprintf(err, errlen, "%s %s", name, why);
			return -1;
		}
		break;
	case CF_PARENT:
		if (!*value) /* "" clears the parent */
			break;
		{
			unsigned char u[16];
			const char *p = value + (*value == '#');
			size_t dn = strspn(p, "0123456789");
			if (!((dn && !p[dn] && dn < 19) || uuid_parse(value, u) == 0)) {
				snprintf(err, errlen, "parent '%s' is not a case number (#42) or id", value);
				return -1;
			}
		}
		break;
	case CF_SLA_DUE:
		if (*value && case_time_parse(value, store_now_ms(), &t)) {
			snprintf(err, errlen, "sla_due '%s' is not a time: use +4h, +30m, +2d, "
				 "2024-05-01T10:00:00Z or @UNIXSECONDS (\"\" clears it)", value);
			return -1;
		}
		break;
	case CF_SLA_PAUSE:
		if (strcmp(value, "true") && strcmp(value, "false") && strcmp(value, "yes") &&
		    strcmp(value, "no") && strcmp(value, "1") && strcmp(value, "0")) {
			snprintf(err, errlen, "sla_pause_pending must be true or false, not '%s'", value);
			return -1;
		}
		break;
	}
	char *copy = strdup(value);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(f->v[i]);
	f->v[i] = copy;
	f->set |= 1u << i;
	return 0;
}

/* ---- JSON ---- */

static void json_time(struct store_buf *b, const char *name, int64_t ms)
{
	char t[40];
	store_buf_printf(b, ",\"%s\":", name);
	if (ms)
		store_buf_json(b, case_time_format(ms, t, sizeof t));
	else
		store_buf_str(b, "null");
}

void case_rec_json(const struct case_rec *c, int64_t now, struct store_buf *b)
{
	store_buf_printf(b, "{\"number\":%llu,\"id\":\"%s\",\"title\":",
			 (unsigned long long)c->seq, c->id);
	store_buf_json(b, c->title);
	store_buf_str(b, ",\"type\":");
	store_buf_json(b, c->type);
	store_buf_printf(b, ",\"severity\":\"%s\",\"status\":\"%s\",\"owner\":",
			 case_severity_name(c->severity), case_status_name(c->status));
	store_buf_json(b, c->owner);
	store_buf_str(b, ",\"role\":");
	store_buf_json(b, c->role);
	store_buf_str(b, ",\"labels\":[");
	for (size_t i = 0; i < c->nlabels; i++) {
		if (i)
			store_buf_str(b, ",");
		store_buf_json(b, c->labels[i]);
	}
	store_buf_str(b, "],\"custom\":");
	store_buf_str(b, c->custom_json ? c->custom_json : "{}");
	json_time(b, "created", c->created);
	json_time(b, "updated", c->updated);
	json_time(b, "closed", c->closed);
	store_buf_str(b, ",\"close_reason\":");
	store_buf_json(b, c->close_reason);
	store_buf_str(b, ",\"dedupe_key\":");
	store_buf_json(b, c->dedupe_key);
	store_buf_str(b, ",\"parent\":");
	if (c->parent)
		store_buf_printf(b, "%llu", (unsigned long long)c->parent);
	else
		store_buf_str(b, "null");
	store_buf_str(b, ",\"sla\":");
	if (c->sla_due) {
		char t[40];
		store_buf_printf(b, "{\"due\":\"%s\"",
				 case_time_format(case_sla_effective_due(c, now), t, sizeof t));
		store_buf_printf(b, ",\"pause_while_pending\":%s,\"paused\":%s,\"breached\":%s}",
				 c->sla_pause_pending ? "true" : "false",
				 c->sla_paused_at ? "true" : "false",
				 case_sla_breached(c, now) ? "true" : "false");
	} else {
		store_buf_str(b, "null");
	}
	store_buf_printf(b, ",\"entries\":%u,\"source\":", c->entries);
	store_buf_str(b, c->source_json ? c->source_json : "null");
	store_buf_str(b, "}");
}

void case_entry_json(const struct case_entry *e, struct store_buf *b)
{
	char t[40];
	store_buf_printf(b, "{\"no\":%u,\"kind\":\"%s\",\"time\":\"%s\",\"actor\":", e->no,
			 case_entry_kind_name(e->kind), case_time_format(e->time, t, sizeof t));
	store_buf_json(b, e->actor);
	store_buf_str(b, ",\"text\":");
	store_buf_json(b, e->text);
	store_buf_str(b, ",\"data\":");
	store_buf_str(b, e->data && *e->data ? e->data : "null");
	store_buf_str(b, "}");
}
