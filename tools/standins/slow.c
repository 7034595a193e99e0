/* slow.c - a slow API for benchmarks: tens of thousands of waiting connections on one
 * epoll thread. The C twin of slow.py, same command line and answers:
 *
 *   standin_slow [--port N] [--delay MS] [--stdin-eof] [--stats] [--log FILE]
 *
 * Listens on 127.0.0.1 (a free port unless --port) and prints "PORT <n>" as its first
 * line on stdout. Every request (any method, any path) is answered 200 with a small
 * JSON body after ?ms=N milliseconds (default --delay, 200), on a keep-alive
 * HTTP/1.1 connection:
 *
 *   GET /delay?ms=200   ->  (200 ms later) {"ok": true}
 *
 * Why a C one: with 10,000 runs connecting at once, Python's asyncio spent seconds
 * accepting and parsing, and that time showed up in the runtime's figure. Here a
 * request costs one read and one write; answers wait in a binary heap ordered by due
 * time, so the loop sleeps exactly until the next one.
 *
 * One request at a time per connection, as slow.py: the next (pipelined) request
 * stays in the buffer until the current one is answered. Stops on SIGTERM/SIGINT, or
 * when stdin closes with --stdin-eof. --stats prints, on stderr every 100 ms while
 * anything happens, the connections accepted, requests taken and answers written so
 * far, stamped with CLOCK_MONOTONIC (the same clock in every process): what a
 * benchmark needs to tell the stand-in's time from the client's. --log appends one
 * line per request taken to FILE: its target and its Idempotency-Key ("-" when none),
 * so that a test can count the side effects a client caused (one write(2) a line;
 * slow.py has no such option).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF_MAX 16384            /* a request head larger than this closes the connection */

static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			    "Content-Length: 12\r\n\r\n{\"ok\": true}";
#define REPLY_LEN (sizeof reply - 1)

struct conn {
	int fd;
	int heap_at;             /* index in the timer heap, -1 when not waiting */
	int64_t due;             /* monotonic ns of the answer */
	char *buf;               /* received, not yet consumed; NULL while idle */
	size_t len, cap;
	size_t skip;             /* body bytes of the current request still to drop */
	size_t out;              /* bytes of reply still to write (send was short) */
	unsigned busy : 1;       /* a request is being waited on or written */
	unsigned eof : 1;        /* the peer closed its side: close after answering */
	unsigned close_after : 1;
};

static int nconns;               /* descriptors we may have open */
static struct conn **heap;       /* min-heap on due */
static int heap_len;
static int ep, lfd, default_ms = 200;
static int log_fd = -1;          /* --log: one line per request taken */
static unsigned long n_accepted, n_requests, n_answered;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the timer heap ---- */

static void heap_set(int i, struct conn *c)
{
	heap[i] = c;
	c->heap_at = i;
}

