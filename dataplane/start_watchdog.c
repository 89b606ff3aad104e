/* SPDX-License-Identifier: BSD-3-Clause
 * Start-up watchdog (see start_watchdog.h): one thread that waits on a
 * condition variable until start-up is done or the limit passes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "start_watchdog.h"

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned int limit_s;
	void (*on_fire)(void);
	bool armed;
	bool done;
	_Atomic(const char *) step;
} startwd_main = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.step = "reading the chain file",
};

static void *
startwd_thread(void *arg)
{
	struct timespec deadline;
	int rc = 0;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += startwd_main.limit_s;
	pthread_mutex_lock(&startwd_main.lock);
	while (!startwd_main.done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&startwd_main.cond, &startwd_main.lock, &deadline);
	if (!startwd_main.done) {
		/* stdio may be held by the stuck thread: one write(2) */
		char msg[256];
		int n = snprintf(msg, sizeof(msg),
				 "nfvd: start-up did not finish within %u s (stuck in: %s); "
				 "giving up (raise the bound with --start-timeout SEC, 0: none)\n",
				 startwd_main.limit_s, atomic_load(&startwd_main.step));

		if (n > 0 && write(STDERR_FILENO, msg, (size_t)n) < 0)
			n = 0;
		if (startwd_main.on_fire != NULL)
			startwd_main.on_fire();
		_exit(1);
	}
	pthread_mutex_unlock(&startwd_main.lock);
	return NULL;
}

int
nfv_startwd_arm(unsigned int limit_s, void (*on_fire)(void))
{
	pthread_condattr_t ca;
	int rc;

	if (limit_s == 0 || startwd_main.armed)
		return 0;
	startwd_main.limit_s = limit_s;
	startwd_main.on_fire = on_fire;
	startwd_main.done = false;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&startwd_main.cond, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		return -rc;
	rc = pthread_create(&startwd_main.thread, NULL, startwd_thread, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&startwd_main.cond);
		return -rc;
	}
	startwd_main.armed = true;
	return 0;
}

void
nfv_startwd_step(const char *step)
{
	atomic_store(&startwd_main.step, step);
}

void
nfv_startwd_disarm(void)
{
	if (!startwd_main.armed)
		return;
	pthread_mutex_lock(&startwd_main.lock);
	startwd_main.done = true;
	pthread_cond_signal(&startwd_main.cond);
	pthread_mutex_unlock(&startwd_main.lock);
	pthread_join(startwd_main.thread, NULL);
	pthread_cond_destroy(&startwd_main.cond);
	startwd_main.armed = false;
}
