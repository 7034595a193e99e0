/* curl_lazy.h - libcurl, loaded on first use.
 *
 * libcurl links some thirty libraries (TLS, Kerberos, LDAP, SSH, IDN...). Linked
 * at build time they cost every soarctl process ~10 ms at start, HTTP or not;
 * loaded with dlopen on the first request, only processes that reach the world
 * pay, once. Files that call libcurl include this header after <curl/curl.h>;
 * the calls then go through a table filled on first use. If libcurl cannot be
 * loaded, every call fails the way libcurl fails (NULL handles, error codes), and
 * curl_lazy_error() says why.
 */
#ifndef SOAR_CURL_LAZY_H
#define SOAR_CURL_LAZY_H

#include <curl/curl.h>

struct curl_lazy_api {
	__typeof__(curl_global_init) *global_init;
	__typeof__(curl_easy_init) *easy_init;
	__typeof__(curl_easy_setopt) *easy_setopt;
	__typeof__(curl_easy_perform) *easy_perform;
	__typeof__(curl_easy_cleanup) *easy_cleanup;
	__typeof__(curl_easy_getinfo) *easy_getinfo;
	__typeof__(curl_easy_reset) *easy_reset;
	__typeof__(curl_easy_strerror) *easy_strerror;
	__typeof__(curl_slist_append) *slist_append;
	__typeof__(curl_slist_free_all) *slist_free_all;
	__typeof__(curl_free) *free;
	__typeof__(curl_getdate) *getdate;
	__typeof__(curl_url) *url;
	__typeof__(curl_url_set) *url_set;
	__typeof__(curl_url_get) *url_get;
	__typeof__(curl_url_cleanup) *url_cleanup;
	__typeof__(curl_multi_init) *multi_init;
	__typeof__(curl_multi_cleanup) *multi_cleanup;
	__typeof__(curl_multi_add_handle) *multi_add_handle;
	__typeof__(curl_multi_remove_handle) *multi_remove_handle;
	__typeof__(curl_multi_perform) *multi_perform;
	__typeof__(curl_multi_poll) *multi_poll;
	__typeof__(curl_multi_info_read) *multi_info_read;
	__typeof__(curl_multi_setopt) *multi_setopt;
	__typeof__(curl_multi_wakeup) *multi_wakeup;
	__typeof__(curl_multi_socket_action) *multi_socket_action;
	__typeof__(curl_multi_assign) *multi_assign;
};

/* The table, loading libcurl (and curl_global_init) the first time. Never NULL. */
const struct curl_lazy_api *curl_lazy(void);
/* Why libcurl could not be loaded, or NULL when it is loaded (or not tried). */
const char *curl_lazy_error(void);

#ifndef CURL_LAZY_IMPLEMENTATION
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init (curl_lazy()->global_init)
#define curl_easy_init (curl_lazy()->easy_init)
#define curl_easy_setopt (curl_lazy()->easy_setopt)
#define curl_easy_perform (curl_lazy()->easy_perform)
#define curl_easy_cleanup (curl_lazy()->easy_cleanup)
#define curl_easy_getinfo (curl_lazy()->easy_getinfo)
#define curl_easy_reset (curl_lazy()->easy_reset)
#define curl_easy_strerror (curl_lazy()->easy_strerror)
#define curl_slist_append (curl_lazy()->slist_append)
#define curl_slist_free_all (curl_lazy()->slist_free_all)
#define curl_free (curl_lazy()->free)
#define curl_getdate (curl_lazy()->getdate)
#define curl_url (curl_lazy()->url)
#define curl_url_set (curl_lazy()->url_set)
#define curl_url_get (curl_lazy()->url_get)
#define curl_url_cleanup (curl_lazy()->url_cleanup)
#define curl_multi_init (curl_lazy()->multi_init)
#define curl_multi_cleanup (curl_lazy()->multi_cleanup)
#define curl_multi_add_handle (curl_lazy()->multi_add_handle)
#define curl_multi_remove_handle (curl_lazy()->multi_remove_handle)
#define curl_multi_perform (curl_lazy()->multi_perform)
#define curl_multi_poll (curl_lazy()->multi_poll)
#define curl_multi_info_read (curl_lazy()->multi_info_read)
#define curl_multi_setopt (curl_lazy()->multi_setopt)
#define curl_multi_wakeup (curl_lazy()->multi_wakeup)
#define curl_multi_socket_action (curl_lazy()->multi_socket_action)
#define curl_multi_assign (curl_lazy()->multi_assign)
#endif

#endif
