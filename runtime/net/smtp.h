/* smtp.h - sending one built message (mime.h) over SMTP with libcurl: what
 * email.send does, and what the daemon uses to email prompt links.
 * STARTTLS is required unless the relay is on this host (127.0.0.1, ::1,
 * localhost) or the URL is smtps:// (TLS from the start). Blocking. */
#ifndef SOAR_SMTP_H
#define SOAR_SMTP_H

#include <stddef.h>

struct smtp_conf {
	const char *url;        /* smtp://host:587 or smtps://host:465 */
	const char *username;   /* or NULL */
	const char *password;   /* or NULL */
	const char *ca_file;    /* or NULL: the system's */
};

/* 1 when url's host is this machine. */
int smtp_local_relay(const char *url);

/* Sends msg (len bytes) from `from` to the n envelope recipients. 0, or -1
 * with *kind ("timeout", "refused", "dns", "denied", "tls", "smtp") and a
 * detail from libcurl. */
int smtp_send(const struct smtp_conf *c, const char *from, const char *const *rcpt, size_t n,
	      const char *msg, size_t len, const char **kind, char *detail, size_t detaillen);

#endif
