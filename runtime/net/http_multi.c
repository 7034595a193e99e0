/* http_multi.c - see http_multi.h. */
#include "http_multi.h"

#include <curl/curl.h>
#include "curl_lazy.h"
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* libcurl's callbacks get their shard; the shard knows its set and place. */
struct shard {
	CURLM *multi;
	size_t n;                     /* transfers in it */
	int64_t due;                  /* libcurl's timeout, monotonic ns; -1: none */
	struct http_multi *m;
	int i;
};

struct http_multi {
	int ep;                       /* every shard's sockets */
	size_t n;                     /* transfers in the set */
	int nshards;
	int done_at;                  /* where http_multi_done looks first */
	struct shard shards[HTTP_MULTI_SHARDS];
};

/* An epoll entry names the socket and its shard, so that an event goes to the
 * multi handle that owns the socket. */
static uint64_t ev_key(int shard, curl_socket_t s)
{
	return (uint64_t)(unsigned)shard << 32 | (uint32_t)s;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* libcurl says which events of socket `s` it waits for. socketp is non-NULL once
 * the socket is in the epoll set (curl_multi_assign). */
static int shard_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)easy;
	struct shard *sh = userp;
	struct http_multi *m = sh->m;
	if (what == CURL_POLL_REMOVE) {
		/* The socket may be closed already (then it left the set by itself). */
		if (socketp)
			epoll_ctl(m->ep, EPOLL_CTL_DEL, s, NULL);
		curl_multi_assign(sh->multi, s, NULL);
		return 0;
	}
	struct epoll_event ev = { .events = 0, .data.u64 = ev_key(sh->i, s) };
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev.events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev.events |= EPOLLOUT;
	/* Level-triggered: libcurl reads and writes as much as it wants, not until
	 * EAGAIN. A descriptor number reused by a new socket before libcurl said
	 * REMOVE for the old one is already in the set: EEXIST, then modify. */
	int op = socketp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(m->ep, op, s, &ev) != 0) {
		if (op == EPOLL_CTL_ADD && errno == EEXIST)
			op = EPOLL_CTL_MOD;
		else if (op == EPOLL_CTL_MOD && errno == ENOENT)
			op = EPOLL_CTL_ADD;
		else
			return -1;
		if (epoll_ctl(m->ep, op, s, &ev) != 0)
			return -1;
	}
	if (!socketp)
		curl_multi_assign(sh->multi, s, sh);
	return 0;
}

static int shard_timer(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct shard *sh = userp;
	sh->due = timeout_ms < 0 ? -1 : now_ns() + (int64_t)timeout_ms * 1000000;
	return 0;
}

struct http_multi *http_multi_new(void)
{
	struct http_multi *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->ep = epoll_create1(EPOLL_CLOEXEC);
	if (m->ep < 0) {
		free(m);
		return NULL;
	}
	return m;
}

static int shard_open(struct http_multi *m)
{
	int i = m->nshards;
	struct shard *sh = &m->shards[i];
	sh->multi = curl_multi_init();
	if (!sh->multi)
		return -1;
	sh->due = -1;
	sh->m = m;
	sh->i = i;
	curl_multi_setopt(sh->multi, CURLMOPT_SOCKETFUNCTION, shard_socket);
	curl_multi_setopt(sh->multi, CURLMOPT_SOCKETDATA, sh);
	curl_multi_setopt(sh->multi, CURLMOPT_TIMERFUNCTION, shard_timer);
	curl_multi_setopt(sh->multi, CURLMOPT_TIMERDATA, sh);
	/* libcurl's default cache holds 4 connections per transfer still added: as
	 * a shard's load falls, each finished transfer closes an idle connection
	 * that the next rise opens again (with 2 x 128 runs in flight, a 20,000-run
	 * bench opened 2,000 connections to one host; with this, 256). As many as
	 * the shard's transfers: never more idle sockets than were in use at once. */
	curl_multi_setopt(sh->multi, CURLMOPT_MAXCONNECTS, (long)HTTP_MULTI_SHARD);
	m->nshards++;
	return 0;
}

void http_multi_free(struct http_multi *m)
{
	if (!m)
		return;
	/* curl_multi_cleanup leaves easy handles still added alone (they are the
	 * caller's) and closes the cached connections. */
	for (int i = 0; i < m->nshards; i++)
		curl_multi_cleanup(m->shards[i].multi);
	close(m->ep);
	free(m);
}

