/* httpd.c - see httpd.h. */
#include "httpd.h"
#include "metrics.h"
#include "httpd_guard.h"
#include "httpd_head.h"
#include "httpd_tls.h"
#include "json.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include "mhd_lazy.h"
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

struct httpd {
	struct MHD_Daemon *mhd;
	struct ev_loop *loop;
	ev_io io;
	ev_timer timer;
	ev_prepare prep;
	httpd_handler handler;
	void *ud;
	struct httpd_limits lim;
	unsigned port;
	unsigned conns;
	int need_run;             /* a resume happened: MHD_run before sleeping */
	httpd_handler gate;
	struct guard guard;       /* slow clients: head and body deadlines, slots */
	ev_timer sweep;
	int tls;                  /* serving HTTPS (httpd_tls.h holds the credentials) */
};

struct httpd_req {
	struct httpd *h;
	struct MHD_Connection *conn;
	const char *method, *url, *version;
	char *body;
	size_t max_body;          /* this request's: the limit, or less (the gate) */
	char user[128];           /* who the gate authenticated, "" none */
	size_t len, cap;
	int state;                /* 0 reading, 1 handled (waiting or answered) */
	size_t discarded;         /* body bytes past the limit (chunked), dropped */
	size_t uri_len;           /* the request-target as sent, query included */
	const char *target_why;   /* what is wrong with the raw target, NULL nothing */
	int suspended;
	struct MHD_Response *resp;
	unsigned status;
	void *ud;
	void (*free_fn)(void *);
};

static void run_mhd(struct httpd *h);

static void on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	run_mhd(w->data);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	run_mhd(w->data);
}

/* Before the loop sleeps: run MHD once more if a connection was resumed, and arm
 * the timer MHD asks for (connection timeouts). */
static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)revents;
	struct httpd *h = w->data;
	if (h->need_run)
		run_mhd(h);
	MHD_UNSIGNED_LONG_LONG ms;
	ev_timer_stop(loop, &h->timer);
	if (MHD_get_timeout(h->mhd, &ms) == MHD_YES) {
		ev_timer_set(&h->timer, (double)ms / 1000.0, 0.);
		ev_timer_start(loop, &h->timer);
	}
}

static void run_mhd(struct httpd *h)
{
	h->need_run = 0;
	MHD_run(h->mhd);
}

/* Cuts the connections past their deadlines; MHD sees them end and closes them. */
static void on_sweep(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct httpd *h = w->data;
	guard_sweep(&h->guard, ev_now(loop));
}

static struct guard_conn *gconn(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static void on_conn(void *cls, struct MHD_Connection *c, void **socket_ctx,
		    enum MHD_ConnectionNotificationCode code)
{
	struct httpd *h = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		h->conns++;
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		/* may cut the oldest connection still waiting for its head */
		*socket_ctx = ci ? guard_open(&h->guard, ci->connect_fd, ev_now(h->loop)) : NULL;
		return;
	}
	guard_close(&h->guard, *socket_ctx);
	*socket_ctx = NULL;
	if (h->conns) {
		/* At the cap MHD takes its listening socket out of its epoll set and
		 * puts it back only in a later MHD_run: without one (no event, no
		 * timeout pending) connections waiting in the backlog would never
		 * be accepted. */
		if (h->conns-- >= h->lim.max_conns)
			h->need_run = 1;
	}
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)toe;
	struct httpd *h = cls;
	struct guard_conn *gc = gconn(c);
	if (gc) /* kept alive: the next head's clock starts now */
		guard_idle(&h->guard, gc, ev_now(h->loop));
	struct httpd_req *r = *con_cls;
	if (!r)
		return;
	if (r->free_fn)
		r->free_fn(r->ud);
	if (r->resp)
		MHD_destroy_response(r->resp);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static enum MHD_Result queue(struct httpd_req *r, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result rc = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	if (status >= 400)
		metric_http_error(status);
	return rc;
}

