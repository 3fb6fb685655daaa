// SPDX-License-Identifier: Apache-2.0
/*
 * rate_limiter.c - two token buckets and the timerfd that resumes a
 * throttled device queue (rate_limiter.h).
 */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/clock.h"
#include "vmm/base/rate_limiter.h"

_Static_assert(HUSK_RATE_LIMIT_MAX <= TOKEN_BUCKET_MAX, "the buckets take every accepted limit");

static uint64_t rate_clock_monotonic(void *opaque)
{
	(void)opaque;
	return husk_now_ns();
}

static int bucket_check(const struct husk_token_bucket *b, const char *what, const char *kind,
			struct husk_error **err)
{
	if (b->rate > HUSK_RATE_LIMIT_MAX || b->one_time_burst > HUSK_RATE_LIMIT_MAX)
		return husk_err(err, 0, "%s: %s: over %llu", what, kind,
				(unsigned long long)HUSK_RATE_LIMIT_MAX);
	if (b->one_time_burst && !b->rate)
		return husk_err(err, 0, "%s: %s: a burst needs a rate", what, kind);
	return 0;
}

int rate_limit_check(const struct husk_rate_limit *lim, const char *what, struct husk_error **err)
{
	int ret = bucket_check(&lim->bandwidth, what, "bandwidth", err);

	return ret ? ret : bucket_check(&lim->ops, what, "ops", err);
}

/* Loop thread: the deadline passed (or a later one replaced it): ask again. */
static void rate_limiter_timer(void *opaque, uint32_t events)
{
	struct rate_limiter *rl = opaque;
	uint64_t expirations;

	(void)events;
	/* Drain the level-triggered fd; EAGAIN when re-armed since it fired. */
	if (read(rl->timer_fd, &expirations, sizeof(expirations)) < 0 && errno != EAGAIN)
		return;
	rl->resume(rl->opaque);
}

int rate_limiter_init(struct rate_limiter *rl, const struct husk_rate_limit *lim,
		      struct event_loop *loop, void (*resume)(void *opaque), void *opaque,
		      rate_clock_fn clock, void *clock_opaque, struct husk_error **err)
{
	uint64_t now;
	int ret;

	*rl = (struct rate_limiter){
		.timer_fd = -1, .loop = loop, .resume = resume, .opaque = opaque
	};
	ret = rate_limit_check(lim, "rate limit", err);
	if (ret < 0)
		return ret;
	rl->clock = clock ? clock : rate_clock_monotonic;
	rl->clock_opaque = clock_opaque;
	now = rl->clock(rl->clock_opaque);
	token_bucket_init(&rl->bytes, lim->bandwidth.rate, lim->bandwidth.one_time_burst, now);
	token_bucket_init(&rl->ops, lim->ops.rate, lim->ops.one_time_burst, now);
	rl->enabled = token_bucket_enabled(&rl->bytes) || token_bucket_enabled(&rl->ops);
	if (!rl->enabled)
		return 0;
	if (!loop)
		return husk_err(err, 0, "rate limit: no event loop for its timer");
	rl->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (rl->timer_fd < 0)
		return husk_err(err, errno, "rate limit: timerfd");
	ret = event_loop_add(loop, rl->timer_fd, EPOLLIN, rate_limiter_timer, rl);
	if (ret < 0)
		return husk_err(err, -ret, "rate limit: event loop");
	rl->watched = true;
	return 0;
}

void rate_limiter_fini(struct rate_limiter *rl)
{
	if (rl->watched)
		event_loop_del(rl->loop, rl->timer_fd);
	rl->watched = false;
	if (rl->timer_fd >= 0)
		close(rl->timer_fd);
	rl->timer_fd = -1;
}

static void rate_limiter_arm(struct rate_limiter *rl, uint64_t wait_ns)
{
	struct itimerspec its = { 0 };

	its.it_value.tv_sec = (time_t)(wait_ns / 1000000000ULL);
	its.it_value.tv_nsec = (long)(wait_ns % 1000000000ULL);
	timerfd_settime(rl->timer_fd, 0, &its, NULL);
}

bool rate_limiter_admit(struct rate_limiter *rl, uint64_t bytes)
{
	uint64_t now, wait_bytes, wait_ops;

	if (!rl->enabled)
		return true;
	now = rl->clock(rl->clock_opaque);
	wait_bytes = token_bucket_wait_ns(&rl->bytes, bytes, now);
	wait_ops = token_bucket_wait_ns(&rl->ops, 1, now);
	if (wait_bytes || wait_ops) {
		/* Atomic: the embedder reads it without the owner's lock. */
		__atomic_add_fetch(&rl->throttled, 1, __ATOMIC_RELAXED);
		rate_limiter_arm(rl, wait_bytes > wait_ops ? wait_bytes : wait_ops);
		return false;
	}
	token_bucket_take(&rl->bytes, bytes);
	token_bucket_take(&rl->ops, 1);
	return true;
}

uint64_t rate_limiter_throttled(const struct rate_limiter *rl)
{
	return __atomic_load_n(&rl->throttled, __ATOMIC_RELAXED);
}
