/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.h - monotonic time and deadlines for libhusk, the shim and
 * husk-init: one place for the CLOCK_MONOTONIC readings and the
 * "now + N ms" arithmetic that poll(), pthread_cond_timedwait() and
 * sem_timedwait() each want in their own form.
 */
#ifndef HUSK_COMMON_CLOCK_H
#define HUSK_COMMON_CLOCK_H

#include <stdint.h>
#include <time.h>

/* husk_now_ns / husk_now_ms - CLOCK_MONOTONIC, in ns or ms. */
uint64_t husk_now_ns(void);
int64_t husk_now_ms(void);

/*
 * husk_ms_left - milliseconds from now until @deadline_ms (a husk_now_ms()
 * value), 0 once it has passed and at most INT_MAX: a poll() timeout.
 */
int husk_ms_left(int64_t deadline_ms);

/*
 * husk_timespec_after_ms - the absolute time @ms from now on @clock, the
 * form of pthread_cond_timedwait() (CLOCK_MONOTONIC with a condattr set
 * so) and sem_timedwait() (CLOCK_REALTIME). A negative @ms counts as 0.
 */
struct timespec husk_timespec_after_ms(clockid_t clock, long long ms);

#endif
