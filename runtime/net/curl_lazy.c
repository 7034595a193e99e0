/* curl_lazy.c - see curl_lazy.h. */
#define CURL_DISABLE_TYPECHECK
#define CURL_LAZY_IMPLEMENTATION
#include "curl_lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

static struct curl_lazy_api api;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char error[256];

/* Stand-ins when libcurl is missing: each fails as libcurl would. */
static CURLcode no_global_init(long f) { (void)f; return CURLE_FAILED_INIT; }
static CURL *no_easy_init(void) { return NULL; }
static CURLcode no_easy_setopt(CURL *c, CURLoption o, ...) { (void)c; (void)o; return CURLE_FAILED_INIT; }
static CURLcode no_easy_perform(CURL *c) { (void)c; return CURLE_FAILED_INIT; }
static void no_easy_cleanup(CURL *c) { (void)c; }
static CURLcode no_easy_getinfo(CURL *c, CURLINFO i, ...) { (void)c; (void)i; return CURLE_FAILED_INIT; }
static void no_easy_reset(CURL *c) { (void)c; }
static const char *no_easy_strerror(CURLcode c) { (void)c; return error[0] ? error : "libcurl is not loaded"; }
static struct curl_slist *no_slist_append(struct curl_slist *l, const char *s) { (void)l; (void)s; return NULL; }
static void no_slist_free_all(struct curl_slist *l) { (void)l; }
static void no_free(void *p) { (void)p; }
static time_t no_getdate(const char *p, const time_t *u) { (void)p; (void)u; return -1; }
static CURLU *no_url(void) { return NULL; }
static CURLUcode no_url_set(CURLU *u, CURLUPart p, const char *c, unsigned int f)
{ (void)u; (void)p; (void)c; (void)f; return CURLUE_OUT_OF_MEMORY; }
static CURLUcode no_url_get(CURLU *u, CURLUPart p, char **c, unsigned int f)
{ (void)u; (void)p; (void)c; (void)f; return CURLUE_OUT_OF_MEMORY; }
static void no_url_cleanup(CURLU *u) { (void)u; }
static CURLM *no_multi_init(void) { return NULL; }
static CURLMcode no_multi_cleanup(CURLM *m) { (void)m; return CURLM_BAD_HANDLE; }
static CURLMcode no_multi_add(CURLM *m, CURL *c) { (void)m; (void)c; return CURLM_BAD_HANDLE; }
static CURLMcode no_multi_remove(CURLM *m, CURL *c) { (void)m; (void)c; return CURLM_BAD_HANDLE; }
static CURLMcode no_multi_perform(CURLM *m, int *r) { (void)m; (void)r; return CURLM_BAD_HANDLE; }
static CURLMcode no_multi_poll(CURLM *m, struct curl_waitfd e[], unsigned int n, int t, int *r)
{ (void)m; (void)e; (void)n; (void)t; (void)r; return CURLM_BAD_HANDLE; }
static CURLMsg *no_multi_info_read(CURLM *m, int *q) { (void)m; (void)q; return NULL; }
static CURLMcode no_multi_setopt(CURLM *m, CURLMoption o, ...) { (void)m; (void)o; return CURLM_BAD_HANDLE; }
static CURLMcode no_multi_wakeup(CURLM *m) { (void)m; return CURLM_BAD_HANDLE; }
static CURLMcode no_multi_socket_action(CURLM *m, curl_socket_t s, int e, int *r)
{ (void)m; (void)s; (void)e; (void)r; return CURLM_BAD_HANDLE; }
static CURLMcode no_multi_assign(CURLM *m, curl_socket_t s, void *p)
{ (void)m; (void)s; (void)p; return CURLM_BAD_HANDLE; }

static const struct curl_lazy_api missing = {
	no_global_init, no_easy_init, no_easy_setopt, no_easy_perform, no_easy_cleanup,
	no_easy_getinfo, no_easy_reset, no_easy_strerror, no_slist_append, no_slist_free_all,
	no_free, no_getdate, no_url, no_url_set, no_url_get, no_url_cleanup, no_multi_init,
	no_multi_cleanup, no_multi_add, no_multi_remove, no_multi_perform, no_multi_poll,
	no_multi_info_read, no_multi_setopt, no_multi_wakeup, no_multi_socket_action,
	no_multi_assign,
};

static void load(void)
{
	void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(error, sizeof error, "cannot load libcurl (install libcurl4): %s", dlerror());
		api = missing;
		return;
	}
	struct { const char *name; void **slot; } syms[] = {
#define S(n, f) { "curl_" #n, (void **)&api.f }
		S(global_init, global_init), S(easy_init, easy_init), S(easy_setopt, easy_setopt),
		S(easy_perform, easy_perform), S(easy_cleanup, easy_cleanup),
		S(easy_getinfo, easy_getinfo), S(easy_reset, easy_reset),
		S(easy_strerror, easy_strerror), S(slist_append, slist_append),
		S(slist_free_all, slist_free_all), S(free, free), S(getdate, getdate), S(url, url),
		S(url_set, url_set), S(url_get, url_get), S(url_cleanup, url_cleanup),
		S(multi_init, multi_init), S(multi_cleanup, multi_cleanup),
		S(multi_add_handle, multi_add_handle), S(multi_remove_handle, multi_remove_handle),
		S(multi_perform, multi_perform), S(multi_poll, multi_poll),
		S(multi_info_read, multi_info_read), S(multi_setopt, multi_setopt),
		S(multi_wakeup, multi_wakeup), S(multi_socket_action, multi_socket_action),
		S(multi_assign, multi_assign),
#undef S
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(error, sizeof error, "libcurl has no %s (a libcurl older than 7.68?)",
				 syms[i].name);
			api = missing;
			return;
		}
	}
	if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(error, sizeof error, "curl_global_init failed");
		api = missing;
	}
}

const struct curl_lazy_api *curl_lazy(void)
{
	pthread_once(&once, load);
	return &api;
}

const char *curl_lazy_error(void)
{
	return error[0] ? error : NULL;
}
