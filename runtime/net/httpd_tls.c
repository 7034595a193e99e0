/* httpd_tls.c - see httpd_tls.h. */
#include "httpd_tls.h"

#include <gnutls/gnutls.h>
#include <gnutls/abstract.h>
#include <gnutls/x509.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_CHAIN 8

struct httpd_tls {
	gnutls_pcert_st pcert[MAX_CHAIN];
	unsigned npcert;
	gnutls_privkey_t key;
	char serial[80];
	struct httpd_tls *older;   /* replaced ones, freed at release_all */
};

/* The GnuTLS calls used here, from the library libmicrohttpd already loaded. */
static struct {
	__typeof__(gnutls_pcert_list_import_x509_raw) *pcert_import;
	__typeof__(gnutls_pcert_deinit) *pcert_deinit;
	__typeof__(gnutls_privkey_init) *privkey_init;
	__typeof__(gnutls_privkey_import_x509_raw) *privkey_import;
	__typeof__(gnutls_privkey_deinit) *privkey_deinit;
	__typeof__(gnutls_certificate_allocate_credentials) *cred_alloc;
	__typeof__(gnutls_certificate_set_x509_key_mem2) *cred_set_key;
	__typeof__(gnutls_certificate_free_credentials) *cred_free;
	__typeof__(gnutls_x509_crt_init) *crt_init;
	__typeof__(gnutls_x509_crt_import) *crt_import;
	__typeof__(gnutls_x509_crt_get_expiration_time) *crt_expires;
	__typeof__(gnutls_x509_crt_get_activation_time) *crt_activates;
	__typeof__(gnutls_x509_crt_get_serial) *crt_serial;
	__typeof__(gnutls_x509_crt_deinit) *crt_deinit;
	__typeof__(gnutls_strerror) *strerror;
} g;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];

static void load(void)
{
	void *h = dlopen("libgnutls.so.30", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(load_error, sizeof load_error, "TLS needs GnuTLS (install libgnutls30): %s",
			 dlerror());
		return;
	}
	struct { const char *name; void **slot; } syms[] = {
		{ "gnutls_pcert_list_import_x509_raw", (void **)&g.pcert_import },
		{ "gnutls_pcert_deinit", (void **)&g.pcert_deinit },
		{ "gnutls_privkey_init", (void **)&g.privkey_init },
		{ "gnutls_privkey_import_x509_raw", (void **)&g.privkey_import },
		{ "gnutls_privkey_deinit", (void **)&g.privkey_deinit },
		{ "gnutls_certificate_allocate_credentials", (void **)&g.cred_alloc },
		{ "gnutls_certificate_set_x509_key_mem2", (void **)&g.cred_set_key },
		{ "gnutls_certificate_free_credentials", (void **)&g.cred_free },
		{ "gnutls_x509_crt_init", (void **)&g.crt_init },
		{ "gnutls_x509_crt_import", (void **)&g.crt_import },
		{ "gnutls_x509_crt_get_expiration_time", (void **)&g.crt_expires },
		{ "gnutls_x509_crt_get_activation_time", (void **)&g.crt_activates },
		{ "gnutls_x509_crt_get_serial", (void **)&g.crt_serial },
		{ "gnutls_x509_crt_deinit", (void **)&g.crt_deinit },
		{ "gnutls_strerror", (void **)&g.strerror },
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++)
		if (!(*syms[i].slot = dlsym(h, syms[i].name))) {
			snprintf(load_error, sizeof load_error, "GnuTLS has no %s (too old?)",
				 syms[i].name);
			return;
		}
}

/* The whole file, NUL-terminated; NULL with errno. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (cap - n < 4096) {
			if (cap > (1u << 20)) {   /* no PEM file is a megabyte */
				free(buf);
				fclose(f);
				errno = EFBIG;
				return NULL;
			}
			char *b = realloc(buf, cap + 8192);
			if (!b)
				break;
			buf = b;
			cap += 8192;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static void tls_free_one(struct httpd_tls *t)
{
	for (unsigned i = 0; i < t->npcert; i++)
		g.pcert_deinit(&t->pcert[i]);
	if (t->key)
		g.privkey_deinit(t->key);
	free(t);
}

void httpd_tls_free(struct httpd_tls *t)
{
	while (t) {
		struct httpd_tls *o = t->older;
		tls_free_one(t);
		t = o;
	}
}

