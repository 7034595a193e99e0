/* mime.c - see mime.h. */
#include "mime.h"
#include "base64.h"
#include "hex.h"
#include "store_buf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

/* Appends base64 (standard, padded) of n bytes. */
static void base64_plain(struct store_buf *b, const unsigned char *s, size_t n)
{
	char *out = store_buf_grow(b, base64_encoded_len(n, BASE64_PAD));
	if (out)
		base64_encode(s, n, out, BASE64_PAD);
}

/* base64 in lines of 76 characters (57 bytes), each ended by CRLF. */
static void base64_lines(struct store_buf *b, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i += 57) {
		base64_plain(b, s + i, n - i < 57 ? n - i : 57);
		store_buf_add(b, "\r\n", 2);
	}
}

static int ascii_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* A header value: as is when printable ASCII, else RFC 2047 encoded words of at
 * most 36 input bytes each (never splitting a UTF-8 sequence), folded. */
static void header_text(struct store_buf *b, const char *name, const char *v)
{
	store_buf_printf(b, "%s: ", name);
	if (ascii_printable(v) && strlen(v) < 900) {
		store_buf_str(b, v);
		store_buf_add(b, "\r\n", 2);
		return;
	}
	size_t n = strlen(v), i = 0;
	int first = 1;
	while (i < n) {
		size_t take = n - i > 36 ? 36 : n - i;
		while (take > 0 && i + take < n && ((unsigned char)v[i + take] & 0xc0) == 0x80)
			take--;                     /* end on a character boundary */
		if (take == 0)
			take = n - i > 36 ? 36 : n - i;
		if (!first)
			store_buf_add(b, "\r\n ", 3);
		store_buf_str(b, "=?UTF-8?B?");
		base64_plain(b, (const unsigned char *)v + i, take);
		store_buf_str(b, "?=");
		i += take;
		first = 0;
	}
	store_buf_add(b, "\r\n", 2);
}

int mime_address_ok(const char *a)
{
	const char *at = strrchr(a, '@');
	size_t n = strlen(a);
	if (!at || at == a || !at[1] || n > 320)
		return 0;
	for (const char *p = a; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || strchr("<>,;\"()[]\\:", c))
			return 0;
	}
	return strchr(at + 1, '.') != NULL;
}

static int add_list(struct store_buf *b, const char *name, const char *const *v, size_t n,
		    char *err, size_t errlen)
{
	if (!n)
		return 0;
	store_buf_printf(b, "%s: ", name);
	for (size_t i = 0; i < n; i++) {
		if (!mime_address_ok(v[i])) {
			snprintf(err, errlen, "'%.200s' is not an email address (local@domain)", v[i]);
			return -1;
		}
		store_buf_printf(b, "%s%s", i ? ",\r\n " : "", v[i]);
	}
	store_buf_add(b, "\r\n", 2);
	return 0;
}

static void boundary(char *out, size_t len)
{
	unsigned char r[12];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		memset(r, 0x5a, sizeof r);
	size_t n = (size_t)snprintf(out, len, "=_soarctl_");
	for (size_t i = 0; i < sizeof r && n + 2 < len; i++)
		n += (size_t)snprintf(out + n, len - n, "%02x", r[i]);
}

void mime_message_id(const char *from, char *out, size_t len)
{
	unsigned char r[16];
	if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
		memset(r, 0xa5, sizeof r);
	const char *at = from ? strrchr(from, '@') : NULL;
	size_t n = (size_t)snprintf(out, len, "<");
	for (size_t i = 0; i < sizeof r; i++)
		n += (size_t)snprintf(out + n, len > n ? len - n : 0, "%02x", r[i]);
	snprintf(out + n, len > n ? len - n : 0, "@%s>", at && mime_address_ok(from) ? at + 1 : "soarctl.invalid");
}

static void text_part(struct store_buf *b, const char *subtype, const char *s, size_t n)
{
	store_buf_printf(b, "Content-Type: text/%s; charset=utf-8\r\n"
			 "Content-Transfer-Encoding: base64\r\n\r\n", subtype);
	base64_lines(b, (const unsigned char *)s, n);
}

/* The text/html body: one part, or multipart/alternative. */
static void body_part(struct store_buf *b, const struct mime_message *m)
{
	if (m->text && m->html) {
		char bd[64];
		boundary(bd, sizeof bd);
		store_buf_printf(b, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n", bd);
		store_buf_printf(b, "--%s\r\n", bd);
		text_part(b, "plain", m->text, m->text_len);
		store_buf_printf(b, "--%s\r\n", bd);
		text_part(b, "html", m->html, m->html_len);
		store_buf_printf(b, "--%s--\r\n", bd);
	} else if (m->html) {
		text_part(b, "html", m->html, m->html_len);
	} else {
		text_part(b, "plain", m->text ? m->text : "", m->text ? m->text_len : 0);
	}
}

/* s percent-encoded: letters, digits and the bytes of `safe` as they are. */
static void pct_encode(struct store_buf *b, const char *s, const char *safe)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || strchr(safe, *p)) {
			store_buf_add(b, p, 1);
		} else {
			char pct[3] = { '%', hex_upper[*p >> 4], hex_upper[*p & 15] };
			store_buf_add(b, pct, 3);
		}
	}
}

