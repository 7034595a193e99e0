/* smtp.c - one message over SMTP with libcurl (see smtp.h). */
#include "smtp.h"

#include <curl/curl.h>
#include "curl_lazy.h"

#include <stdio.h>
#include <string.h>

struct upload {
	const char *p;
	size_t left;
};

static size_t on_read(char *buf, size_t size, size_t n, void *ud)
{
	struct upload *u = ud;
	size_t take = size * n < u->left ? size * n : u->left;
	memcpy(buf, u->p, take);
	u->p += take;
	u->left -= take;
	return take;
}

int smtp_local_relay(const char *url)
{
	const char *h = strstr(url, "://");
	h = h ? h + 3 : url;
	static const char *const local[] = { "127.0.0.1", "localhost", "[::1]", NULL };
	for (const char *const *l = local; *l; l++) {
		size_t n = strlen(*l);
		if (strncmp(h, *l, n) == 0 && (h[n] == 0 || h[n] == ':' || h[n] == '/'))
			return 1;
	}
	return 0;
}

static const char *smtp_err(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT: return "timeout";
	case CURLE_COULDNT_CONNECT: return "refused";
	case CURLE_COULDNT_RESOLVE_HOST: return "dns";
	case CURLE_LOGIN_DENIED: return "denied";
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return "tls";
	default: return "smtp";
	}
}

int smtp_send(const struct smtp_conf *c, const char *from, const char *const *rcpt, size_t n,
	      const char *msg, size_t len, const char **kind, char *detail, size_t detaillen)
{
	char ebuf[CURL_ERROR_SIZE] = "";
	char from_arg[400];
	snprintf(from_arg, sizeof from_arg, "<%s>", from);
	struct curl_slist *rl = NULL;
	int oom = 0;
	for (size_t i = 0; i < n && !oom; i++) {
		char r[400];
		snprintf(r, sizeof r, "<%s>", rcpt[i]);
		struct curl_slist *x = curl_slist_append(rl, r);
		if (x)
			rl = x;
		else
			oom = 1;
	}
	CURL *h = oom ? NULL : curl_easy_init();
	CURLcode cc = CURLE_OUT_OF_MEMORY;
	if (h) {
		struct upload up = { msg, len };
		curl_easy_setopt(h, CURLOPT_URL, c->url);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
		curl_easy_setopt(h, CURLOPT_MAIL_FROM, from_arg);
		curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rl);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, &up);
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
		/* STARTTLS is required unless the relay is on this host. */
		curl_easy_setopt(h, CURLOPT_USE_SSL,
				 (long)(smtp_local_relay(c->url) ? CURLUSESSL_TRY : CURLUSESSL_ALL));
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
		if (c->ca_file)
			curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
		if (c->username)
			curl_easy_setopt(h, CURLOPT_USERNAME, c->username);
		if (c->password)
			curl_easy_setopt(h, CURLOPT_PASSWORD, c->password);
		cc = curl_easy_perform(h);
		curl_easy_cleanup(h);
	}
	curl_slist_free_all(rl);
	if (cc == CURLE_OK)
		return 0;
	*kind = smtp_err(cc);
	snprintf(detail, detaillen, "%s", ebuf[0] ? ebuf : curl_easy_strerror(cc));
	return -1;
}