/* The first shard with room, so that a few transfers share one connection cache;
 * a new one when all are full; the emptiest when there can be no more. */
static int pick_shard(struct http_multi *m)
{
	for (int i = 0; i < m->nshards; i++)
		if (m->shards[i].n < HTTP_MULTI_SHARD)
			return i;
	if (m->nshards < HTTP_MULTI_SHARDS && shard_open(m) == 0)
		return m->nshards - 1;
	int best = -1;
	for (int i = 0; i < m->nshards; i++)
		if (best < 0 || m->shards[i].n < m->shards[best].n)
			best = i;
	return best;
}

int http_multi_add(struct http_multi *m, struct http_xfer *x, void *ud)
{
	int i = pick_shard(m);
	if (i < 0)
		return -1;
	CURL *easy = http_xfer_easy(x);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	/* Set on every add: a transfer added back (redirect, retry) may find the
	 * set smaller or larger. */
	long buf = m->n >= HTTP_MULTI_SMALL_BUFFERS ? 1024 : m->n >= HTTP_MULTI_MEDIUM_BUFFERS ? 4096 :
		   CURL_MAX_WRITE_SIZE;
	curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, buf);
	if (curl_multi_add_handle(m->shards[i].multi, easy) != CURLM_OK)
		return -1;
	struct http_xfer_slot *slot = http_xfer_slot(x);
	slot->ud = ud;
	slot->shard = i;
	m->shards[i].n++;
	m->n++;
	return 0;
}

void http_multi_remove(struct http_multi *m, struct http_xfer *x)
{
	struct http_xfer_slot *slot = http_xfer_slot(x);
	if (slot->shard < 0)
		return;
	struct shard *sh = &m->shards[slot->shard];
	curl_multi_remove_handle(sh->multi, http_xfer_easy(x));
	sh->n--;
	m->n--;
	slot->shard = -1;
}

int http_multi_fd(const struct http_multi *m)
{
	return m->ep;
}

int http_multi_timeout(const struct http_multi *m)
{
	int64_t next = -1;
	for (int i = 0; i < m->nshards; i++) {
		int64_t d = m->shards[i].due;
		if (d >= 0 && (next < 0 || d < next))
			next = d;
	}
	if (next < 0)
		return -1;
	int64_t left = next - now_ns();
	if (left <= 0)
		return 0;
	/* rounded up: waking before the timeout would only come back here */
	return left / 1000000 >= 1000000 ? 1000000 : (int)((left + 999999) / 1000000);
}

void http_multi_drive(struct http_multi *m)
{
	struct epoll_event evs[256];
	int running;
	/* What is ready now; a bounded number of batches, so that timers and the
	 * rest of the loop are not starved by a flood. */
	for (int round = 0; round < 16; round++) {
		int n = epoll_wait(m->ep, evs, 256, 0);
		for (int i = 0; i < n; i++) {
			int sh = (int)(evs[i].data.u64 >> 32);
			curl_socket_t s = (curl_socket_t)(uint32_t)evs[i].data.u64;
			int mask = 0;
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
				mask |= CURL_CSELECT_IN;
			if (evs[i].events & EPOLLOUT)
				mask |= CURL_CSELECT_OUT;
			if (evs[i].events & EPOLLERR)
				mask |= CURL_CSELECT_ERR;
			/* A socket closed by an earlier action of this batch is unknown to
			 * libcurl by now, which then does nothing. */
			curl_multi_socket_action(m->shards[sh].multi, s, mask, &running);
		}
		if (n < 256)
			break;
	}
	int64_t t = now_ns();
	for (int i = 0; i < m->nshards; i++) {
		struct shard *sh = &m->shards[i];
		if (sh->due >= 0 && sh->due <= t) {
			sh->due = -1;         /* the action may set a new one */
			curl_multi_socket_action(sh->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		}
	}
}

struct http_xfer *http_multi_done(struct http_multi *m, int *code, void **ud)
{
	/* From the shard of the last one: a round's many finished transfers do not
	 * make every call ask the shards already emptied. */
	for (int k = 0; k < m->nshards; k++) {
		int i = (m->done_at + k) % m->nshards;
		struct shard *sh = &m->shards[i];
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(sh->multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			char *priv = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			struct http_xfer *x = (struct http_xfer *)(void *)priv;
			*code = (int)msg->data.result;
			http_multi_remove(m, x);
			*ud = http_xfer_slot(x)->ud;
			m->done_at = i;
			return x;
		}
	}
	return NULL;
}
