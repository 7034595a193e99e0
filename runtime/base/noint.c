/* noint.c - see noint.h. */
#include "noint.h"

#include <stddef.h>

static void (*hook_enter)(void);
static void (*hook_leave)(void);

void noint_set_hooks(void (*enter)(void), void (*leave)(void))
{
	/* leave first: a thread that sees enter set must see leave set too */
	__atomic_store_n(&hook_leave, leave, __ATOMIC_RELEASE);
	__atomic_store_n(&hook_enter, enter, __ATOMIC_RELEASE);
}

void noint_enter(void)
{
	void (*f)(void) = __atomic_load_n(&hook_enter, __ATOMIC_ACQUIRE);
	if (f)
		f();
}

void noint_leave(void)
{
	void (*f)(void) = __atomic_load_n(&hook_leave, __ATOMIC_ACQUIRE);
	if (f)
		f();
}