static struct MHD_Response *make(const char *ctype, const char *body, size_t len,
				 const char *extra)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return NULL;
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	/* extra: "Name: value\nName: value" */
	for (const char *p = extra; p && *p;) {
		const char *eol = strchr(p, '\n'), *end = eol ? eol : p + strlen(p);
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon) {
			char name[64], val[512];
			snprintf(name, sizeof name, "%.*s", (int)(colon - p), p);
			const char *v = colon + 1;
			while (*v == ' ')
				v++;
			snprintf(val, sizeof val, "%.*s", (int)(end - v), v);
			MHD_add_response_header(resp, name, val);
		}
		p = eol ? eol + 1 : end;
	}
	return resp;
}

/* {"error":{"code":CODE,"message":MSG}}, escaped by json.h (a message may quote
 * the client's input). Long messages are cut at a character boundary. */
static int error_body(struct json_buf *b, const char *code, const char *msg)
{
	size_t n = strlen(msg);
	if (n > 800) {
		n = 800;
		while (n > 0 && ((unsigned char)msg[n] & 0xC0) == 0x80)
			n--;
	}
	return json_buf_put(b, "{\"error\":{\"code\":", 17) ||
	       json_write_str(code, strlen(code), JSON_ESC_REPLACE, json_buf_put, b, NULL) ||
	       json_buf_put(b, ",\"message\":", 11) ||
	       json_write_str(msg, n, JSON_ESC_REPLACE, json_buf_put, b, NULL) ||
	       json_buf_put(b, "}}", 2);
}

static enum MHD_Result error_now(struct httpd_req *r, unsigned status, const char *code,
				 const char *msg)
{
	struct json_buf b = { 0 };
	struct MHD_Response *resp = NULL;
	if (error_body(&b, code, msg) == 0)
		resp = make("application/json", b.data, b.len, "Connection: close");
	json_buf_free(&b);
	if (!resp)
		return MHD_NO;
	r->state = 1;
	return queue(r, status, resp);
}

/* MHD calls this once the request line is in, before the headers: the request
 * object is made here so that it knows the full request-target's length (the
 * access handler only sees the path). */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct httpd_req *r = calloc(1, sizeof *r);
	if (r) {
		r->h = cls;
		r->conn = c;
		r->uri_len = strlen(uri);
		/* the raw target: MHD decodes it in place before the handler */
		r->target_why = head_target_bad(uri);
	}
	return r;
}

struct hdrs {
	struct head_hdr *v;
	size_t n, cap;
	int oom;
};

static enum MHD_Result collect_hdr(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	(void)kind;
	struct hdrs *a = cls;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		struct head_hdr *v = realloc(a->v, cap * sizeof *v);
		if (!v) {
			a->oom = 1;
			return MHD_NO;
		}
		a->v = v;
		a->cap = cap;
	}
	a->v[a->n].name = key;
	a->v[a->n++].value = value;
	return MHD_YES;
}

/* The RFC 9112 checks (httpd_head.h) on the head as MHD parsed it: 0, or the
 * status (400, 501, 503) with why in msg. */
static unsigned check_head(struct httpd_req *r, const char *url, long long *clen, char *msg,
			   size_t msglen)
{
	struct hdrs a = {NULL, 0, 0, 0};
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, collect_hdr, &a);
	if (a.oom) {
		free(a.v);
		snprintf(msg, msglen, "out of memory");
		return 503;
	}
	/* MHD parses the request line in place: the version follows the target
	 * and its NUL. A NUL inside the target ends MHD's view of it early (it
	 * would route "/api/v1/cases\0/../x" as /api/v1/cases): the distance
	 * between them then exceeds the target's length. */
	struct head_view v = {r->version, NULL, 0, a.v, a.n};
	v.target_cut = r->version > url && (size_t)(r->version - url) != r->uri_len + 1;
	unsigned st = head_check(&v, clen, msg, msglen);
	if (!st && r->target_why) { /* seen raw in on_uri, before MHD decoded it */
		snprintf(msg, msglen, "%s", r->target_why);
		st = 400;
	}
	free(a.v);
	return st;
}

static enum MHD_Result sum_hdr(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *value)
{
	(void)kind;
	*(size_t *)cls += strlen(key) + (value ? strlen(value) : 0) + 4; /* ": ", CRLF */
	return MHD_YES;
}

/* The gate's refusal of a request whose body has not been read: answered now,
 * and the connection closed (the unread body cannot be told from a next request). */
