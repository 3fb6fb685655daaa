// SPDX-License-Identifier: Apache-2.0
/* reaper_thread.c - the reaping thread of unit tests (reaper_thread.h). */
#include <pthread.h>
#include <unistd.h>

#include "shim/base/reaper.h"
#include "tests/lib/reaper_thread.h"
#include "tests/lib/unit.h"

static volatile int reaping;
static pthread_t reaper_thread;

static void *reap_loop(void *arg)
{
	(void)arg;
	while (reaping) {
		reaper_reap();
		usleep(5000);
	}
	return NULL;
}

void reaper_thread_start(void)
{
	reaping = 1;
	ck_assert_int_eq(pthread_create(&reaper_thread, NULL, reap_loop, NULL), 0);
}

void reaper_thread_stop(void)
{
	reaping = 0;
	pthread_join(reaper_thread, NULL);
}
