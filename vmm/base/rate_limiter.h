/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rate_limiter.h - a device queue's rate limit (include/husk.h's struct
 * husk_rate_limit): a bandwidth and an ops token bucket, and the timerfd,
 * watched by the VM's event loop, that resumes the queue once a refused
 * request's tokens are back.
 *
 * The device asks rate_limiter_admit() before it takes each request; on a
 * refusal it keeps the request aside and stops, and the timer's callback
 * (on the loop thread) runs the device's @resume, which asks again. So a
 * throttled queue neither spins nor blocks a thread. The buckets are
 * under the device's lock (the queue lock of the direction limited); the
 * timerfd needs none (re-arming only replaces the earlier deadline).
 */
#ifndef HUSK_VMM_BASE_RATE_LIMITER_H
#define HUSK_VMM_BASE_RATE_LIMITER_H

#include <stdbool.h>
#include <stdint.h>

#include "husk.h"
#include "common/error.h"
#include "vmm/base/event_loop.h"
#include "vmm/base/token_bucket.h"

/* A CLOCK_MONOTONIC reading in ns; tests inject their own. */
typedef uint64_t (*rate_clock_fn)(void *opaque);

struct rate_limiter {
	struct token_bucket bytes, ops;
	bool enabled; /* either bucket limits */
	int timer_fd; /* -1 when not enabled */
	bool watched; /* timer_fd registered with loop */
	struct event_loop *loop;
	void (*resume)(void *opaque);
	void *opaque;
	rate_clock_fn clock;
	void *clock_opaque;
	uint64_t throttled; /* refusals: written under the owner's lock, read any time */
};

/*
 * rate_limit_check - a limit libhusk accepts: rates and bursts at most
 * TOKEN_BUCKET_MAX, no burst without a rate. @what names it in *@err.
 */
int rate_limit_check(const struct husk_rate_limit *lim, const char *what, struct husk_error **err);

/*
 * rate_limiter_init - buckets full at the clock's now; when @lim limits
 * anything, a timerfd watched by @loop (required then) whose expiry calls
 * @resume(@opaque) on the loop thread. @clock NULL: CLOCK_MONOTONIC.
 * Returns 0 or -errno with *@err set.
 */
int rate_limiter_init(struct rate_limiter *rl, const struct husk_rate_limit *lim,
		      struct event_loop *loop, void (*resume)(void *opaque), void *opaque,
		      rate_clock_fn clock, void *clock_opaque, struct husk_error **err);

/* rate_limiter_fini - stop watching and close the timer; safe after a failed init. */
void rate_limiter_fini(struct rate_limiter *rl);

/*
 * rate_limiter_admit - may a request of @bytes go now? Yes: its tokens
 * (one op, @bytes) are taken. No: nothing is taken and the timer is armed
 * for when both buckets will hold enough.
 */
bool rate_limiter_admit(struct rate_limiter *rl, uint64_t bytes);

/* rate_limiter_throttled - refusals so far; any thread, no lock. */
uint64_t rate_limiter_throttled(const struct rate_limiter *rl);

#endif
