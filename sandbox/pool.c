/* pool.c - see pool.h. A mutex-protected stack of idle states. */
#include "pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sandbox_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sandbox **idle;
	unsigned nidle, built, max;
	char *lua_dir;
};

struct sandbox_pool *sandbox_pool_new(unsigned max, const char *lua_dir, char *err, size_t errlen)
{
	struct sandbox_pool *p = calloc(1, sizeof *p);
	if (p)
		p->idle = calloc(max ? max : 1, sizeof *p->idle);
	if (!p || !p->idle || (lua_dir && !(p->lua_dir = strdup(lua_dir)))) {
		if (p)
			free(p->idle);
		free(p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->max = max ? max : 1;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	return p;
}

void sandbox_pool_free(struct sandbox_pool *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->nidle; i++)
		sandbox_free(p->idle[i]);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p->idle);
	free(p->lua_dir);
	free(p);
}

struct sandbox *sandbox_pool_take(struct sandbox_pool *p, char *err, size_t errlen)
{
	pthread_mutex_lock(&p->mu);
	while (p->nidle == 0 && p->built >= p->max)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->nidle > 0) {
		struct sandbox *sb = p->idle[--p->nidle];
		pthread_mutex_unlock(&p->mu);
		return sb;
	}
	p->built++;                     /* reserve the slot, build outside the lock */
	pthread_mutex_unlock(&p->mu);
	struct sandbox *sb = sandbox_new(p->lua_dir, err, errlen);
	if (!sb) {
		pthread_mutex_lock(&p->mu);
		p->built--;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return sb;
}

void sandbox_pool_give(struct sandbox_pool *p, struct sandbox *sb)
{
	pthread_mutex_lock(&p->mu);
	p->idle[p->nidle++] = sb;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

unsigned sandbox_pool_built(struct sandbox_pool *p)
{
	pthread_mutex_lock(&p->mu);
	unsigned n = p->built;
	pthread_mutex_unlock(&p->mu);
	return n;
}
