// SPDX-License-Identifier: Apache-2.0
/* reaper_thread.c - the reaping thread of unit tests (reaper_thread.h). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shim/base/reaper.h"
#include "tests/lib/reaper_thread.h"

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

/* Not Check's assertions: tests/lib is linked into non-Check programs
 * too (the fuzz replayers). */
void reaper_thread_start(void)
{
	int ret;

	reaping = 1;
	ret = pthread_create(&reaper_thread, NULL, reap_loop, NULL);
	if (ret) {
		fprintf(stderr, "reaper thread: %s\n", strerror(ret));
		abort();
	}
}

void reaper_thread_stop(void)
{
	reaping = 0;
	pthread_join(reaper_thread, NULL);
}
