/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reaper_thread.h - a thread that stands in for the shim daemon's SIGCHLD
 * loop in unit tests: it calls reaper_reap() (shim/base/reaper.h) every
 * 5 ms, so code that waits for its children through the reaper works.
 */
#ifndef HUSK_TESTS_LIB_REAPER_THREAD_H
#define HUSK_TESTS_LIB_REAPER_THREAD_H

void reaper_thread_start(void);
void reaper_thread_stop(void);

#endif
