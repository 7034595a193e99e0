/* httpd.h - the daemon's HTTP server: libmicrohttpd in its external epoll mode,
 * driven from a libev loop (one ev_io on MHD's epoll fd, one ev_timer from
 * MHD_get_timeout), with the limits the daemon promises:
 *   request-target too long 414 and request head (line + headers) too large 431,
 *   both JSON (MHD's pool holds 4x the head limit; past that MHD cuts the
 *   connection with its own HTML 414/431), a body over the limit 413 before it
 *   is read (from Content-Length; a chunked body past the limit is dropped as it
 *   comes and answered 413 at its end, or cut past 4x the limit), idle
 *   connections closed after the connection timeout, slow ones after their
 *   head or body deadline with a reserve of slots for requests past their head
 *   (httpd_guard.h), a connection cap overall and per client address, and heads
 *   RFC 9112 says to reject (request smuggling shapes) refused with 400 or 501
 *   (httpd_head.h), all before any body is read.
 * Keep-alive and chunked decoding are MHD's. Everything here runs on the loop's
 * thread; httpd knows nothing of soarctl's routes (the handler does). */
#ifndef SOAR_HTTPD_H
#define SOAR_HTTPD_H

#include <ev.h>
#include <stddef.h>

struct httpd;
struct httpd_req;

struct httpd_limits {
	size_t max_body;          /* bytes; default 8 MiB */
	size_t max_header;        /* request line + headers, bytes; default 16 KiB: 431 */
	unsigned timeout_s;       /* idle/slow connection timeout; default 10 */
	unsigned max_conns;       /* default 1024 */
	size_t max_uri;           /* the request-target, bytes; default max_header / 2: 414 */
	/* Slow clients (httpd_guard.h): */
	unsigned head_timeout_s;  /* a whole head within, from accept or the last answer;
				   * default timeout_s */
	unsigned body_rate;       /* bytes/s a body must average after timeout_s of grace;
				   * default 16 KiB/s */
	unsigned max_per_ip;      /* connections from one address; default max_conns / 2;
				   * >= max_conns: no cap (behind a proxy) */
	unsigned reserve;         /* slots only for requests past their head; default
				   * max_conns / 4 */
};

/* A gate (httpd_set_gate) is called once a request's head is in, before any
 * of its body is read: it answers (httpd_error) to refuse the request, whose
 * body is then never read (the connection closes), or lets it through, maybe
 * with a smaller body limit (httpd_set_body_limit) and the user it
 * authenticated (httpd_set_user). */
/* Called once the whole body is in. The handler answers with httpd_reply now,
 * or calls httpd_suspend and answers later (on the loop's thread). */
typedef void (*httpd_handler)(struct httpd_req *r, void *ud);

/* Listens on "HOST:PORT" (IPv4 or [IPv6]; port 0 = any free port). NULL with a
 * message. */
struct httpd *httpd_start(struct ev_loop *loop, const char *listen, const struct httpd_limits *lim,
			  httpd_handler handler, void *ud, char *err, size_t errlen);
/* The same, serving HTTPS with `tls` (httpd_tls_load; httpd owns it from here,
 * also on failure). A new certificate: httpd_tls_load then httpd_tls_use. */
struct httpd_tls;
struct httpd *httpd_start_tls(struct ev_loop *loop, const char *listen,
			      const struct httpd_limits *lim, struct httpd_tls *tls,
			      httpd_handler handler, void *ud, char *err, size_t errlen);
/* Whether it serves HTTPS. */
int httpd_is_tls(const struct httpd *h);
void httpd_set_gate(struct httpd *h, httpd_handler gate);
/* The port actually bound. */
unsigned httpd_port(const struct httpd *h);
/* Stops accepting new connections (SIGTERM); open ones finish. */
void httpd_quiesce(struct httpd *h);
/* Connections open now. */
unsigned httpd_connections(const struct httpd *h);
/* Connections cut so far: slow heads and bodies, and the oldest waiting ones
 * pushed out by newcomers. */
unsigned long httpd_cut(const struct httpd *h);
void httpd_stop(struct httpd *h);

/* ---- inside a handler ---- */
const char *httpd_method(const struct httpd_req *r);
const char *httpd_path(const struct httpd_req *r);        /* without the query */
const char *httpd_header(const struct httpd_req *r, const char *name);
const char *httpd_query(const struct httpd_req *r, const char *name);
const char *httpd_body(const struct httpd_req *r, size_t *len);
/* The user and password of Basic auth; 0, or -1 when absent. */
int httpd_basic_auth(const struct httpd_req *r, char *user, size_t ul, char *pass, size_t pl);
/* Answers. `extra` is NULL or "Name: value" header lines separated by "\n". */
void httpd_reply(struct httpd_req *r, unsigned status, const char *ctype, const char *body,
		 size_t len, const char *extra);
/* {"error":{"code":CODE,"message":MSG}} with `status`. */
void httpd_error(struct httpd_req *r, unsigned status, const char *code, const char *msg,
		 const char *extra);
/* Holds the answer: the connection waits until httpd_reply is called (on the
 * loop's thread). */
void httpd_suspend(struct httpd_req *r);
/* Per-request state the handler may hang here; `free_fn` is called when the
 * request ends (also when the client went away). */
void httpd_set_ud(struct httpd_req *r, void *ud, void (*free_fn)(void *));
void *httpd_get_ud(const struct httpd_req *r);
/* In the gate: the most bytes this request's body may hold (lowers only). */
void httpd_set_body_limit(struct httpd_req *r, size_t max);
/* In the gate: who the request is from; httpd_user: that, or NULL. */
void httpd_set_user(struct httpd_req *r, const char *user);
const char *httpd_user(const struct httpd_req *r);

#endif