/* filename="x.pdf", or RFC 2231 filename*=UTF-8''%.. for anything else. */
static void filename_param(struct store_buf *b, const char *name)
{
	int plain = 1;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._- ()+", *p))
			plain = 0;
	if (plain && *name) {
		store_buf_printf(b, "filename=\"%s\"", name);
		return;
	}
	store_buf_str(b, "filename*=UTF-8''");
	pct_encode(b, name, ".-_");
}

static const struct { const char *ext, *type; } media_types[] = {
	{ "csv", "text/csv; charset=utf-8" }, { "txt", "text/plain; charset=utf-8" },
	{ "log", "text/plain; charset=utf-8" }, { "md", "text/markdown; charset=utf-8" },
	{ "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
	{ "json", "application/json" }, { "xml", "application/xml" },
	{ "pdf", "application/pdf" }, { "zip", "application/zip" }, { "gz", "application/gzip" },
	{ "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
	{ "gif", "image/gif" }, { "svg", "image/svg+xml" }, { "eml", "message/rfc822" },
	{ "pcap", "application/vnd.tcpdump.pcap" },
};

const char *mime_type_for_name(const char *name)
{
	const char *dot = name ? strrchr(name, '.') : NULL;
	if (dot && dot[1])
		for (size_t i = 0; i < sizeof media_types / sizeof media_types[0]; i++)
			if (strcasecmp(dot + 1, media_types[i].ext) == 0)
				return media_types[i].type;
	return "application/octet-stream";
}

void mime_content_disposition(struct store_buf *b, const char *name)
{
	store_buf_str(b, "attachment; filename=\"");
	int only_dots = 1;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		only_dots &= *p == '.';
	if (!*name || only_dots) {
		store_buf_str(b, "download");
	} else {
		for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
			char c = *p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' && *p != '/' ? (char)*p : '_';
			store_buf_add(b, &c, 1);
		}
	}
	store_buf_str(b, "\"; filename*=UTF-8''");
	pct_encode(b, name, "!#$&+-.^_`|~");    /* RFC 8187 attr-char */
}

/* type/subtype, optionally with parameters ("text/csv; charset=utf-8"):
 * nothing that could end the header or open a quoted string. */
static int type_ok(const char *t)
{
	const char *slash = strchr(t, '/');
	if (!slash || slash == t || !slash[1] || slash[1] == ';')
		return 0;
	int params = 0;
	for (; *t; t++) {
		params |= *t == ';';
		if (!isalnum((unsigned char)*t) && !strchr(params ? "/.+-_;= " : "/.+-_", *t))
			return 0;
	}
	return 1;
}

int mime_build(const struct mime_message *m, struct store_buf *b, char *err, size_t errlen)
{
	if (!m->text && !m->html && !m->natt) {
		snprintf(err, errlen, "nothing to send: give text, html or attachments");
		return -1;
	}
	if (!m->from || !mime_address_ok(m->from)) {
		snprintf(err, errlen, "from '%.200s' is not an email address", m->from ? m->from : "");
		return -1;
	}
	if (m->reply_to && !mime_address_ok(m->reply_to)) {
		snprintf(err, errlen, "reply_to '%.200s' is not an email address", m->reply_to);
		return -1;
	}
	const char *subject = m->subject ? m->subject : "";
	for (const char *p = subject; *p; p++)
		if (*p == '\r' || *p == '\n') {
			snprintf(err, errlen, "the subject may not contain line breaks");
			return -1;
		}
	for (size_t i = 0; i < m->natt; i++) {
		const struct mime_attachment *a = &m->att[i];
		if (!a->name || !*a->name || strpbrk(a->name, "\r\n\"/\\")) {
			snprintf(err, errlen, "attachment %zu needs a file name (no quotes, slashes or line "
				 "breaks)", i + 1);
			return -1;
		}
		if (a->type && !type_ok(a->type)) {
			snprintf(err, errlen, "attachment %s: type '%.100s' is not a media type like "
				 "application/pdf", a->name, a->type);
			return -1;
		}
	}
	char date[64];
	struct tm tm;
	gmtime_r(&m->date, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	store_buf_printf(b, "Date: %s\r\n", date);
	store_buf_printf(b, "From: %s\r\n", m->from);
	if (add_list(b, "To", m->to, m->nto, err, errlen) || add_list(b, "Cc", m->cc, m->ncc, err, errlen))
		return -1;
	if (m->reply_to)
		store_buf_printf(b, "Reply-To: %s\r\n", m->reply_to);
	header_text(b, "Subject", subject);
	store_buf_printf(b, "Message-ID: %s\r\nMIME-Version: 1.0\r\n", m->message_id);
	if (!m->natt) {
		body_part(b, m);
		return b->oom ? (snprintf(err, errlen, "out of memory"), -1) : 0;
	}
	char bd[64];
	boundary(bd, sizeof bd);
	store_buf_printf(b, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n", bd);
	if (m->text || m->html) {
		store_buf_printf(b, "--%s\r\n", bd);
		body_part(b, m);
	}
	for (size_t i = 0; i < m->natt; i++) {
		const struct mime_attachment *a = &m->att[i];
		store_buf_printf(b, "--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\n"
				 "Content-Disposition: attachment; ", bd,
				 a->type ? a->type : "application/octet-stream");
		filename_param(b, a->name);
		store_buf_str(b, "\r\n\r\n");
		base64_lines(b, (const unsigned char *)a->content, a->len);
	}
	store_buf_printf(b, "--%s--\r\n", bd);
	if (b->oom) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