static enum MHD_Result queue_early(struct httpd_req *r)
{
	struct MHD_Response *resp = r->resp;
	r->resp = NULL;
	r->state = 1;
	MHD_add_response_header(resp, "Connection", "close");
	return queue(r, r->status, resp);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct httpd *h = cls;
	struct httpd_req *r = *con_cls;
	if (!r)
		return MHD_NO; /* on_uri ran out of memory */
	if (!r->url) {
		/* The head is in; nothing of the body has been read. */
		r->url = url;
		r->method = method;
		r->version = version;
		r->max_body = h->lim.max_body;
		/* Our own head limits, well inside MHD's memory pool, so that the
		 * answers are JSON (MHD's, past its pool, are an HTML page). */
		if (r->uri_len > h->lim.max_uri)
			return error_now(r, 414, "uri_too_long", "request-target too long");
		size_t head = strlen(method) + r->uri_len + 12;
		MHD_get_connection_values(c, MHD_HEADER_KIND, sum_hdr, &head);
		if (head > h->lim.max_header)
			return error_now(r, 431, "headers_too_large", "request headers too large");
		char msg[160];
		long long clen;
		unsigned st = check_head(r, url, &clen, msg, sizeof msg);
		if (st)
			return error_now(r, st, st == 501 ? "not_implemented" : st == 503 ? "overloaded"
					 : "bad_request", msg);
		if (clen > (long long)h->lim.max_body)
			return error_now(r, 413, "too_large", "request body too large");
		/* Authentication and routing, before any of the body is taken in. */
		if (h->gate) {
			h->gate(r, h->ud);
			if (r->resp)
				return queue_early(r);
		}
		if (clen > (long long)r->max_body)
			return error_now(r, 413, "too_large", "request body too large");
		struct guard_conn *gc = gconn(c);
		if (gc)
			guard_head_done(&h->guard, gc, ev_now(h->loop),
					clen >= 0 ? (double)clen : clen == HEAD_CHUNKED ? (double)r->max_body : 0);
		return MHD_YES;
	}
	if (r->state == 1) {
		/* Handled: a suspended request resumed, or the body of an early error. */
		*upload_data_size = 0;
		if (r->resp) {
			struct MHD_Response *resp = r->resp;
			r->resp = NULL;
			return queue(r, r->status, resp);
		}
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		if (r->discarded || r->len + n > r->max_body) {
			/* A chunked body past the limit: MHD cannot answer in the middle of
			 * a body, so the rest is dropped unread into memory and 413 comes at
			 * its end; a body that goes on and on is cut. */
			r->discarded += n;
			return r->discarded > 4 * r->max_body + (1u << 20) ? MHD_NO : MHD_YES;
		}
		if (r->len + n + 1 > r->cap) {
			size_t cap = r->cap ? r->cap : 4096;
			while (cap < r->len + n + 1)
				cap *= 2;
			char *b = realloc(r->body, cap);
			if (!b)
				return error_now(r, 503, "overloaded", "out of memory");
			r->body = b;
			r->cap = cap;
		}
		memcpy(r->body + r->len, upload_data, n);
		r->len += n;
		r->body[r->len] = 0;
		return MHD_YES;
	}
	struct guard_conn *gc = gconn(c);
	if (gc) /* the body is in: the server's turn, no client deadline */
		guard_handled(&h->guard, gc);
	if (r->discarded)
		return error_now(r, 413, "too_large", "request body too large");
	r->state = 1;
	h->handler(r, h->ud);
	if (r->resp && !r->suspended) {
		struct MHD_Response *resp = r->resp;
		r->resp = NULL;
		return queue(r, r->status, resp);
	}
	return MHD_YES;
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *sl)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen || (size_t)(colon - listen) >= sizeof host)
		return -1;
	snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535)
		return -1;
	memset(ss, 0, sizeof *ss);
	if (host[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		size_t hl = strlen(host);
		if (hl < 3 || host[hl - 1] != ']')
			return -1;
		host[hl - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return -1;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*sl = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		if (strcmp(host, "localhost") == 0)
			snprintf(host, sizeof host, "127.0.0.1");
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -1;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*sl = sizeof *a;
	}
	return 0;
}

struct httpd *httpd_start(struct ev_loop *loop, const char *listen, const struct httpd_limits *lim,
			  httpd_handler handler, void *ud, char *err, size_t errlen)
{
	return httpd_start_tls(loop, listen, lim, NULL, handler, ud, err, errlen);
}

struct httpd *httpd_start_tls(struct ev_loop *loop, const char *listen,
			      const struct httpd_limits *lim, struct httpd_tls *tls,
			      httpd_handler handler, void *ud, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (parse_listen(listen, &ss, &sl) != 0) {
		snprintf(err, errlen, "--listen: expected HOST:PORT (127.0.0.1:8080, [::1]:8080), got '%s'",
			 listen);
		return NULL;
	}
	struct httpd *h = calloc(1, sizeof *h);
	if (!h) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->loop = loop;
	h->handler = handler;
	h->ud = ud;
	h->lim = *lim;
	if (!h->lim.max_body)
		h->lim.max_body = 8u << 20;
	if (!h->lim.max_header)
		h->lim.max_header = 16u << 10;
	if (!h->lim.max_uri || h->lim.max_uri > h->lim.max_header)
		h->lim.max_uri = h->lim.max_header / 2;
	if (!h->lim.timeout_s)
		h->lim.timeout_s = 10;
	if (!h->lim.max_conns)
		h->lim.max_conns = 1024;
	if (!h->lim.head_timeout_s)
		h->lim.head_timeout_s = h->lim.timeout_s;
	if (!h->lim.body_rate)
		h->lim.body_rate = 16u << 10;
	if (!h->lim.max_per_ip)
		h->lim.max_per_ip = h->lim.max_conns / 2 ? h->lim.max_conns / 2 : 1;
	if (h->lim.max_per_ip >= h->lim.max_conns)
		h->lim.max_per_ip = 0;    /* MHD's "no cap" */
	if (!h->lim.reserve || h->lim.reserve >= h->lim.max_conns)
		h->lim.reserve = h->lim.max_conns / 4 ? h->lim.max_conns / 4 : h->lim.max_conns > 1;
	guard_init(&h->guard, h->lim.max_conns - h->lim.reserve, h->lim.head_timeout_s,
		   h->lim.timeout_s, h->lim.body_rate);
	/* MHD keeps a connection's request line and headers in its memory pool and
	 * answers 414/431 with its own HTML page when they do not fit. The pool is
	 * four times our header limit, so that heads up to that size reach
	 * on_request, which answers them in JSON; only a head past the pool gets
	 * MHD's page. MHD zeroes the whole pool between keep-alive requests, so it
	 * stays small; bodies stream through in pieces and need no room in it. */
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (tls) {
		/* each handshake asks httpd_tls for the credentials current then
		 * (a SIGHUP swaps them); its option goes in tls_opts */
		flags |= MHD_USE_TLS;
		httpd_tls_use(tls);
		h->tls = 1;
	}
	struct MHD_OptionItem tls_opts[] = {
		{ tls ? MHD_OPTION_HTTPS_CERT_CALLBACK : MHD_OPTION_END, 0, httpd_tls_callback() },
		{ MHD_OPTION_END, 0, NULL },
	};
	h->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				  MHD_OPTION_ARRAY, tls_opts,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, 4 * h->lim.max_header,
				  MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
				  MHD_OPTION_CONNECTION_TIMEOUT, h->lim.timeout_s,
				  MHD_OPTION_CONNECTION_LIMIT, h->lim.max_conns,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->lim.max_per_ip,
				  MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
				  MHD_OPTION_NOTIFY_CONNECTION, on_conn, h,
				  MHD_OPTION_STRICT_FOR_CLIENT, 1,
				  MHD_OPTION_END);
	if (!h->mhd) {
		if (tls)
			httpd_tls_release_all();
		if (mhd_lazy_error())
			snprintf(err, errlen, "%s", mhd_lazy_error());
		else
			snprintf(err, errlen, "cannot listen on %s (in use, or not an address of this host)",
				 listen);
		free(h);
		return NULL;
	}
	(void)sl;
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *pi = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
	h->port = pi ? pi->port : 0;
	ev_io_init(&h->io, on_io, di->epoll_fd, EV_READ);
	h->io.data = h;
	ev_io_start(loop, &h->io);
	ev_timer_init(&h->timer, on_timer, 0., 0.);
	h->timer.data = h;
	ev_prepare_init(&h->prep, on_prepare);
	h->prep.data = h;
	ev_prepare_start(loop, &h->prep);
	/* deadlines are seconds; a quarter of one is precise enough */
	ev_timer_init(&h->sweep, on_sweep, 0.25, 0.25);
	h->sweep.data = h;
	ev_timer_start(loop, &h->sweep);
	return h;
}

