/* httpd_tls.h - the certificate and key `soarctl serve --tls-cert/--tls-key`
 * serves, checked before use and swappable while serving (SIGHUP).
 *
 * GnuTLS (which libmicrohttpd uses) is reached the way mhd_lazy.h reaches
 * libmicrohttpd: loaded on first use, so a process that serves no TLS pays
 * nothing. httpd gives MHD a certificate callback (MHD_OPTION_HTTPS_CERT_CALLBACK)
 * that answers each handshake with the credentials current then, so a reload
 * takes effect for the next connection, with no restart and no connection cut. */
#ifndef SOAR_HTTPD_TLS_H
#define SOAR_HTTPD_TLS_H

#include <stddef.h>

struct httpd_tls;

/* Reads and checks the PEM files: a certificate (chain) that parses, is valid
 * now (not before its start, not expired), and the private key that matches it.
 * NULL with a message naming the file and what is wrong. */
struct httpd_tls *httpd_tls_load(const char *cert_path, const char *key_path, char *err,
				 size_t errlen);
/* The certificate's serial number in hex (for logs: which one is served). */
const char *httpd_tls_serial(const struct httpd_tls *t);
void httpd_tls_free(struct httpd_tls *t);

/* For httpd.c: the callback MHD_OPTION_HTTPS_CERT_CALLBACK takes (a
 * gnutls_certificate_retrieve_function2), serving httpd_tls_current(). */
void *httpd_tls_callback(void);
/* Makes `t` the credentials new handshakes get; the previous ones are kept
 * until httpd_tls_release_all (a session may still refer to them). */
void httpd_tls_use(struct httpd_tls *t);
void httpd_tls_release_all(void);

#endif
