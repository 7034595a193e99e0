/* mhd_lazy.c - see mhd_lazy.h. */
#define MHD_LAZY_IMPLEMENTATION
#include "mhd_lazy.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static struct mhd_lazy_api api;
static int loaded;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static char error[256];

static void load(void)
{
	void *h = dlopen("libmicrohttpd.so.12", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(error, sizeof error, "cannot load libmicrohttpd (install libmicrohttpd12): %s",
			 dlerror());
		return;
	}
	struct { const char *name; void **slot; } syms[] = {
#define S(n, f) { "MHD_" #n, (void **)&api.f }
		S(start_daemon, start_daemon), S(stop_daemon, stop_daemon),
		S(quiesce_daemon, quiesce_daemon), S(run, run), S(get_timeout, get_timeout),
		S(get_daemon_info, get_daemon_info), S(queue_response, queue_response),
		S(create_response_from_buffer, create_response_from_buffer),
		S(destroy_response, destroy_response), S(add_response_header, add_response_header),
		S(lookup_connection_value, lookup_connection_value),
		S(get_connection_values, get_connection_values),
		S(suspend_connection, suspend_connection), S(resume_connection, resume_connection),
		S(basic_auth_get_username_password, basic_auth_get_username_password),
		S(free, free), S(get_connection_info, get_connection_info),
#undef S
	};
	for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
		*syms[i].slot = dlsym(h, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(error, sizeof error, "libmicrohttpd has no %s (too old?)", syms[i].name);
			return;
		}
	}
	loaded = 1;
}

const struct mhd_lazy_api *mhd_lazy(void)
{
	pthread_once(&once, load);
	return loaded ? &api : NULL;
}

const char *mhd_lazy_error(void)
{
	return error[0] ? error : NULL;
}
