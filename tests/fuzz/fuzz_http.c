/* fuzz_http.c - the daemon's HTTP request path, whole: raw request bytes over a
 * loopback TCP connection to a real `soarctl serve` running in this process
 * (daemon_main on a thread: libmicrohttpd, httpd.c's limits and smuggling
 * checks, every route of daemon_api.c, ingestion and pre-processing, the
 * bundled playbooks in mock mode, the store). Coverage counts on every thread,
 * so libFuzzer is guided by what the daemon did with the bytes.
 *
 * Input: the bytes a client sends (one request, or several pipelined, or
 * garbage); "@TOKEN@" is replaced by an admin's API token, so authenticated
 * routes are reached too. The client then half-closes and reads the answer.
 * Properties: the daemon stays up (the next input connects), an answer is
 * HTTP/1.x, and a JSON answer's body is valid UTF-8 (no uninitialised bytes
 * or raw request bytes sent out as JSON). Leaks are LeakSanitizer's (see
 * fuzz_http.options). */
#include "daemon.h"
#include "datadir.h"
#include "fuzz.h"
#include "json.h"
#include "log.h"
#include "rbac.h"
#include "secret_init.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static unsigned port;
static char token[RBAC_TOKEN_LEN + 1];
static char listen_on[64];

static void *serve(void *arg)
{
	struct daemon_opts *o = arg;
	int rc = daemon_main(o);
	fprintf(stderr, "fuzz: the daemon returned %d\n", rc);
	abort();                     /* it must serve until the process ends */
	return NULL;
}

static int conn(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	/* acknowledge at once: a delayed ACK would hold the daemon's second
	 * segment (Nagle) for 40 ms an input */
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static unsigned free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		perror("fuzz: a free port");
		exit(2);
	}
	close(fd);
	return ntohs(a.sin_port);
}

static void setup(void)
{
	char err[1024], msg[1024], user[128], id[17];
	const char *dir = fuzz_tmpdir();
	char data[512], pbdir[512];
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(pbdir, sizeof pbdir, "%s/../playbooks", SOAR_SOURCE_LUA_DIR);
	setenv("SOARCTL_MASTER_KEY",
	       "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", 1);
	setenv("SOARCTL_DATA", data, 1);
	setenv("SOARCTL_CONN_TIMEOUT", "1", 1);
	setenv("SOARCTL_MAX_BODY", "65536", 1);
	log_configure(LOG_ERROR, 0);
	datadir_set(data);
	struct store *st;
	if (datadir_create(data, err, sizeof err) != 0 ||
	    secret_init_datadir(data, msg, sizeof msg, err, sizeof err) != 0 ||
	    !(st = store_default(err, sizeof err)) ||
	    rbac_token_create(st, "fuzz", rbac_os_user(user, sizeof user), "fuzz", 0, token, id,
			      err, sizeof err) != 0) {
		fprintf(stderr, "fuzz: setup: %s\n", err);
		exit(2);
	}
	port = free_port();
	snprintf(listen_on, sizeof listen_on, "127.0.0.1:%u", port);
	static struct daemon_opts o;
	memset(&o, 0, sizeof o);
	o.listen = listen_on;
	o.workers = 1;
	o.data_dir = data;
	o.playbooks_dir = pbdir;
	o.mock = 1;
	pthread_t t;
	pthread_create(&t, NULL, serve, &o);
	pthread_detach(t);
	for (int i = 0; i < 500; i++) {
		int fd = conn();
		if (fd >= 0) {
			close(fd);
			return;
		}
		usleep(20000);
	}
	fprintf(stderr, "fuzz: the daemon did not listen on %s in 10 s\n", listen_on);
	exit(2);
}

/* The input with @TOKEN@ replaced (malloc'd, *n its length). */
static char *expand(const uint8_t *data, size_t size, size_t *n)
{
	static const char mark[] = "@TOKEN@";
	size_t ml = sizeof mark - 1, cap = size + 1, len = 0;
	for (size_t i = 0; i + ml <= size; i++)
		if (memcmp(data + i, mark, ml) == 0)
			cap += RBAC_TOKEN_LEN;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	for (size_t i = 0; i < size;) {
		if (i + ml <= size && memcmp(data + i, mark, ml) == 0) {
			memcpy(out + len, token, RBAC_TOKEN_LEN);
			len += RBAC_TOKEN_LEN;
			i += ml;
		} else {
			out[len++] = (char)data[i++];
		}
	}
	*n = len;
	return out;
}

static void check_answer(const char *a, size_t n)
{
	/* FUZZ_HTTP_UTF8_CHECK=0 (fuzz_http.options) turns the UTF-8 property off
	 * while a known finding would stop every run at once */
	const char *e = getenv("FUZZ_HTTP_UTF8_CHECK");
	int utf8_check = !e || strcmp(e, "0") != 0;
	if (n == 0)
		return;                                  /* closed without a word: allowed */
	FUZZ_CHECK(n >= 9 && memcmp(a, "HTTP/1.", 7) == 0, "answer starts '%.20s'", a);
	/* each answer of a pipeline: headers, then a JSON body valid as UTF-8 */
	const char *end = a + n;
	for (const char *p = a; p && p < end;) {
		const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (!hend)
			break;
		int json = utf8_check && memmem(p, (size_t)(hend - p), "application/json", 16) != NULL;
		const char *cl = memmem(p, (size_t)(hend - p), "Content-Length: ", 16);
		size_t blen = cl ? strtoul(cl + 16, NULL, 10) : 0;
		const unsigned char *b = (const unsigned char *)hend + 4;
		if (blen > (size_t)(end - (const char *)b))
			blen = (size_t)(end - (const char *)b);
		for (size_t i = 0; json && i < blen;) {
			size_t l = json_utf8_seq(b + i, blen - i);
			FUZZ_CHECK(l > 0, "JSON answer with invalid UTF-8 at byte %zu: %.*s", i,
				   (int)blen, (const char *)b);
			i += l;
		}
		p = memmem(b + blen, (size_t)(end - (const char *)(b + blen)), "HTTP/1.", 7);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!port)
		setup();
	struct timeval t0, t1;
	gettimeofday(&t0, NULL);
	size_t n;
	char *req = expand(data, size, &n);
	if (!req)
		return 0;
	int fd = -1;
	for (int i = 0; i < 100 && (fd = conn()) < 0; i++)
		usleep(10000);                           /* at the connection cap: wait */
	FUZZ_CHECK(fd >= 0, "the daemon no longer accepts connections: %s", strerror(errno));
	for (size_t off = 0; off < n;) {
		ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;                           /* the daemon closed early: fine */
		off += (size_t)w;
	}
	free(req);
	shutdown(fd, SHUT_WR);
	static char ans[1 << 20];
	size_t got = 0;
	for (;;) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
		ssize_t r = recv(fd, ans + got, sizeof ans - 1 - got, 0);
		if (r <= 0)
			break;
		got += (size_t)r;
		if (got == sizeof ans - 1)
			break;
	}
	ans[got] = 0;
	close(fd);
	gettimeofday(&t1, NULL);
	if (getenv("FUZZ_HTTP_DEBUG"))
		fprintf(stderr, "fuzz: %ld us, answer (%zu bytes): %.40s\n",
			(long)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_usec - t0.tv_usec)), got, ans);
	check_answer(ans, got);
	return 0;
}
