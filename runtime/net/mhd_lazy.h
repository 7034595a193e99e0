/* mhd_lazy.h - libmicrohttpd, loaded on first use (as curl_lazy.h for libcurl).
 *
 * libmicrohttpd brings GnuTLS and its dependencies: linked at build time they
 * cost every soarctl process several milliseconds at start, although only
 * `soarctl serve` needs them. httpd.c includes this after <microhttpd.h>. When the
 * library cannot be loaded, MHD_start_daemon returns NULL and mhd_lazy_error()
 * says why; the other calls are then never reached. */
#ifndef SOAR_MHD_LAZY_H
#define SOAR_MHD_LAZY_H

#include <microhttpd.h>

struct mhd_lazy_api {
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_quiesce_daemon) *quiesce_daemon;
	__typeof__(MHD_run) *run;
	__typeof__(MHD_get_timeout) *get_timeout;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_destroy_response) *destroy_response;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_lookup_connection_value) *lookup_connection_value;
	__typeof__(MHD_get_connection_values) *get_connection_values;
	__typeof__(MHD_suspend_connection) *suspend_connection;
	__typeof__(MHD_resume_connection) *resume_connection;
	__typeof__(MHD_basic_auth_get_username_password) *basic_auth_get_username_password;
	__typeof__(MHD_free) *free;
	__typeof__(MHD_get_connection_info) *get_connection_info;
};

/* The table, loading the library the first time; NULL when it cannot be loaded. */
const struct mhd_lazy_api *mhd_lazy(void);
const char *mhd_lazy_error(void);

#ifndef MHD_LAZY_IMPLEMENTATION
/* Every call but the first is made only after MHD_start_daemon succeeded. */
#define MHD_start_daemon(...) (mhd_lazy() ? mhd_lazy()->start_daemon(__VA_ARGS__) : NULL)
#define MHD_stop_daemon (mhd_lazy()->stop_daemon)
#define MHD_quiesce_daemon (mhd_lazy()->quiesce_daemon)
#define MHD_run (mhd_lazy()->run)
#define MHD_get_timeout (mhd_lazy()->get_timeout)
#define MHD_get_daemon_info (mhd_lazy()->get_daemon_info)
#define MHD_queue_response (mhd_lazy()->queue_response)
#define MHD_create_response_from_buffer (mhd_lazy()->create_response_from_buffer)
#define MHD_destroy_response (mhd_lazy()->destroy_response)
#define MHD_add_response_header (mhd_lazy()->add_response_header)
#define MHD_lookup_connection_value (mhd_lazy()->lookup_connection_value)
#define MHD_get_connection_values (mhd_lazy()->get_connection_values)
#define MHD_suspend_connection (mhd_lazy()->suspend_connection)
#define MHD_resume_connection (mhd_lazy()->resume_connection)
#define MHD_basic_auth_get_username_password (mhd_lazy()->basic_auth_get_username_password)
#define MHD_free (mhd_lazy()->free)
#define MHD_get_connection_info (mhd_lazy()->get_connection_info)
#endif

#endif