static void heap_up(int i)
{
	struct conn *c = heap[i];
	while (i > 0 && heap[(i - 1) / 2]->due > c->due) {
		heap_set(i, heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(i, c);
}

static void heap_down(int i)
{
	struct conn *c = heap[i];
	for (;;) {
		int k = 2 * i + 1;
		if (k >= heap_len)
			break;
		if (k + 1 < heap_len && heap[k + 1]->due < heap[k]->due)
			k++;
		if (heap[k]->due >= c->due)
			break;
		heap_set(i, heap[k]);
		i = k;
	}
	heap_set(i, c);
}

static void heap_push(struct conn *c)
{
	heap[heap_len] = c;
	c->heap_at = heap_len++;
	heap_up(c->heap_at);
}

static void heap_remove(struct conn *c)
{
	int i = c->heap_at;
	c->heap_at = -1;
	if (--heap_len == i)
		return;
	heap_set(i, heap[heap_len]);
	heap_up(i);
	heap_down(heap[i]->heap_at);
}

/* ---- connections ---- */

static void conn_close(struct conn *c)
{
	if (c->heap_at >= 0)
		heap_remove(c);
	close(c->fd);            /* also leaves the epoll set */
	free(c->buf);
	free(c);
}

/* The value of ms= in the target's query, or the default. -1: not a number
 * (slow.py's int() raises, and the connection is closed). */
static long target_ms(const char *t, size_t n)
{
	const char *q = memchr(t, '?', n), *end = t + n;
	if (!q)
		return default_ms;
	for (const char *p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *e = amp ? amp : end;
		if (e - p >= 3 && memcmp(p, "ms=", 3) == 0) {
			char num[24];
			size_t k = (size_t)(e - p - 3);
			if (k == 0 || k >= sizeof num)
				return -1;
			memcpy(num, p + 3, k);
			num[k] = 0;
			char *stop;
			long v = strtol(num, &stop, 10);
			return *stop || v > INT_MAX ? -1 : v;
		}
		p = e + 1;
	}
	return default_ms;
}

static int header_is(const char *line, size_t n, const char *name, size_t *val)
{
	size_t k = strlen(name);
	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return 0;
	*val = k + 1;
	while (*val < n && (line[*val] == ' ' || line[*val] == '\t'))
		(*val)++;
	return 1;
}

/* Parse one request head from the buffer, if complete. 1: a request was taken (its
 * answer is due now: c->out is set, or later: it is in the heap); 0: need more
 * bytes; -1: close. */
static int conn_request(struct conn *c)
{
	char *end = c->len >= 4 ? memmem(c->buf, c->len, "\r\n\r\n", 4) : NULL;
	if (!end)
		return c->len >= BUF_MAX ? -1 : 0;
	size_t head = (size_t)(end - c->buf) + 4;
	char *sp = memchr(c->buf, ' ', head), *eol = memmem(c->buf, head, "\r\n", 2);
	if (!sp || sp > eol)
		return -1;
	char *t = sp + 1, *tend = memchr(t, ' ', (size_t)(eol - t));
	long ms = target_ms(t, (size_t)((tend ? tend : eol) - t));
	int http10 = tend && eol - tend == 9 && memcmp(tend + 1, "HTTP/1.0", 8) == 0;
	size_t length = 0;
	int keep = !http10;
	const char *ikey = "-";
	size_t ikey_len = 1;
	for (char *l = eol + 2; l < end;) {
		char *le = memmem(l, (size_t)(end + 2 - l), "\r\n", 2);
		size_t n = (size_t)(le - l), v;
		if (header_is(l, n, "content-length", &v)) {
			char num[24];
			if (n - v >= sizeof num)
				return -1;
			memcpy(num, l + v, n - v);
			num[n - v] = 0;
			char *stop;
			unsigned long long x = strtoull(num, &stop, 10);
			if (stop == num || *stop || x > ((size_t)1 << 40))
				return -1;
			length = (size_t)x;
		} else if (header_is(l, n, "idempotency-key", &v)) {
			ikey = l + v;
			ikey_len = n - v;
		} else if (header_is(l, n, "connection", &v)) {
			if (n - v == 5 && strncasecmp(l + v, "close", 5) == 0)
				keep = 0;
			else if (n - v == 10 && strncasecmp(l + v, "keep-alive", 10) == 0)
				keep = 1;
		}
		l = le + 2;
	}
	if (ms < 0)
		return -1;
	if (log_fd >= 0) {
		char line[1024];
		size_t tl = (size_t)((tend ? tend : eol) - t);
		int k = snprintf(line, sizeof line, "%.*s %.*s\n", (int)(tl < 500 ? tl : 500), t,
				 (int)(ikey_len < 200 ? ikey_len : 200), ikey);
		if (write(log_fd, line, (size_t)k) != k)
			return -1;
	}
	/* drop the head and what of the body is here; the rest is skipped on arrival */
	size_t body = length < c->len - head ? length : c->len - head;
	memmove(c->buf, c->buf + head + body, c->len - head - body);
	c->len -= head + body;
	c->skip = length - body;
	c->busy = 1;
	c->close_after = !keep;
	n_requests++;
	if (ms == 0) {
		c->out = REPLY_LEN;
	} else {
		c->due = now_ns() + (int64_t)ms * 1000000;
		heap_push(c);
	}
	return 1;
}

/* Move a connection as far as it goes without waiting: write the answer due, take
 * the next request from the buffer, read (edge-triggered: until EAGAIN). Called on
 * every event of the connection and when its answer is due; one place decides when
 * it closes, so nothing touches a freed connection. */
static void conn_run(struct conn *c)
{
	for (;;) {
		if (c->out) {
			ssize_t w = send(c->fd, reply + REPLY_LEN - c->out, c->out, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN)
				return;          /* EPOLLOUT (edge) brings us back */
			if (w < 0)
				goto close;
			if ((c->out -= (size_t)w))
				continue;
			c->busy = 0;
			n_answered++;
			if (c->close_after)
				goto close;
		}
		if (!c->busy && !c->skip) {
			int r = conn_request(c);
			if (r < 0)
				goto close;
			if (r > 0)
				continue;
		}
		/* need bytes, or waiting on the timer: read on to notice the peer's close
		 * and to hold the next request */
		if (c->eof) {
			if (!c->busy)
				goto close;
			return;
		}
		ssize_t r;
		if (c->skip) {
			char sink[4096];
			r = recv(c->fd, sink, c->skip < sizeof sink ? c->skip : sizeof sink, 0);
			if (r > 0)
				c->skip -= (size_t)r;
		} else {
			if (c->len == c->cap) {
				if (c->cap >= BUF_MAX)
					return;  /* busy with a full buffer: read again after the answer */
				size_t cap = c->cap ? c->cap * 2 : 1024;
				char *b = realloc(c->buf, cap);
				if (!b)
					goto close;
				c->buf = b;
				c->cap = cap;
			}
			r = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
			if (r > 0)
				c->len += (size_t)r;
		}
		if (r == 0)
			c->eof = 1;
		else if (r < 0 && errno == EAGAIN)
			return;
		else if (r < 0 && errno != EINTR)
			goto close;
	}
close:
	conn_close(c);
}

static void conn_new(int fd)
{
	struct conn *c = fd < nconns ? calloc(1, sizeof *c) : NULL;
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->heap_at = -1;
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	/* EPOLLOUT edge-triggered fires only after a send met a full socket buffer */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				  .data.ptr = c };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
		conn_close(c);
		return;
	}
	conn_run(c);             /* the request often came with the connection */
}

