/* SPDX-License-Identifier: Apache-2.0 */
/*
 * token_bucket.h - one token bucket of a device rate limit: pure
 * arithmetic over a caller-supplied CLOCK_MONOTONIC reading (no clock of
 * its own, no locking: its owner serialises calls), so tests can drive it
 * with any time they like.
 *
 * The bucket holds at most @rate tokens (one second's worth) and refills
 * at @rate tokens per second of elapsed time, counted exactly: the
 * fraction of a token earned between two calls is carried, not dropped.
 * It starts full. @burst tokens come on top once: they are spent first
 * and never refilled. A take of n tokens is allowed once the bucket holds
 * min(n, size) (burst included); a take larger than what is held drives
 * the balance negative, a debt the refill pays back before anything else
 * is allowed. So a request bigger than the bucket waits for a full bucket
 * and then goes whole, and the average rate still holds. A @rate of 0 is
 * no limit: every take is allowed at once.
 */
#ifndef HUSK_VMM_BASE_TOKEN_BUCKET_H
#define HUSK_VMM_BASE_TOKEN_BUCKET_H

#include <stdbool.h>
#include <stdint.h>

/* Largest rate or burst accepted: far beyond any device, and no overflow. */
#define TOKEN_BUCKET_MAX (1ULL << 48)

struct token_bucket {
	uint64_t rate;	  /* tokens per second; 0: unlimited */
	int64_t tokens;	  /* refilled tokens; negative: debt of an over-size take */
	uint64_t frac;	  /* rate * ns earned but not yet a whole token (< 1e9) */
	uint64_t burst;	  /* one-time tokens left */
	uint64_t last_ns; /* time of the last refill */
};

/* token_bucket_init - a full bucket at @now_ns; @rate and @burst ≤ TOKEN_BUCKET_MAX. */
void token_bucket_init(struct token_bucket *tb, uint64_t rate, uint64_t burst, uint64_t now_ns);

/* token_bucket_enabled - whether the bucket limits anything (rate > 0). */
bool token_bucket_enabled(const struct token_bucket *tb);

/*
 * token_bucket_wait_ns - refill up to @now_ns, then: 0 when @n tokens may
 * be taken now, else the nanoseconds until they may (rounded up, > 0).
 */
uint64_t token_bucket_wait_ns(struct token_bucket *tb, uint64_t n, uint64_t now_ns);

/* token_bucket_take - spend @n tokens (burst first) after wait_ns said 0. */
void token_bucket_take(struct token_bucket *tb, uint64_t n);

/* token_bucket_available - tokens now held, burst included (may be negative). */
int64_t token_bucket_available(const struct token_bucket *tb);

#endif
