/* store_watch.h - the daemon and a full data directory (store_full.h): writes
 * are answered 507 with the directory and its free space, /healthz and the
 * metrics say so, and a probe write once a second finds when space is back,
 * so the daemon recovers by itself. Loop thread only. */
#ifndef SOAR_STORE_WATCH_H
#define SOAR_STORE_WATCH_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* Every tick: the gauges, the probe while full, a log line on each change. */
void store_watch_tick(struct store *st, int64_t now_ms);

/* Whether a write request should be answered 507 now (msg: why). While full,
 * one write a second is let through: it may find the space came back. */
int store_watch_refuse(struct store *st, int64_t now_ms, char *msg, size_t msglen);

/* The message of a full store, for /healthz and answers. */
void store_watch_message(struct store *st, char *msg, size_t msglen);

#endif