static int accept_paused;        /* out of descriptors: listening is off for a while */

static void accept_all(void)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			n_accepted++;
			conn_new(fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* level-triggered: stop listening or the loop spins; retry in 10 ms */
			epoll_ctl(ep, EPOLL_CTL_DEL, lfd, NULL);
			accept_paused = 1;
		}
		return;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: standin_slow [--port N] [--delay MS] [--stdin-eof] [--stats] [--log FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int port = 0, stdin_eof = 0, stats = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = atoi(argv[++i]);
		else if (strcmp(argv[i], "--delay") == 0 && i + 1 < argc)
			default_ms = atoi(argv[++i]);
		else if (strcmp(argv[i], "--stdin-eof") == 0)
			stdin_eof = 1;
		else if (strcmp(argv[i], "--stats") == 0)
			stats = 1;
		else if (strcmp(argv[i], "--log") == 0 && i + 1 < argc) {
			log_fd = open(argv[++i], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
			if (log_fd < 0) {
				perror("standin_slow: --log");
				return 1;
			}
		}
		else
			usage();
	}

	/* as many connections as the hard limit allows */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	nconns = rl.rlim_cur > (1 << 20) ? 1 << 20 : (int)rl.rlim_cur;
	heap = calloc((size_t)nconns, sizeof *heap);
	if (!heap)
		return 1;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	/* the backlog is capped by net.core.somaxconn; ask for all of it */
	if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 65535) != 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &al) != 0) {
		perror("standin_slow: listen");
		return 1;
	}

	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	int sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);

	ep = epoll_create1(EPOLL_CLOEXEC);
	/* data.ptr is a struct conn; these two markers are not */
	static char mark_listen, mark_signal, mark_stdin;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &mark_listen };
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.ptr = &mark_signal;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	if (stdin_eof) {
		ev.data.ptr = &mark_stdin;
		epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
	}
	printf("PORT %d\n", ntohs(a.sin_port));
	fflush(stdout);

	struct epoll_event evs[512];
	int64_t resume_accept = 0, stats_at = 0;
	unsigned long stats_last = 0;
	for (;;) {
		int timeout = -1;
		int64_t t = now_ns();
		if (stats && t >= stats_at) {
			unsigned long sum = n_accepted + n_requests + n_answered;
			if (sum != stats_last)
				fprintf(stderr, "standin_slow: at %.3f s (monotonic): %lu accepted, "
					"%lu requests, %lu answered\n", (double)t / 1e9, n_accepted, n_requests,
					n_answered);
			stats_last = sum;
			stats_at = t + 100000000;
		}
		if (heap_len) {
			int64_t d = heap[0]->due - t;
			/* round up: answering early would break the contract, late by <1 ms not */
			timeout = d <= 0 ? 0 : (int)((d + 999999) / 1000000);
		}
		if (stats && (timeout < 0 || timeout > 100))
			timeout = 100;
		if (accept_paused) {
			if (!resume_accept)
				resume_accept = t + 10000000;
			int a_ms = (int)((resume_accept - t + 999999) / 1000000);
			if (a_ms <= 0) {
				ev.events = EPOLLIN;
				ev.data.ptr = &mark_listen;
				epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
				accept_paused = 0;
				resume_accept = 0;
				a_ms = 0;
			}
			if (timeout < 0 || a_ms < timeout)
				timeout = a_ms;
		}
		int n = epoll_wait(ep, evs, 512, timeout);
		if (n < 0 && errno != EINTR) {
			perror("standin_slow: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &mark_listen) {
				accept_all();
			} else if (p == &mark_signal) {
				return 0;
			} else if (p == &mark_stdin) {
				char b[4096];
				ssize_t r = read(0, b, sizeof b);
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
					return 0;
			} else {
				conn_run(p);      /* one event per fd per batch: never a freed one */
			}
		}
		t = now_ns();
		while (heap_len && heap[0]->due <= t) {
			struct conn *c = heap[0];
			heap_remove(c);
			c->out = REPLY_LEN;
			conn_run(c);
		}
	}
}
