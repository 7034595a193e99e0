/* test_httpd_guard.c - the slow-client guard's bookkeeping (httpd_guard.h) on
 * socket pairs: a head past its deadline is cut (the peer sees the end), a
 * body at its rate's deadline, the server's turn never; past the budget of
 * waiting heads the oldest one is cut, never the newcomer; a kept-alive
 * connection's next head gets a fresh clock. */
#include "check.h"
#include "httpd_guard.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

static int pair(int *peer)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	*peer = sv[1];
	return sv[0];
}

/* The peer sees the end of the stream: the guard cut its connection. */
static int is_cut(int peer)
{
	char b;
	return recv(peer, &b, 1, MSG_DONTWAIT) == 0;
}

int main(void)
{
	struct guard g;
	guard_init(&g, 3, 10.0, 5.0, 1000.0);
	int peer[6], fd[6];
	struct guard_conn *c[6];
	for (int i = 0; i < 3; i++) {
		fd[i] = pair(&peer[i]);
		c[i] = guard_open(&g, fd[i], 100.0 + i);
	}
	CHECK(g.nheads == 3 && g.cut_evicted == 0);
	/* c0's head arrives with a 2,000-byte body: deadline 101 + 5 + 2 = 108 */
	guard_head_done(&g, c[0], 101.0, 2000);
	/* c1's body is in: the server's turn */
	guard_head_done(&g, c[1], 101.5, 0);
	guard_handled(&g, c[1]);
	CHECK(g.nheads == 1);
	guard_sweep(&g, 107.9);
	CHECK(!is_cut(peer[0]) && !is_cut(peer[1]) && !is_cut(peer[2]));
	guard_sweep(&g, 108.0);
	CHECK(is_cut(peer[0]));                 /* the body too slow */
	CHECK(c[0]->state == GUARD_CUT);
	CHECK(!is_cut(peer[2]));                /* its head is due at 112 */
	guard_sweep(&g, 112.0);
	CHECK(is_cut(peer[2]));
	CHECK(!is_cut(peer[1]));                /* the server's turn: no deadline */
	/* answered: kept alive, a fresh clock for its next head */
	guard_idle(&g, c[1], 150.0);
	guard_sweep(&g, 159.0);
	CHECK(!is_cut(peer[1]));
	guard_sweep(&g, 160.0);
	CHECK(is_cut(peer[1]));
	CHECK(g.cut_slow == 3);
	for (int i = 0; i < 3; i++) {
		guard_close(&g, c[i]);
		close(fd[i]);
		close(peer[i]);
	}
	CHECK(g.nheads == 0 && guard_watched(&g) == 0);

	/* The budget: 3 waiting heads; a 4th and 5th cut the oldest ones. */
	for (int i = 0; i < 5; i++) {
		fd[i] = pair(&peer[i]);
		c[i] = guard_open(&g, fd[i], 200.0 + i);
		if (i == 1) /* past its head: holds a reserved slot, not a waiting one */
			guard_head_done(&g, c[i], 201.5, 0);
	}
	CHECK(g.nheads == 3);
	CHECK(g.cut_evicted == 1);
	CHECK(is_cut(peer[0]));                 /* the oldest waiting */
	CHECK(!is_cut(peer[1]) && !is_cut(peer[2]) && !is_cut(peer[3]) && !is_cut(peer[4]));
	for (int i = 0; i < 5; i++) {
		guard_close(&g, c[i]);
		close(fd[i]);
		close(peer[i]);
	}
	/* a budget of 1 never cuts the newcomer itself */
	guard_init(&g, 1, 10.0, 5.0, 1000.0);
	fd[0] = pair(&peer[0]);
	fd[1] = pair(&peer[1]);
	c[0] = guard_open(&g, fd[0], 1.0);
	c[1] = guard_open(&g, fd[1], 2.0);
	CHECK(is_cut(peer[0]) && !is_cut(peer[1]));
	for (int i = 0; i < 2; i++) {
		guard_close(&g, c[i]);
		close(fd[i]);
		close(peer[i]);
	}
	return CHECK_DONE();
}
