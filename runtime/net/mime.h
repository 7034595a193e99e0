/* mime.h - building an Internet message (RFC 5322 + MIME) for email.send.
 *
 * Structure: text alone or html alone is one part; text and html together are
 * multipart/alternative (text first, as RFC 2046 orders them: plainest first);
 * attachments wrap that in multipart/mixed. Every body part is UTF-8 in base64,
 * so any text (long lines, a lone "." line, NUL-free binary) arrives unchanged
 * and no line passes 76 characters. Headers with non-ASCII text use RFC 2047
 * encoded words; attachment names RFC 2231. Lines end in CRLF.
 */
#ifndef SOAR_MIME_H
#define SOAR_MIME_H

#include <stddef.h>
#include <time.h>

struct store_buf;

struct mime_attachment {
	const char *name;          /* file name shown to the reader */
	const char *content;       /* bytes */
	size_t len;
	const char *type;          /* "application/pdf"; NULL = application/octet-stream */
};

struct mime_message {
	const char *from;
	const char *const *to;  size_t nto;
	const char *const *cc;  size_t ncc;   /* bcc never appears in the message */
	const char *reply_to;                 /* may be NULL */
	const char *subject;
	const char *text; size_t text_len;    /* either or both of text and html */
	const char *html; size_t html_len;
	const struct mime_attachment *att; size_t natt;
	const char *message_id;               /* "<...@...>" */
	time_t date;
};

/* 1 if `addr` is a plain address local@domain with nothing a header or an SMTP
 * command could be split on (no spaces, CR, LF, <, >, comma, quotes). */
int mime_address_ok(const char *addr);

/* Appends the whole message to `out`. Returns 0, or -1 with the reason in err
 * (a bad address, a control character in the subject, nothing to send). */
int mime_build(const struct mime_message *m, struct store_buf *out, char *err, size_t errlen);

/* The media type for a file name, by its extension (".csv" -> "text/csv",
 * ".html" -> "text/html; charset=utf-8", ".pdf", ".png", ".json", ...);
 * "application/octet-stream" when unknown. A static string. */
const char *mime_type_for_name(const char *name);

/* An HTTP Content-Disposition value (RFC 6266) for a download named `name`:
 * `attachment; filename="..."` with every byte that is not plain printable
 * ASCII, a quote or a backslash replaced by '_' (and a name of only dots made
 * "download"), then `; filename*=UTF-8''...` percent-encoded (RFC 8187) with the
 * name exactly. Nothing of the name can end the header or the parameter. */
void mime_content_disposition(struct store_buf *out, const char *name);

/* A Message-ID "<random@domain>" for the sender's domain into out (>= 128). */
void mime_message_id(const char *from, char *out, size_t len);

#endif
