/* sla_escalate.h - the daemon's SLA escalation sweep (see sla_escalate.c). */
#ifndef SOAR_SLA_ESCALATE_H
#define SOAR_SLA_ESCALATE_H

#include "daemon.h"

/* Reads the SLA watches and escalates each breached one once. Called from the
 * loop's tick about once a second; `now` in ms. */
void sla_sweep(struct daemon *d, int64_t now);

#endif
