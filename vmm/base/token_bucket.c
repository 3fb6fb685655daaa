// SPDX-License-Identifier: Apache-2.0
/*
 * token_bucket.c - the refill, admission and take rules of token_bucket.h.
 * Products of a rate and nanoseconds need up to ~96 bits: __int128.
 */
#include "vmm/base/token_bucket.h"

#define NS_PER_SEC 1000000000ULL

void token_bucket_init(struct token_bucket *tb, uint64_t rate, uint64_t burst, uint64_t now_ns)
{
	tb->rate = rate;
	tb->tokens = (int64_t)rate;
	tb->frac = 0;
	tb->burst = rate ? burst : 0;
	tb->last_ns = now_ns;
}

bool token_bucket_enabled(const struct token_bucket *tb)
{
	return tb->rate != 0;
}

int64_t token_bucket_available(const struct token_bucket *tb)
{
	return tb->tokens + (int64_t)tb->burst;
}

/* Tokens earned since last_ns, the fraction carried; capped at one second's worth. */
static void token_bucket_refill(struct token_bucket *tb, uint64_t now_ns)
{
	unsigned __int128 earned;
	__int128 tokens;

	if (now_ns <= tb->last_ns) /* the clock never goes back; a stale reading adds nothing */
		return;
	earned = (unsigned __int128)(now_ns - tb->last_ns) * tb->rate + tb->frac;
	tb->last_ns = now_ns;
	tokens = (__int128)tb->tokens + (__int128)(earned / NS_PER_SEC);
	tb->frac = (uint64_t)(earned % NS_PER_SEC);
	if (tokens >= (__int128)tb->rate) {
		tokens = (__int128)tb->rate;
		tb->frac = 0; /* full: nothing more accrues */
	}
	tb->tokens = (int64_t)tokens;
}

uint64_t token_bucket_wait_ns(struct token_bucket *tb, uint64_t n, uint64_t now_ns)
{
	uint64_t need = n < tb->rate ? n : tb->rate;
	unsigned __int128 missing;
	__int128 deficit;

	if (!tb->rate)
		return 0;
	token_bucket_refill(tb, now_ns);
	deficit = (__int128)need - tb->tokens - (__int128)tb->burst;
	if (deficit <= 0)
		return 0;
	/* ns until `deficit` whole tokens, counting the fraction already earned */
	missing = (unsigned __int128)deficit * NS_PER_SEC - tb->frac;
	return (uint64_t)((missing + tb->rate - 1) / tb->rate);
}

void token_bucket_take(struct token_bucket *tb, uint64_t n)
{
	uint64_t from_burst = n < tb->burst ? n : tb->burst;

	if (!tb->rate)
		return;
	tb->burst -= from_burst;
	tb->tokens -= (int64_t)(n - from_burst);
}
