/* SPDX-License-Identifier: BSD-3-Clause
 * Start-up watchdog: nfvd's start (EAL, memory, ports, VNF instances) must
 * finish within a bound, or nfvd says which step is stuck and exits 1
 * instead of hanging silently with its control socket never answering.
 *
 * Life cycle: nfv_startwd_arm() once before the first step (0: off; on
 * firing it calls on_fire, from the watchdog thread, to remove what the
 * process leaves on disk, then exits 1),
 * nfv_startwd_step() at each step (any thread, a string literal),
 * nfv_startwd_disarm() when the daemon answers; disarm never fails and is
 * a no-op when not armed.
 */
#ifndef NFV_START_WATCHDOG_H
#define NFV_START_WATCHDOG_H

/* default bound of the whole start-up, seconds (--start-timeout) */
#define NFV_START_TIMEOUT_S 60

int nfv_startwd_arm(unsigned int limit_s, void (*on_fire)(void));
void nfv_startwd_step(const char *step);
void nfv_startwd_disarm(void);

#endif