unsigned httpd_port(const struct httpd *h) { return h->port; }
unsigned httpd_connections(const struct httpd *h) { return h->conns; }

unsigned long httpd_cut(const struct httpd *h)
{
	return h->guard.cut_slow + h->guard.cut_evicted;
}

void httpd_set_gate(struct httpd *h, httpd_handler gate) { h->gate = gate; }

void httpd_quiesce(struct httpd *h)
{
	if (!h)
		return;
	MHD_socket s = MHD_quiesce_daemon(h->mhd);
	if (s != MHD_INVALID_SOCKET)
		close(s);
}

void httpd_stop(struct httpd *h)
{
	if (!h)
		return;
	ev_io_stop(h->loop, &h->io);
	ev_timer_stop(h->loop, &h->timer);
	ev_prepare_stop(h->loop, &h->prep);
	ev_timer_stop(h->loop, &h->sweep);
	MHD_stop_daemon(h->mhd);
	if (h->tls)
		httpd_tls_release_all();
	free(h);
}

int httpd_is_tls(const struct httpd *h) { return h && h->tls; }

const char *httpd_method(const struct httpd_req *r) { return r->method; }
const char *httpd_path(const struct httpd_req *r) { return r->url; }

const char *httpd_header(const struct httpd_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *httpd_query(const struct httpd_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *httpd_body(const struct httpd_req *r, size_t *len)
{
	*len = r->len;
	return r->body ? r->body : "";
}

int httpd_basic_auth(const struct httpd_req *r, char *user, size_t ul, char *pass, size_t pl)
{
	char *p = NULL;
	char *u = MHD_basic_auth_get_username_password(r->conn, &p);
	int rc = u && p ? 0 : -1;
	if (rc == 0) {
		snprintf(user, ul, "%s", u);
		snprintf(pass, pl, "%s", p);
	}
	if (u)
		MHD_free(u);
	if (p)
		MHD_free(p);
	return rc;
}

void httpd_reply(struct httpd_req *r, unsigned status, const char *ctype, const char *body,
		 size_t len, const char *extra)
{
	struct MHD_Response *resp = make(ctype, body, len, extra);
	if (r->resp)
		MHD_destroy_response(r->resp);
	r->resp = resp;
	r->status = status;
	if (r->suspended) {
		r->suspended = 0;
		MHD_resume_connection(r->conn);
		r->h->need_run = 1;
	}
}

void httpd_error(struct httpd_req *r, unsigned status, const char *code, const char *msg,
		 const char *extra)
{
	struct json_buf b = { 0 };
	if (!msg || !*msg) /* a callee that set no message: say what the status says */
		msg = status == 404 ? "not found" : "the request could not be handled";
	if (error_body(&b, code, msg) == 0)
		httpd_reply(r, status, "application/json", b.data, b.len, extra);
	else
		httpd_reply(r, 500, "text/plain", "out of memory\n", 14, extra);
	json_buf_free(&b);
}

void httpd_suspend(struct httpd_req *r)
{
	if (r->suspended || r->resp)
		return;
	r->suspended = 1;
	MHD_suspend_connection(r->conn);
}

void httpd_set_ud(struct httpd_req *r, void *ud, void (*free_fn)(void *))
{
	r->ud = ud;
	r->free_fn = free_fn;
}

void *httpd_get_ud(const struct httpd_req *r) { return r->ud; }

void httpd_set_body_limit(struct httpd_req *r, size_t max)
{
	if (max < r->max_body)
		r->max_body = max;
}

void httpd_set_user(struct httpd_req *r, const char *user)
{
	snprintf(r->user, sizeof r->user, "%s", user ? user : "");
}

const char *httpd_user(const struct httpd_req *r) { return r->user[0] ? r->user : NULL; }
