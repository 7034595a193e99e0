/* http_multi.h - many transfers (http_xfer, http.h) driven together without
 * blocking: what a run loop waits on.
 *
 * libcurl's multi handle in its event-driven mode (curl_multi_socket_action): the
 * transfers' sockets sit in one epoll set, so a round of the loop costs what is
 * ready, not what is waiting. curl_multi_perform and curl_multi_poll visit every
 * transfer on every call (libcurl 7.88 polls each one's socket): with 10,000
 * waiting, the loop spent 3.4 s of CPU a round of bench_http's 10,000 runs.
 *
 * libcurl 7.88 also walks a multi handle's connection list when a transfer leaves
 * it, looks for a connection to reuse or returns one: quadratic with thousands of
 * connections to one host (10,000 bare transfers: 3.1-3.9 s of CPU on one multi
 * handle, 0.7-1.2 s spread over handles of 128). So the set spreads transfers
 * over several multi handles (shards) once one holds HTTP_MULTI_SHARD of them;
 * below that, one handle and one connection cache, so keep-alive works as it
 * always did.
 *
 * One thread: a set and its transfers belong to the thread that drives them.
 */
#ifndef SOAR_HTTP_MULTI_H
#define SOAR_HTTP_MULTI_H

#include "http.h"

#define HTTP_MULTI_SHARD   128    /* transfers in a multi handle before the next one */
#define HTTP_MULTI_SHARDS  128    /* at most this many multi handles */

/* A transfer's receive buffer (libcurl allocates it when it connects and keeps it
 * until the transfer ends, waiting or not): libcurl's 16 KiB for a handful of
 * transfers, so a large body takes few reads; 4 KiB for hundreds; 1 KiB (libcurl's
 * least) once thousands wait, where 16 KiB buffers would be most of the memory. */
#define HTTP_MULTI_MEDIUM_BUFFERS   64   /* transfers in the set: from here 4 KiB */
#define HTTP_MULTI_SMALL_BUFFERS  1024   /* from here 1 KiB */

struct http_multi;

/* NULL when out of memory or without epoll. libcurl is reached on the first
 * http_multi_add (which fails without it: curl_lazy_error() says why). */
struct http_multi *http_multi_new(void);
/* Closes the cached connections. Take the transfers out first (they are the
 * caller's; libcurl would detach any left). */
void http_multi_free(struct http_multi *m);

/* Starts `x` (as set up by http_xfer_new, or after HTTP_XFER_AGAIN / the wait of
 * HTTP_XFER_WAIT). `ud` comes back with it from http_multi_done. 0, or -1. */
int http_multi_add(struct http_multi *m, struct http_xfer *x, void *ud);
/* Takes a transfer out before it finished (a run given up). */
void http_multi_remove(struct http_multi *m, struct http_xfer *x);

/* Readable (poll POLLIN) when a socket of the set is ready. */
int http_multi_fd(const struct http_multi *m);
/* Milliseconds until libcurl wants to be called for a timeout, -1 for none. */
int http_multi_timeout(const struct http_multi *m);
/* Acts on ready sockets and timeouts that are due. Never blocks. */
void http_multi_drive(struct http_multi *m);
/* The next finished transfer, already out of the set, or NULL. *code is its
 * CURLcode, for http_xfer_done; *ud what http_multi_add was given. */
struct http_xfer *http_multi_done(struct http_multi *m, int *code, void **ud);

#endif
