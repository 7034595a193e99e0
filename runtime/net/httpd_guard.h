/* httpd_guard.h - keeps slow clients from holding the daemon's connections
 * (slowloris). Every connection is in one of three states:
 *   waiting for a request head (from its accept, or from its previous answer on
 *   a kept-alive connection): the whole head must be in within head_timeout;
 *   reading a body: it must be in by grace + length / rate (a chunked body is
 *   counted at the body limit);
 *   the server's turn (handled, answer pending): no deadline of the client's.
 * Connections waiting for a head may hold at most `budget` slots: past that the
 * oldest waiting one is cut, so the slots above the budget stay free for
 * requests past their head (which the daemon authenticates at once: an attacker
 * without a token holds none of them), and a new client always gets in.
 * Cutting is shutdown(2) of the socket: the server sees the end of the stream
 * and closes the connection itself (the descriptor stays its own).
 * Pure bookkeeping on the loop's thread; httpd.c tells it what happens. */
#ifndef SOAR_HTTPD_GUARD_H
#define SOAR_HTTPD_GUARD_H

enum guard_state { GUARD_HEAD, GUARD_BODY, GUARD_SERVER, GUARD_CUT };

struct guard_conn {
	struct guard_conn *prev, *next;
	int fd;
	enum guard_state state;
	double since, deadline;
};

struct guard {
	struct guard_conn heads;  /* list head: waiting for a head, oldest first */
	struct guard_conn bodies; /* list head: reading a body */
	unsigned nheads, budget;
	double head_timeout, grace, rate;
	unsigned long cut_slow, cut_evicted;
};

void guard_init(struct guard *g, unsigned budget, double head_timeout, double grace, double rate);
/* A new connection; may cut the oldest one waiting for a head. NULL: no memory. */
struct guard_conn *guard_open(struct guard *g, int fd, double now);
/* Its head is in; `body` bytes of body follow (0 none). */
void guard_head_done(struct guard *g, struct guard_conn *c, double now, double body);
/* Its body is in: the server's turn. */
void guard_handled(struct guard *g, struct guard_conn *c);
/* Answered: it waits for its next head (keep-alive). */
void guard_idle(struct guard *g, struct guard_conn *c, double now);
/* Gone: forgets and frees it. */
void guard_close(struct guard *g, struct guard_conn *c);
/* Cuts every connection past its deadline. */
void guard_sweep(struct guard *g, double now);
/* Connections with a deadline (the sweep has work). */
unsigned guard_watched(const struct guard *g);

#endif
