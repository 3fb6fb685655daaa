/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reaper.h - child reaping for the daemon, which is a child subreaper
 * (orphans of everything it starts are re-parented to it).
 *
 * Only the daemon's signal loop calls waitpid(), on SIGCHLD, and hands
 * each status to whoever registered that pid; orphans nobody registered
 * are just reaped. Code that forks must not waitpid() itself (a blanket
 * reaper would steal its status, a classic shim bug): it takes
 * reaper_lock(), forks, registers the pid with reaper_watch(), unlocks,
 * and gets the exit through its callback (on the signal thread).
 */
#ifndef HUSK_SHIM_BASE_REAPER_H
#define HUSK_SHIM_BASE_REAPER_H

#include <sys/types.h>

typedef void reaper_fn(void *opaque, pid_t pid, int exit_status);

void reaper_lock(void);
void reaper_unlock(void);

/* reaper_watch - call @fn once when @pid exits. Returns 0 or -ENOMEM. */
int reaper_watch(pid_t pid, reaper_fn *fn, void *opaque);

/* reaper_reap - reap every exited child now (the SIGCHLD handler's job). */
void reaper_reap(void);

/* reaper_exit_status - a wait status as a shell would show it (128 + signal). */
int reaper_exit_status(int wstatus);

#endif
