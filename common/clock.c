// SPDX-License-Identifier: Apache-2.0
/* clock.c - monotonic time and deadlines (see clock.h). */
#include <limits.h>

#include "common/clock.h"

uint64_t husk_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t husk_now_ms(void)
{
	return (int64_t)(husk_now_ns() / 1000000u);
}

int husk_ms_left(int64_t deadline_ms)
{
	int64_t left = deadline_ms - husk_now_ms();

	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

struct timespec husk_timespec_after_ms(clockid_t clock, long long ms)
{
	struct timespec ts;

	if (ms < 0)
		ms = 0;
	clock_gettime(clock, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}
