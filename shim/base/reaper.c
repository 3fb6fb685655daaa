// SPDX-License-Identifier: Apache-2.0
/* reaper.c - waitpid() in one place, statuses routed by pid. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "shim/base/shim_log.h"
#include "shim/base/reaper.h"

struct watch {
	pid_t pid;
	reaper_fn *fn;
	void *opaque;
	struct watch *next;
};

/* Process-wide by nature: there is one set of children per process. */
static pthread_mutex_t reaper_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct watch *watches;

void reaper_lock(void)
{
	pthread_mutex_lock(&reaper_mutex);
}

void reaper_unlock(void)
{
	pthread_mutex_unlock(&reaper_mutex);
}

int reaper_watch(pid_t pid, reaper_fn *fn, void *opaque)
{
	struct watch *w = malloc(sizeof(*w));

	if (!w)
		return -ENOMEM;
	*w = (struct watch){ pid, fn, opaque, NULL };
	/* The caller holds reaper_lock() across fork and this call. */
	w->next = watches;
	watches = w;
	return 0;
}

int reaper_exit_status(int wstatus)
{
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return WEXITSTATUS(wstatus);
}

static struct watch *take_watch(pid_t pid)
{
	struct watch **pp, *w;

	for (pp = &watches; (w = *pp); pp = &w->next) {
		if (w->pid == pid) {
			*pp = w->next;
			return w;
		}
	}
	return NULL;
}

void reaper_reap(void)
{
	struct watch *w;
	int status;
	pid_t pid;

	for (;;) {
		reaper_lock();
		pid = waitpid(-1, &status, WNOHANG);
		w = pid > 0 ? take_watch(pid) : NULL;
		reaper_unlock();
		if (pid <= 0)
			break;
		if (w) {
			w->fn(w->opaque, pid, reaper_exit_status(status));
			free(w);
		} else {
			shim_debug("reaped orphan %d (status %d)", (int)pid,
				   reaper_exit_status(status));
		}
	}
}
