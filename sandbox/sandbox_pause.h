/* sandbox_pause.h - stopping the limits' clocks while a person looks at a run.
 *
 * A debugger pauses a run inside a hook, on the run's own thread, and waits for
 * commands; that time is the person's, not the run's. Between pause and resume
 * the watchdog does not count the current run's CPU or wall time (the clocks
 * are shifted by the paused span on resume), so a breakpoint held for minutes
 * does not end the run, while the run's own code stays under its limits.
 * Both act on the calling thread's current slice only; outside a run they do
 * nothing. They nest: only the outermost pair counts. */
#ifndef SOAR_SANDBOX_PAUSE_H
#define SOAR_SANDBOX_PAUSE_H

void sandbox_clock_pause(void);
void sandbox_clock_resume(void);

#endif
