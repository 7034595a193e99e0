/* sandbox_pause.c - see sandbox_pause.h. The clocks themselves are the
 * watchdog's (watchdog.c: watch_pause, watch_resume). */
#include "sandbox_pause.h"
#include "watchdog.h"

void sandbox_clock_pause(void)
{
	struct watch *w = watch_self();
	if (w)
		watch_pause(w);
}

void sandbox_clock_resume(void)
{
	struct watch *w = watch_self();
	if (w)
		watch_resume(w);
}