/* Validity of the first certificate (the server's) and its serial. */
static int check_cert(struct httpd_tls *t, const char *path, const gnutls_datum_t *pem, char *err,
		      size_t errlen)
{
	gnutls_x509_crt_t crt;
	if (g.crt_init(&crt) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = g.crt_import(crt, pem, GNUTLS_X509_FMT_PEM);
	if (rc < 0) {
		snprintf(err, errlen, "--tls-cert %s: not a PEM certificate (%s)", path, g.strerror(rc));
		g.crt_deinit(crt);
		return -1;
	}
	time_t now = time(NULL), from = g.crt_activates(crt), until = g.crt_expires(crt);
	char when[40] = "?";
	struct tm tm;
	rc = 0;
	if (until != (time_t)-1 && until < now) {
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%SZ", gmtime_r(&until, &tm));
		snprintf(err, errlen, "--tls-cert %s: the certificate expired on %s; renew it", path,
			 when);
		rc = -1;
	} else if (from != (time_t)-1 && from > now) {
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%SZ", gmtime_r(&from, &tm));
		snprintf(err, errlen, "--tls-cert %s: the certificate is not valid before %s", path,
			 when);
		rc = -1;
	}
	unsigned char serial[40];
	size_t sl = sizeof serial;
	if (rc == 0 && g.crt_serial(crt, serial, &sl) == 0)
		for (size_t i = 0; i < sl && 2 * i + 2 < sizeof t->serial; i++)
			snprintf(t->serial + 2 * i, 3, "%02x", serial[i]);
	g.crt_deinit(crt);
	return rc;
}

struct httpd_tls *httpd_tls_load(const char *cert_path, const char *key_path, char *err,
				 size_t errlen)
{
	pthread_once(&once, load);
	if (load_error[0]) {
		snprintf(err, errlen, "%s", load_error);
		return NULL;
	}
	if (!cert_path || !*cert_path || !key_path || !*key_path) {
		snprintf(err, errlen, "TLS needs both --tls-cert FILE and --tls-key FILE");
		return NULL;
	}
	size_t clen = 0, klen = 0;
	char *cert = slurp(cert_path, &clen);
	if (!cert) {
		snprintf(err, errlen, "--tls-cert %s: %s", cert_path, strerror(errno));
		return NULL;
	}
	char *key = slurp(key_path, &klen);
	if (!key) {
		snprintf(err, errlen, "--tls-key %s: %s", key_path, strerror(errno));
		free(cert);
		return NULL;
	}
	struct httpd_tls *t = calloc(1, sizeof *t);
	gnutls_datum_t cd = { (unsigned char *)cert, (unsigned)clen };
	gnutls_datum_t kd = { (unsigned char *)key, (unsigned)klen };
	int rc;
	if (!t) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (check_cert(t, cert_path, &cd, err, errlen) != 0)
		goto fail;
	t->npcert = MAX_CHAIN;
	rc = g.pcert_import(t->pcert, &t->npcert, &cd, GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0) {
		t->npcert = 0;
		snprintf(err, errlen, "--tls-cert %s: %s", cert_path, g.strerror(rc));
		goto fail;
	}
	if ((rc = g.privkey_init(&t->key)) < 0 ||
	    (rc = g.privkey_import(t->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(err, errlen, "--tls-key %s: not a PEM private key without a passphrase (%s)",
			 key_path, g.strerror(rc));
		goto fail;
	}
	/* GnuTLS's own pairing check: the key must be the certificate's. */
	gnutls_certificate_credentials_t cred;
	if (g.cred_alloc(&cred) >= 0) {
		rc = g.cred_set_key(cred, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
		g.cred_free(cred);
		if (rc < 0) {
			snprintf(err, errlen, "--tls-key %s does not go with --tls-cert %s (%s)", key_path,
				 cert_path, g.strerror(rc));
			goto fail;
		}
	}
	free(cert);
	free(key);
	return t;
fail:
	if (t)
		tls_free_one(t);
	free(cert);
	free(key);
	return NULL;
}

const char *httpd_tls_serial(const struct httpd_tls *t)
{
	return t->serial[0] ? t->serial : "?";
}

/* Handshakes run on the loop's thread, as reloads do; the lock is for a
 * caller that reloads from elsewhere. */
static pthread_mutex_t cur_lock = PTHREAD_MUTEX_INITIALIZER;
static struct httpd_tls *current;

void httpd_tls_use(struct httpd_tls *t)
{
	pthread_mutex_lock(&cur_lock);
	t->older = current;
	current = t;
	pthread_mutex_unlock(&cur_lock);
}

void httpd_tls_release_all(void)
{
	pthread_mutex_lock(&cur_lock);
	httpd_tls_free(current);
	current = NULL;
	pthread_mutex_unlock(&cur_lock);
}

static int retrieve(gnutls_session_t s, const gnutls_datum_t *req_ca_rdn, int nreqs,
		    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
		    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	(void)s;
	(void)req_ca_rdn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	pthread_mutex_lock(&cur_lock);
	struct httpd_tls *t = current;
	pthread_mutex_unlock(&cur_lock);
	if (!t)
		return -1;
	*pcert = t->pcert;
	*pcert_length = t->npcert;
	*pkey = t->key;
	return 0;
}

void *httpd_tls_callback(void)
{
	return (void *)retrieve;
}
