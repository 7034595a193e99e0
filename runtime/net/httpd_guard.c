/* httpd_guard.c - see httpd_guard.h. */
#include "httpd_guard.h"

#include <stdlib.h>
#include <sys/socket.h>

static void unlink_conn(struct guard *g, struct guard_conn *c)
{
	if (!c->prev)
		return;
	if (c->state == GUARD_HEAD)
		g->nheads--;
	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

/* At the tail: lists stay ordered by `since` (entries only ever come in at now). */
static void append(struct guard_conn *list, struct guard_conn *c)
{
	c->prev = list->prev;
	c->next = list;
	list->prev->next = c;
	list->prev = c;
}

static void cut(struct guard *g, struct guard_conn *c)
{
	unlink_conn(g, c);
	c->state = GUARD_CUT;
	shutdown(c->fd, SHUT_RDWR);
}

void guard_init(struct guard *g, unsigned budget, double head_timeout, double grace, double rate)
{
	g->heads.prev = g->heads.next = &g->heads;
	g->bodies.prev = g->bodies.next = &g->bodies;
	g->nheads = 0;
	g->budget = budget ? budget : 1;
	g->head_timeout = head_timeout;
	g->grace = grace;
	g->rate = rate > 0 ? rate : 1;
	g->cut_slow = g->cut_evicted = 0;
}

struct guard_conn *guard_open(struct guard *g, int fd, double now)
{
	struct guard_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->fd = fd;
	c->state = GUARD_HEAD;
	c->since = now;
	c->deadline = now + g->head_timeout;
	append(&g->heads, c);
	g->nheads++;
	while (g->nheads > g->budget && g->heads.next != c) {
		cut(g, g->heads.next);
		g->cut_evicted++;
	}
	return c;
}

void guard_head_done(struct guard *g, struct guard_conn *c, double now, double body)
{
	if (c->state == GUARD_CUT)
		return;
	unlink_conn(g, c);
	c->state = GUARD_BODY;
	c->since = now;
	c->deadline = now + g->grace + body / g->rate;
	append(&g->bodies, c);
}

void guard_handled(struct guard *g, struct guard_conn *c)
{
	if (c->state == GUARD_CUT)
		return;
	unlink_conn(g, c);
	c->state = GUARD_SERVER;
}

void guard_idle(struct guard *g, struct guard_conn *c, double now)
{
	if (c->state == GUARD_CUT)
		return;
	unlink_conn(g, c);
	c->state = GUARD_HEAD;
	c->since = now;
	c->deadline = now + g->head_timeout;
	append(&g->heads, c);
	g->nheads++;
}

void guard_close(struct guard *g, struct guard_conn *c)
{
	if (!c)
		return;
	unlink_conn(g, c);
	free(c);
}

void guard_sweep(struct guard *g, double now)
{
	/* heads: oldest first, so stop at the first one still in time */
	while (g->heads.next != &g->heads && g->heads.next->deadline <= now) {
		cut(g, g->heads.next);
		g->cut_slow++;
	}
	for (struct guard_conn *c = g->bodies.next, *nx; c != &g->bodies; c = nx) {
		nx = c->next;
		if (c->deadline <= now) {
			cut(g, c);
			g->cut_slow++;
		}
	}
}

unsigned guard_watched(const struct guard *g)
{
	return g->nheads + (g->bodies.next != &g->bodies);
}
